"""Training plots logged to MLflow: PR curve, score distribution, feature importances (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

TOP_FEATURES = 20


def pr_curve(labels: pd.Series, scores: pd.Series) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 4))
    known = labels.notna()
    y = labels[known].astype(int)
    if y.nunique() == 2:
        precision, recall, _ = precision_recall_curve(y, scores[known])
        ax.plot(recall, precision)
    else:
        ax.text(0.5, 0.5, "no positive and negative labels", ha="center")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (validation)", xlim=(0, 1), ylim=(0, 1.05))
    fig.tight_layout()
    return fig


def score_distribution(labels: pd.Series, scores: pd.Series) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, mask in (("unlabelled", labels.isna()), ("negative", labels == 0), ("positive", labels == 1)):
        if mask.any():
            ax.hist(scores[mask], bins=40, range=(0, 1), alpha=0.6, label=f"{name} ({int(mask.sum())})", log=True)
    ax.set(xlabel="model score", ylabel="rows (log)", title="Score distribution (validation)")
    ax.legend()
    fig.tight_layout()
    return fig


def feature_importances(importances: dict[str, float]) -> Figure:
    top = sorted(importances.items(), key=lambda kv: kv[1], reverse=True)[:TOP_FEATURES]
    fig, ax = plt.subplots(figsize=(6, 5))
    if top:
        names, values = zip(*reversed(top), strict=True)
        ax.barh(names, values)
    else:
        ax.text(0.5, 0.5, "no classifier yet (too few labels)", ha="center")
    ax.set(xlabel="importance", title="Classifier feature importances")
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    plt.close(fig)
