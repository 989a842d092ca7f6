"""``run_reconcile``: re-rate, match, run the seven controls, hold late usage, build cases and KPIs.

Reads silver.network_usage / billed_usage / subscribers / destinations / tariffs; writes
gold.leakage_findings, gold.pending_usage and gold.kpi_daily (``replace_where`` the usage days
reconciled, so a re-run replaces and never duplicates) and the ``leakage`` cases (gold.cases,
gold.case_items, ``replace_where kind=leakage``, rebuilt from the whole findings table).

Reading windows for usage days ``S``: billed events and matching candidates of ``S`` plus one day
either side (a record and its event can straddle midnight), network records from the start of the
UTC bill cycle of ``min(S) - 1 day`` (allowances are cumulative per cycle). Days that still hold
pending usage are always re-reconciled, so late billing clears them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.context import new_run_id
from jobs.reconcile import contracts as _contracts  # noqa: F401 - registers the findings contract
from jobs.reconcile.cases import build_cases
from jobs.reconcile.flow import INPUTS, reconcile_frames
from jobs.reconcile.settings import CONTROLS, ReconcileSettings, settings_from

log = logging.getLogger("leakline.reconcile")

_MEM = StorageLevel.MEMORY_AND_DISK


@dataclass
class ControlTotal:
    findings: int = 0
    amount_at_risk: Decimal = Decimal(0)  # net: leakage - overbilling (unknown amounts excluded)
    leakage: Decimal = Decimal(0)
    overbilling: Decimal = Decimal(0)


@dataclass
class ReconcileSummary:
    """What one reconcile run found, per control, with the one-screen table of :meth:`lines`."""

    run_id: str
    dates: list[date]
    as_of: datetime
    network_records: int = 0
    billable_records: int = 0
    matched_records: int = 0
    billed_events: int = 0
    expected_revenue: Decimal = Decimal(0)
    billed_revenue: Decimal = Decimal(0)
    pending: int = 0
    cases: int = 0
    seconds: float = 0.0
    controls: dict[str, ControlTotal] = field(default_factory=lambda: {c: ControlTotal() for c in CONTROLS})

    @property
    def findings(self) -> int:
        return sum(t.findings for t in self.controls.values())

    @property
    def amount_at_risk(self) -> Decimal:
        return sum((t.amount_at_risk for t in self.controls.values()), Decimal(0))

    @property
    def leakage(self) -> Decimal:
        return sum((t.leakage for t in self.controls.values()), Decimal(0))

    @property
    def overbilling(self) -> Decimal:
        return sum((t.overbilling for t in self.controls.values()), Decimal(0))

    def rows(self) -> dict[str, int]:
        """Row counts for ops.runs."""
        return {"network_records": self.network_records, "billed_events": self.billed_events,
                "findings": self.findings, "pending": self.pending, "cases": self.cases}

    def lines(self) -> list[str]:
        span = f"{self.dates[0]} .. {self.dates[-1]} ({len(self.dates)} days)" if self.dates else "no usage days"
        rate = f"{self.matched_records / self.billable_records:.4%}" if self.billable_records else "-"
        out = [
            f"reconcile {self.run_id}: {span}, as of {self.as_of:%Y-%m-%dT%H:%M:%SZ}, {self.seconds:.1f}s",
            f"  network records {self.network_records:,}  billable {self.billable_records:,}  "
            f"billed events {self.billed_events:,}  matched {self.matched_records:,} ({rate})",
            f"  expected revenue {self.expected_revenue:,.4f}  billed revenue {self.billed_revenue:,.4f}",
            f"  {'control':28s} {'findings':>9s} {'leakage':>14s} {'overbilling':>14s} {'net at risk':>14s}",
        ]
        for name, t in self.controls.items():
            out.append(f"  {name:28s} {t.findings:9,d} {t.leakage:14,.4f} {t.overbilling:14,.4f} "
                       f"{t.amount_at_risk:14,.4f}")
        out.append(f"  {'total':28s} {self.findings:9,d} {self.leakage:14,.4f} {self.overbilling:14,.4f} "
                   f"{self.amount_at_risk:14,.4f}")
        out.append(f"  pending (billing latency) {self.pending:,}   leakage cases {self.cases:,}")
        return out


def _utc(ts: datetime | None) -> datetime:
    if ts is None:
        return datetime.now(UTC)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _distinct_dates(df: DataFrame, column: str = "usage_date") -> set[date]:
    return {r[0] for r in df.select(column).distinct().collect() if r[0] is not None}


def usage_dates(ctx: Any) -> list[date]:
    """Every usage day present in silver.network_usage or silver.billed_usage."""
    return sorted(_distinct_dates(ctx.read("silver.network_usage")) | _distinct_dates(ctx.read("silver.billed_usage")))


def run_reconcile(ctx: Any, dates: list[date] | None = None, as_of: datetime | None = None) -> ReconcileSummary:
    """Reconcile the given usage days (default: all days in silver) with ``as_of`` as the clock.

    The caller records the run in ops.runs (``ctx.stage``: the CLI and the pipeline do).
    """
    settings = settings_from(ctx.cfg)
    clock = _utc(as_of)
    started = time.monotonic()
    run_id = new_run_id("reconcile")
    days = set(dates) if dates else set(usage_dates(ctx))
    held = _distinct_dates(ctx.read("gold.pending_usage"))
    if held - days:
        log.info("re-reconciling %d day(s) with pending usage: %s", len(held - days), sorted(held - days))
    summary = ReconcileSummary(run_id, sorted(days | held), clock)
    log.info("reconcile %s: %d usage day(s), as of %s", run_id, len(summary.dates), clock.isoformat(),
             extra={"run_id": run_id})
    if not summary.dates:
        log.warning("no usage days to reconcile")
        return summary
    _reconcile_days(ctx, settings, summary.dates, clock=clock, run_id=run_id, summary=summary)
    summary.seconds = time.monotonic() - started
    for line in summary.lines():
        log.info(line)
    return summary


def _reconcile_days(ctx: Any, settings: ReconcileSettings, days: list[date], *, clock: datetime, run_id: str,
                    summary: ReconcileSummary) -> None:
    silver = {name: ctx.read(f"silver.{name}") for name in INPUTS}
    result = reconcile_frames(ctx.spark, silver, days, settings=settings, as_of=clock, run_id=run_id)
    replace = {"usage_date": days}
    ctx.write(result.findings, "gold.leakage_findings", replace_where=replace)
    summary.pending = ctx.write(result.pending, "gold.pending_usage", replace_where=replace).rows
    ctx.write(result.kpi, "gold.kpi_daily", replace_where=replace)
    _summarise(result.kpi, summary)
    summary.cases = _write_cases(ctx, settings, run_id, clock)


def _summarise(kpi: DataFrame, summary: ReconcileSummary) -> None:
    """Fill the summary from the KPI rows (a handful of aggregated rows reach the driver)."""
    per_control = kpi.groupBy("control").agg(
        F.sum("findings").alias("findings"), F.sum("leakage").alias("leakage"),
        F.sum("overbilling").alias("overbilling"),
    ).collect()
    for row in per_control:
        leak, over = row["leakage"] or Decimal(0), row["overbilling"] or Decimal(0)
        summary.controls[row["control"]] = ControlTotal(int(row["findings"] or 0), leak - over, leak, over)
    volumes = kpi.filter(F.col("control") == F.lit(CONTROLS[0])).agg(
        F.sum("network_records"), F.sum("billable_records"), F.sum("matched_records"), F.sum("billed_events"),
        F.sum("expected_revenue"), F.sum("billed_revenue"),
    ).collect()[0]
    summary.network_records, summary.billable_records = int(volumes[0] or 0), int(volumes[1] or 0)
    summary.matched_records, summary.billed_events = int(volumes[2] or 0), int(volumes[3] or 0)
    summary.expected_revenue, summary.billed_revenue = volumes[4] or Decimal(0), volumes[5] or Decimal(0)


def _write_cases(ctx: Any, settings: ReconcileSettings, run_id: str, clock: datetime) -> int:
    """Rebuild the leakage cases from every finding in the table."""
    findings = ctx.read("gold.leakage_findings").persist(_MEM)  # read twice: cases and their items
    try:
        cases, items = build_cases(findings, settings.case_rules, settings.priority_thresholds, run_id, clock)
        written = ctx.write(cases, "gold.cases", replace_where={"kind": ["leakage"]}).rows
        ctx.write(items, "gold.case_items", replace_where={"kind": ["leakage"]})
        return written
    finally:
        findings.unpersist()
