"""Billing with planted leakage: which records get events, and how those events are wrong.

Correct billing gives every billable record of a known line one event at the expected charge.
Plants are drawn from disjoint sets of ordinary records (not fraud, not inactive lines):
dropped events and a feed gap (unbilled), truncated or unrounded usage, wrong plan, wrong zone,
duplicates (BIL-A with the source id, BIL-B without) and phantom events. Separately, billing
prices from a *stale* tariff copy, so the mid-period price change is never applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jobs.generate.catalog import NATIONAL
from jobs.generate.clock import epoch_of
from jobs.generate.config import (
    MONEY_QUANT,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    SERVICES,
    SOURCE_SYSTEM,
    GeneratorParams,
)
from jobs.generate.context import World, lognormal_int
from jobs.generate.rating import rating_zone, round_up, usage_base
from jobs.generate.subscribers import ACTIVE, NEVER, NO_ROLE, Lines
from jobs.generate.tariffs import DATA, SMS, TariffTable, change_date, charge_4
from jobs.generate.traffic import INACTIVE_PLANTS, NO_PLANT, NORMAL, SUSPENDED_BILLED

CAUSES = (
    "none", "dropped_event", "feed_gap", "usage_truncated", "usage_not_rounded", "wrong_plan",
    "zone_misrated", "duplicate_with_source_id", "duplicate_without_source_id", "phantom_event",
    "tariff_not_updated", *INACTIVE_PLANTS[1:],
)
EVENT_COLUMNS = ("rec", "line", "service", "other", "rstart", "sys", "qty", "plan", "zone", "free", "cause", "dup")
NO_RECORD = -1


def cause(name: str) -> int:
    return CAUSES.index(name)


@dataclass
class Billing:
    """Events (internal columns, see :data:`EVENT_COLUMNS`) and why records went unbilled."""

    events: pd.DataFrame
    record_cause: np.ndarray  # per record: a CAUSES code, "none" when billed normally


def _count(params_rate: float, floor: int, eligible: int) -> int:
    return max(floor, round(params_rate * eligible))


class _Picker:
    """Draws disjoint sets of records in one random order."""

    def __init__(self, eligible: np.ndarray, rng: np.random.Generator) -> None:
        self.order = rng.permutation(np.flatnonzero(eligible))
        self.taken = np.zeros(eligible.size, dtype=bool)

    def candidates(self, where: np.ndarray, n: int) -> np.ndarray:
        pool = self.order[where[self.order] & ~self.taken[self.order]]
        return pool[:n]

    def take(self, where: np.ndarray, n: int) -> np.ndarray:
        chosen = self.candidates(where, n)
        self.taken[chosen] = True
        return chosen


def feed_gap(params: GeneratorParams, r: pd.DataFrame) -> np.ndarray:
    """Records of the gap's source system inside the gap window (default: the day before the change)."""
    pp = params.plants
    day = pp.feed_gap_day
    if day is None:
        day = min(max((change_date(params) - params.start).days - 1, 0), params.days - 1)
    begin = epoch_of(params.start) + day * SECONDS_PER_DAY + pp.feed_gap_start_hour_utc * SECONDS_PER_HOUR
    service = [SOURCE_SYSTEM[s] for s in SERVICES].index(pp.feed_gap_source)
    start = r["start"].to_numpy()
    end = begin + pp.feed_gap_hours * SECONDS_PER_HOUR
    return (r["service"].to_numpy() == service) & (start >= begin) & (start < end)


def base_events(r: pd.DataFrame, rows: np.ndarray, lines: Lines) -> pd.DataFrame:
    """One correct event per record index in ``rows``."""
    line = r["line"].to_numpy()[rows]
    return pd.DataFrame({
        "rec": rows, "line": line, "service": r["service"].to_numpy()[rows], "other": r["other"].to_numpy()[rows],
        "rstart": r["start"].to_numpy()[rows], "sys": lines.billing_b[line].astype(np.int64),
        "qty": r["rounded"].to_numpy()[rows], "plan": lines.plan[line], "zone": r["zone"].to_numpy()[rows],
        "free": r["free"].to_numpy()[rows], "cause": cause("none"), "dup": 0,
    })


def price_events(ev: pd.DataFrame, table: TariffTable) -> np.ndarray:
    """Charge (1/10,000 EUR) of each event from its plan, zone, billed quantity and free part."""
    service = ev["service"].to_numpy()
    rows = table.lookup(ev["plan"].to_numpy(), service, ev["zone"].to_numpy(), ev["rstart"].to_numpy())
    chargeable = np.maximum(ev["qty"].to_numpy() - ev["free"].to_numpy(), 0)
    return charge_4(chargeable, table.price_4[rows], service)


@dataclass
class _Draft:
    """Billing under construction: one event per billed record, indexed by record."""

    r: pd.DataFrame
    events: pd.DataFrame
    by_rec: np.ndarray  # record index -> event row (NO_RECORD when unbilled)
    picker: _Picker
    n_eligible: int

    def alter(self, records: np.ndarray, **values: np.ndarray | int) -> None:
        rows = self.by_rec[records]
        for column, value in values.items():
            self.events.loc[rows, column] = value


def _unbilled(world: World, r: pd.DataFrame, rng: np.random.Generator) -> tuple[_Draft, np.ndarray]:
    """Decide which billable records get no event: inactive plants, the feed gap, dropped events."""
    pp, lines = world.params.plants, world.lines
    line, plant = r["line"].to_numpy(), r["plant"].to_numpy()
    billable = r["billable"].to_numpy()
    record_cause = np.zeros(len(r), dtype=np.int64)
    unbilled_plant = billable & (plant != NO_PLANT) & (plant != SUSPENDED_BILLED)
    record_cause[unbilled_plant] = [cause(INACTIVE_PLANTS[p]) for p in plant[unbilled_plant]]
    base = billable & r["known"].to_numpy() & ~unbilled_plant
    gap = base & feed_gap(world.params, r)
    record_cause[gap] = cause("feed_gap")
    eligible = base & ~gap & (r["origin"].to_numpy() == NORMAL) & (lines.role[line] == NO_ROLE)
    picker = _Picker(eligible, rng)
    n_eligible = int(eligible.sum())
    dropped = picker.take(np.ones(len(r), dtype=bool), _count(pp.unbilled_rate, pp.unbilled_min, n_eligible))
    record_cause[dropped] = cause("dropped_event")
    billed = base & ~gap
    billed[dropped] = False
    events = base_events(r, np.flatnonzero(billed), lines)
    by_rec = np.full(len(r), NO_RECORD, dtype=np.int64)
    by_rec[events["rec"].to_numpy()] = np.arange(len(events))
    return _Draft(r, events, by_rec, picker, n_eligible), record_cause


def _wrong_usage(world: World, d: _Draft) -> None:
    """BIL-A truncates usage to the increment below; BIL-B forgets to round up at all."""
    pp, r = world.params.plants, d.r
    service, trow = r["service"].to_numpy(), r["trow"].to_numpy()
    inc = np.where(trow >= 0, world.true_table.increment_base[np.maximum(trow, 0)], 1)
    raw = usage_base(service, r["duration"].to_numpy(), r["volume"].to_numpy())
    sys_b = world.lines.billing_b[r["line"].to_numpy()]
    uneven = (service != SMS) & (inc > 1) & (raw % inc != 0) & (sys_b | (raw > inc))
    picked = d.picker.take(uneven, _count(pp.usage_mismatch_rate, pp.usage_mismatch_min, d.n_eligible))
    b = sys_b[picked]
    d.alter(picked, qty=np.where(b, raw[picked], raw[picked] // inc[picked] * inc[picked]),
            cause=np.where(b, cause("usage_not_rounded"), cause("usage_truncated")))


def _wrong_plan(world: World, d: _Draft, rng: np.random.Generator) -> None:
    """Events priced on (and labelled with) another plan than the subscriber's."""
    pp = world.params.plants
    picked = d.picker.take(np.ones(len(d.r), dtype=bool), _count(pp.plan_mismatch_rate, pp.plan_mismatch_min,
                                                                 d.n_eligible))
    n_plans = len(world.params.catalog.plans)
    real = world.lines.plan[d.r["line"].to_numpy()[picked]]
    d.alter(picked, plan=(real + rng.integers(1, n_plans, picked.size)) % n_plans, cause=cause("wrong_plan"))


def _wrong_zone(world: World, d: _Draft) -> None:
    """Calls abroad or to special numbers rated as national (only where that moves the charge)."""
    pp, r = world.params.plants, d.r
    national = world.catalog.zone_code(NATIONAL)
    want = _count(pp.zone_misrating_rate, pp.zone_misrating_min, d.n_eligible)
    misrate = (r["service"].to_numpy() != DATA) & (r["plmn"].to_numpy() < 0) & (r["zone"].to_numpy() != national)
    cand = d.picker.candidates(misrate, 4 * want)
    trial = d.events.iloc[d.by_rec[cand]].assign(zone=national)
    threshold = int(world.params.billing.rating_error_threshold * MONEY_QUANT)
    differs = np.abs(price_events(trial, world.billing_table) - r["expected"].to_numpy()[cand]) > threshold
    wrong = np.zeros(len(r), dtype=bool)
    wrong[cand[differs]] = True
    d.alter(d.picker.take(wrong, want), zone=national, cause=cause("zone_misrated"))


def _duplicates(world: World, d: _Draft) -> list[pd.DataFrame]:
    """Second events for billed records: BIL-A repeats the source id, BIL-B re-sends the usage."""
    pp = world.params.plants
    sys_b = world.lines.billing_b[d.r["line"].to_numpy()]
    copies = []
    for is_b, label in ((False, "duplicate_with_source_id"), (True, "duplicate_without_source_id")):
        picked = d.picker.take(sys_b == is_b, _count(pp.duplicate_rate, pp.duplicate_min, d.n_eligible))
        copies.append(d.events.iloc[d.by_rec[picked]].assign(cause=cause(label), dup=1))
    return copies


def phantoms(world: World, r: pd.DataFrame, rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` billed events without any network record, clear of every record with their key."""
    params, lines = world.params, world.lines
    pp, tp = params.plants, params.traffic
    k = lines.n_known
    pool = np.flatnonzero((lines.status[:k] == ACTIVE) & (lines.role[:k] == NO_ROLE)
                          & (lines.activated[:k] < world.start) & (lines.terminated[:k] == NEVER))
    m = 2 * n + len(SERVICES)  # spare candidates for those too close to real usage
    line = rng.choice(pool, m)
    mix = np.asarray([pp.phantom_service_mix[s] for s in SERVICES])
    service = rng.choice(len(SERVICES), m, p=mix / mix.sum())
    start = rng.integers(world.start + tp.edge_margin_s, world.end - tp.edge_margin_s, m)
    other = np.where(service == DATA, 0, world.numbers(rng, "national_mobile", m))
    raw = usage_base(service, lognormal_int(rng, tp.voice_duration_s, m), lognormal_int(rng, tp.data_bytes, m))
    zone = rating_zone(service, other, np.zeros(m, dtype=bool), world.catalog, world.matcher)
    rows = world.true_table.lookup(lines.plan[line], service, zone, start)
    ev = pd.DataFrame({
        "rec": NO_RECORD, "line": line, "service": service, "other": other, "rstart": start,
        "sys": lines.billing_b[line].astype(np.int64), "qty": round_up(raw, world.true_table.increment_base[rows]),
        "plan": lines.plan[line], "zone": zone, "free": 0, "cause": cause("phantom_event"), "dup": 0,
    })
    billable = r.loc[r["billable"], ["line", "service", "other", "start"]].sort_values("start")
    near = pd.merge_asof(ev.assign(i=np.arange(m)).sort_values("rstart"), billable, left_on="rstart",
                         right_on="start", by=["line", "service", "other"], direction="nearest",
                         tolerance=pp.phantom_clearance_s)
    clear = np.sort(near.loc[near["start"].isna(), "i"].to_numpy())
    return ev.iloc[clear[:n]].reset_index(drop=True)


def bill(world: World, r: pd.DataFrame, rng: np.random.Generator) -> Billing:
    """Events for rated records ``r`` (see ``rating.rate``), with every plant applied and priced."""
    pp = world.params.plants
    draft, record_cause = _unbilled(world, r, rng)
    _wrong_usage(world, draft)
    _wrong_plan(world, draft, rng)
    _wrong_zone(world, draft)
    extra = _duplicates(world, draft)
    extra.append(phantoms(world, r, rng, _count(pp.phantom_rate, pp.phantom_min, draft.n_eligible)))
    events = pd.concat([draft.events, *extra], ignore_index=True)
    events["charge"] = price_events(events, world.billing_table)
    stale = events["charge"].to_numpy() != price_events(events, world.true_table)
    stale &= events["cause"].to_numpy() == cause("none")
    events.loc[stale, "cause"] = cause("tariff_not_updated")
    return Billing(events, record_cause)
