"""Independent re-rating of network usage (rating rules of contract v1), as pure transforms.

Per network record: is it billable, its zone (roaming / home data / longest destination prefix),
the subscriber's plan and status from the snapshot, the tariff row in force at ``start_time``, the
usage rounded up to the tariff increment, the part of it beyond the bill cycle's allowance, and the
expected charge ``round_half_up(price_per_unit * chargeable units, 4)`` — all in Decimal.

Everything time-related is computed from ``unix_micros``/``unix_date`` so that it is UTC whatever
the session time zone: tariff ``effective_from``/``effective_to`` are UTC dates (``to`` exclusive),
the bill cycle is the UTC ``YYYY-MM`` of ``start_time``.

Longest-prefix matching never crosses records with prefixes: the catalogue is split by prefix
length and each length is one *broadcast* equi-join on ``substring(other_party, 1, length)``; the
longest hit wins (``coalesce`` from the longest length down). That is one hash probe per record and
length, without a shuffle, so it scales linearly with records and is independent of catalogue size.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, LongType

from jobs.common.tables import MONEY

US_PER_DAY = 86_400_000_000
ROAMING, HOME = "roaming", "home"
_PRICE = DecimalType(12, 6)  # prices below 1,000,000 per unit: keeps price x quantity exact
_QTY = DecimalType(18, 6)


# --------------------------------------------------------------------------- rules about one column
def is_billable(direction: Column, service: Column) -> Column:
    """MO voice and sms records, and all data records, are billable; MT voice/sms never are."""
    return (service.isin("voice", "sms") & (direction == F.lit("MO"))) | (service == F.lit("data"))


def rating_zone(service: Column, roaming_plmn: Column, destination_zone: Column) -> Column:
    """``roaming`` when a visited network is set, else ``home`` for data, else the destination zone."""
    roaming = roaming_plmn.isNotNull() & (F.trim(roaming_plmn) != F.lit(""))
    return (
        F.when(roaming, F.lit(ROAMING))
        .when(service == F.lit("data"), F.lit(HOME))
        .otherwise(destination_zone)
    )


def unit_base(service: Column) -> Column:
    """Base units (seconds, messages, bytes) in one tariff unit (minute, message, megabyte)."""
    return (
        F.when(service == F.lit("voice"), F.lit(60))
        .when(service == F.lit("data"), F.lit(1_000_000))
        .otherwise(F.lit(1))
        .cast(LongType())
    )


def increment_base(service: Column, increment: Column) -> Column:
    """The tariff increment in base units: voice seconds, one message, data ``increment`` kB."""
    return (
        F.when(service == F.lit("voice"), increment)
        .when(service == F.lit("data"), increment * F.lit(1000))
        .otherwise(F.lit(1))
        .cast(LongType())
    )


def raw_quantity(service: Column, duration_s: Column, volume_bytes: Column) -> Column:
    """Usage in base units as the network measured it: seconds, 1 message, bytes."""
    return (
        F.when(service == F.lit("voice"), duration_s)
        .when(service == F.lit("data"), volume_bytes)
        .otherwise(F.lit(1))
        .cast(LongType())
    )


def billed_quantity(raw: Column, increment: Column) -> Column:
    """``ceil(raw / increment) * increment`` in exact integer arithmetic (``raw >= 0``)."""
    return raw + (increment - raw % increment) % increment


def chargeable_quantity(rounded: Column, cumulative: Column, included_base: Column) -> Column:
    """The part of ``rounded`` beyond the allowance, given the cumulative usage *including* it."""
    beyond = F.greatest(F.lit(0).cast(_QTY), (cumulative - included_base).cast(_QTY))
    return F.least(rounded.cast(_QTY), beyond)


def expected_charge(price: Column, chargeable_base: Column, unit_base_col: Column) -> Column:
    """``price * chargeable_base / unit_base`` rounded half-up to 4 decimals (exact decimals)."""
    exact = price.cast(_PRICE) * chargeable_base.cast(_QTY) / unit_base_col.cast(DecimalType(7, 0))
    return F.round(exact, 4).cast(MONEY)


def utc_day_start_us(day: Column) -> Column:
    """Microseconds since the epoch of 00:00 UTC of a DATE (independent of the session zone)."""
    return F.unix_date(day).cast(LongType()) * F.lit(US_PER_DAY)


def utc_date(ts: Column) -> Column:
    """The UTC calendar date of a timestamp (independent of the session time zone)."""
    return F.date_from_unix_date(F.floor(F.unix_micros(ts) / F.lit(US_PER_DAY)).cast("int"))


def bill_cycle(ts: Column) -> Column:
    """The UTC bill cycle ``YYYY-MM`` of a timestamp."""
    return F.date_format(utc_date(ts), "yyyy-MM")


def cycle_index(ts: Column) -> Column:
    """The UTC bill cycle as a month number (``year * 12 + month``): a cheap grouping key."""
    day = utc_date(ts)
    return F.year(day) * F.lit(12) + F.month(day)


# --------------------------------------------------------------------------- transforms
def prefix_lengths(destinations: DataFrame) -> list[int]:
    """Distinct prefix lengths of the catalogue (a handful of small integers; read once per run)."""
    rows = destinations.select(F.length("prefix").alias("n")).distinct().collect()
    return sorted(int(r["n"]) for r in rows if r["n"])


def prefix_catalogue(destinations: DataFrame) -> DataFrame:
    """``prefix``, ``zone`` with one row per prefix (a prefix listed twice keeps its smallest zone)."""
    return destinations.groupBy("prefix").agg(F.min("zone").alias("zone"))


def longest_prefix_zone(
    records: DataFrame, destinations: DataFrame, lengths: Sequence[int], number_col: str = "other_party",
    *, unique: bool = False,
) -> DataFrame:
    """Add ``dest_prefix`` and ``dest_zone``: the longest catalogue prefix of ``number_col``.

    Needs ``number_col``; ``destinations`` needs ``prefix``, ``zone``. One broadcast equi-join per
    prefix length (longest first). ``unique``: the catalogue already has one row per prefix (see
    :func:`prefix_catalogue`); otherwise it is made so here.
    """
    catalogue = destinations if unique else destinations.groupBy("prefix").agg(F.min("zone").alias("zone"))
    out = records
    prefixes, zones = [], []
    for n in sorted(set(lengths), reverse=True):
        p, z = f"_p{n}", f"_z{n}"
        part = catalogue.filter(F.length("prefix") == n).select(F.col("prefix").alias(p), F.col("zone").alias(z))
        out = out.join(F.broadcast(part), F.substring(F.col(number_col), 1, n) == F.col(p), "left")
        prefixes.append(F.col(p))
        zones.append(F.col(z))
    if not prefixes:
        return out.withColumn("dest_prefix", F.lit(None).cast("string")).withColumn(
            "dest_zone", F.lit(None).cast("string"))
    out = out.withColumn("dest_prefix", F.coalesce(*prefixes)).withColumn("dest_zone", F.coalesce(*zones))
    return out.drop(*[f"_p{n}" for n in lengths], *[f"_z{n}" for n in lengths])


def tariff_periods(tariffs: DataFrame) -> DataFrame:
    """Tariff rows with their validity as UTC microseconds ``[t_from_us, t_to_us)``.

    Overlapping rows of one plan/service/zone are cut at the next row's ``effective_from`` so that
    at most one row is in force at any instant.
    """
    w = Window.partitionBy("plan_id", "service", "zone").orderBy("effective_from")
    nxt = F.lead("effective_from").over(w)
    return tariffs.select(
        F.col("plan_id").alias("t_plan_id"),
        F.col("service").alias("t_service"),
        F.col("zone").alias("t_zone"),
        F.col("price_per_unit").alias("price_per_unit"),
        F.col("unit").alias("tariff_unit"),
        F.col("increment").alias("increment"),
        F.col("included_units").alias("included_units"),
        utc_day_start_us(F.col("effective_from")).alias("t_from_us"),
        utc_day_start_us(F.least(F.col("effective_to"), nxt)).alias("t_to_us"),
    )


def tariff_in_force(plan: Column, t_us: Column) -> Column:
    """The join condition of a record with :func:`tariff_periods`: the row of ``plan``, the record's
    ``service`` and ``zone``, in force at ``t_us`` (UTC micros)."""
    return (
        (plan == F.col("t_plan_id"))
        & (F.col("service") == F.col("t_service"))
        & (F.col("zone") == F.col("t_zone"))
        & (t_us >= F.col("t_from_us"))
        & (F.col("t_to_us").isNull() | (t_us < F.col("t_to_us")))
    )


def rate_usage(
    network: DataFrame,
    subscribers: DataFrame,
    destinations: DataFrame,
    tariffs: DataFrame,
    lengths: Sequence[int],
    *,
    unique_prefixes: bool = False,
) -> DataFrame:
    """Rate every network record (silver.network_usage columns) independently of billing.

    Adds: ``t_us``, ``billable``, ``known``, ``sub_plan_id``, ``sub_status``, ``sub_terminated_at``,
    ``dest_prefix``, ``zone``, ``cycle`` (UTC bill cycle, :func:`cycle_index`), ``price_per_unit``,
    ``tariff_unit``, ``increment``, ``included_units``, ``has_tariff``, ``unit_base``, ``increment_base``, ``raw_qty``,
    ``rounded_qty``, ``cumulative_qty``, ``chargeable_qty``, ``expected_charge`` (null when the
    record is not billable, the msisdn is unknown or there is a tariff gap), ``inactive_reason``.
    """
    subs = subscribers.select(
        F.col("msisdn").alias("_s_msisdn"),
        F.col("plan_id").alias("sub_plan_id"),
        F.col("status").alias("sub_status"),
        F.col("terminated_at").alias("sub_terminated_at"),
    )
    df = network.withColumn("t_us", F.unix_micros("start_time"))
    df = df.withColumn("billable", is_billable(F.col("direction"), F.col("service")))
    df = longest_prefix_zone(df, destinations, lengths, unique=unique_prefixes)
    df = df.withColumn("zone", rating_zone(F.col("service"), F.col("roaming_plmn"), F.col("dest_zone")))
    df = df.join(subs, F.col("msisdn") == F.col("_s_msisdn"), "left").drop("_s_msisdn")
    df = df.withColumn("known", F.col("sub_plan_id").isNotNull())
    df = df.withColumn("cycle", cycle_index(F.col("start_time")))
    periods = tariff_periods(tariffs)
    df = df.join(F.broadcast(periods), tariff_in_force(F.col("sub_plan_id"), F.col("t_us")), "left").drop(
        "t_plan_id", "t_service", "t_zone", "t_from_us", "t_to_us")
    df = df.withColumn("has_tariff", F.col("price_per_unit").isNotNull())
    df = df.withColumn("unit_base", unit_base(F.col("service")))
    df = df.withColumn("increment_base", increment_base(F.col("service"), F.col("increment")))
    df = df.withColumn("raw_qty", raw_quantity(F.col("service"), F.col("duration_s"), F.col("volume_bytes")))
    df = df.withColumn("rounded_qty", billed_quantity(F.col("raw_qty"), F.col("increment_base")))
    df = apply_allowance(df)
    rated = F.col("billable") & F.col("known") & F.col("has_tariff")
    df = df.withColumn(
        "expected_charge",
        F.when(rated, expected_charge(F.col("price_per_unit"), F.col("chargeable_qty"), F.col("unit_base"))),
    )
    return df.withColumn("inactive_reason", inactive_reason(
        F.col("known"), F.col("sub_status"), F.col("sub_terminated_at"), F.col("start_time")))


def apply_allowance(rated: DataFrame) -> DataFrame:
    """Add ``cumulative_qty`` and ``chargeable_qty``: allowances consumed in ``start_time`` order.

    The allowance pool is msisdn x UTC bill cycle x the subscriber's plan x service x zone, over
    all billable records of known subscribers with a tariff (billed or not, any status); ties in
    ``start_time`` are ordered by ``source_system``, ``record_id``. ``included_units`` of the row in
    force at the record converts to base units (60 s, 1 message, 1,000,000 bytes). The plan comes
    from the snapshot, one per msisdn, so the window need not partition by it.
    """
    pooled = F.col("billable") & F.col("known") & F.col("has_tariff")
    w = (
        Window.partitionBy("msisdn", "cycle", "service", "zone")
        .orderBy("t_us", "source_system", "record_id")
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    cumulative = F.sum(F.when(pooled, F.col("rounded_qty")).otherwise(F.lit(0))).over(w)
    included = F.col("included_units").cast(_QTY) * F.col("unit_base")
    return rated.withColumn("cumulative_qty", F.when(pooled, cumulative)).withColumn(
        "chargeable_qty",
        F.when(pooled, chargeable_quantity(F.col("rounded_qty"), F.col("cumulative_qty"), included)),
    )


def inactive_reason(known: Column, status: Column, terminated_at: Column, start_time: Column) -> Column:
    """Why usage at ``start_time`` is by an inactive line: unknown / suspended / terminated; else null."""
    terminated = (status == F.lit("terminated")) & (
        terminated_at.isNull() | (F.unix_micros(start_time) >= F.unix_micros(terminated_at))
    )
    return (
        F.when(~known, F.lit("unknown"))
        .when(status == F.lit("suspended"), F.lit("suspended"))
        .when(terminated, F.lit("terminated"))
    )
