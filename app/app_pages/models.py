"""Models: champion and challenger from the MLflow registry, precision measured from analyst
dispositions, and drift of the alert scores."""

from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt
import pandas as pd
import pyarrow.compute as pc
import streamlit as st

from app import data, model_registry, ui

s, user = ui.require_user()
ui.header("Models", "Fraud models in the MLflow registry, their measured precision and score drift.")

with st.spinner("Reading the MLflow registry…"):
    reg = data.registry(s.mlflow_uri, s.mlflow_registry_uri, s.mlflow_experiment)
if reg["error"]:
    st.warning(f"The MLflow registry at `{reg['uri']}` could not be read: {reg['error']}")
elif not reg["models"]:
    st.info("No model registered yet — train one with `leakline fraud train` (or `leakline pipeline`).",
            icon=":material/info:")

for model in reg["models"]:
    st.markdown(f"### {model['name']}")
    if model["description"]:
        st.caption(model["description"])
    versions = model["versions"]
    if not versions:
        st.caption("No version holds the champion or challenger alias.")
        continue
    cols = st.columns(max(len(versions), 2))
    for col, v in zip(cols, versions, strict=False):
        with col, st.container(border=True):
            title = " · ".join(sorted(v["aliases"], key=lambda a: (a != "champion", a)))
            created = datetime.fromtimestamp(v["created"] / 1000).strftime("%Y-%m-%d %H:%M") if v["created"] else ""
            st.markdown(f"**{title}** — version {v['version']}")
            st.caption(f"registered {created} · run {v['run_id'] or '—'}")
            metrics = v["metrics"]
            preferred = ("precision_at_budget", "pr_auc", "precision", "recall", "roc_auc", "f1")
            keys = [k for k in preferred if k in metrics] + [k for k in metrics if k.startswith("recall_")]
            keys = keys or list(metrics)
            mcols = st.columns(max(len(keys[:4]), 1))
            for mc, key in zip(mcols, keys[:4], strict=False):
                mc.metric(key, f"{metrics[key]:.3f}")
            if metrics:
                with st.expander("All metrics and parameters"):
                    st.dataframe(pd.DataFrame({"metric": list(metrics), "value": list(metrics.values())}),
                                 hide_index=True, width="stretch")
                    if v["params"]:
                        st.dataframe(pd.DataFrame({"param": list(v["params"]),
                                                   "value": list(v["params"].values())}),
                                     hide_index=True, width="stretch")

st.markdown("### Precision from analyst dispositions")
alerts = data.read(s.lake_key, "gold.fraud_alerts", ("alert_id", "model_name", "model_version", "score",
                                                     "alert_date", "typology"))
items = data.read(s.lake_key, "gold.case_items", ("case_id", "item_id"), (("kind", "==", "fraud"),))
measured = model_registry.precision_by_version(alerts, items, data.states(s))
if not measured:
    st.caption("No fraud case has been confirmed or marked false positive yet.")
else:
    df = pd.DataFrame(measured)
    st.dataframe(df, hide_index=True, width="stretch", column_config={
        "precision": st.column_config.ProgressColumn("Precision", min_value=0.0, max_value=1.0, format="%.2f")})

st.markdown("### Drift")
drift = reg.get("drift")
if drift:
    warn_at = float(s.get("app.models.psi_warn"))
    started = datetime.fromtimestamp(drift["started"] / 1000).strftime("%Y-%m-%d %H:%M")
    d1, d2 = st.columns([1, 2])
    d1.metric("Feature PSI (worst)", f"{drift['psi_max']:.3f}",
              "retraining suggested" if drift["retrain_suggested"] else "no retraining needed",
              delta_color="inverse" if drift["retrain_suggested"] else "off", delta_arrow="off", border=True,
              help=f"latest drift check, run {drift['run_id']} at {started}")
    if drift["features"]:
        feats = pd.DataFrame(drift["features"])
        d2.altair_chart(alt.Chart(feats, title="Most drifted features").mark_bar().encode(
            x=alt.X("psi:Q", title="PSI"), y=alt.Y("feature:N", sort="-x", title=None),
            color=alt.condition(alt.datum.psi >= warn_at, alt.value("#dc2626"), alt.value("#0f766e")),
            tooltip=["feature", alt.Tooltip("psi:Q", format=".3f")]).properties(height=alt.Step(20)))
else:
    st.caption("No drift check logged in MLflow yet (the fraud scoring run logs one).")
st.markdown("### Alert scores")
if alerts.num_rows == 0:
    st.caption("No alerts scored yet.")
else:
    days = int(s.get("app.models.drift_days"))
    latest = pc.max(alerts["alert_date"]).as_py()
    cut = latest - timedelta(days=days - 1)
    frame = alerts.select(["alert_date", "score", "typology"]).to_pandas()
    current = frame[frame["alert_date"] >= cut]["score"].to_numpy()
    reference = frame[(frame["alert_date"] < cut) & (frame["alert_date"] >= cut - timedelta(days=days))]["score"]
    value = model_registry.psi(reference.to_numpy(), current, int(s.get("app.models.psi_bins")))
    warn, alert_level = float(s.get("app.models.psi_warn")), float(s.get("app.models.psi_alert"))
    c1, c2, c3 = st.columns(3)
    if value is None:
        c1.metric("Score PSI", "—", "needs two periods of alerts", delta_color="off", delta_arrow="off", border=True)
    else:
        verdict = "stable" if value < warn else "watch" if value < alert_level else "drifting"
        c1.metric("Score PSI", f"{value:.3f}", verdict, delta_color="off" if value < warn else "inverse",
                  delta_arrow="off",
                  border=True, help=f"last {days} days vs the {days} before; warn {warn}, alert {alert_level}")
    c2.metric("Alerts (last period)", f"{len(current):,}", border=True)
    c3.metric("Mean score (last period)", f"{current.mean():.3f}" if len(current) else "—", border=True)
    frame["alert_date"] = pd.to_datetime(frame["alert_date"])
    st.altair_chart(alt.Chart(frame, title="Alert scores per day").mark_boxplot(extent="min-max").encode(
        x=alt.X("yearmonthdate(alert_date):O", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
        y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]))), height=240)
