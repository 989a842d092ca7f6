"""Fixtures of the packaging tests: the built wheel, a fresh venv with it installed, small demo data.

No ``__init__.py`` here on purpose: a package named ``packaging`` under tests/ would shadow the real
``packaging`` library that pip, build and mlflow import.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
from packaging_support import (
    AS_OF,
    BACKFILL_FROM,
    BACKFILL_TO,
    REPO,
    clean_env,
    generate_landing,
    run,
    runtime_site_packages,
    site_packages,
    spark_submit,
)


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """``python -m build`` (sdist, then the wheel from the sdist) of the working tree, offline.

    ``--no-isolation``: the build backend is the one installed in the development venv, so the test
    needs no package index (nothing is downloaded while testing).
    """
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)], cwd=out, timeout=600)
    wheels = sorted(out.glob("leakline-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def wheel_files(built_wheel) -> dict[str, bytes]:
    with zipfile.ZipFile(built_wheel) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="session")
def fresh_venv(built_wheel, tmp_path_factory) -> Path:
    """A new venv (``python -m venv``, no system site-packages) with the wheel installed, as on a cluster.

    A cluster image brings Spark and the libraries; the job installs only the wheel. So here: the
    wheel is installed with ``--no-deps --no-index`` (offline), and the runtime libraries come from the
    development venv's site-packages through a plain path line (``runtime.pth``) — a path line does not
    run that directory's own ``.pth`` files, so the development venv's editable leakline is not
    importable: ``jobs`` resolves to the wheel's copy (test_spark_submit checks it).
    """
    base = tmp_path_factory.mktemp("venv")
    venv = base / "leakline-venv"
    python = getattr(sys, "_base_executable", sys.executable)  # the interpreter, not the repo venv
    env = clean_env()
    run([python, "-m", "venv", str(venv)], cwd=base, env=env)  # pip from ensurepip: offline
    (site_packages(venv) / "runtime.pth").write_text(f"{runtime_site_packages()}\n")
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-index", str(built_wheel)], cwd=base, env=env, timeout=600)
    return venv


@pytest.fixture(scope="session")
def landing_week(tmp_path_factory) -> Path:
    return generate_landing(tmp_path_factory.mktemp("generated-week"), subscribers=200, days=7, seed=31)


@pytest.fixture(scope="session")
def shared_registry(tmp_path_factory) -> str:
    """One MLflow store for the backfill comparison's two lakehouses, so that both score with the same
    champion: training is the weekly job, not a per-date stage (the first fraud run trains one)."""
    return f"sqlite:///{tmp_path_factory.mktemp('registry') / 'mlflow.db'}"


@pytest.fixture(scope="session")
def cluster_backfill(fresh_venv, landing_week, shared_registry, tmp_path_factory):
    """``spark-submit … backfill --ingest --from … --to …`` with the wheel: (lakehouse, completed process)."""
    work = tmp_path_factory.mktemp("cluster-backfill")
    lakehouse = work / "lakehouse"
    proc = spark_submit(fresh_venv, work, lakehouse, "backfill", "--ingest", "--from", BACKFILL_FROM,
                        "--to", BACKFILL_TO, "--as-of", AS_OF, "--landing", str(landing_week),
                        extra_env={"MLFLOW_TRACKING_URI": shared_registry})
    return lakehouse, proc
