"""Command line: ``leakline generate`` / ``python -m jobs.generate --out DIR``.

Thin edge only: parse options into :class:`GeneratorParams`, call :func:`generate` and
:func:`write`, log a short summary on the ``leakline.generate`` logger.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import date
from pathlib import Path

from jobs.generate.config import FORMATS, GeneratorParams
from jobs.generate.generator import generate
from jobs.generate.writer import write

log = logging.getLogger("leakline.generate")
_DEFAULTS = GeneratorParams()


def configure_parser(p: argparse.ArgumentParser) -> None:
    """Add the generator's options to ``p``."""
    p.add_argument("--out", required=True, type=Path, help="output directory (landing/ and truth/ go below)")
    p.add_argument("--subscribers", type=int, default=_DEFAULTS.subscribers, help="subscriber base size")
    p.add_argument("--days", type=int, default=_DEFAULTS.days, help="days of traffic")
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="random seed (same seed, same bytes)")
    p.add_argument("--start", type=date.fromisoformat, default=_DEFAULTS.start, help="first day, YYYY-MM-DD")
    p.add_argument("--format", choices=FORMATS, default="csv", help="landing file format")
    p.add_argument("--destinations-csv", type=Path, default=None,
                   help="carrier price list (DESTINATION,PREFIX,RATE; Latin-1) to use as destination catalogue")


def main(args: argparse.Namespace) -> int:
    """Generate, write, log a summary; returns the process exit code."""
    params = GeneratorParams(subscribers=args.subscribers, days=args.days, seed=args.seed, start=args.start,
                             destinations_csv=args.destinations_csv)
    if any((args.out / "landing").rglob("*")):
        log.warning("%s already holds landing files; same-named files are overwritten, others stay", args.out)
    began = time.perf_counter()
    data = generate(params)
    files = write(data, args.out, args.format)
    s = data.summary
    log.info("wrote %d files under %s in %.1f s", len(files), args.out, time.perf_counter() - began)
    for feed, rows in s["rows"].items():
        log.info("  %-14s %9d rows", feed, rows)
    for control, c in s["controls"].items():
        log.info("  planted %-26s %6d findings, %14s %s at risk", control, c["findings"], c["amount_at_risk"],
                 params.catalog.currency)
    for typology, n in s["fraud"].items():
        log.info("  planted fraud %-20s %4d subjects", typology, n)
    return 0


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """``leakline generate``: needs no config, no Spark."""
    p = sub.add_parser("generate", parents=parents, help="write synthetic contract-v1 data and its ground truth")
    configure_parser(p)
    p.set_defaults(handler=_handle, needs_config=False)


def _handle(args: argparse.Namespace, _ctx: object) -> int:
    from jobs.common.errors import LeaklineError

    try:
        return main(args)
    except ValueError as exc:  # parameter validation of GeneratorParams
        raise LeaklineError(f"generate: {exc}") from None
