"""What an ingestion run did, per file and per feed, and its one-screen summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# File statuses. The first three are written to ops.ingest_log; already_ingested files are skipped
# without writing anything (that is what makes a re-run idempotent).
INGESTED = "ingested"
REJECTED = "rejected"
SKIPPED_DUPLICATE_FILE = "skipped_duplicate_file"
ALREADY_INGESTED = "already_ingested"


@dataclass
class FileResult:
    """One landed file. ``rows_read == accepted + quarantined + duplicate`` always."""

    feed: str
    source_file: str
    content_hash: str
    status: str
    reason: str | None = None
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicate: int = 0
    logged: bool = False  # a row for it was written to ops.ingest_log by this run

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.accepted + self.quarantined + self.duplicate


@dataclass
class FeedTotals:
    """Counts of one feed in one run."""

    feed: str
    files: int = 0  # found under <landing>/<feed>/
    ingested: int = 0
    skipped: int = 0  # already ingested, or same content as another file of this run
    rejected: int = 0
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicate: int = 0
    written: int = 0  # rows written to silver
    seconds: float = 0.0
    snapshot_file: str | None = None  # snapshots: the delivery now in silver, when this run replaced it

    def add(self, result: FileResult) -> None:
        self.files += 1
        if result.status == INGESTED:
            self.ingested += 1
        elif result.status == REJECTED:
            self.rejected += 1
        else:
            self.skipped += 1
        self.read += result.rows_read
        self.accepted += result.accepted
        self.quarantined += result.quarantined
        self.duplicate += result.duplicate

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class IngestSummary:
    """Returned by :func:`jobs.ingest.job.run_ingest`."""

    run_id: str
    landing: str
    now: datetime
    files: list[FileResult] = field(default_factory=list)
    feeds: dict[str, FeedTotals] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rejected(self) -> list[FileResult]:
        """Files rejected whole (also those rejected by an earlier run and still in the landing)."""
        return [f for f in self.files if f.status == REJECTED]

    def rows(self) -> dict[str, int]:
        """Totals for ops.runs."""
        out = {"files": sum(t.files for t in self.feeds.values()),
               "rejected_files": len(self.rejected)}
        for name in ("read", "accepted", "quarantined", "duplicate"):
            out[name] = sum(getattr(t, name) for t in self.feeds.values())
        return out

    def lines(self) -> list[str]:
        """One screen: one aligned row per feed, a total, then the rejected files."""
        head = ("feed", "files", "new", "skipped", "rejected", "read", "accepted", "quarantined",
                "duplicate", "rows/s")
        rows = [
            (t.feed, t.files, t.ingested, t.skipped, t.rejected, t.read, t.accepted, t.quarantined,
             t.duplicate, int(t.rows_per_second))
            for t in self.feeds.values()
        ]
        total = ["total", *[sum(int(r[i]) for r in rows) for i in range(1, len(head) - 1)], ""]
        table = [head, *rows, tuple(total)]
        widths = [max(len(_fmt(r[i])) for r in table) for i in range(len(head))]

        def render(r: tuple[object, ...]) -> str:
            cells = [_fmt(v).ljust(widths[0]) if i == 0 else _fmt(v).rjust(widths[i]) for i, v in enumerate(r)]
            return "  ".join(cells).rstrip()

        out = [f"ingest {self.run_id}: {self.landing} ({self.seconds:.1f}s)", render(head)]
        out += [render(r) for r in table[1:]]
        for t in self.feeds.values():
            if t.snapshot_file:
                out.append(f"{t.feed}: silver now holds snapshot {t.snapshot_file}")
        if self.rejected:
            out.append(f"rejected files ({len(self.rejected)}):")
            out += [f"  {f.source_file}: {f.reason}" for f in self.rejected]
        return out


def _fmt(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)
