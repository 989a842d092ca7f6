"""The Models page's numbers: the MLflow registry, precision from analyst dispositions, score drift.

* :func:`read_registry` lists registered models with their ``champion`` and ``challenger`` aliases
  and the metrics of each version's run (registry aliases, never stages or "latest" scans). A
  SQLite tracking store that does not exist yet is reported as "no model registered yet" and is not
  created.
* :func:`precision_by_version` is measured, not logged: alerts -> cases -> dispositions.
* :func:`psi` compares the alert score distribution of the latest days with the days before.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger("leakline.app.models")

ALIASES = ("champion", "challenger")


def _sqlite_path(uri: str) -> Path | None:
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):])
    return None


def read_registry(uri: str, registry_uri: str | None = None, experiment: str | None = None) -> dict[str, Any]:
    """``{"uri", "models": [{name, description, versions: [{version, aliases, run_id, metrics,
    params, created}]}], "drift": {...} | None, "error"}``; champion first, then challenger."""
    db = _sqlite_path(uri)
    if db is not None and not db.is_file():
        return {"uri": uri, "models": [], "drift": None, "error": None}
    try:
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=uri, registry_uri=registry_uri or uri)
        models = []
        for rm in client.search_registered_models():
            by_version: dict[str, list[str]] = {}
            for alias, version in (rm.aliases or {}).items():
                by_version.setdefault(str(version), []).append(alias)
            versions = []
            rank = {alias: i for i, alias in enumerate(ALIASES)}
            for version in sorted(by_version, key=lambda v: (min(rank.get(a, 9) for a in by_version[v]), -int(v))):
                mv = client.get_model_version(rm.name, version)
                versions.append(_version_info(client, mv, sorted(by_version[version])))
            models.append({"name": rm.name, "description": rm.description or "", "versions": versions})
        return {"uri": uri, "models": models, "drift": _latest_drift(client, experiment), "error": None}
    except Exception as exc:  # the page shows the reason instead of failing
        log.warning("cannot read the MLflow registry at %s: %s", uri, exc)
        return {"uri": uri, "models": [], "drift": None, "error": f"{type(exc).__name__}: {exc}"}


def _latest_drift(client: Any, experiment: str | None, top: int = 10) -> dict[str, Any] | None:
    """The newest run of ``experiment`` that logged ``psi_max`` (the fraud stage's drift check):
    its PSI, the ``retrain_suggested`` tag and the features that drifted most (``psi.<family>.<f>``)."""
    if not experiment:
        return None
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return None
    runs = client.search_runs([exp.experiment_id], filter_string="metrics.psi_max >= 0",
                              order_by=["attributes.start_time DESC"], max_results=1)
    if not runs:
        return None
    run = runs[0]
    features = sorted(((k[len("psi."):], v) for k, v in run.data.metrics.items() if k.startswith("psi.")),
                      key=lambda kv: kv[1], reverse=True)[:top]
    return {"run_id": run.info.run_id, "started": int(run.info.start_time or 0),
            "psi_max": float(run.data.metrics["psi_max"]),
            "retrain_suggested": str(run.data.tags.get("retrain_suggested", "")).lower() == "true",
            "features": [{"feature": k, "psi": v} for k, v in features]}


def _version_info(client: Any, mv: Any, aliases: list[str]) -> dict[str, Any]:
    metrics: dict[str, float] = {}
    params: dict[str, str] = {}
    if mv.run_id:
        try:
            run = client.get_run(mv.run_id)
            metrics.update(run.data.metrics)
            params.update(run.data.params)
        except Exception as exc:
            log.info("run %s of %s v%s not readable: %s", mv.run_id, mv.name, mv.version, exc)
    model_id = getattr(mv, "model_id", None)
    if model_id and not metrics:
        try:
            logged = client.get_logged_model(model_id)
            metrics.update({m.key: m.value for m in (logged.metrics or [])})
        except Exception as exc:
            log.info("logged model %s not readable: %s", model_id, exc)
    return {
        "version": str(mv.version),
        "aliases": aliases,
        "run_id": mv.run_id,
        "created": int(mv.creation_timestamp or 0),
        "metrics": dict(sorted(metrics.items())),
        "params": dict(sorted(params.items())),
    }


def precision_by_version(alerts: pa.Table, items: pa.Table, states: pa.Table) -> list[dict[str, Any]]:
    """Per model version: alerts' cases confirmed as fraud vs marked false positive by analysts.

    ``alerts``: alert_id, model_name, model_version; ``items``: case_id, item_id;
    ``states``: case_id, disposition. Each (case, version) pair counts once.
    """
    if alerts.num_rows == 0 or items.num_rows == 0 or states.num_rows == 0:
        return []
    linked = items.select(["case_id", "item_id"]).join(
        alerts.select(["alert_id", "model_name", "model_version"]), "item_id", "alert_id", join_type="inner"
    )
    judged = linked.join(states.select(["case_id", "disposition"]), "case_id", join_type="inner")
    judged = judged.filter(pc.is_valid(judged["disposition"]))
    pairs = {(r["case_id"], r["model_name"] or "", r["model_version"] or "", r["disposition"])
             for r in judged.to_pylist()}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for _case, name, version, disposition in pairs:
        row = out.setdefault((name, version), {"model_name": name, "model_version": version,
                                               "confirmed_fraud": 0, "false_positive": 0})
        if disposition == "confirmed_fraud":
            row["confirmed_fraud"] += 1
        elif disposition == "false_positive":
            row["false_positive"] += 1
    for row in out.values():
        judged_n = row["confirmed_fraud"] + row["false_positive"]
        row["judged"] = judged_n
        row["precision"] = None if judged_n == 0 else row["confirmed_fraud"] / judged_n
    return sorted(out.values(), key=lambda r: (r["model_name"], r["model_version"]))


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float | None:
    """Population stability index of ``current`` against ``reference`` (quantile bins of the
    reference); None when either side is empty."""
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    if reference.size == 0 or current.size == 0:
        return None
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:
        edges = np.array([reference.min() - 1e-9, reference.max() + 1e-9])
    edges[0], edges[-1] = -np.inf, np.inf
    ref = np.histogram(reference, edges)[0] / reference.size
    cur = np.histogram(current, edges)[0] / current.size
    eps = 1e-6
    ref, cur = np.clip(ref, eps, None), np.clip(cur, eps, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))
