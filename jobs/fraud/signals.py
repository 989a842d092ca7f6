"""Typology signals: how much a feature row looks like each known fraud typology (0..1).

Every typology in ``fraud.signals.typologies`` is a set of indicators ``[column, from, to]``: an
indicator is 0 at ``from`` and 1 at ``to`` (linear between, clipped; ``from > to`` when lower is
more suspicious). The likeness is ``min(required) * (base + (1 - base) * mean(supporting))``, so a
typology needs all its required evidence, and supporting evidence lifts its confidence. All of it is
Spark column arithmetic; the thresholds come from the config only.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.fraud.settings import ANOMALY, Indicator, SignalParams, Typology


def derived_columns() -> dict[str, Column]:
    """Helper columns indicators may name (built lazily: Columns need an active session)."""
    return {
        "other_activity": (F.col("sms_mo") + F.col("sms_mt") + F.col("data_sessions")).cast("double"),
        "prepaid": F.when(F.col("payment_type") == "prepaid", 1.0).otherwise(0.0),
        "intl_or_risk_spend": (F.col("intl_spend") + F.col("high_risk_spend")).cast("double"),
    }


def ramp(value: Column, start: float, end: float) -> Column:
    """0 at ``start``, 1 at ``end``, linear between and clipped; null counts as 0."""
    if start == end:
        return F.when(value >= end, 1.0).otherwise(0.0)
    scaled = (value.cast("double") - F.lit(start)) / F.lit(end - start)
    return F.coalesce(F.least(F.greatest(scaled, F.lit(0.0)), F.lit(1.0)), F.lit(0.0))


def indicator_column(ind: Indicator, derived: dict[str, Column]) -> Column:
    return ramp(derived.get(ind.column, F.col(ind.column)), ind.start, ind.end)


def likeness(typ: Typology, derived: dict[str, Column]) -> Column:
    """The typology's likeness for rows of its subject type (0 for the other subject type)."""
    required = [indicator_column(i, derived) for i in typ.required]
    core = required[0] if len(required) == 1 else F.least(*required)
    if typ.supporting:
        support = sum((indicator_column(i, derived) for i in typ.supporting), F.lit(0.0)) / len(typ.supporting)
        core = core * (F.lit(typ.base) + F.lit(1.0 - typ.base) * support)
    return F.when(F.col("subject_type") == typ.subject_type, core).otherwise(0.0)


def add_signals(features: DataFrame, params: SignalParams) -> DataFrame:
    """Add ``like_<typology>`` per typology, ``likeness`` (the best) and ``best_typology``.

    Needs silver.fraud_features columns. ``best_typology`` is the typology of the highest likeness
    (config order breaks ties), or ``anomaly`` when none reaches ``near_miss_at``.
    """
    derived = derived_columns()
    df = features
    for typ in params.typologies:
        df = df.withColumn(f"like_{typ.name}", likeness(typ, derived))
    if not params.typologies:
        return df.withColumn("likeness", F.lit(0.0)).withColumn("best_typology", F.lit(ANOMALY))
    cols = [F.col(f"like_{t.name}") for t in params.typologies]
    best = cols[0] if len(cols) == 1 else F.greatest(*cols)
    df = df.withColumn("likeness", best)
    pick = F.lit(ANOMALY)
    for typ in reversed(params.typologies):  # first in config order wins a tie
        pick = F.when(F.col(f"like_{typ.name}") == F.col("likeness"), F.lit(typ.name)).otherwise(pick)
    return df.withColumn(
        "best_typology", F.when(F.col("likeness") >= params.near_miss_at, pick).otherwise(F.lit(ANOMALY))
    )


def weak_label(likeness_col: Column, positive_at: float, negative_below: float) -> Column:
    """Weak label from the rules: 1 at or above ``positive_at``, 0 below ``negative_below``, else null."""
    return F.when(likeness_col >= positive_at, 1).when(likeness_col < negative_below, 0)
