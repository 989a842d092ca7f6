"""The reconciliation of a set of usage days over silver DataFrames, without any lake I/O.

``reconcile_frames`` composes the pure transforms (rating -> matching -> controls -> KPIs) and
materializes the few intermediate results that are reused (local checkpoints cut their lineage,
so every later plan stays small). ``run_reconcile`` feeds it lake reads; tests feed it inline
DataFrames.

Windows for usage days ``S``: billed events and matching candidates of ``S`` plus one day either
side (a record and its event can straddle midnight); network records from the start of the UTC
bill cycle of ``min(S) - 1 day`` (allowances are cumulative per cycle). Only findings, pending
usage and KPIs of days in ``S`` are returned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.common.frames import materialize, small
from jobs.common.tables import spec_for
from jobs.reconcile.controls import (
    event_findings,
    finalize_findings,
    rating_error_fires,
    record_findings,
    usage_mismatch_fires,
)
from jobs.reconcile.kpis import daily_kpis
from jobs.reconcile.matching import candidate_pairs, duplicate_events, prepare_events, resolve_one_to_one
from jobs.reconcile.rating import prefix_catalogue, prefix_lengths, rate_usage
from jobs.reconcile.settings import ReconcileSettings

log = logging.getLogger("leakline.reconcile")

INPUTS = ("network_usage", "billed_usage", "subscribers", "destinations", "tariffs")
NETWORK_COLUMNS = ("record_id", "source_system", "service", "direction", "msisdn", "other_party",
                   "start_time", "duration_s", "volume_bytes", "roaming_plmn", "usage_date")
RATED_COLUMNS = (
    "record_id", "source_system", "service", "direction", "msisdn", "other_party", "start_time", "usage_date",
    "t_us", "billable", "known", "sub_plan_id", "sub_terminated_at", "zone", "price_per_unit", "tariff_unit",
    "has_tariff", "unit_base", "increment_base", "raw_qty", "rounded_qty", "chargeable_qty", "expected_charge",
    "inactive_reason",
)
PENDING_COLUMNS = ("record_id", "source_system", "msisdn", "service", "start_time", "expected_charge", "currency",
                   "held_until", "run_id", "usage_date")


@dataclass
class Reconciled:
    """Everything one reconciliation produced (findings/pending/kpi in their table's columns)."""

    rated: DataFrame
    events: DataFrame
    matches: DataFrame
    findings: DataFrame
    pending: DataFrame
    kpi: DataFrame


def around(days: list[date]) -> list[date]:
    """The days and their neighbours."""
    return sorted({d + timedelta(days=k) for d in days for k in (-1, 0, 1)})


def micros(ts: datetime) -> int:
    """Micro-seconds since the epoch of an aware datetime (naive = UTC), exactly."""
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts
    delta = ts - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def reconcile_frames(
    spark: SparkSession,
    silver: Mapping[str, DataFrame],
    days: list[date],
    *,
    settings: ReconcileSettings,
    as_of: datetime,
    run_id: str,
) -> Reconciled:
    """Reconcile usage ``days``; ``silver`` maps each name of :data:`INPUTS` to its DataFrame."""
    window = around(days)
    cycle_start = min(window).replace(day=1)
    step = time.monotonic()
    network = silver["network_usage"].filter(
        (F.col("usage_date") >= F.lit(cycle_start)) & (F.col("usage_date") <= F.lit(max(window)))
    ).select(*NETWORK_COLUMNS)
    catalogue = materialize(prefix_catalogue(silver["destinations"]))
    rated = rate_usage(network, silver["subscribers"], catalogue, silver["tariffs"], prefix_lengths(catalogue),
                       unique_prefixes=True)
    # records before the window only feed the allowances
    rated = materialize(rated.filter(F.col("usage_date").isin(window)).select(*RATED_COLUMNS))
    events = materialize(prepare_events(silver["billed_usage"].filter(F.col("usage_date").isin(window))))
    log.info("rated records, read events (%.1fs)", time.monotonic() - step)

    step = time.monotonic()
    candidates = materialize(candidate_pairs(rated, events, settings.skew_tolerance_us, settings.bucket_us,
                                             settings.consistency_pct))
    limit = settings.broadcast_max_rows
    matches, conflicts = resolve_one_to_one(candidates, settings.max_match_rounds, limit)
    matches = materialize(matches)
    duplicates = materialize(duplicate_events(conflicts, matches, limit))
    log.info("matched (%.1fs)", time.monotonic() - step)

    step = time.monotonic()
    record_outcome = _record_outcome(rated, matches, settings, limit)
    event_outcome = _event_outcome(events.filter(F.col("e_usage_date").isin(days)), matches, duplicates,
                                   subscribers=silver["subscribers"], limit=limit)
    latency_us = int(settings.billing_latency_hours * 3_600_000_000)
    raw = record_findings(record_outcome, settings.charge_tolerance, settings.currency, micros(as_of),
                          latency_us).unionByName(event_findings(event_outcome, settings.currency))
    raw = materialize(finalize_findings(raw.filter(F.col("usage_date").isin(days)), run_id))
    findings = raw.filter(~F.col("pending")).select(*spec_for("gold.leakage_findings").schema.fieldNames())
    pending = raw.filter(F.col("pending")).select(*PENDING_COLUMNS)
    kpi = materialize(daily_kpis(
        spark,
        rated.filter(F.col("usage_date").isin(days)),
        events.filter(F.col("e_usage_date").isin(days)),
        matches.filter(F.col("r_usage_date").isin(days)),
        findings,
        run_id=run_id,
    ))
    log.info("controls and KPIs (%.1fs)", time.monotonic() - step)
    return Reconciled(rated, events, matches, findings, pending, kpi)


def _record_outcome(rated: DataFrame, matches: DataFrame, settings: ReconcileSettings, limit: int) -> DataFrame:
    """The rated records that can raise a finding, with their matched event (``e_*``) if any.

    Only narrow keys are shuffled to find them (unbilled: billable records without a match;
    inactive lines; matched pairs whose rating or usage is off); the wide rows of those few records
    are then picked with broadcast semi-joins, so the rated table is never shuffled whole.
    """
    keys = ["source_system", "record_id"]
    unbilled = rated.filter(F.col("billable")).select(*keys).join(matches.select(*keys), keys, "left_anti")
    inactive = rated.filter(F.col("billable") & F.col("inactive_reason").isNotNull()).select(*keys)
    off = rating_error_fires(F.col("r_known"), F.col("r_has_tariff"), F.col("r_expected_charge"),
                             F.col("e_charge"), settings.charge_tolerance) | usage_mismatch_fires(
        F.col("r_known"), F.col("r_has_tariff"), F.col("r_service"), F.col("e_qty"), F.col("r_rounded_qty"))
    pairs = matches.filter(off).select(*keys)
    fired = small(materialize(unbilled.unionByName(inactive).unionByName(pairs).distinct()), limit)
    event_side = matches.join(fired, keys, "left_semi").select(
        *keys, "e_event_id", "e_charge", "e_currency", "e_qty", "e_start_time", "e_usage_date")
    return rated.join(fired, keys, "left_semi").join(event_side, keys, "left")


def _event_outcome(events: DataFrame, matches: DataFrame, duplicates: DataFrame, *,
                   subscribers: DataFrame, limit: int) -> DataFrame:
    """The billed events that can raise a finding, with their match, duplicate status and the plan of
    their msisdn in the snapshot (``s_plan_id``).

    Candidates: unmatched events (phantom or duplicate) and matched events billed on a plan other than
    the record's subscriber's (or whose msisdn differs from the record's); narrow keys only.
    """
    unmatched = events.select("e_event_id").join(matches.select("e_event_id"), "e_event_id", "left_anti")
    other_plan = matches.filter(
        (F.col("e_msisdn") != F.col("r_msisdn"))
        | (F.col("r_known") & (F.col("e_plan_id") != F.col("r_sub_plan_id")))
    ).select("e_event_id")
    fired = small(materialize(unmatched.unionByName(other_plan).distinct()), limit)
    picked = events.join(fired, "e_event_id", "left_semi")
    msisdns = small(materialize(picked.select(F.col("e_msisdn").alias("msisdn")).distinct()), limit)
    plans = subscribers.join(msisdns, "msisdn", "left_semi").select(
        F.col("msisdn").alias("e_msisdn"), F.col("plan_id").alias("s_plan_id"))
    return (
        picked.join(matches.join(fired, "e_event_id", "left_semi").select(
            "e_event_id", "source_system", "record_id", "r_expected_charge"), "e_event_id", "left")
        .join(duplicates, "e_event_id", "left")
        .join(plans, "e_msisdn", "left")
    )
