"""JobContext.stage: every run leaves its row in ops.runs — while it runs, when it ends, and when it dies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.common.context import JobContext
from jobs.common.lake import make_lake

REPO = Path(__file__).resolve().parents[2]


def _ctx(root: Path) -> JobContext:
    from jobs.common.config import load_config

    cfg = load_config("local", conf_dir=REPO / "conf", overrides={"lake.root": str(root)})
    return JobContext(cfg, lake=make_lake({"lake": {"root": str(root), "engine": "delta-rs"}}))


def _runs(ctx: JobContext) -> list[dict]:
    return ctx.lake.read_arrow("ops.runs").to_pylist()


def test_a_run_is_visible_while_it_runs_and_completed_when_it_ends(tmp_path):
    ctx = _ctx(tmp_path / "lake")
    with ctx.stage("reconcile", {"dates": ["2026-10-01"]}) as run:
        (during,) = _runs(ctx)
        assert (during["run_id"], during["status"], during["ended_at"]) == (run.run_id, "running", None)
        assert json.loads(during["params"]) == {"dates": ["2026-10-01"]}
        run.rows["findings"] = 12
    (after,) = _runs(ctx)  # the same row, completed: not a second one
    assert (after["run_id"], after["status"]) == (run.run_id, "succeeded")
    assert after["ended_at"] >= after["started_at"] == during["started_at"]
    assert json.loads(after["rows"]) == {"findings": 12}


def test_a_failed_run_records_the_error_and_still_raises(tmp_path):
    ctx = _ctx(tmp_path / "lake")
    with pytest.raises(ValueError, match="tariff table is empty"), ctx.stage("reconcile") as run:
        raise ValueError("tariff table is empty")
    (row,) = _runs(ctx)
    assert (row["run_id"], row["status"]) == (run.run_id, "failed")
    assert row["message"] == "ValueError: tariff table is empty" and row["ended_at"] is not None


def test_a_run_whose_process_dies_stays_running_without_an_end(tmp_path):
    """A killed driver cannot write its end: the row says so instead of vanishing."""
    root = tmp_path / "lake"
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[2]); from tests.common.test_context import _ctx; "
        "from pathlib import Path\n"
        "ctx = _ctx(Path(sys.argv[1]))\n"
        "with ctx.stage('ingest'):\n"
        "    os._exit(9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(root), str(REPO)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr
    ctx = _ctx(root)
    (row,) = _runs(ctx)
    assert (row["stage"], row["status"], row["ended_at"], row["rows"]) == ("ingest", "running", None, None)
    with ctx.stage("ingest"):  # the next run is a row of its own
        pass
    assert sorted(r["status"] for r in _runs(ctx)) == ["running", "succeeded"]
