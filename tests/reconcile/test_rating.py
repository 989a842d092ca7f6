"""Independent re-rating: increments, longest prefix, zones, allowances, effective dates, tariff gaps."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.reconcile.rating import (
    bill_cycle,
    billed_quantity,
    expected_charge,
    increment_base,
    longest_prefix_zone,
    prefix_lengths,
    rate_usage,
)
from reconcile.silver import (
    CEST,
    DESTINATIONS_ROWS,
    FIXED,
    MOBILE,
    TARIFF_ROWS,
    A,
    B,
    X,
    at,
    frames,
    net,
    sub,
    tariff,
)

RATED = "record_id string, zone string, rounded_qty long, chargeable_qty decimal(18,6), expected_charge decimal(18,6)"


def rated(spark, network, **kw):
    f = frames(spark, network, [], **kw)
    d = f["silver.destinations"]
    return rate_usage(f["silver.network_usage"], f["silver.subscribers"], d, f["silver.tariffs"], prefix_lengths(d))


def test_billed_quantity_rounds_up_to_whole_increments(spark):
    df = spark.createDataFrame(
        [("voice", 61, 60), ("voice", 60, 60), ("voice", 0, 60), ("voice", 7, 1), ("voice", 31, 30),
         ("sms", 1, 1), ("data", 150_000, 100), ("data", 100_000, 100), ("data", 1, 1000)],
        "service string, raw long, increment long",
    )
    inc = increment_base(F.col("service"), F.col("increment"))
    out = df.select("service", "raw", billed_quantity(F.col("raw"), inc).alias("q"))
    expected = spark.createDataFrame(
        [("voice", 61, 120), ("voice", 60, 60), ("voice", 0, 0), ("voice", 7, 7), ("voice", 31, 60),
         ("sms", 1, 1), ("data", 150_000, 200_000), ("data", 100_000, 100_000), ("data", 1, 1_000_000)],
        "service string, raw long, q long",
    )
    assertDataFrameEqual(out, expected)


def test_expected_charge_is_exact_and_rounds_half_up(spark):
    df = spark.createDataFrame(
        [(Decimal("0.12345"), Decimal(60), 60), (Decimal("0.12344"), Decimal(60), 60),
         (Decimal("0.09"), Decimal(30), 60), (Decimal("0.10"), Decimal(10), 60),
         (Decimal("0.05"), Decimal(1_500_000), 1_000_000), (Decimal("0.00015"), Decimal(20), 60)],
        "price decimal(18,6), qty decimal(18,6), unit long",
    )
    out = df.select(expected_charge(F.col("price"), F.col("qty"), F.col("unit")).alias("c"))
    # 0.12345 -> 0.1235 (half-up, not half-even); 0.1/6 = 0.01666.. -> 0.0167; 0.00005 exactly -> 0.0001
    want = ["0.1235", "0.1234", "0.0450", "0.0167", "0.0750", "0.0001"]
    expected = spark.createDataFrame([(Decimal(w),) for w in want], "c decimal(18,6)")
    assertDataFrameEqual(out, expected, checkRowOrder=True)


def test_longest_prefix_wins(spark):
    dest = spark.createDataFrame([(d["prefix"], d["zone"]) for d in DESTINATIONS_ROWS], "prefix string, zone string")
    numbers = spark.createDataFrame(
        [("447012345678",), ("447712345678",), ("441234567",), ("4930123456",), ("4940123456",), ("12345",),
         (None,)], "other_party string")
    out = longest_prefix_zone(numbers, dest, prefix_lengths(dest))
    expected = spark.createDataFrame(
        [("447012345678", "4470", "intl_high_risk"), ("447712345678", "447", "intl_zone1_mobile"),
         ("441234567", "44", "intl_zone1"), ("4930123456", "4930", "national"), ("4940123456", "49", "national"),
         ("12345", None, None), (None, None, None)],
        "other_party string, dest_prefix string, dest_zone string",
    )
    assertDataFrameEqual(out, expected)


def test_longest_prefix_on_the_real_carrier_catalog(spark, carrier_rates_path):
    with open(carrier_rates_path, encoding="latin-1", newline="") as fh:
        rows = [(r["PREFIX"].strip(), r["DESTINATION"].strip()) for r in csv.DictReader(fh)]
    assert len(rows) == 11_894
    catalogue = dict(rows)
    dest = spark.createDataFrame(rows, "prefix string, zone string")
    # numbers under real prefixes of every length, plus one that matches nothing
    picks = [*sorted(catalogue, key=lambda p: (len(p), p))[:: len(catalogue) // 40], "8829912345", "0000"]
    numbers = [p + "123456" if not p.startswith("0") else p for p in picks]

    def brute(number: str) -> tuple[str | None, str | None]:
        hits = [p for p in catalogue if number.startswith(p)]
        best = max(hits, key=len) if hits else None
        return best, catalogue.get(best) if best else None

    got = longest_prefix_zone(spark.createDataFrame([(n,) for n in numbers], "other_party string"), dest,
                              prefix_lengths(dest))
    expected = spark.createDataFrame([(n, *brute(n)) for n in numbers],
                                     "other_party string, dest_prefix string, dest_zone string")
    assertDataFrameEqual(got, expected)
    plan = got._jdf.queryExecution().executedPlan().toString()
    assert "CartesianProduct" not in plan and "BroadcastNestedLoopJoin" not in plan


def test_zones_roaming_home_data_and_not_billable_mt(spark):
    out = rated(spark, [
        net("R1", at(0), duration_s=60, roaming_plmn="20801"),
        net("R2", at(10), service="data", volume_bytes=150_000),
        net("R3", at(20), service="data", volume_bytes=10, roaming_plmn="20801"),
        net("R4", at(30), duration_s=60, other_party=MOBILE),
        net("R5", at(40), direction="MT", duration_s=60),
        net("R6", at(50), service="sms", other_party=MOBILE),
    ], tariffs=[*TARIFF_ROWS, tariff("P1", "data", "roaming", "0.49", increment=1000)])
    expected = spark.createDataFrame([
        ("R1", "roaming", 60, Decimal(60), Decimal("0.29")),
        ("R2", "home", 200_000, Decimal(200_000), Decimal("0.01")),
        ("R3", "roaming", 1_000_000, Decimal(1_000_000), Decimal("0.49")),
        ("R4", "national_mobile", 60, Decimal(60), Decimal("0.12")),
        ("R5", "national", 60, None, None),
        ("R6", "national_mobile", 1, Decimal(1), Decimal("0.09")),
    ], RATED)
    assertDataFrameEqual(out.select(*[c.split()[0] for c in RATED.split(", ")]), expected)


def test_allowance_is_consumed_in_start_order_and_a_crossing_record_pays_the_rest(spark):
    tariffs = [tariff("P1", "voice", "national", "0.10", included="1.5")]  # 90 s free per cycle
    out = rated(spark, [
        net("R3", at(200), duration_s=50),  # 60 s, cumulative 300: pays 60 s
        net("R1", at(0), duration_s=45),  # 60 s, cumulative 120: crosses 90, pays 30 s
        net("R2", at(100), duration_s=61),  # 120 s, cumulative 240: pays 120 s
        net("R0", at(0), duration_s=1, source_system="MSC-00"),  # same start, lower source system: first, free
        net("R9", at(50), direction="MT", duration_s=600),  # MT usage never consumes the allowance
        net("R8", at(60), msisdn=B, duration_s=30),  # other line, other plan: own pool (no allowance)
    ], tariffs=[*tariffs, tariff("P2", "voice", "national", "0.05", increment=1)])
    expected = spark.createDataFrame([
        ("R0", "national", 60, Decimal(0), Decimal(0)),
        ("R1", "national", 60, Decimal(30), Decimal("0.05")),
        ("R2", "national", 120, Decimal(120), Decimal("0.20")),
        ("R3", "national", 60, Decimal(60), Decimal("0.10")),
        ("R9", "national", 600, None, None),
        ("R8", "national", 30, Decimal(30), Decimal("0.025")),
    ], RATED)
    assertDataFrameEqual(out.select(*[c.split()[0] for c in RATED.split(", ")]), expected)


def test_effective_dates_are_utc_with_exclusive_end_and_cycles_are_utc_months(spark):
    switch = date(2026, 10, 5)
    tariffs = [tariff("P1", "voice", "national", "0.10", effective_to=switch),
               tariff("P1", "voice", "national", "0.20", effective_from=switch, included="1")]
    out = rated(spark, [
        net("R1", datetime(2026, 10, 4, 23, 59, 59, tzinfo=UTC), duration_s=60),
        net("R2", datetime(2026, 10, 5, 1, 30, tzinfo=CEST), duration_s=60),  # 23:30Z on the 4th: old price
        # new row from 00:00Z; its 1 free minute is already used up by R1 and R2 (same cycle and zone)
        net("R3", datetime(2026, 10, 5, 0, 0, 0, tzinfo=UTC), duration_s=60),
        net("R4", datetime(2026, 10, 5, 0, 0, 1, tzinfo=UTC), duration_s=60),
        net("R5", datetime(2026, 11, 1, 0, 30, tzinfo=CEST), duration_s=60),  # 22:30Z on Oct 31: October cycle
        net("R6", datetime(2026, 11, 1, 0, 0, 0, tzinfo=UTC), duration_s=60),  # November: a fresh free minute
    ], tariffs=tariffs)
    got = out.select("record_id", bill_cycle(F.col("start_time")).alias("bill_cycle"), "price_per_unit",
                     "expected_charge")
    expected = spark.createDataFrame([
        ("R1", "2026-10", Decimal("0.10"), Decimal("0.10")),
        ("R2", "2026-10", Decimal("0.10"), Decimal("0.10")),
        ("R3", "2026-10", Decimal("0.20"), Decimal("0.20")),
        ("R4", "2026-10", Decimal("0.20"), Decimal("0.20")),
        ("R5", "2026-10", Decimal("0.20"), Decimal("0.20")),
        ("R6", "2026-11", Decimal("0.20"), Decimal(0)),
    ], "record_id string, bill_cycle string, price_per_unit decimal(18,6), expected_charge decimal(18,6)")
    assertDataFrameEqual(got, expected)
    assert spark.range(1).select(bill_cycle(F.lit(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)))).first()[0] == "2026-12"


def test_tariff_gap_unknown_msisdn_and_unknown_destination_are_not_rated(spark):
    out = rated(spark, [
        net("R1", at(0), duration_s=60, other_party="447712345678"),  # intl mobile: no P2 row -> gap
        net("R2", at(0), msisdn=X, duration_s=60),  # unknown line
        net("R3", at(0), duration_s=60, other_party="99123"),  # no destination at all
        net("R4", at(0), duration_s=60, other_party=FIXED),
    ], subscribers=[sub(A, "P2"), sub(B)])
    got = out.select("record_id", "known", "zone", "has_tariff", "expected_charge", "inactive_reason")
    expected = spark.createDataFrame([
        ("R1", True, "intl_zone1_mobile", False, None, None),
        ("R2", False, "national", False, None, "unknown"),
        ("R3", True, None, False, None, None),
        ("R4", True, "national", True, Decimal("0.05"), None),
    ], "record_id string, known boolean, zone string, has_tariff boolean, expected_charge decimal(18,6), "
       "inactive_reason string")
    assertDataFrameEqual(got, expected)


@pytest.mark.parametrize(("status", "terminated_at", "start", "reason"), [
    ("suspended", None, at(0), "suspended"),
    ("terminated", at(10), at(9), None),
    ("terminated", at(10), at(10), "terminated"),
    ("active", None, at(0), None),
])
def test_inactive_reason(spark, status, terminated_at, start, reason):
    line = sub(A, status=status, terminated_at=terminated_at)
    out = rated(spark, [net("R1", start, duration_s=60)], subscribers=[line])
    assert [tuple(r) for r in out.select("record_id", "inactive_reason").collect()] == [("R1", reason)]
