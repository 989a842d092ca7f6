"""The app's case queue at scale: ``app.data.queue_page`` on a lakehouse of N cases.

Builds ``gold.cases`` with ``tests.app.fixtures.build_big_cases`` (delta-rs, no Spark) and times the
queue page the analyst sees — cold (first read of the table, the cache empty) and warm (cached
read, filter/sort/page only) — for the default query, a filtered and sorted one, and a search.
"""

from __future__ import annotations

import logging
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("leakline.bench")
REPO = Path(__file__).resolve().parents[1]


def bench_queue(n: int, workdir: Path, repeats: int = 5) -> dict[str, Any]:
    """Seconds of ``queue_page`` on ``n`` cases: cold and warm, per query."""
    from app import case_queue as cq
    from app import data
    from app.settings import resolve
    from jobs.common.config import load_config
    from jobs.common.lake import make_lake
    from tests.app.fixtures import build_big_cases

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    shutil.rmtree(workdir, ignore_errors=True)
    cfg = load_config("local", conf_dir=REPO / "conf", overrides={"lake.root": str(workdir / "lakehouse")})
    started = time.perf_counter()
    build_big_cases(make_lake(cfg, None), n=n)
    build_seconds = time.perf_counter() - started
    s = resolve(cfg)
    queries = {
        "default": cq.QueueQuery(),
        "fraud_by_amount": cq.QueueQuery(kinds=("fraud",), sort_by="amount_at_risk", descending=True, page=3),
        "search": cq.QueueQuery(search="unbilled", page_size=200),
    }
    out: dict[str, Any] = {"cases": n, "build_seconds": round(build_seconds, 1), "queries": {}}
    for name, query in queries.items():
        data.read.clear()
        t0 = time.perf_counter()
        page = data.queue_page(s, query)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            data.queue_page(s, query)
            warm.append(time.perf_counter() - t0)
        out["queries"][name] = {"cold_s": round(cold, 3), "warm_median_s": round(statistics.median(warm), 3),
                                "matched": page.total}
        print(f"[app] queue page {name:16s} on {n:,} cases: cold {cold:.3f}s, warm {statistics.median(warm):.3f}s",
              flush=True)
    out["queue_page_seconds_max"] = max(max(q["cold_s"], q["warm_median_s"]) for q in out["queries"].values())
    shutil.rmtree(workdir, ignore_errors=True)
    return out
