"""The queue's filtering, sorting, paging and export against plain-Python expectations."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from app import case_queue as cq
from app.privacy import MaskPolicy
from app.settings import resolve


def _view(app_env):
    store = app_env.store
    store.transition(app_env.demo.msisdn_case, "leakage", app_env.user("alice"), "open", "investigating")
    store.assign(app_env.demo.msisdn_case, app_env.user("alice"), "bob", None)
    cases = app_env.lake.read_arrow("gold.cases", columns=list(cq.CASE_COLUMNS))
    return cq.with_state(cases, store.states_arrow())


def _expected(cases, keep, key, reverse=False):
    rows = sorted((c for c in cases if keep(c)), key=lambda c: c["case_id"])
    rows = sorted(rows, key=lambda c: -c["amount_at_risk"])
    return [c["case_id"] for c in sorted(rows, key=key, reverse=reverse)]


def test_filters_sort_and_pages(app_env):
    view = _view(app_env)
    cases = app_env.demo.cases
    fraud = cq.run_query(view, cq.QueueQuery(kinds=("fraud",), page_size=1000))
    assert fraud.matched["case_id"].to_pylist() == _expected(cases, lambda c: c["kind"] == "fraud",
                                                             key=lambda c: c["priority"])
    rich = cq.run_query(view, cq.QueueQuery(min_amount=Decimal("1.5"), max_amount=Decimal("400"),
                                            sort_by="amount_at_risk", descending=True, page_size=1000))
    assert rich.matched["case_id"].to_pylist() == [
        c["case_id"] for c in sorted(cases, key=lambda c: (-c["amount_at_risk"], c["case_id"]))
        if Decimal("1.5") <= c["amount_at_risk"] <= Decimal("400")]
    day = date(2024, 3, 2)
    on_day = cq.run_query(view, cq.QueueQuery(date_from=day, date_to=day, sort_by="case_id", page_size=1000))
    assert on_day.matched["case_id"].to_pylist() == sorted(
        c["case_id"] for c in cases if c["last_seen"].date() == day)
    investigating = cq.run_query(view, cq.QueueQuery(statuses=("investigating",), assignees=("bob",)))
    assert investigating.matched["case_id"].to_pylist() == [app_env.demo.msisdn_case]
    unassigned = cq.run_query(view, cq.QueueQuery(assignees=(cq.UNASSIGNED,), page_size=1000))
    assert unassigned.total == len(cases) - 1
    pages = [cq.run_query(view, cq.QueueQuery(page=p, page_size=10)) for p in (1, 2, 3, 9)]
    assert [p.page for p in pages] == [1, 2, 3, 3] and pages[0].pages == 3
    stitched = [case_id for p in pages[:3] for case_id in p.rows["case_id"].to_pylist()]
    assert stitched == cq.run_query(view, cq.QueueQuery(page_size=1000)).matched["case_id"].to_pylist()


def test_search_by_case_id_subject_and_msisdn_inside_cases(app_env):
    from app import data

    view = _view(app_env)
    some = app_env.demo.cases[5]["case_id"]
    assert cq.run_query(view, cq.QueueQuery(search=some.lower())).matched["case_id"].to_pylist() == [some]
    demo = app_env.demo

    def about(number):  # subject or title mention it, or one of the case's findings/alerts concerns it
        items = {f["finding_id"] for f in demo.findings if f["msisdn"] == number}
        items |= {a["alert_id"] for a in demo.alerts if a["subject"] == number}
        via_items = {i["case_id"] for i in demo.items if i["item_id"] in items}
        direct = {c["case_id"] for c in demo.cases if number in (c["subject"] or "") + c["title"]}
        return sorted(via_items | direct)

    s = resolve(app_env.cfg)
    unbilled = next(f["msisdn"] for f in demo.findings if f["control"] == "unbilled_usage")
    for number in (demo.simbox_msisdn, unbilled):
        found = data.queue_page(s, cq.QueueQuery(search=number, sort_by="case_id", page_size=1000))
        assert found.matched["case_id"].to_pylist() == about(number)
    assert len(about(unbilled)) >= 1 and not any(unbilled in c["subject"] for c in demo.cases
                                                 if c["case_id"] in about(unbilled) and c["kind"] == "leakage"
                                                 and c["subject_type"] == "plan_zone")


def test_export_is_masked_for_viewers(app_env):
    view = _view(app_env)
    result = cq.run_query(view, cq.QueueQuery(page_size=5))
    masked = cq.export_csv(result.matched, MaskPolicy(enabled=True), 1000).decode()
    clear = cq.export_csv(result.matched, MaskPolicy(enabled=False), 1000).decode()
    rows = list(csv.DictReader(io.StringIO(clear)))
    assert [r["case_id"] for r in rows] == result.matched["case_id"].to_pylist()
    numbers = {s["msisdn"] for s in app_env.demo.subscribers}
    assert any(n in clear for n in numbers)
    assert not any(n in masked for n in numbers)
    assert re.search(r"49\d{3}\*+\d{2}", masked)
    assert len(list(csv.DictReader(io.StringIO(masked)))) == len(rows)
    capped = cq.export_csv(result.matched, MaskPolicy(enabled=False), 3).decode()
    assert [r["case_id"] for r in csv.DictReader(io.StringIO(capped))] == [r["case_id"] for r in rows[:3]]


def test_queue_without_events_and_bad_sort():
    cases = pa.table({"case_id": ["b", "a"], "kind": ["leakage"] * 2, "priority": pa.array([1, 1], pa.int32()),
                      "amount_at_risk": pa.array([Decimal(1), Decimal(1)], pa.decimal128(18, 6))})
    empty_states = pa.table({"case_id": pa.array([], pa.string())})
    view = cq.with_state(cases, empty_states)
    assert view.select(["case_id", "status"]).to_pylist() == [{"case_id": "b", "status": "open"},
                                                              {"case_id": "a", "status": "open"}]
    with pytest.raises(ValueError, match="cannot sort by 'title'"):
        cq.run_query(view, cq.QueueQuery(sort_by="title"))
