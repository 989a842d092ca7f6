"""MLflow logging and the registry's aliases for the fraud model.

* :func:`configure` points MLflow at the tracking store / registry and selects the experiment.
* :func:`log_training_run` logs params, metrics, plots, the training and validation datasets, and the
  model with its signature and input example; it returns the run id and the registered version
  (taken from the ``ModelInfo`` that ``log_model`` returns).
* Promotion uses aliases only: :func:`set_alias` (``challenger`` / ``champion``),
  :func:`alias_version`, and scoring loads ``models:/<name>@champion`` — never "the latest version".
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from models.fraud import plots
from models.fraud.metrics import finite
from models.fraud.schema import ALL_FEATURES, INPUT_COLUMNS

log = logging.getLogger("leakline.fraud.mlflow")

CHAMPION = "champion"
CHALLENGER = "challenger"
PIP_REQUIREMENTS = ["mlflow", "scikit-learn", "pandas", "numpy"]
URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@dataclass(frozen=True)
class LoggedModel:
    run_id: str
    version: str
    model_uri: str


def configure(tracking_uri: str, registry_uri: str, experiment: str, artifact_location: str = "") -> str:
    """Select the store and the experiment (created with ``artifact_location`` when new); its id.

    MLflow also exports the URIs as ``MLFLOW_TRACKING_URI`` / ``MLFLOW_REGISTRY_URI``; those are
    the user's override of ``conf/base/mlflow.yml``, so they are put back as they were — otherwise
    a second lakehouse opened in the same process would inherit the first one's store.
    """
    saved = {name: os.environ.get(name) for name in URI_VARIABLES}
    try:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(registry_uri)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    found = mlflow.get_experiment_by_name(experiment)
    if found is None:
        experiment_id = mlflow.create_experiment(experiment, artifact_location=artifact_location or None)
    else:
        experiment_id = found.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def model_input(df: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns with the signature's types (segment text, features double)."""
    out = df[list(INPUT_COLUMNS)].copy()
    out["segment"] = out["segment"].astype(str)
    for col in ALL_FEATURES:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out.reset_index(drop=True)


def log_training_run(
    model: Any,
    model_name: str,
    *,
    train_df: pd.DataFrame,
    valid_df: pd.DataFrame,
    valid_scores: pd.Series,
    params: dict[str, Any],
    metrics: dict[str, float],
    importances: dict[str, float],
    tags: dict[str, str],
    dataset_source: str,
) -> LoggedModel:
    """One MLflow run: everything a reviewer needs to trust (or reject) this model version."""
    with mlflow.start_run(run_name=tags.get("run_name", "fraud-train")) as run:
        mlflow.set_tags(tags)
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(finite(metrics))
        for name, frame in (("training", train_df), ("validation", valid_df)):
            dataset = mlflow.data.from_pandas(
                frame[[*INPUT_COLUMNS, "feature_date", "label"]].assign(
                    feature_date=lambda d: d["feature_date"].astype(str)),
                source=dataset_source, name=f"fraud_features_{name}", targets="label",
            )
            mlflow.log_input(dataset, context=name)
        labels = valid_df["label"].reset_index(drop=True)
        scores = valid_scores.reset_index(drop=True)
        for path, fig in (
            ("plots/pr_curve.png", plots.pr_curve(labels, scores)),
            ("plots/score_distribution.png", plots.score_distribution(labels, scores)),
            ("plots/feature_importances.png", plots.feature_importances(importances)),
        ):
            mlflow.log_figure(fig, path)
            plots.close(fig)
        if importances:
            mlflow.log_dict(importances, "feature_importances.json")
        example = model_input(train_df.head(5))
        signature = infer_signature(example, model.score(example))
        info = mlflow.pyfunc.log_model(
            name="model", python_model=model, signature=signature, input_example=example,
            registered_model_name=model_name, pip_requirements=PIP_REQUIREMENTS,
        )
        version = str(info.registered_model_version)
        log.info("logged run %s, registered %s version %s", run.info.run_id, model_name, version)
        return LoggedModel(run.info.run_id, version, f"models:/{model_name}/{version}")


@dataclass(frozen=True)
class Gate:
    """Validation thresholds (``fraud.train.validation``)."""

    min_pr_auc: float
    min_precision_at_budget: float
    min_improvement: float
    promote_without_labels: bool


def promotion(
    pr_auc: float, precision_at_budget: float, champion_pr_auc: float | None, gate: Gate
) -> tuple[bool, bool]:
    """(becomes challenger, becomes champion) for a new model.

    ``champion_pr_auc`` is None when there is no champion, NaN when it could not be measured. A
    model without labelled validation rows (NaN PR-AUC) passes only as the very first champion when
    ``promote_without_labels``; otherwise it must meet both thresholds, and it replaces a champion
    only with a PR-AUC higher by more than ``min_improvement`` on the same validation rows.
    """
    no_labels = math.isnan(pr_auc)
    if no_labels:
        passes = champion_pr_auc is None and gate.promote_without_labels
    else:
        passes = (pr_auc >= gate.min_pr_auc and not math.isnan(precision_at_budget)
                  and precision_at_budget >= gate.min_precision_at_budget)
    if not passes:
        return False, False
    if champion_pr_auc is None or math.isnan(champion_pr_auc):
        return True, True
    return True, pr_auc > champion_pr_auc + gate.min_improvement


def alias_version(model_name: str, alias: str) -> str | None:
    """The version the alias points at, or None (no such model or alias)."""
    try:
        return str(MlflowClient().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def set_alias(model_name: str, alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(model_name, alias, version)
    log.info("%s@%s -> version %s", model_name, alias, version)


def tag_version(model_name: str, version: str, tags: dict[str, str]) -> None:
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)


def alias_uri(model_name: str, alias: str = CHAMPION) -> str:
    return f"models:/{model_name}@{alias}"


def load_alias(model_name: str, alias: str = CHAMPION) -> Any:
    """The pyfunc behind ``models:/<name>@<alias>``."""
    return mlflow.pyfunc.load_model(alias_uri(model_name, alias))


def version_run_id(model_name: str, version: str) -> str:
    return str(MlflowClient().get_model_version(model_name, version).run_id)
