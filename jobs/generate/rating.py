"""The rating rules that define the ground truth's expected charges, in exact integer arithmetic.

- Billable: MO voice and sms, and all data. Roaming records rate in zone ``roaming``; otherwise
  voice/sms take the longest-prefix zone of the other party and data zone ``home``.
- Billed quantity: usage rounded up to the tariff increment (voice seconds, sms 1, data bytes).
- Allowance: the first ``included_units`` per msisdn, UTC bill cycle, plan, service and zone are
  free, consumed in (start_time, source_system, record_id) order over every billable record of a
  known line; a record crossing the boundary pays only the part beyond.
- Expected charge: price x chargeable units, rounded half-up to 4 decimals, with the tariff row in
  force at start_time for the line's snapshot plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jobs.generate.catalog import Catalog, PrefixMatcher
from jobs.generate.clock import month_index
from jobs.generate.config import HOME_DATA_ZONE, ROAMING_ZONE
from jobs.generate.subscribers import Lines
from jobs.generate.tariffs import DATA, SMS, VOICE, TariffTable, charge_4

NOT_RATED = -1


def rating_zone(service: np.ndarray, other: np.ndarray, roaming: np.ndarray, catalog: Catalog,
                matcher: PrefixMatcher) -> np.ndarray:
    """Zone code per usage: roaming, home (data) or the longest-prefix zone of the other party."""
    zone = np.full(service.size, catalog.zone_code(HOME_DATA_ZONE), dtype=np.int64)
    talk = service != DATA
    zone[talk] = matcher.zones(other[talk])
    zone[roaming] = catalog.zone_code(ROAMING_ZONE)
    return zone


def round_up(raw: np.ndarray, increment: np.ndarray) -> np.ndarray:
    """Usage rounded up to a whole number of increments."""
    return -(-raw // increment) * increment


def usage_base(service: np.ndarray, duration: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """Raw usage in base units: seconds (voice), 1 message (sms), bytes (data)."""
    return np.where(service == VOICE, duration, np.where(service == SMS, 1, volume))


def allowance_free(group_keys: tuple[np.ndarray, ...], order_keys: tuple[np.ndarray, ...],
                   quantity: np.ndarray, included: np.ndarray) -> np.ndarray:
    """Free part of each quantity when ``included`` is consumed per group in the given order.

    ``group_keys`` and ``order_keys`` are most significant first.
    """
    order = np.lexsort((*reversed(order_keys), *reversed(group_keys)))
    q = quantity[order]
    new = np.zeros(order.size, dtype=bool)
    new[:1] = True
    for key in group_keys:
        k = key[order]
        new[1:] |= k[1:] != k[:-1]
    total = np.cumsum(q)
    before_group = np.maximum.accumulate(np.where(new, total - q, 0))
    used_before = total - q - before_group
    free = np.clip(included[order] - used_before, 0, q)
    out = np.empty(order.size, dtype=np.int64)
    out[order] = free
    return out


def rate(records: pd.DataFrame, lines: Lines, catalog: Catalog, table: TariffTable,
         matcher: PrefixMatcher) -> pd.DataFrame:
    """Add rating columns to numbered records (``table``: the tariffs as published).

    Needs: line, service, mo, other, start, duration, volume, plmn, seq.
    Adds: billable, known, zone, trow (tariff row), rounded, free, expected (1/10,000 EUR;
    ``NOT_RATED`` where not billable or the line is unknown), cycle (months since 1970-01).
    """
    out = records.copy()
    service = out["service"].to_numpy()
    line = out["line"].to_numpy()
    start = out["start"].to_numpy()
    billable = out["mo"].to_numpy() | (service == DATA)
    known = line < lines.n_known
    zone = rating_zone(service, out["other"].to_numpy(), out["plmn"].to_numpy() >= 0, catalog, matcher)
    if (billable & (zone < 0)).any():
        raise ValueError("a billable record matches no destination prefix")
    rated = np.flatnonzero(billable & known)
    trow = np.full(len(out), NOT_RATED, dtype=np.int64)
    trow[rated] = table.lookup(lines.plan[line[rated]], service[rated], zone[rated], start[rated])
    raw = usage_base(service, out["duration"].to_numpy(), out["volume"].to_numpy())
    rounded = np.zeros(len(out), dtype=np.int64)
    rounded[rated] = round_up(raw[rated], table.increment_base[trow[rated]])
    cycle = month_index(start)
    free = np.zeros(len(out), dtype=np.int64)
    free[rated] = allowance_free(
        (line[rated], cycle[rated], service[rated], zone[rated]),
        (start[rated], out["seq"].to_numpy()[rated]),
        rounded[rated],
        table.included_base[trow[rated]],
    )
    expected = np.full(len(out), NOT_RATED, dtype=np.int64)
    expected[rated] = charge_4(rounded[rated] - free[rated], table.price_4[trow[rated]], service[rated])
    out["billable"], out["known"], out["zone"], out["trow"] = billable, known, zone, trow
    out["rounded"], out["free"], out["expected"], out["cycle"] = rounded, free, expected, cycle
    return out
