"""``leakline pipeline``: every stage in order — ingest, reconcile, fraud (features, train, score).

Each stage is idempotent, so a failed run is simply run again. Files rejected at ingestion do not
stop the stages after it (the valid files are processed), but the pipeline then ends non-zero and
names them. ``--truth DIR`` (generated data) adds precision/recall against the ground truth.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jobs.common.errors import IngestFilesRejected, LeaklineError

log = logging.getLogger("leakline.pipeline")

STAGES = ("ingest", "reconcile", "fraud")


@dataclass
class PipelineResult:
    summaries: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LeaklineError(f"not a date (YYYY-MM-DD): {text!r}") from None


def parse_timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise LeaklineError(f"not an ISO-8601 timestamp: {text!r}") from None


def run_pipeline(
    ctx: Any,
    landing: str | None = None,
    dates: list[date] | None = None,
    as_of: datetime | None = None,
    stages: tuple[str, ...] = STAGES,
) -> PipelineResult:
    """Run ``stages`` in order on ``ctx``; returns every stage's summary."""
    result = PipelineResult()
    params = {"landing": landing, "dates": [str(d) for d in dates or []], "as_of": as_of}
    for stage in stages:
        started = time.monotonic()
        log.info("== %s ==", stage)
        with ctx.stage(stage, params) as run:
            summary = _run_stage(ctx, stage, landing, dates, as_of)
            run.rows.update(stage_rows(summary))
        if stage == "ingest":
            result.rejected = rejected_files(summary)
        result.summaries[stage] = summary
        result.seconds[stage] = time.monotonic() - started
    return result


def _run_stage(ctx: Any, stage: str, landing: str | None, dates: list[date] | None, as_of: datetime | None) -> Any:
    if stage == "ingest":
        from jobs.ingest.job import run_ingest

        return run_ingest(ctx, landing)
    if stage == "reconcile":
        from jobs.reconcile.job import run_reconcile

        return run_reconcile(ctx, dates=dates, as_of=as_of)
    if stage == "fraud":
        from jobs.fraud.job import run_fraud

        return run_fraud(ctx, dates=dates)
    raise LeaklineError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")


def stage_rows(summary: Any) -> dict[str, int]:
    """Row counts a stage summary exposes (``rows()``), for ops.runs."""
    rows = getattr(summary, "rows", None)
    if callable(rows):
        return {str(k): int(v) for k, v in rows().items()}
    return {}


def rejected_files(summary: Any) -> list[str]:
    """'file: reason' for every file the ingestion rejected whole."""
    rejected = getattr(summary, "rejected", None)
    rejected = rejected() if callable(rejected) else rejected
    return [f"{getattr(r, 'source_file', r)}: {getattr(r, 'reason', '')}" for r in rejected or []]


def render(result: PipelineResult, ctx: Any, truth: str | None = None) -> list[str]:
    lines = ["", "leakline pipeline — summary", "=" * 72]
    for stage, summary in result.summaries.items():
        lines += ["", f"[{stage}]  {result.seconds[stage]:.1f}s", *summary.lines()]
    if truth:
        from jobs.evaluate import evaluate

        lines += ["", "[accuracy against ground truth]", *evaluate(ctx, truth).lines()]
    root = ctx.cfg.get_path("lake.root")
    lines += [
        "",
        f"Lakehouse: {root}",
        f"Open the analyst app:  LEAKLINE_LAKEHOUSE={root} .venv/bin/leakline app   (or: make app)",
        f"Open the MLflow UI:    .venv/bin/mlflow ui --backend-store-uri {_tracking_uri(ctx)}   (or: make mlflow-ui)",
    ]
    if result.rejected:
        lines += ["", "Rejected files:", *[f"  {r}" for r in result.rejected]]
    return lines


def _tracking_uri(ctx: Any) -> str:
    from jobs.fraud.settings import mlflow_settings

    return mlflow_settings(ctx.cfg).tracking_uri


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pipeline", parents=parents, help="run every stage in order: ingest, reconcile, fraud")
    p.add_argument("--date", action="append", type=parse_date, help="usage date(s) to (re)process")
    p.add_argument("--as-of", type=parse_timestamp, help="clock for the billing-latency rule (default: now)")
    p.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}")
    p.add_argument("--truth", metavar="DIR", help="ground-truth folder of generated data: report accuracy")
    p.set_defaults(handler=_run)


def check_stages(stages: tuple[str, ...], allowed: tuple[str, ...], what: str = "stage") -> tuple[str, ...]:
    """``stages`` when each is one of ``allowed``; else a :class:`LeaklineError` naming the others."""
    unknown = [s for s in stages if s not in allowed]
    if unknown:
        raise LeaklineError(f"unknown {what}(s) {unknown}; they are {', '.join(allowed)}")
    return stages


def parse_stages(text: str, allowed: tuple[str, ...], what: str = "stage") -> tuple[str, ...]:
    """``--stages a,b`` -> ``("a", "b")``, checked by :func:`check_stages`."""
    return check_stages(tuple(s.strip() for s in text.split(",") if s.strip()), allowed, what)


def landing_folder(ctx: Any, must_exist: bool = True) -> str:
    """The configured landing folder; when it will be read (``must_exist``) a local one must exist (a URI
    is the storage's business)."""
    import os

    landing = str(ctx.cfg.get_path("ingest.landing"))
    if must_exist and "://" not in landing and not os.path.isdir(landing):
        raise LeaklineError(f"landing folder {landing} does not exist (pass --landing DIR)")
    return landing


def _run(args: argparse.Namespace, ctx: Any) -> int:
    stages = parse_stages(args.stages, STAGES)
    landing = landing_folder(ctx, must_exist="ingest" in stages)
    result = run_pipeline(ctx, landing, args.date, args.as_of, stages)
    sys.stdout.write("\n".join(render(result, ctx, args.truth)) + "\n")
    if result.rejected:
        raise IngestFilesRejected(f"{len(result.rejected)} file(s) rejected: " + "; ".join(result.rejected))
    return 0


if __name__ == "__main__":
    from jobs.cli import main

    sys.exit(main(["pipeline", *sys.argv[1:]]))
