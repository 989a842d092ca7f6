"""A run that dies before writing ops.ingest_log is simply run again: nothing is counted twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobs.ingest import job
from jobs.ingest.job import run_ingest

from . import corpus as C
from .conftest import new_ctx, rows, sha256


class Crash(RuntimeError):
    pass


@pytest.mark.slow
def test_rerun_after_a_crash_before_the_log(spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    delivery = C.Delivery("network_usage", "network_usage/2026-11-01/msc.csv")
    delivery.ok("r1,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-01T10:00:00+01:00,60,0,")
    delivery.ok("r2,msc-a,sms,MO,491701000001,,,,4930111111,2026-11-01T10:00:00Z,0,0,")
    delivery.bad("crash_bad", "r3,msc-a,fax,MO,491701000001,,,,4930111111,2026-11-01T10:00:00Z,60,0,",
                 "bad_enum: service='fax'")
    delivery.dup("r1,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-01T10:00:00+01:00,60,0,")
    data = C.write_delivery(tmp_path / "landing", delivery, C.NU)
    ctx = new_ctx(spark, tmp_path, **{"ingest.feeds": ["network_usage"]})

    def crash(*_: Any) -> None:
        raise Crash("killed before the log was written")

    with monkeypatch.context() as patch:
        patch.setattr(job, "_write_log", crash)
        with pytest.raises(Crash):
            run_ingest(ctx, now=C.NOW)
    assert rows(ctx, "ops.ingest_log") == []
    crashed_silver = rows(ctx, "silver.network_usage")

    summary = run_ingest(ctx, now=C.NOW)

    assert rows(ctx, "silver.network_usage") == crashed_silver  # nothing written twice
    assert sorted((r["record_id"], r["line_number"]) for r in crashed_silver) == [("r1", 2), ("r2", 3)]
    assert sorted(r["line_number"] for r in rows(ctx, "bronze.network_usage")) == [2, 3, 4, 5]
    assert [(r["line_number"], r["reasons"]) for r in rows(ctx, "ops.quarantine")] == [
        (4, ["bad_enum: service='fax'"])]
    log = [(r["source_file"], r["content_hash"], r["status"], r["rows_read"], r["accepted"], r["quarantined"],
            r["duplicate"], r["ingest_run_id"]) for r in rows(ctx, "ops.ingest_log")]
    assert log == [(delivery.source_file, sha256(data), "ingested", 4, 2, 1, 1, summary.run_id)]
