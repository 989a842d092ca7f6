"""Fast text columns (Arrow strings) for numbers, ids and ISO-8601 timestamps.

Building millions of Python ``str`` objects is the slowest part of writing a feed, so text is
composed with Arrow compute kernels from small lookup tables (one entry per day and per second
of the day) and handed to pandas as ``string[pyarrow]`` columns without copying.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from jobs.generate.config import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

_CLOCK = pa.array(np.datetime_as_string(np.arange(SECONDS_PER_DAY).astype("datetime64[s]"), unit="s"))
CLOCK_TEXT = pc.utf8_slice_codeunits(_CLOCK, len("1970-01-01T"))  # "HH:MM:SS" per second of day


def series(arr: pa.Array) -> pd.Series:
    """A ``string[pyarrow]`` pandas Series over an Arrow string array (no copy)."""
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr.cast(pa.large_string())])))


def digits(numbers: np.ndarray, empty: int = 0) -> pa.Array:
    """Digit strings of integers; entries equal to ``empty`` become null."""
    numbers = np.asarray(numbers, dtype=np.int64)
    return pa.array(numbers, mask=numbers == empty).cast(pa.string())


def choose(names: list[str] | tuple[str, ...], codes: np.ndarray, missing: int = -1) -> pa.Array:
    """``names[code]`` per entry as Arrow strings; ``missing`` codes become null."""
    codes = np.asarray(codes, dtype=np.int64)
    taken = pa.array(np.where(codes == missing, 0, codes), mask=codes == missing)
    return pc.take(pa.array(list(names), pa.string()), taken)


def _day_text(day: np.ndarray, sep: str) -> pa.Array:
    """``YYYY-MM-DD`` (with ``-`` replaced by ``sep``) of day numbers since 1970-01-01."""
    uniq, inverse = np.unique(day, return_inverse=True)
    table = np.char.replace(np.datetime_as_string(uniq.astype("datetime64[D]"), unit="D"), "-", sep)
    return pc.take(pa.array(table), pa.array(inverse.astype(np.int64)))


def day_label(utc: np.ndarray, sep: str = "-") -> pa.Array:
    """UTC day of each instant, e.g. ``2026-10-01`` (``sep=""`` gives ``20261001``)."""
    return _day_text(np.asarray(utc, dtype=np.int64) // SECONDS_PER_DAY, sep)


def offset_text(offset_s: int) -> str:
    """``Z`` for UTC, otherwise ``+HH:MM`` / ``-HH:MM``."""
    if offset_s == 0:
        return "Z"
    sign = "+" if offset_s > 0 else "-"
    hours, rest = divmod(abs(offset_s), SECONDS_PER_HOUR)
    return f"{sign}{hours:02d}:{rest // SECONDS_PER_MINUTE:02d}"


def iso(utc: np.ndarray, offset_s: np.ndarray | None = None) -> pa.Array:
    """ISO-8601 text of instants at the given UTC offsets (default UTC, written with ``Z``)."""
    utc = np.asarray(utc, dtype=np.int64)
    offset = np.zeros(utc.size, dtype=np.int64) if offset_s is None else np.asarray(offset_s, dtype=np.int64)
    wall = utc + offset
    date = _day_text(wall // SECONDS_PER_DAY, "-")
    clock = pc.take(CLOCK_TEXT, pa.array(wall % SECONDS_PER_DAY))
    uniq, inverse = np.unique(offset, return_inverse=True)
    suffix = pc.take(pa.array([offset_text(int(o)) for o in uniq]), pa.array(inverse.astype(np.int64)))
    return pc.binary_join_element_wise(date, "T", clock, suffix, "")  # last argument is the separator


def ids(prefixes: list[str], code: np.ndarray, utc: np.ndarray, seq: np.ndarray, width: int) -> pa.Array:
    """Ids ``<prefix>-<YYYYMMDD>-<seq zero-padded to width>``; string order follows (day, seq)."""
    number = pc.utf8_lpad(pa.array(np.asarray(seq, dtype=np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(choose(prefixes, code), day_label(utc, ""), number, "-")


def money(amount_4: np.ndarray, places: np.ndarray, decimals: int) -> pa.Array:
    """Decimal text of non-negative amounts in 10**-decimals units, padded to ``places`` (>= decimals)."""
    whole, frac = np.divmod(np.asarray(amount_4, dtype=np.int64), 10**decimals)
    pad = np.asarray(places, dtype=np.int64) - decimals
    if (pad < 0).any():
        raise ValueError(f"money text needs at least {decimals} places")
    head = pc.binary_join_element_wise(pa.array(whole).cast(pa.string()),
                                       pc.utf8_lpad(pa.array(frac).cast(pa.string()), decimals, "0"), ".")
    tails = ["0" * p for p in range(int(pad.max(initial=0)) + 1)]
    return pc.binary_join_element_wise(head, choose(tails, pad), "")
