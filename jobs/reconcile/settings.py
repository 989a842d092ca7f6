"""Typed view of ``conf/base/reconcile.yml``: every threshold the reconciliation uses, checked once.

Transforms receive a :class:`ReconcileSettings` (or single values from it), never the config.
Money thresholds are read as exact decimals from text; a bad value is a :class:`ConfigError`
naming its key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from jobs.common.config import Config
from jobs.common.errors import ConfigError

CONTROLS = (
    "unbilled_usage",
    "phantom_billing",
    "duplicate_billing",
    "rating_error",
    "usage_mismatch",
    "inactive_subscriber_usage",
    "plan_mismatch",
)
# Controls whose finding is about a network record (identified by record_id); every other control's
# finding is about a billed event (identified by event_id). Output contract v1.
RECORD_CONTROLS = ("unbilled_usage", "inactive_subscriber_usage")
TARIFF_GAP = "tariff gap"  # details of a finding that carries a tariff gap start with this
FINDING_KEY = {c: "record_id" if c in RECORD_CONTROLS else "event_id" for c in CONTROLS}
FIGURES = ("first_seen", "last_seen", "findings", "amount")  # case figures usable in templates
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class CaseRule:
    """One root-cause grouping rule (``reconcile.case_rules.<name>``)."""

    name: str
    controls: tuple[str, ...]
    group_by: tuple[str, ...]
    subject: tuple[str, ...]
    subject_type: str
    title: str
    root_cause: str
    details_prefix: str | None = None


@dataclass(frozen=True)
class ReconcileSettings:
    skew_tolerance_us: int = 5_000_000
    bucket_us: int = 60_000_000
    consistency_pct: int = 10
    max_match_rounds: int = 10
    broadcast_max_rows: int = 2_000_000
    charge_tolerance: Decimal = Decimal("0.01")
    billing_latency_hours: float = 24.0
    currency: str = "EUR"
    priority_thresholds: tuple[Decimal, Decimal, Decimal] = (Decimal(1000), Decimal(100), Decimal(10))
    case_rules: tuple[CaseRule, ...] = field(default_factory=tuple)


def _decimal(value: Any, key: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"config key {key!r} must be a decimal number, got {value!r}") from None
    if not out.is_finite() or out < 0:
        raise ConfigError(f"config key {key!r} must be a decimal number >= 0, got {value!r}")
    return out


def _positive(value: Any, key: str, minimum: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"config key {key!r} must be a number >= {minimum}, got {value!r}")
    return float(value)


def _names(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"config key {key!r} must be a list of names, got {value!r}")
    return tuple(value)


def case_rules_from(raw: Any) -> tuple[CaseRule, ...]:
    """Parse ``reconcile.case_rules`` (a mapping name -> rule), keeping the configured order."""
    if not isinstance(raw, dict):
        raise ConfigError("config key 'reconcile.case_rules' must be a mapping of rule name -> rule")
    from jobs.common.tables import LEAKAGE_FINDINGS

    columns = set(LEAKAGE_FINDINGS.fieldNames())
    rules = []
    for name, spec in raw.items():
        key = f"reconcile.case_rules.{name}"
        if not isinstance(spec, dict):
            raise ConfigError(f"config key {key!r} must be a mapping")
        controls = _names(spec.get("controls"), f"{key}.controls")
        unknown = [c for c in controls if c not in CONTROLS]
        if unknown:
            raise ConfigError(f"config key {key + '.controls'!r} names unknown controls {unknown}")
        group_by = _names(spec.get("group_by"), f"{key}.group_by")
        subject = _names(spec.get("subject", list(group_by)), f"{key}.subject")
        bad = [c for c in group_by if c not in columns]
        if bad:
            raise ConfigError(f"config key {key!r} groups by {bad}, which are not findings columns")
        if not set(subject) <= set(group_by):
            raise ConfigError(f"config key {key + '.subject'!r} must be group_by columns, got {list(subject)}")
        for text_key in ("title", "root_cause"):
            text = spec.get(text_key)
            if not isinstance(text, str):
                raise ConfigError(f"config key {key + '.' + text_key!r} must be text")
            unknown = sorted(set(PLACEHOLDER.findall(text)) - set(group_by) - set(FIGURES))
            if unknown:
                raise ConfigError(
                    f"config key {key + '.' + text_key!r} uses {unknown}: only group_by columns "
                    f"and {list(FIGURES)} can be filled in")
        prefix = spec.get("details_prefix")
        rules.append(CaseRule(
            name=str(name), controls=controls, group_by=group_by, subject=subject,
            subject_type=str(spec.get("subject_type", "group")), title=spec["title"],
            root_cause=spec["root_cause"], details_prefix=None if prefix is None else str(prefix),
        ))
    return tuple(rules)


def settings_from(cfg: Config) -> ReconcileSettings:
    """Read and check the ``reconcile`` section."""
    r = cfg.get_path("reconcile")
    tol = _decimal(r["clock_skew_tolerance_s"], "reconcile.clock_skew_tolerance_s")
    bucket = _positive(r["match_bucket_s"], "reconcile.match_bucket_s", 1)
    pct = _positive(r["usage_consistency_pct"], "reconcile.usage_consistency_pct")
    rounds = _positive(r["max_match_rounds"], "reconcile.max_match_rounds", 1)
    thresholds = r["priority_thresholds"]
    p = tuple(_decimal(thresholds[k], f"reconcile.priority_thresholds.{k}") for k in ("p1", "p2", "p3"))
    if not p[0] >= p[1] >= p[2]:
        raise ConfigError("config keys 'reconcile.priority_thresholds' must satisfy p1 >= p2 >= p3")
    currency = str(r["currency"])
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ConfigError(f"config key 'reconcile.currency' must be an ISO 4217 code, got {currency!r}")
    return ReconcileSettings(
        skew_tolerance_us=int(tol * 1_000_000),
        bucket_us=int(Decimal(str(bucket)) * 1_000_000),
        consistency_pct=int(pct),
        max_match_rounds=int(rounds),
        broadcast_max_rows=int(_positive(r["broadcast_max_rows"], "reconcile.broadcast_max_rows")),
        charge_tolerance=_decimal(r["charge_tolerance"], "reconcile.charge_tolerance"),
        billing_latency_hours=_positive(r["billing_latency_hours"], "reconcile.billing_latency_hours"),
        currency=currency,
        priority_thresholds=p,  # type: ignore[arg-type]
        case_rules=case_rules_from(r["case_rules"]),
    )
