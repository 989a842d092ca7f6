"""The Databricks asset bundle: it parses, its references resolve, and every task is a real command.

No workspace is reachable here, so ``databricks bundle validate`` cannot run; these tests check what
it would, plus what it cannot: each task's parameters are parsed by leakline's own command-line
parser (after the scheduler conveniences of ``leakline-submit``), its entry point is a console
script of the built wheel, and ``conf/databricks`` maps every table to a Unity Catalog name with the
environment the job clusters set.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VAR_REF = re.compile(r"\$\{var\.([A-Za-z_]+)\}")
JOB_PARAM_REF = re.compile(r"\{\{job\.parameters\.([A-Za-z_]+)\}\}")
TRIGGER_DATE = "{{job.trigger.time.iso_date}}"


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return _load(REPO / "databricks.yml")


@pytest.fixture(scope="module")
def resource_files(bundle) -> dict[Path, dict[str, Any]]:
    files = sorted({p for pattern in bundle["include"] for p in REPO.glob(pattern)})
    assert files, "databricks.yml includes no resource files"
    return {p: _load(p) for p in files}


@pytest.fixture(scope="module")
def jobs(resource_files) -> dict[str, tuple[Path, dict[str, Any]]]:
    found = {}
    for path, data in resource_files.items():
        for key, job in data.get("resources", {}).get("jobs", {}).items():
            assert key not in found, f"job {key} defined twice"
            found[key] = (path, job)
    return found


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def _tasks(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["tasks"]


def _console_scripts(wheel_files: dict[str, bytes]) -> set[str]:
    name = next(n for n in wheel_files if n.endswith(".dist-info/entry_points.txt"))
    section = wheel_files[name].decode().split("[console_scripts]", 1)[1].split("[", 1)[0]
    return {line.split("=", 1)[0].strip() for line in section.splitlines() if "=" in line}


def test_bundle_layout(bundle, resource_files):
    assert bundle["bundle"]["name"] == "leakline"
    assert set(bundle["targets"]) == {"dev", "prod"}
    assert bundle["targets"]["dev"]["mode"] == "development" and bundle["targets"]["dev"]["default"] is True
    assert bundle["targets"]["prod"]["mode"] == "production"
    assert {p.name for p in resource_files} == {p.name for p in (REPO / "resources").glob("*.yml")}
    # the wheel the tasks install is the artifact the bundle builds
    artifact = bundle["artifacts"]["leakline_wheel"]
    assert artifact["type"] == "whl" and "--outdir dist" in artifact["build"]


def test_every_variable_reference_is_declared(bundle, resource_files):
    declared = set(bundle["variables"])
    used = {m for data in [bundle, *resource_files.values()] for s in _strings(data) for m in VAR_REF.findall(s)}
    assert used <= declared, f"undeclared bundle variables: {sorted(used - declared)}"
    for target in bundle["targets"].values():
        assert set(target.get("variables", {})) <= declared


def test_schedules_daily_pipeline_and_weekly_training(jobs):
    daily = jobs["leakline_daily"][1]
    commands = {t["task_key"]: t["python_wheel_task"]["parameters"][0] for t in _tasks(daily)}
    assert commands == {"ingest": "ingest", "reconcile": "reconcile", "features": "features", "score": "score"}
    order = {t["task_key"]: {d["task_key"] for d in t.get("depends_on", [])} for t in _tasks(daily)}
    assert order == {
        "ingest": set(), "reconcile": {"ingest"}, "features": {"ingest"}, "score": {"features", "reconcile"},
    }
    assert daily["schedule"]["quartz_cron_expression"].split()[3:] == ["*", "*", "?"]  # every day
    train = jobs["leakline_train"][1]
    assert [t["python_wheel_task"]["parameters"][0] for t in _tasks(train)] == ["train"]
    assert train["schedule"]["quartz_cron_expression"].split()[5] == "SUN"  # weekly


def test_tasks_reference_clusters_tasks_and_the_built_wheel(jobs, wheel_files):
    scripts = _console_scripts(wheel_files)
    meta = next(v for k, v in wheel_files.items() if k.endswith(".dist-info/METADATA")).decode()
    package = re.search(r"^Name: (.+)$", meta, re.M).group(1).strip()
    for key, (path, job) in jobs.items():
        clusters = {c["job_cluster_key"] for c in job["job_clusters"]}
        task_keys = {t["task_key"] for t in _tasks(job)}
        for task in _tasks(job):
            assert task["job_cluster_key"] in clusters, (key, task["task_key"])
            assert {d["task_key"] for d in task.get("depends_on", [])} <= task_keys, (key, task["task_key"])
            wheel_task = task["python_wheel_task"]
            assert wheel_task["package_name"] == package
            assert wheel_task["entry_point"] in scripts, (key, wheel_task["entry_point"], scripts)
            libraries = [(path.parent / lib["whl"]).resolve() for lib in task["libraries"]]
            assert libraries == [(REPO / "dist" / "*.whl").resolve()], (key, libraries)


def _substitute(params: list[str], values: dict[str, str]) -> list[str]:
    return [JOB_PARAM_REF.sub(lambda m: values[m.group(1)], p) for p in params]


@pytest.mark.parametrize("override", [False, True], ids=["defaults", "explicit"])
def test_task_parameters_are_valid_leakline_commands(jobs, override):
    """What the scheduler passes parses with leakline's own parser, as leakline-submit hands it on."""
    from jobs.cli import build_parser
    from jobs.submit import scheduler_args

    parser = build_parser()
    explicit = {"date": "2026-05-01", "as_of": "2026-05-03T06:00:00Z", "from": "2026-04-01", "to": "2026-04-30"}
    for key, (_path, job) in jobs.items():
        defaults = {p["name"]: p["default"].replace(TRIGGER_DATE, "2026-05-02") for p in job.get("parameters", [])}
        if not override and any(v == "" for n, v in defaults.items() if n in {"from", "to"}):
            continue  # the backfill job must be given its range
        values = {n: explicit[n] for n in defaults} if override else defaults
        for task in _tasks(job):
            raw = task["python_wheel_task"]["parameters"]
            argv = scheduler_args(_substitute(raw, values))
            args = parser.parse_args(argv)
            assert args.command == raw[0]
            assert args.env == "databricks"
            if "date" in values and hasattr(args, "date") and "--date" in raw:
                got = args.date[0] if isinstance(args.date, list) else args.date
                # explicit date=2026-05-01; the default "<trigger 2026-05-02>-1d" is the same day
                assert got == date(2026, 5, 1), (key, task["task_key"], got)


def test_conf_databricks_puts_every_table_in_unity_catalog(bundle, jobs):
    from jobs.common.config import load_config
    from jobs.common.lake import CATALOG_PREFIX
    from jobs.common.tables import TABLES

    variables = {name: spec["default"] for name, spec in bundle["variables"].items()}
    variables.update(bundle["targets"]["prod"]["variables"])
    for key, (_path, job) in jobs.items():
        for cluster in job["job_clusters"]:
            env_vars = {k: VAR_REF.sub(lambda m: str(variables[m.group(1)]), v)
                        for k, v in cluster["new_cluster"]["spark_env_vars"].items()}
            with pytest.MonkeyPatch.context() as mp:
                for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "LEAKLINE_LAKEHOUSE", "LEAKLINE_LANDING"):
                    mp.delenv(name, raising=False)
                for name, value in env_vars.items():
                    mp.setenv(name, value)
                cfg = load_config("databricks", conf_dir=REPO / "conf")
            assert cfg.get_path("lake.engine") == "spark-delta", key
            locations = cfg.get_path("lake.locations")
            expected = {name: f"{CATALOG_PREFIX}main.leakline.{name.replace('.', '_')}" for name in TABLES}
            assert locations == expected, key
            assert cfg.get_path("ingest.landing") == "/Volumes/main/leakline/landing"
            assert cfg.get_path("mlflow.model_name") == "main.leakline.leakline_fraud"
            assert cfg.get_path("mlflow.tracking_uri") == "databricks"
            assert "${" not in str(cfg.to_dict())
