"""The pure API: ``generate(params) -> GeneratedData`` (no files, no clock, no global state).

Each stage draws from its own random stream, derived from the seed and the stage name, so the
output depends only on ``params`` and a change in one stage does not reshuffle the others.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from jobs.generate.billing import bill
from jobs.generate.catalog import PrefixMatcher, build_catalog
from jobs.generate.config import CONTROLS, TYPOLOGIES, GeneratorParams
from jobs.generate.context import World
from jobs.generate.events import billed_frame, finalize
from jobs.generate.fraud import fraud_traffic
from jobs.generate.network import assemble, network_frame
from jobs.generate.rating import rate
from jobs.generate.subscribers import build_lines
from jobs.generate.tariffs import build_tariffs, change_date, change_zone, stale_tariffs, tariff_table
from jobs.generate.traffic import contact_books, inactive_traffic, normal_traffic
from jobs.generate.truth import fraud_truth, leakage_truth

_PER_MILLE = 1000


@dataclass(frozen=True)
class GeneratedData:
    """Every landing feed and truth table in memory (see docs/generator.md for the columns)."""

    network_usage: pd.DataFrame
    billed_usage: pd.DataFrame  # plus a ``billing_system`` column naming its file
    subscribers: pd.DataFrame
    destinations: pd.DataFrame
    tariffs: pd.DataFrame
    leakage: pd.DataFrame
    fraud: pd.DataFrame
    summary: dict[str, Any]
    params: GeneratorParams


def stream(seed: int, stage: str) -> np.random.Generator:
    """The random stream of one stage: seeded by (seed, crc32 of the stage name)."""
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)  # Decimal, date, Path


def summarize(data: dict[str, pd.DataFrame], params: GeneratorParams, extra: dict[str, Any]) -> dict[str, Any]:
    """Counts per feed, control, cause and typology; money at risk per control; the params used."""
    leak, fraud = data["leakage"], data["fraud"]
    controls = {}
    for control in CONTROLS:
        rows = leak[leak["control"] == control]
        total = sum((a for a in rows["amount_at_risk"] if a is not None), Decimal(0))
        controls[control] = {"findings": len(rows), "amount_at_risk": str(total)}
    causes = leak.groupby(["control", "cause"]).size()
    return {
        "rows": {name: len(df) for name, df in data.items() if name not in ("leakage", "fraud")},
        "controls": controls,
        "causes": {f"{c}/{k}": int(n) for (c, k), n in causes.items()},
        "fraud": {t: int((fraud["typology"] == t).sum()) for t in TYPOLOGIES},
        **extra,
        "params": _jsonable(asdict(params)),
    }


def build_world(params: GeneratorParams) -> World:
    """Catalogue, tariffs, lines and contact books: everything traffic and billing draw on."""
    catalog = build_catalog(params.catalog, params.destinations_csv)
    tariffs = build_tariffs(params, catalog)
    pp = params.plants
    n_unknown = max(pp.unknown_msisdns_min, round(params.subscribers * pp.unknown_msisdns_per_1000 / _PER_MILLE))
    lines = build_lines(params, stream(params.seed, "lines"), n_unknown)
    return World(params, catalog, PrefixMatcher(catalog), tariffs, tariff_table(tariffs, params, catalog),
                 tariff_table(stale_tariffs(tariffs), params, catalog), lines,
                 contact_books(params, lines, catalog, stream(params.seed, "contacts")))


def generate(params: GeneratorParams) -> GeneratedData:
    """Generate subscribers, catalogue, tariffs, network and billed usage, and their ground truth."""
    seed = params.seed
    world = build_world(params)
    fraud_records, subjects = fraud_traffic(world, stream(seed, "fraud"))
    parts = [normal_traffic(world, stream(seed, "traffic")), fraud_records,
             inactive_traffic(world, stream(seed, "inactive"))]
    records = assemble(params, world.lines, parts)
    rated = rate(records, world.lines, world.catalog, world.true_table, world.matcher)
    billing = bill(world, rated, stream(seed, "billing"))
    events = finalize(params, billing.events, rated, stream(seed, "clocks"))
    billed = billed_frame(events, world.lines, params)
    frames = {
        "network_usage": network_frame(rated, world.lines, params),
        "billed_usage": billed,
        "subscribers": world.lines.frame(params),
        "destinations": world.catalog.destinations.copy(),
        "tariffs": world.tariffs.copy(),
        "leakage": leakage_truth(world, rated, events, billed, billing.record_cause),
        "fraud": fraud_truth(subjects, rated),
    }
    extra = {"price_change": {"plan": params.catalog.price_change_plan, "zone": change_zone(params, world.catalog),
                              "service": "voice", "effective_from": change_date(params).isoformat()}}
    return GeneratedData(**frames, summary=summarize(frames, params, extra), params=params)
