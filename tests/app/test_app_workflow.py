"""Case workflow: transitions, stale rejections, append-only log, derived state, landing in the lake."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pyarrow as pa
import pytest

from app.auth import make_user
from app.sync import sync_events
from app.workflow import (
    CaseStore,
    StaleCaseError,
    WorkflowError,
    derive_state,
)

ROLES = {"viewer": {"act": False, "pii": False}, "analyst": {"act": True, "pii": True},
         "admin": {"act": True, "pii": True}}
ALICE = make_user("alice", "analyst", ROLES)
BOB = make_user("bob", "analyst", ROLES)
VERA = make_user("vera", "viewer", ROLES)


@pytest.fixture
def store(tmp_path):
    return CaseStore(tmp_path / "cases.db")


def _rows(events):
    return [(e.event_seq, e.case_id, e.actor, e.action, e.from_status, e.to_status, e.note, e.amount)
            for e in events]


def test_leakage_case_worked_end_to_end(store):
    store.assign("C1", ALICE, "alice", None)
    store.transition("C1", "leakage", ALICE, "open", "investigating", note="checking rating")
    store.transition("C1", "leakage", ALICE, "investigating", "confirmed_leakage")
    store.add_note("C1", BOB, "billing confirmed the tariff bug")
    store.transition("C1", "leakage", ALICE, "confirmed_leakage", "recovering")
    store.transition("C1", "leakage", ALICE, "recovering", "recovered", amount="120.50")
    store.transition("C1", "leakage", ALICE, "recovered", "closed")
    assert _rows(store.events("C1")) == [
        (1, "C1", "alice", "assign", None, None, "alice", None),
        (2, "C1", "alice", "transition", "open", "investigating", "checking rating", None),
        (3, "C1", "alice", "transition", "investigating", "confirmed_leakage", None, None),
        (4, "C1", "bob", "note", None, None, "billing confirmed the tariff bug", None),
        (5, "C1", "alice", "transition", "confirmed_leakage", "recovering", None, None),
        (6, "C1", "alice", "transition", "recovering", "recovered", None, Decimal("120.500000")),
        (7, "C1", "alice", "transition", "recovered", "closed", None, None),
    ]
    state = store.state("C1")
    assert (state.status, state.assignee, state.disposition, state.recovered, state.last_seq) == (
        "closed", "alice", "confirmed_leakage", Decimal("120.500000"), 7)


def test_stale_transition_is_rejected_and_writes_nothing(store):
    store.transition("C1", "fraud", ALICE, "open", "investigating")
    with pytest.raises(StaleCaseError, match=r"case C1 is now investigating \(changed by alice.*not applied"):
        store.transition("C1", "fraud", BOB, "open", "investigating")
    with pytest.raises(StaleCaseError, match="assigned to alice"):
        store.assign("C1", ALICE, "alice", None)
        store.assign("C1", BOB, "bob", None)
    assert [(e.actor, e.action) for e in store.events("C1")] == [("alice", "transition"), ("alice", "assign")]


@pytest.mark.parametrize(
    ("kind", "path", "target", "message"),
    [
        ("leakage", [], "confirmed_leakage", "cannot move from open to confirmed_leakage"),
        ("leakage", ["investigating"], "confirmed_fraud", "a leakage case cannot move"),
        ("fraud", ["investigating", "confirmed_fraud", "recovering"], "recovered", "needs the amount"),
        ("fraud", ["investigating", "false_positive", "closed"], "investigating", r"allowed: none"),
        ("fraud", [], "archived", "unknown status"),
    ],
)
def test_invalid_transitions_are_refused(store, kind, path, target, message):
    status = "open"
    for step in path:
        store.transition("C9", kind, ALICE, status, step)
        status = step
    with pytest.raises(WorkflowError, match=message):
        store.transition("C9", kind, ALICE, status, target)
    assert store.state("C9").status == status


def test_viewer_cannot_act_and_bad_amounts_are_refused(store):
    with pytest.raises(WorkflowError, match="read-only access"):
        store.transition("C1", "fraud", VERA, "open", "investigating")
    with pytest.raises(WorkflowError, match="read-only access"):
        store.add_note("C1", VERA, "hello")
    with pytest.raises(WorkflowError, match="cannot be empty"):
        store.add_note("C1", ALICE, "   ")
    store.transition("C1", "fraud", ALICE, "open", "investigating")
    store.transition("C1", "fraud", ALICE, "investigating", "confirmed_fraud")
    store.transition("C1", "fraud", ALICE, "confirmed_fraud", "recovering")
    for bad, message in (("-3", "zero or more"), ("ten", "not a number")):
        with pytest.raises(WorkflowError, match=message):
            store.transition("C1", "fraud", ALICE, "recovering", "recovered", amount=bad)
    assert store.count() == 3


def test_events_are_append_only(store):
    store.add_note("C1", ALICE, "first")
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE case_events SET note = 'changed'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM case_events")
    conn.close()
    assert _rows(store.events()) == [(1, "C1", "alice", "note", None, None, "first", None)]


def test_bulk_state_matches_the_fold_of_each_case(store):
    store.transition("A", "leakage", ALICE, "open", "investigating")
    store.assign("A", ALICE, "bob", None)
    store.transition("A", "leakage", BOB, "investigating", "confirmed_leakage")
    store.transition("A", "leakage", BOB, "confirmed_leakage", "recovering")
    store.transition("A", "leakage", BOB, "recovering", "recovered", amount="10.25")
    store.add_note("B", ALICE, "looked")
    store.assign("B", ALICE, "alice", None)
    store.assign("B", ALICE, None, "alice")
    store.transition("C", "fraud", ALICE, "open", "investigating")
    store.transition("C", "fraud", ALICE, "investigating", "false_positive")
    bulk = sorted(store.states_arrow().to_pylist(), key=lambda r: r["case_id"])
    folded = []
    for case_id in ("A", "B", "C"):
        s = derive_state(case_id, store.events(case_id))
        folded.append({"case_id": case_id, "status": s.status, "assignee": s.assignee,
                       "disposition": s.disposition, "recovered": s.recovered, "last_seq": s.last_seq,
                       "last_at": s.last_at})
    assert bulk == folded
    assert [(r["status"], r["assignee"], r["disposition"]) for r in bulk] == [
        ("recovered", "bob", "confirmed_leakage"), ("open", None, None), ("false_positive", None, "false_positive")]


def test_sync_lands_every_event_once(store, tmp_path):
    from jobs.common.config import load_config
    from jobs.common.lake import make_lake

    lake = make_lake(load_config("local", overrides={"lake.root": str(tmp_path / "lh")}), None)
    store.transition("C1", "fraud", ALICE, "open", "investigating")
    first = sync_events(store, lake)
    store.add_note("C1", BOB, "called the customer")
    store.transition("C1", "fraud", BOB, "investigating", "confirmed_fraud")
    second = sync_events(store, lake)
    again = sync_events(store, lake, full=True)
    assert (first.landed, second.landed, again.landed) == (1, 2, 0)
    landed = lake.read_arrow("gold.case_events").sort_by("event_seq")
    expected = store.events_arrow()
    assert landed.to_pylist() == expected.to_pylist()
    assert landed.schema == expected.schema
    assert isinstance(landed, pa.Table)
