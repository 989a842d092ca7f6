"""``run_ingest``: landing -> bronze -> silver, with quarantine and per-file accounting.

For each feed (``ingest.feeds``, snapshots first):

1. **Files** (driver): find ``<landing>/<feed>/**``, hash each file; a file whose hash is already
   ``ingested`` in ``ops.ingest_log`` is skipped and nothing is written for it. The others go
   through the file-level rules (:mod:`jobs.ingest.files`); a failing file is rejected whole.
2. **Rows** (Spark, all files of the feed in one plan): read, type and check every row
   (:mod:`jobs.ingest.read`, :mod:`jobs.ingest.transform`), pick duplicates — also against silver
   for event feeds — and count outcomes per file (a small collect). The classified rows are
   persisted so every output is cut from the same rows.
3. **Writes**: bronze, then ``ops.quarantine``, then silver (event feeds append; a snapshot feed's
   newest delivery overwrites), and **last** ``ops.ingest_log``. A crash before the log leaves the
   files un-logged: the next run reads them again, skips rows the crashed run already wrote to
   bronze/quarantine (same content hash and line), and the silver duplicate check recognises its
   own rows (same file and line), so no table double counts.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.context import JobContext, new_run_id
from jobs.common.errors import ConfigError, LeaklineError
from jobs.common.frames import materialize, small
from jobs.common.lake import arrow_schema
from jobs.common.tables import spec_for
from jobs.ingest import files as landed
from jobs.ingest.feeds import FEEDS, Feed
from jobs.ingest.read import NANOS_AS_LONG, read_landed
from jobs.ingest.summary import (
    ALREADY_INGESTED,
    INGESTED,
    REJECTED,
    SKIPPED_DUPLICATE_FILE,
    FeedTotals,
    FileResult,
    IngestSummary,
)
from jobs.ingest.transform import (
    Rules,
    bronze_rows,
    classify,
    file_counts,
    quarantine_rows,
    repeated_keys,
    seen_keys,
    silver_rows,
    validate_rows,
)

log = logging.getLogger("leakline.ingest")


@dataclass(frozen=True)
class Settings:
    """The non-rule settings of ``conf/base/ingest.yml``."""

    feeds: tuple[str, ...]
    chunk_bytes: int
    max_header_bytes: int
    storage_level: str
    broadcast_max_rows: int
    large_delivery_bytes: int
    large_storage_level: str

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Settings:
        feeds = tuple(str(f) for f in cfg["feeds"])
        unknown = [f for f in feeds if f not in FEEDS]
        if unknown:
            raise ConfigError(f"config key 'ingest.feeds' names unknown feeds {unknown}; feeds are {list(FEEDS)}")
        if str(cfg["csv_encoding"]).lower().replace("-", "") != "utf8":
            raise ConfigError("config key 'ingest.csv_encoding' must be utf-8 (input contract v1)")
        levels = {key: str(cfg[key]) for key in ("storage_level", "large_storage_level")}
        for key, level in levels.items():
            if not hasattr(StorageLevel, level):
                raise ConfigError(f"config key 'ingest.{key}' is not a Spark storage level: {level!r}")
        return cls(feeds, int(cfg["read_chunk_bytes"]), int(cfg["max_header_bytes"]), levels["storage_level"],
                   int(cfg["broadcast_max_rows"]), int(cfg["large_delivery_bytes"]), levels["large_storage_level"])

    def storage_for(self, delivered_bytes: int) -> str:
        """The storage level for the checked rows of a delivery of ``delivered_bytes`` landed bytes."""
        return self.large_storage_level if delivered_bytes > self.large_delivery_bytes else self.storage_level


@dataclass
class History:
    """What ops.ingest_log already says: ingested content per feed, and files already rejected."""

    ingested: set[tuple[str, str]]  # (feed, content_hash)
    rejected: set[tuple[str, str, str, str]]  # (feed, source_file, content_hash, reason)

    @classmethod
    def load(cls, ctx: JobContext) -> History:
        table = ctx.lake.read_arrow("ops.ingest_log", ["feed", "source_file", "content_hash", "status", "reason"])
        rows = table.to_pylist()
        return cls(
            {(r["feed"], r["content_hash"]) for r in rows if r["status"] == INGESTED},
            {(r["feed"], r["source_file"], r["content_hash"], r["reason"]) for r in rows if r["status"] == REJECTED},
        )


def run_ingest(ctx: JobContext, landing: str | None = None, now: datetime | None = None) -> IngestSummary:
    """Ingest every new file under ``landing`` (default ``ingest.landing``); see the module docstring."""
    started = time.monotonic()
    cfg = ctx.cfg.get_path("ingest")
    root = Path(landing or cfg["landing"]).absolute()
    if not root.is_dir():
        raise LeaklineError(f"landing folder {root} does not exist (pass --landing DIR)")
    now = _utc(now or datetime.now(UTC))
    settings = Settings.from_config(cfg)
    rules = Rules.from_config(cfg, now)
    summary = IngestSummary(new_run_id("ingest"), str(root), now)
    log.info("ingest %s: landing %s, feeds %s, now %s", summary.run_id, root, ", ".join(settings.feeds),
             now.isoformat(), extra={"run_id": summary.run_id})
    history = History.load(ctx)
    for name in settings.feeds:
        _ingest_feed(ctx, FEEDS[name], root, rules, settings, history=history, summary=summary)
    summary.seconds = time.monotonic() - started
    log.info("ingest %s done in %.1fs: %s", summary.run_id, summary.seconds, summary.rows(),
             extra={"run_id": summary.run_id, "seconds": round(summary.seconds, 3)})
    return summary


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class _FeedRun:
    """One feed of one run: what every step needs."""

    ctx: JobContext
    feed: Feed
    rules: Rules
    settings: Settings
    run_id: str
    totals: FeedTotals

    @property
    def name(self) -> str:
        return self.feed.name


def _ingest_feed(ctx: JobContext, feed: Feed, root: Path, rules: Rules, settings: Settings,
                 *, history: History, summary: IngestSummary) -> None:
    started = time.monotonic()
    run = _FeedRun(ctx, feed, rules, settings, summary.run_id, FeedTotals(feed.name))
    paths = landed.discover(root, feed.name)
    results: list[FileResult] = []
    to_read: list[landed.LandedFile] = []
    first_of: dict[str, str] = {}  # content hash -> first file of this run with it
    for path in paths:
        item = landed.landed_file(root, path, feed.name, settings.chunk_bytes)
        result = FileResult(feed.name, item.source_file, item.content_hash, INGESTED, logged=True)
        results.append(result)
        if (feed.name, item.content_hash) in history.ingested:
            result.status, result.logged = ALREADY_INGESTED, False
            continue
        landed.check(item, feed, settings.chunk_bytes, settings.max_header_bytes)
        if not item.ok:
            result.status, result.reason = REJECTED, item.reason
            result.logged = (feed.name, item.source_file, item.content_hash, item.reason) not in history.rejected
            log.warning("%s: %s rejected: %s", feed.name, item.source_file, item.reason,
                        extra={"feed": feed.name, "file": item.source_file})
        elif item.content_hash in first_of:
            result.status = SKIPPED_DUPLICATE_FILE
            result.reason = f"duplicate_file: same content as {first_of[item.content_hash]}"
        else:
            first_of[item.content_hash] = item.source_file
            to_read.append(item)
    log.info("%s: %d files found, %d to read (%.1fs)", feed.name, len(paths), len(to_read),
             time.monotonic() - started, extra={"feed": feed.name})
    if to_read:
        counts = _process(run, to_read)
        for result in results:
            if result.status == INGESTED:
                row = counts.get(result.source_file, {})
                for name in ("rows_read", "accepted", "quarantined", "duplicate"):
                    setattr(result, name, int(row.get(name, 0)))
        _check_accounting(results, to_read)
    _write_log(ctx, [r for r in results if r.logged], summary)
    totals = run.totals
    for result in results:
        totals.add(result)
    totals.seconds = time.monotonic() - started
    summary.files += results
    summary.feeds[feed.name] = totals
    log.info("%s: %d rows read, %d accepted, %d quarantined, %d duplicate in %.1fs (%.0f rows/s)",
             feed.name, totals.read, totals.accepted, totals.quarantined, totals.duplicate,
             totals.seconds, totals.rows_per_second,
             extra={"feed": feed.name, "rows": totals.read, "seconds": round(totals.seconds, 3)})


def _process(run: _FeedRun, files: list[landed.LandedFile]) -> dict[str, dict[str, int]]:
    """Read, check, classify and write the rows of ``files``; per-file counts.

    Reading nanosecond Parquet timestamps switches a session setting (see :mod:`jobs.ingest.read`);
    it is put back when the feed is done.
    """
    spark = run.ctx.spark
    before = spark.conf.get(NANOS_AS_LONG, None)
    try:
        return _process_rows(run, files)
    finally:
        if before is None:
            spark.conf.unset(NANOS_AS_LONG)
        else:
            spark.conf.set(NANOS_AS_LONG, before)


def _process_rows(run: _FeedRun, files: list[landed.LandedFile]) -> dict[str, dict[str, int]]:
    started = time.monotonic()
    ctx, feed = run.ctx, run.feed
    delivered = sum(f.size for f in files)
    level_name = run.settings.storage_for(delivered)
    if level_name != run.settings.storage_level:
        log.info("%s: a large delivery (%d bytes): checked rows kept %s", feed.name, delivered, level_name,
                 extra={"feed": feed.name})
    level = getattr(StorageLevel, level_name)
    # Read, parse and check once; bronze, quarantine and silver are cut from the kept rows.
    checked = validate_rows(read_landed(ctx.spark, files, feed), feed, run.rules).persist(level)
    try:
        limit = run.settings.broadcast_max_rows
        # Only keys that repeat need ranking, and only silver rows sharing a key with this delivery can
        # make a row a duplicate: both usually small sets, broadcast to the rows (no shuffle of whole rows).
        repeated = small(materialize(repeated_keys(checked, feed)), limit)
        existing = None
        if not feed.snapshot and ctx.lake.exists(feed.silver_table):
            silver_keys = ctx.read(feed.silver_table).select(*feed.key, "source_file", "line_number")
            existing = small(materialize(seen_keys(silver_keys, checked, feed)), limit)
        classified = classify(checked, feed, existing, repeated)
        counts = {r["source_file"]: r.asDict() for r in file_counts(classified).collect()}
        quarantined = sum(c["quarantined"] for c in counts.values())
        log.info("%s: %d rows read and checked in %.1fs", feed.name, sum(c["rows_read"] for c in counts.values()),
                 time.monotonic() - started, extra={"feed": feed.name})
        ingest_date = run.rules.now.date()
        hashes = [f.content_hash for f in files]
        # Bronze is written first: if it holds none of these files' rows, no later table does either.
        prior = _prior_rows(run, feed.bronze_table, hashes)
        _append(run, bronze_rows(classified, feed, run.run_id, ingest_date), feed.bronze_table, prior)
        if quarantined:
            prior_q = _prior_rows(run, "ops.quarantine", hashes) if prior is not None else None
            _append(run, quarantine_rows(classified, feed, run.run_id, ingest_date), "ops.quarantine", prior_q)
        run.totals.written = sum(c["to_write"] for c in counts.values())
        if feed.snapshot:
            _replace_snapshot(run, classified, max(f.source_file for f in files))
        elif run.totals.written:
            ctx.write(silver_rows(classified, feed, run.run_id), feed.silver_table, mode="append")
    finally:
        checked.unpersist()
    return counts


def _prior_rows(run: _FeedRun, table: str, hashes: list[str]) -> DataFrame | None:
    """``content_hash, line_number`` of rows of these files already in ``table`` (an interrupted run), or None."""
    if not run.ctx.lake.exists(table):
        return None
    prior = (run.ctx.read(table).where((F.col("feed") == run.name) & F.col("content_hash").isin(hashes))
             .select("content_hash", "line_number"))
    if prior.isEmpty():
        return None
    log.warning("%s: %s already holds rows of these files (interrupted run); adding only the rest",
                run.name, table, extra={"feed": run.name, "table": table})
    return prior


def _append(run: _FeedRun, df: DataFrame, table: str, prior: DataFrame | None) -> None:
    """Append ``df``, minus the rows in ``prior`` (same file content and line)."""
    if prior is not None:
        df = df.join(prior, ["content_hash", "line_number"], "left_anti")
    run.ctx.write(df, table, mode="append")


def _replace_snapshot(run: _FeedRun, classified: DataFrame, newest: str) -> None:
    """The newest delivery (by path) replaces silver, unless silver already holds a newer one."""
    ctx, table = run.ctx, run.feed.silver_table
    current = ctx.read(table).agg(F.max("source_file")).first()[0] if ctx.lake.exists(table) else None
    if current is not None and newest < current:
        log.info("%s: silver keeps %s (newer than every file of this run)", run.name, current)
        run.totals.written = 0
        return
    result = ctx.write(silver_rows(classified, run.feed, run.run_id, only_file=newest), table, mode="overwrite")
    run.totals.written, run.totals.snapshot_file = result.rows, newest


def _check_accounting(results: list[FileResult], files: list[landed.LandedFile]) -> None:
    """read = accepted + quarantined + duplicate per file; Parquet rows = the footer's count."""
    footer = {f.source_file: f.num_rows for f in files if f.num_rows is not None}
    for r in results:
        if not r.balanced or (r.source_file in footer and footer[r.source_file] != r.rows_read):
            raise RuntimeError(f"ingest accounting broken for {r.source_file}: {r}")


def _write_log(ctx: JobContext, results: list[FileResult], summary: IngestSummary) -> None:
    if not results:
        return
    rows = [
        {"feed": r.feed, "source_file": r.source_file, "content_hash": r.content_hash, "status": r.status,
         "reason": r.reason, "rows_read": r.rows_read, "accepted": r.accepted, "quarantined": r.quarantined,
         "duplicate": r.duplicate, "ingest_run_id": summary.run_id, "ingested_at": summary.now}
        for r in results
    ]
    schema = arrow_schema(spec_for("ops.ingest_log"))
    ctx.lake.write_arrow(pa.Table.from_pylist(rows, schema=schema), "ops.ingest_log")
