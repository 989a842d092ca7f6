"""The case queue as pure Arrow functions: join cases with their derived state, filter, sort, page.

No Streamlit and no I/O here: :mod:`app.data` feeds it cached tables, the queue page renders the
page it returns, and the benchmark times :func:`app.data.queue_page` on 100,000 cases. Filtering
and sorting are vectorised Arrow compute over the whole table (money compared as Decimal); only the
rows of the requested page are turned into pandas and masked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from app.privacy import MaskPolicy

UNASSIGNED = "(unassigned)"
SORTABLE = ("priority", "amount_at_risk", "last_seen", "first_seen", "score", "item_count", "case_id")
CASE_COLUMNS = (
    "case_id", "kind", "category", "title", "root_cause", "subject", "subject_type", "priority",
    "amount_at_risk", "currency", "item_count", "first_seen", "last_seen", "score", "reasons",
)
STATE_COLUMNS = ("status", "assignee", "disposition", "recovered", "last_seq", "last_at")
DISPLAY_COLUMNS = (
    "case_id", "kind", "category", "priority", "status", "assignee", "subject", "title",
    "amount_at_risk", "currency", "item_count", "first_seen", "last_seen", "score",
)
EXPORT_COLUMNS = (
    "case_id", "kind", "category", "priority", "status", "disposition", "assignee", "subject",
    "subject_type", "title", "root_cause", "amount_at_risk", "currency", "recovered", "item_count",
    "first_seen", "last_seen", "score", "reasons",
)


@dataclass(frozen=True)
class QueueQuery:
    """What the analyst asked for. Empty tuples mean "any"; dates bound ``last_seen`` (inclusive)."""

    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()  # user names; UNASSIGNED for none
    priorities: tuple[int, ...] = ()
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    extra_ids: tuple[str, ...] = ()  # cases matched through their items (msisdn search)
    sort_by: str = "priority"
    descending: bool = False
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class QueuePage:
    total: int
    page: int
    pages: int
    rows: pa.Table  # this page only
    matched: pa.Table  # every matching case (for the export), sorted


def with_state(cases: pa.Table, states: pa.Table) -> pa.Table:
    """``cases`` plus each case's derived state (``open``/unassigned where it has no events)."""
    if states.num_rows == 0:
        n = cases.num_rows
        extra = {
            "status": pa.array(["open"] * n, pa.string()),
            "assignee": pa.nulls(n, pa.string()),
            "disposition": pa.nulls(n, pa.string()),
            "recovered": pa.nulls(n, pa.decimal128(18, 6)),
            "last_seq": pa.nulls(n, pa.int64()),
            "last_at": pa.nulls(n, pa.timestamp("us", tz="UTC")),
        }
        for name, arr in extra.items():
            cases = cases.append_column(name, arr)
        return cases
    joined = cases.join(states.select(["case_id", *STATE_COLUMNS]), "case_id", join_type="left outer",
                        use_threads=True)
    return joined.set_column(
        joined.schema.get_field_index("status"), "status", pc.fill_null(joined["status"], "open")
    )


def _ts(d: date, end: bool) -> pa.Scalar:
    moment = datetime.combine(d, time.max if end else time.min, tzinfo=UTC)
    return pa.scalar(moment, pa.timestamp("us", tz="UTC"))


def _mask(table: pa.Table, q: QueueQuery) -> pa.Array | None:
    conds = []
    if q.kinds:
        conds.append(pc.is_in(table["kind"], pa.array(q.kinds, pa.string())))
    if q.categories:
        conds.append(pc.is_in(table["category"], pa.array(q.categories, pa.string())))
    if q.statuses:
        conds.append(pc.is_in(table["status"], pa.array(q.statuses, pa.string())))
    if q.assignees:
        named = pc.is_in(table["assignee"], pa.array([a for a in q.assignees if a != UNASSIGNED], pa.string()))
        cond = pc.fill_null(named, False)
        if UNASSIGNED in q.assignees:
            cond = pc.or_(cond, pc.is_null(table["assignee"]))
        conds.append(cond)
    if q.priorities:
        conds.append(pc.is_in(table["priority"], pa.array(q.priorities, pa.int32())))
    money = table.schema.field("amount_at_risk").type
    if q.min_amount is not None:
        conds.append(pc.greater_equal(table["amount_at_risk"], pa.scalar(Decimal(q.min_amount), money)))
    if q.max_amount is not None:
        conds.append(pc.less_equal(table["amount_at_risk"], pa.scalar(Decimal(q.max_amount), money)))
    if q.date_from is not None:
        conds.append(pc.greater_equal(table["last_seen"], _ts(q.date_from, end=False)))
    if q.date_to is not None:
        conds.append(pc.less_equal(table["last_seen"], _ts(q.date_to, end=True)))
    term = q.search.strip()
    if term:
        hit = pc.match_substring(table["case_id"], term, ignore_case=True)
        for col in ("subject", "title"):
            hit = pc.or_(hit, pc.fill_null(pc.match_substring(table[col], term, ignore_case=True), False))
        if q.extra_ids:
            hit = pc.or_(hit, pc.is_in(table["case_id"], pa.array(q.extra_ids, pa.string())))
        conds.append(hit)
    if not conds:
        return None
    mask = conds[0]
    for cond in conds[1:]:
        mask = pc.and_(mask, cond)
    return pc.fill_null(mask, False)


def sort_keys(q: QueueQuery) -> list[tuple[str, str, str]]:
    if q.sort_by not in SORTABLE:
        raise ValueError(f"cannot sort by {q.sort_by!r}; choose one of {', '.join(SORTABLE)}")
    order = "descending" if q.descending else "ascending"
    keys = [(q.sort_by, order, "at_end")]
    if q.sort_by != "amount_at_risk":
        keys.append(("amount_at_risk", "descending", "at_end"))
    keys.append(("case_id", "ascending", "at_end"))  # a stable order: the same query shows the same pages
    return keys


def run_query(table: pa.Table, q: QueueQuery) -> QueuePage:
    """Filter, sort and cut one page (``table`` from :func:`with_state`)."""
    mask = _mask(table, q)
    matched = table if mask is None else table.filter(mask)
    matched = matched.sort_by(sort_keys(q))
    size = max(int(q.page_size), 1)
    pages = max((matched.num_rows + size - 1) // size, 1)
    page = min(max(int(q.page), 1), pages)
    return QueuePage(matched.num_rows, page, pages, matched.slice((page - 1) * size, size), matched)


def to_display(rows: pa.Table, policy: MaskPolicy, columns: tuple[str, ...] = DISPLAY_COLUMNS) -> pd.DataFrame:
    """A masked pandas frame of a few rows for st.dataframe (Decimal money kept exact)."""
    df = rows.select([c for c in columns if c in rows.column_names]).to_pandas()
    if "assignee" in df.columns:
        df["assignee"] = df["assignee"].fillna("")
    return policy.frame(df)


def export_csv(matched: pa.Table, policy: MaskPolicy, max_rows: int) -> bytes:
    """CSV of the filtered list for recovery teams, masked like the screen, at most ``max_rows``."""
    cols = [c for c in EXPORT_COLUMNS if c in matched.column_names]
    buf = io.StringIO()
    step = 20000
    for start in range(0, min(matched.num_rows, max_rows), step):
        chunk = matched.slice(start, min(step, max_rows - start)).select(cols).to_pandas()
        policy.frame(chunk).to_csv(buf, index=False, header=start == 0)
    if matched.num_rows == 0:
        pd.DataFrame(columns=cols).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def facets(table: pa.Table) -> dict[str, list[str]]:
    """Distinct values for the filter widgets."""
    def distinct(col: str) -> list[str]:
        return sorted(v for v in pc.unique(table[col]).to_pylist() if v is not None)

    return {"kind": distinct("kind"), "category": distinct("category"), "assignee": distinct("assignee")}
