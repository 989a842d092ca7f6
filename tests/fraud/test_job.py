"""The fraud stage end to end on a small inline world: features, training, scoring, cases, the loop.

One lakehouse and one MLflow store for the module (MLflow's sqlite set-up takes seconds).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from fraud_inputs import DAY, world
from pyspark.sql import functions as F

from jobs.common.config import load_config
from jobs.common.context import JobContext
from jobs.common.lake import arrow_schema
from jobs.common.tables import NETWORK_USAGE, SUBSCRIBERS, spec_for
from jobs.fraud.job import run_fraud, run_score, run_train
from jobs.fraud.settings import mlflow_settings

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # one pipeline run (features, training, scoring) shared by the module


@pytest.fixture(scope="module")
def world_run(spark, tmp_path_factory):
    from fraud_inputs import DEST_ROWS

    root = tmp_path_factory.mktemp("fraud-job")
    cfg = load_config("local", conf_dir=REPO / "conf", overrides={
        "lake.root": str(root / "lakehouse"), "fraud.train.validation_days": 1,
        "fraud.train.min_dispositions": 2,
    })
    ctx = JobContext(cfg, spark=spark)
    w = world()
    ctx.lake.write(spark.createDataFrame(w["usage"], NETWORK_USAGE), "silver.network_usage")
    ctx.lake.write(spark.createDataFrame(w["subscribers"], SUBSCRIBERS), "silver.subscribers")
    dest = [{"prefix": p, "zone": z, "description": z, "risk": r, "source_file": "d", "line_number": 1,
             "ingest_run_id": "t"} for p, z, r in DEST_ROWS]
    ctx.lake.write_arrow(pa.Table.from_pylist(dest, schema=arrow_schema(spec_for("silver.destinations"))),
                         "silver.destinations")
    summary = run_fraud(ctx)
    return ctx, w, summary


def _alerts(ctx, budget_only=True):
    df = ctx.read("gold.fraud_alerts")
    if budget_only:
        df = df.where("within_budget")
    return df


def test_every_planted_case_is_alerted_with_its_typology_and_nothing_else(world_run):
    ctx, w, summary = world_run
    got = {(r.subject, r.typology) for r in _alerts(ctx).select("subject", "typology").distinct().collect()}
    assert got == set(w["truth"].items())
    assert summary.train is not None and summary.train.champion
    assert summary.features.home_country_code == "49"


def test_alerts_explain_themselves_with_numbers(world_run):
    ctx, _, _ = world_run
    reasons = {r.typology: r.reasons for r in _alerts(ctx).orderBy("alert_date").collect()}
    assert reasons["simbox"].startswith("90 outgoing calls to 90 distinct numbers")
    assert "0 incoming" in reasons["simbox"] and "1 cell" in reasons["simbox"]
    assert "minutes in 20 calls to high-risk ranges" in reasons["irsf"]
    assert reasons["wangiri"].startswith("30 one-ring calls to 30 distinct subscribers")
    assert "3 callbacks from 3 subscribers" in reasons["wangiri"]
    assert "minutes to international/premium numbers" in reasons["subscription_fraud"]
    assert all("anomaly percentile" in text for text in reasons.values())


def test_alert_rows_follow_the_contract(world_run):
    ctx, _, summary = world_run
    alerts = _alerts(ctx, budget_only=False)
    rows = alerts.collect()
    assert {r.model_name for r in rows} == {"leakline-fraud"}
    assert {r.model_version for r in rows} == {summary.score.model_version}
    assert all(0.5 <= r.score <= 1.0 for r in rows)
    assert all(r.window_end - r.window_start == timedelta(days=1) for r in rows)
    ranks = sorted((r.alert_date, r.rank_in_day) for r in rows)
    for day in {r.alert_date for r in rows}:
        assert [k for d, k in ranks if d == day] == list(range(1, 1 + sum(1 for d, _ in ranks if d == day)))


def test_cases_are_stable_across_rescoring(world_run):
    ctx, w, _ = world_run
    before = sorted(tuple(r) for r in ctx.read("gold.cases").select("case_id", "subject", "category", "item_count")
                    .collect())
    run_score(ctx, [DAY])
    after = sorted(tuple(r) for r in ctx.read("gold.cases").select("case_id", "subject", "category", "item_count")
                   .collect())
    assert after == before
    assert sorted((s, c) for _, s, c, _ in after) == sorted(w["truth"].items())
    items = ctx.read("gold.case_items").select("item_id").collect()
    alert_ids = _alerts(ctx).select("alert_id").collect()
    assert sorted(items) == sorted(alert_ids)
    simbox = next(r for r in ctx.read("gold.cases").collect() if r.category == "simbox")
    assert simbox.kind == "fraud" and simbox.currency == "EUR" and simbox.amount_at_risk is not None


def test_champion_is_registered_with_signature_and_metrics(world_run):
    import mlflow
    from mlflow.tracking import MlflowClient

    ctx, _, summary = world_run
    ms = mlflow_settings(ctx.cfg)
    assert ms.tracking_uri.startswith("sqlite:////")
    client = MlflowClient(ms.tracking_uri, ms.registry_uri)
    champion = client.get_model_version_by_alias(ms.model_name, "champion")
    assert str(champion.version) == summary.train.version
    run = client.get_run(champion.run_id)
    assert {"pr_auc", "precision_at_budget", "recall_simbox"} <= set(run.data.metrics)
    assert run.data.metrics["pr_auc"] >= 0.6
    info = mlflow.models.get_model_info(f"models:/{ms.model_name}@champion")
    assert "segment" in info.signature.inputs.input_names()
    assert [o.name for o in info.signature.outputs.inputs] == ["anomaly", "fraud_proba", "model_score"]
    artifacts = {a.path for a in client.list_artifacts(champion.run_id, "plots")}
    assert artifacts == {"plots/pr_curve.png", "plots/score_distribution.png", "plots/feature_importances.png"}
    scoring_runs = client.search_runs([run.info.experiment_id], "tags.stage = 'score'")
    assert scoring_runs and "psi_max" in scoring_runs[0].data.metrics


def test_dispositions_feed_training_and_precision(world_run):
    ctx, w, _ = world_run
    cases = {r.subject: r.case_id for r in ctx.read("gold.cases").collect()}
    simbox, victim = sorted(s for s, t in w["truth"].items() if t == "simbox")[0], None
    victim = next(s for s, t in w["truth"].items() if t == "irsf")
    now = datetime(2026, 10, 6, 9, tzinfo=UTC)
    events = [
        {"event_seq": 1, "case_id": cases[simbox], "at": now, "actor": "ana", "action": "status",
         "from_status": "open", "to_status": "confirmed_fraud", "note": None, "amount": None},
        {"event_seq": 2, "case_id": cases[victim], "at": now, "actor": "ana", "action": "status",
         "from_status": "open", "to_status": "false_positive", "note": None, "amount": None},
    ]
    ctx.lake.write_arrow(pa.Table.from_pylist(events, schema=arrow_schema(spec_for("gold.case_events"))),
                         "gold.case_events")
    summary = run_train(ctx)
    assert summary.metrics["disposition_precision"] == 0.5
    assert summary.metrics["dispositions_confirmed"] == 1.0
    assert summary.metrics["disposition_precision_simbox"] == 1.0
    assert summary.metrics["disposition_precision_irsf"] == 0.0
    assert summary.champion_version is not None
    features = ctx.read("silver.fraud_features").where(F.col("subject") == victim)
    assert features.count() == 3


def test_leakline_score_cli_writes_the_same_alerts(world_run, capsys):
    from jobs.cli import main

    ctx, _, _ = world_run
    before = sorted(r.alert_id for r in _alerts(ctx).collect())
    code = main(["score", "--lakehouse", ctx.cfg.get_path("lake.root"), "--from", str(DAY - timedelta(days=2)),
                 "--to", str(DAY)])
    assert code == 0
    out = capsys.readouterr().out
    assert "with leakline-fraud@champion" in out and "drift: max PSI" in out
    assert sorted(r.alert_id for r in _alerts(ctx).collect()) == before
