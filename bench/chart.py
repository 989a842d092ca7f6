"""Scaling of the pipeline across sizes: a table and a chart from the committed bench results.

    python bench/chart.py            # prints the table, writes bench/results/scaling.png

Reads the newest ``bench/results/<date>-<records>.json`` per size (run.py writes them; ``-before``
and ``-app-`` files are not sizes). Per stage: wall seconds at each size and the ratio of each size
to the previous one — linear scaling is the ratio of the record counts (4x from 4M to 16M; the
target is <= 4.4x) — and the peak driver memory, which should stay flat.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SIZE_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})-(\d+)\.json$")
STAGES = ("ingest", "reconcile", "features", "score")


def latest_per_size(folder: Path = RESULTS) -> list[dict[str, Any]]:
    """The newest result of every size, smallest size first."""
    newest: dict[int, tuple[str, Path]] = {}
    for path in folder.glob("*.json"):
        m = SIZE_FILE.match(path.name)
        if m and (int(m[2]) not in newest or m[1] > newest[int(m[2])][0]):
            newest[int(m[2])] = (m[1], path)
    return [json.loads(newest[size][1].read_text()) for size in sorted(newest)]


def stage_seconds(report: dict[str, Any]) -> dict[str, float]:
    return {s["stage"]: s["seconds"] for s in report["stages"]}


def driver_memory_mb(report: dict[str, Any]) -> float:
    """The driver heap the run was given (``spark.driver_memory``: the bench override, else conf/base's 4g)."""
    value = str(report.get("config_overrides", {}).get("spark.driver_memory", "4g")).lower()
    units = {"g": 1024, "m": 1}
    return float(value[:-1]) * units[value[-1]] if value[-1] in units else float(value) / 2**20


def scaling_table(reports: list[dict[str, Any]]) -> list[str]:
    head = f"{'network records':>16s} " + " ".join(f"{s:>10s}" for s in (*STAGES, "pipeline")) + \
        f" {'rec/s':>8s} {'py RSS MB':>9s} {'heap MB':>8s} {'of MB':>7s} {'load':>5s}"
    lines = ["wall seconds per stage (x: ratio to the previous size; records ratio in brackets)", head]
    previous: dict[str, Any] | None = None
    for r in reports:
        secs = {**stage_seconds(r), "pipeline": r["pipeline_seconds"]}
        cells = [f"{secs.get(s, 0):10.1f}" for s in (*STAGES, "pipeline")]
        load = max(s["load_avg_1m"] for s in r["stages"])
        py_rss = max(s.get("peak_python_rss_mb", 0.0) for s in r["stages"])
        heap = max(s.get("peak_jvm_heap_mb", 0.0) for s in r["stages"])
        lines.append(f"{r['records']:16,d} " + " ".join(cells)
                     + f" {r['pipeline_records_per_s']:8,.0f} {py_rss:9,.0f} {heap:8,.0f} {driver_memory_mb(r):7,.0f}"
                     + f" {load:5.1f}")
        if previous is not None:
            before = {**stage_seconds(previous), "pipeline": previous["pipeline_seconds"]}
            ratios = [f"{secs[s] / before[s]:9.2f}x" if before.get(s) else f"{'-':>10s}" for s in (*STAGES, "pipeline")]
            lines.append(f"{'[' + format(r['records'] / previous['records'], '.2f') + 'x]':>16s} " + " ".join(ratios))
        previous = r
    return lines


def draw(reports: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    labels = [f"{r['records'] / 1e6:.1f}M" for r in reports]
    bottom = [0.0] * len(reports)
    for stage in STAGES:
        values = [stage_seconds(r).get(stage, 0.0) for r in reports]
        left.bar(labels, values, bottom=bottom, label=stage)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if reports:
        first = reports[0]
        ideal = [first["pipeline_seconds"] * r["records"] / first["records"] for r in reports]
        left.plot(labels, ideal, "k--", marker="o", label=f"linear from {labels[0]}")
    left.set_ylabel("wall seconds")
    left.set_title("pipeline wall time per stage")
    left.legend(fontsize=8)
    right.plot(labels, [max(s["peak_python_rss_mb"] for s in r["stages"]) for r in reports], marker="o",
               label="Python driver RSS")
    right.plot(labels, [max(s["peak_jvm_heap_mb"] for s in r["stages"]) for r in reports], marker="s",
               label="JVM heap used (Spark cache + execution)")
    right.plot(labels, [driver_memory_mb(r) for r in reports], "k:", marker="x", label="JVM heap configured")
    right.set_ylim(bottom=0)
    right.set_ylabel("peak MB")
    right.set_title("peak driver memory")
    right.legend(fontsize=8)
    machine = reports[0]["machine"] if reports else {}
    fig.suptitle(f"leakline bench — {machine.get('cores', '?')} cores, {machine.get('cpu', '')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(folder: Path = RESULTS) -> int:
    reports = latest_per_size(folder)
    if not reports:
        sys.stderr.write(f"no bench results in {folder}: run 'make bench' first\n")
        return 2
    print("\n".join(scaling_table(reports)))
    print(f"  -> {draw(reports, folder / 'scaling.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
