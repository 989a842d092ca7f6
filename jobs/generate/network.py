"""Assemble all network records, enforce the no-ambiguity rule, number them and build feed 1.

Ambiguity rule: two records of one msisdn + service + other party are always more than
``min_separation_s`` apart (the later one is dropped), so a billed event skewed by at most 4 s has
exactly one candidate within the 5 s matching window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from jobs.generate.clock import epoch_of, to_timestamps
from jobs.generate.config import DIRECTIONS, SECONDS_PER_DAY, SERVICES, SOURCE_SYSTEM, GeneratorParams
from jobs.generate.subscribers import Lines
from jobs.generate.text import choose, digits, ids, series
from jobs.generate.traffic import INACTIVE

SEQ_DIGITS = 8
NETWORK_COLUMNS = [
    "record_id", "source_system", "service", "direction", "msisdn", "imsi", "imei", "cell_id",
    "other_party", "start_time", "duration_s", "volume_bytes", "roaming_plmn",
]


def id_prefix(system: str) -> str:
    """Record/event id prefix of a system: its name without hyphens (``MSC-01`` -> ``MSC01``)."""
    return system.replace("-", "")


def day_sequence(
    group: np.ndarray, utc: np.ndarray, order_keys: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Order rows by (group, UTC day, *order_keys) and number them 1.. within (group, day).

    Returns the order and the sequence number of each row (aligned with the input rows).
    """
    day = utc // SECONDS_PER_DAY
    order = np.lexsort((*reversed(order_keys), day, group))
    g, d = group[order], day[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (d[1:] != d[:-1])
    run_start = np.maximum.accumulate(np.where(new, np.arange(order.size), 0))
    seq = np.empty(order.size, dtype=np.int64)
    seq[order] = np.arange(order.size) - run_start + 1
    return order, seq


def separate(records: pd.DataFrame, gap_s: int) -> pd.DataFrame:
    """Drop records closer than ``gap_s`` (inclusive) to the previous one with the same msisdn,
    service and other party. Only billable records can match billed events, but MT records are
    separated too, so that a matcher that forgot to exclude them still finds one candidate."""
    line, service = records["line"].to_numpy(), records["service"].to_numpy()
    other, start = records["other"].to_numpy(), records["start"].to_numpy()
    idx = np.arange(len(records))
    order = np.lexsort((idx, start, other, service, line))
    same = np.zeros(order.size, dtype=bool)
    same[1:] = ((line[order][1:] == line[order][:-1]) & (service[order][1:] == service[order][:-1])
                & (other[order][1:] == other[order][:-1]))
    close = np.zeros(order.size, dtype=bool)
    close[1:] = start[order][1:] - start[order][:-1] <= gap_s
    drop = np.zeros(len(records), dtype=bool)
    drop[order[same & close]] = True
    return records[~drop]


def assemble(params: GeneratorParams, lines: Lines, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate record parts, keep them inside the period (and line windows), separate, number.

    Adds ``record_id`` and ``seq`` and returns the records sorted by (service, start, seq).
    """
    tp = params.traffic
    records = pd.concat(parts, ignore_index=True)
    p_start = epoch_of(params.start)
    p_end = p_start + params.days * SECONDS_PER_DAY
    lo, hi = lines.window(p_start, p_end)
    line, start = records["line"].to_numpy(), records["start"].to_numpy()
    inside = (start >= p_start + tp.edge_margin_s) & (start < p_end - tp.edge_margin_s)
    windowed = (start >= lo[line]) & (start < hi[line])
    records = records[inside & (windowed | (records["origin"] == INACTIVE).to_numpy())]
    records = separate(records, tp.min_separation_s).reset_index(drop=True)
    service, start = records["service"].to_numpy(), records["start"].to_numpy()
    order, seq = day_sequence(service, start, (start, records["line"].to_numpy(), np.arange(len(records))))
    records["seq"] = seq
    names = [id_prefix(SOURCE_SYSTEM[s]) for s in SERVICES]
    records["record_id"] = series(ids(names, service, start, seq, SEQ_DIGITS))
    return records.iloc[order].reset_index(drop=True)


def network_frame(records: pd.DataFrame, lines: Lines, params: GeneratorParams) -> pd.DataFrame:
    """Feed 1 (network_usage) in contract v1 columns.

    Text columns are ``string[pyarrow]`` (null where empty); ``start_time`` is
    ``datetime64[ns, UTC]``; ``duration_s`` and ``volume_bytes`` are int64.
    """
    line = records["line"].to_numpy()
    service = records["service"].to_numpy()
    cell = records["cell"].to_numpy()
    cell_text = pc.binary_join_element_wise(params.lines.home_plmn, digits(cell), "")
    return pd.DataFrame({
        "record_id": records["record_id"],
        "source_system": series(choose([SOURCE_SYSTEM[s] for s in SERVICES], service)),
        "service": series(choose(SERVICES, service)),
        "direction": series(choose(DIRECTIONS, np.where(records["mo"].to_numpy(), 0, 1))),
        "msisdn": series(digits(lines.msisdn[line])),
        "imsi": series(digits(lines.imsi[line])),
        "imei": series(digits(lines.imei[line])),
        "cell_id": series(cell_text),
        "other_party": series(digits(records["other"].to_numpy())),
        "start_time": pd.to_datetime(to_timestamps(records["start"].to_numpy())).tz_localize("UTC"),
        "duration_s": records["duration"].to_numpy(dtype=np.int64),
        "volume_bytes": records["volume"].to_numpy(dtype=np.int64),
        "roaming_plmn": series(choose(params.lines.visited_plmns, records["plmn"].to_numpy())),
    })
