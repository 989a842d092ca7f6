"""Every read the app makes, cached: lake tables through delta-rs/Arrow (no JVM), case state from
the event store, the MLflow registry.

Lake reads are ``st.cache_data`` with ``ttl = app.cache_ttl_s`` and are keyed on the lake (root and
locations), the table, the columns and a filter given as plain tuples, so they are parameterised and
hashable. Case state is keyed on the store's last ``event_seq``: after any action — in this session
or another — the next run sees it. Pages call these functions and never touch the lake themselves.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import streamlit as st

from app import case_queue as q
from app.settings import AppSettings, lake_from_key, load_app_config, resolve
from app.workflow import CaseStore

F = TypeVar("F", bound=Callable[..., Any])
Filter = tuple[tuple[str, str, Any], ...]  # ((column, "==" | "in" | ">=" | "<=", value), ...)
ENV_VARS = ("LEAKLINE_ENV", "LEAKLINE_CONF_DIR", "LEAKLINE_CONF_FILE", "LEAKLINE_LAKEHOUSE",
            "LEAKLINE_CASES_DB", "LEAKLINE_USERS_FILE")


def settings() -> AppSettings:
    """Settings for the current environment variables (cached per distinct environment)."""
    return _settings(tuple(os.environ.get(v, "") for v in ENV_VARS))


@st.cache_resource(show_spinner=False)
def _settings(env: tuple[str, ...]) -> AppSettings:  # env: the cache key
    return resolve(load_app_config())


@st.cache_resource(show_spinner=False)
def _lake(lake_key: str) -> Any:
    return lake_from_key(lake_key)


@st.cache_resource(show_spinner=False)
def store(db_path: str, busy_timeout_s: float) -> CaseStore:
    """The case event store (a connection-like resource: one per process and path)."""
    return CaseStore(db_path, busy_timeout_s)


def case_store(s: AppSettings) -> CaseStore:
    return store(str(s.cases_db), float(s.get("app.db_busy_timeout_s", 20)))


def lake(s: AppSettings) -> Any:
    return _lake(s.lake_key)


def ttl_cached(fn: F) -> F:
    """``st.cache_data`` whose ttl is read from conf on first use (not at import time)."""
    cached: dict[str, Any] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "fn" not in cached:
            ttl = int(settings().cache_ttl_s)
            cached["fn"] = st.cache_data(ttl=ttl, show_spinner=False, max_entries=256)(fn)
        return cached["fn"](*args, **kwargs)

    wrapper.clear = lambda: cached["fn"].clear() if "fn" in cached else None  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _expression(filters: Filter) -> Any:
    expr = None
    for col, op, value in filters:
        field = ds.field(col)
        if op == "==":
            cond = field == value
        elif op == "in":
            cond = field.isin(list(value))
        elif op == ">=":
            cond = field >= value
        elif op == "<=":
            cond = field <= value
        else:
            raise ValueError(f"unknown filter operator {op!r}")
        expr = cond if expr is None else expr & cond
    return expr


@ttl_cached
def read(lake_key: str, name: str, columns: tuple[str, ...] | None = None, filters: Filter = ()) -> pa.Table:
    """One table (or the filtered columns of it) as Arrow; empty with its schema if it is missing."""
    return _lake(lake_key).read_arrow(name, columns=list(columns) if columns else None,
                                      filter_expr=_expression(filters))


@st.cache_data(show_spinner=False, max_entries=16)
def _states(db_path: str, busy_timeout_s: float, max_seq: int) -> pa.Table:
    return store(db_path, busy_timeout_s).states_arrow()


def states(s: AppSettings) -> pa.Table:
    """Derived state of every case with events (fresh: keyed on the store's last event_seq)."""
    st_ = case_store(s)
    return _states(str(st_.path), st_.busy_timeout_s, st_.max_seq())


def cases(s: AppSettings) -> pa.Table:
    return read(s.lake_key, "gold.cases", q.CASE_COLUMNS)


def case_view(s: AppSettings) -> pa.Table:
    """Every case with its current status, assignee, disposition and recovered amount."""
    return q.with_state(cases(s), states(s))


@ttl_cached
def cases_for_number(lake_key: str, number: str) -> tuple[str, ...]:
    """Cases whose findings or alerts concern ``number`` (msisdn search reaches inside cases)."""
    lk = _lake(lake_key)
    findings = lk.read_arrow("gold.leakage_findings", columns=["finding_id"],
                             filter_expr=ds.field("msisdn") == number)
    alerts = lk.read_arrow("gold.fraud_alerts", columns=["alert_id"], filter_expr=ds.field("subject") == number)
    ids = pa.concat_arrays([findings["finding_id"].combine_chunks(), alerts["alert_id"].combine_chunks()])
    if len(ids) == 0:
        return ()
    items = lk.read_arrow("gold.case_items", columns=["case_id"], filter_expr=ds.field("item_id").isin(ids))
    return tuple(sorted(set(items["case_id"].to_pylist())))


def queue_page(s: AppSettings, query: q.QueueQuery) -> q.QueuePage:
    """The queue page for ``query``: the function the benchmark times on 100,000 cases."""
    term = query.search.strip()
    if term.lstrip("+").isdigit() and len(term) >= 6:
        query = q.QueueQuery(**{**query.__dict__, "extra_ids": cases_for_number(s.lake_key, term.lstrip("+"))})
    return q.run_query(case_view(s), query)


def events_table(s: AppSettings) -> pa.Table:
    """All case events (for KPIs: confirmations and recoveries over time)."""
    return case_store(s).events_arrow()


def latest_day(table: pa.Table, column: str) -> date | None:
    if table.num_rows == 0:
        return None
    value = pc.max(table[column]).as_py()
    return value.date() if hasattr(value, "date") else value


@ttl_cached
def registry(uri: str, registry_uri: str, experiment: str) -> dict[str, Any]:
    """Registered models with their champion/challenger versions and run metrics, and the latest
    drift run of ``experiment`` (see app.model_registry)."""
    from app.model_registry import read_registry

    return read_registry(uri, registry_uri, experiment)


def clear() -> None:
    """Forget cached lake reads (the sidebar's refresh button)."""
    read.clear()  # type: ignore[attr-defined]
    cases_for_number.clear()  # type: ignore[attr-defined]
    registry.clear()  # type: ignore[attr-defined]
