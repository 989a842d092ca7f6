"""Fraud features per subscriber per day (pure Spark transforms, no UDFs).

Pipeline of transforms: :func:`enrich_usage` (one row per network record, with destination, risk,
estimated spend, local hour, device TAC) -> :func:`subscriber_daily` (counts, minutes, shares, hourly
peaks) -> :func:`add_bursts` -> :func:`add_device_sharing` -> :func:`add_history_and_peers`. External numbers (wangiri)
are in :mod:`jobs.fraud.external`; :mod:`jobs.fraud.assemble` puts both into the table's layout.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.common.tables import MONEY
from jobs.fraud.prefix import is_international
from jobs.fraud.settings import FeatureParams

SECONDS_PER_MINUTE = 60.0
BYTES_PER_MB = 1e6
SPEND = "decimal(28,6)"
# The network-record columns the features read; the enriched records keep only these (it is persisted:
# lineage columns such as source_file would only make the cache wider).
USAGE_COLUMNS = ("msisdn", "other_party", "service", "direction", "start_time", "usage_date", "duration_s",
                 "volume_bytes", "cell_id", "imei")


def distinct_count(col: Column) -> Column:
    """Distinct non-null values per group. Not ``countDistinct``: several of those in one aggregate make
    Spark copy every input row once per distinct column (an Expand) before the shuffle; the groups here
    (a subscriber's day) are small, so a set per group is cheap."""
    return F.size(F.collect_set(col))


def safe_ratio(num: Column, den: Column, floor: float = 1.0) -> Column:
    """``num / max(den, floor)`` as a double."""
    return num.cast("double") / F.greatest(den.cast("double"), F.lit(float(floor)))


def voice_tariffs(tariffs: DataFrame) -> DataFrame:
    """Per-minute voice prices: ``plan_id, zone, price_per_unit, effective_from, effective_to``."""
    return tariffs.where((F.col("service") == "voice") & (F.col("unit") == "minute")).select(
        "plan_id", "zone", "price_per_unit", "effective_from", "effective_to"
    )


def enrich_usage(
    usage: DataFrame,
    subscribers: DataFrame,
    matches: DataFrame,
    prices: DataFrame,
    *,
    p: FeatureParams,
    home_cc: str,
) -> DataFrame:
    """Network records with what the features need.

    Needs silver.network_usage columns (keeps :data:`USAGE_COLUMNS` of them); ``matches(number, zone,
    risk)`` from the prefix lookup and ``prices`` from :func:`voice_tariffs`. Adds ``plan_id,
    payment_type, activated_at, voice, mo, mt, minutes, zone, is_intl, is_high_risk, is_risk, spend
    (decimal), is_night, hour, tac``.
    """
    subs = subscribers.select("msisdn", "plan_id", "payment_type", "activated_at")
    dest = matches.select(F.col("number").alias("other_party"), "zone", "risk")
    local = F.from_utc_timestamp("start_time", p.local_timezone)
    hour = F.hour(local)
    night = (
        (hour >= p.night_start_hour) & (hour < p.night_end_hour)
        if p.night_start_hour <= p.night_end_hour
        else (hour >= p.night_start_hour) | (hour < p.night_end_hour)
    )
    df = (
        usage.select(*USAGE_COLUMNS).join(subs, "msisdn", "left")
        .join(dest, "other_party", "left")
        .withColumn("voice", F.col("service") == "voice")
        .withColumn("mo", F.col("direction") == "MO")
        .withColumn("mt", F.col("direction") == "MT")
        .withColumn("minutes", F.col("duration_s") / SECONDS_PER_MINUTE)
        .withColumn("is_intl", F.coalesce(is_international(F.col("other_party"), home_cc,
                                                           p.min_international_digits), F.lit(False)))
        .withColumn("is_high_risk", F.coalesce(F.col("risk") == "high", F.lit(False)))
        .withColumn("is_risk", F.col("is_intl") | F.col("is_high_risk"))
        .withColumn("is_night", night)
        .withColumn("hour", F.date_trunc("hour", "start_time"))
        .withColumn("tac", F.when(F.length("imei") >= p.tac_digits, F.substring("imei", 1, p.tac_digits)))
    )
    priced = df.alias("u").join(
        F.broadcast(prices.alias("t")),
        (F.col("u.plan_id") == F.col("t.plan_id"))
        & (F.col("u.zone") == F.col("t.zone"))
        & (F.col("u.usage_date") >= F.col("t.effective_from"))
        & (F.col("t.effective_to").isNull() | (F.col("u.usage_date") < F.col("t.effective_to")))
        & F.col("u.voice") & F.col("u.mo"),
        "left",
    )
    spend = (F.col("u.duration_s").cast("decimal(20,0)") * F.col("t.price_per_unit") / F.lit(60)).cast(SPEND)
    return priced.select("u.*", F.coalesce(spend, F.lit(0).cast(SPEND)).alias("spend"))


def subscriber_daily(enriched: DataFrame) -> DataFrame:
    """One row per ``(msisdn, usage_date)`` with the day's counts, minutes, shares and hourly peaks."""
    voice_mo = F.col("voice") & F.col("mo")
    voice_mt = F.col("voice") & F.col("mt")
    mins = F.col("minutes")

    def count_if(cond: Column) -> Column:
        return F.count(F.when(cond, True))

    def sum_if(cond: Column, value: Column) -> Column:
        return F.coalesce(F.sum(F.when(cond, value)), F.lit(0))

    daily = enriched.groupBy("msisdn", "usage_date").agg(
        F.first("plan_id", ignorenulls=True).alias("plan_id"),
        F.first("payment_type", ignorenulls=True).alias("payment_type"),
        F.first("activated_at", ignorenulls=True).alias("activated_at"),
        count_if(voice_mo).alias("mo_calls"),
        count_if(voice_mt).alias("mt_calls"),
        sum_if(voice_mo, mins).cast("double").alias("mo_minutes"),
        sum_if(voice_mt, mins).cast("double").alias("mt_minutes"),
        distinct_count(F.when(voice_mo, F.col("other_party"))).alias("mo_distinct_numbers"),
        count_if(voice_mo & ~F.col("is_intl")).alias("_national_calls"),
        count_if((F.col("service") == "sms") & F.col("mo")).alias("sms_mo"),
        count_if((F.col("service") == "sms") & F.col("mt")).alias("sms_mt"),
        count_if(F.col("service") == "data").alias("data_sessions"),
        (sum_if(F.col("service") == "data", F.col("volume_bytes")) / BYTES_PER_MB).alias("data_mb"),
        distinct_count(F.col("cell_id")).alias("distinct_cells"),
        distinct_count(F.col("imei")).alias("distinct_imeis"),
        count_if(voice_mo & F.col("is_night")).alias("_night_calls"),
        count_if(voice_mo & F.col("is_intl")).alias("intl_calls"),
        sum_if(voice_mo & F.col("is_intl"), mins).cast("double").alias("intl_minutes"),
        count_if(voice_mo & F.col("is_high_risk")).alias("high_risk_calls"),
        sum_if(voice_mo & F.col("is_high_risk"), mins).cast("double").alias("high_risk_minutes"),
        sum_if(voice_mo & F.col("is_risk"), mins).cast("double").alias("risk_minutes"),
        sum_if(voice_mo & F.col("is_intl"), F.col("spend")).cast(MONEY).alias("intl_spend"),
        sum_if(voice_mo & F.col("is_high_risk"), F.col("spend")).cast(MONEY).alias("high_risk_spend"),
        F.coalesce(F.avg(F.when(voice_mo, F.col("duration_s"))), F.lit(0.0)).alias("avg_duration_s"),
        F.coalesce(F.stddev_pop(F.when(voice_mo, F.col("duration_s"))), F.lit(0.0)).alias("std_duration_s"),
    )
    hourly = (
        enriched.where(voice_mo)
        .groupBy("msisdn", "usage_date", "hour")
        .agg(
            F.count(F.lit(1)).alias("calls"),
            F.coalesce(F.sum(F.when(F.col("is_high_risk"), mins)), F.lit(0.0)).alias("hr_minutes"),
        )
        .groupBy("msisdn", "usage_date")
        .agg(
            F.max("calls").alias("peak_calls_hour"),
            F.max("hr_minutes").cast("double").alias("peak_high_risk_minutes_hour"),
        )
    )
    return (
        daily.join(hourly, ["msisdn", "usage_date"], "left")
        .fillna({"peak_calls_hour": 0, "peak_high_risk_minutes_hour": 0.0})
        .withColumn("distinct_share", safe_ratio(F.col("mo_distinct_numbers"), F.col("mo_calls")))
        .withColumn("mt_mo_ratio", safe_ratio(F.col("mt_calls"), F.col("mo_calls")))
        .withColumn(
            "national_share",
            F.when(F.col("mo_calls") > 0, safe_ratio(F.col("_national_calls"), F.col("mo_calls"))).otherwise(0.0),
        )
        .withColumn("night_share", safe_ratio(F.col("_night_calls"), F.col("mo_calls")))
        .drop("_national_calls", "_night_calls")
    )


def add_bursts(enriched: DataFrame, daily: DataFrame, p: FeatureParams) -> DataFrame:
    """Add ``high_risk_minutes_burst``: the most high-risk minutes any ``burst_window_hours`` window
    ending at one of the day's high-risk calls holds (the window may reach into the day before).
    Needs ``daily`` from :func:`subscriber_daily`; the enriched records must cover the day before."""
    keys = ["msisdn", "usage_date"]
    calls = enriched.where(F.col("voice") & F.col("mo") & F.col("is_high_risk")).select(
        *keys, F.unix_timestamp("start_time").alias("_t"), "minutes")
    window = Window.partitionBy("msisdn").orderBy("_t").rangeBetween(-p.burst_window_hours * 3600, 0)
    bursts = (
        calls.withColumn("_w", F.sum("minutes").over(window))
        .groupBy(*keys)
        .agg(F.max("_w").cast("double").alias("high_risk_minutes_burst"))
    )
    return daily.join(bursts, keys, "left").fillna({"high_risk_minutes_burst": 0.0})


def add_device_sharing(enriched: DataFrame, daily: DataFrame, p: FeatureParams) -> DataFrame:
    """Add ``tac_sims`` (SIMs on the same device type in the same cell that day, itself included),
    ``tac_heavy_sims`` (those of them with at least ``heavy_mo_calls`` MO calls) and ``imei_sims``
    (SIMs seen with the same IMEI that day). Needs ``daily`` from :func:`subscriber_daily`."""
    keys = ["msisdn", "usage_date"]
    heavy = daily.select(*keys, (F.col("mo_calls") >= p.heavy_mo_calls).alias("heavy"))
    seen = enriched.where(F.col("tac").isNotNull() & F.col("cell_id").isNotNull()).select(
        *keys, "tac", "cell_id"
    ).distinct().join(heavy, keys, "left")
    group = Window.partitionBy("usage_date", "tac", "cell_id")
    tac = (
        seen.withColumn("_sims", F.count(F.lit(1)).over(group))
        .withColumn("_heavy", F.sum(F.when(F.col("heavy"), 1).otherwise(0)).over(group))
        .groupBy(*keys)
        .agg(F.max("_sims").alias("tac_sims"), F.max(F.when(F.col("heavy"), F.col("_heavy"))).alias("tac_heavy_sims"))
    )
    imei_pairs = enriched.where(F.col("imei").isNotNull()).select(*keys, "imei").distinct()
    imei = (
        imei_pairs.withColumn("_n", F.count(F.lit(1)).over(Window.partitionBy("usage_date", "imei")))
        .groupBy(*keys)
        .agg(F.max("_n").alias("imei_sims"))
    )
    return (
        daily.join(tac, keys, "left")
        .join(imei, keys, "left")
        .fillna({"tac_sims": 0, "tac_heavy_sims": 0, "imei_sims": 0})
    )


def add_history_and_peers(daily: DataFrame, p: FeatureParams) -> DataFrame:
    """Deviation from the subscriber's own previous ``history_days`` and from its plan's peers.

    Adds ``history_days`` (days of history available), ``mo_calls_vs_history``,
    ``risk_minutes_vs_history`` (null without history), ``mo_calls_vs_plan``, ``risk_minutes_vs_plan``
    (against the median of subscribers of the same plan that day), ``days_since_activation``.
    """
    day_no = F.datediff("usage_date", F.lit("1970-01-01").cast("date"))
    start = daily.agg(F.min("usage_date").alias("_data_start"))
    prev = Window.partitionBy("msisdn").orderBy("_day").rangeBetween(-p.history_days, -1)
    plan = F.coalesce(F.col("plan_id"), F.lit("unknown"))
    peers = Window.partitionBy(plan, "usage_date")
    hist_days = F.least(F.lit(p.history_days), F.datediff("usage_date", "_data_start"))

    def vs_history(col: str) -> Column:
        mean = F.coalesce(F.sum(col).over(prev), F.lit(0.0)) / F.greatest(F.col("history_days"), F.lit(1))
        return F.when(F.col("history_days") > 0, safe_ratio(F.col(col), mean, p.history_floor))

    return (
        daily.crossJoin(F.broadcast(start))  # one row: the first day of data
        .withColumn("_day", day_no)
        .withColumn("history_days", hist_days.cast("int"))
        .withColumn("mo_calls_vs_history", vs_history("mo_calls"))
        .withColumn("risk_minutes_vs_history", vs_history("risk_minutes"))
        .withColumn(
            "mo_calls_vs_plan",
            safe_ratio(F.col("mo_calls"), F.percentile_approx("mo_calls", 0.5).over(peers), p.peer_median_floor),
        )
        .withColumn(
            "risk_minutes_vs_plan",
            safe_ratio(F.col("risk_minutes"), F.percentile_approx("risk_minutes", 0.5).over(peers),
                       p.peer_median_floor),
        )
        .withColumn("days_since_activation", F.datediff("usage_date", F.to_date("activated_at")).cast("int"))
        .drop("_day", "_data_start")
    )
