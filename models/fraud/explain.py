"""Alert explanations an analyst reads: the top reasons, in words, with the numbers behind them.

Each indicator column of a typology has a phrase (several indicators may share one, e.g. the call
count and the distinct-number share). For an alert, the phrases of its typology are ranked —
required evidence first, then supporting evidence by strength — and the top ``max_reasons`` are
joined with "; ", followed by the model's own evidence. Anomaly alerts list the largest deviations
from the subject's plan peers and own history. Everything is Spark column arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as F

if TYPE_CHECKING:  # the typology definitions come from the fraud stage's config
    from jobs.fraud.settings import Indicator, Typology

c = F.col
Phrase = Callable[[], Column]


def _plural(n: Column, one: str, many: str) -> Column:
    return F.when(n == 1, F.lit(one)).otherwise(F.lit(many))


def _outgoing() -> Column:
    return F.format_string("%d outgoing calls to %d distinct numbers, %.0fx the plan median",
                           c("mo_calls"), c("mo_distinct_numbers"), c("mo_calls_vs_plan"))


def _incoming() -> Column:
    return F.format_string("%d incoming", c("mt_calls"))


def _other_activity() -> Column:
    return F.format_string("%d SMS and %d data sessions", c("sms_mo") + c("sms_mt"), c("data_sessions"))


def _cells() -> Column:
    return F.concat(c("distinct_cells").cast("string"), F.lit(" "), _plural(c("distinct_cells"), "cell", "cells"))


def _shared_device() -> Column:
    return F.format_string("device type (IMEI TAC) shared by %d busy SIMs in the same cell", c("tac_heavy_sims"))


def _age() -> Column:
    return F.coalesce(F.format_string("account %d days old", c("days_since_activation")), F.lit("activation unknown"))


def _high_risk() -> Column:
    return F.format_string("%.0f minutes in %d calls to high-risk ranges (est. spend %.2f)",
                           c("high_risk_minutes"), c("high_risk_calls"), c("high_risk_spend").cast("double"))


def _burst() -> Column:
    return F.format_string("%.0f high-risk minutes within one hour", c("peak_high_risk_minutes_hour"))


def _burst_window() -> Column:
    return F.format_string("%.0f minutes to high-risk ranges in one burst", c("high_risk_minutes_burst"))


def _history() -> Column:
    return F.coalesce(
        F.format_string("%.0fx its own daily average of international/high-risk minutes", c("risk_minutes_vs_history")),
        F.lit("no usage history"),
    )


def _risk_minutes() -> Column:
    return F.format_string("%.0f minutes to international/premium numbers, %.0fx the plan median (est. spend %.2f)",
                           c("risk_minutes"), c("risk_minutes_vs_plan"),
                           (c("intl_spend") + c("high_risk_spend")).cast("double"))


def _one_ring() -> Column:
    return F.format_string("%d one-ring calls to %d distinct subscribers (%.0f%% of its %d calls)",
                           c("one_ring_calls"), c("one_ring_targets"), c("one_ring_share") * 100,
                           c("calls_to_subscribers"))


def _callbacks() -> Column:
    return F.format_string("%d callbacks from %d subscribers (%.0f minutes)", c("callbacks"), c("callback_subs"),
                           c("callback_minutes"))


PHRASES: dict[str, tuple[str, Phrase]] = {
    # indicator column -> (phrase key, phrase)
    "mo_calls": ("outgoing", _outgoing),
    "distinct_share": ("outgoing", _outgoing),
    "mo_calls_vs_plan": ("outgoing", _outgoing),
    "mt_mo_ratio": ("incoming", _incoming),
    "other_activity": ("other", _other_activity),
    "distinct_cells": ("cells", _cells),
    "tac_heavy_sims": ("device", _shared_device),
    "days_since_activation": ("age", _age),
    "prepaid": ("prepaid", lambda: F.when(c("payment_type") == "prepaid", "prepaid").otherwise("postpaid")),
    "national_share": ("national", lambda: F.format_string("%.0f%% national", c("national_share") * 100)),
    "high_risk_minutes": ("high_risk", _high_risk),
    "high_risk_calls": ("high_risk", _high_risk),
    "peak_high_risk_minutes_hour": ("burst", _burst),
    "high_risk_minutes_burst": ("burst_window", _burst_window),
    "night_share": ("night", lambda: F.format_string("%.0f%% of calls at night", c("night_share") * 100)),
    "risk_minutes_vs_history": ("history", _history),
    "risk_minutes": ("risk", _risk_minutes),
    "risk_minutes_vs_plan": ("risk", _risk_minutes),
    "intl_or_risk_spend": ("risk", _risk_minutes),
    "one_ring_targets": ("one_ring", _one_ring),
    "one_ring_share": ("one_ring", _one_ring),
    "callback_subs": ("callbacks", _callbacks),
    "destination_high_risk": ("range", lambda: F.when(c("destination_high_risk"), "high-risk number range")
                              .otherwise("normal-risk number range")),
}

# Anomaly alerts: deviation column -> phrase.
DEVIATIONS: dict[str, Phrase] = {
    "mo_calls_vs_plan": lambda: F.format_string("%d outgoing calls, %.0fx the plan median", c("mo_calls"),
                                                c("mo_calls_vs_plan")),
    "risk_minutes_vs_plan": _risk_minutes,
    "mo_calls_vs_history": lambda: F.format_string("%d outgoing calls, %.0fx its own daily average", c("mo_calls"),
                                                   c("mo_calls_vs_history")),
    "risk_minutes_vs_history": _history,
}


def _phrase(col: str) -> tuple[str, Phrase]:
    return PHRASES.get(col, (col, lambda: F.format_string(f"{col} %s", c(col).cast("string"))))


def _top(items: list[tuple[Column, Column]], limit: int) -> Column:
    """Texts of the ``limit`` strongest items with strength > 0, strongest first (ties: in list order),
    joined by '; '."""
    n = len(items)
    arr = F.array(*[F.struct(strength.cast("double").alias("s"), F.lit(n - i).alias("o"), text.alias("t"))
                    for i, (strength, text) in enumerate(items)])
    kept = F.filter(F.sort_array(arr, asc=False), lambda x: (x["s"] > 0) & x["t"].isNotNull())
    return F.array_join(F.transform(F.slice(kept, 1, limit), lambda x: x["t"]), "; ")


def typology_reasons(typ: Typology, strength: Callable[[Indicator], Column], limit: int) -> Column:
    """Reasons of a typology alert: required evidence first (strength 1 + x), then supporting."""
    by_key: dict[str, tuple[Column, Column]] = {}
    for rank, inds in ((1.0, typ.required), (0.0, typ.supporting)):
        for ind in inds:
            key, phrase = _phrase(ind.column)
            value = strength(ind) + F.lit(rank)
            if key in by_key:
                value = F.greatest(by_key[key][0], value)
            by_key[key] = (value, by_key[key][1] if key in by_key else phrase())
    return _top(list(by_key.values()), limit)


def anomaly_reasons(limit: int, min_ratio: float) -> Column:
    """Reasons of an anomaly alert: the largest deviations (at least ``min_ratio`` x)."""
    items = [
        (F.when(c(col) >= min_ratio, c(col)).otherwise(0.0), phrase()) for col, phrase in DEVIATIONS.items()
    ]
    top = _top(items, limit)
    return F.when(top == "", F.lit("unusual combination of usage for its segment")).otherwise(top)


def model_evidence() -> Column:
    """The model's part of the explanation (needs ``anomaly`` and ``fraud_proba``)."""
    anomaly = F.format_string("anomaly percentile %.2f%% in its segment", c("anomaly") * 100)
    proba = F.format_string("classifier probability %.2f", c("fraud_proba"))
    return F.when(c("fraud_proba").isNull(), anomaly).otherwise(F.concat_ws("; ", proba, anomaly))
