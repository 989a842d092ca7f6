"""Overview numbers: leakage and fraud at a glance, this period against the one before.

Inputs are Arrow tables (gold.kpi_daily, the cases with their derived state, gold.fraud_alerts, the
case events); outputs are small pandas frames and Decimal totals for the Overview page. A period is
``days`` days ending at the latest day with data (not today: a demo lakehouse is in the past).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from app.workflow import ACTIVE

TOTAL_CONTROLS = {"all", "total", "*"}  # roll-up rows, if a KPI producer writes them
ZERO = Decimal(0)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def previous(self) -> Period:
        span = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=span), self.start - timedelta(days=1))

    def contains(self, column: pd.Series) -> pd.Series:
        days = pd.to_datetime(column).dt.date
        return (days >= self.start) & (days <= self.end)


def period_ending(latest: date | None, days: int) -> Period:
    end = latest or date.today()
    return Period(end - timedelta(days=days - 1), end)


def _sum(values: pd.Series) -> Decimal:
    return sum((v for v in values if v is not None and not pd.isna(v)), ZERO)


def leakage_by_day(kpi: pa.Table) -> pd.DataFrame:
    """usage_date, control, service, leakage, overbilling, findings (roll-up rows dropped)."""
    cols = ["usage_date", "control", "service", "leakage", "overbilling", "findings"]
    if kpi.num_rows == 0:
        return pd.DataFrame(columns=cols)
    df = kpi.select(cols).to_pandas()
    return df[~df["control"].str.lower().isin(TOTAL_CONTROLS)]


@dataclass(frozen=True)
class Headline:
    leakage: Decimal
    leakage_before: Decimal
    open_at_risk: Decimal
    open_cases: int
    confirmed: Decimal
    confirmed_cases: int
    recovered: Decimal
    recovered_period: Decimal
    alerts: int
    alerts_before: int


def headline(leak: pd.DataFrame, view: pa.Table, alerts: pa.Table, events: pa.Table, period: Period) -> Headline:
    in_p = leak[period.contains(leak["usage_date"])] if not leak.empty else leak
    before = leak[period.previous.contains(leak["usage_date"])] if not leak.empty else leak
    status = view["status"]
    open_rows = view.filter(pc.is_in(status, pa.array(ACTIVE)))
    confirmed_rows = view.filter(pc.fill_null(pc.match_substring(view["disposition"], "confirmed_"), False))
    recovered = pc.sum(view["recovered"]).as_py() if view.num_rows else None
    rec_period = ZERO
    if events.num_rows:
        ev = events.to_pandas()
        ev = ev[(ev["to_status"] == "recovered") & period.contains(ev["at"])]
        rec_period = _sum(ev["amount"])
    n_alerts = n_before = 0
    if alerts.num_rows:
        days = pd.Series(alerts["alert_date"].to_pylist())
        n_alerts = int(period.contains(days).sum())
        n_before = int(period.previous.contains(days).sum())
    return Headline(
        leakage=_sum(in_p["leakage"]) if not in_p.empty else ZERO,
        leakage_before=_sum(before["leakage"]) if not before.empty else ZERO,
        open_at_risk=pc.sum(open_rows["amount_at_risk"]).as_py() or ZERO,
        open_cases=open_rows.num_rows,
        confirmed=pc.sum(confirmed_rows["amount_at_risk"]).as_py() or ZERO,
        confirmed_cases=confirmed_rows.num_rows,
        recovered=recovered or ZERO,
        recovered_period=rec_period,
        alerts=n_alerts,
        alerts_before=n_before,
    )


def at_risk_by_category(view: pa.Table) -> pd.DataFrame:
    """kind, category, cases, amount (float, for charts) of unfinished cases."""
    active = view.filter(pc.is_in(view["status"], pa.array(ACTIVE)))
    if active.num_rows == 0:
        return pd.DataFrame(columns=["kind", "category", "cases", "amount"])
    grouped = active.group_by(["kind", "category"]).aggregate([("case_id", "count"), ("amount_at_risk", "sum")])
    df = grouped.to_pandas().rename(columns={"case_id_count": "cases", "amount_at_risk_sum": "amount"})
    df["amount"] = df["amount"].map(lambda v: float(v) if v is not None else 0.0)
    return df.sort_values("amount", ascending=False)


def cases_by_status(view: pa.Table) -> pd.DataFrame:
    if view.num_rows == 0:
        return pd.DataFrame(columns=["kind", "status", "cases"])
    grouped = view.group_by(["kind", "status"]).aggregate([("case_id", "count")])
    return grouped.to_pandas().rename(columns={"case_id_count": "cases"})


def alerts_by_day(alerts: pa.Table) -> pd.DataFrame:
    if alerts.num_rows == 0:
        return pd.DataFrame(columns=["alert_date", "typology", "alerts"])
    grouped = alerts.group_by(["alert_date", "typology"]).aggregate([("alert_id", "count")])
    return grouped.to_pandas().rename(columns={"alert_id_count": "alerts"})


def outcomes_over_time(events: pa.Table) -> pd.DataFrame:
    """day, outcome (confirmed | false_positive | recovered), cases, amount (recoveries)."""
    cols = ["day", "outcome", "cases", "amount"]
    if events.num_rows == 0:
        return pd.DataFrame(columns=cols)
    ev = events.to_pandas()
    ev = ev[ev["action"] == "transition"]
    ev = ev.assign(outcome=ev["to_status"].replace({"confirmed_leakage": "confirmed", "confirmed_fraud": "confirmed"}))
    ev = ev[ev["outcome"].isin(["confirmed", "false_positive", "recovered"])]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    ev = ev.assign(day=pd.to_datetime(ev["at"]).dt.date, amount=ev["amount"].map(lambda v: float(v or 0)))
    return ev.groupby(["day", "outcome"], as_index=False).agg(cases=("case_id", "nunique"), amount=("amount", "sum"))


def biggest_open(view: pa.Table, n: int) -> pa.Table:
    active = view.filter(pc.is_in(view["status"], pa.array(ACTIVE)))
    return active.sort_by([("amount_at_risk", "descending"), ("case_id", "ascending")]).slice(0, n)
