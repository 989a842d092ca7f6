"""``leakline backfill --from D --to D``: the pipeline's per-date stages for each date, in order.

Every stage is idempotent per date (writes replace that date's partitions, ids are hashes of their
keys), so a backfill is nothing but a loop of the nightly runs: optionally ingest once first
(``--ingest``: whatever is in the landing zone), then ``run_pipeline(ctx, dates=[d])`` with the
per-date stages (reconcile, fraud) for each date from ``--from`` to ``--to``. Each stage run leaves
its row in ``ops.runs`` (recorded by the pipeline) and the backfill itself one more (stage
``backfill``). The report has one line per date; a failed date stops the loop unless
``--keep-going``, and any failure ends the command non-zero so the scheduler sees it.

Also runnable as ``python -m jobs.backfill --from D --to D``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from jobs.common.errors import IngestFilesRejected, LeaklineError
from jobs.pipeline import (
    STAGES,
    check_stages,
    landing_folder,
    parse_date,
    parse_stages,
    parse_timestamp,
    run_pipeline,
    stage_rows,
)

log = logging.getLogger("leakline.backfill")

# The pipeline's stages that take a date; ingest is not one (it reads whatever has landed).
PER_DATE_STAGES = tuple(s for s in STAGES if s != "ingest")


class BackfillFailed(LeaklineError):
    """One or more dates failed; ``result`` holds the per-date report."""

    exit_code = 4

    def __init__(self, message: str, result: BackfillResult):
        super().__init__(message)
        self.result = result


@dataclass
class DateRun:
    """The outcome of one date: ``succeeded``, ``failed`` or ``skipped`` (after an earlier failure)."""

    day: date
    status: str
    seconds: float = 0.0
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    error: str | None = None

    def line(self) -> str:
        head = f"{self.day.isoformat()}  {self.status:<9s} {self.seconds:7.1f}s"
        if self.error:
            return f"{head}  {self.error}"
        counts = "  ".join(
            f"{stage}: " + ", ".join(f"{k}={v}" for k, v in sorted(rows.items()))
            for stage, rows in self.rows.items() if rows
        )
        return f"{head}  {counts}".rstrip()


@dataclass
class BackfillResult:
    start: date
    end: date
    stages: tuple[str, ...]
    ingest: Any | None = None
    rejected: list[str] = field(default_factory=list)
    dates: list[DateRun] = field(default_factory=list)

    def failed(self) -> list[DateRun]:
        return [d for d in self.dates if d.status == "failed"]

    def rows(self) -> dict[str, int]:
        """Counts for ops.runs: dates per outcome."""
        counts = {"dates": len(self.dates)}
        for status in ("succeeded", "failed", "skipped"):
            counts[status] = sum(1 for d in self.dates if d.status == status)
        return counts

    def lines(self) -> list[str]:
        out = [f"backfill {self.start} .. {self.end}: {', '.join(self.stages)} per date"]
        if self.ingest is not None:
            out += ["", "[ingest]", *_summary_lines(self.ingest)]
        out += ["", "[dates]", *[d.line() for d in self.dates]]
        counts = self.rows()
        out += ["", f"{counts['succeeded']} succeeded, {counts['failed']} failed, {counts['skipped']} skipped"]
        if self.rejected:
            out += ["", "Rejected files:", *[f"  {r}" for r in self.rejected]]
        return out


def date_range(start: date, end: date, max_days: int | None = None) -> list[date]:
    """Every date from ``start`` to ``end``, both included."""
    if end < start:
        raise LeaklineError(f"--to {end} is before --from {start}")
    days = (end - start).days + 1
    if max_days is not None and days > max_days:
        raise LeaklineError(
            f"backfill of {days} days exceeds backfill.max_days ({max_days}); split it or raise the limit"
        )
    return [start + timedelta(days=i) for i in range(days)]


def run_backfill(
    ctx: Any,
    start: date,
    end: date,
    *,
    ingest: bool = False,
    landing: str | None = None,
    as_of: datetime | None = None,
    stages: tuple[str, ...] = PER_DATE_STAGES,
    keep_going: bool | None = None,
) -> BackfillResult:
    """Ingest once (when asked), then ``stages`` for each date in order; raises :class:`BackfillFailed`."""
    check_stages(stages, PER_DATE_STAGES, "per-date stage")
    cfg = ctx.cfg
    if keep_going is None:
        keep_going = bool(cfg.get_path("backfill.keep_going"))
    days = date_range(start, end, int(cfg.get_path("backfill.max_days")))
    result = BackfillResult(start, end, tuple(stages))
    params = {"from": start, "to": end, "ingest": ingest, "stages": list(stages), "as_of": as_of}
    with ctx.stage("backfill", params) as run:
        if ingest:
            landing = landing or str(cfg.get_path("ingest.landing"))
            ingested = run_pipeline(ctx, landing, stages=("ingest",))
            result.ingest = ingested.summaries.get("ingest")
            result.rejected = list(ingested.rejected)
        failed = False
        for day in days:
            if failed and not keep_going:
                result.dates.append(DateRun(day, "skipped"))
                continue
            result.dates.append(_run_date(ctx, day, as_of, stages))
            failed = failed or result.dates[-1].status == "failed"
        run.rows.update(result.rows())
        if result.failed():
            names = ", ".join(d.day.isoformat() for d in result.failed())
            raise BackfillFailed(f"backfill failed for {len(result.failed())} date(s): {names}", result)
    return result


def _run_date(ctx: Any, day: date, as_of: datetime | None, stages: tuple[str, ...]) -> DateRun:
    started = time.monotonic()
    log.info("backfill %s: %s", day, ", ".join(stages), extra={"stage": "backfill", "date": str(day)})
    try:
        done = run_pipeline(ctx, dates=[day], as_of=as_of, stages=stages)
    except Exception as exc:  # the report names the failure; the loop decides whether to go on
        seconds = time.monotonic() - started
        log.exception("backfill %s failed after %.1fs", day, seconds,
                      extra={"stage": "backfill", "date": str(day), "status": "failed"})
        return DateRun(day, "failed", seconds, error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    seconds = time.monotonic() - started
    rows = {stage: stage_rows(summary) for stage, summary in done.summaries.items()}
    log.info("backfill %s succeeded in %.1fs", day, seconds,
             extra={"stage": "backfill", "date": str(day), "seconds": round(seconds, 3),
                    "rows": rows, "status": "succeeded"})
    return DateRun(day, "succeeded", seconds, rows)


def _summary_lines(summary: Any) -> list[str]:
    lines = getattr(summary, "lines", None)
    return list(lines()) if callable(lines) else [str(summary)]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backfill", parents=parents,
        help="re-run the per-date stages (reconcile, fraud) for every date in a range, in order",
    )
    p.add_argument("--from", dest="start", required=True, type=parse_date, metavar="DATE", help="first date")
    p.add_argument("--to", dest="end", required=True, type=parse_date, metavar="DATE", help="last date (included)")
    p.add_argument("--ingest", action="store_true", help="ingest the landing zone once before the dates")
    p.add_argument("--as-of", type=parse_timestamp, help="clock for the billing-latency rule (default: now)")
    p.add_argument("--stages", default=",".join(PER_DATE_STAGES),
                   help=f"comma-separated subset of {','.join(PER_DATE_STAGES)}")
    p.add_argument("--keep-going", action="store_true", default=None,
                   help="run the remaining dates after a failed one (default: backfill.keep_going)")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace, ctx: Any) -> int:
    stages = parse_stages(args.stages, PER_DATE_STAGES, "per-date stage")
    landing = landing_folder(ctx, must_exist=args.ingest)
    try:
        result = run_backfill(
            ctx, args.start, args.end, ingest=args.ingest, landing=landing, as_of=args.as_of, stages=stages,
            keep_going=args.keep_going,
        )
    except BackfillFailed as exc:
        sys.stdout.write("\n".join(exc.result.lines()) + "\n")
        raise
    sys.stdout.write("\n".join(result.lines()) + "\n")
    if result.rejected:
        raise IngestFilesRejected(f"{len(result.rejected)} file(s) rejected: " + "; ".join(result.rejected))
    return 0


if __name__ == "__main__":
    from jobs.cli import main

    sys.exit(main(["backfill", *sys.argv[1:]]))
