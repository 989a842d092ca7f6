"""Data quality: what each landed file gave (read / accepted / quarantined / duplicate), why rows were
quarantined (with examples), and the recent stage runs."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pyarrow.compute as pc
import streamlit as st

from app import data, ui

s, user = ui.require_user()
policy = ui.mask_policy(s, user)
ui.header("Data quality", "Ingestion accounting per landed file and the reasons rows were quarantined.")

log_t = data.read(s.lake_key, "ops.ingest_log")
quarantine = data.read(s.lake_key, "ops.quarantine", ("feed", "source_file", "line_number", "raw", "reasons",
                                                      "ingest_date"))
runs = data.read(s.lake_key, "ops.runs")
if log_t.num_rows == 0 and quarantine.num_rows == 0 and runs.num_rows == 0:
    ui.no_data("ingestion log", "run `leakline ingest` (or `leakline pipeline`)")
    st.stop()

files = log_t.to_pandas()
if not files.empty:
    totals = files[["rows_read", "accepted", "quarantined", "duplicate"]].sum()
    rejected = int((files["status"] == "rejected").sum())
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Files", f"{len(files):,}", f"{rejected} rejected" if rejected else "none rejected",
              delta_color="inverse" if rejected else "off", delta_arrow="off", border=True)
    c2.metric("Rows read", f"{int(totals['rows_read']):,}", border=True)
    c3.metric("Accepted", f"{int(totals['accepted']):,}",
              f"{totals['accepted'] / max(totals['rows_read'], 1):.2%} of read", delta_color="off",
              delta_arrow="off", border=True)
    c4.metric("Quarantined", f"{int(totals['quarantined']):,}",
              f"{totals['quarantined'] / max(totals['rows_read'], 1):.2%} of read", delta_color="off",
              delta_arrow="off", border=True)
    c5.metric("Duplicates", f"{int(totals['duplicate']):,}", border=True)

    per_feed = files.groupby("feed", as_index=False)[["accepted", "quarantined", "duplicate"]].sum()
    per_feed = per_feed.melt("feed", var_name="outcome", value_name="rows")
    left, right = st.columns([2, 3], gap="medium")
    with left, st.container(border=True):
        st.altair_chart(alt.Chart(per_feed, title="Rows per feed").mark_bar().encode(
            x=alt.X("sum(rows):Q", title="rows", stack="normalize", axis=alt.Axis(format="%")),
            y=alt.Y("feed:N", title=None),
            color=alt.Color("outcome:N", scale=alt.Scale(domain=["accepted", "quarantined", "duplicate"],
                                                         range=["#0f766e", "#dc2626", "#f59e0b"]),
                            legend=alt.Legend(orient="bottom", title=None, columns=2)),
            tooltip=["feed", "outcome", "sum(rows):Q"]).properties(height=alt.Step(34)))
    with right:
        st.markdown("**Ingestion log per file**")
        st.dataframe(files.sort_values("ingested_at", ascending=False), hide_index=True, width="stretch",
                     height=300, column_order=["ingested_at", "feed", "source_file", "status", "rows_read",
                                               "accepted", "quarantined", "duplicate", "reason"],
                     column_config={"ingested_at": st.column_config.DatetimeColumn("Ingested",
                                                                                   format="YYYY-MM-DD HH:mm")})

st.markdown("### Quarantine")
if quarantine.num_rows == 0:
    st.caption("No quarantined rows.")
else:
    parents = pc.list_parent_indices(quarantine["reasons"])
    reasons = pd.DataFrame({
        "feed": pc.take(quarantine["feed"], parents).to_pylist(),
        "reason": pc.list_flatten(quarantine["reasons"]).to_pylist(),
        "row": parents.to_pylist(),
    })
    counts = reasons.groupby(["reason", "feed"], as_index=False).size().rename(columns={"size": "rows"})
    left, right = st.columns([3, 2], gap="medium")
    with left, st.container(border=True):
        st.altair_chart(alt.Chart(counts, title="Quarantine reasons").mark_bar().encode(
            x=alt.X("sum(rows):Q", title="rows"), y=alt.Y("reason:N", sort="-x", title=None),
            color=alt.Color("feed:N", legend=alt.Legend(orient="bottom", title=None, columns=4, labelLimit=200)),
            tooltip=["reason", "feed", "rows"]).properties(height=alt.Step(28)))
    with right:
        st.markdown("**Rows per reason**")
        st.dataframe(counts.sort_values("rows", ascending=False), hide_index=True, width="stretch")
    n_examples = int(s.get("app.quality.examples_per_reason"))
    q_df = quarantine.to_pandas()
    for reason, group in reasons.groupby("reason"):
        rows = q_df.iloc[group["row"].head(n_examples)]
        with st.expander(f"{reason} — {len(group):,} rows"):
            st.dataframe(policy.frame(rows[["feed", "source_file", "line_number", "raw", "ingest_date"]]),
                         hide_index=True, width="stretch")

st.markdown("### Recent runs")
if runs.num_rows == 0:
    st.caption("No runs recorded.")
else:
    r = runs.to_pandas().sort_values("started_at", ascending=False).head(50)
    r["seconds"] = (pd.to_datetime(r["ended_at"]) - pd.to_datetime(r["started_at"])).dt.total_seconds().round(1)
    st.dataframe(r[["started_at", "stage", "status", "seconds", "rows", "message", "run_id"]], hide_index=True,
                 width="stretch", column_config={
                     "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss")})
