"""Matching billed events to network records: source ids, clock skew, consistency, one-to-one, duplicates."""

from __future__ import annotations

from datetime import timedelta

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.reconcile.matching import (
    candidate_pairs,
    duplicate_events,
    materialize,
    prepare_events,
    resolve_one_to_one,
)
from jobs.reconcile.rating import prefix_lengths, rate_usage
from reconcile.silver import CEST, MOBILE, B, at, bill, frames, net

PAIRS = "event_id string, record_id string"


def match(spark, network, billed, tolerance_us=5_000_000):
    f = frames(spark, network, billed)
    d = f["silver.destinations"]
    rated = rate_usage(f["silver.network_usage"], f["silver.subscribers"], d, f["silver.tariffs"], prefix_lengths(d))
    events = prepare_events(f["silver.billed_usage"])
    candidates = materialize(candidate_pairs(rated, events, tolerance_us, 60_000_000, 10))
    matches, conflicts = resolve_one_to_one(candidates, 10, 1000)
    dups = duplicate_events(conflicts, materialize(matches), 1000)
    return (matches.select(F.col("e_event_id").alias("event_id"), "record_id"),
            dups.select(F.col("e_event_id").alias("event_id"), F.col("dup_record_id").alias("record_id")))


def test_clock_skew_tolerance_is_inclusive_to_the_microsecond(spark):
    network = [net("R1", at(0), duration_s=60), net("R2", at(100), duration_s=60),
               net("R3", at(200), duration_s=60)]
    billed = [
        bill("E1", at(5), "0.10", billed_duration_s=60),  # +5 s: inside
        bill("E2", at(100 - 5.001), "0.10", billed_duration_s=60),  # -5.001 s: outside
        bill("E3", at(200 - 5), "0.10", billed_duration_s=60),  # -5 s: inside
    ]
    matches, dups = match(spark, network, billed)
    assertDataFrameEqual(matches, spark.createDataFrame([("E1", "R1"), ("E3", "R3")], PAIRS))
    assertDataFrameEqual(dups, spark.createDataFrame([], PAIRS))


def test_timestamps_with_offsets_are_compared_in_utc(spark):
    network = [net("R1", at(0), duration_s=60)]
    local = (at(0) + timedelta(seconds=3)).astimezone(CEST)  # 12:00:03+02:00 is 10:00:03Z
    matches, _ = match(spark, network, [bill("E1", local, "0.10", billed_duration_s=60)])
    assertDataFrameEqual(matches, spark.createDataFrame([("E1", "R1")], PAIRS))


def test_source_record_id_decides_alone(spark):
    network = [net("R1", at(0), duration_s=60), net("R2", at(500), duration_s=60),
               net("R3", at(900), direction="MT", duration_s=60)]
    billed = [
        bill("E1", at(3600), "0.10", source_record_id="R1", billed_duration_s=600),  # far off: still R1
        bill("E2", at(500), "0.10", source_record_id="NOPE", billed_duration_s=60),  # names nothing: unmatched
        bill("E3", at(900), "0.10", source_record_id="R3", billed_duration_s=60),  # MT record is no candidate
    ]
    matches, dups = match(spark, network, billed)
    assertDataFrameEqual(matches, spark.createDataFrame([("E1", "R1")], PAIRS))
    assertDataFrameEqual(dups, spark.createDataFrame([], PAIRS))


def test_duplicates_with_and_without_source_record_id(spark):
    network = [net("R1", at(0), duration_s=60), net("R2", at(100), duration_s=60, msisdn=B)]
    billed = [
        bill("E10", at(0), "0.10", source_record_id="R1", billed_duration_s=60),
        bill("E11", at(0), "0.10", source_record_id="R1", billed_duration_s=60),  # same record again
        bill("E21", at(102), "0.05", msisdn=B, plan_id="P2", billed_duration_s=60),  # re-sent, 2 s off
        bill("E20", at(101), "0.05", msisdn=B, plan_id="P2", billed_duration_s=60),  # closest: the match
    ]
    matches, dups = match(spark, network, billed)
    assertDataFrameEqual(matches, spark.createDataFrame([("E10", "R1"), ("E20", "R2")], PAIRS))
    assertDataFrameEqual(dups, spark.createDataFrame([("E11", "R1"), ("E21", "R2")], PAIRS))


def test_one_to_one_is_greedy_closest_first_over_several_rounds(spark):
    # pairs by |dt|: E1-R1 1 s, E2-R1 1 s (tie -> lower event id E1), E2-R2 2.5 s, E1-R2 4.5 s.
    # Round 1 takes E1-R1 only (E2's best record is taken); round 2 takes E2-R2.
    network = [net("R1", at(1), duration_s=60), net("R2", at(4.5), duration_s=60)]
    billed = [bill("E1", at(0), "0.10", billed_duration_s=60), bill("E2", at(2), "0.10", billed_duration_s=60)]
    matches, dups = match(spark, network, billed)
    assertDataFrameEqual(matches, spark.createDataFrame([("E1", "R1"), ("E2", "R2")], PAIRS))
    assertDataFrameEqual(dups, spark.createDataFrame([], PAIRS))


def test_only_consistent_usage_and_same_key_are_candidates(spark):
    network = [
        net("R1", at(0), duration_s=600),  # rounded 600 s
        net("R2", at(100), duration_s=60, other_party=MOBILE),
        net("R3", at(200), service="sms", other_party=MOBILE),
        net("R4", at(300), service="data", volume_bytes=5_000_000),  # rounded 5,000,000 (100 kB steps)
    ]
    billed = [
        bill("E1", at(0), "1.00", billed_duration_s=660),  # one increment (60 s) off: consistent
        bill("E2", at(0), "1.00", billed_duration_s=900),  # 50 % off: not a candidate
        bill("E3", at(100), "0.12", billed_duration_s=60),  # other party differs
        bill("E4", at(200), "0.09", service="sms", other_party=MOBILE),  # sms: always consistent
        bill("E5", at(300), "0.25", service="data", billed_volume_bytes=5_450_000),  # 9 % off: consistent
    ]
    matches, dups = match(spark, network, billed)
    assertDataFrameEqual(matches, spark.createDataFrame([("E1", "R1"), ("E4", "R3"), ("E5", "R4")], PAIRS))
    assertDataFrameEqual(dups, spark.createDataFrame([], PAIRS))
