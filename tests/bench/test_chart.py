"""bench/chart.py: the newest result per size, the scaling ratios, the chart."""

from __future__ import annotations

import json
from pathlib import Path

from bench.chart import latest_per_size, main, scaling_table


def _report(records: int, seconds: dict[str, float], rss: float) -> dict:
    stages = [{"stage": s, "seconds": v, "load_avg_1m": 1.0, "peak_jvm_heap_mb": rss / 2, "peak_python_rss_mb": 400.0}
              for s, v in seconds.items()]
    total = sum(seconds.values())
    return {"records": records, "stages": stages, "pipeline_seconds": total,
            "pipeline_records_per_s": records / total, "peak_driver_rss_mb": rss, "machine": {"cores": 2}}


def _write(folder: Path, name: str, report: dict) -> None:
    (folder / name).write_text(json.dumps(report))


def test_newest_result_of_each_size_wins_and_other_files_are_ignored(tmp_path):
    _write(tmp_path, "2026-11-01-4000000.json", _report(4_000_000, {"ingest": 99.0}, 100))
    _write(tmp_path, "2026-11-22-4000000.json", _report(4_000_000, {"ingest": 40.0}, 100))
    _write(tmp_path, "2026-11-22-1000000-before.json", _report(1_000_000, {"ingest": 1.0}, 100))
    _write(tmp_path, "2026-11-22-app-100000.json", {"cases": 100_000})
    _write(tmp_path, "2026-11-20-16000000.json", _report(16_000_000, {"ingest": 170.0}, 100))
    got = latest_per_size(tmp_path)
    assert [(r["records"], r["stages"][0]["seconds"]) for r in got] == [(4_000_000, 40.0), (16_000_000, 170.0)]


def test_scaling_table_gives_each_stage_ratio_to_the_previous_size():
    small = _report(4_000_000, {"ingest": 40.0, "reconcile": 20.0, "features": 10.0, "score": 10.0}, 5000)
    large = _report(16_000_000, {"ingest": 176.0, "reconcile": 80.0, "features": 50.0, "score": 10.0}, 5100)
    large["config_overrides"] = {"spark.driver_memory": "12g"}
    lines = scaling_table([small, large])
    ratio_line = lines[-1].split()
    assert ratio_line == ["[4.00x]", "4.40x", "4.00x", "5.00x", "1.00x", "3.95x"]
    assert lines[2].split()[0] == "4,000,000" and lines[3].split()[0] == "16,000,000"
    # the heap each run was given is shown beside what it used: 4g default, 12g when overridden
    assert lines[2].split()[-4:-1] == ["400", "2,500", "4,096"]
    assert lines[3].split()[-4:-1] == ["400", "2,550", "12,288"]


def test_main_writes_the_chart_and_says_when_there_is_nothing(tmp_path, capsys):
    assert main(tmp_path) == 2
    assert "no bench results" in capsys.readouterr().err
    _write(tmp_path, "2026-11-22-4000000.json", _report(4_000_000, {"ingest": 40.0}, 100))
    assert main(tmp_path) == 0
    png = tmp_path / "scaling.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
