"""The app's configuration: the same layered config as the jobs, read from environment variables.

``streamlit run`` cannot take leakline's command-line options, so ``leakline app`` passes them as
``LEAKLINE_ENV`` (conf/<env>), ``LEAKLINE_CONF_DIR``, ``LEAKLINE_CONF_FILE`` (one more YAML layer)
and ``LEAKLINE_LAKEHOUSE`` (``lake.root`` reads ``${LEAKLINE_LAKEHOUSE:var/lakehouse}``).
:class:`AppSettings` resolves the paths the app needs once, so pages never dig in the config tree.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.common.config import Config, load_config

DEFAULT_MLFLOW_DB = "mlflow/mlflow.db"


def load_app_config() -> Config:
    """The config the app runs with (env vars only; see the module docstring)."""
    return load_config(
        env=os.environ.get("LEAKLINE_ENV", "local"),
        conf_dir=os.environ.get("LEAKLINE_CONF_DIR") or None,
        extra_file=os.environ.get("LEAKLINE_CONF_FILE") or None,
    )


@dataclass(frozen=True)
class AppSettings:
    """Resolved settings. ``lake_key`` identifies the lake in cache keys (root + locations)."""

    cfg: Config
    lake_root: str
    lake_key: str
    cases_db: Path
    users_file: Path
    mlflow_uri: str
    mlflow_registry_uri: str
    mlflow_experiment: str
    cache_ttl_s: int

    def get(self, dotted: str, default: Any = None) -> Any:
        return self.cfg.get_path(dotted, default)

    @property
    def auth_mode(self) -> str:
        return str(self.get("app.auth.mode", "local"))


def _abs(path: str) -> str:
    return path if "://" in path else str(Path(path).resolve())


def resolve(cfg: Config) -> AppSettings:
    """Paths: the case store defaults to ``<lake.root>/app/cases.db``; MLflow to the lake's store."""
    root = _abs(str(cfg.get_path("lake.root")))
    lake_cfg = {
        "root": root,
        "locations": dict(cfg.get_path("lake.locations", {}) or {}),
        "vacuum_retention_hours": cfg.get_path("lake.vacuum_retention_hours", 168),
        "arrow_batch_rows": cfg.get_path("lake.arrow_batch_rows", 200000),
    }
    cases_db = str(cfg.get_path("app.cases_db", "") or "")
    if not cases_db:
        if "://" in root:
            from jobs.common.errors import ConfigError

            raise ConfigError(
                "app.cases_db must be set (LEAKLINE_CASES_DB) when lake.root is an object store"
            )
        cases_db = str(Path(root) / "app" / "cases.db")
    mlflow_uri = str(cfg.get_path("mlflow.tracking_uri", "") or "")  # conf/base/mlflow.yml (fraud stage)
    if not mlflow_uri:
        mlflow_uri = f"sqlite:///{Path(root) / DEFAULT_MLFLOW_DB}"
    return AppSettings(
        cfg=cfg,
        lake_root=root,
        lake_key=json.dumps(lake_cfg, sort_keys=True),
        cases_db=Path(cases_db).resolve(),
        users_file=Path(str(cfg.get_path("app.auth.users_file"))).resolve(),
        mlflow_uri=mlflow_uri,
        mlflow_registry_uri=str(cfg.get_path("mlflow.registry_uri", "") or "") or mlflow_uri,
        mlflow_experiment=str(cfg.get_path("mlflow.experiment", "leakline-fraud") or "leakline-fraud"),
        cache_ttl_s=int(cfg.get_path("app.cache_ttl_s")),
    )


def lake_from_key(lake_key: str) -> Any:
    """A delta-rs lake (no JVM) from :attr:`AppSettings.lake_key`."""
    from jobs.common.lake import make_lake

    lake_cfg = json.loads(lake_key)
    return make_lake({"lake": {**lake_cfg, "engine": "delta-rs"}}, None)
