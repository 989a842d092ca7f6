"""Entry points of the fraud stage: ``run_features``, ``run_train``, ``run_score`` and ``run_fraud``.

Each reads through the lake, calls the pure transforms of this package and :mod:`models.fraud`,
writes by logical name, and returns a summary with ``lines()`` for the one-screen report.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import functions as F

from jobs.common.context import JobContext, new_run_id
from jobs.common.errors import LeaklineError
from jobs.fraud import contracts  # noqa: F401 - registers the fraud tables' contracts
from jobs.fraud.assemble import assemble, external_features, subscriber_features
from jobs.fraud.cases import build_cases
from jobs.fraud.external import external_daily
from jobs.fraud.features import enrich_usage, voice_tariffs
from jobs.fraud.prefix import infer_home_country_code, longest_prefix_match, prefix_lengths
from jobs.fraud.settings import load_settings, mlflow_settings
from jobs.fraud.training import TrainSummary, run_train
from models.fraud import tracking

log = logging.getLogger("leakline.fraud")

__all__ = ["FeaturesSummary", "FraudSummary", "ScoreSummary", "TrainSummary", "run_features", "run_fraud",
           "run_score", "run_train"]


@dataclass
class FeaturesSummary:
    dates: list[date]
    total_rows: int = 0
    subscriber_rows: int = 0
    external_rows: int = 0
    home_country_code: str = ""
    seconds: float = 0.0

    def row_counts(self) -> dict[str, int]:
        return {"fraud_features": self.total_rows}

    def lines(self) -> list[str]:
        if not self.dates:
            return ["features: no network usage to compute features from"]
        span = f"{self.dates[0]}..{self.dates[-1]}" if len(self.dates) > 1 else str(self.dates[0])
        return [
            f"features: {self.total_rows:,} rows for {len(self.dates)} day(s) {span} — {self.subscriber_rows:,} "
            f"subscriber-days, {self.external_rows:,} external-number-days ({self.seconds:.1f}s)",
            f"home country code {self.home_country_code or '(none)'}",
        ]


@dataclass
class ScoreSummary:
    dates: list[date]
    model_name: str
    model_version: str
    alerts: int = 0
    within_budget: int = 0
    by_typology: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    psi_max: float = 0.0
    psi_worst: list[dict[str, Any]] = field(default_factory=list)
    retrain_suggested: bool = False
    mlflow_run_id: str = ""
    seconds: float = 0.0

    def row_counts(self) -> dict[str, int]:
        return {"fraud_alerts": self.alerts, "fraud_cases": self.cases}

    def lines(self) -> list[str]:
        typ = ", ".join(f"{k} {v}" for k, v in sorted(self.by_typology.items())) or "none"
        out = [
            f"scored {len(self.dates)} day(s) with {self.model_name}@champion (v{self.model_version}): "
            f"{self.alerts:,} alerts, {self.within_budget:,} within the daily budget ({typ}); "
            f"{self.cases:,} open fraud cases ({self.seconds:.1f}s)",
            f"drift: max PSI {self.psi_max:.3f}"
            + ("".join(f"; {w['feature']} ({w['family']}, {w['feature_date']}) {w['psi']:.3f}"
                       for w in self.psi_worst[:3]))
            + (" — RETRAINING SUGGESTED" if self.retrain_suggested else ""),
        ]
        return out


@dataclass
class FraudSummary:
    features: FeaturesSummary
    score: ScoreSummary
    train: TrainSummary | None = None

    def rows(self) -> dict[str, int]:
        return {**self.features.row_counts(), **self.score.row_counts()}

    def lines(self) -> list[str]:
        return [*self.features.lines(), *(self.train.lines() if self.train else []), *self.score.lines()]


def _usage_dates(ctx: JobContext) -> list[date]:
    return sorted(r[0] for r in ctx.read("silver.network_usage").select("usage_date").distinct().collect())


def run_features(ctx: JobContext, dates: list[date] | None = None) -> FeaturesSummary:
    """Compute silver.fraud_features for ``dates`` (default: every usage date), replacing those days."""
    started = time.monotonic()
    s = load_settings(ctx.cfg)
    dates = sorted(set(dates)) if dates else _usage_dates(ctx)
    if not dates:
        log.warning("silver.network_usage is empty: no fraud features to compute")
        return FeaturesSummary([])
    history_start = dates[0] - timedelta(days=s.features.history_days + 1)
    usage = ctx.read("silver.network_usage").where(F.col("usage_date").between(history_start, dates[-1]))
    subscribers = ctx.read("silver.subscribers")
    destinations = ctx.read("silver.destinations")
    home_cc = s.features.home_country_code or infer_home_country_code(subscribers, destinations)
    if not home_cc:
        log.warning("no home country code (no subscribers?): no call counts as international")
    numbers = usage.where(F.col("service") == "voice").select(F.col("other_party").alias("number"))
    matches = longest_prefix_match(numbers, destinations, prefix_lengths(destinations))
    run_id = new_run_id("fraud-features")
    # every feature branch reads the enriched records: compute them once
    enriched = enrich_usage(usage, subscribers, matches, voice_tariffs(ctx.read("silver.tariffs")), p=s.features,
                            home_cc=home_cc).persist(StorageLevel.MEMORY_AND_DISK)
    ext = external_daily(enriched, subscribers, s.features, home_cc)
    features = assemble(subscriber_features(enriched, s.features), external_features(ext), dates, run_id).persist(
        StorageLevel.MEMORY_AND_DISK)
    try:
        counts = {r[0]: r[1] for r in features.groupBy("subject_type").count().collect()}
        ctx.write(features, "silver.fraud_features", replace_where={"feature_date": dates})
    finally:
        features.unpersist()
        enriched.unpersist()
    summary = FeaturesSummary(dates, sum(counts.values()), counts.get("subscriber", 0),
                              counts.get("external_number", 0), home_cc, time.monotonic() - started)
    log.info("%s", summary.lines()[0])
    return summary


def _feature_dates(ctx: JobContext) -> list[date]:
    return sorted(r[0] for r in ctx.read("silver.fraud_features").select("feature_date").distinct().collect())


def run_score(ctx: JobContext, dates: list[date] | None = None) -> ScoreSummary:
    """Score ``dates`` (default: every feature day) with ``models:/<name>@champion``; write alerts and cases."""
    from jobs.fraud.drift_job import log_drift
    from jobs.fraud.scoring import apply_budget, budget_keys, score_features

    started = time.monotonic()
    s = load_settings(ctx.cfg)
    ms = mlflow_settings(ctx.cfg)
    tracking.configure(ms.tracking_uri, ms.registry_uri, ms.experiment, ms.artifact_location)
    version = tracking.alias_version(ms.model_name, tracking.CHAMPION)
    if version is None:
        raise LeaklineError(f"no champion model {ms.model_name!r} in {ms.registry_uri}: run 'leakline train' first")
    dates = sorted(set(dates)) if dates else _feature_dates(ctx)
    summary = ScoreSummary(dates, ms.model_name, version)
    if not dates:
        log.warning("silver.fraud_features is empty: nothing to score")
        return summary
    import mlflow.pyfunc

    uri = tracking.alias_uri(ms.model_name)
    model_udf = mlflow.pyfunc.spark_udf(ctx.spark, uri, result_type="anomaly double, fraud_proba double, "
                                        "model_score double", env_manager="local")
    features = ctx.read("silver.fraud_features").where(F.col("feature_date").isin(dates))
    run_id = new_run_id("fraud-score")
    scored = score_features(features, model_udf, sp=s.scoring, sig=s.signals, model_name=ms.model_name,
                            model_version=version, run_id=run_id).persist(StorageLevel.MEMORY_AND_DISK)
    keys = ["alert_date", "subject_type", "subject", "typology"]
    candidates = [tuple(r) for r in scored.select(*keys, "score").collect()]  # alerts only: small
    opened = {tuple(r) for r in ctx.read("gold.fraud_alerts")
              .where(F.col("within_budget") & (F.col("alert_date") < dates[0]))
              .select("subject_type", "subject", "typology").distinct().collect()}
    picked = sorted(budget_keys(candidates, opened, s.scoring.daily_budget))  # type: ignore[arg-type]
    picked_df = ctx.spark.createDataFrame(picked, "alert_date date, subject_type string, subject string, "
                                                  "typology string")
    alerts = apply_budget(scored, picked_df).persist(StorageLevel.MEMORY_AND_DISK)
    scored.unpersist()
    try:
        for row in alerts.groupBy("typology", "within_budget").count().collect():
            summary.alerts += row["count"]
            if row["within_budget"]:
                summary.within_budget += row["count"]
                summary.by_typology[row["typology"]] = row["count"]
        ctx.write(alerts, "gold.fraud_alerts", replace_where={"alert_date": dates})
    finally:
        alerts.unpersist()
    cases, items = build_cases(ctx.read("gold.fraud_alerts"), ctx.read("silver.fraud_features"),
                               bands=s.scoring.priorities, currency=s.scoring.currency, run_id=run_id,
                               now=datetime.now(UTC))
    cases = cases.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        summary.cases = cases.count()
        ctx.write(cases, "gold.cases", replace_where={"kind": ["fraud"]})
        ctx.write(items, "gold.case_items", replace_where={"kind": ["fraud"]})
    finally:
        cases.unpersist()
    log_drift(ctx, features, model_uri=uri, settings=s, summary=summary, run_id=run_id)
    summary.seconds = time.monotonic() - started
    log.info("%s", summary.lines()[0])
    return summary


def run_fraud(ctx: JobContext, dates: list[date] | None = None) -> FraudSummary:
    """Features, training when there is no champion yet, then scoring."""
    feats = run_features(ctx, dates)
    ms = mlflow_settings(ctx.cfg)
    tracking.configure(ms.tracking_uri, ms.registry_uri, ms.experiment, ms.artifact_location)
    trained = None
    if tracking.alias_version(ms.model_name, tracking.CHAMPION) is None and feats.dates:
        trained = run_train(ctx)
        if not trained.champion:
            raise LeaklineError(f"no champion model after training: {trained.decision}")
    score = run_score(ctx, feats.dates or None) if feats.dates else ScoreSummary([], ms.model_name, "-")
    return FraudSummary(feats, score, trained)
