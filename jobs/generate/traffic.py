"""Normal network traffic and planted usage by inactive or unknown lines, fully vectorised.

Records are built as a frame of internal columns (see :data:`RECORD_COLUMNS`); ``network.py``
turns them into the contract feed. Every line has a small contact book (on-net lines, national
fixed and mobile, a little premium and international) that it calls with Zipf-like preference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jobs.generate.catalog import Catalog
from jobs.generate.clock import sample_local_times
from jobs.generate.config import SECONDS_PER_DAY, SERVICES, GeneratorParams
from jobs.generate.context import World, lognormal_int
from jobs.generate.numbering import numbers_in_prefixes
from jobs.generate.subscribers import NEVER, SIMBOX, SUSPENDED, TERMINATED, UNKNOWN, Lines

VOICE, SMS, DATA = range(len(SERVICES))
ORIGINS = ("normal", "fraud", "inactive")
NORMAL, FRAUD, INACTIVE = range(len(ORIGINS))
INACTIVE_PLANTS = ("none", "suspended_billed", "suspended_unbilled", "terminated_line_usage",
                   "unknown_msisdn_usage")
NO_PLANT, SUSPENDED_BILLED, SUSPENDED_UNBILLED, TERMINATED_USAGE, UNKNOWN_USAGE = range(len(INACTIVE_PLANTS))
RECORD_COLUMNS = ("line", "service", "mo", "other", "start", "duration", "volume", "plmn", "cell",
                  "origin", "subject", "plant")
NONE = -1


def make_records(n: int, **cols: np.ndarray | int | bool) -> pd.DataFrame:
    """A record frame of ``n`` rows; columns not given get their neutral default."""
    defaults = {"mo": True, "other": 0, "duration": 0, "volume": 0, "plmn": NONE, "cell": 0,
                "origin": NORMAL, "subject": NONE, "plant": NO_PLANT}
    data = {}
    for name in RECORD_COLUMNS:
        value = cols.get(name, defaults.get(name))
        if value is None:
            raise ValueError(f"record column {name!r} is required")
        data[name] = np.broadcast_to(np.asarray(value), (n,)).copy()
    return pd.DataFrame(data)


def contact_books(params: GeneratorParams, lines: Lines, catalog: Catalog, rng: np.random.Generator) -> np.ndarray:
    """``(lines, contacts_per_line)`` numbers each line talks to, most frequent first."""
    tp = params.traffic
    total, k = lines.msisdn.size, tp.contacts_per_line
    kinds = list(tp.contact_mix)
    p = np.asarray([tp.contact_mix[x] for x in kinds])
    kind = rng.choice(len(kinds), size=(total, k), p=p / p.sum())
    book = np.zeros((total, k), dtype=np.int64)
    for i, name in enumerate(kinds):
        cells = kind == i
        m = int(cells.sum())
        if name == "onnet":
            book[cells] = lines.msisdn[rng.integers(0, lines.n_known, m)]
            continue
        prefixes = catalog.prefixes_of(name, params.catalog.home_country_code)
        picks = prefixes[rng.integers(0, prefixes.size, m)]
        book[cells] = numbers_in_prefixes(rng, picks, tp.number_length, tp.number_min_suffix)
    own = book == lines.msisdn[:, None]  # nobody calls themselves: take the next line instead
    book[own] = lines.msisdn[(np.arange(total)[:, None].repeat(k, 1)[own] + 1) % lines.n_known]
    return book


def usage(world: World, rng: np.random.Generator, skeleton: pd.DataFrame) -> pd.DataFrame:
    """Complete records from a skeleton of ``line, service, start, mo``.

    Adds the other party (from the line's contact book, Zipf-like), duration and volume, roaming
    network while the line is on its trip abroad, and a cell of the line at home.
    """
    tp, lines, n = world.params.traffic, world.lines, len(skeleton)
    line, service = skeleton["line"].to_numpy(), skeleton["service"].to_numpy()
    start = skeleton["start"].to_numpy()
    k = world.book.shape[1]
    pick = np.minimum((k * rng.random(n) ** 2).astype(np.int64), k - 1)
    other = np.where(service == DATA, 0, world.book[line, pick])
    duration = np.where(service == VOICE, lognormal_int(rng, tp.voice_duration_s, n),
                        np.where(service == DATA, lognormal_int(rng, tp.data_session_s, n), 0))
    volume = np.where(service == DATA, lognormal_int(rng, tp.data_bytes, n), 0)
    day = (start - world.start) // SECONDS_PER_DAY
    abroad = (day >= lines.trip[line, 0]) & (day < lines.trip[line, 1])
    plmn = np.where(abroad, lines.plmn[line], NONE)
    cell = np.where(abroad, 0, lines.cells[line, rng.integers(0, lines.cells.shape[1], n)])
    return make_records(n, line=line, service=service, mo=skeleton["mo"].to_numpy(), other=other, start=start,
                        duration=duration, volume=volume, plmn=plmn, cell=cell)


def skeleton(line: np.ndarray, service: np.ndarray | int, start: np.ndarray, mo: np.ndarray | bool) -> pd.DataFrame:
    """The four columns :func:`usage` completes."""
    n = len(line)
    return pd.DataFrame({"line": line, "service": np.broadcast_to(service, (n,)), "start": start,
                         "mo": np.broadcast_to(mo, (n,))})


def normal_traffic(world: World, rng: np.random.Generator) -> pd.DataFrame:
    """Diurnal voice/sms/data of every line inside its active window (SIM-box SIMs excepted)."""
    params, lines = world.params, world.lines
    tp = params.traffic
    lo, hi = lines.window(world.start, world.end)
    slots = params.days + 1  # local days -1..days-1 cover the UTC period
    talks = (hi > lo) & (lines.role != SIMBOX)
    parts = []
    for s, name in enumerate(SERVICES):
        counts = rng.poisson(tp.records_per_day[name] * lines.activity * slots * talks)
        line = np.repeat(np.arange(lines.msisdn.size), counts)
        day = rng.integers(-1, params.days, line.size)
        start = sample_local_times(rng, day, tp.diurnal[name], world.start, params.local_time)
        keep = (start >= np.maximum(lo[line], world.start + tp.edge_margin_s)) & (
            start < np.minimum(hi[line], world.end - tp.edge_margin_s))
        line, start = line[keep], start[keep]
        mo = np.ones(line.size, dtype=bool) if s == DATA else rng.random(line.size) < tp.mo_share[name]
        parts.append(usage(world, rng, skeleton(line, s, start, mo)))
    return pd.concat(parts, ignore_index=True)


def _inactive_lines(world: World, rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    """Lines that use the network although inactive, with their plant code."""
    pp, lines = world.params.plants, world.lines
    chosen = []
    for status in (SUSPENDED, TERMINATED):
        pool = np.flatnonzero(lines.status == status)
        if status == TERMINATED:  # leave room after termination for the planted usage
            pool = pool[lines.terminated[pool] < world.end - SECONDS_PER_DAY // 2]
        size = min(pool.size, max(pp.inactive_line_min, round(pool.size * pp.inactive_line_share)))
        picked = np.sort(rng.choice(pool, size=size, replace=False))
        if status == SUSPENDED:  # some still billed, some not (both kinds once there are two lines)
            n_billed = round(picked.size * pp.suspended_billed_share)
            if picked.size > 1:
                n_billed = min(max(n_billed, 1), picked.size - 1)
            picked = rng.permutation(picked)
            chosen += [(np.sort(picked[:n_billed]), SUSPENDED_BILLED), (np.sort(picked[n_billed:]), SUSPENDED_UNBILLED)]
        else:
            chosen.append((picked, TERMINATED_USAGE))
    chosen.append((np.flatnonzero(lines.status == UNKNOWN), UNKNOWN_USAGE))
    return chosen


def inactive_traffic(world: World, rng: np.random.Generator) -> pd.DataFrame:
    """Billable records by suspended lines, terminated lines after termination and unknown lines."""
    tp, lines = world.params.traffic, world.lines
    lo_n, hi_n = world.params.plants.records_per_inactive_line
    parts = []
    for group, plant in _inactive_lines(world, rng):
        line = np.repeat(group, rng.integers(lo_n, hi_n + 1, group.size))
        term = lines.terminated[line]
        earliest = np.where(term == NEVER, world.start, np.maximum(term, world.start)) + tp.edge_margin_s
        start = earliest + (rng.random(line.size) * (world.end - tp.edge_margin_s - earliest)).astype(np.int64)
        service = rng.integers(0, len(SERVICES), line.size)
        rec = usage(world, rng, skeleton(line, service, start, True))
        rec["origin"], rec["plant"] = INACTIVE, plant
        parts.append(rec)
    return pd.concat(parts, ignore_index=True)
