"""``leakline tables``: what the lakehouse holds — list, history, vacuum."""

from __future__ import annotations

import argparse
from typing import Any

from jobs.common.tables import TABLES


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tables", parents=parents, help="list tables, show a table's history, vacuum")
    p.add_argument("action", choices=["list", "history", "vacuum"])
    p.add_argument("name", nargs="?", help="logical table name (history, vacuum)")
    p.add_argument("--retention-hours", type=int, default=None)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Any) -> int:
    from jobs.common.errors import LeaklineError
    from jobs.common.lake import make_lake

    lake = make_lake(ctx.cfg, None)  # delta-rs by default: inspecting tables needs no JVM
    if args.action == "list":
        for name in sorted(TABLES):
            version = lake.version(name)
            state = "-" if version is None else f"v{version}"
            print(f"{name:28s} {state:>6s}  {lake.location(name)}")
        return 0
    if not args.name:
        raise LeaklineError(f"'leakline tables {args.action}' needs a table name")
    if args.name not in TABLES:
        raise LeaklineError(f"unknown table {args.name!r}; see 'leakline tables list'")
    if args.action == "history":
        for entry in lake.history(args.name):
            print(entry.get("version"), entry.get("timestamp"), entry.get("operation"))
        return 0
    removed = lake.vacuum(args.name, args.retention_hours)
    print(f"vacuum {args.name}: removed {len(removed)} files")
    return 0
