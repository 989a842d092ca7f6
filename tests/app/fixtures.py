"""A small, realistic demo lakehouse for the app tests, written through the lake layer (delta-rs).

Three days of usage for 40 subscribers; leakage findings (unbilled usage, under-rated calls,
duplicate billing) grouped into root-cause cases; a SIM box and an IRSF subscriber with fraud
alerts and cases; KPIs, ingestion log, quarantine and runs; optionally an MLflow registry with a
champion and a challenger. Everything is derived from a seed, so the expected values of the tests
can be computed from the same rows. ``build_big_cases`` writes 100,000 cases for the benchmark.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from jobs.common.lake import Lake, arrow_schema
from jobs.common.tables import spec_for

DAYS = [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)]
PLANS = {"P_BASIC": Decimal("0.0900"), "P_PLUS": Decimal("0.0500"), "P_BIZ": Decimal("0.0300")}
SMS_PRICE = Decimal("0.0700")
DATA_PRICE_MB = Decimal("0.0100")
RUN = "fixture-run"
Q6 = Decimal("0.000001")


def _id(*parts: Any) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _write(lake: Lake, name: str, rows: list[dict[str, Any]]) -> None:
    lake.write_arrow(pa.Table.from_pylist(rows, schema=arrow_schema(spec_for(name))), name)


@dataclass
class DemoData:
    """What was written, for tests to derive expectations from."""

    subscribers: list[dict[str, Any]]
    network: list[dict[str, Any]]
    billed: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    items: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    simbox_msisdn: str = ""
    msisdn_case: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _charge(service: str, plan: str, duration: int, volume: int) -> Decimal:
    if service == "voice":
        return (PLANS[plan] * Decimal((duration + 59) // 60)).quantize(Q6)
    if service == "sms":
        return SMS_PRICE
    return (DATA_PRICE_MB * Decimal(max(volume // 1_000_000, 1))).quantize(Q6)


def build_demo_lakehouse(lake: Lake, seed: int = 7) -> DemoData:
    rnd = random.Random(seed)
    subs = []
    for i in range(40):
        msisdn = f"4915{rnd.randrange(10**8, 10**9)}"
        subs.append({"msisdn": msisdn, "imsi": f"26201{rnd.randrange(10**9, 10**10)}",
                     "imei": f"35{rnd.randrange(10**12, 10**13)}", "plan": list(PLANS)[i % 3],
                     "zone": "national" if i % 4 else "international"})
    network, billed, findings = [], [], []
    for day in DAYS:
        for n in range(75):
            sub = subs[rnd.randrange(len(subs))]
            service = rnd.choice(["voice", "voice", "sms", "data"])
            start = datetime(day.year, day.month, day.day, rnd.randrange(24), rnd.randrange(60), tzinfo=UTC)
            duration = rnd.randrange(5, 900) if service == "voice" else 0
            volume = rnd.randrange(10**5, 5 * 10**8) if service == "data" else 0
            rec = {"record_id": f"R{day:%m%d}{n:04d}", "source_system": rnd.choice(["MSC-A", "MSC-B", "PGW-1"]),
                   "service": service, "direction": "MO", "msisdn": sub["msisdn"], "imsi": sub["imsi"],
                   "imei": sub["imei"], "cell_id": f"CELL-{rnd.randrange(1, 30):03d}",
                   "other_party": None if service == "data" else f"49170{rnd.randrange(10**7, 10**8)}",
                   "start_time": start, "duration_s": duration, "volume_bytes": volume, "roaming_plmn": None,
                   "usage_date": day, "source_file": f"network_{day}.csv", "line_number": n + 2,
                   "ingest_run_id": RUN}
            network.append(rec)
            expected = _charge(service, sub["plan"], duration, volume)
            fate = rnd.random()
            event = {"event_id": f"E{rec['record_id'][1:]}", "source_record_id": rec["record_id"],
                     "msisdn": sub["msisdn"], "service": service, "other_party": rec["other_party"],
                     "start_time": start, "billed_duration_s": duration, "billed_volume_bytes": volume,
                     "plan_id": sub["plan"], "charge": expected, "currency": "EUR", "bill_cycle": f"{day:%Y-%m}",
                     "usage_date": day, "source_file": f"billed_{day}.csv", "line_number": n + 2,
                     "ingest_run_id": RUN}
            control, billed_charge = None, expected
            if fate < 0.12:
                control, billed_charge, event = "unbilled_usage", Decimal(0), None
            elif fate < 0.22 and service == "voice":
                billed_charge = (expected / 2).quantize(Q6)
                event["charge"], control = billed_charge, "rating_mismatch"
            if event:
                billed.append(event)
            if control:
                findings.append({
                    "finding_id": _id("f", rec["record_id"], control), "control": control,
                    "record_id": rec["record_id"], "event_id": event["event_id"] if event else None,
                    "msisdn": sub["msisdn"], "service": service, "start_time": start,
                    "expected_charge": expected, "billed_charge": billed_charge,
                    "amount_at_risk": expected - billed_charge, "currency": "EUR",
                    "details": f"record {rec['record_id']} of {sub['msisdn']}", "run_id": RUN,
                    "source_system": rec["source_system"], "plan_id": sub["plan"], "zone": sub["zone"],
                    "usage_date": day})
    # duplicate billing on one subscriber: billed twice for the same call
    dup_sub = subs[3]
    for n, rec in enumerate([r for r in network if r["msisdn"] == dup_sub["msisdn"] and r["service"] == "voice"][:3]):
        original = next(b for b in billed if b["source_record_id"] == rec["record_id"])
        twin = {**original, "event_id": f"D{n:03d}{original['event_id']}"}
        billed.append(twin)
        findings.append({
            "finding_id": _id("f", twin["event_id"], "duplicate_billing"), "control": "duplicate_billing",
            "record_id": rec["record_id"], "event_id": twin["event_id"], "msisdn": dup_sub["msisdn"],
            "service": "voice", "start_time": rec["start_time"], "expected_charge": Decimal(0),
            "billed_charge": twin["charge"], "amount_at_risk": -twin["charge"], "currency": "EUR",
            "details": "billed twice", "run_id": RUN, "source_system": rec["source_system"],
            "plan_id": dup_sub["plan"], "zone": dup_sub["zone"], "usage_date": rec["usage_date"]})

    # fraud: a SIM box (many short calls to many numbers from one cell) and an IRSF subscriber
    simbox, irsf = subs[7], subs[11]
    for k in range(120):
        day = DAYS[1 + k // 60]
        start = datetime(day.year, day.month, day.day, 8 + (k % 60) // 6, (k * 7) % 60, tzinfo=UTC)
        network.append({"record_id": f"S{k:05d}", "source_system": "MSC-A", "service": "voice", "direction": "MO",
                        "msisdn": simbox["msisdn"], "imsi": simbox["imsi"], "imei": simbox["imei"],
                        "cell_id": "CELL-007" if k % 5 else "CELL-008",
                        "other_party": f"49171{rnd.randrange(10**7, 10**8)}", "start_time": start,
                        "duration_s": rnd.randrange(20, 90), "volume_bytes": 0, "roaming_plmn": None,
                        "usage_date": day, "source_file": f"network_{day}.csv", "line_number": 1000 + k,
                        "ingest_run_id": RUN})
    for k in range(25):
        day = DAYS[2]
        start = datetime(day.year, day.month, day.day, 1 + k // 5, (k * 11) % 60, tzinfo=UTC)
        network.append({"record_id": f"I{k:05d}", "source_system": "MSC-B", "service": "voice", "direction": "MO",
                        "msisdn": irsf["msisdn"], "imsi": irsf["imsi"], "imei": irsf["imei"], "cell_id": "CELL-021",
                        "other_party": f"88213{k % 4:03d}4567", "start_time": start,
                        "duration_s": rnd.randrange(600, 3600), "volume_bytes": 0, "roaming_plmn": None,
                        "usage_date": day, "source_file": f"network_{day}.csv", "line_number": 2000 + k,
                        "ingest_run_id": RUN})
    alerts = []
    for subject, typology, windows, version in ((simbox["msisdn"], "simbox", 4, "2"), (irsf["msisdn"], "irsf", 2, "2")):
        for w in range(windows):
            day = DAYS[1 + w % 2] if typology == "simbox" else DAYS[2]
            ws = datetime(day.year, day.month, day.day, 8 + 4 * (w // 2), tzinfo=UTC)
            alerts.append({"alert_id": _id("a", subject, typology, w), "subject": subject, "subject_type": "msisdn",
                           "typology": typology, "window_start": ws, "window_end": ws + timedelta(hours=4),
                           "score": round(0.82 + 0.04 * w, 3), "model_name": "leakline-fraud",
                           "model_version": version,
                           "reasons": json.dumps([f"{typology}: distinct destinations high",
                                                  "calls from one cell"]),
                           "run_id": RUN, "rank_in_day": w + 1, "within_budget": True, "alert_date": day})
    for i, sub in enumerate(subs[20:26]):
        day = DAYS[i % 3]
        ws = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
        alerts.append({"alert_id": _id("a", sub["msisdn"], "wangiri"), "subject": sub["msisdn"],
                       "subject_type": "msisdn", "typology": "wangiri", "window_start": ws,
                       "window_end": ws + timedelta(hours=2), "score": round(0.55 + 0.03 * i, 3),
                       "model_name": "leakline-fraud", "model_version": "1",
                       "reasons": json.dumps(["short ringing calls to many numbers"]), "run_id": RUN,
                       "rank_in_day": 10 + i, "within_budget": i < 4, "alert_date": day})

    cases, items = _cases(findings, alerts, dup_sub["msisdn"])
    kpi = _kpis(network, billed, findings)
    quarantine = _quarantine(rnd, subs)
    ingest_log = []
    for day in DAYS:
        for feed, rows in (("network_usage", 75), ("billed_usage", 68), ("subscribers", 40), ("tariffs", 9)):
            q = sum(1 for r in quarantine if r["ingest_date"] == day and r["feed"] == feed)
            ingest_log.append({"feed": feed, "source_file": f"{feed}_{day}.csv", "content_hash": _id(feed, day),
                               "status": "ingested", "reason": None, "rows_read": rows + q + 1, "accepted": rows,
                               "quarantined": q, "duplicate": 1, "ingest_run_id": RUN,
                               "ingested_at": datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)})
    ingest_log.append({"feed": "billed_usage", "source_file": "billed_broken.csv", "content_hash": "x" * 16,
                       "status": "rejected", "reason": "header does not match contract v1", "rows_read": 0,
                       "accepted": 0, "quarantined": 0, "duplicate": 0, "ingest_run_id": RUN,
                       "ingested_at": datetime(2024, 3, 3, 23, 31, tzinfo=UTC)})
    runs = [{"run_id": f"{stage}-fixture", "stage": stage, "params": "{}",
             "started_at": datetime(2024, 3, 4, 1, i, tzinfo=UTC),
             "ended_at": datetime(2024, 3, 4, 1, i, 30, tzinfo=UTC),
             "status": "succeeded", "rows": json.dumps({"rows": 100 * (i + 1)}), "message": None}
            for i, stage in enumerate(["ingest", "reconcile", "fraud"])]

    for name, rows in (("silver.network_usage", network), ("silver.billed_usage", billed),
                       ("gold.leakage_findings", findings), ("gold.fraud_alerts", alerts), ("gold.cases", cases),
                       ("gold.case_items", items), ("gold.kpi_daily", kpi), ("ops.ingest_log", ingest_log),
                       ("ops.quarantine", quarantine), ("ops.runs", runs)):
        _write(lake, name, rows)
    msisdn_case = next(c["case_id"] for c in cases if c["subject"] == dup_sub["msisdn"])
    return DemoData(subs, network, billed, findings, cases, items, alerts, quarantine,
                    simbox_msisdn=simbox["msisdn"], msisdn_case=msisdn_case)


def _cases(findings: list[dict], alerts: list[dict], dup_msisdn: str) -> tuple[list[dict], list[dict]]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for f in findings:
        if f["control"] == "duplicate_billing":
            groups[(f["control"], f["msisdn"], "msisdn")].append(f)
        else:
            groups[(f["control"], f"{f['plan_id']}|{f['zone']}|{f['service']}", "plan_zone")].append(f)
    cases, items = [], []
    now = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)
    for (control, subject, stype), members in sorted(groups.items()):
        case_id = "LK-" + _id("case", control, subject)[:10].upper()
        amount = sum((abs(m["amount_at_risk"]) for m in members), Decimal(0))
        title = (f"Duplicate billing for subscriber {subject}" if stype == "msisdn"
                 else f"{control.replace('_', ' ').capitalize()}: {subject.replace('|', ' / ')}")
        cases.append({"case_id": case_id, "kind": "leakage", "category": control, "title": title,
                      "root_cause": f"{control} on {subject}", "subject": subject, "subject_type": stype,
                      "priority": 1 if amount > 5 else 2 if amount > 1 else 3 if amount > Decimal("0.2") else 4,
                      "amount_at_risk": amount, "currency": "EUR", "item_count": len(members),
                      "first_seen": min(m["start_time"] for m in members),
                      "last_seen": max(m["start_time"] for m in members), "score": None,
                      "reasons": json.dumps([f"{len(members)} findings", f"control {control}"]),
                      "run_id": RUN, "updated_at": now})
        items += [{"case_id": case_id, "kind": "leakage", "item_id": m["finding_id"], "run_id": RUN} for m in members]
    by_subject: dict[tuple, list[dict]] = defaultdict(list)
    for a in alerts:
        by_subject[(a["subject"], a["typology"])].append(a)
    for (subject, typology), members in sorted(by_subject.items()):
        case_id = "FR-" + _id("case", subject, typology)[:10].upper()
        score = max(a["score"] for a in members)
        label = {"simbox": "SIM box suspected", "irsf": "IRSF traffic", "wangiri": "Wangiri callbacks"}[typology]
        cases.append({"case_id": case_id, "kind": "fraud", "category": typology, "title": f"{label} on {subject}",
                      "root_cause": typology, "subject": subject, "subject_type": "msisdn",
                      "priority": 1 if score > 0.85 else 2 if score > 0.7 else 3,
                      "amount_at_risk": Decimal(str(round(score * 400, 2))), "currency": "EUR",
                      "item_count": len(members), "first_seen": min(a["window_start"] for a in members),
                      "last_seen": max(a["window_end"] for a in members), "score": score,
                      "reasons": members[0]["reasons"], "run_id": RUN, "updated_at": now})
        items += [{"case_id": case_id, "kind": "fraud", "item_id": a["alert_id"], "run_id": RUN} for a in members]
    return cases, items


def _kpis(network: list[dict], billed: list[dict], findings: list[dict]) -> list[dict]:
    rows = []
    for day in DAYS:
        for service in ("voice", "sms", "data"):
            recs = [r for r in network if r["usage_date"] == day and r["service"] == service]
            evs = [b for b in billed if b["usage_date"] == day and b["service"] == service]
            for control in ("unbilled_usage", "rating_mismatch", "duplicate_billing"):
                fs = [f for f in findings if f["usage_date"] == day and f["service"] == service
                      and f["control"] == control]
                leak = sum((f["amount_at_risk"] for f in fs if f["amount_at_risk"] > 0), Decimal(0))
                over = sum((-f["amount_at_risk"] for f in fs if f["amount_at_risk"] < 0), Decimal(0))
                billed_rev = sum((b["charge"] for b in evs), Decimal(0))
                rows.append({"usage_date": day, "service": service, "control": control,
                             "network_records": len(recs), "billable_records": len(recs), "billed_events": len(evs),
                             "matched_records": len(evs), "match_rate": Decimal("0.9"), "findings": len(fs),
                             "expected_revenue": billed_rev + leak, "billed_revenue": billed_rev,
                             "leakage": leak, "overbilling": over, "leakage_pct": Decimal("0.05"), "run_id": RUN})
    return rows


def _quarantine(rnd: random.Random, subs: list[dict]) -> list[dict]:
    reasons = [["msisdn_not_e164"], ["start_time_in_future"], ["duration_negative", "volume_absurd"],
               ["unknown_service"]]
    rows = []
    for k in range(24):
        sub = subs[k % len(subs)]
        day = DAYS[k % 3]
        feed = "network_usage" if k % 3 else "billed_usage"
        rows.append({"feed": feed, "source_file": f"{feed}_{day}.csv",
                     "line_number": 500 + k, "raw": json.dumps({"msisdn": sub["msisdn"], "duration_s": str(-k)}),
                     "reasons": reasons[k % len(reasons)], "content_hash": _id("q", k), "ingest_run_id": RUN,
                     "ingest_date": day})
    return rows


def build_registry(root: str | Path) -> str:
    """A real MLflow registry (SQLite) under ``<root>/mlflow``: version 1 champion, 2 challenger."""
    import mlflow
    from mlflow import MlflowClient

    root = Path(root)
    (root / "mlflow").mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.create_experiment("leakline-fraud", artifact_location=(root / "mlflow" / "artifacts").as_uri())
    client.create_registered_model("leakline-fraud", description="Fraud scorer (fixture)")
    for version, (precision, recall, psi) in enumerate([(0.81, 0.66, 0.04), (0.86, 0.70, 0.02)], start=1):
        run = client.create_run(exp, run_name=f"train-v{version}")
        for key, value in (("precision", precision), ("recall", recall), ("pr_auc", precision - 0.05),
                           ("score_psi", psi)):
            client.log_metric(run.info.run_id, key, value)
        client.log_param(run.info.run_id, "n_estimators", str(100 * version))
        client.set_terminated(run.info.run_id)
        client.create_model_version("leakline-fraud", f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    drift = client.create_run(exp, run_name="score-2024-03-03")
    for key, value in (("psi.subscriber.mo_calls", 0.31), ("psi.subscriber.night_share", 0.12),
                       ("psi.external_number.callbacks", 0.04), ("psi_max", 0.31), ("alerts", 12.0)):
        client.log_metric(drift.info.run_id, key, value)
    client.set_tag(drift.info.run_id, "retrain_suggested", "true")
    client.set_terminated(drift.info.run_id)
    client.set_registered_model_alias("leakline-fraud", "champion", "1")
    client.set_registered_model_alias("leakline-fraud", "challenger", "2")
    mlflow.set_tracking_uri(None)  # leave no global state behind
    return uri


def build_big_cases(lake: Lake, n: int = 100_000, seed: int = 11) -> None:
    """``n`` cases (gold.cases only) with realistic spreads, for the queue benchmark."""
    rng = np.random.default_rng(seed)
    kinds = np.where(rng.random(n) < 0.7, "leakage", "fraud")
    controls = np.array(["unbilled_usage", "rating_mismatch", "duplicate_billing", "roaming_gap", "late_cdr"])
    typologies = np.array(["simbox", "irsf", "wangiri", "subscription"])
    category = np.where(kinds == "leakage", controls[rng.integers(0, 5, n)], typologies[rng.integers(0, 4, n)])
    msisdn = np.char.add("4915", rng.integers(10**8, 10**9, n).astype(str))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    first = np.array([start + timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 90, n)])
    cents = rng.integers(1, 5_000_000, n)
    schema = arrow_schema(spec_for("gold.cases"))
    table = pa.table({
        "case_id": pa.array([f"C{i:07d}" for i in range(n)]),
        "kind": pa.array(kinds), "category": pa.array(category),
        "title": pa.array(np.char.add(np.char.add(category, " on "), msisdn)),
        "root_cause": pa.array(category), "subject": pa.array(msisdn),
        "subject_type": pa.array(["msisdn"] * n),
        "priority": pa.array(rng.integers(1, 5, n).astype(np.int32)),
        "amount_at_risk": pa.array([Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(18, 6)),
        "currency": pa.array(["EUR"] * n), "item_count": pa.array(rng.integers(1, 200, n)),
        "first_seen": pa.array(first, pa.timestamp("us", tz="UTC")),
        "last_seen": pa.array(first + timedelta(hours=6), pa.timestamp("us", tz="UTC")),
        "score": pa.array(rng.random(n), mask=kinds == "leakage"),
        "reasons": pa.array(["[]"] * n), "run_id": pa.array(["bench"] * n),
        "updated_at": pa.array([start] * n, pa.timestamp("us", tz="UTC")),
    }).cast(schema)
    lake.write_arrow(table, "gold.cases")
