"""bench/floor.py: the least-work queries compute what they claim, and a wrong folder is one line."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import accumulate

from bench.floor import SESSION, csv_to_parquet, floor_frames, main, run_frames, session_settings, verdict
from bench.run import final_plan
from tests.bench.plans import run_and_explain
from tests.reconcile.silver import BILLED, DESTINATIONS_ROWS, NETWORK, SUBSCRIBER_ROWS, TARIFF_ROWS, frames

TOLERANCE_US, BUCKET_US = 5_000_000, 60_000_000


def _floor(spark, bucket_us=BUCKET_US):
    silver = frames(spark, NETWORK, BILLED)
    return floor_frames(silver.__getitem__, TOLERANCE_US, bucket_us)


def _billable(n):
    return n["direction"] == "MO" or n["service"] == "data"


def _running_totals(records):
    """(msisdn, service, record_id) -> usage so far in time order (the oracle of the allowance window)."""
    out = {}
    for key in {(n["msisdn"], n["service"]) for n in records}:
        ordered = sorted((n for n in records if (n["msisdn"], n["service"]) == key),
                         key=lambda n: (n["start_time"], n["record_id"]))
        sums = accumulate(n["volume_bytes"] if n["service"] == "data" else n["duration_s"] for n in ordered)
        out.update({(*key, n["record_id"]): s for n, s in zip(ordered, sums, strict=True)})
    return out


def _pairs_by_id(records):
    ids = {n["record_id"] for n in records}
    named = {b["source_record_id"] for b in BILLED}
    want = {(n["record_id"], b["event_id"]) for n in records for b in BILLED if b["source_record_id"] == n["record_id"]}
    want |= {(n["record_id"], None) for n in records if n["record_id"] not in named}
    return want | {(None, b["event_id"]) for b in BILLED if b["source_record_id"] and b["source_record_id"] not in ids}


def _pairs_by_time(records):
    return {(n["record_id"], b["event_id"]) for n in records for b in BILLED
            if b["source_record_id"] is None and (b["msisdn"], b["service"], b["other_party"] or "")
            == (n["msisdn"], n["service"], n["other_party"] or "")
            and abs((b["start_time"] - n["start_time"]).total_seconds()) * 1e6 <= TOLERANCE_US}


def test_rate_finds_the_longest_prefix_zone_the_plan_and_the_tariff_in_force(spark):
    got = {r["record_id"]: (r["zone"], r["s_plan"], r["price_per_unit"]) for r in _floor(spark)["rate"][0].collect()}
    plans = {s["msisdn"]: s["plan_id"] for s in SUBSCRIBER_ROWS}
    prices = {(t["plan_id"], t["service"], t["zone"]): t["price_per_unit"] for t in TARIFF_ROWS}

    def zone(n):
        if n["roaming_plmn"]:
            return "roaming"
        if n["service"] == "data":
            return "home"
        hits = [d for d in DESTINATIONS_ROWS if (n["other_party"] or "").startswith(d["prefix"])]
        return max(hits, key=lambda d: len(d["prefix"]))["zone"] if hits else None

    want = {}
    for n in NETWORK:
        plan = plans.get(n["msisdn"])
        want[n["record_id"]] = (zone(n), plan, prices.get((plan, n["service"], zone(n))))
    assert got == want
    assert got["R3"] == ("national_mobile", "P1", Decimal("0.12"))  # 4917612345678: 4917, not 49
    assert got["R10"] == ("intl_zone1_mobile", "P2", None)  # P2 has no international tariff
    assert got["R8"][1] is None  # unknown line


def test_join_puts_every_billable_record_next_to_the_events_that_name_it(spark):
    got = {(r["record_id"], r["e_event_id"]) for r in _floor(spark)["join"][0].collect()}
    assert got == _pairs_by_id([n for n in NETWORK if _billable(n)])
    assert ("R13", None) not in got  # MT voice is not billable
    assert (None, "E8") in got and ("R1", "E1") in got and ("R2", None) in got
    assert (None, "E7") not in got  # no source id: the time match's


def test_time_pairs_events_without_a_source_id_within_the_tolerance_whatever_the_bucket_width(spark):
    want = _pairs_by_time([n for n in NETWORK if _billable(n)])
    assert want == {("R1", "E2dup"), ("R4", "E4")}  # E7 and E12 have no record near them
    for bucket_us in (BUCKET_US, 1_000_000, 3_000_000):  # a 5 s tolerance spans 1-11 buckets
        got = {(r["record_id"], r["e_event_id"]) for r in _floor(spark, bucket_us)["time"][0].collect()}
        assert got == want, bucket_us


def test_window_is_a_running_total_per_msisdn_and_service_in_time_order(spark):
    rows = _floor(spark)["window"][0].collect()
    got = {(r["msisdn"], r["service"], r["record_id"]): r["cumulative"] for r in rows}
    assert got == _running_totals(NETWORK)
    assert got[(NETWORK[0]["msisdn"], "voice", "R4")] == 61 + 30 + 125 + 95
    assert got[(NETWORK[0]["msisdn"], "data", "R9")] == 150_000


def _reconciled(rows):
    return {(r["record_id"], r["e_event_id"], r["cumulative"], r["zone"]) for r in rows}


def test_reconcile_floor_rates_the_billable_records_runs_the_window_and_both_matches(spark):
    billable = [n for n in NETWORK if _billable(n)]
    totals = {rid: total for (_, _, rid), total in _running_totals(billable).items()}
    queries = _floor(spark)
    zones = {r["record_id"]: r["zone"] for r in queries["rate"][0].collect()}
    pairs = _pairs_by_id(billable) | _pairs_by_time(billable)
    want = {(rid, eid, totals.get(rid), zones.get(rid)) for rid, eid in pairs}
    assert _reconciled(queries["reconcile"][0].collect()) == want
    assert ("R4", None, 61 + 30 + 125 + 95, "national") in want  # MT R13 is in no allowance


def test_msisdn_shape_shuffles_each_side_once_and_finds_the_same_pairs(spark):
    queries = _floor(spark)
    # as at scale: the usage joins are not broadcast (the lookups are: they are hinted)
    with session_settings(spark, {**SESSION["msisdn"], "spark.sql.autoBroadcastJoinThreshold": "-1"}):
        rows, plan = run_and_explain(queries["msisdn"][0])
    assert "BroadcastHashJoin Inner" not in plan and "BroadcastHashJoin FullOuter" not in plan
    final = final_plan(plan)
    assert len(re.findall(r"(?<![A-Za-z])Exchange \(\d+\)", final)) == 2  # records once, events once
    # beyond the broadcast lookups: one allowance window and one join for both matches
    assert len(re.findall(r"(?:SortMerge|ShuffledHash)Join", final)) == 1 and final.count("Window (") == 1
    # every source id of the scenario names a record of the event's own msisdn: the same pairs as the floor's
    assert _reconciled(rows) == _reconciled(queries["reconcile"][0].collect())


def test_features_floor_aggregates_each_msisdn_day(spark):
    got = {(r["msisdn"], r["usage_date"]): (r["records"], r["seconds"], r["bytes"], r["parties"])
           for r in _floor(spark)["features"][0].collect()}
    want = {}
    for key in {(n["msisdn"], n["usage_date"]) for n in NETWORK}:
        rows = [n for n in NETWORK if (n["msisdn"], n["usage_date"]) == key]
        want[key] = (len(rows), sum(n["duration_s"] for n in rows), sum(n["volume_bytes"] for n in rows),
                     len({n["other_party"] for n in rows if n["other_party"] is not None}))
    assert got == want
    assert got[(NETWORK[0]["msisdn"], NETWORK[0]["usage_date"])][3] == 2  # FIXED and MOBILE


def test_run_frames_restores_the_session_settings(spark):
    key = "spark.sql.requireAllClusterKeysForCoPartition"
    before = spark.conf.get(key)
    run_frames(spark, [spark.range(3)], {key: "false" if before == "true" else "true"})
    assert spark.conf.get(key) == before


def test_csv_floor_keeps_every_line_of_both_usage_feeds_as_text(spark, tmp_path):
    landing = tmp_path / "landing"
    for feed, header, lines in (("network_usage", "record_id,msisdn", ["R1,491", "R2,492", "R3,493"]),
                                ("billed_usage", "event_id,charge", ["E1,0.1000", "E2,2.5"])):
        for day, part in (("2026-10-01", lines[:1]), ("2026-10-02", lines[1:])):
            (landing / feed / day).mkdir(parents=True)
            (landing / feed / day / "part.csv").write_text("\n".join([header, *part]) + "\n")
    csv_to_parquet(spark, landing, tmp_path / "out")
    network = spark.read.parquet(str(tmp_path / "out" / "network_usage"))
    billed = spark.read.parquet(str(tmp_path / "out" / "billed_usage"))
    assert sorted(tuple(r) for r in network.collect()) == [("R1", "491"), ("R2", "492"), ("R3", "493")]
    assert sorted(tuple(r) for r in billed.collect()) == [("E1", "0.1000"), ("E2", "2.5")]
    assert dict(billed.dtypes) == {"event_id": "string", "charge": "string"}


def test_a_folder_that_is_no_bench_lake_is_one_line_and_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a kept bench lake" in err[0] and "--keep" in err[0]


def test_verdict_takes_the_cheaper_reconcile_shape_and_compares_task_cpu_with_what_the_targets_allow():
    def q(best, *cpu):
        return {"best_s": best, "task_cpu_s": list(cpu)}

    queries = {"reconcile": q(24.0, 44.0, 42.0), "msisdn": q(15.0, 27.0, 26.0), "csv": q(12.0, 21.0, 20.0),
               "features": q(6.0, 11.0, 10.5), "scan": q(1.0, 2.0)}
    got = verdict(queries, 4_000_000, 2)
    assert got["floor_parts"] == {"reconcile": ["msisdn"], "pipeline": ["msisdn", "csv", "features"]}
    assert got["floor_seconds"] == {"reconcile": 15.0, "pipeline": 33.0}
    assert got["floor_task_cpu_s"] == {"reconcile": 26.0, "pipeline": 56.5}  # the least CPU of each query's runs
    assert got["target_seconds"] == {"reconcile": 13.33, "pipeline": 26.67}
    assert got["cpu_budget_s"] == {"reconcile": 26.7, "pipeline": 53.3}
    assert got["floor_records_per_s"]["reconcile"] == round(4_000_000 / 15.0, 1)
    queries["reconcile"] = q(14.0, 30.0)  # the other shape, when it is the cheaper one
    assert verdict(queries, 4_000_000, 2)["floor_parts"]["reconcile"] == ["reconcile"]
