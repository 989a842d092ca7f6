"""Turn billing's internal events into feed 2 (billed_usage): clocks, ids, source ids, money text.

BIL-A writes the network record id as ``source_record_id`` and UTC times; BIL-B drops the source id,
runs its clock 1-4 s off and writes local times with their offset. Event ids are numbered per
billing system and UTC day in start order (an exact duplicate sorts right after its original).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from jobs.generate.clock import to_timestamps
from jobs.generate.config import (
    BILLING_SYSTEMS,
    MONEY_DECIMALS,
    SECONDS_PER_DAY,
    SERVICES,
    SOURCE_SYSTEM,
    GeneratorParams,
)
from jobs.generate.network import SEQ_DIGITS, day_sequence, id_prefix
from jobs.generate.subscribers import Lines
from jobs.generate.tariffs import DATA, VOICE
from jobs.generate.text import choose, day_label, digits, ids, money, series

BILLED_COLUMNS = [
    "event_id", "source_record_id", "msisdn", "service", "other_party", "start_time", "billed_duration_s",
    "billed_volume_bytes", "plan_id", "charge", "currency", "bill_cycle",
]
SYS_A, SYS_B = range(len(BILLING_SYSTEMS))


def skew(params: GeneratorParams, sys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Clock error per event: 0 for BIL-A, +/-(1..4) s for BIL-B."""
    lo, hi = params.billing.bil_b_skew_s
    size = rng.integers(lo, hi + 1, sys.size) * rng.choice(np.asarray([-1, 1]), sys.size)
    return np.where(sys == SYS_B, size, 0)


def _fake_source_ids(r: pd.DataFrame, ev: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Plausible record ids that do not exist: past the last sequence number of their system-day."""
    day = r["start"].to_numpy() // SECONDS_PER_DAY
    used = Counter(zip(r["service"].to_numpy().tolist(), day.tolist(), strict=True))
    names = [id_prefix(SOURCE_SYSTEM[s]) for s in SERVICES]
    seq = []
    for i in rows:
        key = (int(ev.at[i, "service"]), int(ev.at[i, "rstart"]) // SECONDS_PER_DAY)
        used[key] += 1
        seq.append(used[key])
    made = ids(names, ev["service"].to_numpy()[rows], ev["rstart"].to_numpy()[rows], np.asarray(seq), SEQ_DIGITS)
    return made.to_pylist()


def finalize(params: GeneratorParams, ev: pd.DataFrame, r: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add ``start`` (billing clock), ``event_id`` and ``source_record_id``; sort by system, day, id."""
    ev = ev.copy()
    sys = ev["sys"].to_numpy()
    ev["start"] = ev["rstart"].to_numpy() + skew(params, sys, rng)
    order, seq = day_sequence(sys, ev["start"].to_numpy(), (ev["start"].to_numpy(), ev["dup"].to_numpy(),
                                                             ev["rec"].to_numpy(), np.arange(len(ev))))
    ev["event_id"] = series(ids([id_prefix(s) for s in BILLING_SYSTEMS], sys, ev["start"].to_numpy(), seq,
                                SEQ_DIGITS))
    rec = ev["rec"].to_numpy()
    linked = (sys == SYS_A) & (rec >= 0)
    record_ids = pa.array(r["record_id"].array)
    source = pc.take(record_ids, pa.array(np.where(linked, rec, 0), mask=~linked)).to_numpy(zero_copy_only=False)
    ghosts = np.flatnonzero((sys == SYS_A) & (rec < 0))
    source[ghosts] = _fake_source_ids(r, ev, ghosts)
    ev["source_record_id"] = series(pa.array(source, pa.string()))
    return ev.iloc[order].reset_index(drop=True)


def billed_frame(ev: pd.DataFrame, lines: Lines, params: GeneratorParams) -> pd.DataFrame:
    """Feed 2 in contract v1 columns plus ``billing_system`` (names the file, not a contract column).

    Text columns are ``string[pyarrow]``; ``start_time`` is ``datetime64[ns, UTC]`` (BIL-B's offset
    is applied when written); ``charge`` is ``Decimal`` with 4 (BIL-A) or 6 (BIL-B) places.
    """
    bp = params.billing
    sys = ev["sys"].to_numpy()
    service = ev["service"].to_numpy()
    qty = ev["qty"].to_numpy()
    places = np.where(sys == SYS_B, bp.bil_b_decimals, bp.bil_a_decimals)
    charge = np.asarray([Decimal(t) for t in money(ev["charge"].to_numpy(), places, MONEY_DECIMALS).to_pylist()],
                        dtype=object)
    return pd.DataFrame({
        "event_id": ev["event_id"],
        "source_record_id": ev["source_record_id"],
        "msisdn": series(digits(lines.msisdn[ev["line"].to_numpy()])),
        "service": series(choose(SERVICES, service)),
        "other_party": series(digits(ev["other"].to_numpy())),
        "start_time": pd.to_datetime(to_timestamps(ev["start"].to_numpy())).tz_localize("UTC"),
        "billed_duration_s": np.where(service == VOICE, qty, 0).astype(np.int64),
        "billed_volume_bytes": np.where(service == DATA, qty, 0).astype(np.int64),
        "plan_id": series(choose([p.plan_id for p in params.catalog.plans], ev["plan"].to_numpy())),
        "charge": charge,
        "currency": series(choose([params.catalog.currency], np.zeros(len(ev), dtype=np.int64))),
        "bill_cycle": series(pc.utf8_slice_codeunits(day_label(ev["rstart"].to_numpy()), 0, len("YYYY-MM"))),
        "billing_system": series(choose(BILLING_SYSTEMS, sys)),
    })
