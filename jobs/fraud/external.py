"""Features of external numbers (callers outside the subscriber base) per day — the wangiri view.

A wangiri number rings many subscribers once, for a second or two, hoping for expensive callbacks.
Per external number and day: MT calls it made to subscribers, those of at most ``one_ring_max_s``
seconds and the distinct subscribers they reached, and the callbacks (MO calls from a rung
subscriber to it within ``callback_window_hours`` after the first ring).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.fraud.features import safe_ratio
from jobs.fraud.prefix import is_international
from jobs.fraud.settings import FeatureParams


def external_daily(enriched: DataFrame, subscribers: DataFrame, p: FeatureParams, home_cc: str) -> DataFrame:
    """One row per ``(number, usage_date)`` for external numbers that called subscribers or were
    called back by them.

    Needs :func:`jobs.fraud.features.enrich_usage` output. Adds ``calls_to_subscribers,
    one_ring_calls, one_ring_targets, one_ring_share, callbacks, callback_subs, callback_minutes,
    destination_high_risk, national_share`` (1 for a national number, else 0).
    """
    own = subscribers.select(F.col("msisdn").alias("other_party"))
    voice = enriched.where(F.col("voice") & F.col("other_party").isNotNull()).join(own, "other_party", "left_anti")
    inbound = voice.where(F.col("mt"))
    one_ring = F.col("duration_s") <= p.one_ring_max_s
    rang = inbound.groupBy(F.col("other_party").alias("number"), "usage_date").agg(
        F.count(F.lit(1)).alias("calls_to_subscribers"),
        F.count(F.when(one_ring, True)).alias("one_ring_calls"),
        F.countDistinct(F.when(one_ring, F.col("msisdn"))).alias("one_ring_targets"),
        F.max(F.col("is_high_risk").cast("int")).alias("_risk_in"),
    )
    rings = inbound.where(one_ring).groupBy(F.col("other_party").alias("number"), "msisdn").agg(
        F.min("start_time").alias("first_ring")
    )
    window_end = F.col("first_ring") + F.make_interval(hours=F.lit(p.callback_window_hours))
    called_back = (
        voice.where(F.col("mo"))
        .select(F.col("other_party").alias("number"), "msisdn", "start_time", "minutes", "usage_date",
                "is_high_risk")
        .join(rings, ["number", "msisdn"])
        .where((F.col("start_time") > F.col("first_ring")) & (F.col("start_time") <= window_end))
        .groupBy("number", "usage_date")
        .agg(
            F.count(F.lit(1)).alias("callbacks"),
            F.countDistinct("msisdn").alias("callback_subs"),
            F.sum("minutes").cast("double").alias("callback_minutes"),
            F.max(F.col("is_high_risk").cast("int")).alias("_risk_out"),
        )
    )
    return (
        rang.join(called_back, ["number", "usage_date"], "full")
        .fillna({"calls_to_subscribers": 0, "one_ring_calls": 0, "one_ring_targets": 0, "callbacks": 0,
                 "callback_subs": 0, "callback_minutes": 0.0})
        .withColumn("one_ring_share", safe_ratio(F.col("one_ring_calls"), F.col("calls_to_subscribers")))
        .withColumn(
            "destination_high_risk",
            F.coalesce(F.greatest(F.col("_risk_in"), F.col("_risk_out")), F.lit(0)) == 1,
        )
        .withColumn(
            "national_share",
            F.when(is_international(F.col("number"), home_cc, p.min_international_digits), 0.0).otherwise(1.0),
        )
        .drop("_risk_in", "_risk_out")
    )
