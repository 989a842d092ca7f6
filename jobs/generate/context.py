"""The shared, read-only state every generation stage works from.

``World`` bundles the parameters with what earlier stages built once (catalogue, prefix matcher,
tariff tables, lines and their contact books), so stage functions take ``(world, rng, ...)``
instead of long argument lists. It holds no mutable state and performs no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jobs.generate.catalog import Catalog, PrefixMatcher
from jobs.generate.clock import epoch_of
from jobs.generate.config import SECONDS_PER_DAY, GeneratorParams, Spread
from jobs.generate.numbering import numbers_in_prefixes
from jobs.generate.subscribers import Lines
from jobs.generate.tariffs import TariffTable


@dataclass(frozen=True)
class World:
    """Parameters plus the catalogue, tariff tables, lines and contact books built from them."""

    params: GeneratorParams
    catalog: Catalog
    matcher: PrefixMatcher
    tariffs: pd.DataFrame  # feed 5 as published
    true_table: TariffTable  # the tariffs as published, indexed
    billing_table: TariffTable  # the tariffs as billing prices them (never saw the price change)
    lines: Lines
    book: np.ndarray  # (lines, contacts) numbers each line talks to, most frequent first

    @property
    def start(self) -> int:
        """First instant of the period (epoch seconds)."""
        return epoch_of(self.params.start)

    @property
    def end(self) -> int:
        """First instant after the period (epoch seconds)."""
        return self.start + self.params.days * SECONDS_PER_DAY

    def numbers(self, rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
        """``n`` random numbers of one kind (``national``, ``international``, ``high_risk`` ...)."""
        prefixes = self.catalog.prefixes_of(kind, self.params.catalog.home_country_code)
        tp = self.params.traffic
        picks = prefixes[rng.integers(0, prefixes.size, n)]
        return numbers_in_prefixes(rng, picks, tp.number_length, tp.number_min_suffix)


def lognormal_int(rng: np.random.Generator, spread: Spread, n: int) -> np.ndarray:
    """``n`` integer draws from ``spread`` (rounded up, clipped to its bounds)."""
    draws = np.ceil(rng.lognormal(np.log(spread.median), spread.sigma, n))
    return np.clip(draws, spread.low, spread.high).astype(np.int64)
