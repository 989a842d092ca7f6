"""An independent, deliberately plain reference reconciliation used to check the generator's truth.

It reads only the landing files and applies the rating rules and the seven controls as written in
the input contract (Decimal money, Python loops, greedy one-to-one matching). It shares no code with
``jobs.generate``; if the generator's truth and this oracle disagree, one of them misreads a rule.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

TOLERANCE_S = 5
USAGE_SHARE = Decimal("0.1")
RATING_TOLERANCE = Decimal("0.01")
UNIT_BASE = {"voice": 60, "sms": 1, "data": 1_000_000}
FOUR = Decimal("0.0001")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


@dataclass
class Finding:
    control: str
    record_id: str | None
    event_id: str | None
    expected: Decimal | None
    billed: Decimal | None
    amount: Decimal | None


def reconcile(landing: Path) -> list[Finding]:
    subs = {s["msisdn"]: s for s in read(next((landing / "subscribers").glob("*.csv")))}
    dests = {d["prefix"]: d["zone"] for d in read(landing / "destinations" / "destinations.csv")}
    max_len = max(map(len, dests))
    tariffs = defaultdict(list)
    for t in read(landing / "tariffs" / "tariffs.csv"):
        tariffs[(t["plan_id"], t["service"], t["zone"])].append(t)
    records = [r for p in sorted((landing / "network_usage").glob("*/*.csv")) for r in read(p)]
    events = [e for p in sorted((landing / "billed_usage").glob("*/*.csv")) for e in read(p)]

    def zone_of(r: dict[str, str]) -> str:
        if r["roaming_plmn"]:
            return "roaming"
        if r["service"] == "data":
            return "home"
        for n in range(min(max_len, len(r["other_party"])), 0, -1):
            if r["other_party"][:n] in dests:
                return dests[r["other_party"][:n]]
        raise AssertionError(f"no zone for {r['other_party']}")

    def tariff(plan: str, service: str, zone: str, t: int) -> dict[str, str]:
        day = datetime.fromtimestamp(t, UTC).date()
        rows = [x for x in tariffs[(plan, service, zone)] if date.fromisoformat(x["effective_from"]) <= day
                and (not x["effective_to"] or day < date.fromisoformat(x["effective_to"]))]
        assert len(rows) == 1, (plan, service, zone, day)
        return rows[0]

    billable = [r for r in records if r["service"] == "data" or r["direction"] == "MO"]
    info = {}
    for r in billable:
        t = epoch(r["start_time"])
        info[r["record_id"]] = {"t": t, "r": r, "expected": None, "rounded": None, "inc": None}
        if r["msisdn"] not in subs:
            continue
        zone = zone_of(r)
        tr = tariff(subs[r["msisdn"]]["plan_id"], r["service"], zone, t)
        inc = int(tr["increment"]) * (1000 if r["service"] == "data" else 1)
        raw = {"voice": int(r["duration_s"]), "sms": 1, "data": int(r["volume_bytes"])}[r["service"]]
        info[r["record_id"]].update(zone=zone, tariff=tr, inc=inc, rounded=math.ceil(raw / inc) * inc)
    groups = defaultdict(list)
    for rid, x in info.items():
        if x["inc"] is not None:
            month = datetime.fromtimestamp(x["t"], UTC).strftime("%Y-%m")
            groups[(x["r"]["msisdn"], month, x["r"]["service"], x["zone"])].append(rid)
    for rids in groups.values():
        rids.sort(key=lambda i: (info[i]["t"], info[i]["r"]["source_system"], i))
        used = 0
        for rid in rids:
            x = info[rid]
            left = int(x["tariff"]["included_units"]) * UNIT_BASE[x["r"]["service"]]
            free = max(0, min(x["rounded"], left - used))
            used += x["rounded"]
            units = Decimal(x["rounded"] - free) * Decimal(x["tariff"]["price_per_unit"]) / UNIT_BASE[x["r"]["service"]]
            x["expected"] = units.quantize(FOUR, rounding=ROUND_HALF_UP)

    match: dict[str, str] = {}  # event_id -> record_id
    taken: dict[str, str] = {}  # record_id -> event_id
    pairs = []
    for e in events:
        if e["source_record_id"]:
            if e["source_record_id"] in info:
                d = abs(epoch(e["start_time"]) - info[e["source_record_id"]]["t"])
                pairs.append((0, d, e["event_id"], e["source_record_id"]))
    by_key = defaultdict(list)
    for rid, x in info.items():
        by_key[(x["r"]["msisdn"], x["r"]["service"], x["r"]["other_party"])].append(rid)
    loose = []
    for e in events:
        if e["source_record_id"]:
            continue
        t = epoch(e["start_time"])
        for rid in by_key.get((e["msisdn"], e["service"], e["other_party"]), []):
            x = info[rid]
            if abs(t - x["t"]) > TOLERANCE_S:
                continue
            if x["rounded"] is not None and e["service"] != "sms":
                billed = int(e["billed_duration_s"] if e["service"] == "voice" else e["billed_volume_bytes"])
                if abs(billed - x["rounded"]) > max(x["inc"], USAGE_SHARE * x["rounded"]):
                    continue
            loose.append((1, abs(t - x["t"]), e["event_id"], rid))
    for _, _, eid, rid in sorted(pairs) + sorted(loose):
        if eid not in match and rid not in taken:
            match[eid], taken[rid] = rid, eid
    candidates = defaultdict(list)
    for _, _, eid, rid in pairs + loose:
        candidates[eid].append(rid)

    out: list[Finding] = []
    ev = {e["event_id"]: e for e in events}
    for rid, x in info.items():
        if rid not in taken:
            out.append(Finding("unbilled_usage", rid, None, x["expected"], None, x["expected"]))
    for e in events:
        eid, charge = e["event_id"], Decimal(e["charge"])
        if eid in match:
            continue
        dup_of = next((rid for rid in candidates[eid] if rid in taken), None)
        control = "duplicate_billing" if dup_of else "phantom_billing"
        out.append(Finding(control, dup_of, eid, Decimal(0), charge, -charge))
    for eid, rid in match.items():
        e, x = ev[eid], info[rid]
        charge = Decimal(e["charge"])
        if x["expected"] is None:
            continue
        if abs(charge - x["expected"]) > RATING_TOLERANCE:
            out.append(Finding("rating_error", rid, eid, x["expected"], charge, x["expected"] - charge))
        billed = {"voice": e["billed_duration_s"], "data": e["billed_volume_bytes"]}.get(e["service"])
        if billed is not None and int(billed) != x["rounded"]:
            out.append(Finding("usage_mismatch", rid, eid, x["expected"], charge, x["expected"] - charge))
    for rid, x in info.items():
        s = subs.get(x["r"]["msisdn"])
        gone = s is not None and s["status"] == "terminated" and x["t"] >= epoch(s["terminated_at"])
        if s is None or s["status"] == "suspended" or gone:
            eid = taken.get(rid)
            charge = Decimal(ev[eid]["charge"]) if eid else None
            amount = None if x["expected"] is None else x["expected"] - (charge or 0)
            out.append(Finding("inactive_subscriber_usage", rid, eid, x["expected"], charge, amount))
    for e in events:
        s = subs.get(e["msisdn"])
        if s is not None and e["plan_id"] != s["plan_id"]:
            rid = match.get(e["event_id"])
            exp = info[rid]["expected"] if rid else Decimal(0)
            charge = Decimal(e["charge"])
            out.append(Finding("plan_mismatch", rid, e["event_id"], exp, charge, exp - charge))
    return out
