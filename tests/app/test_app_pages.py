"""Every page through streamlit.testing.v1.AppTest on a copy of the demo lakehouse."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.auth import User
from tests.app.conftest import APP, PASSWORD

PAGES = ["app_pages/overview.py", "app_pages/queue.py", "app_pages/case.py", "app_pages/quality.py",
         "app_pages/models.py"]
MASKED = re.compile(r"^\+?\d{5}\*+\d{2}$")


def open_app(app_env, user: str | None = None, page: str | None = None, case_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user:
        at.session_state["auth_user"] = app_env.user(user)
    if case_id:
        at.session_state["case_id"] = case_id
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def all_text(at: AppTest) -> str:
    """Every string the page shows: markdown, captions, metrics, badges and dataframe cells."""
    parts = [str(e.value) for kind in ("markdown", "caption", "title", "subheader", "header", "error", "info",
                                       "success", "warning") for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    for df in at.dataframe:
        parts += [str(v) for v in df.value.astype(str).to_numpy().ravel()]
    return "\n".join(parts)


def test_sign_in_is_required(app_env):
    at = open_app(app_env)
    assert not at.dataframe and charts(at) == 0
    at.text_input(key="signin_name").input("alice")
    at.text_input(key="signin_password").input("wrong-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Unknown user name or wrong password."]
    assert "auth_user" not in at.session_state
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["auth_user"] == User("alice", "analyst", True, True)
    assert [t.value for t in at.title] == ["Overview"]
    assert charts(at) >= 5


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_data(app_env, page):
    case_id = app_env.demo.cases[0]["case_id"] if page.endswith("case.py") else None
    at = open_app(app_env, "alice", page, case_id)
    text = all_text(at)
    if page.endswith("overview.py"):
        assert [m.label for m in at.metric] == ["Leakage detected", "Open money at risk", "Confirmed", "Recovered",
                                                "Fraud alerts"]
        assert charts(at) >= 5
    elif page.endswith("queue.py"):
        shown = at.dataframe[0].value
        assert sorted(shown["case_id"]) == sorted(c["case_id"] for c in app_env.demo.cases)
        assert len(at.get("download_button")) == 1
    elif page.endswith("case.py"):
        assert app_env.demo.cases[0]["title"] in text
        assert charts(at) >= 1 and len(at.dataframe) >= 3  # side by side, network records, billed events
    elif page.endswith("quality.py"):
        assert "Quarantined" in [m.label for m in at.metric] and charts(at) == 2
        assert "msisdn_not_e164" in text
    else:
        assert "**champion · challenger**" not in text
        assert "**champion** — version 1" in text and "**challenger** — version 2" in text
        assert [(m.label, m.value, m.delta) for m in at.metric if m.label == "Feature PSI (worst)"] == [
            ("Feature PSI (worst)", "0.310", "retraining suggested")]


def test_queue_filters_act(app_env):
    at = open_app(app_env, "alice", "app_pages/queue.py")
    at.multiselect(key="queue_kind").set_value(["fraud"]).run()
    fraud = sorted(c["case_id"] for c in app_env.demo.cases if c["kind"] == "fraud")
    assert sorted(at.dataframe[0].value["case_id"]) == fraud
    at.multiselect(key="queue_priority").set_value([1]).run()
    assert sorted(at.dataframe[0].value["case_id"]) == sorted(
        c["case_id"] for c in app_env.demo.cases if c["kind"] == "fraud" and c["priority"] == 1)
    at.multiselect(key="queue_kind").set_value([]).run()
    at.multiselect(key="queue_priority").set_value([]).run()
    at.selectbox(key="queue_size").set_value(25).run()
    first = list(at.dataframe[0].value["case_id"])
    at.get("pagination")[0].set_value(2).run()
    second = list(at.dataframe[0].value["case_id"])
    assert len(first) == 25 and len(second) == len(app_env.demo.cases) - 25
    assert sorted(first + second) == sorted(c["case_id"] for c in app_env.demo.cases)
    at.text_input(key="queue_search").input(app_env.demo.msisdn_case[-6:].lower()).run()
    assert list(at.dataframe[0].value["case_id"]) == [app_env.demo.msisdn_case]


def test_status_change_and_note_write_events(app_env):
    case = next(c for c in app_env.demo.cases if c["kind"] == "fraud")
    at = open_app(app_env, "alice", "app_pages/case.py", case["case_id"])
    at.text_area(key="case_action_note").input("looks like a SIM box")
    at.button(key="case_to_investigating").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Case moved from open to investigating."]
    at.text_area(key="case_note").input("called the dealer")
    at.button(key="case_add_note").click().run()
    at.button(key="case_assign_me").click().run()
    events = [(e.event_seq, e.case_id, e.actor, e.action, e.from_status, e.to_status, e.note)
              for e in app_env.store.events()]
    assert events == [
        (1, case["case_id"], "alice", "transition", "open", "investigating", "looks like a SIM box"),
        (2, case["case_id"], "alice", "note", None, None, "called the dealer"),
        (3, case["case_id"], "alice", "assign", None, None, "alice"),
    ]
    landed = app_env.lake.read_arrow("gold.case_events").sort_by("event_seq").to_pylist()
    assert landed == app_env.store.events_arrow().to_pylist()
    # the allowed next steps for a fraud case are offered; leakage-only ones are not
    keys = {b.key for b in at.button if b.key and b.key.startswith("case_to_")}
    assert keys == {"case_to_confirmed_fraud", "case_to_false_positive"}


def test_stale_transition_is_rejected_with_a_refreshed_view(app_env):
    case = next(c for c in app_env.demo.cases if c["kind"] == "leakage")
    at = open_app(app_env, "alice", "app_pages/case.py", case["case_id"])  # alice sees it open
    app_env.store.transition(case["case_id"], "leakage", app_env.user("bob"), "open", "investigating")
    at.button(key="case_to_investigating").click().run()  # alice acts on what she saw
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert f"case {case['case_id']} is now investigating (changed by bob" in error and "not applied" in error
    assert [(e.actor, e.to_status) for e in app_env.store.events()] == [("bob", "investigating")]
    keys = {b.key for b in at.button if b.key and b.key.startswith("case_to_")}
    assert keys == {"case_to_confirmed_leakage", "case_to_false_positive"}  # refreshed: now investigating


def test_viewer_cannot_act_and_sees_masked_numbers(app_env):
    numbers = {s["msisdn"] for s in app_env.demo.subscribers}
    numbers |= {s["imsi"] for s in app_env.demo.subscribers} | {s["imei"] for s in app_env.demo.subscribers}
    case = app_env.demo.msisdn_case
    for page in PAGES:
        at = open_app(app_env, "vera", page, case)
        text = all_text(at)
        leaked = sorted(n for n in numbers if n in text)
        assert not leaked, f"{page} shows {leaked[:3]}"
        if page.endswith("queue.py"):
            subjects = [s for s in at.dataframe[0].value["subject"] if "|" not in s]
            assert subjects and all(MASKED.match(s) for s in subjects)
        if page.endswith("case.py"):
            assert not [b for b in at.button if (b.key or "").startswith(("case_to_", "case_assign", "case_add"))]
            assert "Read-only: your role (viewer) cannot work cases." in text
            msisdn = next(c["subject"] for c in app_env.demo.cases if c["case_id"] == case)
            assert f"{msisdn[:5]}{'*' * (len(msisdn) - 7)}{msisdn[-2:]}" in text
    analyst_text = all_text(open_app(app_env, "alice", "app_pages/queue.py"))
    assert any(n in analyst_text for n in numbers)  # the same page unmasked for an analyst


def test_models_page_measures_precision_from_dispositions(app_env):
    demo, store, alice = app_env.demo, app_env.store, app_env.user("alice")
    confirmed = next(c for c in demo.cases if c["category"] == "simbox")
    rejected = next(c for c in demo.cases if c["category"] == "wangiri")
    for case, outcome in ((confirmed, "confirmed_fraud"), (rejected, "false_positive")):
        store.transition(case["case_id"], "fraud", alice, "open", "investigating")
        store.transition(case["case_id"], "fraud", alice, "investigating", outcome)
    at = open_app(app_env, "alice", "app_pages/models.py")
    table = at.dataframe[-1].value if "precision" in at.dataframe[-1].value else None
    tables = [d.value for d in at.dataframe if "precision" in d.value.columns and "model_version" in d.value.columns]
    (table,) = tables
    assert table[["model_name", "model_version", "confirmed_fraud", "false_positive", "precision"]].to_dict(
        "records") == [
        {"model_name": "leakline-fraud", "model_version": "1", "confirmed_fraud": 0, "false_positive": 1,
         "precision": 0.0},
        {"model_name": "leakline-fraud", "model_version": "2", "confirmed_fraud": 1, "false_positive": 0,
         "precision": 1.0},
    ]
    assert charts(at) == 2  # most drifted features, alert scores per day


def test_models_page_without_a_registry(app_env):
    shutil.rmtree(app_env.root / "mlflow")
    at = open_app(app_env, "alice", "app_pages/models.py")
    assert any("No model registered yet" in i.value for i in at.info)
    assert not (app_env.root / "mlflow").exists()  # reading never creates a tracking store


def test_empty_lakehouse_says_what_to_run(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("LEAKLINE_LAKEHOUSE", str(tmp_path / "empty"))
    for page in PAGES:
        at = open_app(app_env, "alice", page)
        assert not at.exception
    at = open_app(app_env, "alice", "app_pages/queue.py")
    assert any("No cases yet" in i.value for i in at.info)
    assert isinstance(pd.DataFrame(), pd.DataFrame)
