"""Time helpers: epoch seconds, the EU daylight-saving rule and diurnal sampling.

Internally every instant is an ``int64`` count of seconds since 1970-01-01T00:00:00Z; text is made
only when frames are built or written (see ``text.py``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from jobs.generate.config import HOURS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR, LocalZone

_DST_SWITCH_HOUR_UTC = 1  # EU rule: clocks change at 01:00 UTC on the last Sunday
_MARCH, _OCTOBER, _LAST_DAY = 3, 10, 31
_SUNDAY = 6


def epoch_of(day: date) -> int:
    """Seconds since the epoch of ``day`` 00:00 UTC."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, _LAST_DAY)
    return last - timedelta(days=(last.weekday() - _SUNDAY) % 7)


def eu_offset_s(utc: np.ndarray, zone: LocalZone) -> np.ndarray:
    """UTC offset in seconds of ``zone``'s wall-clock time at each instant in ``utc`` (EU rule)."""
    utc = np.asarray(utc, dtype=np.int64)
    if utc.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = datetime.fromtimestamp(int(utc.min()), UTC).year - 1
    last = datetime.fromtimestamp(int(utc.max()), UTC).year + 1
    edges = []
    for year in range(first, last + 1):
        for month in (_MARCH, _OCTOBER):
            edges.append(epoch_of(_last_sunday(year, month)) + _DST_SWITCH_HOUR_UTC * SECONDS_PER_HOUR)
    # an odd number of edges passed means summer time
    passed = np.searchsorted(np.asarray(edges, dtype=np.int64), utc, side="right")
    return np.where(passed % 2 == 1, zone.summer_offset_s, zone.standard_offset_s).astype(np.int64)


def local_to_utc(local: np.ndarray, zone: LocalZone) -> np.ndarray:
    """Wall-clock seconds (as if UTC) to UTC instants; in the autumn overlap the summer reading wins."""
    local = np.asarray(local, dtype=np.int64)
    return local - eu_offset_s(local - zone.summer_offset_s, zone)


def local_hour(utc: np.ndarray, zone: LocalZone) -> np.ndarray:
    """Local wall-clock hour (0..23) of each UTC instant."""
    local = np.asarray(utc, dtype=np.int64) + eu_offset_s(utc, zone)
    return (local % SECONDS_PER_DAY) // SECONDS_PER_HOUR


def sample_local_times(rng: np.random.Generator, day_index: np.ndarray, weights: tuple[float, ...],
                       period_start: int, zone: LocalZone) -> np.ndarray:
    """UTC instants on local day ``period_start + day_index`` with hours drawn from ``weights``."""
    p = np.asarray(weights, dtype=float)
    hours = rng.choice(HOURS_PER_DAY, size=day_index.size, p=p / p.sum())
    local = (
        period_start
        + day_index.astype(np.int64) * SECONDS_PER_DAY
        + hours.astype(np.int64) * SECONDS_PER_HOUR
        + rng.integers(0, SECONDS_PER_HOUR, size=day_index.size)
    )
    return local_to_utc(local, zone)


def month_index(utc: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of each instant (an integer bill-cycle key)."""
    return np.asarray(utc, dtype=np.int64).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def to_timestamps(utc: np.ndarray) -> np.ndarray:
    """``datetime64[ns]`` values (UTC) of epoch seconds, for typed pandas columns."""
    return np.asarray(utc, dtype=np.int64).astype("datetime64[s]").astype("datetime64[ns]")
