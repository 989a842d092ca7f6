"""Scoring transforms: model output + typology signals -> one score, ranked alerts with reasons.

The model runs inside Spark (``mlflow.pyfunc.spark_udf`` with ``env_manager="local"``, a pandas UDF
per batch), so no feature table ever reaches the driver. Everything else is column arithmetic.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.fraud.settings import ANOMALY, ScoringParams, SignalParams
from jobs.fraud.signals import add_signals, derived_columns, indicator_column
from models.fraud.explain import anomaly_reasons, model_evidence, typology_reasons
from models.fraud.schema import ALL_FEATURES

DEVIATION_COLUMNS = ("mo_calls_vs_plan", "risk_minutes_vs_plan", "mo_calls_vs_history", "risk_minutes_vs_history")


def model_input_columns() -> list[Column]:
    """The pyfunc's input columns (segment + features as doubles), named as its signature."""
    derived = derived_columns()
    cols = [F.col("segment")]
    for name in ALL_FEATURES:
        source = derived.get(name, F.col(name))
        cols.append(source.cast("double").alias(name))
    return cols


def apply_model(features: DataFrame, model_udf) -> DataFrame:  # type: ignore[no-untyped-def]
    """Add ``anomaly``, ``fraud_proba`` (null without a classifier) and ``model_score``."""
    out = features.withColumn("_m", model_udf(F.struct(*model_input_columns())))
    proba = F.col("_m.fraud_proba")
    return out.select(
        "*",
        F.col("_m.anomaly").alias("anomaly"),
        F.when(F.isnan(proba), None).otherwise(proba).alias("fraud_proba"),
        F.col("_m.model_score").alias("model_score"),
    ).drop("_m")


def combine(scored: DataFrame, sp: ScoringParams, sig: SignalParams) -> DataFrame:
    """Add ``score`` (0..1), ``typology`` and ``candidate``.

    A firing typology scores ``rule_weight * likeness + (1 - rule_weight) * model_score``; without
    one, a confident classifier (``proba_alert_at``) or an extreme anomaly (``anomaly_alert_at``,
    only for ``anomaly_subject_types``, with a deviation from plan peers or own history of at least
    ``anomaly_min_deviation``) scores ``model_only_weight`` x that evidence, so it ranks
    below typology alerts. Candidates are the rows with any of the three and a score >= min_score.
    """
    fires = F.col("likeness") >= sig.fire_at
    rule_score = F.lit(sp.rule_weight) * F.col("likeness") + F.lit(1 - sp.rule_weight) * F.col("model_score")
    proba_ok = F.coalesce(F.col("fraud_proba") >= sp.proba_alert_at, F.lit(False))
    deviation = F.greatest(*[F.coalesce(F.col(c), F.lit(0.0)) for c in DEVIATION_COLUMNS])
    anomaly_ok = (
        F.col("subject_type").isin(list(sp.anomaly_subject_types))
        & (F.col("anomaly") >= sp.anomaly_alert_at)
        & (deviation >= sp.anomaly_min_deviation)
    )
    model_only = F.lit(sp.model_only_weight) * F.greatest(
        F.when(proba_ok, F.col("fraud_proba")).otherwise(0.0), F.when(anomaly_ok, F.col("anomaly")).otherwise(0.0)
    )
    score = F.when(fires, rule_score).otherwise(model_only)
    clipped = F.least(F.greatest(score, F.lit(0.0)), F.lit(1.0))
    return (
        scored.withColumn("score", clipped)
        .withColumn("typology", F.when(fires | proba_ok, F.col("best_typology")).otherwise(F.lit(ANOMALY)))
        .withColumn("candidate", (fires | proba_ok | anomaly_ok) & (F.col("score") >= sp.min_score))
    )


def add_reasons(df: DataFrame, sp: ScoringParams, sig: SignalParams) -> DataFrame:
    """Add ``reasons``: the typology's top phrases (or the largest deviations), then the model's."""
    derived = derived_columns()

    def strength(ind):  # type: ignore[no-untyped-def]
        return indicator_column(ind, derived)

    text = anomaly_reasons(sp.max_reasons, sp.deviation_min_ratio)
    for typ in sig.typologies:
        text = F.when(F.col("typology") == typ.name, typology_reasons(typ, strength, sp.max_reasons)).otherwise(text)
    return df.withColumn("reasons", F.concat_ws("; ", text, model_evidence()))


def rank_alerts(candidates: DataFrame, budget: int) -> DataFrame:
    """Add ``rank_in_day`` (1 = highest score of its day) and a first ``within_budget`` (rank <= budget);
    the job refines the latter with :func:`budget_keys` (follow-ups of open cases take no slot)."""
    order = Window.partitionBy("feature_date").orderBy(F.col("score").desc(), F.col("subject"), F.col("typology"))
    return candidates.withColumn("rank_in_day", F.row_number().over(order).cast("int")).withColumn(
        "within_budget", F.col("rank_in_day") <= budget
    )


AlertKey = tuple[date, str, str, str]  # alert_date, subject_type, subject, typology


def budget_keys(
    alerts: list[tuple[date, str, str, str, float]], opened: set[tuple[str, str, str]], budget: int
) -> set[AlertKey]:
    """The alerts analysts see: per day, the ``budget`` best-scored alerts that open a new case,
    plus every alert of a case already opened (on an earlier day) — follow-ups take no slot.

    ``alerts``: (alert_date, subject_type, subject, typology, score); ``opened``: (subject_type,
    subject, typology) with a within-budget alert before the first of these days. Days are taken
    in order, so a case opened on one day turns the next days' alerts into follow-ups.
    """
    by_day: dict[date, list[tuple[date, str, str, str, float]]] = {}
    for row in alerts:
        by_day.setdefault(row[0], []).append(row)
    known = set(opened)
    picked: set[AlertKey] = set()
    for day in sorted(by_day):
        slots = budget
        for _, stype, subject, typology, _score in sorted(by_day[day], key=lambda r: (-r[4], r[2], r[3])):
            case = (stype, subject, typology)
            if case in known:
                picked.add((day, *case))
            elif slots > 0:
                slots -= 1
                picked.add((day, *case))
        known |= {(st, s, t) for d, st, s, t in picked if d == day}
    return picked


def apply_budget(alerts: DataFrame, picked: DataFrame) -> DataFrame:
    """Set ``within_budget`` from :func:`budget_keys` (``picked``: alert_date, subject_type, subject,
    typology)."""
    keys = ["alert_date", "subject_type", "subject", "typology"]
    flagged = picked.select(*keys).withColumn("_picked", F.lit(True))
    return alerts.drop("within_budget").join(F.broadcast(flagged), keys, "left").select(
        *[F.coalesce(F.col("_picked"), F.lit(False)).alias(c) if c == "within_budget" else F.col(c)
          for c in alerts.columns]
    )


def alert_id(*cols: Column) -> Column:
    """Deterministic id: the same subject, typology and day always get the same id."""
    return F.sha2(F.concat_ws("|", *cols), 256).substr(1, 32)


def to_alerts(ranked: DataFrame, model_name: str, model_version: str, run_id: str) -> DataFrame:
    """gold.fraud_alerts rows (output contract v1 + rank_in_day, within_budget, alert_date)."""
    return ranked.select(
        alert_id(F.lit("fraud"), "subject_type", "subject", "typology", F.col("feature_date").cast("string"))
        .alias("alert_id"),
        "subject", "subject_type", "typology", "window_start", "window_end",
        F.round("score", 6).cast("double").alias("score"),
        F.lit(model_name).alias("model_name"), F.lit(model_version).alias("model_version"),
        "reasons", F.lit(run_id).alias("run_id"), "rank_in_day", "within_budget",
        F.col("feature_date").alias("alert_date"),
    )


def score_features(features: DataFrame, model_udf, *, sp: ScoringParams,  # type: ignore[no-untyped-def]
                   sig: SignalParams, model_name: str, model_version: str, run_id: str) -> DataFrame:
    """Features -> ranked alerts with reasons (only candidates)."""
    scored = combine(apply_model(add_signals(features, sig), model_udf), sp, sig)
    candidates = add_reasons(scored.where("candidate"), sp, sig)
    return to_alerts(rank_alerts(candidates, sp.daily_budget), model_name, model_version, run_id)
