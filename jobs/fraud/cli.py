"""``leakline features`` / ``leakline train`` / ``leakline score``: thin entry points of the fraud stage."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from typing import Any

from jobs.common.errors import LeaklineError


def _date(text: str) -> date:
    """argparse type: a bad date is a one-line usage error (exit 2), not a traceback."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _add_dates(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", action="append", type=_date, help="a day to process (repeatable)")
    p.add_argument("--from", dest="date_from", type=_date, help="first day of a range (with --to)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day of a range (with --from)")


def dates_of(args: argparse.Namespace) -> list[date] | None:
    """--date values plus the --from..--to range; None means "every available day"."""
    days = list(args.date or [])
    if (args.date_from is None) != (args.date_to is None):
        raise LeaklineError("--from and --to go together")
    if args.date_from is not None:
        if args.date_to < args.date_from:
            raise LeaklineError(f"--to {args.date_to} is before --from {args.date_from}")
        span = (args.date_to - args.date_from).days
        days += [args.date_from + timedelta(days=i) for i in range(span + 1)]
    return sorted(set(days)) or None


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("features", parents=parents, help="compute fraud features per subject and day")
    _add_dates(p)
    p.set_defaults(handler=_features)
    p = sub.add_parser("train", parents=parents, help="train the fraud model, log it to MLflow, set aliases")
    p.add_argument("--as-of", type=_date, help="last day of the training window (default: latest feature day)")
    p.set_defaults(handler=_train)
    p = sub.add_parser("score", parents=parents, help="score feature days with the champion model: alerts, cases")
    _add_dates(p)
    p.set_defaults(handler=_score)


def _print(lines: list[str]) -> int:
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _features(args: argparse.Namespace, ctx: Any) -> int:
    from jobs.fraud.job import run_features

    return _print(run_features(ctx, dates_of(args)).lines())


def _train(args: argparse.Namespace, ctx: Any) -> int:
    from jobs.fraud.job import run_train

    return _print(run_train(ctx, args.as_of).lines())


def _score(args: argparse.Namespace, ctx: Any) -> int:
    from jobs.fraud.job import run_score

    return _print(run_score(ctx, dates_of(args)).lines())
