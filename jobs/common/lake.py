"""The lake layer: the one place that reads and writes tables, by logical name.

``bronze.network_usage`` resolves through ``lake.locations`` (or ``<lake.root>/<layer>/<table>``) to a
folder, an object-store URI or a catalog table (``catalog:main.ra.network_usage``). Two engines sit
behind one interface and write the same Delta protocol:

* :class:`~jobs.common.lake_deltars.DeltaRsLake` — the embedded default and CI. Spark writes the
  Parquet files, delta-rs commits them as one Delta transaction; small tables go through Arrow.
* :class:`~jobs.common.lake_spark_delta.SparkDeltaLake` — clusters whose Spark has Delta Lake on its
  classpath (Databricks, EMR, ``spark.jars.packages``).

``lake.engine: auto`` picks Spark-Delta when the session has Delta and delta-rs otherwise.
Both refuse a write whose schema differs from the table catalogue (no silent schema evolution).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from jobs.common.errors import LakeError, SchemaEvolutionError
from jobs.common.tables import TableSpec, spec_for

CATALOG_PREFIX = "catalog:"

# replace_where: partition column -> values; the write replaces exactly those partitions.
ReplaceWhere = Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class WriteResult:
    table: str
    version: int
    rows: int
    files: int


def spark_to_arrow_type(dtype: Any) -> pa.DataType:
    """Arrow type of a Spark SQL type, as delta-rs stores it."""
    from pyspark.sql import types as T

    if isinstance(dtype, T.StringType):
        return pa.string()
    if isinstance(dtype, T.LongType):
        return pa.int64()
    if isinstance(dtype, T.IntegerType):
        return pa.int32()
    if isinstance(dtype, T.DoubleType):
        return pa.float64()
    if isinstance(dtype, T.BooleanType):
        return pa.bool_()
    if isinstance(dtype, T.TimestampType):
        return pa.timestamp("us", tz="UTC")
    if isinstance(dtype, T.DateType):
        return pa.date32()
    if isinstance(dtype, T.DecimalType):
        return pa.decimal128(dtype.precision, dtype.scale)
    if isinstance(dtype, T.ArrayType):
        # "element" is the item name Delta (and Spark's Parquet) use; with pyarrow's default "item"
        # a table read back from the Delta log would differ from the catalogue.
        return pa.list_(pa.field("element", spark_to_arrow_type(dtype.elementType)))
    raise LakeError(f"no Arrow mapping for Spark type {dtype.simpleString()}")


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The table's Arrow schema. Every Delta column is stored nullable; contracts enforce NOT NULL."""
    return pa.schema([pa.field(f.name, spark_to_arrow_type(f.dataType), True) for f in spec.schema])


def check_same_schema(spec: TableSpec, columns: Mapping[str, str], what: str) -> None:
    """Refuse a write whose columns or types differ from the catalogue (``columns``: name -> type)."""
    expected = {f.name: f.dataType.simpleString() for f in spec.schema}
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    changed = [f"{c} ({columns[c]} != {t})" for c, t in expected.items() if c in columns and columns[c] != t]
    if missing or extra or changed:
        parts = []
        if extra:
            parts.append(f"new columns {extra}")
        if missing:
            parts.append(f"missing columns {missing}")
        if changed:
            parts.append(f"changed types {changed}")
        raise SchemaEvolutionError(
            f"{what} to table {spec.name} refused: {'; '.join(parts)} — schema evolution is not "
            "allowed; change jobs/common/tables.py and migrate the table deliberately"
        )


def conform(df: Any, spec: TableSpec) -> Any:
    """Select the catalogue's columns in order, cast to its types.

    Numeric widenings a transform produces naturally (int -> long, a decimal's scale) are cast; a
    missing or extra column, or text where a number belongs, is a schema change and refused.
    """
    from pyspark.sql import functions as F

    _check_names(df, spec)
    return df.select([F.col(f.name).cast(f.dataType).alias(f.name) for f in spec.schema])


def _check_names(df: Any, spec: TableSpec) -> None:
    from pyspark.sql import types as T

    have = {f.name: f.dataType for f in df.schema}
    expected = {f.name: f.dataType for f in spec.schema}
    bad = {}
    for name, want in expected.items():
        got = have.get(name)
        if got is None or isinstance(got, T.NullType):
            continue
        numeric = (T.IntegralType, T.DecimalType, T.FractionalType)
        if isinstance(want, numeric) and not isinstance(got, numeric):
            bad[name] = got.simpleString()
        elif isinstance(want, T.StringType | T.ArrayType) and type(got) is not type(want):
            bad[name] = got.simpleString()
    columns = {n: t.simpleString() for n, t in have.items()}
    for name, got_type in bad.items():
        columns[name] = got_type
    for name, dtype in expected.items():
        if name in have and name not in bad:
            columns[name] = dtype.simpleString()
    check_same_schema(spec, columns, "write")


class Lake(abc.ABC):
    """Tables by logical name. Implementations: delta-rs (embedded) and Spark-Delta (clusters)."""

    engine_name = "abstract"

    def __init__(self, root: str, locations: Mapping[str, str] | None = None, **options: Any):
        self.root = str(root)
        self.locations = dict(locations or {})
        self.options = options

    # ----------------------------------------------------------------- naming
    def location(self, name: str) -> str:
        spec_for(name)
        if name in self.locations:
            return self.locations[name]
        layer, table = name.split(".", 1)
        if "://" in self.root:
            return f"{self.root.rstrip('/')}/{layer}/{table}"
        return str(Path(self.root).resolve() / layer / table)

    # ----------------------------------------------------------------- interface
    @abc.abstractmethod
    def exists(self, name: str) -> bool: ...

    @abc.abstractmethod
    def version(self, name: str) -> int | None:
        """Current version, or None when the table does not exist yet."""

    @abc.abstractmethod
    def read(self, spark: Any, name: str, version: int | None = None) -> Any:
        """A Spark DataFrame of the table (empty with the catalogue schema if it does not exist)."""

    @abc.abstractmethod
    def read_arrow(
        self, name: str, columns: Sequence[str] | None = None, version: int | None = None,
        filter_expr: Any | None = None,
    ) -> pa.Table:
        """An Arrow table without a JVM (the app reads this way); ``filter_expr`` a pyarrow expression."""

    @abc.abstractmethod
    def write(
        self, df: Any, name: str, mode: str = "append", replace_where: ReplaceWhere | None = None
    ) -> WriteResult:
        """Write a Spark DataFrame. ``mode``: append | overwrite; ``replace_where`` replaces partitions."""

    @abc.abstractmethod
    def write_arrow(
        self, data: pa.Table, name: str, mode: str = "append", replace_where: ReplaceWhere | None = None
    ) -> WriteResult:
        """Write a small Arrow table from the driver (logs, case events, run records)."""

    @abc.abstractmethod
    def merge(self, data: pa.Table, name: str, keys: Sequence[str], update: bool = True) -> WriteResult:
        """Upsert by ``keys``: matched rows updated (or left alone when ``update`` is False)."""

    @abc.abstractmethod
    def history(self, name: str) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def vacuum(self, name: str, retention_hours: int | None = None, dry_run: bool = False) -> list[str]: ...

    def table_names(self) -> list[str]:
        from jobs.common.tables import TABLES

        return [n for n in sorted(TABLES) if self.exists(n)]


def replace_predicate(replace_where: ReplaceWhere) -> str:
    """SQL predicate for ``replace_where`` (values are quoted; no user text reaches here unquoted)."""
    clauses = []
    for col, values in replace_where.items():
        if not values:
            raise LakeError(f"replace_where on {col!r} needs at least one value")
        quoted = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
        clauses.append(f"{col} IN ({quoted})")
    return " AND ".join(clauses)


def make_lake(cfg: Mapping[str, Any], spark: Any | None = None) -> Lake:
    """The lake for this config: ``lake.engine`` auto | delta-rs | spark-delta."""
    lake_cfg = cfg["lake"]
    engine = str(lake_cfg.get("engine", "auto"))
    opts = {
        "vacuum_retention_hours": int(lake_cfg.get("vacuum_retention_hours", 168)),
        "arrow_batch_rows": int(lake_cfg.get("arrow_batch_rows", 200000)),
    }
    if engine == "auto":
        from jobs.common.spark import has_delta

        engine = "spark-delta" if spark is not None and has_delta(spark) else "delta-rs"
    if engine == "delta-rs":
        from jobs.common.lake_deltars import DeltaRsLake

        return DeltaRsLake(lake_cfg["root"], lake_cfg.get("locations"), **opts)
    if engine == "spark-delta":
        from jobs.common.lake_spark_delta import SparkDeltaLake

        if spark is None:
            raise LakeError("lake.engine spark-delta needs a Spark session")
        return SparkDeltaLake(lake_cfg["root"], lake_cfg.get("locations"), spark=spark, **opts)
    raise LakeError(f"config key 'lake.engine' must be auto, delta-rs or spark-delta, got {engine!r}")
