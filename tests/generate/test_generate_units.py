"""Unit tests of the generator's building blocks: numbers, clocks, prefixes, rating arithmetic."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from jobs.generate import cli
from jobs.generate.catalog import PrefixMatcher, band_of, build_catalog
from jobs.generate.clock import epoch_of, eu_offset_s, local_to_utc
from jobs.generate.config import CatalogParams, LocalZone
from jobs.generate.numbering import digit_count, imeis, luhn_check_digit
from jobs.generate.rating import allowance_free, round_up
from jobs.generate.tariffs import DATA, SMS, VOICE, charge_4, price4
from jobs.generate.text import iso, money


def test_luhn_matches_a_known_imei() -> None:
    assert luhn_check_digit(np.asarray([49015420323751]), 14).tolist() == [8]
    assert imeis(np.asarray([35332011]), np.asarray([123456])) % 10 == luhn_check_digit(
        np.asarray([35332011123456]), 14)


def test_digit_count() -> None:
    assert digit_count(np.asarray([1, 9, 10, 4915112345678, 999999999999999])).tolist() == [1, 1, 2, 13, 15]


def test_eu_offset_agrees_with_zoneinfo() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    rng = np.random.default_rng(0)
    utc = rng.integers(epoch_of(date(2025, 1, 1)), epoch_of(date(2028, 1, 1)), 2000)
    utc = np.concatenate([utc, [epoch_of(date(2026, 10, 25)) + 3599, epoch_of(date(2026, 10, 25)) + 3600]])
    ours = eu_offset_s(utc, LocalZone())
    theirs = [int(datetime.fromtimestamp(int(t), UTC).astimezone(berlin).utcoffset().total_seconds()) for t in utc]
    assert ours.tolist() == theirs


def test_local_to_utc_round_trips_outside_the_autumn_overlap() -> None:
    utc = np.arange(epoch_of(date(2026, 10, 24)), epoch_of(date(2026, 10, 27)), 600)
    zone = LocalZone()
    local = utc + eu_offset_s(utc, zone)
    back = local_to_utc(local, zone)
    overlap = (utc >= epoch_of(date(2026, 10, 25))) & (utc < epoch_of(date(2026, 10, 25)) + 2 * 3600)
    assert (back[~overlap] == utc[~overlap]).all()


def test_iso_text_with_offsets() -> None:
    t = epoch_of(date(2026, 10, 1)) + 8 * 3600 + 15 * 60
    assert iso(np.asarray([t])).to_pylist() == ["2026-10-01T08:15:00Z"]
    assert iso(np.asarray([t]), np.asarray([7200])).to_pylist() == ["2026-10-01T10:15:00+02:00"]
    assert datetime.fromisoformat("2026-10-01T10:15:00+02:00").timestamp() == t


def test_money_text() -> None:
    text = money(np.asarray([915, 0, 123456]), np.asarray([4, 6, 4]), 4).to_pylist()
    assert text == ["0.0915", "0.000000", "12.3456"]
    with pytest.raises(ValueError, match="at least 4 places"):
        money(np.asarray([1]), np.asarray([2]), 4)


def test_longest_prefix_wins() -> None:
    catalog = build_catalog(CatalogParams(), None)
    matcher = PrefixMatcher(catalog)
    numbers = np.asarray([442071234567, 447700900123, 447012345678, 4915112345678, 493012345678, 999123])
    zones = [catalog.zones[z] if z >= 0 else None for z in matcher.zones(numbers)]
    assert zones == ["intl_zone1", "intl_zone1_mobile", "intl_high_risk", "national_mobile", "national", None]


def test_round_up_to_increment() -> None:
    assert round_up(np.asarray([1, 60, 61, 119, 0]), np.asarray([60, 60, 60, 30, 60])).tolist() == [60, 60, 120, 120, 0]


def test_charge_rounds_half_up_exactly() -> None:
    # 30 s at 0.0001/min = 0.00005 -> 0.0001 (half-up; banker's rounding would give 0.0000)
    assert charge_4(np.asarray([30]), np.asarray([1]), np.asarray([VOICE])).tolist() == [1]
    # 7 s at 0.0121/min = 0.0014116.. -> 0.0014; 2.5 MB at 0.24/MB = 0.6; one sms at 0.09
    got = charge_4(np.asarray([7, 2_500_000, 1]), np.asarray([121, 2400, 900]), np.asarray([VOICE, DATA, SMS]))
    assert got.tolist() == [14, 6000, 900]
    with pytest.raises(ValueError, match="more than 4 decimals"):
        price4(Decimal("0.12345"))


def test_allowance_is_consumed_in_order_and_split_at_the_boundary() -> None:
    # one group, allowance 100: 60 free, then 40 of 50 free (crossing), then nothing
    group = (np.asarray([1, 1, 1, 2]),)
    order = (np.asarray([10, 20, 30, 5]),)
    free = allowance_free(group, order, np.asarray([60, 50, 30, 500]), np.asarray([100, 100, 100, 100]))
    assert free.tolist() == [60, 40, 0, 100]
    shuffled = allowance_free((np.asarray([1, 1, 1]),), (np.asarray([30, 10, 20]),), np.asarray([30, 60, 50]),
                              np.asarray([100, 100, 100]))
    assert shuffled.tolist() == [0, 60, 40]


def test_rate_bands() -> None:
    bounds = CatalogParams().band_upper_bounds
    got = [band_of(Decimal(r), bounds) for r in ("0.0121", "0.029", "0.056", "0.142", "0.2236", "1.9989")]
    assert got == [1, 1, 2, 3, 4, 5]


def test_cli_defaults_and_summary(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    parser = argparse.ArgumentParser()
    cli.configure_parser(parser)
    defaults = parser.parse_args(["--out", str(tmp_path)])
    assert (defaults.subscribers, defaults.days, defaults.seed, defaults.start, defaults.format) == (
        2000, 7, 42, date(2026, 10, 1), "csv")
    with pytest.raises(SystemExit):
        parser.parse_args([])  # --out is required
    args = parser.parse_args(["--out", str(tmp_path), "--subscribers", "200", "--days", "2", "--format", "csv.gz"])
    with caplog.at_level(logging.INFO, logger="leakline.generate"):
        assert cli.main(args) == 0
    assert (tmp_path / "truth" / "summary.json").is_file()
    assert any(p.name == "MSC-01.csv.gz" for p in (tmp_path / "landing").rglob("*"))
    text = caplog.text
    assert "network_usage" in text and "unbilled_usage" in text and "simbox" in text
