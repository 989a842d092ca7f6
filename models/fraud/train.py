"""Pure training of the fraud model: no MLflow, no Spark, no config files — data and params in, model out.

``train(df, params)`` fits one IsolationForest per segment (and per subject family as the fallback of
small segments) on every row, and — when the labelled rows hold enough of both classes — a random
forest classifier on the labelled rows with their sample weights. ``evaluate`` scores a validation
frame with any pyfunc-like model and returns the metrics of :mod:`models.fraud.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest, RandomForestClassifier

from models.fraud.metrics import evaluation
from models.fraud.pyfunc import FraudModel, FraudModelParts, SegmentModel, family
from models.fraud.schema import ALL_FEATURES, EXTERNAL_SEGMENT, features_of, matrix, training_medians

LABEL_COLUMNS = ("label", "label_typology", "weight", "label_source")


@dataclass(frozen=True)
class TrainParams:
    seed: int = 7
    if_n_estimators: int = 150
    if_max_samples: int = 256
    clf_n_estimators: int = 150
    clf_max_depth: int = 8
    clf_min_samples_leaf: int = 2
    min_segment_rows: int = 50
    min_positive_labels: int = 5
    daily_budget: int = 25
    min_score: float = 0.5
    drift_bins: int = 10
    max_score_sample: int = 20000

    @classmethod
    def from_config(cls, train: dict[str, Any], daily_budget: int, min_score: float, bins: int) -> TrainParams:
        forest, clf = train["isolation_forest"], train["classifier"]
        return cls(
            seed=int(train["seed"]),
            if_n_estimators=int(forest["n_estimators"]), if_max_samples=int(forest["max_samples"]),
            clf_n_estimators=int(clf["n_estimators"]), clf_max_depth=int(clf["max_depth"]),
            clf_min_samples_leaf=int(clf["min_samples_leaf"]),
            min_segment_rows=int(train["min_segment_rows"]),
            min_positive_labels=int(train["min_positive_labels"]),
            daily_budget=daily_budget, min_score=min_score, drift_bins=bins,
        )


def build_pipeline(params: TrainParams) -> dict[str, Any]:
    """Unfitted estimators: the anomaly forest (one per segment) and the classifier."""
    return {
        "forest": IsolationForest(n_estimators=params.if_n_estimators, max_samples=params.if_max_samples,
                                  random_state=params.seed, n_jobs=1),
        "classifier": RandomForestClassifier(
            n_estimators=params.clf_n_estimators, max_depth=params.clf_max_depth,
            min_samples_leaf=params.clf_min_samples_leaf, class_weight="balanced_subsample",
            random_state=params.seed, n_jobs=2,
        ),
    }


def fit_anomaly(df: pd.DataFrame, params: TrainParams, medians: dict[str, float]) -> dict[str, SegmentModel]:
    """IsolationForests for every segment with enough rows and for each subject family."""
    rng = np.random.default_rng(params.seed)
    groups: dict[str, pd.DataFrame] = {}
    for segment, rows in df.groupby("segment"):
        if len(rows) >= params.min_segment_rows:
            groups[str(segment)] = rows
    for fam, rows in df.groupby(df["segment"].map(family)):
        groups.setdefault(str(fam), rows)
    models = {}
    for name, rows in groups.items():
        columns = features_of(EXTERNAL_SEGMENT if family(name) == EXTERNAL_SEGMENT else name)
        x = matrix(rows, columns, medians)
        forest = build_pipeline(params)["forest"]
        forest = forest.set_params(max_samples=min(params.if_max_samples, len(x))).fit(x)
        sample = x if len(x) <= params.max_score_sample else x[rng.choice(len(x), params.max_score_sample, False)]
        models[name] = SegmentModel(columns, forest, np.sort(-forest.score_samples(sample)))
    return models


def fit_classifier(df: pd.DataFrame, params: TrainParams, medians: dict[str, float]) -> Any | None:
    """The random forest on labelled rows, or None without ``min_positive_labels`` of each class."""
    known = df[df["label"].notna()]
    positives = int((known["label"] == 1).sum())
    negatives = int((known["label"] == 0).sum())
    if min(positives, negatives) < params.min_positive_labels:
        return None
    x = matrix(known, ALL_FEATURES, medians)
    weights = known["weight"].astype(float).to_numpy() if "weight" in known else None
    return build_pipeline(params)["classifier"].fit(x, known["label"].astype(int).to_numpy(), sample_weight=weights)


def drift_reference(df: pd.DataFrame, bins: int) -> dict[str, Any]:
    """Per subject family and feature: quantile bin edges of the training rows and their shares
    (missing values — e.g. history features on a subject's first day — are left out)."""
    reference: dict[str, Any] = {}
    fam = df["segment"].map(family)
    for name in ("subscriber", EXTERNAL_SEGMENT):
        rows = df[fam == name]
        if rows.empty:
            continue
        per_feature = {}
        for col in features_of(name):
            values = pd.to_numeric(rows[col], errors="coerce").dropna().to_numpy(float)
            if values.size == 0:
                continue
            edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
            counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
            per_feature[col] = {"edges": edges.tolist(), "expected": (counts / counts.sum()).tolist()}
        reference[name] = per_feature
    return reference


def train(df: pd.DataFrame, params: TrainParams) -> tuple[FraudModel, dict[str, Any]]:
    """Fit the model on ``df`` (features, ``segment`` and the label columns). Returns model and facts."""
    medians = training_medians(df)
    segments = fit_anomaly(df, params, medians)
    classifier = fit_classifier(df, params, medians)
    sources = sorted(df.loc[df["label"].notna(), "label_source"].dropna().unique()) if "label_source" in df else []
    parts = FraudModelParts(
        medians=medians, segments=segments, classifier=classifier,
        reference=drift_reference(df, params.drift_bins),
        label_source="+".join(sources) or "none",
    )
    info = {
        "training_rows": len(df),
        "training_positives": int((df["label"] == 1).sum()),
        "training_negatives": int((df["label"] == 0).sum()),
        "segments": sorted(segments),
        "has_classifier": classifier is not None,
    }
    return FraudModel(parts), info


def predict(model: Any, df: pd.DataFrame) -> pd.DataFrame:
    """Model output for ``df`` via a FraudModel or a loaded pyfunc."""
    from models.fraud.schema import INPUT_COLUMNS

    inputs = df[list(INPUT_COLUMNS)]
    if isinstance(model, FraudModel):
        return model.score(inputs)
    return pd.DataFrame(model.predict(inputs)).reset_index(drop=True)


def evaluate(model: Any, valid: pd.DataFrame, params: TrainParams) -> dict[str, float]:
    """Validation metrics of ``model`` on ``valid`` (its ``model_score`` against the labels)."""
    out = predict(model, valid)
    scored = valid[["feature_date", "label", "label_typology"]].reset_index(drop=True).assign(
        score=out["model_score"].to_numpy())
    return evaluation(scored, params.daily_budget, params.min_score)


def importances(model: FraudModel) -> dict[str, float]:
    """Feature importances of the classifier (empty without one)."""
    clf = model.parts.classifier
    if clf is None:
        return {}
    return dict(zip(model.parts.classifier_columns, map(float, clf.feature_importances_), strict=True))
