"""Helpers of the packaging tests: clean subprocesses, small generated data, whole-lakehouse comparison.

(A module of its own, not conftest.py: ``from conftest import ...`` is ambiguous with tests/conftest.py.)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from pyspark.testing import assertDataFrameEqual

REPO = Path(__file__).resolve().parents[2]
# The days of the backfill comparison: the week the generator makes by default (its first day on).
BACKFILL_FROM, BACKFILL_TO = "2026-10-01", "2026-10-07"
# The billing-latency clock of every run in the comparisons (runs at different times must agree).
AS_OF = "2026-10-08T06:00:00+00:00"

# Values that differ between two runs of the same work by design: run ids and wall-clock stamps.
PER_RUN_COLUMNS = {"run_id", "ingest_run_id", "updated_at", "ingested_at"}
# Tables compared: everything derived from the landed data (ops.* are run records, app tables empty).
COMPARED_LAYERS = ("bronze", "silver", "gold")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a cluster node would have: nothing that points into the repository."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LEAKLINE_CONF_DIR", "LEAKLINE_LAKEHOUSE",
               "LEAKLINE_LANDING", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "SPARK_HOME",
               "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "PYTEST_CURRENT_TEST"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if str(REPO) not in p)
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; a non-zero exit fails the test with the tail of both streams."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
            f"\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def runtime_site_packages() -> Path:
    """The site-packages holding the runtime libraries (pyspark, deltalake, mlflow, …) of this process."""
    import pyspark

    return Path(pyspark.__file__).resolve().parents[1]


def spark_home() -> Path:
    """The Spark installation a cluster node has (here: the pip pyspark's)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def spark_submit(venv: Path, work: Path, lakehouse: Path, *command: str,
                 extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``spark-submit --master local[2] <installed jobs/submit.py> COMMAND --env cluster`` as a cluster runs it.

    The cluster's spark-submit (``$SPARK_HOME``) with the venv's Python, the working directory outside the
    repository, a clean environment: the lake root comes from ``LEAKLINE_LAKEHOUSE`` as ``conf/cluster``
    (in the wheel) asks.
    """
    python = str(venv / "bin" / "python")
    env = clean_env(LEAKLINE_LAKEHOUSE=str(lakehouse), PYSPARK_PYTHON=python, PYSPARK_DRIVER_PYTHON=python,
                    SPARK_HOME=str(spark_home()), **(extra_env or {}))
    submit_py = run([python, "-m", "jobs.submit", "--path"], cwd=work, env=env).stdout.strip()
    assert Path(submit_py).is_relative_to(site_packages(venv)), submit_py
    return run(
        [str(spark_home() / "bin" / "spark-submit"), "--master", "local[2]", "--driver-memory", "2g",
         "--conf", "spark.sql.shuffle.partitions=4", "--conf", "spark.ui.enabled=false",
         "--conf", "spark.ui.showConsoleProgress=false",
         submit_py, *command, "--env", "cluster"],
        cwd=work, env=env, timeout=2400,
    )


def json_records(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The structured log lines (conf/cluster: one JSON object per line) of a spark-submit run.

    spark-submit's PythonRunner merges the Python driver's stderr into its stdout, so both are read.
    """
    import json

    lines = (proc.stdout + "\n" + proc.stderr).splitlines()
    return [json.loads(line) for line in lines if line.startswith('{"ts"')]


def generate_landing(out: Path, subscribers: int, days: int, seed: int) -> Path:
    """Contract-v1 files of a small synthetic operator under ``out/landing`` (and truth under ``out/truth``)."""
    from jobs.generate.config import GeneratorParams
    from jobs.generate.generator import generate
    from jobs.generate.writer import write

    write(generate(GeneratorParams(subscribers=subscribers, days=days, seed=seed)), out, "csv")
    return out / "landing"


def compared_tables(lake: Any) -> list[str]:
    from jobs.common.tables import TABLES

    return sorted(n for n in TABLES if n.split(".")[0] in COMPARED_LAYERS and lake.exists(n))


def table_without_run_columns(spark: Any, lake: Any, name: str) -> Any:
    df = lake.read(spark, name)
    return df.drop(*[c for c in df.columns if c in PER_RUN_COLUMNS])


def _difference(name: str, a: Any, b: Any) -> str | None:
    """None when ``a`` equals ``b`` (rows in any order, floats to pyspark's default tolerance)."""
    try:
        assertDataFrameEqual(a, b)
    except AssertionError:
        only_a, only_b = a.exceptAll(b), b.exceptAll(a)
        rows = [f"  left only:  {r.asDict()}" for r in only_a.limit(3).collect()]
        rows += [f"  right only: {r.asDict()}" for r in only_b.limit(3).collect()]
        return (f"{name}: {a.count()} vs {b.count()} rows, {only_a.count()} only left, {only_b.count()} only "
                "right (exact; floats are compared with a tolerance)\n" + "\n".join(rows))
    return None


def assert_same_tables(spark: Any, left: Any, right: Any) -> list[str]:
    """Every compared table of ``left`` equals ``right``'s, row for row (order-free); returns the names.

    A difference names every differing table with a few of the rows only one side has.
    """
    names = compared_tables(left)
    assert names == compared_tables(right)
    problems = [
        _difference(n, table_without_run_columns(spark, left, n), table_without_run_columns(spark, right, n))
        for n in names
    ]
    assert not any(problems), "tables differ:\n" + "\n".join(p for p in problems if p)
    return names


def versions(lake: Any) -> dict[str, int]:
    """The current Delta version of every compared table."""
    return {name: lake.version(name) for name in compared_tables(lake)}


def assert_unchanged_since(spark: Any, lake: Any, before: dict[str, int]) -> None:
    """Every compared table's content now equals its content at the version in ``before`` (time travel)."""
    assert compared_tables(lake) == sorted(before)
    problems = []
    for name, version in before.items():
        old = lake.read(spark, name, version=version)
        old = old.drop(*[c for c in old.columns if c in PER_RUN_COLUMNS])
        problems.append(_difference(f"{name} (v{version} -> now)", old, table_without_run_columns(spark, lake, name)))
    assert not any(problems), "tables changed:\n" + "\n".join(p for p in problems if p)


def runs(lake: Any) -> list[dict[str, Any]]:
    """ops.runs as dicts, oldest first."""
    if not lake.exists("ops.runs"):
        return []
    rows = lake.read_arrow("ops.runs").to_pylist()
    return sorted(rows, key=lambda r: r["started_at"])
