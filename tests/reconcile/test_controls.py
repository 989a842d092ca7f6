"""The seven controls, KPIs and root-cause cases on one inline scenario (no lake: reconcile_frames)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.common.config import load_config
from jobs.reconcile.cases import build_cases, priority
from jobs.reconcile.flow import reconcile_frames
from jobs.reconcile.settings import settings_from
from reconcile.silver import AS_OF, BILLED, DAY, NETWORK, SUBSCRIBERS, A, B, C, D, X, frames

REPO = Path(__file__).resolve().parents[2]

FINDING = ("control string, record_id string, event_id string, msisdn string, service string, "
           "expected_charge decimal(18,6), billed_charge decimal(18,6), amount_at_risk decimal(18,6), "
           "plan_id string, zone string, usage_date date")


def d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@pytest.fixture(scope="module")
def settings():
    return settings_from(load_config("local", conf_dir=REPO / "conf"))


@pytest.fixture(scope="module")
def result(spark, settings):
    silver = {k.split(".")[1]: v for k, v in frames(spark, NETWORK, BILLED, subscribers=SUBSCRIBERS).items()}
    return reconcile_frames(spark, silver, [DAY], settings=settings, as_of=AS_OF, run_id="run-1")


def test_every_control_fires_exactly_where_it_should(spark, result):
    rows = [
        ("unbilled_usage", "R2", None, A, "voice", "0.10", "0", "0.10", "P1", "national"),
        ("unbilled_usage", "R6", None, D, "voice", "0.10", "0", "0.10", "P1", "national"),
        ("unbilled_usage", "R7", None, D, "voice", "0.10", "0", "0.10", "P1", "national"),
        ("unbilled_usage", "R8", None, X, "voice", None, "0", None, None, "national"),
        ("phantom_billing", None, "E7", A, "voice", "0", "0.50", "-0.50", "P1", None),
        ("phantom_billing", None, "E8", A, "voice", "0", "0.30", "-0.30", "P1", None),
        ("phantom_billing", None, "E12", A, "voice", "0", "0.40", "-0.40", "P3", None),
        ("duplicate_billing", "R1", "E2dup", A, "voice", "0", "0.20", "-0.20", "P1", None),
        ("rating_error", "R3", "E3", A, "voice", "0.36", "0.30", "0.06", "P1", "national_mobile"),
        ("rating_error", "R4", "E4", A, "voice", "0.20", "0.10", "0.10", "P1", "national"),
        ("rating_error", "R10", "E10", B, "voice", None, "0.50", None, "P2", "intl_zone1_mobile"),
        ("usage_mismatch", "R4", "E4", A, "voice", "0.20", "0.10", "0.10", "P1", "national"),
        ("inactive_subscriber_usage", "R5", None, C, "voice", "0.10", "0.10", "0", "P1", "national"),
        ("inactive_subscriber_usage", "R6", None, D, "voice", "0.10", "0", "0.10", "P1", "national"),
        ("inactive_subscriber_usage", "R8", None, X, "voice", None, "0", None, None, "national"),
        ("plan_mismatch", "R9", "E9", A, "data", "0.01", "0.01", "0", "P1", None),
        ("plan_mismatch", None, "E12", A, "voice", "0", "0.40", "-0.40", "P1", None),
    ]
    expected = spark.createDataFrame(
        [(c, r, e, m, s, d(x), d(b), d(a), p, z, DAY) for c, r, e, m, s, x, b, a, p, z in rows], FINDING)
    got = result.findings.select(*[c.split()[0] for c in FINDING.split(", ")])
    assertDataFrameEqual(got, expected)
    assertDataFrameEqual(result.pending, spark.createDataFrame([], result.pending.schema))


def test_details_say_why(result):
    details = {(r["control"], r["event_id"] or r["record_id"]): r["details"] for r in result.findings.collect()}
    assert details[("rating_error", "E10")].startswith("tariff gap: no tariff row for plan P2, voice, zone "
                                                       "intl_zone1_mobile in force at 2026-10-05T10:13:20Z")
    assert details[("rating_error", "E3")] == ("billed 0.3000, expected 0.3600: plan P1 voice zone national_mobile "
                                               "at 0.1200 per minute, 180 s chargeable of 180 s")
    assert details[("usage_mismatch", "E4")] == "billed 60 s, network 95 s rounds to 120 s (increment 60 s)"
    assert details[("inactive_subscriber_usage", "R6")] == (
        "usage after the line was terminated at 2026-10-05T10:16:40Z; not billed")
    assert details[("phantom_billing", "E8")] == "source_record_id NOPE names no billable network record"
    assert details[("plan_mismatch", "E12")] == "billed on plan P3, the subscriber's plan is P1"
    ids = [r["finding_id"] for r in result.findings.collect()]
    assert len(set(ids)) == len(ids)


def test_kpis_per_day_service_and_control(spark, result):
    voice = (10, 9, 9, 5, Decimal("0.555556"), Decimal("1.16"), Decimal("2.60"))
    data = (1, 1, 1, 1, Decimal("1.000000"), Decimal("0.01"), Decimal("0.01"))
    per_control = {
        ("voice", "unbilled_usage"): (4, "0.30", "0", "25.862069"),
        ("voice", "phantom_billing"): (3, "0", "1.20", "0"),
        ("voice", "duplicate_billing"): (1, "0", "0.20", "0"),
        ("voice", "rating_error"): (3, "0.16", "0", "13.793103"),
        ("voice", "usage_mismatch"): (1, "0.10", "0", "8.620690"),
        ("voice", "inactive_subscriber_usage"): (3, "0.10", "0", "8.620690"),
        ("voice", "plan_mismatch"): (1, "0", "0.40", "0"),
        ("data", "plan_mismatch"): (1, "0", "0", "0"),
    }
    rows = []
    for service, volume in (("voice", voice), ("data", data)):
        for control in ("unbilled_usage", "phantom_billing", "duplicate_billing", "rating_error", "usage_mismatch",
                        "inactive_subscriber_usage", "plan_mismatch"):
            n, leak, over, pct = per_control.get((service, control), (0, "0", "0", "0"))
            net_, billable, billed, matched, rate, exp, rev = volume
            rows.append((DAY, service, control, net_, billable, billed, matched, rate, n, exp, rev, Decimal(leak),
                         Decimal(over), Decimal(pct), "run-1"))
    expected = spark.createDataFrame(rows, result.kpi.schema)
    assertDataFrameEqual(result.kpi, expected)


def test_money_in_findings_equals_the_kpi_totals_to_the_last_decimal(result):
    per_control = {r["control"]: r["s"] for r in
                   result.findings.groupBy("control").agg(F.sum("amount_at_risk").alias("s")).collect()}
    kpi = {r["control"]: r["s"] for r in
           result.kpi.groupBy("control").agg(F.sum(F.col("leakage") - F.col("overbilling")).alias("s")).collect()}
    assert {c: kpi[c] for c in per_control} == per_control
    assert sum(per_control.values()) == Decimal("-1.140000")


def test_cases_group_findings_by_root_cause(spark, settings, result):
    findings = result.findings.cache()
    cases, items = build_cases(findings, settings.case_rules, settings.priority_thresholds, "run-1", AS_OF)
    got = cases.select("category", "title", "subject", "priority", "amount_at_risk", "item_count")
    expected = spark.createDataFrame([
        ("rating_error", "Tariff gap: P2 voice intl_zone1_mobile", "P2|voice|intl_zone1_mobile", 4, None, 1),
        ("rating_error", "Tariff not updated: P1 voice national_mobile at 0.1200", "P1|voice|national_mobile", 4,
         Decimal("0.06"), 1),
        ("rating_error", "Tariff not updated: P1 voice national at 0.1000", "P1|voice|national", 4,
         Decimal("0.10"), 1),
        ("unbilled_usage", "Feed gap: MSC-01 on 2026-10-05", "MSC-01", 4, Decimal("0.30"), 4),
        ("inactive_subscriber_usage", f"Usage on an inactive or unknown line: {C}", C, 4, Decimal("0"), 1),
        ("inactive_subscriber_usage", f"Usage on an inactive or unknown line: {D}", D, 4, Decimal("0.10"), 1),
        ("inactive_subscriber_usage", f"Usage on an inactive or unknown line: {X}", X, 4, None, 1),
        ("duplicate_billing", f"Duplicate billing: {A}", A, 4, Decimal("-0.20"), 1),
        ("phantom_billing", f"Billing without network usage: {A}", A, 4, Decimal("-1.20"), 3),
        ("usage_mismatch", "Billed usage differs from network usage: P1 voice", "P1|voice", 4, Decimal("0.10"), 1),
        ("plan_mismatch", f"Billed on the wrong plan: {A}", A, 4, Decimal("-0.40"), 2),
    ], "category string, title string, subject string, priority int, amount_at_risk decimal(18,6), item_count long")
    assertDataFrameEqual(got, expected)
    # every finding is in exactly one case; items point at real cases
    assert items.count() == findings.count() == items.select("item_id").distinct().count()
    assert items.join(cases, "case_id", "left_anti").count() == 0
    # case ids hash the grouping key only: the same grouping from another run gives the same ids
    again, _ = build_cases(findings, settings.case_rules, settings.priority_thresholds, "run-2", AS_OF)
    assertDataFrameEqual(again.select("case_id", "title"), cases.select("case_id", "title"))
    findings.unpersist()


def test_priority_from_money_thresholds(spark):
    df = spark.createDataFrame([(Decimal(v),) if v else (None,) for v in
                                ["1000", "999.99", "-150", "10", "9.99", None]], "a decimal(18,6)")
    got = df.select(priority(F.col("a"), [Decimal(1000), Decimal(100), Decimal(10)]).alias("p"))
    assertDataFrameEqual(got, spark.createDataFrame([(1,), (2,), (2,), (3,), (4,), (4,)], "p int"),
                         checkRowOrder=True)
