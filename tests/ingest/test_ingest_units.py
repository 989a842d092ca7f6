"""Units of ingestion: column rules, the row transforms, file rules, line numbering and the summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.errors import AnalysisException
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.ingest import files as landed
from jobs.ingest import rules as R
from jobs.ingest.feeds import DECIMAL, FEEDS, Col
from jobs.ingest.read import read_landed
from jobs.ingest.summary import FeedTotals, FileResult, IngestSummary
from jobs.ingest.transform import Rules, check_column, classify, repeated_keys, seen_keys, validate_rows

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
ISO = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"


def one_column(spark: Any, values: list[str | None], name: str = "v") -> Any:
    return spark.createDataFrame([(v,) for v in values], f"{name} string")


# ------------------------------------------------------------------------------------------- rules
def test_timestamps_need_an_offset_and_become_utc(spark: Any) -> None:
    values = ["2026-11-01T13:45:10+01:00", "2026-11-01T23:30:00-02:00", "2026-11-01T12:45:10.123456789Z",
              "2024-02-29T00:00:00Z", "2026-11-01T12:45:10", "2026-11-01 12:45:10Z", "2026-02-29T00:00:00Z",
              "2026-11-01T12:45Z", "yesterday", None]
    df = one_column(spark, values).select(
        "v", F.date_format(R.parse_timestamp(F.col("v")), ISO).alias("utc"),
        R.utc_date(R.parse_timestamp(F.col("v"))).alias("day"))
    assert [tuple(r) for r in df.collect()] == [
        ("2026-11-01T13:45:10+01:00", "2026-11-01T12:45:10.000000Z", date(2026, 11, 1)),
        ("2026-11-01T23:30:00-02:00", "2026-11-02T01:30:00.000000Z", date(2026, 11, 2)),
        ("2026-11-01T12:45:10.123456789Z", "2026-11-01T12:45:10.123456Z", date(2026, 11, 1)),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z", date(2024, 2, 29)),
        *[(v, None, None) for v in values[4:]],
    ]


@pytest.mark.parametrize(("text", "reasons", "value"), [
    ("0.24", [], Decimal("0.240000")),
    ("12", [], Decimal("12.000000")),
    ("0.1000000", [], Decimal("0.100000")),  # trailing zeros are not precision
    ("-0.00", [], Decimal("0")),
    ("0.1234567", ["too_many_decimals: charge='0.1234567' (max 6)"], None),
    ("-1.5", ["negative: charge='-1.5'"], None),
    ("1,5", ["bad_decimal: charge='1,5'"], None),
    (".5", ["bad_decimal: charge='.5'"], None),
    ("1e3", ["bad_decimal: charge='1e3'"], None),
    ("1234567890123", ["bad_decimal: charge='1234567890123' (out of range)"], None),
    (None, ["missing_required: charge"], None),
])
def test_money_rules(spark: Any, text: str | None, reasons: list[str], value: Decimal | None) -> None:
    typed, checks = check_column(Col("charge", DECIMAL), Rules(now=NOW))
    row = one_column(spark, [text], "charge").select(
        typed.alias("typed"), F.array_compact(F.array(*checks)).alias("reasons")).first()
    assert row["reasons"] == reasons
    if not reasons:
        assert row["typed"] == value


def test_e164_and_prefix_patterns() -> None:
    import re

    e164, prefix = re.compile(R.e164_re(3, 15)), re.compile(R.prefix_re(15))
    assert [bool(e164.match(v)) for v in ["491701234567", "112", "12", "0491701", "+4917", "1" * 16]] == [
        True, True, False, False, False, False]
    assert [bool(prefix.match(v)) for v in ["4", "4930", "0", "44a"]] == [True, True, False, False]


# ------------------------------------------------------------------------------------------- transforms
DEST = FEEDS["destinations"]
DEST_IN = "source_file string, line_number long, content_hash string, raw string, field_error string, " \
          "prefix string, zone string, description string, risk string"


def test_validate_rows_types_and_explains(spark: Any) -> None:
    rows = spark.createDataFrame([
        ("d.csv", 2, "h", "{}", None, "49", "national", None, "normal"),
        ("d.csv", 3, "h", "{}", None, "+49", None, "x", "medium"),
        ("d.csv", 4, "h", "{}", "bad_field_count: 2 fields, header has 4", "49", None, None, None),
    ], DEST_IN)
    out = validate_rows(rows, DEST, Rules(now=NOW)).select("line_number", "prefix", "zone", "reasons")
    expected = spark.createDataFrame([
        (2, "49", "national", []),
        (3, "+49", None, ["bad_e164: prefix='+49'", "missing_required: zone", "bad_enum: risk='medium'"]),
        (4, "49", None, ["bad_field_count: 2 fields, header has 4"]),
    ], "line_number long, prefix string, zone string, reasons array<string>")
    assertDataFrameEqual(out, expected)


def test_validate_rows_needs_every_contract_column(spark: Any) -> None:
    rows = spark.createDataFrame([("d.csv", 2, "h", "{}", None, "49")],
                                 "source_file string, line_number long, content_hash string, raw string, "
                                 "field_error string, prefix string")
    with pytest.raises(AnalysisException, match="zone"):
        validate_rows(rows, DEST, Rules(now=NOW)).collect()


# The job's path (only repeated keys ranked, silver cut to the keys of the delivery) and the plain one
# (every row ranked, the whole of silver) must decide exactly the same.
PRESELECT = pytest.mark.parametrize("preselect", [False, True], ids=["all-rows", "job-path"])


def _classify(checked: Any, feed: Any, existing: Any = None, preselect: bool = False) -> Any:
    if not preselect:
        return classify(checked, feed, existing)
    cut = seen_keys(existing, checked, feed) if existing is not None else None
    return classify(checked, feed, cut, repeated_keys(checked, feed))


@PRESELECT
def test_classify_keeps_the_first_of_each_key(spark: Any, preselect: bool) -> None:
    feed = FEEDS["billed_usage"]
    checked = spark.createDataFrame([
        ("b/2.csv", 2, "e1", []), ("b/1.csv", 9, "e1", []), ("b/1.csv", 3, "e1", ["x"]),
        ("b/1.csv", 4, "e2", []), ("b/1.csv", 5, "e3", []), ("b/1.csv", 6, "e4", []),
    ], "source_file string, line_number long, event_id string, reasons array<string>")
    existing = spark.createDataFrame([("e3", "old.csv", 2), ("e4", "b/1.csv", 6)],
                                     "event_id string, source_file string, line_number long")
    out = _classify(checked, feed, existing, preselect).select("source_file", "line_number", "outcome", "to_write")
    assertDataFrameEqual(out, spark.createDataFrame([
        ("b/1.csv", 9, "accepted", True),  # first valid e1 by (file, line): b/1.csv < b/2.csv
        ("b/2.csv", 2, "duplicate", False),
        ("b/1.csv", 3, "quarantined", False),  # invalid rows never take part in the key race
        ("b/1.csv", 4, "accepted", True),
        ("b/1.csv", 5, "duplicate", False),  # already in silver from another delivery
        ("b/1.csv", 6, "accepted", False),  # in silver from this very line: an interrupted run wrote it
    ], "source_file string, line_number long, outcome string, to_write boolean"))


@PRESELECT
def test_snapshot_duplicates_are_per_delivery(spark: Any, preselect: bool) -> None:
    checked = spark.createDataFrame([("s/1.csv", 2, "49", []), ("s/2.csv", 2, "49", []), ("s/2.csv", 3, "49", [])],
                                    "source_file string, line_number long, prefix string, reasons array<string>")
    out = _classify(checked, DEST, preselect=preselect).select("source_file", "line_number", "outcome")
    assertDataFrameEqual(out, spark.createDataFrame(
        [("s/1.csv", 2, "accepted"), ("s/2.csv", 2, "accepted"), ("s/2.csv", 3, "duplicate")],
        "source_file string, line_number long, outcome string"))


# ------------------------------------------------------------------------------------------- files
def _checked(tmp_path: Path, rel: str, data: bytes, feed: str = "destinations", chunk: int = 4) -> landed.LandedFile:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    item = landed.landed_file(tmp_path, path, feed, chunk)
    return landed.check(item, FEEDS[feed], chunk, 1024)


def test_utf8_is_checked_across_chunk_boundaries(tmp_path: Path) -> None:
    good = "prefix,zone,description,risk\n49,national,Düsseldorf – Köln,normal\n".encode()
    assert _checked(tmp_path, "destinations/good.csv", good).reason is None  # multi-byte chars split by 4-byte chunks
    bad = good.replace("ö".encode(), b"\xf6")
    at = bad.index(b"\xf6")
    assert _checked(tmp_path, "destinations/bad.csv", bad).reason == (
        f"bad_encoding: not UTF-8 (invalid byte 0xf6 at byte {at})")
    truncated = good[: good.index("ö".encode()) + 1]
    assert _checked(tmp_path, "destinations/cut.csv", truncated).reason == (
        f"bad_encoding: not UTF-8 (truncated character at byte {len(truncated) - 1})")


def test_header_rules(tmp_path: Path) -> None:
    cases = {
        "prefix,zone,,risk\n1,a,b,normal\n": "bad_header: empty column name at position 3",
        "\ufeff prefix , zone,risk\r\n1,a,normal\r\n": None,  # BOM and spaces around names are fine
        "prefix,zone,risk": "empty_file: header only",
        "\n\r\n": "empty_file: no header and no rows",
        "zone,risk\n": "missing_column: prefix",
    }
    got = {text: _checked(tmp_path, f"destinations/{i}.csv", text.encode()).reason for i, text in enumerate(cases)}
    assert got == cases
    assert _checked(tmp_path, "destinations/ok.csv", b"prefix,zone,risk\n1,a,normal\n").columns == [
        "prefix", "zone", "risk"]


def test_discovery_order_and_skipped_names(tmp_path: Path) -> None:
    for rel in ["f/b/2.csv", "f/a.csv", "f/_SUCCESS", "f/.x.csv", "f/_tmp/c.csv", "f/b/1.csv", "g/z.csv"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in landed.discover(tmp_path, "f")]
    assert found == ["f/a.csv", "f/b/1.csv", "f/b/2.csv"]
    assert landed.discover(tmp_path, "missing") == []
    assert [landed.file_format(n) for n in ["a.csv", "A.CSV", "a.csv.gz", "a.CSV.gz", "a.csv.GZ", "a.parquet",
                                            "a.json"]] == ["csv", "csv", "csv.gz", "csv.gz", None, "parquet", None]


# ------------------------------------------------------------------------------------------- reading
def test_line_numbers_are_physical_across_file_splits(spark: Any, tmp_path: Path) -> None:
    """Small splits force each file into many partitions; every row keeps its physical line number."""
    lines = ["prefix,zone,description,risk"]
    lines += ["" if i % 7 == 0 else f'{i},z{i},"d, {i}",normal' for i in range(1, 800)]
    texts = {"destinations/a.csv": "\r\n".join(lines) + "\r\n", "destinations/b/c.csv": "\n".join(lines[:30])}
    items = [_checked(tmp_path, rel, text.encode(), chunk=1 << 16) for rel, text in texts.items()]
    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "2048")
    try:
        df = read_landed(spark, items, DEST)
        assert df.rdd.getNumPartitions() > 4
        got = sorted((r.source_file, r.line_number, r.prefix, r.description) for r in df.collect())
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)
    want = sorted((rel, n, line.split(",")[0], f"d, {line.split(',')[0]}")
                  for rel, text in texts.items() for n, line in enumerate(text.splitlines(), 1) if n > 1 and line)
    assert got == want


# ------------------------------------------------------------------------------------------- summary
def test_summary_lines() -> None:
    summary = IngestSummary("ingest-1", "/landing", NOW, seconds=2.0)
    summary.files = [
        FileResult("network_usage", "network_usage/a.csv", "h1", "ingested", None, 1200, 1000, 150, 50, True),
        FileResult("network_usage", "network_usage/b.csv.gz", "h2", "rejected", "corrupt_file: unreadable gzip stream",
                   logged=True),
    ]
    summary.feeds = {"network_usage": FeedTotals("network_usage", seconds=2.0)}
    for f in summary.files:
        summary.feeds["network_usage"].add(f)
    assert summary.lines() == [
        "ingest ingest-1: /landing (2.0s)",
        "feed           files  new  skipped  rejected   read  accepted  quarantined  duplicate  rows/s",
        "network_usage      2    1        0         1  1,200     1,000          150         50     600",
        "total              2    1        0         1  1,200     1,000          150         50",
        "rejected files (1):",
        "  network_usage/b.csv.gz: corrupt_file: unreadable gzip stream",
    ]
    assert all(f.balanced for f in summary.files)
