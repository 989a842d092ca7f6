"""Spark-Delta engine: Delta Lake's own Spark data source, for clusters that have it.

Used when the session has ``io.delta.tables.DeltaTable`` on its classpath (Databricks, EMR, or a
session started with ``spark.jars.packages=io.delta:delta-spark_2.13:4.x``). Paths and
``catalog:`` names both work. Reads for the app still go through delta-rs on the same path
(same protocol, no JVM); catalog tables are read through Spark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from jobs.common.errors import LakeError
from jobs.common.lake import (
    CATALOG_PREFIX,
    Lake,
    ReplaceWhere,
    WriteResult,
    arrow_schema,
    conform,
    replace_predicate,
)
from jobs.common.tables import spec_for


class SparkDeltaLake(Lake):
    engine_name = "spark-delta"

    def __init__(self, root: str, locations: Any = None, spark: Any = None, **options: Any):
        super().__init__(root, locations, **options)
        if spark is None:
            raise LakeError("the spark-delta engine needs a Spark session")
        self.spark = spark

    def _catalog(self, name: str) -> str | None:
        loc = self.location(name)
        return loc[len(CATALOG_PREFIX):] if loc.startswith(CATALOG_PREFIX) else None

    def _delta_table(self, name: str) -> Any:
        from delta.tables import DeltaTable

        catalog = self._catalog(name)
        if catalog:
            return DeltaTable.forName(self.spark, catalog)
        return DeltaTable.forPath(self.spark, self.location(name))

    def exists(self, name: str) -> bool:
        from delta.tables import DeltaTable

        catalog = self._catalog(name)
        if catalog:
            return bool(self.spark.catalog.tableExists(catalog))
        return bool(DeltaTable.isDeltaTable(self.spark, self.location(name)))

    def version(self, name: str) -> int | None:
        if not self.exists(name):
            return None
        return int(self._delta_table(name).history(1).collect()[0]["version"])

    def read(self, spark: Any, name: str, version: int | None = None) -> Any:
        spec = spec_for(name)
        if not self.exists(name):
            return spark.createDataFrame([], spec.schema)
        reader = spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        catalog = self._catalog(name)
        df = reader.table(catalog) if catalog else reader.load(self.location(name))
        return df.select([f.name for f in spec.schema])

    def read_arrow(
        self, name: str, columns: Sequence[str] | None = None, version: int | None = None,
        filter_expr: Any | None = None,
    ) -> pa.Table:
        if self._catalog(name):
            df = self.read(self.spark, name, version)
            table = df.select(*(columns or df.columns)).toArrow()
            return table.filter(filter_expr) if filter_expr is not None else table
        from jobs.common.lake_deltars import DeltaRsLake

        return DeltaRsLake(self.root, self.locations).read_arrow(name, columns, version, filter_expr)

    def write(
        self, df: Any, name: str, mode: str = "append", replace_where: ReplaceWhere | None = None
    ) -> WriteResult:
        spec = spec_for(name)
        out = conform(df, spec)
        writer = out.write.format("delta").mode("overwrite" if replace_where else mode)
        if spec.partition_by:
            writer = writer.partitionBy(*spec.partition_by)
        if replace_where:
            writer = writer.option("replaceWhere", replace_predicate(replace_where))
        catalog = self._catalog(name)
        if catalog:
            writer.saveAsTable(catalog)
        else:
            writer.save(self.location(name))
        version = self.version(name) or 0
        metrics = self._delta_table(name).history(1).collect()[0]["operationMetrics"] or {}
        return WriteResult(name, version, int(metrics.get("numOutputRows", 0)), int(metrics.get("numFiles", 0)))

    def write_arrow(
        self, data: pa.Table, name: str, mode: str = "append", replace_where: ReplaceWhere | None = None
    ) -> WriteResult:
        spec = spec_for(name)
        data = data.select(arrow_schema(spec).names).cast(arrow_schema(spec))
        df = self.spark.createDataFrame(data.to_pandas(), spec.schema) if data.num_rows else (
            self.spark.createDataFrame([], spec.schema)
        )
        return self.write(df, name, mode, replace_where)

    def merge(self, data: pa.Table, name: str, keys: Sequence[str], update: bool = True) -> WriteResult:
        spec = spec_for(name)
        if not self.exists(name):
            return self.write_arrow(data, name)
        source = self.spark.createDataFrame(
            data.select(arrow_schema(spec).names).cast(arrow_schema(spec)).to_pandas(), spec.schema
        )
        condition = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        merger = self._delta_table(name).alias("t").merge(source.alias("s"), condition)
        if update:
            merger = merger.whenMatchedUpdateAll()
        merger.whenNotMatchedInsertAll().execute()
        return WriteResult(name, self.version(name) or 0, data.num_rows, -1)

    def history(self, name: str) -> list[dict[str, Any]]:
        if not self.exists(name):
            return []
        return [row.asDict() for row in self._delta_table(name).history().collect()]

    def vacuum(self, name: str, retention_hours: int | None = None, dry_run: bool = False) -> list[str]:
        if not self.exists(name):
            return []
        hours = self.options.get("vacuum_retention_hours", 168) if retention_hours is None else retention_hours
        self._delta_table(name).vacuum(hours)
        return []
