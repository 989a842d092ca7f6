"""Longest-prefix lookup of called numbers in the destination catalogue, and the home country code.

The lookup runs on the *distinct* numbers only, with one equi-join per prefix length present in the
catalogue (``substring(number, 1, n) = prefix``) — never a cross join — and keeps the longest match.
The matching itself is the reconcile stage's (:mod:`jobs.reconcile.rating`), shared, not copied.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.reconcile.rating import longest_prefix_zone, prefix_lengths

__all__ = ["common_prefix", "infer_home_country_code", "is_international", "longest_prefix_match", "prefix_lengths"]


def longest_prefix_match(numbers: DataFrame, destinations: DataFrame, lengths: list[int]) -> DataFrame:
    """``numbers(number)`` -> ``(number, prefix, zone, risk)`` for numbers with a matching prefix.

    ``destinations`` needs ``prefix, zone, risk``; ``lengths`` from :func:`prefix_lengths`. The match
    is the reconcile stage's :func:`~jobs.reconcile.rating.longest_prefix_zone` (one broadcast
    equi-join per prefix length) run on the distinct numbers only; the risk of the matched prefix is
    joined on afterwards (high if any catalogue row of that prefix says so).
    """
    distinct = numbers.select("number").where(F.col("number").isNotNull()).distinct()
    matched = longest_prefix_zone(distinct, destinations, lengths, number_col="number").where(
        F.col("dest_prefix").isNotNull())
    risk = destinations.groupBy("prefix").agg(F.max((F.col("risk") == "high").cast("int")).alias("_high"))
    return matched.join(F.broadcast(risk), matched["dest_prefix"] == risk["prefix"]).select(
        "number", "prefix", F.col("dest_zone").alias("zone"),
        F.when(F.col("_high") == 1, "high").otherwise("normal").alias("risk"),
    )


def common_prefix(first: str, last: str) -> str:
    """Longest common prefix of two strings."""
    n = 0
    for a, b in zip(first, last, strict=False):
        if a != b:
            break
        n += 1
    return first[:n]


def infer_home_country_code(subscribers: DataFrame, destinations: DataFrame) -> str:
    """The operator's country code, from its own MSISDNs.

    The common prefix of all MSISDNs is the common prefix of the smallest and largest (string
    order). The shortest catalogue prefix it starts with is the country code; without one, the
    common prefix itself (cut to the 3 digits an E.164 country code has at most).
    """
    bounds = subscribers.agg(F.min("msisdn").alias("lo"), F.max("msisdn").alias("hi")).first()
    if bounds is None or bounds["lo"] is None:
        return ""
    shared = common_prefix(bounds["lo"], bounds["hi"])
    if not shared:
        return ""
    candidates = (
        destinations.where(F.lit(shared).startswith(F.col("prefix")))
        .agg(F.min(F.length("prefix")).alias("n"))
        .first()
    )
    if candidates is not None and candidates["n"]:
        return shared[: int(candidates["n"])]
    return shared[:3]


def is_international(number: Column, home_cc: str, min_digits: int) -> Column:
    """True for a number outside the home country (short codes are never international)."""
    if not home_cc:
        return F.lit(False)
    return (F.length(number) >= min_digits) & ~number.startswith(home_cc)
