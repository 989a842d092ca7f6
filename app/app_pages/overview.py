"""Overview: leakage and fraud at a glance — money at risk, confirmed, recovered; trends and breakdowns."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import case_queue as cq
from app import data, kpis, ui

s, user = ui.require_user()
policy = ui.mask_policy(s, user)
ui.header("Overview", "Revenue leakage and fraud exposure, from the latest reconciliation and scoring runs.")

kpi = data.read(s.lake_key, "gold.kpi_daily")
view = data.case_view(s)
alerts = data.read(s.lake_key, "gold.fraud_alerts", ("alert_id", "typology", "alert_date", "score"))
events = data.events_table(s)
if kpi.num_rows == 0 and view.num_rows == 0:
    ui.no_data("KPIs or cases")
    st.stop()

leak = kpis.leakage_by_day(kpi)
latest = max([d for d in (data.latest_day(kpi, "usage_date"), data.latest_day(alerts, "alert_date"),
                          data.latest_day(view, "last_seen")) if d is not None], default=None)
choices = [int(c) for c in s.get("app.overview.period_choices")]
default_days = int(s.get("app.overview.period_days"))
left, right = st.columns([3, 2], vertical_alignment="bottom")
days = right.segmented_control("Period", choices, default=default_days if default_days in choices else choices[0],
                               format_func=lambda d: f"{d} days", key="overview_days") or default_days
period = kpis.period_ending(latest, int(days))
left.caption(f"This period: **{period.start} → {period.end}** (vs {period.previous.start} → {period.previous.end})")
head = kpis.headline(leak, view, alerts, events, period)
currencies = sorted({c for c in view["currency"].unique().to_pylist() if c}) if view.num_rows else []
cur = currencies[0] if len(currencies) == 1 else None

delta = head.leakage - head.leakage_before
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Leakage detected", ui.money(head.leakage, cur), f"{ui.money(delta)} vs previous", delta_color="inverse",
          border=True, help="Sum of gold.kpi_daily leakage in the period")
c2.metric("Open money at risk", ui.money(head.open_at_risk, cur), f"{head.open_cases:,} open cases",
          delta_color="off", delta_arrow="off", border=True, help="Cases still open or under investigation")
c3.metric("Confirmed", ui.money(head.confirmed, cur), f"{head.confirmed_cases:,} cases", delta_color="off",
          delta_arrow="off",
          border=True, help="Amount at risk of cases confirmed as leakage or fraud")
c4.metric("Recovered", ui.money(head.recovered, cur), f"{ui.money(head.recovered_period)} this period",
          border=True, help="Amounts recorded when cases were moved to recovered")
c5.metric("Fraud alerts", f"{head.alerts:,}", f"{head.alerts - head.alerts_before:+,} vs previous",
          delta_color="inverse", border=True)

row1_left, row1_right = st.columns([3, 2], gap="medium")
with row1_left, st.container(border=True):
    if leak.empty:
        ui.no_data("daily leakage KPIs")
    else:
        chart = leak.assign(leakage=ui.to_float(leak["leakage"]), usage_date=pd.to_datetime(leak["usage_date"]))
        st.altair_chart(
            alt.Chart(chart, title="Leakage per day by control").mark_bar().encode(
                x=alt.X("yearmonthdate(usage_date):O", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
                y=alt.Y("sum(leakage):Q", title="leakage"),
                color=alt.Color("control:N", legend=alt.Legend(orient="bottom", title=None, columns=4, labelLimit=200)),
                tooltip=["usage_date:T", "control", alt.Tooltip("sum(leakage):Q", format=",.2f")]),
            height=300)
with row1_right, st.container(border=True):
    by_cat = kpis.at_risk_by_category(view)
    if by_cat.empty:
        st.caption("No open cases.")
    else:
        st.altair_chart(
            alt.Chart(by_cat, title="Open money at risk by control / typology").mark_bar().encode(
                x=alt.X("amount:Q", title="amount at risk"), y=alt.Y("category:N", sort="-x", title=None),
                color=alt.Color("kind:N", scale=alt.Scale(domain=["leakage", "fraud"], range=["#0f766e", "#7c3aed"]),
                                legend=alt.Legend(orient="bottom", title=None, columns=4, labelLimit=200)),
                tooltip=["kind", "category", "cases", alt.Tooltip("amount:Q", format=",.2f")]
            ).properties(height=alt.Step(26)))

row2 = st.columns(3, gap="medium")
with row2[0], st.container(border=True):
    if not leak.empty:
        svc = leak[kpis.Period.contains(period, leak["usage_date"])]
        svc = svc.groupby("service", as_index=False)["leakage"].sum()
        svc["leakage"] = ui.to_float(svc["leakage"])
        st.altair_chart(alt.Chart(svc, title="Leakage by service (period)").mark_arc(innerRadius=55).encode(
            theta="leakage:Q",
            color=alt.Color("service:N", legend=alt.Legend(orient="bottom", title=None, columns=4, labelLimit=200)),
            tooltip=["service", alt.Tooltip("leakage:Q", format=",.2f")]), height=260)
with row2[1], st.container(border=True):
    by_day = kpis.alerts_by_day(alerts)
    if by_day.empty:
        st.caption("No fraud alerts.")
    else:
        by_day["alert_date"] = pd.to_datetime(by_day["alert_date"])
        st.altair_chart(alt.Chart(by_day, title="Fraud alerts per day by typology").mark_bar().encode(
            x=alt.X("yearmonthdate(alert_date):O", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
            y=alt.Y("sum(alerts):Q", title="alerts"),
            color=alt.Color("typology:N", legend=alt.Legend(orient="bottom", title=None, columns=4, labelLimit=200)),
            tooltip=["alert_date:T", "typology", "sum(alerts):Q"]), height=260)
with row2[2], st.container(border=True):
    statuses = kpis.cases_by_status(view)
    st.altair_chart(alt.Chart(statuses, title="Cases by status").mark_bar().encode(
        x=alt.X("sum(cases):Q", title="cases"), y=alt.Y("status:N", sort="-x", title=None),
        color=alt.Color("kind:N", scale=alt.Scale(domain=["leakage", "fraud"], range=["#0f766e", "#7c3aed"]),
                        legend=alt.Legend(orient="bottom", title=None, columns=4, labelLimit=200)),
        tooltip=["kind", "status", "cases"]).properties(height=alt.Step(30)))

outcomes = kpis.outcomes_over_time(events)
if not outcomes.empty:
    with st.container(border=True):
        outcomes["day"] = pd.to_datetime(outcomes["day"])
        st.altair_chart(alt.Chart(outcomes, title="Analyst outcomes per day").mark_bar().encode(
            x=alt.X("yearmonthdate(day):O", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
            y=alt.Y("sum(cases):Q", title="cases"),
            color=alt.Color("outcome:N", scale=alt.Scale(domain=["confirmed", "false_positive", "recovered"],
                                                         range=["#dc2626", "#94a3b8", "#16a34a"]),
                            legend=alt.Legend(orient="bottom", title=None, columns=4, labelLimit=200)),
            tooltip=["day:T", "outcome", "cases", alt.Tooltip("amount:Q", format=",.2f")]), height=200)

st.markdown("### Biggest open cases")
top = kpis.biggest_open(view, int(s.get("app.overview.top_cases")))
if top.num_rows == 0:
    st.caption("No open cases.")
else:
    frame = cq.to_display(top, policy, ("case_id", "kind", "category", "priority", "status", "subject", "title",
                                        "amount_at_risk", "currency", "last_seen"))
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "amount_at_risk": st.column_config.NumberColumn("At risk", format="%.2f"),
        "priority": st.column_config.NumberColumn("Prio", format="P%d"),
        "last_seen": st.column_config.DatetimeColumn("Last seen", format="YYYY-MM-DD HH:mm")})
    pick_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    pick = pick_col.selectbox("Open one of these cases", frame["case_id"].tolist(), key="overview_pick")
    if button_col.button("Open case", icon=":material/open_in_new:", key="overview_open"):
        ui.open_case(str(pick))
