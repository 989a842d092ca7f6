"""Assemble subscriber and external-number features into the layout of silver.fraud_features."""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.common.tables import FRAUD_FEATURES
from jobs.fraud.external import external_daily
from jobs.fraud.features import (
    add_bursts,
    add_device_sharing,
    add_history_and_peers,
    enrich_usage,
    subscriber_daily,
)
from jobs.fraud.settings import FeatureParams

KEYS = ("subject", "subject_type", "feature_date")
NUMERIC = (T.NumericType, T.BooleanType)


def _window(day: str) -> list:
    start = F.col(day).cast("timestamp")
    return [start.alias("window_start"), (start + F.expr("INTERVAL 1 DAY")).alias("window_end")]


def _conform(df: DataFrame) -> DataFrame:
    """Every catalogue column in order and type; numbers a subject type lacks are 0, flags false."""
    cols = []
    have = set(df.columns)
    nullable_missing = {"plan_id", "payment_type", "days_since_activation", "mo_calls_vs_history",
                        "risk_minutes_vs_history"}
    for field in FRAUD_FEATURES:
        default = F.lit(False) if field.dataType.typeName() == "boolean" else F.lit(0)
        col = F.col(field.name) if field.name in have else F.lit(None)
        if field.name not in nullable_missing and isinstance(field.dataType, NUMERIC):
            col = F.coalesce(col.cast(field.dataType), default.cast(field.dataType))
        cols.append(col.cast(field.dataType).alias(field.name))
    return df.select(cols)


def subscriber_features(enriched: DataFrame, p: FeatureParams) -> DataFrame:
    """Subscriber rows (all history days; filter to the wanted days afterwards)."""
    daily = subscriber_daily(enriched)
    daily = add_history_and_peers(add_device_sharing(enriched, add_bursts(enriched, daily, p), p), p)
    segment = F.concat(F.lit("subscriber:"), F.coalesce(F.col("payment_type"), F.lit("unknown")))
    return daily.select(
        F.col("msisdn").alias("subject"),
        F.lit("subscriber").alias("subject_type"),
        segment.alias("segment"),
        F.col("usage_date").alias("feature_date"),
        *_window("usage_date"),
        *[c for c in daily.columns if c not in {"msisdn", "usage_date", "activated_at"}],
    )


def external_features(ext: DataFrame) -> DataFrame:
    """External-number rows from :func:`jobs.fraud.external.external_daily`."""
    return ext.select(
        F.col("number").alias("subject"),
        F.lit("external_number").alias("subject_type"),
        F.lit("external_number").alias("segment"),
        F.col("usage_date").alias("feature_date"),
        *_window("usage_date"),
        *[c for c in ext.columns if c not in {"number", "usage_date"}],
    )


def assemble(subs: DataFrame, ext: DataFrame, dates: list[date], run_id: str) -> DataFrame:
    """Both kinds of rows for ``dates`` in the catalogue layout, stamped with ``run_id``."""
    both = subs.unionByName(ext, allowMissingColumns=True).where(F.col("feature_date").isin(dates))
    return _conform(both.withColumn("run_id", F.lit(run_id)))


def build_features(
    usage: DataFrame,
    subscribers: DataFrame,
    matches: DataFrame,
    prices: DataFrame,
    *,
    p: FeatureParams,
    home_cc: str,
    dates: list[date],
    run_id: str,
) -> DataFrame:
    """silver.fraud_features rows for ``dates`` from usage covering ``dates`` and their history."""
    enriched = enrich_usage(usage, subscribers, matches, prices, p=p, home_cc=home_cc)
    ext = external_daily(enriched, subscribers, p, home_cc)
    return assemble(subscriber_features(enriched, p), external_features(ext), dates, run_id)
