"""Inline silver inputs for reconcile tests, built with the catalogue schemas (jobs/common/tables.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from jobs.common import tables as T

T0 = datetime(2026, 10, 5, 10, 0, 0, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))
_LINEAGE = {"source_file": "inline", "line_number": None, "ingest_run_id": "test"}

A, B, C, X = "4915100000001", "4915100000002", "4915100000003", "4915199999999"  # X: unknown
FIXED = "4930123456"  # national (prefix 4930)
MOBILE = "4917612345678"  # national_mobile (4917 / 49176)


def at(seconds: float = 0, base: datetime = T0) -> datetime:
    return base + timedelta(seconds=seconds)


def _rows(schema: Any, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple({**_LINEAGE, **row}.get(f.name) for f in schema) for row in rows]


def net(record_id: str, start: datetime, *, msisdn: str = A, service: str = "voice", direction: str = "MO",
        other_party: str | None = FIXED, duration_s: int = 0, volume_bytes: int = 0,
        roaming_plmn: str | None = None, source_system: str | None = None) -> dict[str, Any]:
    system = source_system or {"voice": "MSC-01", "sms": "SMSC-01", "data": "PGW-01"}[service]
    return {"record_id": record_id, "source_system": system, "service": service, "direction": direction,
            "msisdn": msisdn, "other_party": other_party if service != "data" else None, "start_time": start,
            "duration_s": duration_s, "volume_bytes": volume_bytes, "roaming_plmn": roaming_plmn,
            "usage_date": start.astimezone(UTC).date()}


def bill(event_id: str, start: datetime, charge: str, *, source_record_id: str | None = None, msisdn: str = A,
         service: str = "voice", other_party: str | None = FIXED, billed_duration_s: int = 0,
         billed_volume_bytes: int = 0, plan_id: str = "P1", currency: str = "EUR") -> dict[str, Any]:
    utc = start.astimezone(UTC)
    return {"event_id": event_id, "source_record_id": source_record_id, "msisdn": msisdn, "service": service,
            "other_party": other_party if service != "data" else None, "start_time": start,
            "billed_duration_s": billed_duration_s, "billed_volume_bytes": billed_volume_bytes, "plan_id": plan_id,
            "charge": Decimal(charge), "currency": currency, "bill_cycle": f"{utc:%Y-%m}", "usage_date": utc.date()}


def sub(msisdn: str, plan_id: str = "P1", status: str = "active",
        terminated_at: datetime | None = None) -> dict[str, Any]:
    return {"msisdn": msisdn, "imsi": None, "account_id": "ACC-" + msisdn[-4:], "customer_type": "consumer",
            "payment_type": "postpaid", "plan_id": plan_id, "status": status,
            "activated_at": datetime(2020, 1, 1, tzinfo=UTC), "terminated_at": terminated_at}


def dest(prefix: str, zone: str, risk: str = "normal") -> dict[str, Any]:
    return {"prefix": prefix, "zone": zone, "description": zone, "risk": risk}


def tariff(plan_id: str, service: str, zone: str, price: str, *, increment: int = 60, included: str = "0",
           effective_from: date = date(2026, 1, 1), effective_to: date | None = None) -> dict[str, Any]:
    unit = {"voice": "minute", "sms": "message", "data": "megabyte"}[service]
    return {"plan_id": plan_id, "service": service, "zone": zone, "price_per_unit": Decimal(price),
            "unit": unit, "increment": increment if service != "sms" else 1, "included_units": Decimal(included),
            "effective_from": effective_from, "effective_to": effective_to}


DESTINATIONS_ROWS = [dest("49", "national"), dest("4930", "national"), dest("4915", "national_mobile"),
                     dest("4917", "national_mobile"), dest("44", "intl_zone1"), dest("447", "intl_zone1_mobile"),
                     dest("4470", "intl_high_risk", "high"), dest("8816", "satellite", "high")]
TARIFF_ROWS = [
    tariff("P1", "voice", "national", "0.10"),
    tariff("P1", "voice", "national_mobile", "0.12"),
    tariff("P1", "voice", "intl_zone1", "0.20"),
    tariff("P1", "voice", "intl_zone1_mobile", "0.30"),
    tariff("P1", "voice", "intl_high_risk", "2.50"),
    tariff("P1", "voice", "roaming", "0.29"),
    tariff("P1", "sms", "national", "0.09"),
    tariff("P1", "sms", "national_mobile", "0.09"),
    tariff("P1", "data", "home", "0.05", increment=100),
    tariff("P2", "voice", "national", "0.05", increment=1),
    tariff("P2", "sms", "national", "0.09"),
]
SUBSCRIBER_ROWS = [sub(A), sub(B, "P2"), sub(C, "P1", "suspended")]


def frames(spark: Any, network: list[dict[str, Any]], billed: list[dict[str, Any]], *,
           subscribers: list[dict[str, Any]] | None = None, destinations: list[dict[str, Any]] | None = None,
           tariffs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Silver DataFrames by logical name."""
    return {
        "silver.network_usage": spark.createDataFrame(_rows(T.NETWORK_USAGE, network), T.NETWORK_USAGE),
        "silver.billed_usage": spark.createDataFrame(_rows(T.BILLED_USAGE, billed), T.BILLED_USAGE),
        "silver.subscribers": spark.createDataFrame(
            _rows(T.SUBSCRIBERS, SUBSCRIBER_ROWS if subscribers is None else subscribers), T.SUBSCRIBERS),
        "silver.destinations": spark.createDataFrame(
            _rows(T.DESTINATIONS, DESTINATIONS_ROWS if destinations is None else destinations), T.DESTINATIONS),
        "silver.tariffs": spark.createDataFrame(
            _rows(T.TARIFFS, TARIFF_ROWS if tariffs is None else tariffs), T.TARIFFS),
    }


def write_silver(ctx: Any, network: list[dict[str, Any]], billed: list[dict[str, Any]], **kw: Any) -> None:
    """Write the silver tables through the lake (replacing whatever they held)."""
    for name, df in frames(ctx.spark, network, billed, **kw).items():
        ctx.lake.write(df, name, mode="overwrite")


# --------------------------------------------------------------------------- one scenario, every control
D = "4915100000004"  # terminated at T0 + 1000 s
DAY = date(2026, 10, 5)
AS_OF = datetime(2026, 10, 9, tzinfo=UTC)

NETWORK = [
    net("R1", at(0), duration_s=61),  # billed right (and once more: E2dup)
    net("R2", at(100), duration_s=30),  # unbilled
    net("R3", at(200), duration_s=125, other_party=MOBILE),  # 180 s at 0.12: billed 0.30 -> rating error
    net("R4", at(300), duration_s=95),  # billed 60 s instead of 120 s -> usage mismatch + rating error
    net("R5", at(400), msisdn=C, duration_s=10),  # suspended line, billed
    net("R6", at(1000), msisdn=D, duration_s=10),  # at termination: inactive, unbilled
    net("R7", at(999), msisdn=D, duration_s=10),  # just before termination: unbilled only
    net("R8", at(600), msisdn=X, duration_s=10),  # unknown line: inactive + unbilled, amounts unknown
    net("R9", at(700), service="data", volume_bytes=150_000),  # billed on plan P2: plan mismatch
    net("R10", at(800), msisdn=B, duration_s=60, other_party="447712345678"),  # P2 has no intl tariff: gap
    net("R13", at(900), direction="MT", duration_s=60),  # not billable
]
BILLED = [
    bill("E1", at(0), "0.20", source_record_id="R1", billed_duration_s=120),
    bill("E2dup", at(2), "0.20", billed_duration_s=120),
    bill("E3", at(200), "0.30", source_record_id="R3", other_party=MOBILE, billed_duration_s=180),
    bill("E4", at(302), "0.10", billed_duration_s=60),
    bill("E5", at(400), "0.10", source_record_id="R5", msisdn=C, billed_duration_s=60),
    bill("E7", at(5000), "0.50", billed_duration_s=300),
    bill("E8", at(5100), "0.30", source_record_id="NOPE", billed_duration_s=180),
    bill("E9", at(700), "0.0100", source_record_id="R9", service="data", billed_volume_bytes=200_000, plan_id="P2"),
    bill("E10", at(800), "0.50", source_record_id="R10", msisdn=B, other_party="447712345678", plan_id="P2",
         billed_duration_s=60),
    bill("E12", at(6000), "0.40", plan_id="P3", billed_duration_s=240),
]
SUBSCRIBERS = [*SUBSCRIBER_ROWS, sub(D, "P1", "terminated", terminated_at=at(1000))]
