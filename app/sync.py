"""Land case events from the SQLite store into the lake table ``gold.case_events``.

The merge is idempotent on ``event_seq`` (insert-only: a landed event is never rewritten), so
syncing twice, or after a crash half-way, never duplicates or loses an event. Syncs from several
app processes are serialised by a lock file beside the store (delta-rs commits are optimistic). The
incremental sync lands events past the lake's last ``event_seq`` — complete because SQLite hands
out sequence numbers in commit order; ``full=True`` re-merges every event (repairs any gap).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import pyarrow.compute as pc

from app.auth import file_lock
from app.workflow import CaseStore

log = logging.getLogger("leakline.app.sync")

TABLE = "gold.case_events"


@dataclass(frozen=True)
class SyncResult:
    store_events: int
    lake_events_before: int
    lake_events_after: int
    landed: int
    seconds: float

    def lines(self) -> list[str]:
        return [
            f"case events in the store: {self.store_events}",
            f"{TABLE}: {self.lake_events_before} -> {self.lake_events_after} events "
            f"({self.landed} landed, {self.seconds:.2f}s)",
        ]


def _lake_seqs(lake: Any) -> Any:
    return lake.read_arrow(TABLE, columns=["event_seq"])["event_seq"]


def sync_events(store: CaseStore, lake: Any, full: bool = False) -> SyncResult:
    """Merge the store's events into ``gold.case_events``; returns what changed."""
    started = time.monotonic()
    with file_lock(store.path.with_name(store.path.name + ".sync.lock")):
        seqs = _lake_seqs(lake)
        before = len(seqs)
        after_seq = 0 if full or before == 0 else int(pc.max(seqs).as_py())
        new = store.events_arrow(after_seq=after_seq)
        if new.num_rows:
            lake.merge(new, TABLE, keys=["event_seq"], update=False)
        after = len(_lake_seqs(lake)) if new.num_rows else before
    result = SyncResult(store.count(), before, after, after - before,
                        time.monotonic() - started)
    log.info("synced case events: %d landed in %s (%.2fs)", result.landed, TABLE, result.seconds)
    return result


def try_sync(store: CaseStore, lake: Any) -> str | None:
    """Sync after an action; a failure is logged and returned, never raised (the event is safe in
    the store and the next sync, or ``leakline cases sync``, lands it)."""
    try:
        sync_events(store, lake)
        return None
    except Exception as exc:
        log.warning("case events not landed in %s yet: %s", TABLE, exc)
        return str(exc)
