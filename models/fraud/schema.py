"""What the fraud models read: the feature columns per subject type and their numeric encoding.

The model input is one pandas row per subject-day with ``segment`` (``subscriber:prepaid``,
``subscriber:postpaid``, ``subscriber:unknown``, ``external_number``) and the feature columns as
doubles. Heavy-tailed counts are compressed with ``sign(x) * log1p(|x|)``; missing values take the
training medians.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUBSCRIBER_FEATURES: tuple[str, ...] = (
    "mo_calls", "mt_calls", "mo_minutes", "mt_minutes", "mo_distinct_numbers", "distinct_share",
    "mt_mo_ratio", "national_share", "sms_mo", "sms_mt", "data_sessions", "data_mb", "distinct_cells",
    "distinct_imeis", "tac_sims", "tac_heavy_sims", "imei_sims", "night_share", "intl_calls",
    "intl_minutes", "high_risk_calls", "high_risk_minutes", "risk_minutes", "intl_spend",
    "high_risk_spend", "peak_calls_hour", "peak_high_risk_minutes_hour", "high_risk_minutes_burst", "avg_duration_s",
    "std_duration_s", "days_since_activation", "mo_calls_vs_history", "risk_minutes_vs_history",
    "mo_calls_vs_plan", "risk_minutes_vs_plan", "prepaid",
)
EXTERNAL_FEATURES: tuple[str, ...] = (
    "one_ring_calls", "one_ring_targets", "calls_to_subscribers", "one_ring_share", "callbacks",
    "callback_subs", "callback_minutes", "destination_high_risk", "national_share",
)
ALL_FEATURES: tuple[str, ...] = tuple(dict.fromkeys(SUBSCRIBER_FEATURES + EXTERNAL_FEATURES))
EXTERNAL_SEGMENT = "external_number"
INPUT_COLUMNS: tuple[str, ...] = ("segment", *ALL_FEATURES)
OUTPUT_COLUMNS: tuple[str, ...] = ("anomaly", "fraud_proba", "model_score")


def features_of(segment: str) -> tuple[str, ...]:
    """The feature columns the anomaly model of ``segment`` uses."""
    return EXTERNAL_FEATURES if segment == EXTERNAL_SEGMENT else SUBSCRIBER_FEATURES


def compress(values: np.ndarray) -> np.ndarray:
    """``sign(x) * log1p(|x|)``: keeps order, tames heavy tails."""
    return np.sign(values) * np.log1p(np.abs(values))


def matrix(df: pd.DataFrame, columns: tuple[str, ...], medians: dict[str, float]) -> np.ndarray:
    """The encoded feature matrix of ``columns`` (missing -> training median, then compressed)."""
    out = np.empty((len(df), len(columns)), dtype=float)
    for j, col in enumerate(columns):
        values = pd.to_numeric(df[col], errors="coerce").astype(float).to_numpy() if col in df else None
        if values is None:
            values = np.full(len(df), np.nan)
        values = np.where(np.isnan(values), medians.get(col, 0.0), values)
        out[:, j] = compress(values)
    return out


def training_medians(df: pd.DataFrame) -> dict[str, float]:
    """Median of every feature over the training rows (0 where a column is empty)."""
    medians = {}
    for col in ALL_FEATURES:
        values = pd.to_numeric(df[col], errors="coerce") if col in df else pd.Series(dtype=float)
        med = values.median()
        medians[col] = 0.0 if pd.isna(med) else float(med)
    return medians
