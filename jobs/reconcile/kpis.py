"""gold.kpi_daily: revenue-assurance KPIs per usage day x service x control (TM Forum GB941).

Volume and revenue columns describe the day x service and are repeated on each of the seven
control rows; ``findings``, ``leakage`` and ``overbilling`` are the control's own. Definitions
(docs/controls.md):

* ``network_records`` — network records of the day and service; ``billable_records`` — the
  billable ones; ``matched_records`` — billable records matched to a billed event (completeness:
  ``match_rate = matched / billable``, 6 decimals, null without billable records).
* ``billed_events`` / ``billed_revenue`` — billed events of the day (by the event's usage_date) and
  the sum of their charges; ``expected_revenue`` — the sum of the independently re-rated expected
  charges of the day's billable records (unknown msisdns and tariff gaps count 0).
* ``leakage`` — sum of the positive ``amount_at_risk`` of the control's findings of the day;
  ``overbilling`` — minus the sum of the negative ones (so
  ``sum(amount_at_risk) = sum(leakage) - sum(overbilling)`` exactly);
  ``leakage_pct = 100 * leakage / expected_revenue`` (6 decimals, null when nothing was expected).
"""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

from jobs.common.tables import MONEY
from jobs.reconcile.settings import CONTROLS

RATIO = DecimalType(9, 6)


def _zero() -> F.Column:
    return F.lit(Decimal(0)).cast(MONEY)


def _ratio(numerator: F.Column, denominator: F.Column, scale: int = 1) -> F.Column:
    exact = numerator.cast("decimal(38,6)") * F.lit(scale) / denominator.cast("decimal(38,6)")
    return F.when((denominator > 0) & (exact < F.lit(1000)), F.round(exact, 6).cast(RATIO))


def daily_kpis(
    spark: SparkSession,
    records: DataFrame,
    events: DataFrame,
    matches: DataFrame,
    findings: DataFrame,
    *,
    run_id: str,
) -> DataFrame:
    """KPI rows (gold.kpi_daily columns) for every usage day x service present in the inputs.

    ``records``: rated records (``usage_date``, ``service``, ``billable``, ``expected_charge``);
    ``events``: prepared events (``e_usage_date``, ``e_service``, ``e_charge``); ``matches``:
    matched pairs (``r_usage_date``, ``r_service``); ``findings``: findings with ``amount_at_risk``.
    All already restricted to the days being reconciled.
    """
    rec = records.groupBy("usage_date", "service").agg(
        F.count(F.lit(1)).alias("network_records"),
        F.count(F.when(F.col("billable"), 1)).alias("billable_records"),
        F.sum(F.when(F.col("billable"), F.col("expected_charge"))).alias("expected_revenue"),
    )
    ev = events.groupBy(F.col("e_usage_date").alias("usage_date"), F.col("e_service").alias("service")).agg(
        F.count(F.lit(1)).alias("billed_events"), F.sum("e_charge").alias("billed_revenue"))
    mt = matches.groupBy(F.col("r_usage_date").alias("usage_date"), F.col("r_service").alias("service")).agg(
        F.count(F.lit(1)).alias("matched_records"))
    keys = ["usage_date", "service"]
    days = rec.join(ev, keys, "full_outer").join(mt, keys, "full_outer")
    controls = spark.createDataFrame([(c,) for c in CONTROLS], "control string")
    found = findings.groupBy("usage_date", "service", "control").agg(
        F.count(F.lit(1)).alias("findings"),
        F.sum(F.when(F.col("amount_at_risk") > 0, F.col("amount_at_risk"))).alias("leakage"),
        F.sum(F.when(F.col("amount_at_risk") < 0, -F.col("amount_at_risk"))).alias("overbilling"),
    )
    grid = days.crossJoin(F.broadcast(controls)).join(found, [*keys, "control"], "full_outer")
    zero_l = F.lit(0).cast("long")
    expected = F.coalesce(F.col("expected_revenue"), _zero())
    leakage = F.coalesce(F.col("leakage"), _zero())
    return grid.select(
        "usage_date",
        "service",
        "control",
        F.coalesce(F.col("network_records"), zero_l).alias("network_records"),
        F.coalesce(F.col("billable_records"), zero_l).alias("billable_records"),
        F.coalesce(F.col("billed_events"), zero_l).alias("billed_events"),
        F.coalesce(F.col("matched_records"), zero_l).alias("matched_records"),
        _ratio(F.coalesce(F.col("matched_records"), zero_l), F.col("billable_records")).alias("match_rate"),
        F.coalesce(F.col("findings"), zero_l).alias("findings"),
        expected.cast(MONEY).alias("expected_revenue"),
        F.coalesce(F.col("billed_revenue"), _zero()).cast(MONEY).alias("billed_revenue"),
        leakage.cast(MONEY).alias("leakage"),
        F.coalesce(F.col("overbilling"), _zero()).cast(MONEY).alias("overbilling"),
        _ratio(leakage, expected, 100).alias("leakage_pct"),
        F.lit(run_id).alias("run_id"),
    )
