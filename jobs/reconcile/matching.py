"""Matching billed events to network records: candidate pairs, greedy one-to-one, duplicates.

Rules (output contract v1, settled readings):

* An event with ``source_record_id`` has exactly the billable network records with that
  ``record_id`` as candidates — nothing else (an id naming no billable record leaves it unmatched).
* An event without it has as candidates the billable records with the same msisdn, service and
  other party (null = null) whose start time is within the clock-skew tolerance (inclusive, in
  UTC micro-seconds) and whose usage is *consistent*: sms always; voice/data when the billed
  duration/volume is within one tariff increment or ``pct`` % of the record's rounded usage.
* One-to-one, greedy over the total order (``via`` [source id first], ``|Δt|``, ``event_id``,
  ``source_system``, ``record_id``): the globally smallest pair is matched, its event and record
  leave, repeat. Pairs whose event and record have no other candidate are matched directly; the
  contested rest is resolved in rounds of *mutually best* pairs (a pair that is the smallest of
  both its event and its record), which yields exactly the sequential greedy matching because the
  order is strict; each round is two window ranks over the (few) contested pairs.
* An event left unmatched whose candidates include an already matched record is a duplicate of
  the smallest such record; otherwise it is a phantom.

Candidates come from equi-joins only: on ``record_id`` for source ids, and on msisdn + service +
other party + a time bucket for the rest (each event is exploded over the 1-3 buckets its tolerance
window touches), so there is no cartesian product anywhere.
"""

from __future__ import annotations

import logging

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.common.frames import materialize, small
from jobs.reconcile.rating import raw_quantity

log = logging.getLogger("leakline.reconcile")

PAIR_KEYS = ("e_event_id", "source_system", "record_id")
PAIRS = (*PAIR_KEYS, "via", "dt_us")  # a pair and its place in the greedy order
VIA_SOURCE_ID, VIA_TIME = 0, 1
EVENT_COLUMNS = (  # the silver.billed_usage columns matching reads (as ``e_*``)
    "event_id", "source_record_id", "msisdn", "service", "other_party", "start_time",
    "billed_duration_s", "billed_volume_bytes", "plan_id", "charge", "currency", "usage_date",
)


def consistent_usage(service: Column, billed: Column, rounded: Column, increment: Column, pct: int) -> Column:
    """Billed usage within one increment or ``pct`` % of the rounded network usage (sms: always)."""
    diff = F.abs(billed - rounded)
    within_increment = increment.isNotNull() & (diff <= increment)
    within_pct = diff * F.lit(100) <= rounded * F.lit(pct)
    return (service == F.lit("sms")) | within_increment | within_pct


def prepare_events(billed: DataFrame) -> DataFrame:
    """silver.billed_usage columns renamed ``e_*`` plus ``e_t_us`` (UTC micros) and ``e_qty``."""
    ev = billed.select([F.col(c).alias(f"e_{c}") for c in EVENT_COLUMNS])
    return ev.withColumn("e_t_us", F.unix_micros("e_start_time")).withColumn(
        # what billing charged for, in base units (the network side's rule applied to billed usage)
        "e_qty", raw_quantity(F.col("e_service"), F.col("e_billed_duration_s"), F.col("e_billed_volume_bytes"))
    )


def time_bucket(t_us: Column, bucket_us: int) -> Column:
    """The time bucket of an instant (UTC micros): buckets are ``bucket_us`` wide."""
    return F.floor(t_us / F.lit(bucket_us))


def tolerance_buckets(t_us: Column, tolerance_us: int, bucket_us: int) -> Column:
    """The time buckets ``t_us +- tolerance_us`` touches (an array of 1 or more bucket numbers)."""
    return F.sequence(time_bucket(t_us - F.lit(tolerance_us), bucket_us),
                      time_bucket(t_us + F.lit(tolerance_us), bucket_us))


def _record_side(records: DataFrame) -> DataFrame:
    return records.filter(F.col("billable")).select(
        F.col("source_system"),
        F.col("record_id"),
        F.col("msisdn").alias("r_msisdn"),
        F.col("service").alias("r_service"),
        F.coalesce(F.col("other_party"), F.lit("")).alias("r_party"),
        F.col("t_us").alias("r_t_us"),
        F.coalesce(F.col("rounded_qty"), F.col("raw_qty")).alias("r_qty"),
        F.col("increment_base").alias("r_increment"),
        F.col("expected_charge").alias("r_expected_charge"),
        F.col("rounded_qty").alias("r_rounded_qty"),
        F.col("known").alias("r_known"),
        F.col("has_tariff").alias("r_has_tariff"),
        F.col("sub_plan_id").alias("r_sub_plan_id"),
        F.col("usage_date").alias("r_usage_date"),
    )


def candidate_pairs(
    records: DataFrame, events: DataFrame, tolerance_us: int, bucket_us: int, pct: int
) -> DataFrame:
    """All admissible (event, record) pairs with ``via`` and ``dt_us``: event columns ``e_*``, the
    record's key and ``r_*`` columns (msisdn, service, t_us, expected_charge, rounded_qty, known,
    has_tariff, sub_plan_id, usage_date).

    ``records``: rated records (rating.rate_usage columns); ``events``: :func:`prepare_events`.
    """
    rec = _record_side(records).hint("shuffle_hash")  # hash the record side, sort neither
    dt = F.abs(F.col("e_t_us") - F.col("r_t_us"))
    by_id = events.filter(F.col("e_source_record_id").isNotNull()).join(
        rec, F.col("e_source_record_id") == F.col("record_id"), "inner"
    ).select("*", F.lit(VIA_SOURCE_ID).alias("via"), dt.alias("dt_us"))

    ev_b = events.filter(F.col("e_source_record_id").isNull()).withColumn(
        "_bucket", F.explode(tolerance_buckets(F.col("e_t_us"), tolerance_us, bucket_us))
    ).withColumn("_party", F.coalesce(F.col("e_other_party"), F.lit("")))
    rec_b = rec.withColumn("_r_bucket", time_bucket(F.col("r_t_us"), bucket_us))
    keys = (
        (F.col("e_msisdn") == F.col("r_msisdn"))
        & (F.col("e_service") == F.col("r_service"))
        & (F.col("_party") == F.col("r_party"))
        & (F.col("_bucket") == F.col("_r_bucket"))
    )
    ok = (dt <= F.lit(tolerance_us)) & consistent_usage(
        F.col("e_service"), F.col("e_qty"), F.col("r_qty"), F.col("r_increment"), pct)
    by_time = ev_b.join(rec_b, keys, "inner").filter(ok).drop("_bucket", "_party", "_r_bucket").select(
        "*", F.lit(VIA_TIME).alias("via"), dt.alias("dt_us"))
    return by_id.unionByName(by_time).drop("r_party", "r_qty", "r_increment")


def _ranked(pairs: DataFrame) -> DataFrame:
    order = [F.col("via"), F.col("dt_us"), F.col("e_event_id"), F.col("source_system"), F.col("record_id")]
    w_event = Window.partitionBy("e_event_id").orderBy(*order)
    w_record = Window.partitionBy("source_system", "record_id").orderBy(*order)
    return pairs.withColumn("_rn_e", F.row_number().over(w_event)).withColumn(
        "_rn_r", F.row_number().over(w_record))


def _taken_among(pairs: DataFrame, taken: DataFrame, limit: int) -> tuple[DataFrame, DataFrame]:
    """The events and records of ``taken`` (possibly large) that occur in ``pairs`` (materialized).

    ``taken`` is cut down by semi-joins with the keys of ``pairs``, broadcast when ``pairs`` has at
    most ``limit`` rows, so a large ``taken`` is only scanned, never shuffled.
    """
    keys_e = pairs.select("e_event_id").distinct()
    keys_r = pairs.select("source_system", "record_id").distinct()
    if pairs.count() <= limit:
        keys_e, keys_r = F.broadcast(keys_e), F.broadcast(keys_r)
    taken_e = taken.select("e_event_id").join(keys_e, "e_event_id", "left_semi")
    taken_r = taken.select("source_system", "record_id").join(keys_r, ["source_system", "record_id"], "left_semi")
    return taken_e, taken_r


def _without_touching(pairs: DataFrame, taken: DataFrame, limit: int) -> DataFrame:
    """``pairs`` minus those whose event or record is in ``taken``."""
    taken_e, taken_r = _taken_among(pairs, taken, limit)
    return pairs.join(taken_e, "e_event_id", "left_anti").join(taken_r, ["source_system", "record_id"], "left_anti")


def split_contested(candidates: DataFrame, limit: int) -> tuple[DataFrame, DataFrame]:
    """(uncontested pairs, contested pairs) of ``candidates`` (materialized).

    A pair whose event and record have no other candidate is matched by any greedy order and touches
    no other pair; only the rest (events or records with several candidates — duplicates, near
    neighbours: few in real data) need ranking. Finding them takes two narrow key counts, no sort
    and no shuffle of the wide pairs (the multi-candidate keys are broadcast when small).
    """
    keys_r = ["source_system", "record_id"]
    multi_e = materialize(candidates.groupBy("e_event_id").count().filter(F.col("count") > 1)
                          .select("e_event_id", F.lit(True).alias("_multi_e")))
    multi_r = materialize(candidates.groupBy(*keys_r).count().filter(F.col("count") > 1)
                          .select(*keys_r, F.lit(True).alias("_multi_r")))
    flagged = candidates.join(small(multi_e, limit), "e_event_id", "left").join(small(multi_r, limit), keys_r, "left")
    contested = F.col("_multi_e").isNotNull() | F.col("_multi_r").isNotNull()
    return (flagged.filter(~contested).drop("_multi_e", "_multi_r"),
            flagged.filter(contested).drop("_multi_e", "_multi_r"))


def resolve_one_to_one(candidates: DataFrame, max_rounds: int, limit: int) -> tuple[DataFrame, DataFrame]:
    """Greedy one-to-one matching: (matched pairs, contested pairs).

    Uncontested pairs are matched as they are (:func:`split_contested`). The contested ones are
    resolved in rounds: rank them per event and per record, match the mutually best pairs, drop the
    pairs touching anything matched, repeat until none is left (at most ``max_rounds``). Both results
    keep every column of ``candidates``.
    """
    unique, contested = split_contested(candidates, limit)
    contested = materialize(contested)
    best = (F.col("_rn_e") == 1) & (F.col("_rn_r") == 1)
    accepted = [unique]
    remaining = contested
    for round_no in range(1, max_rounds + 1):
        if remaining.isEmpty():
            log.info("matching: contested pairs resolved in %d round(s)", round_no - 1)
            break
        ranked = materialize(_ranked(remaining))
        accepted.append(ranked.filter(best).drop("_rn_e", "_rn_r"))
        remaining = materialize(_without_touching(ranked.filter(~best).drop("_rn_e", "_rn_r"), accepted[-1],
                                                  limit))
    else:
        if not remaining.isEmpty():
            log.warning("matching: pairs still in conflict after %d rounds stay unmatched", max_rounds)
    matches = accepted[0]
    for part in accepted[1:]:
        matches = matches.unionByName(part)
    return matches, contested


def duplicate_events(conflicts: DataFrame, matches: DataFrame, limit: int) -> DataFrame:
    """Unmatched events with an already matched candidate record: (e_event_id, dup_source_system,
    dup_record_id), the smallest such record in the pair order.

    Such an event's pairs are all contested (their record has another candidate), so only the
    contested pairs (``conflicts``) are looked at; ``matches`` is cut to their keys by broadcast
    semi-joins.
    """
    pairs = conflicts.select(*PAIRS)
    matched_e, taken = _taken_among(conflicts, matches, limit)
    dup = pairs.join(matched_e, "e_event_id", "left_anti").join(taken, ["source_system", "record_id"], "left_semi")
    w = Window.partitionBy("e_event_id").orderBy(
        F.col("via"), F.col("dt_us"), F.col("source_system"), F.col("record_id"))
    return dup.withColumn("_rn", F.row_number().over(w)).filter(F.col("_rn") == 1).select(
        F.col("e_event_id"),
        F.col("source_system").alias("dup_source_system"),
        F.col("record_id").alias("dup_record_id"),
    )
