"""run_ingest end to end on the corpus: exact silver, exact accounting, idempotent re-runs, later deliveries."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from jobs.ingest.job import Settings, run_ingest

from . import corpus as C
from .conftest import TABLES, Ingested, new_ctx, rows, sha256, snapshot

LINEAGE = ("source_file", "line_number")
SILVER = {
    "silver.network_usage": ("record_id", "source_system", "service", "direction", "msisdn", "imsi", "imei",
                             "cell_id", "other_party", "start_time", "duration_s", "volume_bytes", "roaming_plmn",
                             "usage_date", *LINEAGE),
    "silver.billed_usage": ("event_id", "source_record_id", "msisdn", "service", "other_party", "start_time",
                            "billed_duration_s", "billed_volume_bytes", "plan_id", "charge", "currency",
                            "bill_cycle", "usage_date", *LINEAGE),
    "silver.subscribers": ("msisdn", "imsi", "account_id", "customer_type", "payment_type", "plan_id", "status",
                           "activated_at", "terminated_at", *LINEAGE),
    "silver.destinations": ("prefix", "zone", "description", "risk", *LINEAGE),
    "silver.tariffs": ("plan_id", "service", "zone", "price_per_unit", "unit", "increment", "included_units",
                       "effective_from", "effective_to", *LINEAGE),
}
EXPECTED_SILVER = {
    "silver.network_usage": C.NETWORK_ROWS,
    "silver.billed_usage": C.BILLED_ROWS,
    "silver.subscribers": C.SUBSCRIBER_ROWS,
    "silver.destinations": C.DESTINATION_ROWS,
    "silver.tariffs": C.TARIFF_ROWS,
}


def silver(tables: dict[str, list[dict[str, Any]]], name: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(r[c] for c in SILVER[name]) for r in tables[name]), key=repr)


def log_rows(tables: dict[str, list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
    keys = ("feed", "source_file", "content_hash", "status", "reason", "rows_read", "accepted", "quarantined",
            "duplicate")
    return sorted(tuple(r[k] for k in keys) for r in tables["ops.ingest_log"])


def expected_log(deliveries: list[Any], files: dict[str, bytes], broken: list[Any] = ()) -> list[tuple[Any, ...]]:
    out = [(d.feed, d.source_file, sha256(files[d.source_file]), "ingested", None, *d.counts()) for d, _ in deliveries]
    out += [(c.feed, c.source_file, sha256(files[c.source_file]), "rejected", c.reason, 0, 0, 0, 0) for c in broken]
    return sorted(out)


@pytest.mark.parametrize("name", list(SILVER))
def test_silver_holds_exactly_the_valid_rows(corpus: Ingested, name: str) -> None:
    assert silver(corpus.tables, name) == sorted(EXPECTED_SILVER[name], key=repr)
    assert {r["ingest_run_id"] for r in corpus.tables[name]} == {corpus.summary.run_id}


def test_ingest_log_accounts_for_every_file(corpus: Ingested) -> None:
    copy_of = "network_usage/2026-11-01/msc.csv"
    want = expected_log(C.deliveries(), corpus.files, [c for c, _ in C.BROKEN])
    want.append(("network_usage", C.COPY, sha256(corpus.files[C.COPY]), "skipped_duplicate_file",
                 f"duplicate_file: same content as {copy_of}", 0, 0, 0, 0))
    assert log_rows(corpus.tables) == sorted(want)
    assert {(str(r["ingested_at"]), r["ingest_run_id"]) for r in corpus.tables["ops.ingest_log"]} == {
        ("2026-11-02 12:00:00+00:00", corpus.summary.run_id)}


def test_counts_conserve_per_file(corpus: Ingested) -> None:
    bronze = Counter(r["source_file"] for t in TABLES if t.startswith("bronze.") for r in corpus.tables[t])
    quarantined = Counter(r["source_file"] for r in corpus.tables["ops.quarantine"])
    in_silver = Counter(r["source_file"] for t in SILVER for r in corpus.tables[t])
    superseded = {"subscribers/2026-10-31/subscribers.csv"}  # an older snapshot: valid, but not in silver
    for r in corpus.tables["ops.ingest_log"]:
        name = r["source_file"]
        assert r["rows_read"] == r["accepted"] + r["quarantined"] + r["duplicate"], name
        assert r["rows_read"] == bronze[name], name
        assert r["quarantined"] == quarantined[name], name
        assert r["accepted"] == in_silver[name] or (name in superseded and in_silver[name] == 0), name
    # every bronze line is unique and points back to its file
    lines = [(r["source_file"], r["line_number"]) for t in TABLES if t.startswith("bronze.") for r in corpus.tables[t]]
    assert len(lines) == len(set(lines))


def test_summary_matches_the_log(corpus: Ingested) -> None:
    summary = corpus.summary
    logged = sorted((f.feed, f.source_file, f.content_hash, f.status, f.reason, f.rows_read, f.accepted,
                     f.quarantined, f.duplicate) for f in summary.files if f.logged)
    assert logged == log_rows(corpus.tables)
    totals = {name: (t.read, t.accepted, t.quarantined, t.duplicate, t.rejected) for name, t in summary.feeds.items()}
    assert totals == {
        "subscribers": (8, 5, 2, 1, 1), "destinations": (5, 3, 2, 0, 1), "tariffs": (5, 3, 2, 0, 1),
        "network_usage": (37, 9, 25, 3, 12), "billed_usage": (12, 3, 8, 1, 1),
    }
    text = "\n".join(summary.lines())
    assert "network_usage/bad/latin1.csv: bad_encoding" in text
    assert summary.rows() == {"files": 26, "rejected_files": 16, "read": 67, "accepted": 23, "quarantined": 39,
                              "duplicate": 5}


def test_hidden_and_unknown_files_are_not_read(corpus: Ingested) -> None:
    names = {r["source_file"] for r in corpus.tables["ops.ingest_log"]}
    assert not [n for n in names if "_SUCCESS" in n or ".partial" in n or n.startswith("unknown_feed")]


@pytest.fixture(scope="module")
def rerun(corpus: Ingested) -> Any:
    """The same landing ingested a second time."""
    return run_ingest(corpus.ctx, str(corpus.landing), now=C.NOW)


def test_rerun_changes_no_table(corpus: Ingested, rerun: Any) -> None:
    assert snapshot(corpus.ctx) == corpus.tables
    statuses = Counter(f.status for f in rerun.files)
    assert statuses == {"already_ingested": 10, "rejected": 16}
    assert not [f for f in rerun.files if f.logged]
    assert sorted((f.source_file, f.reason) for f in rerun.rejected) == sorted(
        (c.source_file, c.reason) for c, _ in C.BROKEN)


@pytest.fixture(scope="module")
def later(corpus: Ingested, rerun: Any) -> Any:
    """A second delivery: keys already in silver, a newer subscriber snapshot, an older destinations one."""
    written = {d.source_file: C.write_delivery(corpus.landing, d, layout) for d, layout in C.second_delivery()}
    corpus.files.update(written)
    return run_ingest(corpus.ctx, str(corpus.landing), now=C.LATER)


def test_later_delivery_appends_events_and_skips_known_keys(corpus: Ingested, later: Any) -> None:
    tables = {name: rows(corpus.ctx, name) for name in SILVER}
    assert silver(tables, "silver.network_usage") == sorted(C.NETWORK_ROWS + C.NETWORK_ROWS_LATER, key=repr)
    assert silver(tables, "silver.billed_usage") == sorted(C.BILLED_ROWS + C.BILLED_ROWS_LATER, key=repr)


def test_newest_snapshot_wins(corpus: Ingested, later: Any) -> None:
    tables = {name: rows(corpus.ctx, name) for name in SILVER}
    assert silver(tables, "silver.subscribers") == C.SUBSCRIBER_ROWS_LATER  # the newer delivery replaced silver
    assert silver(tables, "silver.destinations") == sorted(C.DESTINATION_ROWS, key=repr)  # late, older: no effect
    assert silver(tables, "silver.tariffs") == sorted(C.TARIFF_ROWS, key=repr)  # nothing new


def test_later_delivery_is_accounted(corpus: Ingested, later: Any) -> None:
    new = [r for r in rows(corpus.ctx, "ops.ingest_log") if r["ingest_run_id"] == later.run_id]
    keys = ("feed", "source_file", "content_hash", "status", "reason", "rows_read", "accepted", "quarantined",
            "duplicate")
    assert sorted(tuple(r[k] for k in keys) for r in new) == expected_log(C.second_delivery(), corpus.files)
    assert not [f for f in later.files if f.status == "ingested" and f.source_file not in {
        d.source_file for d, _ in C.second_delivery()}]


def _without_run(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The tables without what differs between two runs of the same landing at the same time: the run id."""
    return {name: sorted(({k: v for k, v in r.items() if k != "ingest_run_id"} for r in table), key=repr)
            for name, table in tables.items()}


def test_a_large_delivery_is_kept_on_disk_with_the_same_outcome(corpus: Ingested, spark: Any, tmp_path: Any,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """Above ``ingest.large_delivery_bytes`` the checked rows are kept with ``large_storage_level``
    (DISK_ONLY, so they need not fit in memory): every table comes out as with the in-memory default."""
    landing = tmp_path / "landing"
    C.write_landing(landing)
    ctx = new_ctx(spark, tmp_path, **{"ingest.large_delivery_bytes": 0})
    settings = Settings.from_config(ctx.cfg["ingest"])
    assert (settings.storage_level, settings.large_storage_level) == ("MEMORY_AND_DISK", "DISK_ONLY")
    with caplog.at_level("INFO", logger="leakline.ingest"):
        run_ingest(ctx, str(landing), now=C.NOW)
    kept = [r.getMessage() for r in caplog.records if "checked rows kept DISK_ONLY" in r.getMessage()]
    assert len(kept) == 5, kept  # every feed of the corpus
    assert _without_run(snapshot(ctx)) == _without_run(corpus.tables)
    assert sum(len(t) for t in corpus.tables.values()) > 0
