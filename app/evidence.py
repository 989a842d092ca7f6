"""Evidence behind a case, as small pandas frames for the case page.

Leakage: the case's findings with the network record and billed event behind each, side by side
(expected vs billed charge). Fraud: the alerts and the subject's usage around them — calls per hour,
destinations, cells. Loaders take a ``read(name, columns, filters)`` function (the cached lake read
of :mod:`app.data`) and push filters down to delta-rs: partitions by day, rows by id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

Read = Callable[..., pa.Table]

NETWORK_COLS = ("record_id", "source_system", "service", "direction", "msisdn", "imsi", "imei", "cell_id",
                "other_party", "start_time", "duration_s", "volume_bytes", "roaming_plmn", "usage_date")
BILLED_COLS = ("event_id", "source_record_id", "msisdn", "service", "other_party", "start_time",
               "billed_duration_s", "billed_volume_bytes", "plan_id", "charge", "currency", "bill_cycle",
               "usage_date")
# Which usage column a fraud case's subject is found in, by subject_type.
SUBJECT_COLUMN = {"msisdn": "msisdn", "subscriber": "msisdn", "imsi": "imsi", "imei": "imei",
                  "other_party": "other_party",
                  "b_number": "other_party", "destination": "other_party", "external_number": "other_party",
                  "cell": "cell_id", "cell_id": "cell_id"}


@dataclass
class LeakageEvidence:
    findings: pd.DataFrame
    network: pd.DataFrame
    billed: pd.DataFrame
    side_by_side: pd.DataFrame
    truncated: bool


@dataclass
class FraudEvidence:
    alerts: pd.DataFrame
    usage: pd.DataFrame
    column: str
    window: tuple[date, date] | None
    truncated: bool


def _ids(table: pa.Table, col: str) -> tuple[str, ...]:
    return tuple(sorted({v for v in table[col].to_pylist() if v is not None})) if col in table.column_names else ()


def item_ids(read: Read, case_id: str, kind: str) -> tuple[str, ...]:
    items = read("gold.case_items", ("case_id", "item_id"), (("kind", "==", kind), ("case_id", "==", case_id)))
    return _ids(items, "item_id")


def leakage_evidence(read: Read, case_id: str, max_rows: int) -> LeakageEvidence:
    ids = item_ids(read, case_id, "leakage")
    findings = read("gold.leakage_findings", None, (("finding_id", "in", ids),)) if ids else None
    if findings is None or findings.num_rows == 0:
        empty = pd.DataFrame()
        return LeakageEvidence(empty, empty, empty, empty, False)
    truncated = findings.num_rows > max_rows
    findings = findings.sort_by([("start_time", "ascending"), ("finding_id", "ascending")]).slice(0, max_rows)
    days = tuple(sorted({d for d in findings["usage_date"].to_pylist() if d is not None}))
    records, events = _ids(findings, "record_id"), _ids(findings, "event_id")
    network = (read("silver.network_usage", NETWORK_COLS, (("usage_date", "in", days), ("record_id", "in", records)))
               if records else None)
    billed = (read("silver.billed_usage", BILLED_COLS, (("usage_date", "in", days), ("event_id", "in", events)))
              if events else None)
    fdf = findings.to_pandas()
    ndf = network.to_pandas() if network is not None else pd.DataFrame(columns=list(NETWORK_COLS))
    bdf = billed.to_pandas() if billed is not None else pd.DataFrame(columns=list(BILLED_COLS))
    return LeakageEvidence(fdf, ndf, bdf, side_by_side(fdf, ndf, bdf), truncated)


def side_by_side(findings: pd.DataFrame, network: pd.DataFrame, billed: pd.DataFrame) -> pd.DataFrame:
    """One row per finding: what the network saw, what billing charged, expected vs billed."""
    left = findings[["finding_id", "control", "record_id", "event_id", "msisdn", "service", "start_time",
                     "expected_charge", "billed_charge", "amount_at_risk", "currency"]]
    net = network.rename(columns={c: f"net_{c}" for c in network.columns if c != "record_id"})
    net = net[[c for c in ("record_id", "net_source_system", "net_other_party", "net_duration_s",
                           "net_volume_bytes", "net_cell_id") if c in net.columns]]
    bil = billed.rename(columns={c: f"bill_{c}" for c in billed.columns if c != "event_id"})
    bil = bil[[c for c in ("event_id", "bill_plan_id", "bill_billed_duration_s", "bill_billed_volume_bytes",
                           "bill_start_time") if c in bil.columns]]
    out = left.merge(net.drop_duplicates("record_id"), on="record_id", how="left")
    out = out.merge(bil.drop_duplicates("event_id"), on="event_id", how="left")
    first = ["start_time", "service", "msisdn", "expected_charge", "billed_charge", "amount_at_risk", "currency",
             "net_duration_s", "bill_billed_duration_s", "net_volume_bytes", "bill_billed_volume_bytes",
             "record_id", "event_id", "control", "bill_plan_id", "net_source_system", "net_other_party",
             "net_cell_id", "finding_id"]
    return out[[c for c in first if c in out.columns] + [c for c in out.columns if c not in first]]


def fraud_evidence(read: Read, case_id: str, *, subject: str | None, subject_type: str | None,
                   context_days: int, max_rows: int) -> FraudEvidence:
    ids = item_ids(read, case_id, "fraud")
    alerts = read("gold.fraud_alerts", None, (("alert_id", "in", ids),)) if ids else None
    adf = alerts.to_pandas() if alerts is not None else pd.DataFrame()
    column = SUBJECT_COLUMN.get((subject_type or "msisdn").lower(), "msisdn")
    if not subject:
        return FraudEvidence(adf, pd.DataFrame(columns=list(NETWORK_COLS)), column, None, False)
    if not adf.empty:
        start = pd.Timestamp(adf["window_start"].min()).date() - timedelta(days=context_days)
        end = pd.Timestamp(adf["window_end"].max()).date() + timedelta(days=context_days)
        filters: tuple[Any, ...] = (("usage_date", ">=", start), ("usage_date", "<=", end), (column, "==", subject))
        window = (start, end)
    else:
        filters, window = ((column, "==", subject),), None
    usage = read("silver.network_usage", NETWORK_COLS, filters)
    truncated = usage.num_rows > max_rows
    udf = usage.sort_by([("start_time", "ascending")]).slice(0, max_rows).to_pandas()
    return FraudEvidence(adf, udf, column, window, truncated)


def calls_per_hour(usage: pd.DataFrame) -> pd.DataFrame:
    """hour, service, direction, records."""
    if usage.empty:
        return pd.DataFrame(columns=["hour", "service", "direction", "records"])
    df = usage.assign(hour=pd.to_datetime(usage["start_time"], utc=True).dt.floor("h"))
    return df.groupby(["hour", "service", "direction"], as_index=False).size().rename(columns={"size": "records"})


def top_destinations(usage: pd.DataFrame, n: int, by: str = "other_party") -> pd.DataFrame:
    """``by``, records, seconds for the ``n`` most frequent outgoing destinations (``by`` =
    other_party), or callers (``by`` = msisdn, when the subject is an external number)."""
    if usage.empty:
        return pd.DataFrame(columns=[by, "records", "seconds"])
    mo = usage[(usage["direction"] == "MO") & usage[by].notna()]
    agg = mo.groupby(by, as_index=False).agg(records=("record_id", "size"), seconds=("duration_s", "sum"))
    return agg.sort_values(["records", by], ascending=[False, True]).head(n)


def cells(usage: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(distinct cells per hour, the ``n`` busiest cells)."""
    if usage.empty or usage["cell_id"].isna().all():
        return pd.DataFrame(columns=["hour", "cells"]), pd.DataFrame(columns=["cell_id", "records"])
    df = usage.dropna(subset=["cell_id"]).assign(
        hour=lambda d: pd.to_datetime(d["start_time"], utc=True).dt.floor("h"))
    per_hour = df.groupby("hour", as_index=False)["cell_id"].nunique().rename(columns={"cell_id": "cells"})
    busiest = (df.groupby("cell_id", as_index=False).size().rename(columns={"size": "records"})
               .sort_values(["records", "cell_id"], ascending=[False, True]).head(n))
    return per_hour, busiest
