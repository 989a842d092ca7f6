"""Shared fixtures: one small generated data set, in memory and written as CSV."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # allow plain `pytest` before the project declares its pythonpath
    sys.path.insert(0, str(ROOT))

from jobs.generate import GeneratorParams, generate  # noqa: E402
from jobs.generate.generator import GeneratedData  # noqa: E402
from jobs.generate.writer import write  # noqa: E402

CARRIER_RATES = Path("/work/shared/data/carrier-rates-2012/international_call_rates__2012-09-06.csv")


def read_feed(root: Path, feed: str) -> pd.DataFrame:
    """Every CSV of one landing feed as text (empty fields stay ""), with its file's day and name."""
    frames = []
    for path in sorted((root / "landing" / feed).rglob("*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        frames.append(df.assign(_day=path.parent.name, _file=path.stem))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def small_params() -> GeneratorParams:
    return GeneratorParams(subscribers=1000, days=7, seed=42)


@pytest.fixture(scope="session")
def small_data(small_params: GeneratorParams) -> GeneratedData:
    return generate(small_params)


@pytest.fixture(scope="session")
def small_out(small_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    write(small_data, out, "csv")
    return out


@pytest.fixture(scope="session")
def network(small_out: Path) -> pd.DataFrame:
    return read_feed(small_out, "network_usage")


@pytest.fixture(scope="session")
def billed(small_out: Path) -> pd.DataFrame:
    return read_feed(small_out, "billed_usage")


@pytest.fixture(scope="session")
def subscribers(small_out: Path) -> pd.DataFrame:
    return read_feed(small_out, "subscribers")


@pytest.fixture(scope="session")
def tariffs(small_out: Path) -> pd.DataFrame:
    return read_feed(small_out, "tariffs")


@pytest.fixture(scope="session")
def destinations(small_out: Path) -> pd.DataFrame:
    return read_feed(small_out, "destinations")


@pytest.fixture(scope="session")
def leakage(small_out: Path) -> pd.DataFrame:
    return pd.read_csv(small_out / "truth" / "leakage.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def fraud(small_out: Path) -> pd.DataFrame:
    return pd.read_csv(small_out / "truth" / "fraud.csv", dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Feeds:
    """Every written table of the small data set, as text."""

    network: pd.DataFrame
    billed: pd.DataFrame
    subscribers: pd.DataFrame
    tariffs: pd.DataFrame
    destinations: pd.DataFrame
    leakage: pd.DataFrame
    fraud: pd.DataFrame


@pytest.fixture(scope="session")
def feeds(network: pd.DataFrame, billed: pd.DataFrame, subscribers: pd.DataFrame, tariffs: pd.DataFrame,  # noqa: PLR0917
          destinations: pd.DataFrame, leakage: pd.DataFrame, fraud: pd.DataFrame) -> Feeds:
    return Feeds(network, billed, subscribers, tariffs, destinations, leakage, fraud)
