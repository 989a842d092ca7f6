"""Pure transforms of ingestion: check and type landed rows, pick duplicates, shape the outputs.

The input of :func:`validate_rows` is what :mod:`jobs.ingest.read` produces — one row per landed
record with every contract column as text (NULL when empty) plus ``source_file``, ``line_number``,
``content_hash``, ``raw`` and ``field_error``. Nothing here reads, writes, or looks at a clock:
the run time arrives in :class:`Rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs.common.tables import spec_for
from jobs.ingest import rules as R
from jobs.ingest.feeds import DATE, DECIMAL, E164, ENUM, INTEGER, PATTERN, PREFIX, TIMESTAMP, Col, Feed

META = ("source_file", "line_number", "content_hash", "raw")
ACCEPTED, QUARANTINED, DUPLICATE = "accepted", "quarantined", "duplicate"


@dataclass(frozen=True)
class Rules:
    """Thresholds of the row checks (conf/base/ingest.yml) and the run time they are relative to."""

    now: datetime
    future_tolerance_hours: float = 24
    max_duration_s: int = 86400
    max_volume_bytes: int = 100_000_000_000
    e164_min_digits: int = 3
    e164_max_digits: int = 15
    money_max_decimals: int = 6

    @classmethod
    def from_config(cls, ingest_cfg: dict[str, Any], now: datetime) -> Rules:
        return cls(
            now=now,
            future_tolerance_hours=float(ingest_cfg["future_tolerance_hours"]),
            max_duration_s=int(ingest_cfg["max_duration_s"]),
            max_volume_bytes=int(ingest_cfg["max_volume_bytes"]),
            e164_min_digits=int(ingest_cfg["e164_min_digits"]),
            e164_max_digits=int(ingest_cfg["e164_max_digits"]),
            money_max_decimals=int(ingest_cfg["money_max_decimals"]),
        )

    @property
    def future_limit(self) -> datetime:
        return self.now + timedelta(hours=self.future_tolerance_hours)


def check_column(col: Col, rules: Rules) -> tuple[Column, list[Column]]:
    """The typed value of one contract column and its reasons (each NULL when the rule holds)."""
    text = F.col(col.name)
    present = text.isNotNull()
    reasons = [R.reason(text.isNull(), "missing_required", col.name)] if col.required else []
    typed: Column = text
    if col.kind == ENUM:
        reasons.append(R.reason(present & ~text.isin(*col.values), "bad_enum", col.name, text))
    elif col.kind in (E164, PREFIX):
        pattern = (R.e164_re(rules.e164_min_digits, rules.e164_max_digits) if col.kind == E164
                   else R.prefix_re(rules.e164_max_digits))
        reasons.append(R.reason(present & ~text.rlike(pattern), "bad_e164", col.name, text))
    elif col.kind == PATTERN:
        reasons.append(R.reason(present & ~text.rlike(col.pattern), col.code, col.name, text))
    elif col.kind == TIMESTAMP:
        typed = R.parse_timestamp(text)
        reasons.append(R.reason(present & typed.isNull(), "bad_timestamp", col.name, text))
        if col.future_check:
            hours = f"{rules.future_tolerance_hours:g}"
            reasons.append(R.reason(typed > F.lit(rules.future_limit), "future_timestamp", col.name, text,
                                    f" (later than run time + {hours}h)"))
    elif col.kind == DATE:
        typed = R.parse_date(text)
        reasons.append(R.reason(present & typed.isNull(), "bad_date", col.name, text))
    elif col.kind == INTEGER:
        typed = R.parse_long(text)
        reasons.append(R.reason(present & typed.isNull(), "bad_integer", col.name, text))
        if col.min_value >= 1:
            reasons.append(R.reason(typed < col.min_value, "not_positive", col.name, text))
        else:
            reasons.append(R.reason(typed < 0, "negative", col.name, text))
        if col.max_key:
            limit = int(getattr(rules, col.max_key))
            reasons.append(R.reason(typed > limit, col.max_code, col.name, text, f" (max {limit})"))
    elif col.kind == DECIMAL:
        typed = R.parse_money(text)
        well_formed = text.rlike(R.DECIMAL_RE)
        places_ok = text.rlike(R.decimal_places_re(rules.money_max_decimals))
        reasons += [
            R.reason(present & ~well_formed, "bad_decimal", col.name, text),
            R.reason(well_formed & places_ok & typed.isNull(), "bad_decimal", col.name, text, " (out of range)"),
            R.reason(R.is_negative_decimal(text), "negative", col.name, text),
            R.reason(well_formed & ~places_ok, "too_many_decimals", col.name, text,
                     f" (max {rules.money_max_decimals})"),
        ]
    return typed, reasons


def cross_field_reasons(feed: Feed) -> list[Column]:
    """Rules that relate columns of one row (contract v1, per feed)."""
    out: list[Column] = []
    names = {c.name for c in feed.columns}
    if {"service", "other_party"} <= names:
        service, other = F.col("service"), F.col("other_party")
        out.append(R.reason(service.isin("voice", "sms") & other.isNull(), "missing_required", "other_party"))
        out.append(R.reason((service == "data") & other.isNotNull(), "inconsistent", "other_party", other,
                            " for data (must be empty)"))
    if feed.name == "network_usage":
        service = F.col("service")
        duration, volume = R.parse_long(F.col("duration_s")), R.parse_long(F.col("volume_bytes"))
        out += [
            R.reason((service == "data") & (F.col("direction") == "MT"), "inconsistent", "direction",
                     F.col("direction"), " for data (data is always MO)"),
            R.reason((service == "sms") & (duration != 0), "inconsistent", "duration_s",
                     F.col("duration_s"), " for sms (must be 0)"),
            R.reason(service.isin("voice", "sms") & (volume != 0), "inconsistent", "volume_bytes",
                     F.col("volume_bytes"), " for voice/sms (must be 0)"),
        ]
    if feed.name == "tariffs":
        start, end = R.parse_date(F.col("effective_from")), R.parse_date(F.col("effective_to"))
        out.append(R.reason(end <= start, "bad_range", "effective_to", F.col("effective_to"),
                            " (must be after effective_from)"))
    return out


def validate_rows(rows: DataFrame, feed: Feed, rules: Rules) -> DataFrame:
    """Type every contract column and collect every reason a row breaks contract v1.

    Needs: ``source_file, line_number, content_hash, raw, field_error`` and the feed's columns as
    text. Adds: the columns typed as in silver (``usage_date`` for event feeds) and ``reasons``
    (``array<string>``, empty for a valid row). Typed values of invalid rows are undefined.
    """
    typed, reasons = [], []
    for col in feed.columns:
        value, col_reasons = check_column(col, rules)
        typed.append(value.alias(col.name))
        reasons += col_reasons
    reasons += cross_field_reasons(feed)
    extra = [] if feed.snapshot else [R.utc_date(R.parse_timestamp(F.col("start_time"))).alias("usage_date")]
    return rows.select(
        *META, *typed, *extra, R.reasons_array(F.col("field_error"), reasons).alias("reasons")
    )


def dedupe_group(feed: Feed) -> list[str]:
    """The columns a duplicate shares: the feed key (within one file for snapshots)."""
    return [*(["source_file"] if feed.snapshot else []), *feed.key]


def repeated_keys(checked: DataFrame, feed: Feed) -> DataFrame:
    """The :func:`dedupe_group` values held by more than one valid row, flagged ``_repeated``.

    Only these rows need ranking: every other valid row is the first (and only) of its key. Key
    columns only — a narrow aggregate, not a shuffle of the whole rows.
    """
    group = dedupe_group(feed)
    return (checked.where(F.size("reasons") == 0).groupBy(*group).count().where(F.col("count") > 1)
            .select(*group, F.lit(True).alias("_repeated")))


def seen_keys(existing: DataFrame, checked: DataFrame, feed: Feed) -> DataFrame:
    """The rows of ``existing`` (silver's ``key, source_file, line_number``) whose key is among ``checked``'s.

    An incremental delivery shares few keys with what is already in silver, so this is usually small.
    """
    return existing.join(checked.select(*feed.key), list(feed.key), "left_semi")


def classify(checked: DataFrame, feed: Feed, existing: DataFrame | None = None,
             repeated: DataFrame | None = None) -> DataFrame:
    """Decide each row's outcome: ``accepted``, ``quarantined`` or ``duplicate``.

    Valid rows sharing the feed key (within one file for snapshots, across all files for events)
    keep the first by ``(source_file, line_number)``; the others are duplicates. ``existing`` (the
    silver table's ``key, source_file, line_number``, or just :func:`seen_keys`) makes rows already in
    silver duplicates — unless it is the very same row (same file and line, written by an interrupted
    run): that one stays accepted but is not written again. ``repeated`` (:func:`repeated_keys`,
    when given) limits the ranking to the rows whose key repeats; without it every row is ranked.
    Adds ``outcome`` and ``to_write``.
    """
    valid = F.size("reasons") == 0
    group = dedupe_group(feed)
    window = Window.partitionBy(valid, *group).orderBy("source_file", "line_number")
    if repeated is None:
        df = checked.withColumn("_rank", F.row_number().over(window))
    else:
        right = repeated.select(*[F.col(c).alias(f"_r_{c}") for c in group], "_repeated")
        same_key = F.lit(True)
        for c in group:  # null-safe, as the window groups NULLs together
            same_key = same_key & F.col(c).eqNullSafe(F.col(f"_r_{c}"))
        flagged = checked.join(right, same_key, "left").drop(*[f"_r_{c}" for c in group])
        contested = valid & F.col("_repeated").isNotNull()
        ranked = flagged.where(contested).withColumn("_rank", F.row_number().over(window))
        df = flagged.where(~contested).withColumn("_rank", F.lit(1)).unionByName(ranked).drop("_repeated")
    if existing is not None:
        seen = existing.select(*feed.key, F.col("source_file").alias("_seen_file"),
                               F.col("line_number").alias("_seen_line"))
        df = df.join(seen, on=list(feed.key), how="left")
    else:
        df = df.withColumn("_seen_file", F.lit(None).cast("string")).withColumn("_seen_line", F.lit(None).cast("long"))
    seen = F.col("_seen_file").isNotNull()
    same_row = (F.col("_seen_file") == F.col("source_file")) & F.col("_seen_line").eqNullSafe(F.col("line_number"))
    outcome = (
        F.when(~valid, F.lit(QUARANTINED))
        .when(F.col("_rank") > 1, F.lit(DUPLICATE))
        .when(seen & ~same_row, F.lit(DUPLICATE))
        .otherwise(F.lit(ACCEPTED))
    )
    return (
        df.withColumn("outcome", outcome)
        .withColumn("to_write", (F.col("outcome") == ACCEPTED) & ~seen)
        .drop("_rank", "_seen_file", "_seen_line")
    )


def file_counts(classified: DataFrame) -> DataFrame:
    """Per ``source_file``: ``rows_read, accepted, quarantined, duplicate, to_write`` (small)."""
    def count_if(cond: Column) -> Column:
        return F.sum(F.when(cond, 1).otherwise(0)).cast("long")

    outcome = F.col("outcome")
    return classified.groupBy("source_file").agg(
        F.count(F.lit(1)).alias("rows_read"),
        count_if(outcome == ACCEPTED).alias(ACCEPTED),
        count_if(outcome == QUARANTINED).alias(QUARANTINED),
        count_if(outcome == DUPLICATE).alias(DUPLICATE),
        count_if(F.col("to_write")).alias("to_write"),
    )


def bronze_rows(classified: DataFrame, feed: Feed, run_id: str, ingest_date: date) -> DataFrame:
    """Every landed row as read (``bronze.<feed>``)."""
    return classified.select(
        F.lit(feed.name).alias("feed"), "source_file", "line_number", "content_hash", "raw",
        F.lit(run_id).alias("ingest_run_id"), F.lit(ingest_date).alias("ingest_date"),
    )


def quarantine_rows(classified: DataFrame, feed: Feed, run_id: str, ingest_date: date) -> DataFrame:
    """Rows that broke the contract, with every reason (``ops.quarantine``)."""
    return classified.where(F.col("outcome") == QUARANTINED).select(
        F.lit(feed.name).alias("feed"), "source_file", "line_number", "raw", "reasons", "content_hash",
        F.lit(run_id).alias("ingest_run_id"), F.lit(ingest_date).alias("ingest_date"),
    )


def silver_rows(classified: DataFrame, feed: Feed, run_id: str, only_file: str | None = None) -> DataFrame:
    """Rows to write to the feed's silver table (for a snapshot: those of ``only_file``)."""
    df = classified.where(F.col("to_write"))
    if only_file is not None:
        df = df.where(F.col("source_file") == only_file)
    df = df.withColumn("ingest_run_id", F.lit(run_id))
    return df.select(*[f.name for f in spec_for(feed.silver_table).schema])
