"""Case queue: every leakage root cause and fraud case, filtered, sorted, paged and exportable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow.compute as pc
import streamlit as st

from app import case_queue as cq
from app import data, ui
from app.workflow import STATUSES

UNFINISHED = ("open", "investigating", "confirmed_leakage", "confirmed_fraud", "recovering")
SORT_LABELS = {
    "priority": "Priority", "amount_at_risk": "Amount at risk", "last_seen": "Last seen",
    "first_seen": "First seen", "score": "Score", "item_count": "Items", "case_id": "Case id",
}

s, user = ui.require_user()
policy = ui.mask_policy(s, user)
ui.header("Case queue", "Leakage root causes and fraud cases to work. Select a row to open the case.")

view = data.case_view(s)
if view.num_rows == 0:
    ui.no_data("cases")
    st.stop()
facets = cq.facets(view)

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2.2, 1.2, 2.2, 1.4])
    search = c1.text_input("Search", key="queue_search", placeholder="case id, MSISDN, subject or title",
                           help="An MSISDN also finds the leakage cases whose findings concern it.")
    kinds = c2.multiselect("Kind", facets["kind"], key="queue_kind", placeholder="any")
    statuses = c3.multiselect("Status", list(STATUSES), default=list(UNFINISHED), key="queue_status",
                              format_func=lambda v: v.replace("_", " "), placeholder="any")
    priorities = c4.multiselect("Priority", [1, 2, 3, 4], key="queue_priority", placeholder="any",
                                format_func=lambda p: f"P{p}")
    with st.expander("More filters", icon=":material/tune:"):
        d1, d2, d3, d4, d5 = st.columns([2, 1.6, 1, 1, 1.6])
        categories = d1.multiselect("Control / typology", facets["category"], key="queue_category",
                                    placeholder="any")
        assignee_opts = [cq.UNASSIGNED, *sorted(set(facets["assignee"]) | {user.name})]
        assignees = d2.multiselect("Assignee", assignee_opts, key="queue_assignee", placeholder="anyone")
        min_amount = d3.number_input("Min amount", min_value=0.0, value=None, step=100.0, key="queue_min")
        max_amount = d4.number_input("Max amount", min_value=0.0, value=None, step=100.0, key="queue_max")
        days = d5.date_input("Last seen between", value=[], key="queue_dates")

c_sort, c_dir, c_size, c_info = st.columns([1.4, 1, 1, 3.6], vertical_alignment="bottom")
sort_by = c_sort.selectbox("Sort by", list(SORT_LABELS), format_func=SORT_LABELS.get, key="queue_sort")
descending = c_dir.toggle("Descending", value=sort_by in ("amount_at_risk", "score", "last_seen"),
                          key=f"queue_desc_{sort_by}")
sizes = [int(x) for x in s.get("app.queue.page_sizes")]
default_size = int(s.get("app.queue.page_size"))
page_size = c_size.selectbox("Rows per page", sizes, index=sizes.index(default_size) if default_size in sizes
                             else 0, key="queue_size")

date_from = days[0] if isinstance(days, list | tuple) and len(days) >= 1 else None
date_to = days[1] if isinstance(days, list | tuple) and len(days) == 2 else date_from
query = cq.QueueQuery(
    kinds=tuple(kinds), categories=tuple(categories), statuses=tuple(statuses),
    assignees=tuple(assignees), priorities=tuple(priorities),
    min_amount=None if min_amount is None else Decimal(str(min_amount)),
    max_amount=None if max_amount is None else Decimal(str(max_amount)),
    date_from=date_from if isinstance(date_from, date) else None,
    date_to=date_to if isinstance(date_to, date) else None,
    search=search, sort_by=sort_by, descending=descending, page_size=page_size,
)
signature = repr(query)
if st.session_state.get("queue_signature") != signature:  # new filters: back to page 1
    st.session_state["queue_signature"] = signature
    st.session_state.pop("queue_pager", None)
query = cq.QueueQuery(**{**query.__dict__, "page": int(st.session_state.get("queue_pager") or 1)})
result = data.queue_page(s, query)

at_risk = pc.sum(result.matched["amount_at_risk"]).as_py() if result.total else None
currencies = sorted({c for c in result.matched["currency"].unique().to_pylist() if c})
c_info.markdown(
    f"**{result.total:,}** cases · **{ui.money(at_risk, currencies[0] if len(currencies) == 1 else None)}** "
    f"at risk · page {result.page} of {result.pages}"
)

if result.total == 0:
    st.info("No case matches these filters.", icon=":material/filter_alt_off:")
else:
    frame = cq.to_display(result.rows, policy)
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(frame), 720),
        on_select="rerun",
        selection_mode="single-row",
        key=f"queue_table_{result.page}_{st.session_state.get('queue_nonce', 0)}",
        column_config={
            "case_id": st.column_config.TextColumn("Case", width="medium"),
            "kind": st.column_config.TextColumn("Kind", width="small"),
            "category": st.column_config.TextColumn("Control / typology"),
            "priority": st.column_config.NumberColumn("Prio", format="P%d", width="small"),
            "status": st.column_config.TextColumn("Status"),
            "assignee": st.column_config.TextColumn("Assignee"),
            "subject": st.column_config.TextColumn("Subject"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "amount_at_risk": st.column_config.NumberColumn("At risk", format="%.2f"),
            "currency": st.column_config.TextColumn("Cur", width="small"),
            "item_count": st.column_config.NumberColumn("Items", width="small"),
            "first_seen": st.column_config.DatetimeColumn("First seen", format="YYYY-MM-DD HH:mm"),
            "last_seen": st.column_config.DatetimeColumn("Last seen", format="YYYY-MM-DD HH:mm"),
            "score": st.column_config.ProgressColumn("Score", min_value=0.0, max_value=1.0, format="%.2f"),
        },
    )
    selected = event.selection.rows if event is not None and hasattr(event, "selection") else []
    if selected:
        st.session_state["queue_nonce"] = st.session_state.get("queue_nonce", 0) + 1  # fresh selection
        ui.open_case(str(frame.iloc[selected[0]]["case_id"]))

    bottom_left, bottom_mid, bottom_right = st.columns([2.4, 2, 1.4], vertical_alignment="center")
    with bottom_left:
        pick = st.selectbox("Open case", frame["case_id"].tolist(), key="queue_open_pick",
                            label_visibility="collapsed")
    if bottom_mid.button("Open case", icon=":material/open_in_new:", key="queue_open"):
        ui.open_case(str(pick))
    max_rows = int(s.get("app.queue.export_max_rows"))
    matched = result.matched
    bottom_right.download_button(
        f"Export {min(result.total, max_rows):,} rows (CSV)",
        data=lambda: cq.export_csv(matched, policy, max_rows),
        file_name="leakline-cases.csv",
        mime="text/csv",
        icon=":material/download:",
        key="queue_export",
        on_click="ignore",
    )
    if result.pages > 1:
        if int(st.session_state.get("queue_pager") or 1) != result.page:
            st.session_state["queue_pager"] = result.page
        st.pagination(result.pages, key="queue_pager")
