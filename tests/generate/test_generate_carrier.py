"""A real carrier price list (``--destinations-csv``) as the destination catalogue."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from jobs.generate import cli

from .conftest import CARRIER_RATES, read_feed
from .oracle import reconcile


@pytest.fixture(scope="module")
def carrier_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CARRIER_RATES.is_file():
        pytest.skip(f"../shared carrier rates not present: {CARRIER_RATES}")
    out = tmp_path_factory.mktemp("carrier")
    parser = argparse.ArgumentParser()
    cli.configure_parser(parser)
    args = parser.parse_args(["--out", str(out), "--subscribers", "600", "--days", "4", "--seed", "5",
                              "--destinations-csv", str(CARRIER_RATES)])
    assert cli.main(args) == 0
    return out


def test_catalogue_comes_from_the_price_list(carrier_out: Path) -> None:
    d = read_feed(carrier_out, "destinations")
    raw = pd.read_csv(CARRIER_RATES, encoding="latin-1", dtype=str)
    abroad = raw[~raw["PREFIX"].str.startswith("49")]
    assert set(abroad["PREFIX"]) <= set(d["prefix"])
    assert {z for z in d["zone"] if z.startswith("intl_band_")} == {f"intl_band_{i}" for i in range(1, 6)}
    by_prefix = d.set_index("prefix")
    assert by_prefix.loc["88299", "risk"] == "high"  # AeroMobile aircraft, top band
    assert by_prefix.loc["3785", "risk"] == "high"  # San Marino Premium, cheap but named premium
    assert by_prefix.loc["93", "risk"] == "normal"
    assert by_prefix.loc["4915", "zone"] == "national_mobile"  # home plan stays built-in
    latin = raw.set_index("PREFIX").loc["5511", "DESTINATION"]  # Latin-1 read, UTF-8 written
    assert not latin.isascii() and by_prefix.loc["5511", "description"] == latin


def test_band_rate_is_the_voice_price(carrier_out: Path) -> None:
    t = read_feed(carrier_out, "tariffs")
    d = read_feed(carrier_out, "destinations")
    raw = pd.read_csv(CARRIER_RATES, encoding="latin-1", dtype=str)
    rate = dict(zip(raw["PREFIX"], raw["RATE"].str.replace(",", ".").map(Decimal), strict=True))
    voice = t[(t["service"] == "voice") & t["zone"].str.startswith("intl_band_")]
    for zone, rows in voice.groupby("zone"):
        band_max = max(rate[p] for p in d.loc[d["zone"] == zone, "prefix"])
        assert {Decimal(p) for p in rows["price_per_unit"]} - {band_max} <= {band_max * Decimal("1.5")}


def test_truth_still_matches_the_reference(carrier_out: Path) -> None:
    truth = pd.read_csv(carrier_out / "truth" / "leakage.csv", dtype=str, keep_default_na=False)
    found = {(f.control, f.record_id or "", f.event_id or "") for f in reconcile(carrier_out / "landing")}
    assert set(zip(truth["control"], truth["record_id"], truth["event_id"], strict=True)) == found
