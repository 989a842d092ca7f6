"""Accuracy on the generator's ground truth: generate -> ingest -> features -> train -> score.

Subject level, within the daily alert budget: recall >= 0.95 for every typology, precision >= 0.90
per typology and over all alerts. The truth file is read by the test only — never by the jobs.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from jobs.common.config import load_config
from jobs.common.context import JobContext

REPO = Path(__file__).resolve().parents[2]
TYPOLOGIES = ("simbox", "irsf", "wangiri", "subscription_fraud")


@pytest.fixture(scope="module")
def scored(spark, tmp_path_factory):
    from jobs.cli import main
    from jobs.fraud.job import run_fraud
    from jobs.ingest.job import run_ingest

    out = tmp_path_factory.mktemp("generated")
    assert main(["generate", "--out", str(out), "--subscribers", "600", "--days", "5", "--seed", "21"]) == 0
    cfg = load_config("local", conf_dir=REPO / "conf", overrides={"lake.root": str(out / "lakehouse")})
    ctx = JobContext(cfg, spark=spark)
    run_ingest(ctx, str(out / "landing"))
    summary = run_fraud(ctx)
    truth = list(csv.DictReader((out / "truth" / "fraud.csv").open(encoding="utf-8")))
    alerts = ctx.read("gold.fraud_alerts").where("within_budget").select("subject", "typology").distinct().collect()
    return truth, alerts, summary


@pytest.mark.slow
def test_recall_and_precision_per_typology_within_the_budget(scored):
    truth, alerts, summary = scored
    want = defaultdict(set)
    for row in truth:
        want[row["typology"]].add(row["subject"])
    got = defaultdict(set)
    for row in alerts:
        got[row.typology].add(row.subject)
    assert set(want) == set(TYPOLOGIES), "the generator plants every typology"
    report = {}
    for typology in TYPOLOGIES:
        hits = want[typology] & got[typology]
        report[typology] = (len(hits), len(want[typology]), len(got[typology]))
    flagged = set().union(*got.values())
    planted = set().union(*want.values())
    detail = f"per typology (hits, planted, alerted): {report}; anomalies: {sorted(got['anomaly'])}"
    for typology, (hits, planted_n, alerted_n) in report.items():
        assert hits / planted_n >= 0.95, f"recall of {typology} too low — {detail}"
        assert alerted_n and hits / alerted_n >= 0.90, f"precision of {typology} too low — {detail}"
    assert len(flagged & planted) / len(flagged) >= 0.90, f"overall precision too low — {detail}"
    assert summary.train is not None and summary.train.champion
