"""Score combination, ranking, reasons, cases and labels on inline rows (no model, no MLflow)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fraud_inputs import DAY, feature_row
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.common.errors import ConfigError, LeaklineError
from jobs.common.tables import CASE_EVENTS, CASES, FRAUD_ALERTS, FRAUD_FEATURES
from jobs.fraud.cases import build_cases
from jobs.fraud.cli import dates_of
from jobs.fraud.labels import LabelPolicy, dispositions, label_rows
from jobs.fraud.scoring import add_reasons, budget_keys, combine, rank_alerts, to_alerts
from jobs.fraud.settings import load_settings
from jobs.fraud.signals import add_signals

SIMBOX = dict(mo_calls=150, mo_distinct_numbers=148, distinct_share=0.99, mt_mo_ratio=0.0, distinct_cells=1,
              tac_heavy_sims=4, days_since_activation=20, payment_type="prepaid", national_share=1.0,
              mo_calls_vs_plan=150.0)


@pytest.fixture
def settings(cfg):
    return load_settings(cfg)


def _scored(spark, settings, rows_with_model):
    """Feature rows + (anomaly, fraud_proba) -> combined, as the scoring job does after the model."""
    rows = [r for r, _ in rows_with_model]
    model = spark.createDataFrame([(r["subject"], a, p) for r, (a, p) in rows_with_model],
                                  "subject string, anomaly double, fraud_proba double")
    df = add_signals(spark.createDataFrame(rows, FRAUD_FEATURES), settings.signals).join(model, "subject")
    df = df.withColumn("model_score", F.coalesce("fraud_proba", "anomaly"))
    return combine(df, settings.scoring, settings.signals)


def test_typology_classifier_and_anomaly_paths(spark, settings):
    rows = [
        (feature_row("box", **SIMBOX), (0.99, 0.95)),
        (feature_row("quiet", mo_calls=3, mt_calls=2), (0.40, 0.01)),
        (feature_row("odd", mo_calls=3, mt_calls=2, risk_minutes=300.0, risk_minutes_vs_plan=300.0), (1.0, None)),
        (feature_row("odd-mild", mo_calls=3, mt_calls=2, risk_minutes=30.0, risk_minutes_vs_plan=30.0), (1.0, None)),
        (feature_row("liked", mo_calls=3, mt_calls=2), (0.5, 0.97)),
    ]
    got = _scored(spark, settings, rows).select("subject", F.round("score", 4).alias("score"), "typology", "candidate")
    sp = settings.scoring
    assertDataFrameEqual(got, [
        Row(subject="box", score=round(sp.rule_weight * 1.0 + (1 - sp.rule_weight) * 0.95, 4), typology="simbox",
            candidate=True),
        Row(subject="quiet", score=0.0, typology="anomaly", candidate=False),
        # extreme anomaly with a 300x deviation: model_only_weight x percentile
        Row(subject="odd", score=round(sp.model_only_weight * 1.0, 4), typology="anomaly", candidate=True),
        # extreme anomaly but only 30x its plan: not worth an analyst
        Row(subject="odd-mild", score=0.0, typology="anomaly", candidate=False),
        # a confident classifier alone
        Row(subject="liked", score=round(sp.model_only_weight * 0.97, 4), typology="anomaly", candidate=True),
    ])


def test_budget_ranks_per_day_and_reasons_read_like_an_analyst_note(spark, settings):
    rows = [(feature_row(f"box{i}", **{**SIMBOX, "mo_calls": 100 + i}), (0.99, 0.9 + i / 100)) for i in range(4)]
    rows.append((feature_row("other-day", day=DAY - timedelta(days=1), **SIMBOX), (0.99, 0.9)))
    scored = add_reasons(_scored(spark, settings, rows).where("candidate"), settings.scoring, settings.signals)
    sp = settings.scoring.__class__(**{**settings.scoring.__dict__, "daily_budget": 2})
    alerts = to_alerts(rank_alerts(scored, sp.daily_budget), "m", "3", "run-1")
    got = alerts.select("subject", "rank_in_day", "within_budget", "alert_date", "model_version")
    assertDataFrameEqual(got, [
        Row(subject="box3", rank_in_day=1, within_budget=True, alert_date=DAY, model_version="3"),
        Row(subject="box2", rank_in_day=2, within_budget=True, alert_date=DAY, model_version="3"),
        Row(subject="box1", rank_in_day=3, within_budget=False, alert_date=DAY, model_version="3"),
        Row(subject="box0", rank_in_day=4, within_budget=False, alert_date=DAY, model_version="3"),
        Row(subject="other-day", rank_in_day=1, within_budget=True, alert_date=DAY - timedelta(days=1),
            model_version="3"),
    ])
    reasons = {r.subject: r.reasons for r in alerts.collect()}
    assert reasons["box3"] == (
        "103 outgoing calls to 148 distinct numbers, 150x the plan median; 0 incoming; 0 SMS and 0 data sessions; "
        "1 cell; classifier probability 0.93; anomaly percentile 99.00% in its segment"
    )
    assert [f.name for f in alerts.schema] == [f.name for f in FRAUD_ALERTS]
    ids = {r.subject: r.alert_id for r in alerts.collect()}
    again = to_alerts(rank_alerts(scored, sp.daily_budget), "m", "4", "run-2").collect()
    assert {r.subject: r.alert_id for r in again} == ids  # deterministic ids


def _alert(subject, typology, day, score, *, budget=True, subject_type="subscriber"):
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return {"alert_id": f"{subject}-{day}", "subject": subject, "subject_type": subject_type, "typology": typology,
            "window_start": start, "window_end": start + timedelta(days=1), "score": score, "model_name": "m",
            "model_version": "1", "reasons": f"reason {score}; more", "run_id": "r", "rank_in_day": 1,
            "within_budget": budget, "alert_date": day}


def test_cases_one_per_subject_and_typology_with_stable_ids(spark):
    d1, d2 = DAY - timedelta(days=1), DAY
    alerts = spark.createDataFrame([
        _alert("A", "simbox", d1, 0.8), _alert("A", "simbox", d2, 0.95), _alert("B", "irsf", d2, 0.7),
        _alert("C", "anomaly", d2, 0.55, budget=False), _alert("W", "wangiri", d2, 0.9, subject_type="external_number"),
    ], FRAUD_ALERTS)
    features = spark.createDataFrame([
        feature_row("A", day=d1, intl_spend=Decimal("1.5")), feature_row("A", day=d2, high_risk_spend=Decimal("2.25")),
        feature_row("B", day=d2, high_risk_spend=Decimal("100")),
    ], FRAUD_FEATURES)
    now = datetime(2026, 10, 6, tzinfo=UTC)
    cases, items = build_cases(alerts, features, bands=((0.9, 1), (0.75, 2)), currency="EUR", run_id="r", now=now)
    got = cases.select("subject", "category", "priority", "amount_at_risk", "currency", "item_count", "first_seen",
                       "last_seen", "score", "root_cause", "title")
    start = datetime(d1.year, d1.month, d1.day)
    assertDataFrameEqual(got, [
        Row(subject="A", category="simbox", priority=1, amount_at_risk=Decimal("3.750000"), currency="EUR",
            item_count=2, first_seen=start, last_seen=start + timedelta(days=2), score=0.95, root_cause="reason 0.95",
            title="SIM box (interconnect bypass): A"),
        Row(subject="B", category="irsf", priority=4, amount_at_risk=Decimal("100.000000"), currency="EUR",
            item_count=1, first_seen=start + timedelta(days=1), last_seen=start + timedelta(days=2), score=0.7,
            root_cause="reason 0.7", title="International revenue share fraud: B"),
        Row(subject="W", category="wangiri", priority=1, amount_at_risk=None, currency=None, item_count=1,
            first_seen=start + timedelta(days=1), last_seen=start + timedelta(days=2), score=0.9,
            root_cause="reason 0.9", title="Wangiri one-ring number: W"),
    ])
    again, _ = build_cases(alerts.where(F.col("alert_date") == d2), features, bands=(), currency="EUR",
                           run_id="r2", now=now)
    ids = {r.subject: r.case_id for r in cases.collect()}
    assert {r.subject: r.case_id for r in again.collect()} == ids
    assert sorted((r.case_id, r.item_id) for r in items.collect()) == sorted(
        [(ids["A"], f"A-{d1}"), (ids["A"], f"A-{d2}"), (ids["B"], f"B-{d2}"), (ids["W"], f"W-{d2}")])
    assert [f.name for f in cases.schema] == [f.name for f in CASES]


def _event(seq, case_id, to_status, hour):
    return {"event_seq": seq, "case_id": case_id, "at": datetime(2026, 10, 6, hour, tzinfo=UTC), "actor": "ana",
            "action": "status", "from_status": None, "to_status": to_status, "note": None, "amount": None}


def test_dispositions_label_their_subjects_and_override_weak_labels(spark, settings):
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    case = {"kind": "fraud", "title": "t", "root_cause": None, "subject_type": "subscriber", "priority": 1,
            "amount_at_risk": None, "currency": None, "item_count": 1, "first_seen": start,
            "last_seen": start + timedelta(days=1), "score": 0.9, "reasons": "r", "run_id": "r", "updated_at": start}
    cases = spark.createDataFrame([
        {**case, "case_id": "c1", "category": "simbox", "subject": "A"},
        {**case, "case_id": "c2", "category": "irsf", "subject": "B"},
        {**case, "case_id": "c3", "category": "irsf", "subject": "C"},
    ], CASES)
    events = spark.createDataFrame([
        _event(1, "c1", "investigating", 8), _event(2, "c1", "confirmed_fraud", 9),
        _event(3, "c2", "false_positive", 9),
        _event(4, "c3", "confirmed_fraud", 9), _event(5, "c3", "investigating", 10),  # reopened: no label
    ], CASE_EVENTS)
    disp = dispositions(events, cases)
    assertDataFrameEqual(disp.select("case_id", "subject", "label", "first_day", "last_day"), [
        Row(case_id="c1", subject="A", label=1, first_day=DAY, last_day=DAY),
        Row(case_id="c2", subject="B", label=0, first_day=DAY, last_day=DAY),
    ])
    rows = [feature_row("A", **SIMBOX), feature_row("A", day=DAY - timedelta(days=1), **SIMBOX),
            feature_row("B", **SIMBOX), feature_row("D", **SIMBOX), feature_row("E")]
    signals = add_signals(spark.createDataFrame(rows, FRAUD_FEATURES), settings.signals)
    policy = LabelPolicy(0.7, 0.2, min_dispositions=2, disposition_weight=5.0, dispositions_only_after=10)
    got = label_rows(signals, disp, 2, policy).select("subject", "feature_date", "label", "label_typology",
                                                      "weight", "label_source")
    assertDataFrameEqual(got, [
        Row(subject="A", feature_date=DAY, label=1.0, label_typology="simbox", weight=5.0, label_source="disposition"),
        Row(subject="A", feature_date=DAY - timedelta(days=1), label=1.0, label_typology="simbox", weight=1.0,
            label_source="weak"),
        Row(subject="B", feature_date=DAY, label=0.0, label_typology=None, weight=5.0, label_source="disposition"),
        Row(subject="D", feature_date=DAY, label=1.0, label_typology="simbox", weight=1.0, label_source="weak"),
        Row(subject="E", feature_date=DAY, label=0.0, label_typology=None, weight=1.0, label_source="weak"),
    ])
    only = LabelPolicy(0.7, 0.2, min_dispositions=2, disposition_weight=5.0, dispositions_only_after=2)
    sources = {r.label_source for r in label_rows(signals, disp, 2, only).collect()}
    assert sources == {"disposition", None}


def test_cli_dates_and_config_mistakes(cfg):
    ns = argparse.Namespace(date=[date(2026, 10, 9)], date_from=date(2026, 10, 1), date_to=date(2026, 10, 2))
    assert dates_of(ns) == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 9)]
    assert dates_of(argparse.Namespace(date=None, date_from=None, date_to=None)) is None
    with pytest.raises(LeaklineError, match="--from and --to go together"):
        dates_of(argparse.Namespace(date=None, date_from=date(2026, 10, 1), date_to=None))
    bad = cfg.with_overrides({"fraud.signals.typologies": {"simbox": {"subject_type": "subscriber",
                                                                      "required": [["mo_calls", "x", 5]]}}})
    with pytest.raises(ConfigError, match=r"fraud.signals.typologies.simbox.required.*\[column, from, to\]"):
        load_settings(bad)


def test_budget_caps_new_cases_per_day_and_follow_ups_take_no_slot():
    d1, d2, d3 = DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)
    s = "subscriber"
    alerts = [
        (d1, s, "A", "simbox", 0.9), (d1, s, "B", "simbox", 0.8), (d1, s, "C", "simbox", 0.7),
        (d2, s, "A", "simbox", 0.9), (d2, s, "B", "simbox", 0.8), (d2, s, "C", "simbox", 0.7),
        (d2, s, "D", "irsf", 0.6),
        (d3, s, "E", "irsf", 0.95), (d3, s, "D", "irsf", 0.6), (d3, s, "X", "anomaly", 0.55),
    ]
    picked = budget_keys(alerts, opened={(s, "Z", "simbox")}, budget=2)
    assert picked == {
        (d1, s, "A", "simbox"), (d1, s, "B", "simbox"),  # C misses day 1's two slots
        (d2, s, "A", "simbox"), (d2, s, "B", "simbox"),  # follow-ups of open cases
        (d2, s, "C", "simbox"), (d2, s, "D", "irsf"),  # day 2's two new cases
        (d3, s, "D", "irsf"), (d3, s, "E", "irsf"), (d3, s, "X", "anomaly"),
    }
    assert budget_keys([(d1, s, "Z", "simbox", 0.1)], opened={(s, "Z", "simbox")}, budget=0) == {
        (d1, s, "Z", "simbox")}
