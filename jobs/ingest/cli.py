"""``leakline ingest [--landing DIR]``: ingest new landed files; non-zero when files were rejected."""

from __future__ import annotations

import argparse
import logging
from typing import Any

log = logging.getLogger("leakline.ingest")


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``ingest``. ``--landing DIR`` comes with the common options (``ingest.landing``)."""
    p = sub.add_parser(
        "ingest",
        parents=parents,
        help="landing -> bronze -> silver: validate, quarantine, dedupe, account",
        description="Ingest every new file under <landing>/<feed>/ (contract v1, docs/data-contract.md). "
        "Rows that break the contract go to ops.quarantine; files that cannot be read are rejected "
        "whole and named, and the command then exits non-zero after ingesting everything else.",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Any) -> int:
    from jobs.common.errors import IngestFilesRejected
    from jobs.ingest.job import run_ingest

    summary = run_ingest(ctx)
    for line in summary.lines():
        log.info(line)
    if summary.rejected:
        named = "; ".join(f"{f.source_file} ({f.reason})" for f in summary.rejected)
        raise IngestFilesRejected(f"{len(summary.rejected)} file(s) rejected in {summary.landing}: {named}")
    return 0
