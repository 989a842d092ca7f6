"""Numbers: MSISDNs, IMSIs, IMEIs (with Luhn check digit) and other-party numbers from prefixes.

Numbers are kept as ``int64`` while generating (E.164 digits without ``+`` never exceed 15 digits)
and turned into text only when the output frames are built.
"""

from __future__ import annotations

import numpy as np

_MAX_DIGITS = 15  # E.164 and IMEI both fit 15 digits
POW10 = 10 ** np.arange(_MAX_DIGITS + 4, dtype=np.int64)
_TAC_DIGITS = 8
_SERIAL_DIGITS = 6
_DECIMAL = 10
_HANDSET_TAC_RANGE = (35_000_000, 36_000_000)  # TACs of GSMA-allocated handsets start with 35


def digit_count(x: np.ndarray) -> np.ndarray:
    """Number of decimal digits of each positive integer."""
    return np.searchsorted(POW10, np.asarray(x, dtype=np.int64), side="right")


def unique_draw(rng: np.random.Generator, low: int, high: int, size: int, exclude: np.ndarray) -> np.ndarray:
    """``size`` distinct integers in ``[low, high)`` not in ``exclude`` (order random)."""
    exclude = np.unique(np.asarray(exclude, dtype=np.int64))
    out = np.empty(0, dtype=np.int64)
    while out.size < size:
        draw = rng.integers(low, high, size=2 * (size - out.size) + 16, dtype=np.int64)
        draw = draw[~np.isin(draw, exclude) & ~np.isin(draw, out)]
        _, first = np.unique(draw, return_index=True)
        out = np.concatenate([out, draw[np.sort(first)]])
    return out[:size]


def numbers_in_prefixes(
    rng: np.random.Generator,
    prefixes: np.ndarray,
    length: int,
    min_suffix: int,
) -> np.ndarray:
    """One random number per entry of ``prefixes`` (digit strings), ``length`` digits or longer."""
    pre = np.asarray([int(p) for p in prefixes], dtype=np.int64)
    plen = np.asarray([len(p) for p in prefixes], dtype=np.int64)
    total = np.minimum(np.maximum(plen + min_suffix, length), _MAX_DIGITS)
    suffix_pow = POW10[total - plen]
    suffix = (rng.random(pre.size) * suffix_pow).astype(np.int64)
    return pre * suffix_pow + suffix


def luhn_check_digit(body: np.ndarray, digits: int) -> np.ndarray:
    """Luhn check digit of each ``digits``-long integer in ``body`` (IMEI: 14 digits)."""
    body = np.asarray(body, dtype=np.int64)
    total = np.zeros(body.shape, dtype=np.int64)
    rest = body.copy()
    for position in range(digits):  # position 0 = rightmost digit of the body, doubled
        d = rest % _DECIMAL
        rest //= _DECIMAL
        if position % 2 == 0:
            d = d * 2
            d = np.where(d > _DECIMAL - 1, d - (_DECIMAL - 1), d)
        total += d
    return (_DECIMAL - total % _DECIMAL) % _DECIMAL


def imeis(tacs: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """15-digit IMEIs from 8-digit TACs and 6-digit serial numbers, with Luhn check digit."""
    body = np.asarray(tacs, dtype=np.int64) * POW10[_SERIAL_DIGITS] + np.asarray(serials, dtype=np.int64)
    return body * _DECIMAL + luhn_check_digit(body, _TAC_DIGITS + _SERIAL_DIGITS)


def random_tacs(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` distinct plausible 8-digit handset TACs."""
    low, high = _HANDSET_TAC_RANGE
    return unique_draw(rng, low, high, size, np.zeros(0, dtype=np.int64))


def random_serials(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random 6-digit serial numbers for IMEIs."""
    return rng.integers(0, POW10[_SERIAL_DIGITS], size=size, dtype=np.int64)
