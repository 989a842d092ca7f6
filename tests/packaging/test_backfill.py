"""A backfill is the same as running each night, re-running a date changes nothing, every run is recorded.

Lakehouse A: ``spark-submit … backfill --ingest --from D1 --to D7`` (a week) with the wheel in a new venv
(conftest ``cluster_backfill``: the command a scheduler runs on a cluster). Lakehouse B: the nights one
by one with the development install in this process — ingest, then ``run_pipeline(dates=[d])`` with
the per-date stages for each date, the way a nightly job calls them. Same landed files, same clock,
and one MLflow registry: the first fraud run trains the champion (training is the weekly job, not a
per-date stage) and every later fraud run, in either lakehouse, scores with that champion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from packaging_support import (
    AS_OF,
    BACKFILL_FROM,
    BACKFILL_TO,
    assert_same_tables,
    assert_unchanged_since,
    runs,
    versions,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
START, END = date.fromisoformat(BACKFILL_FROM), date.fromisoformat(BACKFILL_TO)
DATES = [START + timedelta(days=i) for i in range((END - START).days + 1)]
CLOCK = datetime.fromisoformat(AS_OF)


def _ctx(spark, root: Path, landing: Path, registry: str):
    from jobs.common.config import load_config
    from jobs.common.context import JobContext

    cfg = load_config("local", conf_dir=REPO / "conf", overrides={
        "lake.root": str(root), "ingest.landing": str(landing), "mlflow.tracking_uri": registry})
    return JobContext(cfg, spark=spark)


@pytest.fixture(scope="module")
def nightly(tmp_path_factory, landing_week, shared_registry, spark):
    """Lakehouse B: ingest, then one pipeline run per date, in this process."""
    from jobs.backfill import PER_DATE_STAGES
    from jobs.pipeline import run_pipeline

    ctx = _ctx(spark, tmp_path_factory.mktemp("nightly") / "lakehouse", landing_week, shared_registry)
    run_pipeline(ctx, str(landing_week), stages=("ingest",))
    for day in DATES:
        run_pipeline(ctx, dates=[day], as_of=CLOCK, stages=PER_DATE_STAGES)
    return ctx


@pytest.fixture(scope="module")
def backfilled(cluster_backfill, landing_week, shared_registry, spark):
    lakehouse, proc = cluster_backfill
    return _ctx(spark, lakehouse, landing_week, shared_registry), proc.stdout


def test_backfill_reports_each_date(backfilled):
    _ctx_a, stdout = backfilled
    lines = stdout.splitlines()
    per_date = [line for line in lines if line[:10] in {d.isoformat() for d in DATES}]
    assert [line[:10] for line in per_date] == [d.isoformat() for d in DATES]
    assert all(line.split()[1] == "succeeded" for line in per_date), per_date
    assert f"{len(DATES)} succeeded, 0 failed, 0 skipped" in lines


def test_backfill_equals_the_nights_one_by_one(spark, backfilled, nightly):
    ctx_a, _ = backfilled
    names = assert_same_tables(spark, ctx_a.lake, nightly.lake)
    # the comparison covers the outputs that matter, and they hold data
    assert {"silver.network_usage", "gold.leakage_findings", "gold.kpi_daily", "gold.cases",
            "silver.fraud_features", "gold.fraud_alerts"} <= set(names)
    for name in ("gold.leakage_findings", "gold.kpi_daily", "silver.fraud_features"):
        assert nightly.lake.read_arrow(name).num_rows > 0, name
    days = set(nightly.lake.read_arrow("gold.kpi_daily", ["usage_date"])["usage_date"].to_pylist())
    assert set(DATES) <= days


def test_rerunning_a_date_changes_nothing(spark, nightly, landing_week):
    """In process (the pipeline) and from the command line (``python -m jobs.<stage>``): same tables."""
    from jobs.backfill import PER_DATE_STAGES
    from jobs.pipeline import run_pipeline

    before = versions(nightly.lake)
    run_pipeline(nightly, str(landing_week), stages=("ingest",))  # nothing new has landed
    run_pipeline(nightly, dates=[DATES[1]], as_of=CLOCK, stages=PER_DATE_STAGES)
    assert_unchanged_since(spark, nightly.lake, before)  # the pipeline's re-run

    root = nightly.cfg.get_path("lake.root")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "MLFLOW_TRACKING_URI": nightly.cfg.get_path("mlflow.tracking_uri")}
    for command in (["jobs.ingest"], ["jobs.reconcile", "--date", str(DATES[1]), "--as-of", AS_OF],
                    ["jobs.fraud", "score", "--date", str(DATES[1])]):
        proc = subprocess.run([sys.executable, "-m", *command, "--lakehouse", root, "--landing", str(landing_week),
                               "--log-level", "WARNING"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, f"{command}: {proc.stderr[-4000:]}"
    assert_unchanged_since(spark, nightly.lake, before)  # and the command line's
    # each of those runs left its row in ops.runs: the pipeline's three, then the command line's
    last = runs(nightly.lake)[-6:]
    assert [(r["stage"], r["status"]) for r in last] == [
        ("ingest", "succeeded"), ("reconcile", "succeeded"), ("fraud", "succeeded"),
        ("ingest", "succeeded"), ("reconcile", "succeeded"), ("score", "succeeded")]
    assert all(str(DATES[1]) in r["params"] for r in last if r["stage"] in {"reconcile", "fraud", "score"})


def _stage_rows(rows):
    return [(r["stage"], r["status"]) for r in rows]


def test_every_stage_run_is_recorded_in_ops_runs(backfilled, nightly):
    ctx_a, _ = backfilled
    recorded = runs(ctx_a.lake)
    assert sorted(_stage_rows(recorded)) == sorted(
        [("backfill", "succeeded"), ("ingest", "succeeded")]
        + [(s, "succeeded") for s in ("reconcile", "fraud") for _ in DATES]
    )
    reconcile_dates = [json.loads(r["params"])["dates"] for r in recorded if r["stage"] == "reconcile"]
    assert reconcile_dates == [[d.isoformat()] for d in DATES]  # in date order
    backfill = next(r for r in recorded if r["stage"] == "backfill")
    assert json.loads(backfill["rows"]) == {"dates": len(DATES), "succeeded": len(DATES), "failed": 0, "skipped": 0}
    assert all(r["ended_at"] is not None and r["ended_at"] >= r["started_at"] for r in recorded)
    # the nights in process: one ingest, then reconcile and fraud per date, in date order
    nightly_rows = runs(nightly.lake)[: 1 + 2 * len(DATES)]
    assert _stage_rows(nightly_rows) == [("ingest", "succeeded")] + [
        (s, "succeeded") for _ in DATES for s in ("reconcile", "fraud")]
    assert [json.loads(r["params"])["dates"] for r in nightly_rows[1::2]] == [[d.isoformat()] for d in DATES]
