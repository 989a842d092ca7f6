"""Each feature transform on small inline DataFrames, compared whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fraud_inputs import DAY, calls, subscriber, ts, usage
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.common.errors import ContractError
from jobs.fraud import contracts as _contracts
from jobs.fraud.assemble import build_features
from jobs.fraud.external import external_daily
from jobs.fraud.features import (
    add_bursts,
    add_device_sharing,
    add_history_and_peers,
    enrich_usage,
    subscriber_daily,
    voice_tariffs,
)
from jobs.fraud.prefix import infer_home_country_code, longest_prefix_match, prefix_lengths
from jobs.fraud.settings import load_settings

A, B, C = "491510000001", "491510000002", "491510000003"


@pytest.fixture
def params(cfg):
    return load_settings(cfg).features


def _enriched(build, params, usage_rows, subs):
    dest = build.destinations()
    numbers = build.usage(usage_rows).selectExpr("other_party AS number")
    matches = longest_prefix_match(numbers, dest, prefix_lengths(dest))
    return enrich_usage(build.usage(usage_rows), build.subscribers(subs), matches,
                        voice_tariffs(build.tariffs()), p=params, home_cc="49")


def test_longest_prefix_match_keeps_the_longest_prefix(spark, build):
    dest = build.destinations()
    numbers = spark.createDataFrame([("491512345",), ("499001234",), ("88216555",), ("8829999",), ("7777",),
                                     ("491512345",)], "number string")
    got = longest_prefix_match(numbers, dest, prefix_lengths(dest))
    expected = spark.createDataFrame(
        [("491512345", "4915", "national_mobile", "normal"), ("499001234", "49900", "national_premium", "high"),
         ("88216555", "88216", "satellite", "high"), ("8829999", "882", "satellite", "high")],
        "number string, prefix string, zone string, risk string",
    )
    assertDataFrameEqual(got, expected)
    assert prefix_lengths(dest) == [2, 3, 4, 5]


def test_home_country_code_is_the_catalogue_prefix_covering_all_msisdns(build):
    subs = build.subscribers([subscriber("491510000001"), subscriber("491609999999")])
    assert infer_home_country_code(subs, build.destinations()) == "49"
    assert infer_home_country_code(subs, build.destinations([("1", "nanp", "normal")])) == "491"
    assert infer_home_country_code(build.subscribers([]), build.destinations()) == ""


def test_subscriber_daily_counts_minutes_shares_and_peaks(build, params):
    rows = [
        *calls(A, ["4930000001", "4930000002", "4930000002"], ts(DAY, 10), duration=60),
        usage(A, "8821600001", at=ts(DAY, 1, 30), duration=1800),  # satellite, 03:30 local: night
        usage(A, "4420000001", at=ts(DAY, 15), duration=120),  # international, normal risk
        usage(A, "4930000009", direction="MT", at=ts(DAY, 16), duration=30),
        usage(A, "4930000009", service="sms", at=ts(DAY, 17), duration=0),
        usage(A, "4930000009", service="sms", direction="MT", at=ts(DAY, 17, 5), duration=0),
        usage(A, None, service="data", at=ts(DAY, 18), duration=600, volume=2_500_000, cell="C2"),
    ]
    daily = subscriber_daily(_enriched(build, params, rows, [subscriber(A)]))
    got = daily.drop("activated_at", "avg_duration_s", "std_duration_s").first().asDict()
    assert got == {
        "msisdn": A, "usage_date": DAY, "plan_id": "POST_M", "payment_type": "postpaid",
        "mo_calls": 5, "mt_calls": 1, "mo_minutes": 35.0, "mt_minutes": 0.5, "mo_distinct_numbers": 4,
        "sms_mo": 1, "sms_mt": 1, "data_sessions": 1, "data_mb": 2.5, "distinct_cells": 2, "distinct_imeis": 1,
        "intl_calls": 2, "intl_minutes": 32.0, "high_risk_calls": 1, "high_risk_minutes": 30.0,
        "risk_minutes": 32.0, "intl_spend": Decimal("300.080000"), "high_risk_spend": Decimal("299.700000"),
        "peak_calls_hour": 3, "peak_high_risk_minutes_hour": 30.0, "distinct_share": 0.8, "mt_mo_ratio": 0.2,
        "national_share": 0.6, "night_share": 0.2,
    }
    durations = [60, 60, 60, 1800, 120]
    mean = sum(durations) / 5
    row = daily.first()
    assert row.avg_duration_s == pytest.approx(mean)
    assert row.std_duration_s == pytest.approx((sum((d - mean) ** 2 for d in durations) / 5) ** 0.5)


def test_bursts_reach_across_midnight(build, params):
    day0 = DAY - timedelta(days=1)
    rows = [
        *calls(A, ["8821600001"] * 3, ts(day0, 21, 30), gap_s=1800, duration=1500),  # 21:30, 22:00, 22:30
        *calls(A, ["8821600001"] * 2, ts(DAY, 0, 30), gap_s=1800, duration=1200),  # 00:30, 01:00
        usage(A, "8821600001", at=ts(DAY, 12), duration=600),  # alone, 11 hours later
        usage(B, "4930000001", at=ts(DAY, 1), duration=6000),  # long but not high-risk
    ]
    enriched = _enriched(build, params, rows, [subscriber(A), subscriber(B)])
    got = add_bursts(enriched, subscriber_daily(enriched), params).select("msisdn", "usage_date",
                                                                        "high_risk_minutes_burst")
    # 6-hour windows: day0 -> 3 x 25 min; DAY -> 01:00 window holds 21:30..01:00 = 75 + 40 minutes
    assertDataFrameEqual(got, [Row(msisdn=A, usage_date=day0, high_risk_minutes_burst=75.0),
                               Row(msisdn=A, usage_date=DAY, high_risk_minutes_burst=115.0),
                               Row(msisdn=B, usage_date=DAY, high_risk_minutes_burst=0.0)])


def test_device_sharing_counts_sims_per_tac_and_cell_and_imei(build, params):
    box_imei = "8609120300000001"
    rows = [
        *calls(A, [f"49300000{i:02d}" for i in range(3)], ts(DAY, 9), imei=box_imei, cell="X"),
        *calls(B, [f"49310000{i:02d}" for i in range(3)], ts(DAY, 9), imei="8609120300000002", cell="X"),
        usage(C, "4930000001", imei=box_imei, cell="Y"),  # same IMEI, other cell
    ]
    p = params.__class__(**{**params.__dict__, "heavy_mo_calls": 3})
    enriched = _enriched(build, p, rows, [subscriber(A), subscriber(B), subscriber(C)])
    got = add_device_sharing(enriched, subscriber_daily(enriched), p).select(
        "msisdn", "tac_sims", "tac_heavy_sims", "imei_sims")
    expected = [Row(msisdn=A, tac_sims=2, tac_heavy_sims=2, imei_sims=2),
                Row(msisdn=B, tac_sims=2, tac_heavy_sims=2, imei_sims=1),
                Row(msisdn=C, tac_sims=1, tac_heavy_sims=0, imei_sims=2)]
    assertDataFrameEqual(got, expected)


def test_history_and_peer_deviation(build, params):
    day0 = DAY - timedelta(days=2)
    rows = [
        usage(A, "4930000001", at=ts(day0, 10)),  # history: 1 call two days before
        *calls(A, [f"493000{i:04d}" for i in range(20)], ts(DAY, 10)),
        usage(B, "4930000001", at=ts(DAY, 10)),
        usage(B, "4930000002", at=ts(DAY, 11)),
        usage(C, "4930000001", at=ts(DAY, 10), ),
    ]
    subs = [subscriber(A, activated=datetime(2026, 9, 25, 8, tzinfo=UTC)), subscriber(B), subscriber(C)]
    p = params.__class__(**{**params.__dict__, "history_days": 3})
    got = add_history_and_peers(subscriber_daily(_enriched(build, p, rows, subs)), p).select(
        "msisdn", "usage_date", "history_days", "mo_calls_vs_history", "mo_calls_vs_plan", "days_since_activation")
    expected = [
        Row(msisdn=A, usage_date=day0, history_days=0, mo_calls_vs_history=None, mo_calls_vs_plan=1.0,
            days_since_activation=8),
        # history: 1 call over the 2 days available -> mean 0.5, floored at 1 -> 20x; plan median 2 -> 10x
        Row(msisdn=A, usage_date=DAY, history_days=2, mo_calls_vs_history=20.0, mo_calls_vs_plan=10.0,
            days_since_activation=10),
        Row(msisdn=B, usage_date=DAY, history_days=2, mo_calls_vs_history=2.0, mo_calls_vs_plan=1.0,
            days_since_activation=(DAY - date(2020, 1, 1)).days),
        Row(msisdn=C, usage_date=DAY, history_days=2, mo_calls_vs_history=1.0, mo_calls_vs_plan=0.5,
            days_since_activation=(DAY - date(2020, 1, 1)).days),
    ]
    assertDataFrameEqual(got, expected)


def test_external_numbers_one_ring_calls_and_callbacks(build, params):
    wangiri, shop = "882165550001", "4930123456"
    subs = [subscriber(f"4915100000{i:02d}") for i in range(6)]
    rows = [usage(s["msisdn"], wangiri, direction="MT", at=ts(DAY, 2, i), duration=i % 3)
            for i, s in enumerate(subs[:5])]
    rows += [
        usage(subs[0]["msisdn"], wangiri, at=ts(DAY, 6), duration=90),  # a callback
        usage(subs[1]["msisdn"], wangiri, at=ts(DAY, 1), duration=30),  # before the ring: no callback
        usage(subs[5]["msisdn"], shop, direction="MT", at=ts(DAY, 12), duration=200),
        usage(subs[4]["msisdn"], subs[5]["msisdn"], direction="MT", at=ts(DAY, 12), duration=2),  # on-net
    ]
    got = external_daily(_enriched(build, params, rows, subs), build.subscribers(subs), params, "49")
    expected = [
        Row(number=wangiri, usage_date=DAY, calls_to_subscribers=5, one_ring_calls=5, one_ring_targets=5,
            callbacks=1, callback_subs=1, callback_minutes=1.5, one_ring_share=1.0, destination_high_risk=True,
            national_share=0.0),
        Row(number=shop, usage_date=DAY, calls_to_subscribers=1, one_ring_calls=0, one_ring_targets=0,
            callbacks=0, callback_subs=0, callback_minutes=0.0, one_ring_share=0.0, destination_high_risk=False,
            national_share=1.0),
    ]
    assertDataFrameEqual(got, expected)


def test_build_features_fits_the_contract(build, params, ctx):
    subs = [subscriber(A, plan="PRE_BASIC", payment="prepaid"), subscriber(B)]
    rows = [*calls(A, ["4930000001", "4930000002"], ts(DAY, 10)), usage("882165550001", None)]
    rows[-1] = usage(B, "882165550001", direction="MT", duration=1)
    dest = build.destinations()
    usage_df = build.usage(rows)
    matches = longest_prefix_match(usage_df.selectExpr("other_party AS number"), dest, prefix_lengths(dest))
    features = build_features(usage_df, build.subscribers(subs), matches, voice_tariffs(build.tariffs()),
                              p=params, home_cc="49", dates=[DAY], run_id="run-1").localCheckpoint()
    checked = ctx.validate("silver.fraud_features", features)
    got = checked.select("subject", "subject_type", "segment", "mo_calls", "one_ring_targets", "window_start")
    start = datetime(DAY.year, DAY.month, DAY.day)
    assertDataFrameEqual(got, [
        Row(subject=A, subject_type="subscriber", segment="subscriber:prepaid", mo_calls=2, one_ring_targets=0,
            window_start=start),
        Row(subject=B, subject_type="subscriber", segment="subscriber:postpaid", mo_calls=0, one_ring_targets=0,
            window_start=start),
        Row(subject="882165550001", subject_type="external_number", segment="external_number", mo_calls=0,
            one_ring_targets=1, window_start=start),
    ])
    assert [f.name for f in features.schema] == [f.name for f in _contracts.FraudFeatures.to_structtype()]


def test_feature_contract_refuses_impossible_values(build, params, ctx):
    subs = [subscriber(A)]
    dest = build.destinations()
    usage_df = build.usage([usage(A, "4930000001")])
    matches = longest_prefix_match(usage_df.selectExpr("other_party AS number"), dest, prefix_lengths(dest))
    features = build_features(usage_df, build.subscribers(subs), matches, voice_tariffs(build.tariffs()),
                              p=params, home_cc="49", dates=[DAY], run_id="run-1")
    features = features.withColumn("distinct_share", F.lit(2.0)).localCheckpoint()
    with pytest.raises(ContractError, match="distinct_share"):
        ctx.validate("silver.fraud_features", features)


def test_night_uses_the_local_clock(build, params):
    # 22:30 UTC on a CEST day is 00:30 in Berlin: night; 05:30 UTC is 07:30: day
    rows = [usage(A, "4930000001", at=ts(DAY, 22, 30)), usage(A, "4930000002", at=ts(DAY, 5, 30))]
    got = subscriber_daily(_enriched(build, params, rows, [subscriber(A)])).select("night_share").first()[0]
    assert got == 0.5
    assert date(2026, 10, 5) == DAY
