"""leakline benchmark: throughput, scaling and memory of every stage on the embedded default.

    python bench/run.py --records 1000000 [--records 4000000 ...] [--app-cases 100000]

Each size runs in its own process (a fresh JVM, so memory peaks do not carry over): write a landing
of about N network records (:mod:`bench.data`: one generated block, replicated with rewritten ids),
then time each stage — ingest (landing CSV -> silver), reconcile (rating, matching, the controls,
leakage cases), features, score (alerts + fraud cases; the champion is trained first, untimed).
Per stage: wall seconds, network records/s, peak driver RSS (Python and JVM) and JVM heap used,
rows in/out, and from Spark's REST API the stages it ran, their shuffle bytes and the slowest ones.
Then the app's queue page at 100,000 cases (:mod:`bench.app_queue`). Results go to
bench/results/<date>-<size>.json (with the machine, its load average and the config overrides).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results"
# A join operator in a plan's tree, with its join type: "BroadcastHashJoin LeftOuter", "SortMergeJoin(skew=true) Inner"
JOIN_NODE = re.compile(r"((?:BroadcastHashJoin|SortMergeJoin|ShuffledHashJoin|BroadcastNestedLoopJoin|"
                       r"CartesianProduct)\S*(?: (?:Inner|LeftOuter|RightOuter|FullOuter|LeftSemi|LeftAnti|Cross|"
                       r"ExistenceJoin\S*))?)")
# What the bench changes in conf/base for its runs (recorded in every result file).
OVERRIDES: dict[str, Any] = {
    # Documented production setting for very large runs: types checked, values not re-checked
    # (ingestion's row rules still quarantine every bad value).
    "contracts.validation_depth": "SCHEMA_ONLY",
    # The REST API gives per-stage shuffle bytes and durations (the UI costs ~nothing).
    "spark.ui_enabled": True,
}


@dataclass
class StageResult:
    stage: str
    seconds: float
    records_in: int
    rows_out: dict[str, int] = field(default_factory=dict)
    records_per_s: float = 0.0
    peak_python_rss_mb: float = 0.0
    peak_jvm_rss_mb: float = 0.0
    peak_jvm_heap_mb: float = 0.0
    load_avg_1m: float = 0.0
    spark: dict[str, Any] = field(default_factory=dict)


class MemorySampler:
    """Samples this process's RSS, the Spark driver JVM's RSS and its heap used, at an interval."""

    def __init__(self, spark: Any | None, interval: float = 0.25):
        self.spark = spark
        self.interval = interval
        self.peak_py = self.peak_jvm = self.peak_heap = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _jvm_process() -> psutil.Process | None:
        for child in psutil.Process().children(recursive=True):
            try:
                if "java" in child.name():
                    return child
            except psutil.Error:
                continue
        return None

    def _loop(self) -> None:
        me = psutil.Process()
        jvm = self._jvm_process()
        runtime = self.spark.sparkContext._jvm.java.lang.Runtime.getRuntime() if self.spark else None
        while not self._stop.is_set():
            self.peak_py = max(self.peak_py, me.memory_info().rss)
            if jvm is not None:
                try:
                    self.peak_jvm = max(self.peak_jvm, jvm.memory_info().rss)
                except psutil.Error:
                    jvm = None
            if runtime is not None:
                try:
                    self.peak_heap = max(self.peak_heap, runtime.totalMemory() - runtime.freeMemory())
                except Exception:  # the gateway may be busy or closing; a missed sample is fine
                    pass
            time.sleep(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def final_plan(plan: str) -> str:
    """The operator tree of a formatted physical plan that ran: of an adaptive plan its final plan
    (after AQE re-planned), without the operators' detail section that follows the tree."""
    tree = plan.split("\n\n(", maxsplit=1)[0]
    return tree.split("== Final Plan ==")[-1].split("== Initial Plan ==")[0]


def plan_joins(plan: str) -> dict[str, int]:
    """How Spark joins in a formatted physical plan: join operators with their join type, counted
    (in :func:`final_plan`)."""
    return dict(Counter(match.group(1) for match in JOIN_NODE.finditer(final_plan(plan))))


class SparkStages:
    """Spark's REST API (the driver UI): the stages a bench stage ran, their time and shuffle bytes."""

    def __init__(self, spark: Any):
        sc = spark.sparkContext
        self.url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}" if sc.uiWebUrl else None

    def _get(self, path: str) -> Any:
        if not self.url:
            return []
        try:
            with urllib.request.urlopen(f"{self.url}/{path}", timeout=30) as resp:
                return json.loads(resp.read())
        except Exception:  # the UI is optional: no metrics, not a failed bench
            return []

    def last_id(self) -> int:
        return max((s["stageId"] for s in self._get("stages")), default=-1)

    def last_sql_id(self) -> int:
        return max((e["id"] for e in self._get("sql?details=false&length=100000")), default=-1)

    def executions_since(self, first_sql_id: int) -> list[dict[str, Any]]:
        """The SQL executions after ``first_sql_id``, with their formatted plans, slowest first."""
        executions = [e for e in self._get("sql?details=true&planDescription=true&length=100000")
                      if e["id"] > first_sql_id]
        return sorted(executions, key=lambda e: -e["duration"])

    @staticmethod
    def joins(executions: list[dict[str, Any]]) -> dict[str, int]:
        """Join operators in the final plans of ``executions`` (:func:`plan_joins`), most frequent first."""
        counts = sum((Counter(plan_joins(e.get("planDescription", ""))) for e in executions), Counter())
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @staticmethod
    def save_plans(executions: list[dict[str, Any]], folder: Path) -> int:
        """Write the plan of every one of ``executions`` (slowest first) to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for rank, e in enumerate(executions, 1):
            (folder / f"{rank:03d}-{e['duration'] / 1e3:.1f}s-{e['id']}.txt").write_text(
                f"{e['description']}\n{e['planDescription']}\n")
        return len(executions)

    def task_spread(self, stage: dict[str, Any]) -> dict[str, Any]:
        """Median and largest task of a stage (run seconds, shuffle read MB): its skew."""
        got = self._get(f"stages/{stage['stageId']}/{stage['attemptId']}/taskSummary?quantiles=0.5,1.0")
        if not isinstance(got, dict) or not got.get("executorRunTime"):
            return {}
        run = got["executorRunTime"]
        read = got.get("shuffleReadMetrics", {}).get("readBytes", [0, 0])
        return {"task_s": [round(run[0] / 1e3, 2), round(run[1] / 1e3, 2)],
                "task_shuffle_read_mb": [round(read[0] / 2**20, 1), round(read[1] / 2**20, 1)],
                "skew": round(run[1] / run[0], 2) if run[0] else None}

    def since(self, first_id: int, executions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        stages = [s for s in self._get("stages?status=complete") if s["stageId"] > first_id]
        if not stages:
            return {}

        def seconds(s: dict[str, Any]) -> float:
            try:
                t0 = datetime.strptime(s["submissionTime"], "%Y-%m-%dT%H:%M:%S.%fGMT")
                t1 = datetime.strptime(s["completionTime"], "%Y-%m-%dT%H:%M:%S.%fGMT")
                return (t1 - t0).total_seconds()
            except (KeyError, ValueError):
                return 0.0

        mb = 2**20
        slow = sorted(stages, key=seconds, reverse=True)[:6]
        return {
            "stages": len(stages),
            "jobs_s": round(sum(seconds(s) for s in stages), 1),
            "task_cpu_s": round(sum(s.get("executorCpuTime", 0) for s in stages) / 1e9, 1),
            "input_mb": round(sum(s.get("inputBytes", 0) for s in stages) / mb, 1),
            "shuffle_write_mb": round(sum(s.get("shuffleWriteBytes", 0) for s in stages) / mb, 1),
            "spill_disk_mb": round(sum(s.get("diskBytesSpilled", 0) for s in stages) / mb, 1),
            "gc_s": round(sum(s.get("jvmGcTime", 0) for s in stages) / 1e3, 1),
            "task_run_s": round(sum(s.get("executorRunTime", 0) for s in stages) / 1e3, 1),
            "slowest": [
                {"name": s["name"][:90], "s": round(seconds(s), 1), "tasks": s.get("numTasks"),
                 "task_cpu_s": round(s.get("executorCpuTime", 0) / 1e9, 1),
                 "shuffle_read_mb": round(s.get("shuffleReadBytes", 0) / mb, 1),
                 "shuffle_write_mb": round(s.get("shuffleWriteBytes", 0) / mb, 1), **self.task_spread(s)}
                for s in slow
            ],
            **({"joins": self.joins(executions)} if executions is not None else {}),
        }


def timed(stage: str, records: int | Callable[[Any], int], spark: Any,
          fn: Callable[[], Any], plans: Path | None = None) -> tuple[StageResult, Any]:
    """Run ``fn`` as one bench stage; ``records`` may be taken from its result (ingest).

    ``plans``: a folder for the final plans of the stage's SQL executions (:meth:`SparkStages.save_plans`).
    """
    spark.sparkContext._jvm.java.lang.System.gc()
    rest = SparkStages(spark)
    first, first_sql = rest.last_id(), rest.last_sql_id()
    load = os.getloadavg()[0]
    with MemorySampler(spark) as mem:
        started = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - started
    if callable(records):
        records = records(out)
    rows = getattr(out, "rows", None) or getattr(out, "row_counts", None)
    result = StageResult(
        stage, round(seconds, 2), records, rows() if callable(rows) else {},
        round(records / seconds, 1) if seconds else 0.0,
        round(mem.peak_py / 2**20, 1), round(mem.peak_jvm / 2**20, 1), round(mem.peak_heap / 2**20, 1),
        round(load, 2), rest.since(first, executions := rest.executions_since(first_sql)),
    )
    if plans is not None:
        rest.save_plans(executions, plans / stage)
    print(f"  {stage:10s} {seconds:8.1f}s  {result.records_per_s:10,.0f} rec/s  "
          f"py {result.peak_python_rss_mb:6.0f} MB  jvm {result.peak_jvm_rss_mb:6.0f} MB  "
          f"heap {result.peak_jvm_heap_mb:6.0f} MB  load {load:5.1f}  "
          f"shuffle {result.spark.get('shuffle_write_mb', 0):7.0f} MB", flush=True)
    return result, out


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(), "os": platform.platform(),
        "java": subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0],
    }


def bench_size(records: int, workdir: Path, keep: bool, overrides: dict[str, Any],
               plans: Path | None = None) -> dict[str, Any]:
    from jobs.common.config import load_config
    from jobs.common.context import JobContext
    from jobs.common.logs import setup_logging
    from jobs.fraud.job import run_features, run_score, run_train
    from jobs.ingest.job import run_ingest
    from jobs.reconcile.job import run_reconcile

    setup_logging("WARNING")
    out = workdir / f"bench-{records}"
    shutil.rmtree(out, ignore_errors=True)
    print(f"[{records:,} records] writing landing...", flush=True)
    info = out.parent / f"{out.name}-landing.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "data.py"), f"--out={out}", f"--records={records}",
                    f"--info={info}"], check=True)
    data = json.loads(info.read_text())
    info.unlink()
    print(f"  landing: {data['copies']} x block of {data['block_rows']['network_usage']:,} network records "
          f"({data['generate_seconds']}s generate, {data['replicate_seconds']}s replicate)", flush=True)
    cfg = load_config("local", conf_dir=REPO / "conf", overrides={
        "lake.root": str(out / "lakehouse"), "ingest.landing": str(out / "landing"),
        "mlflow.tracking_uri": "", **overrides,
    })
    ctx = JobContext(cfg)
    spark = ctx.spark
    stages: list[StageResult] = []
    plans = plans / str(records) if plans else None
    r, ingest = timed("ingest", lambda s: s.feeds["network_usage"].read, spark,
                      lambda: run_ingest(ctx, str(out / "landing")), plans)
    feeds = {name: {"read": t.read, "seconds": round(t.seconds, 1)} for name, t in ingest.feeds.items()}
    n_records = r.records_in
    stages.append(r)
    stages.append(timed("reconcile", n_records, spark, lambda: run_reconcile(ctx), plans)[0])
    stages.append(timed("features", n_records, spark, lambda: run_features(ctx), plans)[0])
    train_started = time.perf_counter()
    run_train(ctx)  # untimed in the pipeline total: scoring needs a champion
    train_seconds = time.perf_counter() - train_started
    stages.append(timed("score", n_records, spark, lambda: run_score(ctx), plans)[0])
    total = sum(s.seconds for s in stages)
    result = {
        "records": n_records, "requested_records": records, "data": data, "ingest_feeds": feeds,
        "stages": [asdict(s) for s in stages], "train_seconds_untimed": round(train_seconds, 1),
        "pipeline_seconds": round(total, 2), "pipeline_records_per_s": round(n_records / total, 1),
        "peak_driver_rss_mb": max(s.peak_python_rss_mb + s.peak_jvm_rss_mb for s in stages),
    }
    spark.stop()
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return result


def table(report: dict[str, Any]) -> str:
    head = f"{'stage':10s} {'seconds':>8s} {'rec/s':>10s} {'py MB':>7s} {'jvm MB':>7s} {'heap MB':>7s} " \
           f"{'load':>5s} {'shuffle MB':>10s}  rows out"
    lines = [f"{report['records']:,} network records ({report['date']})", head]
    for s in report["stages"]:
        rows = ", ".join(f"{k} {v:,}" for k, v in s["rows_out"].items())
        lines.append(f"{s['stage']:10s} {s['seconds']:8.1f} {s['records_per_s']:10,.0f} "
                     f"{s['peak_python_rss_mb']:7.0f} {s['peak_jvm_rss_mb']:7.0f} {s['peak_jvm_heap_mb']:7.0f} "
                     f"{s['load_avg_1m']:5.1f} {s['spark'].get('shuffle_write_mb', 0):10.0f}  {rows}")
    lines.append(f"{'pipeline':10s} {report['pipeline_seconds']:8.1f} {report['pipeline_records_per_s']:10,.0f}")
    return "\n".join(lines)


def _one(size: int, args: argparse.Namespace) -> int:
    overrides = dict(OVERRIDES)
    for item in args.set or []:
        key, _, value = item.partition("=")
        overrides[key] = value
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    report = {"machine": machine(), "date": today, "load_avg_before": os.getloadavg(),
              "config_overrides": overrides, **bench_size(size, Path(args.workdir), args.keep, overrides,
                                                        Path(args.plans) if args.plans else None)}
    report["load_avg_after"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{today}-{size}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"  -> {path.relative_to(REPO)}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, action="append", help="network records per run (repeatable)")
    parser.add_argument("--app-cases", type=int, default=100_000, help="cases for the queue page (0: skip)")
    parser.add_argument("--workdir", default=str(REPO / "var" / "bench"))
    parser.add_argument("--keep", action="store_true", help="keep generated data and lakehouses")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="extra config override")
    parser.add_argument("--plans", metavar="DIR", help="write the final Spark plans of every stage under DIR/<size>/")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args(argv)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    if args.one:
        return _one(args.one, args)
    sizes = [n for n in args.records if n > 0] if args.records is not None else [1_000_000, 4_000_000, 16_000_000]
    passthrough = [f"--workdir={args.workdir}", *(["--keep"] if args.keep else []),
                   *([f"--plans={args.plans}"] if args.plans else []),
                   *[f"--set={s}" for s in args.set or []]]
    status = 0
    for size in sizes:
        status |= subprocess.run([sys.executable, __file__, f"--one={size}", *passthrough]).returncode
    if sizes:
        from bench.chart import main as chart

        chart()  # the scaling table and bench/results/scaling.png, over the newest result of every size
    if args.app_cases:
        from bench.app_queue import bench_queue

        today = datetime.now(UTC).strftime("%Y-%m-%d")
        report = {"machine": machine(), "date": today, "load_avg_before": os.getloadavg(),
                  **bench_queue(args.app_cases, Path(args.workdir) / "bench-app")}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{today}-app-{args.app_cases}.json").write_text(json.dumps(report, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
