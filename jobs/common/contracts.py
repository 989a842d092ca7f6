"""pandera contracts: one ``DataFrameModel`` per table whose values matter, checked before writes.

pandera's PySpark backend does not raise: it attaches ``df.pandera.errors``. :func:`validate`
acts on them explicitly — a violation right before a write is a bug upstream (ingestion has
already quarantined bad rows), so it raises :class:`ContractError` naming table, column and check.

``contracts.validation_depth`` (conf) picks SCHEMA_AND_DATA (every value; tests, the demo) or
SCHEMA_ONLY (types only; very large production runs).
"""

from __future__ import annotations

import os
from typing import Any

import pandera.pyspark as pa
import pyspark.sql.types as T

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
    """Validate ``df`` against the model of table ``name``; raise ContractError on any violation."""
    model = MODELS.get(name)
    if model is None:
        return df
    if depth not in {"SCHEMA_ONLY", "DATA_ONLY", "SCHEMA_AND_DATA"}:
        raise ContractError(f"config key 'contracts.validation_depth' must be SCHEMA_ONLY, DATA_ONLY or SCHEMA_AND_DATA, got {depth!r}")
    os.environ["PANDERA_VALIDATION_DEPTH"] = depth
    checked = model.validate(check_obj=df)
    errors = dict(checked.pandera.errors or {})
    if errors:
        raise ContractError(f"contract {model.__name__} violated before writing {name}: {_summarise(errors)}")
    return checked


def _summarise(errors: dict[str, Any]) -> str:
    parts = []
    for level, by_type in errors.items():
        for err_type, items in by_type.items():
            for item in items:
                col = item.get("column") or item.get("schema")
                parts.append(f"{level}/{err_type}: {col}: {item.get('check')} ({item.get('error')})")
    return "; ".join(parts[:10]) + (f" (+{len(parts) - 10} more)" if len(parts) > 10 else "")
