"""Parallel writers on one case store: every action becomes an event or a clear rejection, never a
silent loss; every event lands once in gold.case_events although the writers sync concurrently."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.sync import sync_events
from app.workflow import CaseStore
from jobs.common.config import load_config
from jobs.common.lake import make_lake

REPO = Path(__file__).resolve().parents[2]
WORKERS = 8
NOTES_EACH = 15

WORKER = r"""
import json, os, sys, time
from app.auth import make_user
from app.sync import sync_events
from app.workflow import CaseStore, StaleCaseError
from jobs.common.config import load_config
from jobs.common.lake import make_lake

db, root, name, ready, workers, notes = sys.argv[1:5] + [int(sys.argv[5]), int(sys.argv[6])]
roles = {"analyst": {"act": True, "pii": True}}
me = make_user(name, "analyst", roles)
store = CaseStore(db, busy_timeout_s=30)
lake = make_lake(load_config("local", overrides={"lake.root": root}), None)
out = {"name": name, "transition": None, "assign": None, "notes": []}
open(os.path.join(ready, name), "w").close()  # a barrier: start together once all are imported
deadline = time.time() + 90
while len(os.listdir(ready)) < workers and time.time() < deadline:
    time.sleep(0.005)
try:
    out["transition"] = ["ok", store.transition("CASE-A", "fraud", me, "open", "investigating").event_seq]
except StaleCaseError as exc:
    out["transition"] = ["stale", str(exc)]
try:
    out["assign"] = ["ok", store.assign("CASE-C", me, name, None).event_seq]
except StaleCaseError as exc:
    out["assign"] = ["stale", str(exc)]
for i in range(notes):
    out["notes"].append(store.add_note("CASE-B", me, f"{name} note {i}").event_seq)
sync_events(store, lake)
print(json.dumps(out), flush=True)
os._exit(0)  # skip interpreter teardown: native thread pools (Arrow/delta-rs) may abort while exiting
"""


def test_parallel_writers_lose_nothing(tmp_path):
    db, root = tmp_path / "app" / "cases.db", tmp_path / "lakehouse"
    CaseStore(db)  # create the schema once, like the app does on start
    ready = tmp_path / "ready"
    ready.mkdir()
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(db), str(root), f"w{i}", str(ready), str(WORKERS),
                          str(NOTES_EACH)],
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(WORKERS)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    transitions = sorted(r["transition"][0] for r in results)
    assigns = sorted(r["assign"][0] for r in results)
    assert transitions == ["ok"] + ["stale"] * (WORKERS - 1)
    assert assigns == ["ok"] + ["stale"] * (WORKERS - 1)
    winner = next(r["name"] for r in results if r["transition"][0] == "ok")
    for r in results:
        if r["transition"][0] == "stale":
            assert r["transition"][1].startswith(f"case CASE-A is now investigating (changed by {winner}")
            assert "not applied" in r["transition"][1]

    store = CaseStore(db)
    events = store.events()
    total = 2 + WORKERS * NOTES_EACH
    assert [e.event_seq for e in events] == list(range(1, total + 1))  # no gap, no duplicate
    acknowledged = sorted(
        [r["transition"][1] for r in results if r["transition"][0] == "ok"]
        + [r["assign"][1] for r in results if r["assign"][0] == "ok"]
        + [seq for r in results for seq in r["notes"]])
    assert acknowledged == list(range(1, total + 1))  # every acknowledged action is an event and vice versa
    notes = sorted(e.note for e in events if e.action == "note")
    assert notes == sorted(f"w{i} note {n}" for i in range(WORKERS) for n in range(NOTES_EACH))
    assert [(e.case_id, e.actor, e.to_status) for e in events if e.action == "transition"] == [
        ("CASE-A", winner, "investigating")]
    assert store.state("CASE-A").status == "investigating"

    lake = make_lake(load_config("local", overrides={"lake.root": str(root)}), None)
    sync_events(store, lake)  # lands whatever was committed after the last worker's own sync
    landed = lake.read_arrow("gold.case_events").sort_by("event_seq").to_pylist()
    assert landed == store.events_arrow().to_pylist()
