"""Landed files -> one Spark DataFrame of text rows, with lineage, for all files of a feed at once.

Output columns: ``source_file, line_number, content_hash, raw, field_error`` and every contract
column of the feed as text (NULL when empty or absent). ``raw`` is the row as a JSON object of
column -> text; ``field_error`` is set when a CSV line has more or fewer fields than its header.

CSV: the files are read as text lines in one scan. The physical line number (header = line 1) is
computed without a shuffle of the data: each line carries its file, the start of the file split
it was read from and ``monotonically_increasing_id`` (consecutive within a split); a tiny
aggregate of (file, split) -> first id, line count gives each split's first line number, joined
back by broadcast. Lines are parsed with ``from_csv`` against the file's own header (files of a
feed may order columns differently: each distinct header is a *layout*, and a contract column is
picked from its position in the line's layout). Parquet: typed columns are turned into the same text the
contract describes (timestamps as ISO-8601 with offset), ``line_number`` is the 1-based row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import reduce
from typing import Any

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.ingest.feeds import INTEGER, Feed
from jobs.ingest.files import CSV, CSV_GZ, PARQUET, LandedFile

ISO_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
# Spark reads nanosecond Parquet timestamps only as longs; the job restores this setting afterwards.
NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"
_GLOB_CHARS = re.compile(r"([\\\[\]{}*?])")
# A quoted CSV field ("" escapes a quote): removed before counting the delimiters of a line.
_QUOTED = r'"[^"]*(?:""[^"]*)*"'
_CSV_OPTIONS = {"mode": "PERMISSIVE", "escape": '"'}

_BLOCKS = T.StructType([
    T.StructField("_path", T.StringType()), T.StructField("_block", T.LongType()),
    T.StructField("_first_mid", T.LongType()), T.StructField("_first_line", T.LongType()),
    T.StructField("source_file", T.StringType()), T.StructField("content_hash", T.StringType()),
    T.StructField("_header", T.ArrayType(T.StringType())), T.StructField("_width", T.IntegerType()),
    T.StructField("_layout", T.IntegerType()),
])
_FILES = T.StructType([
    T.StructField("_path", T.StringType()), T.StructField("source_file", T.StringType()),
    T.StructField("content_hash", T.StringType()),
])


def spark_path(path: str) -> str:
    """A local path as Spark's reader takes it: glob characters escaped."""
    return _GLOB_CHARS.sub(r"\\\1", path)


def local_path(uri: Column) -> Column:
    """``_metadata.file_path`` (``file:/a%20b/c+d.csv``) back to the local path ``/a b/c+d.csv``."""
    decoded = F.url_decode(F.regexp_replace(uri, r"\+", "%2B"))
    return F.regexp_replace(decoded, "^file:(//)?", "")


def read_landed(spark: Any, files: list[LandedFile], feed: Feed) -> DataFrame:
    """All ``files`` (checked, not rejected) of ``feed`` as one DataFrame of text rows."""
    parts = []
    csv_files = [f for f in files if f.fmt in (CSV, CSV_GZ)]
    if csv_files:
        parts.append(read_csv(spark, csv_files, feed))
    by_schema: dict[str, list[LandedFile]] = defaultdict(list)
    for f in files:
        if f.fmt == PARQUET:
            by_schema[str(f.arrow_schema)].append(f)
    parts += [read_parquet(spark, group, feed) for group in by_schema.values()]
    if not parts:
        raise ValueError("read_landed needs at least one file")
    return reduce(DataFrame.unionByName, parts)


def _contract_columns(values: Column, feed: Feed) -> list[Column]:
    """Each contract column from a map column -> text; '' counts as empty (NULL)."""
    return [F.nullif(F.try_element_at(values, F.lit(c.name)), F.lit("")).alias(c.name) for c in feed.columns]


def field_count(line: Column) -> Column:
    """Fields of a CSV line: its commas + 1, not counting commas inside quoted fields."""
    commas = F.length(line) - F.length(F.replace(line, F.lit(","), F.lit("")))
    quoted = F.size(F.split(F.regexp_replace(line, _QUOTED, ""), ",", -1))
    return F.when(F.instr(line, '"') == 0, commas + 1).otherwise(quoted)  # the regex only for quoted lines


def _layout_columns(layouts: list[tuple[str, ...]], parsed: Column, feed: Feed) -> list[Column]:
    """Each contract column from the parsed fields, by its position in the line's layout; '' is NULL."""
    out = []
    for c in feed.columns:
        picks = [(k, cols.index(c.name)) for k, cols in enumerate(layouts) if c.name in cols]
        if len(layouts) == 1 and picks:
            value = parsed.getField(f"c{picks[0][1]}")
        else:
            value = F.lit(None).cast("string")
            for k, i in reversed(picks):
                value = F.when(F.col("_layout") == k, parsed.getField(f"c{i}")).otherwise(value)
        out.append(F.nullif(value, F.lit("")).alias(c.name))
    return out


def read_csv(spark: Any, files: list[LandedFile], feed: Feed) -> DataFrame:
    lines = spark.read.text([spark_path(f.path) for f in files]).select(
        "value",
        local_path(F.col("_metadata.file_path")).alias("_path"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_mid"),
    )
    stats = lines.groupBy("_path", "_block").agg(
        F.count(F.lit(1)).alias("n"), F.min("_mid").alias("first_mid")
    ).collect()
    layouts = list(dict.fromkeys(tuple(f.columns) for f in files))
    blocks = _block_table(stats, files, layouts)
    width = max(len(f.columns) for f in files)
    ddl = ", ".join(f"c{i} STRING" for i in range(width))
    parsed = F.col("_parsed")
    good = F.col("_good")
    df = (
        lines.join(F.broadcast(spark.createDataFrame(blocks, _BLOCKS)), ["_path", "_block"])
        .withColumn("line_number", F.col("_first_line") + F.col("_mid") - F.col("_first_mid"))
        .where((F.col("line_number") > 1) & (F.col("value") != ""))
        # staged columns: the parser runs once per line, not once per field
        .withColumn("_fields", field_count(F.col("value")))
        .withColumn("_good", F.col("_fields") == F.col("_width"))
        .withColumn("_parsed", F.when(good, F.from_csv(F.col("value"), ddl, _CSV_OPTIONS)))
    )
    if len(layouts) == 1:  # one header: the row as a struct (cheaper to write as JSON than a map)
        row = F.struct(*[parsed.getField(f"c{i}").alias(name) for i, name in enumerate(layouts[0])])
    else:  # headers differ: a map from each line's own header to its fields
        values = F.array(*[parsed.getField(f"c{i}") for i in range(width)])
        row = F.map_from_arrays(F.col("_header"), F.slice(values, 1, F.col("_width")))
    return df.select(
        "source_file", "line_number", "content_hash",
        F.when(good, F.to_json(row, {"ignoreNullFields": "false"}))
        .otherwise(F.to_json(F.create_map(F.lit("_line"), F.col("value")))).alias("raw"),
        F.when(~good, F.format_string("bad_field_count: %d fields, header has %d", "_fields", "_width"))
        .alias("field_error"),
        *_layout_columns(layouts, parsed, feed),
    )


def _block_table(stats: list[Any], files: list[LandedFile], layouts: list[tuple[str, ...]]) -> list[tuple[Any, ...]]:
    """(file, split start) -> first line number of the split, from per-split line counts."""
    by_path = {f.path: f for f in files}
    per_file: dict[str, list[Any]] = defaultdict(list)
    for row in stats:
        per_file[row["_path"]].append(row)
    if set(per_file) != set(by_path):
        odd = sorted(set(per_file) ^ set(by_path))[:3]
        raise RuntimeError(f"Spark's file paths do not match the landed files: {odd}")
    out = []
    for path, splits in per_file.items():
        landed, line = by_path[path], 1
        for split in sorted(splits, key=lambda r: r["_block"]):
            out.append((path, split["_block"], split["first_mid"], line, landed.source_file,
                        landed.content_hash, landed.columns, len(landed.columns),
                        layouts.index(tuple(landed.columns))))
            line += split["n"]
    return out


def read_parquet(spark: Any, files: list[LandedFile], feed: Feed) -> DataFrame:
    """Parquet files sharing one Arrow schema; typed columns become contract text."""
    schema = files[0].arrow_schema
    assert schema is not None
    if any(pa.types.is_timestamp(t) and t.unit == "ns" for t in _types(schema)):
        # Spark cannot read nanosecond timestamps as timestamps; read them as long and convert.
        spark.conf.set(NANOS_AS_LONG, "true")
    kinds = {c.name: c.kind for c in feed.columns}
    texts = [
        as_text(name, schema.field(name).type, kinds.get(name)).alias(f"_t{i}")
        for i, name in enumerate(schema.names)
    ]
    table = [(f.path, f.source_file, f.content_hash) for f in files]
    df = spark.read.parquet(*[spark_path(f.path) for f in files]).select(
        *texts,
        local_path(F.col("_metadata.file_path")).alias("_path"),
        (F.col("_metadata.row_index") + 1).alias("line_number"),
    ).join(F.broadcast(spark.createDataFrame(table, _FILES)), "_path")
    row = F.create_map(*[x for i, name in enumerate(schema.names) for x in (F.lit(name), F.col(f"_t{i}"))])
    return df.withColumn("_row", row).select(
        "source_file", "line_number", "content_hash", F.to_json("_row").alias("raw"),
        F.lit(None).cast("string").alias("field_error"), *_contract_columns(F.col("_row"), feed),
    )


def _types(schema: pa.Schema) -> list[pa.DataType]:
    return [t.value_type if pa.types.is_dictionary(t) else t for t in schema.types]


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def as_text(name: str, dtype: pa.DataType, kind: str | None = None) -> Column:
    """Parquet column ``name`` of Arrow type ``dtype`` as the text contract v1 describes.

    ``kind`` is the contract column's kind (None for extra columns, which are kept in ``raw`` only).
    """
    col = F.col(_quote(name))
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return col
    if pa.types.is_timestamp(dtype) and dtype.tz is not None:
        if dtype.unit == "ns":
            micros = F.expr(f"{_quote(name)} div 1000")  # exact integer division (no Column API)
            return F.date_format(F.timestamp_micros(micros), ISO_FORMAT)
        return F.date_format(col, ISO_FORMAT)
    if pa.types.is_floating(dtype) and kind == INTEGER:
        whole = F.when((col % 1) == 0, col.try_cast("long").cast("string"))
        return F.coalesce(whole, col.cast("string"))
    if pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype):
        return F.base64(col)
    if pa.types.is_nested(dtype):
        return F.to_json(col)
    return col.cast("string")

