"""bench/floor.py: the least-work queries compute what they claim, and a wrong folder is one line."""

from __future__ import annotations

import re
from itertools import accumulate

from bench.floor import SESSION, csv_to_parquet, floor_frames, main, run_frames, session_settings
from bench.run import final_plan
from tests.bench.plans import run_and_explain
from tests.reconcile.silver import BILLED, NETWORK, frames


def _floor(spark):
    silver = frames(spark, NETWORK, BILLED)
    return floor_frames(silver.__getitem__)


def test_join_puts_every_billable_record_next_to_the_events_that_name_it(spark):
    got = {(r["record_id"], r["e_event_id"]) for r in _floor(spark)["join"][0].collect()}
    billable = [n for n in NETWORK if n["direction"] == "MO" or n["service"] == "data"]
    ids = {n["record_id"] for n in billable}
    named = {b["source_record_id"] for b in BILLED}
    want = {(n["record_id"], b["event_id"]) for n in billable for b in BILLED
            if b["source_record_id"] == n["record_id"]}
    want |= {(n["record_id"], None) for n in billable if n["record_id"] not in named}
    want |= {(None, b["event_id"]) for b in BILLED if b["source_record_id"] not in ids}
    assert got == want
    assert ("R13", None) not in got  # MT voice is not billable
    assert (None, "E8") in got and ("R1", "E1") in got and ("R2", None) in got


def test_window_is_a_running_total_per_msisdn_and_service_in_time_order(spark):
    rows = _floor(spark)["window"][0].collect()
    got = {(r["msisdn"], r["service"], r["record_id"]): r["cumulative"] for r in rows}
    want = {}
    for key in {(n["msisdn"], n["service"]) for n in NETWORK}:
        ordered = sorted((n for n in NETWORK if (n["msisdn"], n["service"]) == key),
                         key=lambda n: (n["start_time"], n["record_id"]))
        sums = accumulate(n["volume_bytes"] if n["service"] == "data" else n["duration_s"] for n in ordered)
        want.update({(*key, n["record_id"]): s for n, s in zip(ordered, sums, strict=True)})
    assert got == want
    assert got[(NETWORK[0]["msisdn"], "voice", "R4")] == 61 + 30 + 125 + 95
    assert got[(NETWORK[0]["msisdn"], "data", "R9")] == 150_000


def test_reconcile_floor_is_the_window_then_the_join(spark):
    queries = _floor(spark)
    both = {(r["record_id"], r["e_event_id"], r["cumulative"]) for r in queries["reconcile"][0].collect()}
    window = {r["record_id"]: r["cumulative"] for r in queries["window"][0].collect()}
    joined = {(r["record_id"], r["e_event_id"]) for r in queries["join"][0].collect()}
    assert both == {(rid, eid, window.get(rid)) for rid, eid in joined}


def test_msisdn_shape_shuffles_each_side_once_and_finds_the_same_pairs(spark):
    queries = _floor(spark)
    with session_settings(spark, SESSION["msisdn"]):
        rows, plan = run_and_explain(queries["msisdn"][0])
    got = {(r["record_id"], r["e_event_id"], r["cumulative"]) for r in rows}
    assert len(re.findall(r"(?<![A-Za-z])Exchange \(\d+\)", final_plan(plan))) == 2  # records once, events once
    # every source id of the scenario names a record of the event's own msisdn: the same pairs as the floor's
    want = {(r["record_id"], r["e_event_id"], r["cumulative"]) for r in queries["reconcile"][0].collect()}
    assert got == want


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
