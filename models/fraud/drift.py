"""Feature drift: population stability index (PSI) between the training window and a scoring window.

The reference (quantile bin edges and shares per subject family and feature) is fitted at training
time (:func:`models.fraud.train.drift_reference`) and travels inside the model. At scoring time
:func:`bin_counts` counts each scoring day's rows per bin in ONE Spark aggregation (a handful of rows
reach the driver), and :func:`psi_table` turns the counts into PSI per day, family and feature.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from models.fraud.metrics import psi


def _bin(value: Column, edges: list[float]) -> Column:
    """Bin index of ``value``: the number of edges at or below it (as numpy ``searchsorted(right)``)."""
    out = F.lit(0)
    for edge in edges:
        out = out + (value >= F.lit(float(edge))).cast("int")
    return out


def bin_counts(inputs: DataFrame, reference: dict[str, Any]) -> list[dict[str, Any]]:
    """Non-null rows per (day, family) and bin of every reference feature.

    ``inputs`` holds ``feature_date``, ``family`` and the model-input feature columns (doubles).
    """
    out: list[dict[str, Any]] = []
    for family, features in reference.items():
        aggs = []
        for feature, ref in features.items():
            value = F.col(feature)
            b = _bin(value, ref["edges"])
            aggs += [F.sum((value.isNotNull() & (b == i)).cast("long")).alias(f"{feature}__{i}")
                     for i in range(len(ref["expected"]))]
        if not aggs:
            continue
        for row in inputs.where(F.col("family") == family).groupBy("feature_date").agg(*aggs).collect():
            counts = {
                feature: [int(row[f"{feature}__{i}"] or 0) for i in range(len(ref["expected"]))]
                for feature, ref in features.items()
            }
            out.append({"feature_date": row["feature_date"], "family": family, "counts": counts})
    return out


def psi_table(counts: list[dict[str, Any]], reference: dict[str, Any]) -> list[dict[str, Any]]:
    """``feature_date, family, feature, psi, rows`` for every counted day and feature."""
    rows = []
    for entry in counts:
        ref = reference[entry["family"]]
        for feature, observed in entry["counts"].items():
            total = int(np.sum(observed))
            if total == 0:
                continue
            rows.append({
                "feature_date": str(entry["feature_date"]), "family": entry["family"], "feature": feature,
                "psi": round(psi(np.asarray(ref[feature]["expected"]), np.asarray(observed)), 6), "rows": total,
            })
    return rows


def worst(rows: list[dict[str, Any]], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` highest-PSI (day, family, feature) entries."""
    return sorted(rows, key=lambda r: r["psi"], reverse=True)[:n]
