"""Entry points without Spark: scheduler arguments, backfill ranges, one-line mistakes, ``python -m``."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from jobs.backfill import BackfillResult, DateRun, date_range
from jobs.common.errors import LeaklineError
from jobs.submit import resolve_date, scheduler_args

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYSPARK_PYTHON": sys.executable})


def test_scheduler_args_drop_unset_values_and_resolve_relative_dates():
    got = scheduler_args(["reconcile", "--env", "databricks", "--date", "2026-05-02-1d", "--as-of", "",
                          "--from=2026-03-01-0d", "--to=", "--conf", "site.yml"])
    assert got == ["reconcile", "--env", "databricks", "--date", "2026-05-01", "--from=2026-03-01",
                   "--conf", "site.yml"]


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-03-01-1d", "2026-02-28"),
    ("2024-03-01-1d", "2024-02-29"),
    ("2026-01-01-7d", "2025-12-25"),
    ("2026-05-01", "2026-05-01"),
    ("2026-13-01-1d", "2026-13-01-1d"),  # not a date: left for the command's parser to name
    ("yesterday", "yesterday"),
])
def test_resolve_date(value, expected):
    assert resolve_date(value) == expected


def test_date_range_is_inclusive_and_guarded():
    assert date_range(date(2026, 2, 27), date(2026, 3, 1)) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]
    assert date_range(date(2026, 3, 1), date(2026, 3, 1)) == [date(2026, 3, 1)]
    with pytest.raises(LeaklineError, match=r"--to 2026-02-01 is before --from 2026-03-01"):
        date_range(date(2026, 3, 1), date(2026, 2, 1))
    with pytest.raises(LeaklineError, match=r"backfill of 31 days exceeds backfill.max_days \(30\)"):
        date_range(date(2026, 1, 1), date(2026, 1, 31), max_days=30)


def test_backfill_report_has_one_line_per_date():
    result = BackfillResult(date(2026, 5, 1), date(2026, 5, 3), ("reconcile", "fraud"), dates=[
        DateRun(date(2026, 5, 1), "succeeded", 12.34, {"reconcile": {"findings": 7, "records": 90}, "fraud": {}}),
        DateRun(date(2026, 5, 2), "failed", 1.0, error="LakeError: table silver.network_usage is missing"),
        DateRun(date(2026, 5, 3), "skipped"),
    ])
    assert result.lines() == [
        "backfill 2026-05-01 .. 2026-05-03: reconcile, fraud per date",
        "",
        "[dates]",
        "2026-05-01  succeeded    12.3s  reconcile: findings=7, records=90",
        "2026-05-02  failed        1.0s  LakeError: table silver.network_usage is missing",
        "2026-05-03  skipped       0.0s",
        "",
        "1 succeeded, 1 failed, 1 skipped",
    ]
    assert result.rows() == {"dates": 3, "succeeded": 1, "failed": 1, "skipped": 1}


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-05-03", "--to", "2026-05-01"], r"--to 2026-05-01 is before --from 2026-05-03"),
    (["--from", "2020-01-01", "--to", "2026-01-01"], r"backfill of 2193 days exceeds backfill.max_days \(400\)"),
    (["--from", "2026-05-01", "--to", "2026-05-02", "--stages", "ingest"], r"unknown per-date stage\(s\) \['ingest'\]"),
    (["--from", "2026-05-01", "--to", "2026-05-02", "--ingest", "--landing", "/nonexistent/landing"],
     r"landing folder /nonexistent/landing does not exist"),
])
def test_backfill_mistakes_are_one_line(tmp_path, args, message):
    import re

    proc = _run("-m", "jobs.backfill", *args, "--lakehouse", str(tmp_path / "lh"))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("leakline: error:")]
    assert len(errors) == 1 and re.search(message, errors[0]), proc.stderr
    assert not (tmp_path / "lh").exists()  # nothing ran, nothing was recorded


def test_submit_prints_its_installed_path(tmp_path):
    proc = _run("-m", "jobs.submit", "--path", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == (REPO / "jobs" / "submit.py").resolve()


@pytest.mark.parametrize(
    "module", ["jobs.backfill", "jobs.pipeline", "jobs.ingest", "jobs.reconcile", "jobs.fraud", "jobs.generate"])
def test_every_stage_runs_as_a_module(module):
    proc = _run("-m", module, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout
