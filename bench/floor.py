"""The floor: what the least work any reconcile or pipeline must do costs Spark on this machine.

    python bench/run.py --records 4000000 --app-cases 0 --keep      # a bench lake to measure on
    python bench/floor.py var/bench/bench-4000000                   # -> bench/results/<date>-floor-<N>.json

The throughput targets of the benchmark (reconcile >= 300,000 and the whole pipeline >= 150,000
network records/s at 4M on 2 cores) are compared here with queries that do *less* than leakline
must, on the same Spark session settings (conf/base, ``local[*]``, the bench overrides) and the same
silver tables and landing files:

* ``scan``         read the silver columns reconcile reads (network records and billed events) and
                   discard them (Spark's ``noop`` sink: the whole plan runs, nothing is written);
* ``join``         every billable record next to its billed event: one full outer equi-join of the
                   network records with the events on ``record_id = source_record_id``;
* ``window``       the bill-cycle allowance: a running sum per msisdn x service in time order;
* ``reconcile``    ``window`` then ``join`` in one plan: the allowance's shuffle of the records and
                   the match's shuffle of both sides (no prefix rating, no time-window matching, no
                   controls, no writes);
* ``msisdn``       the same in the shape that could go below it: records and events each shuffled
                   once, by msisdn, and the window and the join (on msisdn and record id) both run in
                   that one partitioning — a bound for a re-designed reconcile, not part of the floor;
* ``csv``          the landing CSV of both usage feeds read as untyped strings and written as
                   Parquet (no types, no rules, no quarantine, no Delta commit): the least ingest does.

Each query runs ``--repeat`` times after a warm-up; the best time counts. records/s is network
records per second, as in the benchmark. If a floor is already slower than a target, no
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
NETWORK = ("record_id", "source_system", "service", "direction", "msisdn", "other_party",
           "start_time", "duration_s", "volume_bytes", "roaming_plmn", "usage_date")
EVENTS = ("event_id", "source_record_id", "msisdn", "service", "other_party", "start_time",
          "billed_duration_s", "billed_volume_bytes", "plan_id", "charge", "currency", "usage_date")


# Session settings a query needs while it runs: "msisdn" lets a join reuse a partitioning on the first of
# its keys (Spark otherwise re-shuffles both sides on all of them).
SESSION = {"msisdn": {"spark.sql.requireAllClusterKeysForCoPartition": "false"}}


def floor_frames(read: Callable[[str], Any]) -> dict[str, list[Any]]:
    """The Spark queries of the floor by name (``read``: logical table name -> DataFrame)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    def network() -> Any:
        return read("silver.network_usage").select(*NETWORK)

    def events() -> Any:
        return read("silver.billed_usage").select(*[F.col(c).alias(f"e_{c}") for c in EVENTS])

    def allowance(df: Any) -> Any:
        w = Window.partitionBy("msisdn", "service").orderBy("start_time", "record_id").rowsBetween(
            Window.unboundedPreceding, Window.currentRow)
        usage = F.when(F.col("service") == "data", F.col("volume_bytes")).otherwise(F.col("duration_s"))
        return df.withColumn("cumulative", F.sum(usage).over(w))

    def paired(df: Any) -> Any:
        billable = df.filter((F.col("direction") == "MO") | (F.col("service") == "data"))
        return billable.join(events(), F.col("record_id") == F.col("e_source_record_id"), "full_outer")

    def by_msisdn() -> Any:
        # records and events each shuffled once, by msisdn: the window and the join both run in that
        # partitioning (the join keys start with msisdn; see SESSION)
        rated = allowance(network().repartition("msisdn"))
        billable = rated.filter((F.col("direction") == "MO") | (F.col("service") == "data"))
        keys = (F.col("msisdn") == F.col("e_msisdn")) & (F.col("record_id") == F.col("e_source_record_id"))
        return billable.join(events().repartition("e_msisdn"), keys, "full_outer")

    return {
        "scan": [network(), events()],
        "join": [paired(network())],
        "window": [allowance(network())],
        "reconcile": [paired(allowance(network()))],
        "msisdn": [by_msisdn()],
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
    records = ctx.read("silver.network_usage").count()
    rest = bench.SparkStages(ctx.spark)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="leakline-floor-") as scratch:
        runs: dict[str, Callable[[], None]] = {
            name: (lambda frames=frames, name=name: run_frames(ctx.spark, frames, SESSION.get(name, {})))
            for name, frames in floor_frames(ctx.read).items()
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
    floor = {"reconcile": results["reconcile"]["best_s"],
             "pipeline": round(results["csv"]["best_s"] + results["reconcile"]["best_s"], 2)}
    return {
        "records": records, "billed_events": ctx.read("silver.billed_usage").count(), "repeat": repeat,
        "queries": results, "floor_seconds": floor,
        "floor_records_per_s": {k: round(records / v, 1) for k, v in floor.items()},
        "target_records_per_s": TARGETS,
        "target_seconds": {k: round(records / v, 2) for k, v in TARGETS.items()},
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
        print(f"{what}: target {target:,} rec/s = {report['target_seconds'][what]:.1f}s; floor "
              f"{report['floor_seconds'][what]:.1f}s = {report['floor_records_per_s'][what]:,.0f} rec/s")
    print(f"written {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
