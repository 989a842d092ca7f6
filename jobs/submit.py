"""Cluster entry point: ``leakline`` under ``spark-submit`` or a Databricks wheel task.

``spark-submit [spark options] <site-packages>/jobs/submit.py COMMAND [leakline options]`` (the path is
printed by ``python -m jobs.submit --path``), or the console script ``leakline-submit`` that the
Databricks bundle's ``python_wheel_task`` names. It takes the Spark session the launcher configured
(master, deploy mode, ``--conf`` settings), sets the two session settings the lake layer relies on,
and hands the rest of the command line to :func:`jobs.cli.main` — the same commands, options and
exit codes as ``leakline`` on a laptop. Scheduler conveniences (:func:`scheduler_args`): an empty
``--as-of ""`` from an unset job parameter is dropped, and ``--date 2026-05-02-1d`` is the day before
2026-05-02. The session is not stopped: on Databricks it is shared, and under spark-submit it ends
with the application.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# Session settings every leakline job needs, whatever the cluster's defaults: timestamps are UTC and
# Parquet timestamps are microseconds (delta-rs and the app read them that way).
REQUIRED_SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def start_session(app_name: str = "leakline") -> Any:
    """The launcher's session (``getOrCreate`` keeps its master and conf) with the required settings."""
    from pyspark.sql import SparkSession

    session = SparkSession.builder.appName(app_name).getOrCreate()
    for key, value in REQUIRED_SESSION_CONF.items():
        session.conf.set(key, value)
    return session


# Options a scheduler may pass with an empty value when its parameter is unset (a Databricks job
# parameter defaulting to ""): ``--as-of ""`` then means "not given".
OPTIONAL_VALUE_OPTIONS = ("--date", "--as-of", "--from", "--to")
DATE_OPTIONS = ("--date", "--from", "--to")
# "2026-05-02-1d": the day before the scheduler's trigger date ({{job.trigger.time.iso_date}}-1d).
_RELATIVE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})-(\d+)d$")


def resolve_date(value: str) -> str:
    """``YYYY-MM-DD-Nd`` -> the date N days earlier (ISO); any other value unchanged."""
    match = _RELATIVE_DATE.match(value.strip())
    if not match:
        return value
    try:
        anchor = date.fromisoformat(match.group(1))
    except ValueError:
        return value  # let the command's own parser name the bad date
    return (anchor - timedelta(days=int(match.group(2)))).isoformat()


def scheduler_args(args: Sequence[str]) -> list[str]:
    """``args`` as a scheduler passes them, made plain for :func:`jobs.cli.main`.

    Drops ``OPTIONAL_VALUE_OPTIONS`` whose value is empty (``--as-of ""``, ``--as-of=``) and resolves
    relative dates (``--date 2026-05-02-1d``) in ``DATE_OPTIONS``.
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        opt, eq, inline = arg.partition("=")
        if eq and opt in OPTIONAL_VALUE_OPTIONS:
            if inline.strip():
                out.append(f"{opt}={resolve_date(inline) if opt in DATE_OPTIONS else inline}")
            i += 1
            continue
        if arg in OPTIONAL_VALUE_OPTIONS and i + 1 < len(args):
            value = args[i + 1]
            if value.strip():
                out += [arg, resolve_date(value) if arg in DATE_OPTIONS else value]
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def script_path() -> str:
    """Where this file is installed: the ``application`` argument of ``spark-submit``."""
    return str(Path(__file__).resolve())


def main(argv: Sequence[str] | None = None) -> int:
    args = scheduler_args(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--path"]:
        sys.stdout.write(script_path() + "\n")
        return 0
    from jobs.cli import main as cli_main

    if args and not args[0].startswith("-"):
        start_session(f"leakline {args[0]}")
    return cli_main(args)


if __name__ == "__main__":
    # Run as a file (spark-submit), Python puts this file's folder first on sys.path, which would make
    # jobs/cli.py importable as a top-level "cli" (and jobs/tables.py as "tables"): drop it.
    if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)
    sys.exit(main())
