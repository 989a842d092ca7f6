"""The written landing files conform to input data contract v1."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jobs.generate import GeneratorParams
from jobs.generate.generator import GeneratedData
from jobs.generate.numbering import luhn_check_digit
from jobs.generate.writer import write

NETWORK = ["record_id", "source_system", "service", "direction", "msisdn", "imsi", "imei", "cell_id",
           "other_party", "start_time", "duration_s", "volume_bytes", "roaming_plmn"]
BILLED = ["event_id", "source_record_id", "msisdn", "service", "other_party", "start_time", "billed_duration_s",
          "billed_volume_bytes", "plan_id", "charge", "currency", "bill_cycle"]
SUBSCRIBERS = ["msisdn", "imsi", "account_id", "customer_type", "payment_type", "plan_id", "status",
               "activated_at", "terminated_at"]
DESTINATIONS = ["prefix", "zone", "description", "risk"]
TARIFFS = ["plan_id", "service", "zone", "price_per_unit", "unit", "increment", "included_units",
           "effective_from", "effective_to"]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
E164 = re.compile(r"^[1-9]\d{6,14}$")
MONEY = re.compile(r"^\d+\.\d{1,6}$")
INT = re.compile(r"^\d+$")


def header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")


def utc_day(text: pd.Series) -> pd.Series:
    return text.map(lambda t: datetime.fromisoformat(t).astimezone(UTC).date().isoformat())


@pytest.mark.parametrize(("feed", "columns"), [
    ("network_usage", NETWORK), ("billed_usage", BILLED), ("subscribers", SUBSCRIBERS),
    ("destinations", DESTINATIONS), ("tariffs", TARIFFS)])
def test_every_file_has_the_contract_header(small_out: Path, feed: str, columns: list[str]) -> None:
    paths = sorted((small_out / "landing" / feed).rglob("*.csv"))
    assert paths
    for path in paths:
        assert header(path) == columns, path


def test_layout_names_files_by_day_and_system(small_out: Path, small_params: GeneratorParams) -> None:
    landing = small_out / "landing"
    days = {(small_params.start + pd.Timedelta(days=d)).isoformat() for d in range(small_params.days)}
    assert {p.name for p in (landing / "network_usage").iterdir()} == days
    assert {p.name for p in (landing / "network_usage").rglob("*.csv")} == {"MSC-01.csv", "SMSC-01.csv", "PGW-01.csv"}
    assert {p.name for p in (landing / "billed_usage").rglob("*.csv")} == {"BIL-A.csv", "BIL-B.csv"}
    assert (landing / "subscribers" / f"subscribers_{small_params.start}.csv").is_file()
    assert (small_out / "truth" / "leakage.csv").is_file() and not (landing / "truth").exists()


def test_network_usage_values(network: pd.DataFrame) -> None:
    assert set(network["service"]) == {"voice", "sms", "data"}
    system = {"voice": "MSC-01", "sms": "SMSC-01", "data": "PGW-01"}
    assert (network["source_system"] == network["service"].map(system)).all()
    assert (network["_file"] == network["source_system"]).all()
    assert set(network["direction"]) == {"MO", "MT"}
    data = network["service"] == "data"
    assert (network.loc[data, "direction"] == "MO").all() and (network.loc[data, "other_party"] == "").all()
    assert network.loc[~data, "other_party"].str.match(E164).all()
    assert network["msisdn"].str.match(E164).all()
    assert network["imsi"].str.fullmatch(r"\d{15}").all() and network["imei"].str.fullmatch(r"\d{15}").all()
    imei = network["imei"].drop_duplicates().astype(np.int64).to_numpy()
    assert (luhn_check_digit(imei // 10, 14) == imei % 10).all()
    for col in ("duration_s", "volume_bytes"):
        assert network[col].str.match(INT).all()
    sms = network["service"] == "sms"
    assert (network.loc[sms, ["duration_s", "volume_bytes"]] == "0").all().all()
    assert (network.loc[network["service"] == "voice", "volume_bytes"] == "0").all()
    roaming = network["roaming_plmn"] != ""
    assert network.loc[roaming, "roaming_plmn"].str.fullmatch(r"\d{5,6}").all()
    assert 0.01 < roaming.mean() < 0.06  # ~3 % of records abroad
    assert network["start_time"].str.match(ISO).all()
    assert (network["start_time"].str[:10] == network["_day"]).all()
    assert not network.duplicated(["source_system", "record_id"]).any()
    assert network["record_id"].is_unique  # ids even carry their system


def test_billed_usage_values(billed: pd.DataFrame, small_data: GeneratedData) -> None:
    assert billed["event_id"].is_unique
    assert billed["start_time"].str.match(ISO).all()
    is_a = billed["_file"] == "BIL-A"
    assert billed.loc[is_a, "start_time"].str.endswith("Z").all()
    assert billed.loc[is_a, "source_record_id"].ne("").all()
    assert billed.loc[~is_a, "start_time"].str[-6:].isin(["+01:00", "+02:00"]).all()
    assert billed.loc[~is_a, "source_record_id"].eq("").all()
    assert 0.6 < is_a.mean() < 0.8  # BIL-A carries ~70 % of events
    assert (utc_day(billed["start_time"]) == billed["_day"]).all()  # file of its UTC day
    written = dict(zip(billed["event_id"], billed["start_time"].map(lambda t: datetime.fromisoformat(t).timestamp()),
                       strict=True))
    made = small_data.billed_usage
    assert written == dict(zip(made["event_id"].astype(str), made["start_time"].map(lambda t: t.timestamp()),
                               strict=True))  # local offsets keep the same instant
    assert billed["charge"].str.match(MONEY).all() and set(billed["currency"]) == {"EUR"}
    assert billed["bill_cycle"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert (billed.loc[billed["service"] != "voice", "billed_duration_s"] == "0").all()
    assert (billed.loc[billed["service"] != "data", "billed_volume_bytes"] == "0").all()


def test_subscribers_values(subscribers: pd.DataFrame, small_params: GeneratorParams) -> None:
    s = subscribers
    assert len(s) == small_params.subscribers and s["msisdn"].is_unique and s["imsi"].is_unique
    assert s["msisdn"].str.match(E164).all() and s["msisdn"].str.startswith("49").all()
    assert set(s["customer_type"]) == {"consumer", "enterprise"}
    assert 0.8 < (s["customer_type"] == "consumer").mean() < 0.9
    assert set(s["payment_type"]) == {"prepaid", "postpaid"}
    assert set(s["status"]) == {"active", "suspended", "terminated"}
    assert s["activated_at"].str.match(ISO).all()
    terminated = s["status"] == "terminated"
    assert s.loc[terminated, "terminated_at"].str.match(ISO).all() and (s.loc[~terminated, "terminated_at"] == "").all()
    assert (s.loc[terminated, "terminated_at"] > s.loc[terminated, "activated_at"]).all()
    assert 4 <= s["plan_id"].nunique() <= 6


def test_destinations_and_tariffs(destinations: pd.DataFrame, tariffs: pd.DataFrame) -> None:
    d, t = destinations, tariffs
    assert d["prefix"].str.fullmatch(r"[1-9]\d*").all() and d["prefix"].is_unique
    assert set(d["risk"]) == {"normal", "high"}
    assert 60 <= len(d) <= 150
    prefixes = set(d["prefix"])
    assert any(p[:-1] in prefixes for p in prefixes)  # nested, so longest-prefix matters
    zones = set(d["zone"])
    assert set(t["unit"]) == {"minute", "message", "megabyte"}
    assert t["price_per_unit"].str.match(MONEY).all()
    assert t["increment"].str.match(INT).all() and t["included_units"].str.match(INT).all()
    for plan in set(t["plan_id"]):
        rows = t[t["plan_id"] == plan]
        for service in ("voice", "sms"):
            assert set(rows.loc[rows["service"] == service, "zone"]) == zones | {"roaming"}
        assert set(rows.loc[rows["service"] == "data", "zone"]) == {"home", "roaming"}
    changed = t[t["effective_to"] != ""]
    assert len(changed) == 1  # exactly one mid-period price change
    old = changed.iloc[0]
    new = t[(t["plan_id"] == old["plan_id"]) & (t["service"] == old["service"]) & (t["zone"] == old["zone"])
            & (t["effective_from"] == old["effective_to"])]
    assert len(new) == 1 and new.iloc[0]["price_per_unit"] != old["price_per_unit"]


def test_only_known_or_planted_unknown_msisdns_use_the_network(network: pd.DataFrame, subscribers: pd.DataFrame,
                                                               leakage: pd.DataFrame) -> None:
    strangers = set(network["msisdn"]) - set(subscribers["msisdn"])
    planted = set(leakage.loc[leakage["cause"] == "unknown_msisdn_usage", "msisdn"])
    assert strangers and strangers == planted


def test_rejects_unknown_format(small_data: GeneratedData, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        write(small_data, tmp_path, "xlsx")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"subscribers": 10}, "subscribers must be >= 200"),
    ({"days": 0}, "days must be >= 1"),
])
def test_rejects_impossible_params(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GeneratorParams(**kwargs)
