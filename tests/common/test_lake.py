"""The lake layer on the embedded delta-rs engine: round trips, partition replace, merge, schema
evolution refused, time travel, interoperability with plain delta-rs readers, crash safety."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable, write_deltalake
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.common.errors import LakeError, SchemaEvolutionError
from jobs.common.lake import arrow_schema
from jobs.common.tables import spec_for

KPI = "gold.kpi_daily"


def kpi_rows(day: dt.date, run_id: str, leakage: str = "0.300000") -> list[tuple]:
    return [
        (day, "voice", "unbilled_usage", 10, 8, 7, 7, Decimal("0.875"), 1, Decimal("1.5"),
         Decimal("1.2"), Decimal(leakage), Decimal("0"), Decimal("0.2"), run_id),
        (day, "sms", "rating_error", 4, 4, 4, 4, Decimal("1"), 0, Decimal("0.4"),
         Decimal("0.4"), Decimal("0"), Decimal("0"), None, run_id),
    ]


def kpi_df(spark, rows):
    return spark.createDataFrame(rows, spec_for(KPI).schema)


D1, D2, D3 = dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)


def test_round_trip_keeps_every_value_and_type(spark, lake):
    rows = kpi_rows(D1, "r1") + kpi_rows(D2, "r1", leakage="123456789012.123456")
    result = lake.write(kpi_df(spark, rows), KPI)
    assert (result.version, result.rows) == (0, 4)
    back = lake.read(spark, KPI)
    assertDataFrameEqual(back, kpi_df(spark, rows))
    assert [(f.name, f.dataType) for f in back.schema] == [(f.name, f.dataType) for f in spec_for(KPI).schema]


def test_replace_where_replaces_only_that_partition(spark, lake):
    lake.write(kpi_df(spark, kpi_rows(D1, "r1") + kpi_rows(D2, "r1")), KPI)
    lake.write(kpi_df(spark, kpi_rows(D2, "r2", leakage="9")), KPI, replace_where={"usage_date": [D2]})
    expected = kpi_rows(D1, "r1") + kpi_rows(D2, "r2", leakage="9")
    assertDataFrameEqual(lake.read(spark, KPI), kpi_df(spark, expected))


def test_replace_where_with_no_rows_empties_the_partition(spark, lake):
    lake.write(kpi_df(spark, kpi_rows(D1, "r1") + kpi_rows(D2, "r1")), KPI)
    lake.write(kpi_df(spark, []), KPI, replace_where={"usage_date": [D2]})
    assertDataFrameEqual(lake.read(spark, KPI), kpi_df(spark, kpi_rows(D1, "r1")))


def test_overwrite_replaces_whole_table(spark, lake):
    lake.write(kpi_df(spark, kpi_rows(D1, "r1") + kpi_rows(D2, "r1")), KPI)
    lake.write(kpi_df(spark, kpi_rows(D3, "r3")), KPI, mode="overwrite")
    assertDataFrameEqual(lake.read(spark, KPI), kpi_df(spark, kpi_rows(D3, "r3")))


def test_time_travel_by_version(spark, lake):
    lake.write(kpi_df(spark, kpi_rows(D1, "r1")), KPI)
    lake.write(kpi_df(spark, kpi_rows(D1, "r2")), KPI, replace_where={"usage_date": [D1]})
    assert lake.version(KPI) == 1
    assertDataFrameEqual(lake.read(spark, KPI, version=0), kpi_df(spark, kpi_rows(D1, "r1")))
    assertDataFrameEqual(lake.read(spark, KPI, version=1), kpi_df(spark, kpi_rows(D1, "r2")))
    assert lake.read_arrow(KPI, columns=["run_id"], version=0).column("run_id").to_pylist() == ["r1", "r1"]


def test_schema_evolution_is_refused_with_a_clear_error(spark, lake):
    lake.write(kpi_df(spark, kpi_rows(D1, "r1")), KPI)
    extra = kpi_df(spark, kpi_rows(D2, "r2")).withColumn("surprise", F.lit(1))
    with pytest.raises(SchemaEvolutionError, match=r"new columns \['surprise'\].*schema evolution is not allowed"):
        lake.write(extra, KPI)
    missing = kpi_df(spark, kpi_rows(D2, "r2")).drop("leakage")
    with pytest.raises(SchemaEvolutionError, match=r"missing columns \['leakage'\]"):
        lake.write(missing, KPI)
    wrong_type = kpi_df(spark, kpi_rows(D2, "r2")).withColumn("leakage", F.lit("lots"))
    with pytest.raises(SchemaEvolutionError, match=r"changed types.*leakage"):
        lake.write(wrong_type, KPI)
    # nothing of the refused writes reached the table
    assert lake.version(KPI) == 0


def test_a_table_changed_on_disk_is_refused(spark, lake, tmp_path):
    path = lake.location(KPI)
    write_deltalake(path, pa.table({"usage_date": [D1], "other": ["x"]}), partition_by=["usage_date"])
    with pytest.raises(LakeError, match="different schema than the catalogue"):
        lake.write(kpi_df(spark, kpi_rows(D1, "r1")), KPI)


def test_merge_upserts_by_key(lake):
    schema = arrow_schema(spec_for("ops.runs"))
    t0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

    def runs(*items):
        return pa.Table.from_pylist(
            [{"run_id": r, "stage": "ingest", "params": "{}", "started_at": t0, "ended_at": None,
              "status": s, "rows": None, "message": None} for r, s in items], schema=schema)

    lake.merge(runs(("a", "running"), ("b", "running")), "ops.runs", keys=["run_id"])
    lake.merge(runs(("b", "succeeded"), ("c", "running")), "ops.runs", keys=["run_id"])
    got = sorted(zip(*lake.read_arrow("ops.runs", ["run_id", "status"]).to_pydict().values(), strict=True))
    assert got == [("a", "running"), ("b", "succeeded"), ("c", "running")]
    lake.merge(runs(("c", "failed")), "ops.runs", keys=["run_id"], update=False)
    got = dict(zip(*lake.read_arrow("ops.runs", ["run_id", "status"]).to_pydict().values(), strict=True))
    assert got["c"] == "running"


def test_tables_written_by_spark_are_plain_delta_for_other_readers(spark, lake):
    rows = kpi_rows(D1, "r1") + kpi_rows(D2, "r1")
    lake.write(kpi_df(spark, rows), KPI)
    table = DeltaTable(lake.location(KPI)).to_pyarrow_table()
    got = sorted(zip(table.column("usage_date").to_pylist(), table.column("service").to_pylist(),
                     table.column("leakage").to_pylist(), strict=True))
    assert got == sorted((r[0], r[1], Decimal(str(r[11])).quantize(Decimal("0.000001"))) for r in rows)
    stats = pa.table(DeltaTable(lake.location(KPI)).get_add_actions(flatten=True)).to_pydict()
    assert sum(stats["num_records"]) == 4 and min(stats["num_records"]) > 0


def test_tables_written_by_delta_rs_are_read_by_spark(spark, lake):
    schema = arrow_schema(spec_for(KPI))
    rows = kpi_rows(D1, "r1")
    data = pa.Table.from_pylist([dict(zip(schema.names, r, strict=True)) for r in rows], schema=schema)
    lake.write_arrow(data, KPI)
    assertDataFrameEqual(lake.read(spark, KPI), kpi_df(spark, rows))
    lake.write_arrow(data.set_column(14, "run_id", pa.array(["r9", "r9"])), KPI, replace_where={"usage_date": [D1]})
    assert sorted(r.run_id for r in lake.read(spark, KPI).collect()) == ["r9", "r9"]


def test_read_arrow_filters_without_a_jvm(spark, lake):
    lake.write(kpi_df(spark, kpi_rows(D1, "r1") + kpi_rows(D2, "r2")), KPI)
    got = lake.read_arrow(KPI, columns=["usage_date", "run_id"], filter_expr=pc.field("run_id") == "r2")
    assert got.to_pylist() == [{"usage_date": D2, "run_id": "r2"}] * 2


def test_missing_table_reads_empty_with_the_catalogue_schema(spark, lake):
    assert lake.exists(KPI) is False and lake.version(KPI) is None
    df = lake.read(spark, KPI)
    assert df.columns == [f.name for f in spec_for(KPI).schema] and df.isEmpty()
    assert lake.read_arrow(KPI).num_rows == 0


def test_uncommitted_files_are_invisible_and_vacuumed(spark, lake):
    lake.write(kpi_df(spark, kpi_rows(D1, "r1")), KPI)
    root = Path(lake.location(KPI))
    # a writer that crashed after writing Parquet but before its commit
    orphan_dir = root / "_staging" / "deadbeef" / "usage_date=2026-10-02"
    orphan_dir.mkdir(parents=True)
    kpi_df(spark, kpi_rows(D2, "crash")).drop("usage_date").toPandas().to_parquet(orphan_dir / "part-0.parquet")
    stray = root / "usage_date=2026-10-02" / "orphan.parquet"
    stray.parent.mkdir(parents=True)
    shutil.copy(orphan_dir / "part-0.parquet", stray)
    assertDataFrameEqual(lake.read(spark, KPI), kpi_df(spark, kpi_rows(D1, "r1")))
    removed = lake.vacuum(KPI, retention_hours=0)
    assert any("orphan.parquet" in p for p in removed)
    assert not stray.exists() and not (root / "_staging" / "deadbeef").exists()
    assertDataFrameEqual(lake.read(spark, KPI), kpi_df(spark, kpi_rows(D1, "r1")))


def test_replace_where_must_name_partition_columns(spark, lake):
    with pytest.raises(LakeError, match="must name partition columns"):
        lake.write(kpi_df(spark, kpi_rows(D1, "r1")), KPI, replace_where={"service": ["voice"]})


def test_unknown_table_names_the_known_ones(lake):
    with pytest.raises(KeyError, match=r"unknown table 'gold\.nope'.*gold\.kpi_daily"):
        lake.location("gold.nope")


@pytest.mark.spark_delta
def test_spark_delta_engine_round_trip(spark, cfg, tmp_path):
    from jobs.common.lake import make_lake
    from jobs.common.spark import has_delta

    if not has_delta(spark):
        pytest.skip(
            "Delta Lake's Spark jars are not on this session's classpath (no Maven Central here; "
            "the delta-spark wheel holds only Python) — runs on clusters with Delta"
        )
    lake = make_lake(cfg.with_overrides({"lake.engine": "spark-delta"}), spark)
    lake.write(kpi_df(spark, kpi_rows(D1, "r1") + kpi_rows(D2, "r1")), KPI)
    lake.write(kpi_df(spark, kpi_rows(D2, "r2")), KPI, replace_where={"usage_date": [D2]})
    assertDataFrameEqual(lake.read(spark, KPI), kpi_df(spark, kpi_rows(D1, "r1") + kpi_rows(D2, "r2")))
