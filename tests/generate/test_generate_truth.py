"""The ground truth is consistent with the landing files and with the rating and control rules."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from jobs.generate.config import CONTROLS

from .conftest import Feeds
from .oracle import reconcile

FOUR = Decimal("0.0001")
UNIT_BASE = {"voice": 60, "sms": 1, "data": 1_000_000}


def dec(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def zone_of(number: str, destinations: pd.DataFrame) -> str:
    zones = dict(zip(destinations["prefix"], destinations["zone"], strict=True))
    return next(zones[number[:n]] for n in range(len(number), 0, -1) if number[:n] in zones)


def tariff(tariffs: pd.DataFrame, plan: str, service: str, zone: str, day: date) -> pd.Series:
    rows = tariffs[(tariffs["plan_id"] == plan) & (tariffs["service"] == service) & (tariffs["zone"] == zone)]
    rows = rows[(rows["effective_from"] <= day.isoformat())
                & ((rows["effective_to"] == "") | (rows["effective_to"] > day.isoformat()))]
    assert len(rows) == 1
    return rows.iloc[0]


def charge(price: str, base_units: int, service: str) -> Decimal:
    return (Decimal(price) * base_units / UNIT_BASE[service]).quantize(FOUR, rounding=ROUND_HALF_UP)


def test_truth_equals_an_independent_reconciliation(small_out: Path, leakage: pd.DataFrame) -> None:
    """Precision and recall 1.000 per control, money to the cent, against a plain reference."""
    found = {(f.control, f.record_id or "", f.event_id or ""): f for f in reconcile(small_out / "landing")}
    truth = {(r.control, r.record_id, r.event_id): r for r in leakage.itertuples()}
    for control in CONTROLS:
        mine = {k for k in truth if k[0] == control}
        ref = {k for k in found if k[0] == control}
        assert mine == ref, (control, sorted(mine - ref)[:5], sorted(ref - mine)[:5])
    for key, row in truth.items():
        f = found[key]
        assert (dec(row.expected_charge), dec(row.billed_charge), dec(row.amount_at_risk)) == (
            f.expected, f.billed, f.amount), key


def test_every_control_and_cause_is_planted_at_small_scale(leakage: pd.DataFrame) -> None:
    counts = leakage["control"].value_counts()
    assert all(counts.get(c, 0) > 0 for c in CONTROLS), counts
    causes = set(leakage["cause"])
    assert {"dropped_event", "feed_gap", "tariff_not_updated", "zone_misrated", "usage_truncated",
            "usage_not_rounded", "wrong_plan", "duplicate_with_source_id", "duplicate_without_source_id",
            "phantom_event", "suspended_billed", "suspended_unbilled", "terminated_line_usage",
            "unknown_msisdn_usage"} <= causes


def test_truth_ids_exist_in_landing(leakage: pd.DataFrame, network: pd.DataFrame, billed: pd.DataFrame) -> None:
    records, events = set(network["record_id"]), set(billed["event_id"])
    with_record = leakage["record_id"] != ""
    assert set(leakage.loc[with_record, "record_id"]) <= records
    assert set(leakage.loc[leakage["event_id"] != "", "event_id"]) <= events
    unbilled = set(leakage.loc[leakage["control"] == "unbilled_usage", "record_id"])
    assert not unbilled & set(billed["source_record_id"])  # deliberately without a billed event
    phantom = billed[billed["event_id"].isin(leakage.loc[leakage["control"] == "phantom_billing", "event_id"])]
    assert not set(phantom["source_record_id"]) & records  # a phantom's source id points at nothing
    assert (leakage.loc[leakage["control"] == "phantom_billing", "record_id"] == "").all()
    dup = leakage[leakage["control"] == "duplicate_billing"]
    assert (dup["record_id"] != "").all() and dup["event_id"].is_unique


def test_summary_matches_truth_files(small_out: Path, leakage: pd.DataFrame, fraud: pd.DataFrame) -> None:
    summary = json.loads((small_out / "truth" / "summary.json").read_text())
    for control in CONTROLS:
        rows = leakage[leakage["control"] == control]
        total = sum((Decimal(a) for a in rows["amount_at_risk"] if a), Decimal(0))
        assert summary["controls"][control] == {"findings": len(rows), "amount_at_risk": str(total)}
    assert summary["fraud"] == fraud["typology"].value_counts().to_dict()
    assert summary["params"]["subscribers"] == 1000 and summary["params"]["seed"] == 42


def test_price_change_left_unapplied_by_billing(feeds: Feeds) -> None:
    """After the change, billing keeps the old price: recompute both by hand for each case."""
    leakage, network, billed, tariffs = feeds.leakage, feeds.network, feeds.billed, feeds.tariffs
    subscribers, destinations = feeds.subscribers, feeds.destinations
    old = tariffs[tariffs["effective_to"] != ""].iloc[0]
    new = tariffs[(tariffs[["plan_id", "service", "zone"]] == old[["plan_id", "service", "zone"]]).all(axis=1)
                  & (tariffs["effective_from"] == old["effective_to"])].iloc[0]
    assert old["included_units"] == "0"  # so no allowance enters the hand computation
    cases = leakage[leakage["cause"] == "tariff_not_updated"]
    assert len(cases) >= 5 and set(cases["control"]) == {"rating_error"}
    rec = network.set_index("record_id").loc[cases["record_id"]]
    plans = subscribers.set_index("msisdn").loc[rec["msisdn"], "plan_id"]
    assert (plans.to_numpy() == old["plan_id"]).all()
    for (_, case), (_, r) in zip(cases.iterrows(), rec.iterrows(), strict=True):
        assert r["start_time"][:10] >= old["effective_to"]
        assert zone_of(r["other_party"], destinations) == old["zone"]
        seconds = math.ceil(int(r["duration_s"]) / int(new["increment"])) * int(new["increment"])
        assert Decimal(case["expected_charge"]) == charge(new["price_per_unit"], seconds, "voice")
        assert Decimal(case["billed_charge"]) == charge(old["price_per_unit"], seconds, "voice")
        event = billed.set_index("event_id").loc[case["event_id"]]
        assert Decimal(event["charge"]) == Decimal(case["billed_charge"])


def test_truncated_usage_by_hand(feeds: Feeds) -> None:
    """BIL-A bills a whole increment less than the network's usage rounded up to the increment."""
    leakage, network, billed, tariffs = feeds.leakage, feeds.network, feeds.billed, feeds.tariffs
    subscribers, destinations = feeds.subscribers, feeds.destinations
    cases = leakage[(leakage["control"] == "usage_mismatch") & (leakage["cause"] == "usage_truncated")]
    assert len(cases) > 0
    for case in cases.itertuples():
        r = network.set_index("record_id").loc[case.record_id]
        e = billed.set_index("event_id").loc[case.event_id]
        plan = subscribers.set_index("msisdn").loc[r["msisdn"], "plan_id"]
        zone = "roaming" if r["roaming_plmn"] else ("home" if r["service"] == "data" else
                                                     zone_of(r["other_party"], destinations))
        t = tariff(tariffs, plan, r["service"], zone, date.fromisoformat(r["start_time"][:10]))
        inc = int(t["increment"]) * (1000 if r["service"] == "data" else 1)
        raw = int(r["duration_s"] if r["service"] == "voice" else r["volume_bytes"])
        billed_qty = int(e["billed_duration_s"] if r["service"] == "voice" else e["billed_volume_bytes"])
        assert raw % inc and billed_qty == (raw // inc) * inc == math.ceil(raw / inc) * inc - inc
        if t["included_units"] == "0":
            assert Decimal(case.expected_charge) == charge(t["price_per_unit"], math.ceil(raw / inc) * inc,
                                                           r["service"])


def test_allowance_crossing_by_hand(feeds: Feeds) -> None:
    """A correctly billed data session that exhausts the monthly allowance pays only the part beyond."""
    leakage, network, billed, tariffs, subscribers = (feeds.leakage, feeds.network, feeds.billed, feeds.tariffs,
                                                      feeds.subscribers)
    plan_of = subscribers.set_index("msisdn")["plan_id"]
    home_data = network[(network["service"] == "data") & (network["roaming_plmn"] == "")
                        & network["msisdn"].isin(plan_of.index)]
    flagged = set(leakage["event_id"]) | set(leakage["record_id"])
    home = {plan: tariff(tariffs, plan, "data", "home", date(2026, 10, 1)) for plan in set(plan_of)}
    crossings = 0
    for msisdn, sessions in home_data.groupby("msisdn"):
        t = home[plan_of[msisdn]]
        allowance = int(t["included_units"]) * UNIT_BASE["data"]
        if not allowance:
            continue
        step = int(t["increment"]) * 1000
        used = 0
        for r in sessions.sort_values(["start_time", "record_id"]).itertuples():
            rounded = math.ceil(int(r.volume_bytes) / step) * step
            if used < allowance < used + rounded and r.record_id not in flagged:
                mine = billed[(billed["msisdn"] == msisdn) & (billed["service"] == "data")]
                event = mine[(mine["source_record_id"] == r.record_id)
                             | (mine["start_time"].map(epoch) - epoch(r.start_time)).abs().le(5)]
                assert len(event) == 1 and event.iloc[0]["event_id"] not in flagged
                expected = charge(t["price_per_unit"], used + rounded - allowance, "data")
                assert Decimal(event.iloc[0]["charge"]) == expected
                assert 0 < expected < charge(t["price_per_unit"], rounded, "data")
                crossings += 1
            used += rounded
    assert crossings > 0


def test_half_up_rounding_in_truth_follows_decimal(leakage: pd.DataFrame) -> None:
    expected = [Decimal(x) for x in leakage["expected_charge"] if x]
    assert all(x == x.quantize(FOUR) for x in expected)
    assert all(x >= 0 for x in expected)


@pytest.mark.parametrize("control", ["rating_error", "usage_mismatch", "plan_mismatch"])
def test_amount_is_expected_minus_billed(leakage: pd.DataFrame, control: str) -> None:
    rows = leakage[leakage["control"] == control]
    assert len(rows) > 0
    for r in rows.itertuples():
        assert Decimal(r.amount_at_risk) == Decimal(r.expected_charge) - Decimal(r.billed_charge)


def test_bil_a_keeps_network_time_and_all_usage_is_past(billed: pd.DataFrame, network: pd.DataFrame) -> None:
    ids = network.set_index("record_id")["start_time"]
    linked = billed[billed["source_record_id"].isin(ids.index)]
    assert len(linked) > 0
    network_time = ids.loc[linked["source_record_id"]].map(epoch).to_numpy()
    assert (linked["start_time"].map(epoch).to_numpy() == network_time).all()
    assert network["start_time"].max() < datetime.now(UTC).isoformat()  # nothing is "pending"
