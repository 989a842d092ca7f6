"""Shared fixtures: one Spark session for the whole run, fresh lakehouses and configs per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CARRIER_RATES = SHARED / "data" / "carrier-rates-2012" / "international_call_rates__2012-09-06.csv"


@pytest.fixture(scope="session")
def spark():
    """local[2], UTC, few shuffle partitions, UI off — the factory the jobs use."""
    from jobs.common.spark import get_spark

    session = get_spark(
        {
            "master": "local[2]",
            "app_name": "leakline-tests",
            "shuffle_partitions": 4,
            "driver_memory": "2g",
            "ui_enabled": False,
            "log_level": "ERROR",
            "conf": {
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.adaptive.enabled": "true",
                "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
                "spark.default.parallelism": "4",
            },
        }
    )
    yield session
    session.stop()


@pytest.fixture
def cfg(tmp_path):
    """The real config (conf/base + conf/local) pointed at a fresh lakehouse under tmp_path."""
    from jobs.common.config import load_config

    return load_config(
        "local",
        conf_dir=REPO / "conf",
        overrides={"lake.root": str(tmp_path / "lakehouse"), "ingest.landing": str(tmp_path / "landing")},
    )


@pytest.fixture
def ctx(cfg, spark):
    from jobs.common.context import JobContext

    return JobContext(cfg, spark=spark)


@pytest.fixture
def lake(ctx):
    return ctx.lake


@pytest.fixture
def carrier_rates_path():
    if not CARRIER_RATES.is_file():
        pytest.skip(f"../shared carrier rates not present at {CARRIER_RATES}: real-catalog test needs it")
    return CARRIER_RATES


def pytest_configure(config):
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
