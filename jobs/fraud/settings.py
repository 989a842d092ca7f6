"""The fraud stage's configuration (``conf/base/fraud.yml``, ``conf/base/mlflow.yml``) as typed objects.

Everything the transforms need is read here once and passed in as plain values, so transforms never
see the config. A malformed value ends as one :class:`~jobs.common.errors.ConfigError` line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.common.errors import ConfigError

SUBJECT_TYPES = ("subscriber", "external_number")
TYPOLOGIES = ("simbox", "irsf", "wangiri", "subscription_fraud")
ANOMALY = "anomaly"


@dataclass(frozen=True)
class FeatureParams:
    home_country_code: str
    min_international_digits: int
    local_timezone: str
    history_days: int
    night_start_hour: int
    night_end_hour: int
    one_ring_max_s: int
    callback_window_hours: int
    burst_window_hours: int
    heavy_mo_calls: int
    tac_digits: int
    peer_median_floor: float
    history_floor: float


@dataclass(frozen=True)
class Indicator:
    """``column`` scores 0 at ``start`` and 1 at ``end`` (linear between, clipped)."""

    column: str
    start: float
    end: float


@dataclass(frozen=True)
class Typology:
    name: str
    subject_type: str
    base: float
    required: tuple[Indicator, ...]
    supporting: tuple[Indicator, ...]


@dataclass(frozen=True)
class SignalParams:
    fire_at: float
    near_miss_at: float
    typologies: tuple[Typology, ...]


@dataclass(frozen=True)
class ScoringParams:
    rule_weight: float
    proba_alert_at: float
    anomaly_alert_at: float
    anomaly_min_deviation: float
    model_only_weight: float
    anomaly_subject_types: tuple[str, ...]
    min_score: float
    daily_budget: int
    max_reasons: int
    deviation_min_ratio: float
    priorities: tuple[tuple[float, int], ...]
    batch_rows: int
    currency: str


@dataclass(frozen=True)
class FraudSettings:
    features: FeatureParams
    signals: SignalParams
    scoring: ScoringParams
    train: dict[str, Any]
    drift: dict[str, Any]


def _get(cfg: Any, key: str) -> Any:
    return cfg.get_path(key)


def _indicator(raw: Any, where: str) -> Indicator:
    ok = isinstance(raw, list | tuple) and len(raw) == 3 and isinstance(raw[0], str)
    if ok:
        try:
            return Indicator(raw[0], float(raw[1]), float(raw[2]))
        except (TypeError, ValueError):
            ok = False
    raise ConfigError(f"config key {where!r} must hold [column, from, to] items, got {raw!r}")


def _typology(name: str, raw: Any) -> Typology:
    where = f"fraud.signals.typologies.{name}"
    if name not in TYPOLOGIES:
        raise ConfigError(f"{where}: unknown typology (known: {', '.join(TYPOLOGIES)})")
    if not isinstance(raw, dict) or raw.get("subject_type") not in SUBJECT_TYPES:
        raise ConfigError(f"{where}.subject_type must be one of {', '.join(SUBJECT_TYPES)}")
    required = tuple(_indicator(i, f"{where}.required") for i in raw.get("required") or [])
    if not required:
        raise ConfigError(f"{where}.required needs at least one indicator")
    supporting = tuple(_indicator(i, f"{where}.supporting") for i in raw.get("supporting") or [])
    base = float(raw.get("base", 1.0))
    if not 0.0 <= base <= 1.0:
        raise ConfigError(f"{where}.base must be within 0..1, got {base}")
    return Typology(name, raw["subject_type"], base, required, supporting)


def load_settings(cfg: Any) -> FraudSettings:
    """Read and check the ``fraud`` section of the config."""
    f = "fraud.features."
    features = FeatureParams(
        home_country_code=str(_get(cfg, "fraud.home_country_code")).strip(),
        min_international_digits=int(_get(cfg, "fraud.min_international_digits")),
        local_timezone=str(_get(cfg, "fraud.local_timezone")),
        history_days=int(_get(cfg, f + "history_days")),
        night_start_hour=int(_get(cfg, f + "night_start_hour")),
        night_end_hour=int(_get(cfg, f + "night_end_hour")),
        one_ring_max_s=int(_get(cfg, f + "one_ring_max_s")),
        callback_window_hours=int(_get(cfg, f + "callback_window_hours")),
        burst_window_hours=int(_get(cfg, f + "burst_window_hours")),
        heavy_mo_calls=int(_get(cfg, f + "heavy_mo_calls")),
        tac_digits=int(_get(cfg, f + "tac_digits")),
        peer_median_floor=float(_get(cfg, f + "peer_median_floor")),
        history_floor=float(_get(cfg, f + "history_floor")),
    )
    if features.history_days < 1:
        raise ConfigError("fraud.features.history_days must be at least 1")
    if features.home_country_code and not features.home_country_code.isdigit():
        raise ConfigError(f"fraud.home_country_code must be digits, got {features.home_country_code!r}")
    raw_typologies = _get(cfg, "fraud.signals.typologies") or {}
    signals = SignalParams(
        fire_at=float(_get(cfg, "fraud.signals.fire_at")),
        near_miss_at=float(_get(cfg, "fraud.signals.near_miss_at")),
        typologies=tuple(_typology(n, raw) for n, raw in raw_typologies.items()),
    )
    s = "fraud.scoring."
    priorities = _get(cfg, s + "priorities")
    try:
        prio = tuple((float(a), int(b)) for a, b in priorities)
    except (TypeError, ValueError):
        raise ConfigError(f"{s}priorities must be a list of [min score, priority], got {priorities!r}") from None
    scoring = ScoringParams(
        rule_weight=float(_get(cfg, s + "rule_weight")),
        proba_alert_at=float(_get(cfg, s + "proba_alert_at")),
        anomaly_alert_at=float(_get(cfg, s + "anomaly_alert_at")),
        anomaly_min_deviation=float(_get(cfg, s + "anomaly_min_deviation")),
        model_only_weight=float(_get(cfg, s + "model_only_weight")),
        anomaly_subject_types=tuple(_get(cfg, s + "anomaly_subject_types")),
        min_score=float(_get(cfg, s + "min_score")),
        daily_budget=int(_get(cfg, s + "daily_budget")),
        max_reasons=int(_get(cfg, s + "max_reasons")),
        deviation_min_ratio=float(_get(cfg, s + "deviation_min_ratio")),
        priorities=prio,
        batch_rows=int(_get(cfg, s + "batch_rows")),
        currency=str(_get(cfg, "fraud.currency")),
    )
    if not 0.0 <= scoring.rule_weight <= 1.0:
        raise ConfigError(f"{s}rule_weight must be within 0..1, got {scoring.rule_weight}")
    if scoring.daily_budget < 1:
        raise ConfigError(f"{s}daily_budget must be at least 1, got {scoring.daily_budget}")
    train = dict(_get(cfg, "fraud.train"))
    if int(train["validation_days"]) >= int(train["window_days"]):
        raise ConfigError("fraud.train.validation_days must be smaller than fraud.train.window_days")
    return FraudSettings(features, signals, scoring, train, dict(_get(cfg, "fraud.drift")))


@dataclass(frozen=True)
class MlflowSettings:
    tracking_uri: str
    registry_uri: str
    artifact_location: str
    experiment: str
    model_name: str


def mlflow_settings(cfg: Any) -> MlflowSettings:
    """Tracking/registry URIs: config (or $MLFLOW_TRACKING_URI), else the embedded store in the lake.

    The embedded default is ``sqlite:///<abs lake.root>/mlflow/mlflow.db`` with artifacts in
    ``<abs lake.root>/mlflow/artifacts``; both are absolute so any working directory finds them.
    """
    root = str(_get(cfg, "lake.root"))
    local_root = "://" not in root
    base = Path(root).resolve() / "mlflow" if local_root else None
    tracking = str(_get(cfg, "mlflow.tracking_uri") or "").strip()
    if not tracking:
        if base is None:
            raise ConfigError(f"lake.root {root} is not a local folder: set mlflow.tracking_uri (MLFLOW_TRACKING_URI)")
        base.mkdir(parents=True, exist_ok=True)
        tracking = f"sqlite:///{base / 'mlflow.db'}"
    artifacts = str(_get(cfg, "mlflow.artifact_location") or "").strip()
    if not artifacts and base is not None:
        artifacts = (base / "artifacts").as_uri()
    elif artifacts and "://" not in artifacts:
        artifacts = Path(os.path.abspath(artifacts)).as_uri()
    registry = str(_get(cfg, "mlflow.registry_uri") or "").strip() or tracking
    return MlflowSettings(tracking, registry, artifacts, str(_get(cfg, "mlflow.experiment")),
                          str(_get(cfg, "mlflow.model_name")))
