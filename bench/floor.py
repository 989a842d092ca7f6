"""The floor: what the least work any reconcile or pipeline must do costs Spark on this machine.

    python bench/run.py --records 4000000 --app-cases 0 --keep      # a bench lake to measure on
    python bench/floor.py var/bench/bench-4000000                   # -> bench/results/<date>-floor-<N>.json

The throughput targets of the benchmark (reconcile >= 300,000 and the whole pipeline >= 150,000
network records/s at 4M on 2 cores) are compared here with queries that do *less* than leakline
must, on the same Spark session settings (conf/base, ``local[*]``, the bench overrides) and the same
silver tables and landing files:

* ``scan``         read the silver columns reconcile reads (network records and billed events) and
                   discard them (Spark's ``noop`` sink: the whole plan runs, nothing is written);
* ``rate``         the re-rating's lookups for every record: the longest prefix of the destination
                   catalogue (11,894 prefixes with the carrier list), the subscriber's plan, the tariff
                   row in force — broadcast probes, no quantities, no allowance, no charge;
* ``window``       the bill-cycle allowance: a running sum per msisdn x service in time order;
* ``join``         every billable record next to its billed event: one full outer equi-join of the
                   billable records with the events that have a source id, on ``record_id = source_record_id``;
* ``time``         the events without a source id paired with the billable records of the same msisdn,
                   service and other party within the clock-skew tolerance (one equi-join on those and
                   a time bucket; no usage-consistency check, no one-to-one resolution);
* ``reconcile``    ``rate``, ``window``, ``join`` and ``time`` in one plan over the billable records: the
                   least re-rating and matching the reconcile target names (no controls, no KPIs, no
                   cases, no writes);
* ``msisdn``       the same in the shape that goes below it: records and events each shuffled once,
                   by msisdn, and the window and *one* join for both matches (on msisdn and a key:
                   each record offers its id and its service/party/time bucket, each event its source
                   id or its buckets) run in that one partitioning (an event naming a record of another
                   msisdn is left out: a re-design would broadcast those few);
* ``features``     one aggregate per msisdn x day of the network records: count, seconds, bytes,
                   distinct other parties (the core of the fraud features; no scoring);
* ``csv``          the landing CSV of both usage feeds read as untyped strings and written as
                   Parquet (no types, no rules, no quarantine, no Delta commit): the least ingest does.

The reconcile floor is the cheaper of ``reconcile`` and ``msisdn``; the pipeline floor adds ``csv`` and
``features`` to it (scoring not counted). Each query runs ``--repeat`` times after a warm-up; the best
time counts. records/s is network records per second, as in the benchmark. If a floor is already
slower than a target, or needs more task CPU than the machine's cores have in the target's time, no
implementation on Spark reaches that target on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import run as bench  # noqa: E402 - bench/run.py: overrides, machine description, REST metrics

TARGETS = {"reconcile": 300_000, "pipeline": 150_000}  # network records/s at 4M (issue #7)


# Session settings a query needs while it runs: "msisdn" lets a join reuse a partitioning on the first of
# its keys (Spark otherwise re-shuffles both sides on all of them).
SESSION = {"msisdn": {"spark.sql.requireAllClusterKeysForCoPartition": "false"}}


def floor_frames(read: Callable[[str], Any], tolerance_us: int, bucket_us: int) -> dict[str, list[Any]]:
    """The Spark queries of the floor by name (``read``: logical table name -> DataFrame).

    ``tolerance_us``/``bucket_us``: the clock-skew tolerance and time-bucket width of the matching.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from jobs.common.frames import materialize
    from jobs.reconcile.flow import NETWORK_COLUMNS as NETWORK
    from jobs.reconcile.matching import EVENT_COLUMNS, time_bucket, tolerance_buckets
    from jobs.reconcile.rating import (
        is_billable,
        longest_prefix_zone,
        prefix_catalogue,
        prefix_lengths,
        rating_zone,
        tariff_in_force,
        tariff_periods,
    )

    # the small lookup tables are prepared once (as reconcile does), so the queries shuffle only the usage
    catalogue = materialize(prefix_catalogue(read("silver.destinations")))
    lengths = prefix_lengths(catalogue)
    periods = materialize(tariff_periods(read("silver.tariffs")))

    # the time match: an event's start +- the tolerance touches 1-3 buckets, a record's start is in one
    e_t_us = F.unix_micros("e_start_time")
    e_buckets = tolerance_buckets(e_t_us, tolerance_us, bucket_us)
    r_bucket = time_bucket(F.unix_micros("start_time"), bucket_us)
    near = F.abs(F.unix_micros("start_time") - e_t_us) <= F.lit(tolerance_us)

    def party(column: str) -> Any:
        return F.coalesce(F.col(column), F.lit(""))

    def network() -> Any:
        return read("silver.network_usage").select(*NETWORK)

    def events() -> Any:
        return read("silver.billed_usage").select(*[F.col(c).alias(f"e_{c}") for c in EVENT_COLUMNS])

    def billable(df: Any) -> Any:
        return df.filter(is_billable(F.col("direction"), F.col("service")))

    def rated(df: Any) -> Any:
        # the re-rating's lookups, each one broadcast probe (leakline's prefix join: cheaper than one join of
        # all prefixes of a number plus a max per record, 3.7 vs 5.5 s at 4M): the longest catalogue prefix,
        # the subscriber's plan, the tariff row in force
        subs = read("silver.subscribers").select(F.col("msisdn").alias("s_msisdn"), F.col("plan_id").alias("s_plan"))
        zoned = longest_prefix_zone(df, catalogue, lengths, unique=True).withColumn(
            "zone", rating_zone(F.col("service"), F.col("roaming_plmn"), F.col("dest_zone")))
        in_force = tariff_in_force(F.col("s_plan"), F.unix_micros("start_time"))
        return (zoned.join(F.broadcast(subs), F.col("msisdn") == F.col("s_msisdn"), "left")
                .join(F.broadcast(periods), in_force, "left")
                .select(*NETWORK, "zone", "s_plan", "price_per_unit"))

    def allowance(df: Any) -> Any:
        w = Window.partitionBy("msisdn", "service").orderBy("start_time", "record_id").rowsBetween(
            Window.unboundedPreceding, Window.currentRow)
        usage = F.when(F.col("service") == "data", F.col("volume_bytes")).otherwise(F.col("duration_s"))
        return df.withColumn("cumulative", F.sum(usage).over(w))

    def by_id(records: Any, evs: Any) -> Any:
        # every billable record next to the events that name it (and every event naming no record)
        keys = F.col("record_id") == F.col("e_source_record_id")
        return records.join(evs.filter(F.col("e_source_record_id").isNotNull()), keys, "full_outer")

    def by_time(records: Any, evs: Any) -> Any:
        # events without a source id x records of the same msisdn, service and other party whose start is
        # within the tolerance (each event exploded over the time buckets its tolerance touches)
        bucketed = evs.filter(F.col("e_source_record_id").isNull()).withColumn("_bucket", F.explode(e_buckets))
        keys = ((F.col("msisdn") == F.col("e_msisdn")) & (F.col("service") == F.col("e_service"))
                & (party("other_party") == party("e_other_party")) & (r_bucket == F.col("_bucket")))
        return records.join(bucketed, keys, "inner").filter(near).drop("_bucket")

    def matched(records: Any, evs: Any) -> Any:
        return by_id(records, evs).unionByName(by_time(records, evs))

    def by_msisdn() -> Any:
        # records and events each shuffled once, by msisdn, and both matches one join in that partitioning:
        # each record offers two keys (its id; its service, party and time bucket), each event the key of
        # its source id or those of its buckets; the join is on msisdn + key (see SESSION)
        records = allowance(rated(billable(network()).repartition("msisdn"))).withColumn("r_key", F.explode(F.array(
            F.concat(F.lit("id:"), F.col("record_id")),
            F.concat_ws("|", F.lit("t"), F.col("service"), party("other_party"), r_bucket.cast("string")))))
        evs = events().repartition("e_msisdn").withColumn("e_key", F.explode(
            F.when(F.col("e_source_record_id").isNotNull(),
                   F.array(F.concat(F.lit("id:"), F.col("e_source_record_id"))))
            .otherwise(F.transform(e_buckets, lambda b: F.concat_ws(
                "|", F.lit("t"), F.col("e_service"), party("e_other_party"), b.cast("string"))))))
        joined = records.join(evs, (F.col("msisdn") == F.col("e_msisdn")) & (F.col("r_key") == F.col("e_key")),
                              "full_outer")
        # the rows of the two joins of ``reconcile``: pairs by id, pairs by time within the tolerance,
        # records named by no event, events naming no record
        on_id = F.coalesce(F.col("r_key"), F.col("e_key")).startswith("id:")
        both = F.col("record_id").isNotNull() & F.col("e_event_id").isNotNull()
        return joined.filter(on_id | (both & near)).drop("r_key", "e_key")

    return {
        "scan": [network(), events()],
        "rate": [rated(network())],
        "window": [allowance(network())],
        "join": [by_id(billable(network()), events())],
        "time": [by_time(billable(network()), events())],
        "reconcile": [matched(allowance(rated(billable(network()))), events())],
        "msisdn": [by_msisdn()],
        "features": [network().groupBy("msisdn", "usage_date").agg(
            F.count(F.lit(1)).alias("records"), F.sum("duration_s").alias("seconds"),
            F.sum("volume_bytes").alias("bytes"), F.size(F.collect_set("other_party")).alias("parties"))],
    }


def csv_to_parquet(spark: Any, landing: Path, out: Path) -> None:
    """The usage feeds of ``landing`` read as untyped CSV strings and written as Parquet under ``out``."""
    for feed in ("network_usage", "billed_usage"):
        (spark.read.option("header", True).option("recursiveFileLookup", True)
         .csv(str(landing / feed)).write.mode("overwrite").parquet(str(out / feed)))


@contextmanager
def session_settings(spark: Any, settings: dict[str, str]) -> Iterator[None]:
    """``settings`` in force in the Spark session for the block; what was there before is restored."""
    before = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def run_frames(spark: Any, frames: list[Any], session: dict[str, str]) -> None:
    """Run every frame to Spark's ``noop`` sink with ``session`` settings in force (restored after)."""
    with session_settings(spark, session):
        for df in frames:
            df.write.format("noop").mode("overwrite").save()


def run_queries(ctx: Any, landing: Path, repeat: int) -> dict[str, Any]:
    """Time every query of the floor ``repeat`` times after a warm-up (network records/s of the best)."""
    from jobs.reconcile.settings import settings_from

    records = ctx.read("silver.network_usage").count()
    rest = bench.SparkStages(ctx.spark)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="leakline-floor-") as scratch:
        settings = settings_from(ctx.cfg)
        queries = floor_frames(ctx.read, settings.skew_tolerance_us, settings.bucket_us)
        runs: dict[str, Callable[[], None]] = {
            name: (lambda frames=frames, name=name: run_frames(ctx.spark, frames, SESSION.get(name, {})))
            for name, frames in queries.items()
        }
        runs["csv"] = lambda: csv_to_parquet(ctx.spark, landing, Path(scratch))
        for name, fn in runs.items():
            fn()  # warm-up: class loading, code generation, the OS page cache
            times, cpu = [], []
            for _ in range(repeat):
                first = rest.last_id()
                started = time.perf_counter()
                fn()
                times.append(round(time.perf_counter() - started, 2))
                cpu.append(rest.since(first).get("task_cpu_s", 0.0))
            best = min(times)
            results[name] = {"seconds": times, "best_s": best, "task_cpu_s": cpu,
                             "records_per_s": round(records / best, 1)}
            print(f"  {name:10s} best {best:7.2f}s  {records / best:12,.0f} rec/s  "
                  f"task CPU {min(cpu):6.1f}s  (runs {times})", flush=True)
    billed = ctx.read("silver.billed_usage").count()
    return {"records": records, "billed_events": billed, "repeat": repeat, "queries": results,
            **verdict(results, records, ctx.spark.sparkContext.defaultParallelism)}


def verdict(queries: dict[str, Any], records: int, cores: int) -> dict[str, Any]:
    """The floors against the targets, in wall seconds and in task CPU.

    The reconcile floor is the cheaper shape (``reconcile`` or ``msisdn``); the pipeline floor adds the
    CSV copy and the features aggregate. ``cpu_budget_s`` is what a target allows on ``cores``: its
    seconds times the cores — a floor whose task CPU exceeds it cannot meet the target however well
    the cores are kept busy.
    """
    shape = min(("reconcile", "msisdn"), key=lambda name: queries[name]["best_s"])
    parts = {"reconcile": [shape], "pipeline": [shape, "csv", "features"]}
    seconds = {k: round(sum(queries[q]["best_s"] for q in names), 2) for k, names in parts.items()}
    cpu = {k: round(sum(min(queries[q]["task_cpu_s"]) for q in names), 1) for k, names in parts.items()}
    target_s = {k: round(records / v, 2) for k, v in TARGETS.items()}
    return {
        "floor_parts": parts, "floor_seconds": seconds,
        "floor_records_per_s": {k: round(records / v, 1) for k, v in seconds.items()},
        "floor_task_cpu_s": cpu, "cores": cores,
        "target_records_per_s": TARGETS, "target_seconds": target_s,
        "cpu_budget_s": {k: round(v * cores, 1) for k, v in target_s.items()},
    }


def measure(lake_dir: Path, repeat: int) -> dict[str, Any]:
    """The floor on a kept bench lake, in a Spark session of its own (the bench's settings)."""
    from jobs.common.config import ConfigError, load_config
    from jobs.common.context import JobContext
    from jobs.common.logs import setup_logging

    landing, lakehouse = lake_dir / "landing", lake_dir / "lakehouse"
    if not (landing.is_dir() and lakehouse.is_dir()):
        raise ConfigError(f"{lake_dir} is not a kept bench lake (landing/ and lakehouse/): "
                          f"run bench/run.py --records N --keep first")
    setup_logging("WARNING")
    cfg = load_config("local", conf_dir=REPO / "conf", overrides={
        "lake.root": str(lakehouse), "ingest.landing": str(landing), "mlflow.tracking_uri": "", **bench.OVERRIDES})
    ctx = JobContext(cfg)
    try:
        report = run_queries(ctx, landing, repeat)
    finally:
        ctx.spark.stop()
    return {**report, "lake": str(lake_dir), "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": bench.machine(), "config_overrides": bench.OVERRIDES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lake", help="a bench folder kept by bench/run.py --keep (landing/ and lakehouse/)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per query (the best counts)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    from jobs.common.config import ConfigError

    try:
        report = measure(Path(args.lake), args.repeat)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = bench.RESULTS / f"{report['date']}-floor-{report['records']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    for what, target in TARGETS.items():
        print(f"{what}: target {target:,} rec/s = {report['target_seconds'][what]:.1f}s "
              f"({report['cpu_budget_s'][what]:.1f} CPU-s on {report['cores']} cores); floor "
              f"{report['floor_seconds'][what]:.1f}s = {report['floor_records_per_s'][what]:,.0f} rec/s, "
              f"{report['floor_task_cpu_s'][what]:.1f} task CPU-s ({' + '.join(report['floor_parts'][what])})")
    print(f"written {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
