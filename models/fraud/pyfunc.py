"""The fraud model as one MLflow pyfunc: anomaly models per segment plus an optional classifier.

``predict`` takes the model input (:data:`models.fraud.schema.INPUT_COLUMNS`) and returns, per row:

* ``anomaly`` — the row's IsolationForest score as a percentile of its segment's training rows (0..1);
* ``fraud_proba`` — the supervised classifier's probability of fraud (NaN while there is none);
* ``model_score`` — ``fraud_proba`` when there is a classifier, else ``anomaly``.

The drift reference (quantile bins of the training window) travels with the model so that scoring
compares each window against exactly the data the champion was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.fraud.schema import ALL_FEATURES, matrix


@dataclass
class SegmentModel:
    """An IsolationForest and the sorted anomaly scores of its training rows (for percentiles)."""

    columns: tuple[str, ...]
    forest: Any
    train_scores: np.ndarray

    def percentile(self, x: np.ndarray) -> np.ndarray:
        raw = -self.forest.score_samples(x)  # higher = more anomalous
        ranks = np.searchsorted(self.train_scores, raw, side="right")
        return ranks / max(len(self.train_scores), 1)


@dataclass
class FraudModelParts:
    medians: dict[str, float]
    segments: dict[str, SegmentModel]
    classifier: Any | None = None
    classifier_columns: tuple[str, ...] = ALL_FEATURES
    reference: dict[str, Any] = field(default_factory=dict)
    label_source: str = "weak"


class FraudModel(mlflow.pyfunc.PythonModel):
    """pyfunc wrapper around :class:`FraudModelParts`."""

    def __init__(self, parts: FraudModelParts):
        self.parts = parts

    def score(self, df: pd.DataFrame) -> pd.DataFrame:
        parts = self.parts
        n = len(df)
        anomaly = np.zeros(n)
        segments = df["segment"].astype(str).to_numpy() if n else np.array([], dtype=str)
        for segment in pd.unique(segments):
            rows = segments == segment
            model = parts.segments.get(segment) or parts.segments.get(family(segment))
            if model is None:
                continue
            anomaly[rows] = model.percentile(matrix(df.loc[rows], model.columns, parts.medians))
        proba = np.full(n, np.nan)
        if parts.classifier is not None and n:
            proba = parts.classifier.predict_proba(matrix(df, parts.classifier_columns, parts.medians))[:, 1]
        model_score = proba if parts.classifier is not None else anomaly
        return pd.DataFrame({"anomaly": anomaly, "fraud_proba": proba, "model_score": model_score})

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self.score(model_input)


def family(segment: str) -> str:
    """``subscriber:prepaid`` -> ``subscriber``: the fallback model of a segment too small for its own."""
    return segment.split(":", 1)[0]
