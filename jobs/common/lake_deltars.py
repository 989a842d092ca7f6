"""delta-rs engine: Spark writes Parquet, delta-rs commits it; reads go through the snapshot's files.

Large writes never pass through the driver: Spark writes the Parquet files into a staging folder
inside the table (``_staging/<uuid>``, ignored by Delta readers because of the leading underscore),
they are moved to Hive-style partition folders and committed by delta-rs as ONE transaction of
``AddAction`` s (with row-count stats) and, for a partition replace, ``RemoveAction`` s. A crash
before the commit leaves only uncommitted files: invisible to readers and removed by vacuum.

Spark reads a table as the Parquet files of its current (or a past) snapshot with the catalogue's
schema passed explicitly, so partition types are never inferred.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from jobs.common.errors import LakeError
from jobs.common.lake import (
    CATALOG_PREFIX,
    Lake,
    ReplaceWhere,
    WriteResult,
    arrow_schema,
    check_same_schema,
    conform,
    replace_predicate,
)
from jobs.common.tables import spec_for

log = logging.getLogger("leakline.lake")

STAGING = "_staging"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


class DeltaRsLake(Lake):
    engine_name = "delta-rs"

    def location(self, name: str) -> str:
        loc = super().location(name)
        if loc.startswith(CATALOG_PREFIX):
            raise LakeError(
                f"table {name} is a catalog table ({loc}); catalog tables need the spark-delta engine"
            )
        return loc

    # ----------------------------------------------------------------- reads
    def _table(self, name: str, version: int | None = None) -> DeltaTable | None:
        try:
            return DeltaTable(self.location(name), version=version)
        except TableNotFoundError:
            if version is not None and DeltaTable.is_deltatable(self.location(name)):
                raise LakeError(f"table {name} has no version {version}") from None
            return None
        except Exception as exc:  # delta-rs raises plain errors for a missing version
            if version is not None and "version" in str(exc).lower():
                raise LakeError(f"table {name} has no version {version}") from None
            raise

    def exists(self, name: str) -> bool:
        return DeltaTable.is_deltatable(self.location(name))

    def version(self, name: str) -> int | None:
        table = self._table(name)
        return None if table is None else table.version()

    def read(self, spark: Any, name: str, version: int | None = None) -> Any:
        spec = spec_for(name)
        table = self._table(name, version)
        files = [] if table is None else table.file_uris()
        if not files:
            return spark.createDataFrame([], spec.schema)
        # Partition values come from Hive-style folder names, parsed with the explicit schema.
        df = spark.read.schema(spec.schema).option("basePath", self.location(name)).parquet(*files)
        return df.select([f.name for f in spec.schema])

    def read_arrow(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        version: int | None = None,
        filter_expr: Any | None = None,
    ) -> pa.Table:
        spec = spec_for(name)
        schema = arrow_schema(spec)
        table = self._table(name, version)
        if table is None:
            empty = schema.empty_table()
            return empty.select(list(columns)) if columns else empty
        dataset = table.to_pyarrow_dataset()
        result = dataset.to_table(columns=list(columns) if columns else None, filter=filter_expr)
        target = pa.schema([schema.field(c) for c in (columns or schema.names)])
        return result.cast(target)

    # ----------------------------------------------------------------- writes
    def write(
        self, df: Any, name: str, mode: str = "append", replace_where: ReplaceWhere | None = None
    ) -> WriteResult:
        spec = spec_for(name)
        _check_mode(mode, replace_where, spec.partition_by, name)
        root = self.location(name)
        staging = os.path.join(root, STAGING, uuid.uuid4().hex)
        conform(df, spec).write.mode("overwrite").partitionBy(*spec.partition_by).parquet(staging)
        try:
            adds, rows = _adds_from_staging(root, staging, spec.partition_by)
            version = self._commit(name, adds, mode, replace_where)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.debug("wrote %s rows in %s files to %s (v%s)", rows, len(adds), name, version)
        return WriteResult(name, version, rows, len(adds))

    def _commit(
        self, name: str, adds: list[AddAction], mode: str, replace_where: ReplaceWhere | None
    ) -> int:
        spec = spec_for(name)
        root = self.location(name)
        schema = arrow_schema(spec)
        table = self._table(name)
        if table is None:
            create_table_with_add_actions(
                root, _delta_schema(schema), adds, mode="error", partition_by=list(spec.partition_by) or None
            )
            return 0
        _check_table_schema(table, spec)
        removes = []
        if mode == "overwrite" or replace_where:
            removes = _removes_for(table, replace_where if mode != "overwrite" else None)
        table.create_write_transaction(
            [*removes, *adds], mode="append", schema=_delta_schema(schema),
            partition_by=list(spec.partition_by) or None,
        )
        return table.version() + 1

    def write_arrow(
        self, data: pa.Table, name: str, mode: str = "append", replace_where: ReplaceWhere | None = None
    ) -> WriteResult:
        spec = spec_for(name)
        _check_mode(mode, replace_where, spec.partition_by, name)
        schema = arrow_schema(spec)
        _check_arrow_columns(spec, data, schema, "write")
        data = data.select(schema.names).cast(schema)
        table = self._table(name)
        if table is not None:
            _check_table_schema(table, spec)
        kwargs: dict[str, Any] = {"partition_by": list(spec.partition_by) or None}
        if replace_where and table is not None:
            kwargs["predicate"] = replace_predicate(replace_where)
            mode = "overwrite"
        write_deltalake(self.location(name), data, mode=mode if table is not None else "append", **kwargs)
        return WriteResult(name, DeltaTable(self.location(name)).version(), data.num_rows, -1)

    def merge(self, data: pa.Table, name: str, keys: Sequence[str], update: bool = True) -> WriteResult:
        spec = spec_for(name)
        schema = arrow_schema(spec)
        _check_arrow_columns(spec, data, schema, "merge")
        data = data.select(schema.names).cast(schema)
        table = self._table(name)
        if table is None:
            return self.write_arrow(data, name)
        predicate = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        merger = table.merge(data, predicate=predicate, source_alias="s", target_alias="t")
        if update:
            merger = merger.when_matched_update_all()
        merger.when_not_matched_insert_all().execute()
        return WriteResult(name, DeltaTable(self.location(name)).version(), data.num_rows, -1)

    # ----------------------------------------------------------------- maintenance
    def history(self, name: str) -> list[dict[str, Any]]:
        table = self._table(name)
        return [] if table is None else table.history()

    def vacuum(self, name: str, retention_hours: int | None = None, dry_run: bool = False) -> list[str]:
        table = self._table(name)
        if table is None:
            return []
        hours = self.options.get("vacuum_retention_hours", 168) if retention_hours is None else retention_hours
        removed = table.vacuum(
            retention_hours=hours, dry_run=dry_run, enforce_retention_duration=False, full=True
        )
        staging = Path(self.location(name)) / STAGING
        if not dry_run and staging.is_dir():
            cutoff = time.time() - hours * 3600
            for leftover in staging.iterdir():
                if leftover.stat().st_mtime <= cutoff:
                    shutil.rmtree(leftover, ignore_errors=True)
                    removed.append(str(leftover))
        return removed


def _check_mode(mode: str, replace_where: ReplaceWhere | None, parts: Sequence[str], name: str) -> None:
    if mode not in {"append", "overwrite"}:
        raise LakeError(f"write mode must be append or overwrite, got {mode!r}")
    for col in replace_where or {}:
        if col not in parts:
            raise LakeError(f"replace_where on {name} must name partition columns {list(parts)}, got {col!r}")


def _delta_schema(schema: pa.Schema) -> Any:
    from deltalake import Schema

    return Schema.from_arrow(schema)


def _check_arrow_columns(spec: Any, data: pa.Table, target: pa.Schema, what: str) -> None:
    """Same rule as Spark writes: same column names; types castable within their family."""
    columns = {}
    for field in target:
        got = data.schema.field(field.name).type if field.name in data.schema.names else None
        if got is not None:
            same = _castable(got, field.type)
            columns[field.name] = _spark_type_name(spec, field.name) if same else str(got)
    for name in data.schema.names:
        if name not in target.names:
            columns[name] = str(data.schema.field(name).type)
    check_same_schema(spec, columns, what)


def _spark_type_name(spec: Any, column: str) -> str:
    return next(f.dataType.simpleString() for f in spec.schema if f.name == column)


def _castable(got: pa.DataType, want: pa.DataType) -> bool:
    if got == want or pa.types.is_null(got):
        return True
    families = [
        (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view),
        (pa.types.is_integer, pa.types.is_decimal),
        (pa.types.is_floating,),
        (pa.types.is_timestamp,),
        (pa.types.is_date,),
        (pa.types.is_boolean,),
        (pa.types.is_list, pa.types.is_large_list),
    ]
    return any(
        any(check(got) for check in family) and any(check(want) for check in family) for family in families
    )


def _check_table_schema(table: DeltaTable, spec: Any) -> None:
    existing = pa.schema(table.schema().to_arrow())
    expected = arrow_schema(spec)
    got = {f.name: str(f.type) for f in existing}
    want = {f.name: str(f.type) for f in expected}
    if got != want:
        diff = sorted(set(got.items()) ^ set(want.items()))
        raise LakeError(
            f"table {spec.name} on disk has a different schema than the catalogue ({diff}); "
            "schema evolution is not allowed"
        )


def _removes_for(table: DeltaTable, replace_where: ReplaceWhere | None) -> list[RemoveAction]:
    actions = table.get_add_actions(flatten=True)
    batch = pa.table(actions)
    now = int(time.time() * 1000)
    removes = []
    for row in batch.to_pylist():
        if replace_where:
            keep = False
            for col, values in replace_where.items():
                value = row.get(f"partition.{col}")
                if value is None or str(value) not in {str(v) for v in values}:
                    keep = True
            if keep:
                continue
        parts = {k.split(".", 1)[1]: (None if v is None else str(v))
                 for k, v in row.items() if k.startswith("partition.")}
        removes.append(
            RemoveAction(path=row["path"], data_change=True, deletion_timestamp=now,
                         size=row["size_bytes"], partition_values=parts)
        )
    return removes


def _adds_from_staging(root: str, staging: str, partition_by: Sequence[str]) -> tuple[list[AddAction], int]:
    """Move Spark's part files from staging to Hive-style folders; one AddAction per file."""
    prefix = os.path.basename(staging)
    adds, total = [], 0
    for dirpath, _dirs, files in os.walk(staging):
        for fname in files:
            if not fname.endswith(".parquet"):
                continue
            rel_dir = os.path.relpath(dirpath, staging)
            segments = [] if rel_dir == "." else rel_dir.split(os.sep)
            values: dict[str, str | None] = {}
            for seg in segments:
                key, _, raw = seg.partition("=")
                value = unquote(raw)
                values[key] = None if value == NULL_PARTITION else value
            if sorted(values) != sorted(partition_by):
                raise LakeError(f"unexpected staging layout {rel_dir!r} for partitions {list(partition_by)}")
            src = os.path.join(dirpath, fname)
            rel_target = os.path.join(*segments, f"{prefix}-{fname}") if segments else f"{prefix}-{fname}"
            target = os.path.join(root, rel_target)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(src, target)
            rows = pq.read_metadata(target).num_rows
            total += rows
            stat = os.stat(target)
            adds.append(
                AddAction(
                    path=rel_target.replace(os.sep, "/"),
                    size=stat.st_size,
                    partition_values=values,
                    modification_time=int(stat.st_mtime * 1000),
                    data_change=True,
                    stats=json.dumps({"numRecords": rows}),
                )
            )
    return adds, total
