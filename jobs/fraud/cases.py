"""Fraud cases: one case per subject and typology, built from every within-budget alert.

The case id is a hash of (kind, subject type, subject, typology), so re-scoring updates the same
case instead of opening another; the whole kind='fraud' slice of gold.cases / gold.case_items is
rebuilt from gold.fraud_alerts on every scoring run (the app keeps case status in gold.case_events).
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.common.tables import MONEY

KIND = "fraud"
TITLES = {
    "simbox": "SIM box (interconnect bypass)",
    "irsf": "International revenue share fraud",
    "wangiri": "Wangiri one-ring number",
    "subscription_fraud": "Subscription fraud",
    "anomaly": "Unusual usage",
}


def case_id(subject_type: Column, subject: Column, typology: Column) -> Column:
    return F.sha2(F.concat_ws("|", F.lit(KIND), subject_type, subject, typology), 256).substr(1, 32)


def priority(score: Column, bands: tuple[tuple[float, int], ...]) -> Column:
    """The first ``[min score, priority]`` band the score reaches, else 4."""
    out = F.lit(4)
    for threshold, prio in reversed(bands):
        out = F.when(score >= threshold, F.lit(prio)).otherwise(out)
    return out.cast("int")


def build_cases(
    alerts: DataFrame,
    features: DataFrame,
    *,
    bands: tuple[tuple[float, int], ...],
    currency: str,
    run_id: str,
    now: datetime,
) -> tuple[DataFrame, DataFrame]:
    """gold.cases and gold.case_items rows (kind='fraud') from gold.fraud_alerts rows.

    Only within-budget alerts open cases. ``features`` (silver.fraud_features) gives the estimated
    spend at risk of subscriber alerts: international plus high-risk spend on the alert days.
    """
    picked = alerts.where(F.col("within_budget")).withColumn(
        "case_id", case_id(F.col("subject_type"), F.col("subject"), F.col("typology"))
    )
    spend = features.select(
        "subject", "subject_type", F.col("feature_date").alias("alert_date"),
        (F.col("intl_spend") + F.col("high_risk_spend")).alias("spend"),
    )
    with_spend = picked.join(spend, ["subject", "subject_type", "alert_date"], "left")
    titles = F.create_map(*[F.lit(x) for kv in TITLES.items() for x in kv])
    cases = with_spend.groupBy("case_id", "subject", "subject_type", "typology").agg(
        F.max("score").alias("score"),
        F.max_by("reasons", F.struct("score", "alert_date")).alias("reasons"),
        F.count(F.lit(1)).alias("item_count"),
        F.min("window_start").alias("first_seen"),
        F.max("window_end").alias("last_seen"),
        F.sum("spend").alias("spend"),
    )
    first_reason = F.split(F.col("reasons"), "; ").getItem(0)
    amount = F.when(F.col("subject_type") == "subscriber", F.coalesce(F.col("spend"), F.lit(0))).cast(MONEY)
    cases_out = cases.select(
        "case_id",
        F.lit(KIND).alias("kind"),
        F.col("typology").alias("category"),
        F.concat(F.coalesce(titles[F.col("typology")], F.col("typology")), F.lit(": "), F.col("subject"))
        .alias("title"),
        first_reason.alias("root_cause"),
        "subject", "subject_type",
        priority(F.col("score"), bands).alias("priority"),
        amount.alias("amount_at_risk"),
        F.when(amount.isNotNull(), F.lit(currency)).alias("currency"),
        F.col("item_count").cast("long").alias("item_count"),
        "first_seen", "last_seen", "score", "reasons",
        F.lit(run_id).alias("run_id"),
        F.lit(now).cast("timestamp").alias("updated_at"),
    )
    items = picked.select("case_id", F.lit(KIND).alias("kind"), F.col("alert_id").alias("item_id"),
                          F.lit(run_id).alias("run_id"))
    return cases_out, items
