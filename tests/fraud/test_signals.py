"""Typology signals on inline feature rows: each typology's likeness and the chosen typology."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fraud_inputs import feature_row
from pyspark.sql import functions as F

from jobs.common.tables import FRAUD_FEATURES
from jobs.fraud.settings import load_settings
from jobs.fraud.signals import add_signals, ramp, weak_label

TYPOLOGIES = ["simbox", "irsf", "wangiri", "subscription_fraud"]


@pytest.fixture
def signals(cfg):
    return load_settings(cfg).signals


def _likeness(spark, signals, rows):
    df = add_signals(spark.createDataFrame(rows, FRAUD_FEATURES), signals)
    cols = ["subject", *[F.round(f"like_{t}", 3).alias(t) for t in TYPOLOGIES], "best_typology"]
    return {r["subject"]: r.asDict() for r in df.select(*cols).collect()}


def test_ramp_is_linear_between_its_ends_and_clipped(spark):
    df = spark.createDataFrame([(v,) for v in (None, 0.0, 30.0, 55.0, 80.0, 200.0)], "x double")
    up = [r[0] for r in df.select(ramp(F.col("x"), 30, 80)).collect()]
    down = [r[0] for r in df.select(ramp(F.col("x"), 80, 30)).collect()]
    assert up == [0.0, 0.0, 0.0, 0.5, 1.0, 1.0]
    assert down == [0.0, 1.0, 1.0, 0.5, 0.0, 0.0]


def test_each_typology_is_recognised_and_normal_lines_are_not(spark, signals):
    rows = [
        feature_row("simbox", mo_calls=150, mo_distinct_numbers=148, distinct_share=0.99, mt_mo_ratio=0.0,
                    distinct_cells=1, tac_heavy_sims=4, days_since_activation=20, payment_type="prepaid",
                    segment="subscriber:prepaid", national_share=1.0, mo_calls_vs_plan=150.0),
        feature_row("irsf", mo_calls=30, high_risk_calls=28, high_risk_minutes=700.0, risk_minutes=700.0,
                    high_risk_minutes_burst=650.0,
                    peak_high_risk_minutes_hour=300.0, night_share=0.9, risk_minutes_vs_history=700.0),
        feature_row("wangiri", "external_number", one_ring_calls=50, one_ring_targets=50, calls_to_subscribers=50,
                    one_ring_share=1.0, callbacks=4, callback_subs=4, destination_high_risk=True, national_share=0.0),
        feature_row("subscription", mo_calls=25, intl_minutes=180.0, high_risk_minutes=70.0, high_risk_calls=7,
                    risk_minutes=250.0, risk_minutes_vs_plan=250.0, days_since_activation=3,
                    high_risk_minutes_burst=40.0,
                    intl_spend=Decimal("150"), high_risk_spend=Decimal("140")),
        feature_row("normal", mo_calls=4, mt_calls=3, mo_distinct_numbers=3, distinct_share=0.75, mt_mo_ratio=0.75,
                    distinct_cells=3, sms_mo=2, data_sessions=3, national_share=0.75, intl_minutes=3.0,
                    risk_minutes=3.0, mo_calls_vs_plan=2.0),
        feature_row("busy-but-normal", mo_calls=35, mt_calls=30, mo_distinct_numbers=20, distinct_share=0.57,
                    mt_mo_ratio=0.86, distinct_cells=4, sms_mo=10, data_sessions=20, national_share=0.9),
        feature_row("caller", "external_number", calls_to_subscribers=30, one_ring_calls=2, one_ring_targets=2,
                    one_ring_share=0.07, national_share=1.0),
    ]
    got = _likeness(spark, signals, rows)
    assert got["simbox"] == {"subject": "simbox", "simbox": 1.0, "irsf": 0.0, "wangiri": 0.0,
                             "subscription_fraud": 0.0, "best_typology": "simbox"}
    # irsf: required fully met; supporting all met but the account age (2000 days -> 1.0) -> 1.0
    assert got["irsf"] == {"subject": "irsf", "simbox": 0.0, "irsf": 1.0, "wangiri": 0.0,
                           "subscription_fraud": 0.0, "best_typology": "irsf"}
    assert got["wangiri"] == {"subject": "wangiri", "simbox": 0.0, "irsf": 0.0, "wangiri": 1.0,
                              "subscription_fraud": 0.0, "best_typology": "wangiri"}
    # subscription: new account, 250 risk minutes; supporting: plan x250 (1), 25 calls (1), spend 290 (1),
    # postpaid (1) -> 1.0. It half-looks like irsf: a 40-minute high-risk burst -> (40-15)/45, support:
    # 70 daily high-risk minutes (50/70), 7 calls (4/7), nothing else -> 0.6 + 0.4 * (50/70 + 4/7) / 6
    sub = got["subscription"]
    assert sub["subscription_fraud"] == 1.0 and sub["best_typology"] == "subscription_fraud"
    assert sub["irsf"] == pytest.approx(round(25 / 45 * (0.6 + 0.4 * (50 / 70 + 4 / 7) / 6), 3))
    for quiet in ("normal", "busy-but-normal", "caller"):
        assert got[quiet]["best_typology"] == "anomaly", got[quiet]
        assert max(got[quiet][t] for t in TYPOLOGIES) < signals.near_miss_at


def test_a_typology_applies_to_its_subject_type_only(spark, signals):
    # an external number with subscriber-like counts is never a simbox
    row = feature_row("x", "external_number", mo_calls=150, distinct_share=1.0, mt_mo_ratio=0.0)
    assert _likeness(spark, signals, [row])["x"]["simbox"] == 0.0


def test_weak_labels_from_likeness(spark):
    df = spark.createDataFrame([(0.9,), (0.7,), (0.5,), (0.19,), (0.0,)], "l double")
    got = [r[0] for r in df.select(weak_label(F.col("l"), 0.7, 0.2)).collect()]
    assert got == [1, 1, None, 0, 0]
