"""The wheel on a "cluster": a new venv, spark-submit on local[2], nothing from the repository on the path.

The venv is made with ``python -m venv`` (no system site-packages) and ``pip install --no-deps`` of the
built wheel, the runtime libraries supplied beside it as a cluster image supplies them (conftest);
commands run with the working directory outside the repository, no
``PYTHONPATH`` and no ``LEAKLINE_CONF_DIR``, so the configuration is the one packaged in the wheel
(``--env cluster``: JSON logs, lake root from ``LEAKLINE_LAKEHOUSE``). That the wheel's tables equal
the development install's is shown by test_backfill.py, whose backfill runs through this same path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_support import (
    clean_env,
    generate_landing,
    json_records,
    run,
    runs,
    runtime_site_packages,
    site_packages,
    spark_submit,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
STAGES = ("ingest", "reconcile", "fraud")


def _lake(root: Path):
    from jobs.common.lake import make_lake

    return make_lake({"lake": {"root": str(root), "engine": "delta-rs"}})


def test_fresh_venv_has_no_trace_of_the_repository(fresh_venv, tmp_path):
    site = site_packages(fresh_venv)
    assert not list(site.glob("__editable__*")), "an editable install is in the venv"
    runtime = runtime_site_packages()
    for pth in site.glob("*.pth"):
        assert pth.read_text().strip() == str(runtime) or str(REPO) not in pth.read_text(), pth
    # the runtime libraries hold no leakline package: only the wheel's copy can be imported
    assert not any((runtime / name).exists() for name in ("jobs", "models", "app"))
    python = str(fresh_venv / "bin" / "python")
    code = ("import sys, jobs, jobs.common.config as c; print(jobs.__file__); print(c.default_conf_dir()); "
            "print(*sys.path, sep='\\n')")
    module, conf, *path = run([python, "-c", code], cwd=tmp_path, env=clean_env()).stdout.split()
    assert Path(module).is_relative_to(site)
    assert Path(conf) == site / "jobs" / "conf"
    assert not [p for p in path if str(REPO) in p and p != str(runtime)], "the repository is on the path"


def test_installed_cli_lists_every_command(fresh_venv, tmp_path):
    proc = run([str(fresh_venv / "bin" / "leakline"), "--help"], cwd=tmp_path, env=clean_env())
    for command in ("generate", "ingest", "reconcile", "features", "train", "score", "pipeline", "backfill"):
        assert command in proc.stdout, command


def test_wheel_runs_the_pipeline_through_spark_submit(fresh_venv, tmp_path_factory):
    work = tmp_path_factory.mktemp("cluster-pipeline")
    landing = generate_landing(work / "generated", subscribers=200, days=1, seed=47)
    lakehouse = work / "lakehouse"
    proc = spark_submit(fresh_venv, work, lakehouse, "pipeline", "--landing", str(landing),
                        "--truth", str(landing.parent / "truth"))
    assert "leakline pipeline — summary" in proc.stdout
    assert "[accuracy against ground truth]" in proc.stdout

    ended = {r["stage"]: r for r in json_records(proc) if r.get("status") and "seconds" in r}
    assert {s: ended[s]["status"] for s in STAGES} == dict.fromkeys(STAGES, "succeeded")
    for stage in STAGES:
        assert ended[stage]["run_id"] and isinstance(ended[stage]["rows"], dict) and ended[stage]["seconds"] > 0

    lake = _lake(lakehouse)
    recorded = runs(lake)
    assert [(r["stage"], r["status"]) for r in recorded] == [(s, "succeeded") for s in STAGES]
    assert [r["run_id"] for r in recorded] == [ended[s]["run_id"] for s in STAGES]
    # every layer was written by the wheel's code
    for name in ("bronze.network_usage", "silver.network_usage", "silver.billed_usage", "gold.kpi_daily",
                 "gold.leakage_findings", "gold.cases", "silver.fraud_features", "gold.fraud_alerts"):
        assert lake.exists(name), name
    usage_days = set(lake.read_arrow("silver.network_usage", ["usage_date"])["usage_date"].to_pylist())
    assert usage_days and set(lake.read_arrow("gold.kpi_daily", ["usage_date"])["usage_date"].to_pylist()) == usage_days
    assert lake.read_arrow("gold.leakage_findings").num_rows > 0


def test_cluster_backfill_logs_json_and_records_every_run(cluster_backfill):
    lakehouse, proc = cluster_backfill
    records = json_records(proc)
    assert records, proc.stdout[-2000:]
    per_date = [r for r in records if r.get("stage") == "backfill" and r.get("status") == "succeeded" and "date" in r]
    assert [r["date"] for r in per_date] == [f"2026-10-{d:02d}" for d in range(1, 8)]  # the week, in order
    assert all(set(r["rows"]) == {"reconcile", "fraud"} and r["seconds"] > 0 for r in per_date)
    stages = sorted(r["stage"] for r in runs(_lake(lakehouse)))
    assert stages == sorted(["ingest", "backfill"] + ["reconcile", "fraud"] * 7)
