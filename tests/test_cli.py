"""User mistakes at the command line: one clear line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def leakline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobs.cli", *args],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], pattern: str) -> None:
    import re

    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("leakline: error:")]
    assert len(errors) == 1, proc.stderr
    assert re.search(pattern, errors[0]), errors[0]


def test_help_lists_the_stages():
    proc = leakline("--help")
    assert proc.returncode == 0
    for command in ("tables",):
        assert command in proc.stdout


def test_unknown_environment(tmp_path):
    proc = leakline("tables", "list", "--env", "prod")
    assert_one_line_error(proc, r"unknown environment 'prod'")


def test_bad_config_value_names_the_key(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("spark:\n  shuffle_partitions: many\n")
    proc = leakline("tables", "list", "--conf", str(bad))
    assert_one_line_error(proc, r"'spark.shuffle_partitions' .* must be a number, got 'many'")


def test_missing_conf_file(tmp_path):
    proc = leakline("tables", "list", "--conf", str(tmp_path / "missing.yml"))
    assert_one_line_error(proc, r"config file .*missing.yml does not exist")


def test_unknown_table(tmp_path):
    proc = leakline("tables", "history", "gold.nope", "--lakehouse", str(tmp_path))
    assert_one_line_error(proc, r"unknown table 'gold.nope'")


@pytest.mark.parametrize("java_home", ["/nonexistent-jdk"])
def test_missing_java_is_one_line(java_home):
    from jobs.common.errors import LeaklineError
    from jobs.common.spark import check_java

    old = os.environ.get("JAVA_HOME")
    os.environ["JAVA_HOME"] = java_home
    try:
        with pytest.raises(LeaklineError, match=r"Java 17\+ is required by Spark 4 but no 'java' was found"):
            check_java()
    finally:
        if old is None:
            os.environ.pop("JAVA_HOME")
        else:
            os.environ["JAVA_HOME"] = old
