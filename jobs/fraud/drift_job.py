"""Drift of the scored days against the champion's training window, logged as an MLflow run.

Per scoring day, subject family and feature: PSI (:mod:`models.fraud.drift`). The run holds the
largest PSI per feature as metrics (``psi.<family>.<feature>``), ``psi_max``, the whole table as
``drift/psi.json``, the alert counts, and the tag ``retrain_suggested``.
"""

from __future__ import annotations

import logging
from typing import Any

import mlflow
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.fraud.scoring import model_input_columns
from jobs.fraud.settings import FraudSettings
from models.fraud.drift import bin_counts, psi_table, worst

log = logging.getLogger("leakline.fraud")


def log_drift(ctx: Any, features: DataFrame, *, model_uri: str, settings: FraudSettings, summary: Any,
              run_id: str) -> None:
    """Compute PSI of ``features`` against the model's reference; fill ``summary``; log an MLflow run."""
    parts = mlflow.pyfunc.load_model(model_uri).unwrap_python_model().parts
    inputs = features.select("feature_date", F.col("subject_type").alias("family"), *model_input_columns())
    rows = psi_table(bin_counts(inputs, parts.reference), parts.reference)
    threshold = float(settings.drift["psi_retrain_at"])
    summary.psi_worst = worst(rows)
    summary.psi_max = summary.psi_worst[0]["psi"] if rows else 0.0
    summary.retrain_suggested = summary.psi_max >= threshold
    if summary.retrain_suggested:
        w = summary.psi_worst[0]
        log.warning("feature drift: PSI %.3f for %s (%s, %s) >= %.2f: retraining suggested",
                    w["psi"], w["feature"], w["family"], w["feature_date"], threshold)
    per_feature: dict[str, float] = {}
    for r in rows:
        key = f"psi.{r['family']}.{r['feature']}"
        per_feature[key] = max(per_feature.get(key, 0.0), r["psi"])
    with mlflow.start_run(run_name=run_id) as run:
        mlflow.set_tags({"stage": "score", "leakline_run_id": run_id, "model_version": summary.model_version,
                         "retrain_suggested": str(summary.retrain_suggested).lower(),
                         "dates": ",".join(map(str, summary.dates))})
        mlflow.log_metrics({**per_feature, "psi_max": summary.psi_max, "alerts": float(summary.alerts),
                            "alerts_within_budget": float(summary.within_budget), "cases": float(summary.cases)})
        if rows:
            mlflow.log_table(pd.DataFrame(rows), "drift/psi.json")
        summary.mlflow_run_id = run.info.run_id
