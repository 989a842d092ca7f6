"""Evaluation of fraud scores on labelled rows: PR-AUC, precision at the alert budget, recall per typology.

Inputs are pandas frames with ``feature_date``, ``score`` (0..1), ``label`` (1, 0 or NaN for
unlabelled) and ``label_typology``. Metrics that cannot be computed (no positives) are NaN.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

NAN = float("nan")


def pr_auc(labels: pd.Series, scores: pd.Series) -> float:
    """Average precision over the labelled rows (NaN without both classes)."""
    known = labels.notna()
    y = labels[known].astype(int)
    if y.nunique() < 2:
        return NAN
    return float(average_precision_score(y, scores[known]))


def within_budget(df: pd.DataFrame, budget: int, min_score: float) -> pd.Series:
    """True for rows among the ``budget`` highest scores of their day and at least ``min_score``."""
    rank = df.groupby("feature_date")["score"].rank(method="first", ascending=False)
    return (rank <= budget) & (df["score"] >= min_score)


def precision_at_budget(df: pd.DataFrame, budget: int, min_score: float) -> float:
    """Share of labelled rows inside the daily budget that are positive (NaN if none is labelled)."""
    picked = df[within_budget(df, budget, min_score) & df["label"].notna()]
    return NAN if picked.empty else float(picked["label"].astype(int).mean())


def recall_by_typology(df: pd.DataFrame, budget: int, min_score: float) -> dict[str, float]:
    """Per typology: share of its positive rows inside the daily budget."""
    picked = within_budget(df, budget, min_score)
    out = {}
    positives = df["label"] == 1
    for typology, rows in df[positives].groupby("label_typology"):
        out[str(typology)] = float(picked[rows.index].mean())
    return out


def disposition_precision(dispositions: pd.DataFrame) -> tuple[float, int, int]:
    """(confirmed / disposed, confirmed, false positives) over analysts' fraud dispositions."""
    if dispositions.empty:
        return NAN, 0, 0
    confirmed = int((dispositions["label"] == 1).sum())
    false_pos = int((dispositions["label"] == 0).sum())
    total = confirmed + false_pos
    return (confirmed / total if total else NAN), confirmed, false_pos


def evaluation(df: pd.DataFrame, budget: int, min_score: float) -> dict[str, float]:
    """All validation metrics of one scored frame, as MLflow metric names -> values."""
    metrics = {
        "pr_auc": pr_auc(df["label"], df["score"]),
        "precision_at_budget": precision_at_budget(df, budget, min_score),
        "validation_rows": float(len(df)),
        "validation_positives": float((df["label"] == 1).sum()),
        "validation_negatives": float((df["label"] == 0).sum()),
    }
    for typology, value in recall_by_typology(df, budget, min_score).items():
        metrics[f"recall_{typology}"] = value
    return metrics


def finite(metrics: dict[str, float]) -> dict[str, float]:
    """The metrics MLflow can store (drops NaN / inf)."""
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}


def psi(expected: np.ndarray, actual: np.ndarray, floor: float = 1e-4) -> float:
    """Population stability index between two distributions over the same bins."""
    e = np.clip(np.asarray(expected, dtype=float), floor, None)
    a = np.clip(np.asarray(actual, dtype=float), floor, None)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))
