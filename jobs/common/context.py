"""What every job's entry point is handed: config, a lazily started Spark session, the lake, a run id.

Entry points stay thin: read through ``ctx.lake``, call pure transforms, ``ctx.write`` the result
(contract check + lake write), and record the run in ``ops.runs`` with :meth:`JobContext.stage`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from jobs.common import contracts
from jobs.common.config import Config
from jobs.common.lake import Lake, ReplaceWhere, WriteResult, arrow_schema, make_lake
from jobs.common.tables import spec_for

log = logging.getLogger("leakline")


def new_run_id(stage: str) -> str:
    return f"{stage}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


@dataclass
class StageRun:
    """Rows counted by a stage while it runs; recorded in ops.runs when it ends."""

    stage: str
    run_id: str
    params: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    message: str | None = None


class JobContext:
    def __init__(self, cfg: Config, spark: Any | None = None, lake: Lake | None = None):
        self.cfg = cfg
        self._spark = spark
        self._lake = lake

    @property
    def spark(self) -> Any:
        if self._spark is None:
            from jobs.common.spark import get_spark

            started = time.monotonic()
            self._spark = get_spark(self.cfg["spark"])
            log.info("spark session ready (%.1fs, %s)", time.monotonic() - started, self._spark.version)
        return self._spark

    @property
    def lake(self) -> Lake:
        if self._lake is None:
            self._lake = make_lake(self.cfg, self._spark if self._spark is not None else self.spark)
            log.info("lake: %s engine at %s", self._lake.engine_name, self._lake.root)
        return self._lake

    def read(self, name: str, version: int | None = None) -> Any:
        return self.lake.read(self.spark, name, version)

    def validate(self, name: str, df: Any) -> Any:
        return contracts.validate(name, df, str(self.cfg.get_path("contracts.validation_depth")))

    def write(
        self, df: Any, name: str, mode: str = "append", replace_where: ReplaceWhere | None = None
    ) -> WriteResult:
        """Contract-check then write a Spark DataFrame by logical name."""
        started = time.monotonic()
        result = self.lake.write(self.validate(name, df), name, mode, replace_where)
        log.info(
            "wrote %s: %d rows, %d files, v%d (%.1fs)",
            name, result.rows, result.files, result.version, time.monotonic() - started,
            extra={"table": name, "rows": result.rows, "seconds": round(time.monotonic() - started, 3)},
        )
        return result

    @contextmanager
    def stage(self, stage: str, params: Mapping[str, Any] | None = None) -> Iterator[StageRun]:
        """Time a stage, log it structurally and record it in ``ops.runs``.

        The run's row is written when it starts (status ``running``) and completed when it ends
        (``succeeded`` / ``failed``, end time, row counts, error), so operators see what is running
        now, and a run whose process died is left visibly ``running`` with no end time.
        """
        run = StageRun(stage, new_run_id(stage), dict(params or {}))
        started_at = datetime.now(UTC)
        started = time.monotonic()
        log.info("%s started %s", stage, json.dumps(run.params, default=str),
                 extra={"stage": stage, "run_id": run.run_id})
        self._record_run(run, started_at, "running")
        status = "failed"
        try:
            yield run
            status = "succeeded"
        except BaseException as exc:
            run.message = f"{type(exc).__name__}: {exc}"[:2000]
            raise
        finally:
            seconds = time.monotonic() - started
            log.info("%s %s in %.1fs %s", stage, status, seconds, json.dumps(run.rows),
                     extra={"stage": stage, "run_id": run.run_id, "seconds": round(seconds, 3),
                            "rows": run.rows, "status": status})
            self._record_run(run, started_at, status)

    def _record_run(self, run: StageRun, started_at: datetime, status: str) -> None:
        """Append the run's row (``running``) or complete it (merge on ``run_id``)."""
        try:
            ended = status != "running"
            row = {
                "run_id": run.run_id, "stage": run.stage,
                "params": json.dumps(run.params, default=str, sort_keys=True),
                "started_at": started_at, "ended_at": datetime.now(UTC) if ended else None, "status": status,
                "rows": json.dumps(run.rows, sort_keys=True) if ended else None, "message": run.message,
            }
            data = pa.Table.from_pylist([row], schema=arrow_schema(spec_for("ops.runs")))
            if ended:
                self.lake.merge(data, "ops.runs", keys=["run_id"])
            else:
                self.lake.write_arrow(data, "ops.runs")
        except Exception:  # recording a run must never hide the stage's own outcome
            log.exception("could not record run %s in ops.runs", run.run_id)
