"""The malformed corpus: every broken row and file ends where contract v1 says, with its exact reason."""

from __future__ import annotations

import json

import pytest

from . import corpus as C
from .conftest import Ingested, sha256

ROW_CASES = C.row_cases()


def test_the_corpus_is_big_enough() -> None:
    assert len(ROW_CASES) + len(C.BROKEN) >= 20
    assert len({c.id for c in ROW_CASES} | {c.id for c, _ in C.BROKEN}) == len(ROW_CASES) + len(C.BROKEN)


@pytest.mark.parametrize("case", ROW_CASES, ids=[c.id for c in ROW_CASES])
def test_row_is_quarantined_with_every_reason(corpus: Ingested, case: C.RowCase) -> None:
    found = [
        (r["feed"], r["reasons"], r["content_hash"])
        for r in corpus.tables["ops.quarantine"]
        if (r["source_file"], r["line_number"]) == (case.source_file, case.line_number)
    ]
    assert found == [(case.feed, list(case.reasons), sha256(corpus.files[case.source_file]))]


@pytest.mark.parametrize("case", [c for c, _ in C.BROKEN], ids=[c.id for c, _ in C.BROKEN])
def test_file_is_rejected_whole_with_its_reason(corpus: Ingested, case: C.FileCase) -> None:
    logged = [
        (r["feed"], r["status"], r["reason"], r["rows_read"], r["accepted"], r["quarantined"], r["duplicate"],
         r["content_hash"])
        for r in corpus.tables["ops.ingest_log"] if r["source_file"] == case.source_file
    ]
    assert logged == [(case.feed, "rejected", case.reason, 0, 0, 0, 0, sha256(corpus.files[case.source_file]))]
    assert [r for r in corpus.tables[f"bronze.{case.feed}"] if r["source_file"] == case.source_file] == []
    rejected = [(f.source_file, f.reason) for f in corpus.summary.rejected if f.source_file == case.source_file]
    assert rejected == [(case.source_file, case.reason)]


def test_quarantine_holds_exactly_the_declared_rows(corpus: Ingested) -> None:
    got = sorted((r["feed"], r["source_file"], r["line_number"], tuple(r["reasons"]))
                 for r in corpus.tables["ops.quarantine"])
    want = sorted((c.feed, c.source_file, c.line_number, c.reasons) for c in ROW_CASES)
    assert got == want
    assert {r["ingest_run_id"] for r in corpus.tables["ops.quarantine"]} == {corpus.summary.run_id}
    assert {str(r["ingest_date"]) for r in corpus.tables["ops.quarantine"]} == {"2026-11-02"}


def _raw(corpus: Ingested, source_file: str, line: int) -> dict[str, str | None]:
    [row] = [r for r in corpus.tables["ops.quarantine"] if (r["source_file"], r["line_number"]) == (source_file, line)]
    return json.loads(row["raw"])


def test_quarantine_keeps_the_raw_row_as_landed(corpus: Ingested) -> None:
    cases = {c.id: c for c in ROW_CASES}
    service = cases["nu_bad_service"]
    assert _raw(corpus, service.source_file, service.line_number) == {
        "record_id": "q3", "source_system": "msc-a", "service": "fax", "direction": "MO", "msisdn": "491701000001",
        "imsi": None, "imei": None, "cell_id": None, "other_party": "4930111111",
        "start_time": "2026-11-01T10:00:00Z", "duration_s": "60", "volume_bytes": "0", "roaming_plmn": None,
    }
    short = cases["nu_field_count"]
    assert _raw(corpus, short.source_file, short.line_number) == {"_line": "q21,msc-a,voice,MO"}
    typed = cases["pq_negative_volume"]  # Parquet: typed values as contract text, extra column kept
    assert _raw(corpus, typed.source_file, typed.line_number) == {
        "record_id": "p2", "source_system": "pgw-1", "service": "data", "direction": "MO",
        "msisdn": "491701000003", "other_party": None, "start_time": "2026-11-01T10:00:00.000000Z",
        "duration_s": "1200", "volume_bytes": "-1", "apn": "internet",
    }
    comma = cases["bu_comma_decimal"]
    assert _raw(corpus, comma.source_file, comma.line_number)["charge"] == "0,50"
