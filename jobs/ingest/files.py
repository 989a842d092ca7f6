"""Landed files on the driver: discovery, content hash, and the file-level rules of contract v1.

Each file is streamed at most twice (hash; then encoding/header/gzip checks), in fixed-size
chunks, never held in memory. A file that fails a rule is rejected whole with one reason
(``"<code>: <message>"``); the first failing rule wins, in the order of docs/data-contract.md.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import logging
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from jobs.ingest.feeds import DATE, DECIMAL, E164, INTEGER, PREFIX, TEXT, TIMESTAMP, Feed

log = logging.getLogger("leakline.ingest")

CSV, CSV_GZ, PARQUET = "csv", "csv.gz", "parquet"


@dataclass
class LandedFile:
    """One file under ``<landing>/<feed>/``: where it is, what it holds, and whether it may be read."""

    feed: str
    path: str  # absolute, normalised local path
    source_file: str  # relative to the landing folder, '/'-separated: the lineage value
    fmt: str | None  # csv | csv.gz | parquet | None (unsupported)
    size: int
    content_hash: str = ""
    reason: str | None = None  # set when the file is rejected whole
    columns: list[str] = field(default_factory=list)  # CSV header / Parquet column names
    arrow_schema: pa.Schema | None = None  # Parquet only
    num_rows: int | None = None  # Parquet only (from the footer)

    @property
    def ok(self) -> bool:
        return self.reason is None


def file_format(name: str) -> str | None:
    """csv | csv.gz | parquet from the file name, else None. '.gz' must be lower case (Hadoop codec)."""
    lower = name.lower()
    if lower.endswith(".csv.gz") and name.endswith(".gz"):
        return CSV_GZ
    if lower.endswith(".csv"):
        return CSV
    if lower.endswith(".parquet"):
        return PARQUET
    return None


def discover(landing: Path, feed: str) -> list[Path]:
    """Every file under ``<landing>/<feed>/`` (any depth), sorted by relative path.

    Names starting with '.' or '_' (``_SUCCESS``, ``.crc``, hidden folders) are skipped, as Spark does.
    """
    root = landing / feed
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        found += [Path(dirpath) / f for f in filenames if not f.startswith((".", "_"))]
    return sorted(found, key=lambda p: p.relative_to(landing).as_posix())


def content_hash(path: Path, chunk_bytes: int) -> str:
    """sha256 of the file's bytes as landed (compressed files: of the compressed bytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def landed_file(landing: Path, path: Path, feed: str, chunk_bytes: int) -> LandedFile:
    """Describe and hash ``path`` (no rule applied yet: see :func:`check`)."""
    item = LandedFile(
        feed=feed, path=os.path.abspath(path), source_file=path.relative_to(landing).as_posix(),
        fmt=file_format(path.name), size=path.stat().st_size,
    )
    item.content_hash = content_hash(path, chunk_bytes)
    return item


def check(item: LandedFile, feed: Feed, chunk_bytes: int, max_header_bytes: int) -> LandedFile:
    """Apply every file-level rule of ``feed``; sets ``item.reason`` when the file is rejected."""
    item.reason = _first_problem(item, feed, chunk_bytes, max_header_bytes)
    return item


def _first_problem(item: LandedFile, feed: Feed, chunk_bytes: int, max_header_bytes: int) -> str | None:
    if item.fmt is None:
        suffix = Path(item.path).suffix or "(none)"
        return f"unsupported_extension: {suffix} (expected .csv, .csv.gz or .parquet)"
    if ":" in item.path:
        return "unsupported_name: ':' in the path (Spark cannot read such files)"
    if item.size == 0:
        return "empty_file: 0 bytes"
    if item.fmt == PARQUET:
        return _check_parquet(item, feed)
    return _check_csv(item, feed, chunk_bytes, max_header_bytes)


# --------------------------------------------------------------------------- CSV
def _check_csv(item: LandedFile, feed: Feed, chunk_bytes: int, max_header_bytes: int) -> str | None:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    first = bytearray()
    header_done = has_data = has_content = False
    offset = 0
    opener: Any = gzip.open if item.fmt == CSV_GZ else open
    try:
        with opener(item.path, "rb") as fh:
            while chunk := fh.read(chunk_bytes):
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = exc.object[exc.start]
                    return f"bad_encoding: not UTF-8 (invalid byte 0x{bad:02x} at byte {offset - pending + exc.start})"
                has_content = has_content or bool(chunk.strip(b"\r\n"))
                if not header_done:
                    first += chunk
                    end = first.find(b"\n")
                    if end >= 0:
                        header_done = True
                        has_data = bool(first[end + 1:].strip(b"\r\n"))
                        del first[end:]
                    elif len(first) > max_header_bytes:
                        return f"bad_header: line 1 is longer than {max_header_bytes} bytes"
                elif not has_data:
                    has_data = bool(chunk.strip(b"\r\n"))
                offset += len(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return f"bad_encoding: not UTF-8 (truncated character at byte {offset - len(decoder.getstate()[0])})"
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        log.warning("%s: unreadable gzip stream: %s", item.source_file, exc)
        return "corrupt_file: unreadable gzip stream"
    if not has_content:
        return "empty_file: no header and no rows"
    header_text = bytes(first).decode("utf-8").lstrip("\ufeff").rstrip("\r")
    if not header_text.strip():
        return "bad_header: line 1 is empty"
    item.columns = [name.strip() for name in next(csv.reader([header_text]))]
    problem = _header_problem(item.columns, feed)
    if problem:
        return problem
    if not has_data:
        return "empty_file: header only"
    return None


def _header_problem(columns: list[str], feed: Feed) -> str | None:
    for position, name in enumerate(columns, start=1):
        if not name:
            return f"bad_header: empty column name at position {position}"
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            return f"bad_header: duplicate column '{name}'"
        seen.add(name)
    missing = [c for c in feed.header_columns if c not in seen]
    if missing:
        return f"missing_column: {', '.join(missing)}"
    return None


# --------------------------------------------------------------------------- Parquet
def _check_parquet(item: LandedFile, feed: Feed) -> str | None:
    try:
        with pq.ParquetFile(item.path) as pf:
            schema, rows = pf.schema_arrow, pf.metadata.num_rows
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for anything unreadable
        log.warning("%s: unreadable Parquet file: %s", item.source_file, exc)
        return "corrupt_file: unreadable Parquet file"
    item.columns, item.arrow_schema, item.num_rows = list(schema.names), schema.remove_metadata(), rows
    problem = _header_problem(item.columns, feed)
    if problem:
        return problem
    for col in feed.columns:
        if col.name in item.columns:
            bad = parquet_type_problem(col.kind, schema.field(col.name).type)
            if bad:
                return f"bad_column_type: {col.name} is {bad}"
    if rows == 0:
        return "empty_file: no rows"
    return None


def parquet_type_problem(kind: str, dtype: pa.DataType) -> str | None:
    """Why a typed Parquet column cannot hold a contract column of ``kind`` (None when it can)."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_null(dtype) or pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return None
    allowed = {
        TEXT: pa.types.is_integer, E164: pa.types.is_integer, PREFIX: pa.types.is_integer,
        INTEGER: lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
        DECIMAL: lambda t: pa.types.is_integer(t) or pa.types.is_decimal(t),
        DATE: pa.types.is_date,
        TIMESTAMP: lambda t: pa.types.is_timestamp(t) and t.tz is not None,
    }
    if kind in allowed and allowed[kind](dtype):
        return None
    if pa.types.is_timestamp(dtype) and dtype.tz is None and kind == TIMESTAMP:
        return f"{dtype} without time zone (contract v1 needs an offset)"
    return f"{dtype} (not usable as {kind})"
