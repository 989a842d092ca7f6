"""pandera contracts: one ``DataFrameModel`` per table whose values matter, checked before writes.

pandera's PySpark backend does not raise: it attaches ``df.pandera.errors``. :func:`validate`
acts on them explicitly — a violation right before a write is a bug upstream (ingestion has
already quarantined bad rows), so it raises :class:`ContractError` naming table, column and check.

``contracts.validation_depth`` (conf) picks SCHEMA_AND_DATA (every value; tests, the demo) or
SCHEMA_ONLY (types only; very large production runs).
"""

from __future__ import annotations

from typing import Any

import pandera.pyspark as pa
import pyspark.sql.types as T
from pandera.config import ValidationDepth, config_context

from jobs.common.errors import ContractError
from jobs.common.tables import MONEY_PRECISION, MONEY_SCALE

SERVICES = ["voice", "sms", "data"]
MONEY = T.DecimalType(MONEY_PRECISION, MONEY_SCALE)
DIGITS = r"^[0-9]{3,15}$"


class NetworkUsage(pa.DataFrameModel):
    """silver.network_usage — contract v1 ``network_usage``, typed, UTC."""

    record_id: T.StringType() = pa.Field(nullable=False)
    source_system: T.StringType() = pa.Field(nullable=False)
    service: T.StringType() = pa.Field(isin=SERVICES)
    direction: T.StringType() = pa.Field(isin=["MO", "MT"])
    msisdn: T.StringType() = pa.Field(str_matches=DIGITS)
    imsi: T.StringType() = pa.Field(nullable=True)
    imei: T.StringType() = pa.Field(nullable=True)
    cell_id: T.StringType() = pa.Field(nullable=True)
    other_party: T.StringType() = pa.Field(nullable=True)
    start_time: T.TimestampType() = pa.Field(nullable=False)
    duration_s: T.LongType() = pa.Field(ge=0)
    volume_bytes: T.LongType() = pa.Field(ge=0)
    roaming_plmn: T.StringType() = pa.Field(nullable=True)
    usage_date: T.DateType() = pa.Field(nullable=False)
    source_file: T.StringType() = pa.Field(nullable=False)
    line_number: T.LongType() = pa.Field(nullable=True)
    ingest_run_id: T.StringType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False


class BilledUsage(pa.DataFrameModel):
    """silver.billed_usage — contract v1 ``billed_usage``."""

    event_id: T.StringType() = pa.Field(nullable=False)
    source_record_id: T.StringType() = pa.Field(nullable=True)
    msisdn: T.StringType() = pa.Field(str_matches=DIGITS)
    service: T.StringType() = pa.Field(isin=SERVICES)
    other_party: T.StringType() = pa.Field(nullable=True)
    start_time: T.TimestampType() = pa.Field(nullable=False)
    billed_duration_s: T.LongType() = pa.Field(ge=0)
    billed_volume_bytes: T.LongType() = pa.Field(ge=0)
    plan_id: T.StringType() = pa.Field(nullable=False)
    charge: MONEY = pa.Field(ge=0)
    currency: T.StringType() = pa.Field(str_matches=r"^[A-Z]{3}$")
    bill_cycle: T.StringType() = pa.Field(str_matches=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    usage_date: T.DateType() = pa.Field(nullable=False)
    source_file: T.StringType() = pa.Field(nullable=False)
    line_number: T.LongType() = pa.Field(nullable=True)
    ingest_run_id: T.StringType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False


class Subscribers(pa.DataFrameModel):
    """silver.subscribers — the latest full snapshot."""

    msisdn: T.StringType() = pa.Field(str_matches=DIGITS)
    imsi: T.StringType() = pa.Field(nullable=True)
    account_id: T.StringType() = pa.Field(nullable=False)
    customer_type: T.StringType() = pa.Field(isin=["consumer", "enterprise"])
    payment_type: T.StringType() = pa.Field(isin=["prepaid", "postpaid"])
    plan_id: T.StringType() = pa.Field(nullable=False)
    status: T.StringType() = pa.Field(isin=["active", "suspended", "terminated"])
    activated_at: T.TimestampType() = pa.Field(nullable=False)
    terminated_at: T.TimestampType() = pa.Field(nullable=True)
    source_file: T.StringType() = pa.Field(nullable=False)
    line_number: T.LongType() = pa.Field(nullable=True)
    ingest_run_id: T.StringType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False


class Destinations(pa.DataFrameModel):
    """silver.destinations — the number plan."""

    prefix: T.StringType() = pa.Field(str_matches=r"^[0-9]{1,15}$")
    zone: T.StringType() = pa.Field(nullable=False)
    description: T.StringType() = pa.Field(nullable=True)
    risk: T.StringType() = pa.Field(isin=["normal", "high"])
    source_file: T.StringType() = pa.Field(nullable=False)
    line_number: T.LongType() = pa.Field(nullable=True)
    ingest_run_id: T.StringType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False


class Tariffs(pa.DataFrameModel):
    """silver.tariffs — the effective-dated price list."""

    plan_id: T.StringType() = pa.Field(nullable=False)
    service: T.StringType() = pa.Field(isin=SERVICES)
    zone: T.StringType() = pa.Field(nullable=False)
    price_per_unit: MONEY = pa.Field(ge=0)
    unit: T.StringType() = pa.Field(isin=["minute", "message", "megabyte"])
    increment: T.LongType() = pa.Field(gt=0)
    included_units: MONEY = pa.Field(ge=0)
    effective_from: T.DateType() = pa.Field(nullable=False)
    effective_to: T.DateType() = pa.Field(nullable=True)
    source_file: T.StringType() = pa.Field(nullable=False)
    line_number: T.LongType() = pa.Field(nullable=True)
    ingest_run_id: T.StringType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "silver.network_usage": NetworkUsage,
    "silver.billed_usage": BilledUsage,
    "silver.subscribers": Subscribers,
    "silver.destinations": Destinations,
    "silver.tariffs": Tariffs,
}


def register(name: str, model: type[pa.DataFrameModel]) -> None:
    """Stages that own further tables (findings, alerts, features) register their model here."""
    MODELS[name] = model


def validate(name: str, df: Any, depth: str = "SCHEMA_AND_DATA") -> Any:
    """Validate ``df`` against the model of table ``name``; raise ContractError on any violation.

    pandera's PySpark backend checks each non-nullable column with its own Spark job (a filtered
    ``limit(1).count()``, a full scan when the column has no NULLs — and a recomputation of the whole
    plan when ``df`` is not cached), even at SCHEMA_ONLY. Those checks are done here in ONE
    aggregate pass instead, and pandera runs with those columns declared nullable.
    """
    model = MODELS.get(name)
    if model is None:
        return df
    if depth not in {"SCHEMA_ONLY", "DATA_ONLY", "SCHEMA_AND_DATA"}:
        raise ContractError("config key 'contracts.validation_depth' must be SCHEMA_ONLY, DATA_ONLY or "
                            f"SCHEMA_AND_DATA, got {depth!r}")
    schema, not_null = _schema_without_null_checks(model)
    nulls = [] if depth == "DATA_ONLY" else _null_columns(df, not_null)
    # pandera reads PANDERA_VALIDATION_DEPTH once, at import: the depth must be set per call.
    with config_context(validation_depth=ValidationDepth(depth)):
        checked = schema.validate(check_obj=df)
    errors = dict(checked.pandera.errors or {})
    problems = [f"SCHEMA/SERIES_CONTAINS_NULLS: {c}: not_nullable (non-nullable column '{c}' contains null)"
                for c in nulls]
    if errors or problems:
        summary = "; ".join(p for p in (_summarise(errors) if errors else "", "; ".join(problems)) if p)
        raise ContractError(f"contract {model.__name__} violated before writing {name}: {summary}")
    return checked


_SCHEMAS: dict[type, tuple[Any, tuple[str, ...]]] = {}


def _schema_without_null_checks(model: type[pa.DataFrameModel]) -> tuple[Any, tuple[str, ...]]:
    """``model``'s schema with every column nullable, and the names of the non-nullable ones."""
    if model not in _SCHEMAS:
        schema = model.to_schema()
        not_null = tuple(n for n, c in schema.columns.items() if not c.nullable)
        _SCHEMAS[model] = (schema.update_columns({n: {"nullable": True} for n in not_null}), not_null)
    return _SCHEMAS[model]


def _null_columns(df: Any, not_null: tuple[str, ...]) -> list[str]:
    """Which of ``not_null`` hold a NULL in ``df`` — one Spark job for all of them.

    Columns missing from ``df`` are left to pandera's column check; columns Spark already knows to be
    non-nullable need no scan (as in pandera).
    """
    from pyspark.sql import functions as F

    fields = {f.name: f for f in df.schema}
    cols = [c for c in not_null if c in fields and fields[c].nullable]
    if not cols:
        return []
    row = df.select(*[F.max(F.col(c).isNull()).alias(f"_{i}") for i, c in enumerate(cols)]).first()
    return [c for i, c in enumerate(cols) if row[f"_{i}"]]


def _summarise(errors: dict[str, Any]) -> str:
    parts = []
    for level, by_type in errors.items():
        for err_type, items in by_type.items():
            for item in items:
                col = item.get("column") or item.get("schema")
                parts.append(f"{level}/{err_type}: {col}: {item.get('check')} ({item.get('error')})")
    return "; ".join(parts[:10]) + (f" (+{len(parts) - 10} more)" if len(parts) > 10 else "")
