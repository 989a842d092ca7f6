"""Planted fraud typologies: SIM boxes, IRSF, wangiri and subscription fraud.

Each typology returns network records tagged with a *subject* (a row of the subject table that
becomes ``truth/fraud.csv``). Fraud traffic is ordinary billable usage: billing charges it
normally, so it creates no leakage of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jobs.generate.clock import local_to_utc
from jobs.generate.config import SECONDS_PER_DAY, SECONDS_PER_HOUR
from jobs.generate.context import World, lognormal_int
from jobs.generate.subscribers import ACTIVE, IRSF, NO_ROLE, SIMBOX, SUBSCRIPTION
from jobs.generate.traffic import FRAUD, VOICE, make_records, skeleton, usage

SUBJECT_COLUMNS = ("subject", "subject_type", "typology", "description")


class _Subjects:
    """Collects subject rows; ``add`` returns the new subject's id."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, subject: str, subject_type: str, typology: str, description: str) -> int:
        self.rows.append((subject, subject_type, typology, description))
        return len(self.rows) - 1


def simbox(world: World, rng: np.random.Generator, subjects: _Subjects) -> pd.DataFrame:
    """Back-to-back MO national calls from each SIM of a box, all day, from one static cell."""
    params, lines = world.params, world.lines
    fp = params.fraud
    sims = np.flatnonzero(lines.role == SIMBOX)
    sid = np.asarray([subjects.add(
        str(lines.msisdn[s]), "msisdn", "simbox",
        f"SIM box {lines.box[s]}: new prepaid SIM, ~{fp.simbox_calls_per_day:.0f} MO national calls a day "
        f"to distinct numbers, no MT/sms/data, one static cell, IMEI TAC {fp.simbox_tac} shared by "
        f"{int((lines.box == lines.box[s]).sum())} SIMs") for s in sims])
    sim_day = np.repeat(np.arange(sims.size), params.days)
    day = np.tile(np.arange(params.days), sims.size)
    counts = rng.poisson(fp.simbox_calls_per_day, sim_day.size)
    group = np.repeat(np.arange(sim_day.size), counts)
    duration = lognormal_int(rng, fp.simbox_call_s, group.size)
    busy = duration + fp.simbox_min_gap_s + lognormal_int(rng, fp.simbox_gap_s, group.size)
    step = np.cumsum(busy)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    jitter = rng.integers(0, fp.simbox_start_jitter_s, sim_day.size)
    offset = step - busy - np.repeat(step[first - 1] * (first > 0) - jitter, counts)
    open_h, close_h = fp.simbox_hours_local
    keep = offset < (close_h - open_h) * SECONDS_PER_HOUR
    group, duration, offset = group[keep], duration[keep], offset[keep]
    local = world.start + day[group] * SECONDS_PER_DAY + open_h * SECONDS_PER_HOUR + offset
    line = sims[sim_day[group]]
    mix = params.traffic.contact_mix
    mobile = rng.random(line.size) < mix["national_mobile"] / (mix["national_mobile"] + mix["national"])
    other = np.where(mobile, world.numbers(rng, "national_mobile", line.size),
                     world.numbers(rng, "national", line.size))
    return make_records(line.size, line=line, service=VOICE, mo=True, other=other,
                        start=local_to_utc(local, params.local_time), duration=duration,
                        cell=lines.cells[line, 0], origin=FRAUD, subject=sid[sim_day[group]])


def irsf(world: World, rng: np.random.Generator, subjects: _Subjects) -> pd.DataFrame:
    """Night bursts of long calls from hijacked lines to a few numbers in high-risk ranges."""
    params, lines = world.params, world.lines
    fp = params.fraud
    night_from, night_to = fp.irsf_night_hours_local
    parts = []
    for victim in np.flatnonzero(lines.role == IRSF):
        targets = world.numbers(rng, "high_risk", int(rng.integers(*fp.irsf_numbers_per_victim, endpoint=True)))
        bursts = min(params.days, int(rng.integers(*fp.irsf_bursts, endpoint=True)))
        days = np.sort(rng.choice(params.days, size=bursts, replace=False))
        sid = subjects.add(str(lines.msisdn[victim]), "msisdn", "irsf",
                           "IRSF: night-time bursts of long calls to high-risk numbers "
                           + ", ".join(map(str, targets)))
        n = rng.integers(*fp.irsf_calls_per_burst, endpoint=True, size=days.size)
        local = (world.start + np.repeat(days, n) * SECONDS_PER_DAY + night_from * SECONDS_PER_HOUR
                 + rng.integers(0, (night_to - night_from) * SECONDS_PER_HOUR, int(n.sum())))
        start = np.sort(local_to_utc(local, params.local_time))
        rec = usage(world, rng, skeleton(np.full(start.size, victim), VOICE, start, True))
        rec["other"] = targets[rng.integers(0, targets.size, start.size)]
        rec["duration"] = lognormal_int(rng, fp.irsf_call_s, start.size)
        rec["origin"], rec["subject"] = FRAUD, sid
        parts.append(rec)
    return pd.concat(parts, ignore_index=True)


def wangiri(world: World, rng: np.random.Generator, subjects: _Subjects) -> pd.DataFrame:
    """One-ring MT calls from a few foreign numbers to many subscribers, and the callbacks they lure."""
    params, lines = world.params, world.lines
    fp, n = params.fraud, params.subscribers
    numbers = world.numbers(rng, "high_risk", max(fp.wangiri_min, round(n * fp.wangiri_share)))
    pool = np.flatnonzero((lines.status[:n] == ACTIVE) & (lines.role[:n] == NO_ROLE))
    weights = np.asarray(params.traffic.diurnal["voice"], dtype=float)
    parts = []
    for number in numbers:
        sid = subjects.add(str(number), "external_number", "wangiri",
                           f"Wangiri from {number}: one-ring MT calls (0-3 s) to many distinct subscribers; "
                           "some call back")
        size = min(pool.size, fp.wangiri_targets_max, round(pool.size * fp.wangiri_targets_share))
        targets = np.sort(rng.choice(pool, size=size, replace=False))
        day = int(rng.integers(0, params.days))
        hour = int(rng.choice(weights.size, p=weights / weights.sum()))
        local = (world.start + day * SECONDS_PER_DAY + hour * SECONDS_PER_HOUR
                 + rng.integers(0, fp.wangiri_window_hours * SECONDS_PER_HOUR, targets.size))
        ring = local_to_utc(local, params.local_time)
        mt = usage(world, rng, skeleton(targets, VOICE, ring, False))
        mt["other"] = number
        mt["duration"] = rng.integers(fp.wangiri_ring_s[0], fp.wangiri_ring_s[1] + 1, targets.size)
        back = rng.random(targets.size) < fp.wangiri_callback_share
        delay = rng.integers(fp.wangiri_callback_min_delay_s, fp.wangiri_callback_delay_hours * SECONDS_PER_HOUR,
                             int(back.sum()))
        mo = usage(world, rng, skeleton(targets[back], VOICE, ring[back] + delay, True))
        mo["other"] = number
        mo["duration"] = lognormal_int(rng, fp.wangiri_callback_s, int(back.sum()))
        for rec in (mt, mo):
            rec["origin"], rec["subject"] = FRAUD, sid
            parts.append(rec)
    return pd.concat(parts, ignore_index=True)


def subscription_fraud(world: World, rng: np.random.Generator, subjects: _Subjects) -> pd.DataFrame:
    """New postpaid lines that start heavy international and premium calling right after activation."""
    params, lines = world.params, world.lines
    fp = params.fraud
    fraudsters = np.flatnonzero(lines.role == SUBSCRIPTION)
    sid = np.asarray([subjects.add(
        str(lines.msisdn[s]), "msisdn", "subscription_fraud",
        "Subscription fraud: postpaid line activated in the period, heavy international and premium "
        "calling from the first hours") for s in fraudsters])
    live_days = (world.end - lines.activated[fraudsters]) / SECONDS_PER_DAY
    who = np.repeat(np.arange(fraudsters.size), rng.poisson(fp.subscription_calls_per_day * live_days))
    line = fraudsters[who]
    since = lines.activated[line]
    start = since + (rng.random(line.size) ** 2 * (world.end - since)).astype(np.int64)  # front-loaded
    rec = usage(world, rng, skeleton(line, VOICE, start, True))
    premium = rng.random(line.size) < fp.subscription_premium_share
    rec["other"] = np.where(premium, world.numbers(rng, "national_premium", line.size),
                            world.numbers(rng, "international", line.size))
    rec["duration"] = lognormal_int(rng, fp.subscription_call_s, line.size)
    rec["origin"], rec["subject"] = FRAUD, sid[who]
    return rec


def fraud_traffic(world: World, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All fraud records and the subject table (``subject, subject_type, typology, description``)."""
    subjects = _Subjects()
    parts = [typology(world, rng, subjects) for typology in (simbox, irsf, wangiri, subscription_fraud)]
    return pd.concat(parts, ignore_index=True), pd.DataFrame(subjects.rows, columns=list(SUBJECT_COLUMNS))
