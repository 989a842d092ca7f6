"""Fixtures of the ingestion tests: the hand-written corpus ingested once per test session."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobs.common.config import load_config
from jobs.common.context import JobContext

from . import corpus as C

REPO = Path(__file__).resolve().parents[2]

TABLES = (
    "bronze.subscribers", "bronze.destinations", "bronze.tariffs", "bronze.network_usage", "bronze.billed_usage",
    "silver.subscribers", "silver.destinations", "silver.tariffs", "silver.network_usage", "silver.billed_usage",
    "ops.quarantine", "ops.ingest_log",
)


def new_ctx(spark: Any, root: Path, **overrides: Any) -> JobContext:
    cfg = load_config("local", conf_dir=REPO / "conf",
                      overrides={"lake.root": str(root / "lakehouse"), "ingest.landing": str(root / "landing"),
                                 **overrides})
    return JobContext(cfg, spark=spark)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rows(ctx: JobContext, table: str) -> list[dict[str, Any]]:
    """The whole table through delta-rs/Arrow (timestamps UTC-aware, money Decimal), sorted."""
    return sorted(ctx.lake.read_arrow(table).to_pylist(), key=repr)


def snapshot(ctx: JobContext) -> dict[str, list[dict[str, Any]]]:
    return {name: rows(ctx, name) for name in TABLES}


@dataclass
class Ingested:
    ctx: JobContext
    landing: Path
    summary: Any
    tables: dict[str, list[dict[str, Any]]]
    files: dict[str, bytes]


@pytest.fixture(scope="session")
def corpus(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """The corpus landing (tests/ingest/corpus.py) ingested once, at run time corpus.NOW."""
    from jobs.ingest.job import run_ingest

    root = tmp_path_factory.mktemp("ingest-corpus")
    landing = root / "landing"
    files = C.write_landing(landing)
    ctx = new_ctx(spark, root)
    summary = run_ingest(ctx, str(landing), now=C.NOW)
    return Ingested(ctx, landing, summary, snapshot(ctx), files)
