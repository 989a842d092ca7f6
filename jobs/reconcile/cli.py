"""``leakline reconcile [--date D | --from D --to D] [--as-of TS]``: run the reconciliation, print the summary."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jobs.common.errors import LeaklineError


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _timestamp(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a timestamp (ISO 8601, e.g. 2026-10-08T06:00:00Z): {text!r}") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "reconcile", parents=parents,
        help="re-rate network usage, match it to billing, run the seven leakage controls",
    )
    p.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="one usage day (default: every day in silver)")
    p.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD", help="first usage day")
    p.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD", help="last usage day (inclusive)")
    p.add_argument("--as-of", type=_timestamp, metavar="TS",
                   help="clock for the billing-latency rule (default: now, UTC)")
    p.set_defaults(handler=run)


def dates_from_args(args: argparse.Namespace) -> list[date] | None:
    """The usage days the options name (None: every day in silver)."""
    if args.date and (args.date_from or args.date_to):
        raise LeaklineError("give either --date or --from/--to, not both")
    if args.date:
        return [args.date]
    if bool(args.date_from) != bool(args.date_to):
        raise LeaklineError("--from and --to go together")
    if args.date_from:
        if args.date_to < args.date_from:
            raise LeaklineError(f"--to {args.date_to} is before --from {args.date_from}")
        n = (args.date_to - args.date_from).days
        return [args.date_from + timedelta(days=i) for i in range(n + 1)]
    return None


def run(args: argparse.Namespace, ctx: Any) -> int:
    from jobs.reconcile.job import run_reconcile

    summary = run_reconcile(ctx, dates_from_args(args), args.as_of)
    print("\n".join(summary.lines()))
    return 0
