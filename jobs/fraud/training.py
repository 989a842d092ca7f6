"""``run_train``: labels, a capped sample to the driver, training, MLflow run, registry aliases.

The time split: the last ``validation_days`` feature days of the training window are the validation
set; the model is trained on the days before. The new version becomes ``challenger`` when it meets
the validation thresholds and ``champion`` only when it beats the current champion's PR-AUC on the
same validation rows (the champion is loaded by its alias and scored on them).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import functions as F

from jobs.common.context import JobContext, new_run_id
from jobs.common.errors import LeaklineError
from jobs.fraud.labels import LabelPolicy, dispositions, label_rows
from jobs.fraud.scoring import model_input_columns
from jobs.fraud.settings import load_settings, mlflow_settings
from jobs.fraud.signals import add_signals
from models.fraud import tracking
from models.fraud.metrics import disposition_precision
from models.fraud.train import TrainParams, evaluate, importances, predict, train

log = logging.getLogger("leakline.fraud")


@dataclass
class TrainSummary:
    run_id: str
    model_name: str
    version: str
    metrics: dict[str, float]
    challenger: bool
    champion: bool
    champion_version: str | None
    decision: str
    train_days: list[date] = field(default_factory=list)
    valid_days: list[date] = field(default_factory=list)

    def rows(self) -> dict[str, int]:
        return {"training_rows": int(self.metrics.get("training_rows", 0))}

    def lines(self) -> list[str]:
        m = self.metrics

        def fmt(key: str) -> str:
            v = m.get(key)
            return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"

        recalls = ", ".join(f"{k[7:]} {fmt(k)}" for k in sorted(m) if k.startswith("recall_"))
        span = f"{self.train_days[0]}..{self.train_days[-1]}" if self.train_days else "-"
        return [
            f"trained {self.model_name} v{self.version} (MLflow run {self.run_id}) on "
            f"{int(m.get('training_rows', 0)):,} rows, days {span}; validation {', '.join(map(str, self.valid_days))}",
            f"PR-AUC {fmt('pr_auc')}, precision at budget {fmt('precision_at_budget')}"
            + (f", recall {recalls}" if recalls else "")
            + f"; disposition precision {fmt('disposition_precision')}",
            f"{self.decision}; champion is v{self.champion_version}" if self.champion_version else self.decision,
        ]


def split_days(days: list[date], validation_days: int) -> tuple[list[date], list[date]]:
    """(training days, validation days); with a single day both are that day (in-sample)."""
    days = sorted(days)
    if len(days) <= 1:
        return days, days
    n_valid = min(validation_days, len(days) - 1)
    return days[:-n_valid], days[-n_valid:]


def _sample(labelled: Any, cap: int, seed: int) -> pd.DataFrame:
    """Labelled-positive and disposition rows in full, the rest sampled, at most ``cap`` rows."""
    cols = [*model_input_columns(), "subject", "subject_type", "feature_date", "label", "label_typology",
            "weight", "label_source"]
    keep_all = (F.col("label") == 1) | (F.col("label_source") == "disposition")
    n_keep = labelled.where(keep_all).count()
    n_rest = labelled.where(~keep_all | F.col("label").isNull()).count()
    fraction = 1.0 if n_keep + n_rest <= cap else max(cap - n_keep, 0) / max(n_rest, 1)
    rest = labelled.where(~keep_all | F.col("label").isNull())
    if fraction < 1.0:
        rest = rest.sample(fraction=fraction, seed=seed)
    pdf = labelled.where(keep_all).unionByName(rest).select(*cols).toPandas()  # bounded by the cap
    pdf["feature_date"] = pd.to_datetime(pdf["feature_date"]).dt.date
    # Spark returns rows in partition order, which varies between runs; fitting on a fixed order makes
    # training reproducible (the same features give the same model and scores).
    return pdf.sort_values(["subject_type", "subject", "feature_date"], kind="stable").reset_index(drop=True)


def run_train(ctx: JobContext, as_of: date | None = None) -> TrainSummary:
    """Train on the window ending ``as_of`` (default: the latest feature day), log, register, promote."""
    started = time.monotonic()
    s = load_settings(ctx.cfg)
    ms = mlflow_settings(ctx.cfg)
    t = s.train
    features = ctx.read("silver.fraud_features")
    if as_of is None:
        as_of = features.agg(F.max("feature_date")).first()[0]
        if as_of is None:
            raise LeaklineError("silver.fraud_features is empty: run 'leakline features' first")
    start = as_of - timedelta(days=int(t["window_days"]) - 1)
    window = features.where(F.col("feature_date").between(start, as_of))
    days = sorted(r[0] for r in window.select("feature_date").distinct().collect())
    if not days:
        raise LeaklineError(f"no fraud features between {start} and {as_of}: run 'leakline features' for those days")
    train_days, valid_days = split_days(days, int(t["validation_days"]))

    disp = dispositions(ctx.read("gold.case_events"), ctx.read("gold.cases")).cache()
    disp_pdf = disp.select("label", "category").toPandas()  # one row per disposed case
    precision, confirmed, false_pos = disposition_precision(disp_pdf)
    policy = LabelPolicy.from_config(t)
    labelled = label_rows(add_signals(window, s.signals), disp, len(disp_pdf), policy).persist(
        StorageLevel.MEMORY_AND_DISK)
    try:
        pdf = _sample(labelled, int(t["max_training_rows"]), int(t["seed"]))
    finally:
        labelled.unpersist()
        disp.unpersist()
    train_df = pdf[pdf["feature_date"].isin(train_days)].reset_index(drop=True)
    valid_df = pdf[pdf["feature_date"].isin(valid_days)].reset_index(drop=True)

    params = TrainParams.from_config(t, s.scoring.daily_budget, s.scoring.min_score, int(s.drift["bins"]))
    model, info = train(train_df, params)
    metrics: dict[str, float] = evaluate(model, valid_df, params)
    metrics.update({
        "training_rows": float(info["training_rows"]), "training_positives": float(info["training_positives"]),
        "training_negatives": float(info["training_negatives"]),
        "disposition_precision": precision, "dispositions_confirmed": float(confirmed),
        "dispositions_false_positive": float(false_pos),
    })
    for typology, rows in disp_pdf.groupby("category"):
        metrics[f"disposition_precision_{typology}"] = float((rows["label"] == 1).mean())

    tracking.configure(ms.tracking_uri, ms.registry_uri, ms.experiment, ms.artifact_location)
    champion_version = tracking.alias_version(ms.model_name, tracking.CHAMPION)
    champion_pr_auc: float | None = None
    if champion_version is not None:
        champion_pr_auc = float("nan")
        try:
            champion_pr_auc = evaluate(tracking.load_alias(ms.model_name), valid_df, params)["pr_auc"]
        except Exception as exc:  # an incompatible champion (older inputs) cannot be compared
            log.warning("champion v%s could not score the validation set: %s", champion_version, exc)
    metrics["champion_pr_auc"] = float("nan") if champion_pr_auc is None else champion_pr_auc

    v = t["validation"]
    gate = tracking.Gate(float(v["min_pr_auc"]), float(v["min_precision_at_budget"]), float(v["min_improvement"]),
                         bool(v["promote_without_labels"]))
    pr_auc, p_at_b = metrics["pr_auc"], metrics["precision_at_budget"]
    passes, promoted = tracking.promotion(pr_auc, p_at_b, champion_pr_auc, gate)
    run_id = new_run_id("fraud-train")
    train_params = {
        "as_of": as_of, "window_days": t["window_days"], "validation_days": t["validation_days"],
        "train_days": f"{train_days[0]}..{train_days[-1]}", "valid_days": ",".join(map(str, valid_days)),
        "label_source": model.parts.label_source, "segments": ",".join(info["segments"]),
        "has_classifier": info["has_classifier"], "daily_budget": params.daily_budget,
        **{f"if_{k}": val for k, val in t["isolation_forest"].items()},
        **{f"clf_{k}": val for k, val in t["classifier"].items()},
        "weak_positive_at": t["weak_positive_at"], "weak_negative_below": t["weak_negative_below"],
        "max_training_rows": t["max_training_rows"], "seed": t["seed"],
    }
    scores = predict(model, valid_df)["model_score"] if len(valid_df) else pd.Series(dtype=float)
    status = "passed" if passes else "failed"
    logged = tracking.log_training_run(
        model, ms.model_name, train_df=train_df, valid_df=valid_df, valid_scores=scores, params=train_params,
        metrics=metrics, importances=importances(model),
        tags={"run_name": run_id, "leakline_run_id": run_id, "stage": "train", "validation": status},
        dataset_source=ctx.lake.location("silver.fraud_features"),
    )
    tracking.tag_version(ms.model_name, logged.version,
                         {"validation": status, "label_source": model.parts.label_source})
    if passes:
        tracking.set_alias(ms.model_name, tracking.CHALLENGER, logged.version)
    if promoted:
        tracking.set_alias(ms.model_name, tracking.CHAMPION, logged.version)
        decision = f"v{logged.version} promoted to champion" + (
            f" (PR-AUC {pr_auc:.3f} vs champion v{champion_version} {metrics['champion_pr_auc']:.3f})"
            if champion_version else " (first champion)")
    elif passes:
        decision = (f"v{logged.version} is challenger; it does not beat champion v{champion_version} "
                    f"(PR-AUC {pr_auc:.3f} vs {metrics['champion_pr_auc']:.3f})")
    else:
        decision = f"v{logged.version} failed validation (PR-AUC {pr_auc:.3f}, precision at budget {p_at_b:.3f})"
    log.info("%s (%.1fs)", decision, time.monotonic() - started)
    return TrainSummary(logged.run_id, ms.model_name, logged.version, metrics, passes, promoted,
                        tracking.alias_version(ms.model_name, tracking.CHAMPION), decision, train_days, valid_days)
