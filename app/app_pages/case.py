"""Case detail: what the case is and why, the evidence, the workflow actions and the audit trail."""

from __future__ import annotations

import html
import json

import altair as alt
import pandas as pd
import streamlit as st

from app import data, evidence, ui
from app.auth import AuthError, UsersFile
from app.sync import try_sync
from app.workflow import ACTION_LABELS, NEEDS_AMOUNT, StaleCaseError, WorkflowError

s, user = ui.require_user()
policy = ui.mask_policy(s, user)
store = data.case_store(s)

if "case" in st.query_params and "case_id" not in st.session_state:
    st.session_state["case_id"] = st.query_params["case"]
case_id = st.session_state.get("case_id")

ui.header("Case detail")
jump_left, _ = st.columns([2, 3])
typed = jump_left.text_input("Case id", value=case_id or "", key="case_jump",
                             placeholder="paste a case id, or open one from the queue")
if typed and typed.strip() != case_id:
    case_id = typed.strip()
    st.session_state["case_id"] = case_id
if not case_id:
    st.info("Open a case from the case queue.", icon=":material/inbox:")
    st.stop()

found = data.read(s.lake_key, "gold.cases", None, (("case_id", "==", case_id),))
if found.num_rows == 0:
    st.error(f"No case {case_id!r} in gold.cases.")
    st.stop()
case = found.to_pylist()[0]
state = store.state(case_id)
st.query_params["case"] = case_id


def _flash(kind: str, text: str) -> None:
    st.session_state["case_flash"] = (kind, text)


def _after_action() -> None:
    if s.get("app.sync_after_action", True):
        problem = try_sync(store, data.lake(s))
        if problem:
            _flash("warning", f"Saved. Landing in gold.case_events deferred ({problem[:120]}); "
                              "`leakline cases sync` will land it.")


def _transition(seen_status: str, to_status: str) -> None:
    note = st.session_state.get("case_action_note", "")
    amount = st.session_state.get("case_action_amount") if to_status in NEEDS_AMOUNT else None
    try:
        store.transition(case_id, case["kind"], user, seen_status, to_status, note=note,
                         amount=None if amount is None else str(amount))
        _flash("success", f"Case moved from {seen_status} to {to_status}.")
        st.session_state["case_action_note"] = ""
        _after_action()
    except StaleCaseError as exc:
        _flash("error", str(exc))
    except WorkflowError as exc:
        _flash("error", str(exc))


def _assign(seen_assignee: str | None, assignee: str | None) -> None:
    try:
        store.assign(case_id, user, assignee, seen_assignee)
        _flash("success", f"Assigned to {assignee}." if assignee else "Unassigned.")
        _after_action()
    except WorkflowError as exc:
        _flash("error", str(exc))


def _note() -> None:
    try:
        store.add_note(case_id, user, st.session_state.get("case_note", ""))
        st.session_state["case_note"] = ""
        _flash("success", "Note added.")
        _after_action()
    except WorkflowError as exc:
        _flash("error", str(exc))


def _esc(value: object) -> str:
    return "—" if value is None or value == "" else html.escape(str(value))


def _reasons(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        return [part.strip() for part in text.split(";") if part.strip()]
    if isinstance(parsed, dict):
        return [f"{k}: {v}" for k, v in parsed.items()]
    if isinstance(parsed, list):
        return [str(p) for p in parsed]
    return [str(parsed)]


flash = st.session_state.pop("case_flash", None)
if flash:
    getattr(st, flash[0])(flash[1])

# ------------------------------------------------------------------ header
st.subheader(policy.text(case["title"]))
badges = st.container(horizontal=True)
with badges:
    st.badge(case["kind"], icon=ui.KIND_ICONS.get(case["kind"]),
             color="violet" if case["kind"] == "fraud" else "blue")
    st.badge(case["category"], color="gray")
    st.badge(f"P{case['priority']}", color="red" if case["priority"] == 1 else "orange" if case["priority"] == 2
             else "gray")
    ui.status_badge(state.status)
    st.badge(f"assignee: {state.assignee or 'nobody'}", icon=":material/person:", color="gray")
m1, m2, m3, m4 = st.columns(4)
m1.metric("Amount at risk", ui.money(case["amount_at_risk"], case["currency"]), border=True)
m2.metric("Items", f"{case['item_count']:,}", border=True)
m3.metric("Score", "—" if case["score"] is None else f"{case['score']:.2f}", border=True)
m4.metric("Recovered", ui.money(state.recovered, case["currency"]), border=True)

main, side = st.columns([2.3, 1], gap="large")
with main:
    with st.container(border=True):
        st.markdown("**Why this case**")
        seen = " → ".join(f"{t:%Y-%m-%d %H:%M}" for t in (case["first_seen"], case["last_seen"]) if t)
        st.markdown(
            f"<div class='ll-kv'><b>Root cause</b><span>{_esc(policy.text(case['root_cause']))}</span>"
            f"<b>Subject</b><span>{_esc(policy.text(case['subject']))} ({_esc(case['subject_type'])})</span>"
            f"<b>Seen</b><span>{seen or '—'}</span><b>Case id</b><span>{case_id}</span></div>",
            unsafe_allow_html=True,
        )
        reasons = _reasons(case["reasons"])
        if reasons:
            st.markdown("\n".join(f"- {html.escape(str(policy.text(r)))}" for r in reasons))

    def read(name, columns=None, filters=()):  # the cached lake read, bound to this lake
        return data.read(s.lake_key, name, None if columns is None else tuple(columns), tuple(filters))

    max_rows = int(s.get("app.evidence.max_rows"))
    st.markdown("#### Evidence")
    if case["kind"] == "leakage":
        ev = evidence.leakage_evidence(read, case_id, max_rows)
        if ev.findings.empty:
            ui.no_data("findings for this case")
        else:
            if ev.truncated:
                st.caption(f"Showing the first {max_rows:,} findings.")
            sbs = policy.frame(ev.side_by_side)
            chart_df = sbs.assign(expected=ui.to_float(sbs["expected_charge"].fillna(0)),
                                  billed=ui.to_float(sbs["billed_charge"].fillna(0)))
            by_day = (chart_df.assign(day=pd.to_datetime(chart_df["start_time"]).dt.date.astype(str))
                      .groupby("day", as_index=False)[["expected", "billed"]].sum()
                      .melt("day", var_name="charge", value_name="amount"))
            st.altair_chart(
                alt.Chart(by_day, title="Expected vs billed charge per day").mark_bar().encode(
                    x=alt.X("day:N", title=None, axis=alt.Axis(labelAngle=0)), xOffset="charge:N",
                    y=alt.Y("amount:Q", title="amount"),
                    color=alt.Color("charge:N", scale=alt.Scale(range=["#0f766e", "#f59e0b"])),
                    tooltip=["day", "charge", alt.Tooltip("amount:Q", format=",.2f")]),
                height=220)
            st.markdown("**Network record vs billed event, per finding**")
            st.dataframe(sbs, hide_index=True, width="stretch", column_config={
                "start_time": st.column_config.DatetimeColumn("Start", format="YYYY-MM-DD HH:mm:ss"),
                "expected_charge": st.column_config.NumberColumn("Expected", format="%.4f"),
                "billed_charge": st.column_config.NumberColumn("Billed", format="%.4f"),
                "amount_at_risk": st.column_config.NumberColumn("At risk", format="%.4f"),
                "currency": st.column_config.TextColumn("Cur"),
                "net_duration_s": st.column_config.NumberColumn("Net secs"),
                "bill_billed_duration_s": st.column_config.NumberColumn("Billed secs"),
                "net_volume_bytes": st.column_config.NumberColumn("Net bytes"),
                "bill_billed_volume_bytes": st.column_config.NumberColumn("Billed bytes")})
            left, right = st.columns(2)
            left.markdown("**Network records**")
            if ev.network.empty:
                left.caption("No network record: billed without usage on the network.")
            else:
                left.dataframe(policy.frame(ev.network), hide_index=True, width="stretch")
            right.markdown("**Billed events**")
            if ev.billed.empty:
                right.caption("No billed event: these records never reached billing.")
            else:
                right.dataframe(policy.frame(ev.billed), hide_index=True, width="stretch")
    else:
        ev_f = evidence.fraud_evidence(read, case_id, subject=case["subject"], subject_type=case["subject_type"],
                                       context_days=int(s.get("app.evidence.fraud_context_days")),
                                       max_rows=max_rows)
        if not ev_f.alerts.empty:
            st.markdown("**Alerts**")
            cols = [c for c in ("typology", "window_start", "window_end", "score", "model_name", "model_version",
                                "reasons", "alert_date") if c in ev_f.alerts.columns]
            st.dataframe(policy.frame(ev_f.alerts[cols]), hide_index=True, width="stretch", column_config={
                "window_start": st.column_config.DatetimeColumn("Window start", format="YYYY-MM-DD HH:mm"),
                "window_end": st.column_config.DatetimeColumn("Window end", format="YYYY-MM-DD HH:mm"),
                "score": st.column_config.ProgressColumn("Score", min_value=0.0, max_value=1.0, format="%.2f")})
        usage = ev_f.usage
        if usage.empty:
            ui.no_data("usage for this subject", "silver.network_usage has no records for it")
        else:
            window = f" {ev_f.window[0]} → {ev_f.window[1]}" if ev_f.window else ""
            st.caption(f"{len(usage):,} network records of the subject ({ev_f.column}){window}.")
            hourly = evidence.calls_per_hour(usage)
            st.altair_chart(
                alt.Chart(hourly, title="Records per hour").mark_bar().encode(
                    x=alt.X("hour:T", title=None), y=alt.Y("sum(records):Q", title="records"),
                    color=alt.Color("service:N"), tooltip=["hour:T", "service", "direction", "records"]),
                height=220)
            left, right = st.columns(2)
            by = "msisdn" if ev_f.column == "other_party" else "other_party"
            dest = evidence.top_destinations(usage, int(s.get("app.evidence.top_destinations")), by)
            dest[by] = [policy.number(v) for v in dest[by]]
            left.altair_chart(
                alt.Chart(dest, title="Top callers" if by == "msisdn" else "Top destinations (outgoing)")
                .mark_bar(color="#0f766e").encode(
                    x=alt.X("records:Q"), y=alt.Y(f"{by}:N", sort="-x", title=None),
                    tooltip=[by, "records", "seconds"]).properties(height=alt.Step(22)))
            per_hour, busiest = evidence.cells(usage, int(s.get("app.evidence.top_cells")))
            right.altair_chart(
                alt.Chart(busiest, title="Busiest cells").mark_bar(color="#6366f1").encode(
                    x=alt.X("records:Q"), y=alt.Y("cell_id:N", sort="-x", title=None),
                    tooltip=["cell_id", "records"]).properties(height=alt.Step(22)))
            if not per_hour.empty:
                st.altair_chart(
                    alt.Chart(per_hour, title="Distinct cells per hour").mark_line(point=True).encode(
                        x=alt.X("hour:T", title=None), y=alt.Y("cells:Q")), height=180)
            with st.expander("Usage records"):
                st.dataframe(policy.frame(usage), hide_index=True, width="stretch")

# ------------------------------------------------------------------ workflow + history
with side:
    with st.container(border=True):
        st.markdown("**Workflow**")
        allowed = state.allowed(case["kind"])
        if not user.can_act:
            st.caption(f"Read-only: your role ({user.role}) cannot work cases.")
        elif not allowed:
            st.caption("This case is closed: no further transitions.")
        else:
            st.text_area("Note for the transition (optional)", key="case_action_note", height=80)
            if any(t in NEEDS_AMOUNT for t in allowed):
                st.number_input(f"Amount recovered ({case['currency'] or ''})", min_value=0.0, value=None,
                                step=1.0, format="%.2f", key="case_action_amount")
            row = st.container(horizontal=True)
            for target in allowed:
                row.button(ACTION_LABELS.get(target, target), key=f"case_to_{target}",
                           type="primary" if target == allowed[0] else "secondary",
                           on_click=_transition, args=(state.status, target))
        if user.can_act:
            st.divider()
            try:
                people = sorted({n for n, _r, _c in UsersFile(s.users_file).list()} | {user.name})
            except AuthError:
                people = [user.name]
            row = st.container(horizontal=True, vertical_alignment="bottom")
            if state.assignee != user.name:
                row.button("Assign to me", icon=":material/person_add:", key="case_assign_me",
                           on_click=_assign, args=(state.assignee, user.name))
            if state.assignee:
                row.button("Unassign", key="case_unassign", on_click=_assign, args=(state.assignee, None))
            others = [p for p in people if p != state.assignee]
            with st.popover("Assign to…", icon=":material/group:"):
                who = st.selectbox("Analyst", others, key="case_assign_who")
                st.button("Assign", key="case_assign_other", on_click=_assign, args=(state.assignee, who))
            st.text_area("Add a note", key="case_note", height=80, placeholder="what you checked, who you called")
            st.button("Add note", icon=":material/edit_note:", key="case_add_note", on_click=_note)

    st.markdown("**History**")
    events = store.events(case_id)
    if not events:
        st.caption("No events yet: the case is open and unassigned.")
    for ev in reversed(events):
        if ev.action == "transition":
            what = f"**{ev.from_status} → {ev.to_status}**".replace("_", " ")
            if ev.amount is not None:
                what += f" · {ui.money(ev.amount, case['currency'])}"
        elif ev.action == "assign":
            what = f"assigned to **{html.escape(ev.note)}**" if ev.note else "unassigned"
        else:
            what = "note"
        with st.container(border=True):
            st.markdown(f"{what}  \n<span class='ll-muted'>#{ev.event_seq} · {ev.at:%Y-%m-%d %H:%M} UTC · "
                        f"{html.escape(ev.actor)}</span>", unsafe_allow_html=True)
            if ev.note and ev.action != "assign":
                st.caption(policy.text(ev.note))
