"""``leakline ingest`` / ``python -m jobs.ingest``: error paths end as one line and a non-zero exit."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobs.cli import main

from .conftest import REPO, new_ctx


@pytest.fixture(autouse=True)
def _restore_logging() -> Any:
    """jobs.cli.main configures the 'leakline' logger for a terminal; put it back for later tests."""
    logger = logging.getLogger("leakline")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate, logger.level = saved[0], saved[1], saved[2]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("leakline: error:")]


def test_module_entry_point_is_leakline_ingest() -> None:
    proc = subprocess.run([sys.executable, "-m", "jobs.ingest", "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage: leakline ingest" in proc.stdout
    assert "--landing DIR" in proc.stdout


def test_missing_landing_folder_is_one_line(spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    code = main(["ingest", "--landing", str(missing), "--lakehouse", str(tmp_path / "lakehouse")])
    err = capsys.readouterr().err
    assert code == 2
    assert error_lines(err) == [
        f"leakline: error: landing folder {missing} does not exist (pass --landing DIR)"]
    assert "Traceback" not in err


def test_rejected_file_is_named_and_the_rest_is_ingested(spark: Any, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    landing = tmp_path / "landing"
    (landing / "destinations").mkdir(parents=True)
    (landing / "destinations" / "plan.csv").write_text("prefix,zone,description,risk\n49,national,Germany,normal\n")
    (landing / "network_usage" / "2026-11-01").mkdir(parents=True)
    (landing / "network_usage" / "2026-11-01" / "cdr.csv.gz").write_bytes(b"record_id,msisdn\nnot gzip\n")
    code = main(["ingest", "--landing", str(landing), "--lakehouse", str(tmp_path / "lakehouse")])
    err = capsys.readouterr().err
    assert code == 3
    assert error_lines(err) == [
        f"leakline: error: 1 file(s) rejected in {landing}: "
        "network_usage/2026-11-01/cdr.csv.gz (corrupt_file: unreadable gzip stream)"]
    assert "Traceback" not in err
    ctx = new_ctx(spark, tmp_path)
    assert [(r["prefix"], r["zone"]) for r in ctx.lake.read_arrow("silver.destinations").to_pylist()] == [
        ("49", "national")]
    log = sorted((r["source_file"], r["status"]) for r in ctx.lake.read_arrow("ops.ingest_log").to_pylist())
    assert log == [("destinations/plan.csv", "ingested"), ("network_usage/2026-11-01/cdr.csv.gz", "rejected")]
