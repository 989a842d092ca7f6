"""Case workflow: an append-only event log in SQLite; a case's state is derived from its events.

States: ``open`` -> ``investigating`` -> ``confirmed_leakage`` | ``confirmed_fraud`` |
``false_positive``; confirmed -> ``recovering`` -> ``recovered`` (with the amount) or
``written_off``; finished cases -> ``closed``. A case without events is ``open``.

Every action (transition, assignment, note) is one row of ``case_events`` — nothing is updated or
deleted (triggers refuse it). Writers serialise on ``BEGIN IMMEDIATE`` (WAL mode, busy timeout) and
re-derive the case's state *inside* the transaction: a transition from a status the case no longer
has, or an assignment over someone else's, raises :class:`StaleCaseError` and writes nothing.
Notes never conflict. Events are landed in ``gold.case_events`` by :mod:`app.sync`.

Actions: ``transition`` (from_status, to_status, optional note, amount for ``recovered``),
``assign`` (note = the assignee's user name, empty = unassigned), ``note``. Only transitions carry
statuses, so the dispositions the fraud models learn from are the rows with ``action='transition'``
and ``to_status`` in :data:`DISPOSITIONS`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from app.auth import User
from jobs.common.errors import LeaklineError
from jobs.common.lake import arrow_schema
from jobs.common.tables import spec_for

log = logging.getLogger("leakline.app.workflow")

OPEN = "open"
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("investigating",),
    "investigating": ("confirmed_leakage", "confirmed_fraud", "false_positive"),
    "confirmed_leakage": ("recovering", "written_off"),
    "confirmed_fraud": ("recovering", "written_off", "closed"),
    "recovering": ("recovered", "written_off"),
    "recovered": ("closed",),
    "written_off": ("closed",),
    "false_positive": ("closed",),
    "closed": (),
}
STATUSES = tuple(TRANSITIONS)
DISPOSITIONS = ("confirmed_leakage", "confirmed_fraud", "false_positive")
ACTIVE = ("open", "investigating")
KIND_OF = {"confirmed_leakage": "leakage", "confirmed_fraud": "fraud"}
NEEDS_AMOUNT = ("recovered",)
ACTION_LABELS = {
    "investigating": "Start investigation",
    "confirmed_leakage": "Confirm leakage",
    "confirmed_fraud": "Confirm fraud",
    "false_positive": "False positive",
    "recovering": "Start recovery",
    "recovered": "Record recovery",
    "written_off": "Write off",
    "closed": "Close",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS case_events (
    event_seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('transition', 'assign', 'note')),
    from_status TEXT,
    to_status   TEXT,
    note        TEXT,
    amount      TEXT
);
CREATE INDEX IF NOT EXISTS case_events_by_case ON case_events (case_id, event_seq);
CREATE TRIGGER IF NOT EXISTS case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
"""


class WorkflowError(LeaklineError):
    """An action that is not allowed (wrong transition, missing amount, read-only role)."""


class StaleCaseError(WorkflowError):
    """Someone else changed the case first; nothing was written. The message says who and how."""


@dataclass(frozen=True)
class CaseEvent:
    event_seq: int
    case_id: str
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    amount: Decimal | None


@dataclass(frozen=True)
class CaseState:
    """The state derived from a case's events (``open`` and unassigned without any)."""

    case_id: str
    status: str = OPEN
    assignee: str | None = None
    disposition: str | None = None
    recovered: Decimal | None = None
    last_seq: int = 0
    last_at: datetime | None = None
    last_actor: str | None = None

    def allowed(self, kind: str) -> list[str]:
        """Statuses reachable from here for a case of ``kind`` (leakage | fraud)."""
        return [s for s in TRANSITIONS[self.status] if KIND_OF.get(s, kind) == kind]


def derive_state(case_id: str, events: list[CaseEvent]) -> CaseState:
    """Fold events (in event_seq order) into the current state."""
    state = CaseState(case_id)
    for ev in sorted(events, key=lambda e: e.event_seq):
        changes: dict[str, Any] = {"last_seq": ev.event_seq, "last_at": ev.at, "last_actor": ev.actor}
        if ev.action == "transition" and ev.to_status:
            changes["status"] = ev.to_status
            if ev.to_status in DISPOSITIONS:
                changes["disposition"] = ev.to_status
            if ev.to_status == "recovered" and ev.amount is not None:
                changes["recovered"] = (state.recovered or Decimal(0)) + ev.amount
        elif ev.action == "assign":
            changes["assignee"] = ev.note or None
        state = CaseState(**{**state.__dict__, **changes})
    return state


def _parse_amount(amount: Any) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise WorkflowError(f"amount {amount!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise WorkflowError(f"amount must be zero or more, got {amount}")
    return value.quantize(Decimal("0.000001"))


def _row_to_event(row: sqlite3.Row) -> CaseEvent:
    return CaseEvent(
        event_seq=int(row["event_seq"]),
        case_id=row["case_id"],
        at=datetime.fromisoformat(row["at"]),
        actor=row["actor"],
        action=row["action"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        note=row["note"],
        amount=None if row["amount"] is None else Decimal(row["amount"]),
    )


class CaseStore:
    """The transactional case event store: one SQLite connection per thread and process; writers
    serialise on ``BEGIN IMMEDIATE``, so any number of app processes may share the file."""

    def __init__(self, path: str | Path, busy_timeout_s: float = 20.0):
        self.path = Path(path)
        self.busy_timeout_s = float(busy_timeout_s)
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (kept open: closing the last one checkpoints the WAL, ~10 ms)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextlib.contextmanager
    def _write_tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")  # take the write lock before reading the state
        except sqlite3.OperationalError as exc:
            raise WorkflowError(f"the case store is busy ({exc}); try again") from None
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # ----------------------------------------------------------------- reads
    def events(self, case_id: str | None = None, after_seq: int = 0) -> list[CaseEvent]:
        sql = "SELECT * FROM case_events WHERE event_seq > ?"
        params: list[Any] = [after_seq]
        if case_id is not None:
            sql += " AND case_id = ?"
            params.append(case_id)
        rows = self._conn().execute(sql + " ORDER BY event_seq", params).fetchall()
        return [_row_to_event(r) for r in rows]

    def state(self, case_id: str) -> CaseState:
        return derive_state(case_id, self.events(case_id))

    def max_seq(self) -> int:
        return int(self._conn().execute("SELECT coalesce(max(event_seq), 0) FROM case_events").fetchone()[0])

    def count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM case_events").fetchone()[0])

    def events_arrow(self, after_seq: int = 0) -> pa.Table:
        """Events with ``event_seq > after_seq`` as an Arrow table with gold.case_events' schema."""
        rows = [e.__dict__ for e in self.events(after_seq=after_seq)]
        return pa.Table.from_pylist(rows, schema=arrow_schema(spec_for("gold.case_events")))

    def states_arrow(self) -> pa.Table:
        """Current state of every case with events: case_id, status, assignee, disposition,
        recovered, last_seq, last_at (the same fold as :func:`derive_state`, in SQL)."""
        sql = """
        WITH t AS (
            SELECT case_id, to_status, row_number() OVER (PARTITION BY case_id ORDER BY event_seq DESC) rn
            FROM case_events WHERE action = 'transition'),
        d AS (
            SELECT case_id, to_status, row_number() OVER (PARTITION BY case_id ORDER BY event_seq DESC) rn
            FROM case_events WHERE action = 'transition'
              AND to_status IN ('confirmed_leakage', 'confirmed_fraud', 'false_positive')),
        a AS (
            SELECT case_id, note, row_number() OVER (PARTITION BY case_id ORDER BY event_seq DESC) rn
            FROM case_events WHERE action = 'assign'),
        r AS (
            SELECT case_id, group_concat(amount, '|') amounts FROM case_events
            WHERE action = 'transition' AND to_status = 'recovered' AND amount IS NOT NULL GROUP BY case_id),
        m AS (SELECT case_id, max(event_seq) last_seq, max(at) last_at FROM case_events GROUP BY case_id)
        SELECT m.case_id, coalesce(t.to_status, 'open') status, nullif(a.note, '') assignee,
               d.to_status disposition, r.amounts, m.last_seq, m.last_at
        FROM m LEFT JOIN t ON t.case_id = m.case_id AND t.rn = 1
               LEFT JOIN d ON d.case_id = m.case_id AND d.rn = 1
               LEFT JOIN a ON a.case_id = m.case_id AND a.rn = 1
               LEFT JOIN r ON r.case_id = m.case_id
        """
        rows = self._conn().execute(sql).fetchall()
        money = pa.decimal128(18, 6)
        return pa.table(
            {
                "case_id": pa.array([r["case_id"] for r in rows], pa.string()),
                "status": pa.array([r["status"] for r in rows], pa.string()),
                "assignee": pa.array([r["assignee"] for r in rows], pa.string()),
                "disposition": pa.array([r["disposition"] for r in rows], pa.string()),
                "recovered": pa.array(
                    [sum((Decimal(x) for x in r["amounts"].split("|")), Decimal(0)) if r["amounts"] else None
                     for r in rows], money),
                "last_seq": pa.array([r["last_seq"] for r in rows], pa.int64()),
                "last_at": pa.array([datetime.fromisoformat(r["last_at"]) for r in rows],
                                    pa.timestamp("us", tz="UTC")),
            }
        )

    # ----------------------------------------------------------------- writes
    def _insert(self, conn: sqlite3.Connection, case_id: str, actor: User, action: str, *,
                from_status: str | None = None, to_status: str | None = None,
                note: str | None = None, amount: Decimal | None = None) -> CaseEvent:
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        cur = conn.execute(
            "INSERT INTO case_events (case_id, at, actor, action, from_status, to_status, note, amount)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (case_id, at, actor.name, action, from_status, to_status, note,
             None if amount is None else str(amount)),
        )
        row = conn.execute("SELECT * FROM case_events WHERE event_seq = ?", (cur.lastrowid,)).fetchone()
        event = _row_to_event(row)
        log.info("case %s: %s %s by %s (event %d)", case_id, action, to_status or "", actor.name, event.event_seq)
        return event

    def _state_in(self, conn: sqlite3.Connection, case_id: str) -> CaseState:
        rows = conn.execute("SELECT * FROM case_events WHERE case_id = ? ORDER BY event_seq", (case_id,))
        return derive_state(case_id, [_row_to_event(r) for r in rows.fetchall()])

    @staticmethod
    def _check_actor(actor: User) -> None:
        if not actor.can_act:
            raise WorkflowError(f"{actor.name} ({actor.role}) has read-only access and cannot work cases")

    def transition(self, case_id: str, kind: str, actor: User, expected_status: str, to_status: str,
                   *, note: str | None = None, amount: Any = None) -> CaseEvent:
        """Move a case from ``expected_status`` (what the user saw) to ``to_status``."""
        self._check_actor(actor)
        value = _parse_amount(amount)
        if to_status not in STATUSES:
            raise WorkflowError(f"unknown status {to_status!r}")
        if to_status in NEEDS_AMOUNT and value is None:
            raise WorkflowError(f"moving a case to {to_status} needs the amount recovered")
        with self._write_tx() as conn:
            state = self._state_in(conn, case_id)
            if state.status != expected_status:
                raise StaleCaseError(
                    f"case {case_id} is now {state.status} (changed by {state.last_actor} at "
                    f"{state.last_at:%Y-%m-%d %H:%M:%S} UTC), not {expected_status}: your change to "
                    f"{to_status} was not applied — review the refreshed case"
                )
            if to_status not in state.allowed(kind):
                allowed = ", ".join(state.allowed(kind)) or "none"
                raise WorkflowError(
                    f"a {kind} case cannot move from {state.status} to {to_status} (allowed: {allowed})"
                )
            return self._insert(conn, case_id, actor, "transition", from_status=state.status,
                                to_status=to_status, note=(note or "").strip() or None, amount=value)

    def assign(self, case_id: str, actor: User, assignee: str | None, expected_assignee: str | None) -> CaseEvent:
        """Assign (or unassign with None); refused if the assignee changed since the user looked."""
        self._check_actor(actor)
        with self._write_tx() as conn:
            state = self._state_in(conn, case_id)
            if state.assignee != expected_assignee:
                raise StaleCaseError(
                    f"case {case_id} was assigned to {state.assignee or 'nobody'} by {state.last_actor} "
                    f"in the meantime: your assignment was not applied — review the refreshed case"
                )
            return self._insert(conn, case_id, actor, "assign", note=assignee or None)

    def add_note(self, case_id: str, actor: User, note: str) -> CaseEvent:
        """Append a note; notes never conflict with other actions."""
        self._check_actor(actor)
        text = (note or "").strip()
        if not text:
            raise WorkflowError("a note cannot be empty")
        with self._write_tx() as conn:
            return self._insert(conn, case_id, actor, "note", note=text)
