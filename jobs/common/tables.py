"""The table catalogue: every table of the lakehouse, its schema, partitioning and keys.

This module is the single source of truth for table layouts. The lake layer refuses a write whose
schema differs from the one here (no silent schema evolution); the pandera contracts in
``contracts.py`` check values on top of these types.

Money is ``DecimalType(MONEY_PRECISION, MONEY_SCALE)`` everywhere: input charges keep 6 decimals,
expected charges are rounded half-up to 4 decimals and stored at the same scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

MONEY_PRECISION = 18
MONEY_SCALE = 6
MONEY = DecimalType(MONEY_PRECISION, MONEY_SCALE)


def _schema(*cols: tuple[str, DataType, bool]) -> StructType:
    return StructType([StructField(name, dtype, nullable) for name, dtype, nullable in cols])


S, L, I, D, TS, DT, B = (  # noqa: E741 - short aliases keep the catalogue readable
    StringType(),
    LongType(),
    IntegerType(),
    DoubleType(),
    TimestampType(),
    DateType(),
    BooleanType(),
)

# Lineage columns every silver row carries.
_LINEAGE = (("source_file", S, False), ("line_number", L, True), ("ingest_run_id", S, False))


@dataclass(frozen=True)
class TableSpec:
    """One table: logical name, Spark schema, partition columns and its natural key."""

    name: str
    schema: StructType
    partition_by: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def layer(self) -> str:
        return self.name.split(".", 1)[0]


# --------------------------------------------------------------------------- bronze (raw, as landed)
# Bronze keeps every landed row as text, exactly as read, with where it came from.
BRONZE_RAW = _schema(
    ("feed", S, False),
    ("source_file", S, False),
    ("line_number", L, True),
    ("content_hash", S, False),
    ("raw", S, False),  # the row as a JSON object of column -> text
    ("ingest_run_id", S, False),
    ("ingest_date", DT, False),
)

# --------------------------------------------------------------------------- silver (typed, valid)
NETWORK_USAGE = _schema(
    ("record_id", S, False),
    ("source_system", S, False),
    ("service", S, False),
    ("direction", S, False),
    ("msisdn", S, False),
    ("imsi", S, True),
    ("imei", S, True),
    ("cell_id", S, True),
    ("other_party", S, True),
    ("start_time", TS, False),
    ("duration_s", L, False),
    ("volume_bytes", L, False),
    ("roaming_plmn", S, True),
    ("usage_date", DT, False),
    *_LINEAGE,
)

BILLED_USAGE = _schema(
    ("event_id", S, False),
    ("source_record_id", S, True),
    ("msisdn", S, False),
    ("service", S, False),
    ("other_party", S, True),
    ("start_time", TS, False),
    ("billed_duration_s", L, False),
    ("billed_volume_bytes", L, False),
    ("plan_id", S, False),
    ("charge", MONEY, False),
    ("currency", S, False),
    ("bill_cycle", S, False),
    ("usage_date", DT, False),
    *_LINEAGE,
)

SUBSCRIBERS = _schema(
    ("msisdn", S, False),
    ("imsi", S, True),
    ("account_id", S, False),
    ("customer_type", S, False),
    ("payment_type", S, False),
    ("plan_id", S, False),
    ("status", S, False),
    ("activated_at", TS, False),
    ("terminated_at", TS, True),
    *_LINEAGE,
)

DESTINATIONS = _schema(
    ("prefix", S, False),
    ("zone", S, False),
    ("description", S, True),
    ("risk", S, False),
    *_LINEAGE,
)

TARIFFS = _schema(
    ("plan_id", S, False),
    ("service", S, False),
    ("zone", S, False),
    ("price_per_unit", MONEY, False),
    ("unit", S, False),
    ("increment", L, False),
    ("included_units", MONEY, False),
    ("effective_from", DT, False),
    ("effective_to", DT, True),
    *_LINEAGE,
)

# --------------------------------------------------------------------------- ops (accounting)
INGEST_LOG = _schema(
    ("feed", S, False),
    ("source_file", S, False),
    ("content_hash", S, False),
    ("status", S, False),  # ingested | rejected | skipped_duplicate_file
    ("reason", S, True),
    ("rows_read", L, False),
    ("accepted", L, False),
    ("quarantined", L, False),
    ("duplicate", L, False),
    ("ingest_run_id", S, False),
    ("ingested_at", TS, False),
)

QUARANTINE = _schema(
    ("feed", S, False),
    ("source_file", S, False),
    ("line_number", L, True),
    ("raw", S, False),
    ("reasons", ArrayType(S, False), False),
    ("content_hash", S, False),
    ("ingest_run_id", S, False),
    ("ingest_date", DT, False),
)

RUNS = _schema(
    ("run_id", S, False),
    ("stage", S, False),
    ("params", S, False),  # JSON
    ("started_at", TS, False),
    ("ended_at", TS, True),
    ("status", S, False),  # running | succeeded | failed
    ("rows", S, True),  # JSON object name -> count
    ("message", S, True),
)

# --------------------------------------------------------------------------- gold (findings, cases)
LEAKAGE_FINDINGS = _schema(
    ("finding_id", S, False),
    ("control", S, False),
    ("record_id", S, True),
    ("event_id", S, True),
    ("msisdn", S, True),
    ("service", S, True),
    ("start_time", TS, True),
    ("expected_charge", MONEY, True),
    ("billed_charge", MONEY, True),
    ("amount_at_risk", MONEY, True),
    ("currency", S, True),
    ("details", S, True),
    ("run_id", S, False),
    # beyond output contract v1: what root-cause grouping and the app need
    ("source_system", S, True),
    ("plan_id", S, True),
    ("zone", S, True),
    ("tariff_price", MONEY, True),  # price_per_unit of the tariff row the expected charge used
    ("billed_unit_price", MONEY, True),  # billed charge / chargeable units (rating errors)
    ("usage_date", DT, False),
)

PENDING_USAGE = _schema(
    ("record_id", S, False),
    ("source_system", S, False),
    ("msisdn", S, False),
    ("service", S, False),
    ("start_time", TS, False),
    ("expected_charge", MONEY, True),
    ("currency", S, True),
    ("held_until", TS, False),
    ("run_id", S, False),
    ("usage_date", DT, False),
)

KPI_DAILY = _schema(
    ("usage_date", DT, False),
    ("service", S, False),
    ("control", S, False),
    ("network_records", L, False),
    ("billable_records", L, False),
    ("billed_events", L, False),
    ("matched_records", L, False),
    ("match_rate", DecimalType(9, 6), True),
    ("findings", L, False),
    ("expected_revenue", MONEY, False),
    ("billed_revenue", MONEY, False),
    ("leakage", MONEY, False),
    ("overbilling", MONEY, False),
    ("leakage_pct", DecimalType(9, 6), True),
    ("run_id", S, False),
)

CASES = _schema(
    ("case_id", S, False),  # stable across re-runs: derived from the grouping key
    ("kind", S, False),  # leakage | fraud
    ("category", S, False),  # control (leakage) or typology (fraud)
    ("title", S, False),
    ("root_cause", S, True),
    ("subject", S, True),  # msisdn / external number / plan|zone / source_system
    ("subject_type", S, True),
    ("priority", I, False),  # 1 (highest) .. 4
    ("amount_at_risk", MONEY, True),
    ("currency", S, True),
    ("item_count", L, False),
    ("first_seen", TS, True),
    ("last_seen", TS, True),
    ("score", D, True),
    ("reasons", S, True),
    ("run_id", S, False),
    ("updated_at", TS, False),
)

CASE_ITEMS = _schema(
    ("case_id", S, False),
    ("kind", S, False),
    ("item_id", S, False),  # finding_id or alert_id
    ("run_id", S, False),
)

CASE_EVENTS = _schema(
    ("event_seq", L, False),
    ("case_id", S, False),
    ("at", TS, False),
    ("actor", S, False),
    ("action", S, False),
    ("from_status", S, True),
    ("to_status", S, True),
    ("note", S, True),
    ("amount", MONEY, True),
)

FRAUD_ALERTS = _schema(
    ("alert_id", S, False),
    ("subject", S, False),
    ("subject_type", S, False),
    ("typology", S, False),
    ("window_start", TS, False),
    ("window_end", TS, False),
    ("score", D, False),
    ("model_name", S, True),
    ("model_version", S, True),
    ("reasons", S, False),
    ("run_id", S, False),
    ("rank_in_day", I, True),
    ("within_budget", B, False),
    ("alert_date", DT, False),
)

# One row per subject (subscriber or external number) per day; counts, minutes, shares, ratios.
# Columns that do not apply to a subject type are 0 (null where "unknown" differs from zero).
FRAUD_FEATURES = _schema(
    ("subject", S, False),
    ("subject_type", S, False),  # subscriber | external_number
    ("segment", S, False),  # model segment, e.g. subscriber:prepaid
    ("plan_id", S, True),
    ("payment_type", S, True),
    ("window_start", TS, False),
    ("window_end", TS, False),
    ("mo_calls", L, False),
    ("mt_calls", L, False),
    ("mo_minutes", D, False),
    ("mt_minutes", D, False),
    ("mo_distinct_numbers", L, False),
    ("distinct_share", D, False),
    ("mt_mo_ratio", D, False),
    ("national_share", D, False),
    ("sms_mo", L, False),
    ("sms_mt", L, False),
    ("data_sessions", L, False),
    ("data_mb", D, False),
    ("distinct_cells", L, False),
    ("distinct_imeis", L, False),
    ("tac_sims", L, False),
    ("tac_heavy_sims", L, False),
    ("imei_sims", L, False),
    ("night_share", D, False),
    ("intl_calls", L, False),
    ("intl_minutes", D, False),
    ("high_risk_calls", L, False),
    ("high_risk_minutes", D, False),
    ("risk_minutes", D, False),  # to international or high-risk destinations (each call once)
    ("intl_spend", MONEY, False),
    ("high_risk_spend", MONEY, False),
    ("peak_calls_hour", L, False),
    ("peak_high_risk_minutes_hour", D, False),
    ("high_risk_minutes_burst", D, False),  # most high-risk minutes within burst_window_hours
    ("avg_duration_s", D, False),
    ("std_duration_s", D, False),
    ("days_since_activation", I, True),
    ("history_days", I, False),
    ("mo_calls_vs_history", D, True),
    ("risk_minutes_vs_history", D, True),
    ("mo_calls_vs_plan", D, False),
    ("risk_minutes_vs_plan", D, False),
    ("one_ring_calls", L, False),
    ("one_ring_targets", L, False),
    ("calls_to_subscribers", L, False),
    ("one_ring_share", D, False),
    ("callbacks", L, False),
    ("callback_subs", L, False),
    ("callback_minutes", D, False),
    ("destination_high_risk", B, False),
    ("run_id", S, False),
    ("feature_date", DT, False),
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        TableSpec("bronze.network_usage", BRONZE_RAW, ("ingest_date",), description="raw rows"),
        TableSpec("bronze.billed_usage", BRONZE_RAW, ("ingest_date",), description="raw rows"),
        TableSpec("bronze.subscribers", BRONZE_RAW, ("ingest_date",), description="raw rows"),
        TableSpec("bronze.destinations", BRONZE_RAW, ("ingest_date",), description="raw rows"),
        TableSpec("bronze.tariffs", BRONZE_RAW, ("ingest_date",), description="raw rows"),
        TableSpec(
            "silver.network_usage",
            NETWORK_USAGE,
            ("usage_date",),
            ("source_system", "record_id"),
        ),
        TableSpec("silver.billed_usage", BILLED_USAGE, ("usage_date",), ("event_id",)),
        TableSpec("silver.subscribers", SUBSCRIBERS, (), ("msisdn",)),
        TableSpec("silver.destinations", DESTINATIONS, (), ("prefix",)),
        TableSpec(
            "silver.tariffs",
            TARIFFS,
            (),
            ("plan_id", "service", "zone", "effective_from"),
        ),
        TableSpec("ops.ingest_log", INGEST_LOG, (), ("feed", "source_file", "content_hash")),
        TableSpec("ops.quarantine", QUARANTINE, ("ingest_date",)),
        TableSpec("ops.runs", RUNS, (), ("run_id",)),
        TableSpec("gold.leakage_findings", LEAKAGE_FINDINGS, ("usage_date",), ("finding_id",)),
        TableSpec("gold.pending_usage", PENDING_USAGE, ("usage_date",), ("record_id",)),
        TableSpec("gold.kpi_daily", KPI_DAILY, ("usage_date",)),
        TableSpec("gold.cases", CASES, ("kind",), ("case_id",)),
        TableSpec("gold.case_items", CASE_ITEMS, ("kind",), ("case_id", "item_id")),
        TableSpec("gold.case_events", CASE_EVENTS, (), ("event_seq",)),
        TableSpec("gold.fraud_alerts", FRAUD_ALERTS, ("alert_date",), ("alert_id",)),
        TableSpec(
            "silver.fraud_features",
            FRAUD_FEATURES,
            ("feature_date",),
            ("subject_type", "subject", "feature_date"),
            description="fraud features per subject per day",
        ),
    ]
}


def register(spec: TableSpec) -> TableSpec:
    """Add a table owned by a later stage (e.g. ``silver.fraud_features``) to the catalogue."""
    TABLES[spec.name] = spec
    return spec


def spec_for(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(sorted(TABLES))
        raise KeyError(f"unknown table {name!r}; known tables: {known}") from None
