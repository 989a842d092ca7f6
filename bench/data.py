"""Benchmark data at any size without holding it in memory: one generated block, replicated.

The generator builds everything in pandas (about 1.3 GB of RAM per million network records), so a
16M-record landing cannot be generated in one go. Instead :func:`scaled_landing` generates ONE block
of about ``block_records`` network records with ``jobs.generate`` (the real carrier catalogue when
present) and streams ``copies - 1`` further copies of its event files line by line, with every
identity rewritten so that the copies are distinct subscribers and distinct records:

* ``msisdn`` (and ``other_party`` when it is one of the block's own numbers — on-net calls):
  the two-digit copy number is inserted after the 5-digit operator prefix (``49151`` + ``kk`` +
  8 digits: 15 digits, still E.164, still rated by the same destination prefix); copy 0 keeps the
  13-digit originals, so no number can collide;
* ``record_id``, ``event_id``, ``source_record_id``, ``account_id``, ``imsi``: suffix ``-kk``;
* the copies' event files go next to the originals as ``<name>-cKK.csv``; the single subscriber
  snapshot file gets every copy's rows; destinations and tariffs are shared.

Each copy therefore carries the same mix of services, planted leakage, duplicate billing and fraud
as the block — the workload per record stays the same as the size grows, which is what a scaling
benchmark needs. Memory: one block in the generator, then O(1) per line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import date
from pathlib import Path

log = logging.getLogger("leakline.bench")

RECORDS_PER_SUBSCRIBER_DAY = 4.0  # measured on the generator's defaults (see bench/README.md)
DAYS = 7
START = date(2026, 10, 1)
SEED = 11
PREFIX_DIGITS = 5  # 49151, 49160, ... : the operator's mobile prefixes (GeneratorParams.msisdn_prefixes)

# Columns rewritten per feed: id columns get a suffix, number columns the copy number inserted.
ID_COLUMNS = {
    "network_usage": ("record_id", "imsi"),
    "billed_usage": ("event_id", "source_record_id"),
    "subscribers": ("imsi", "account_id"),
}
NUMBER_COLUMNS = {"network_usage": ("msisdn",), "billed_usage": ("msisdn",), "subscribers": ("msisdn",)}
ONNET_COLUMNS = {"network_usage": ("other_party",), "billed_usage": ("other_party",)}


def carrier_rates(repo: Path) -> Path | None:
    """The real carrier price list (11,894 prefixes) when ../shared holds it, else None (built-in catalogue)."""
    path = repo.parent / "shared" / "data" / "carrier-rates-2012" / "international_call_rates__2012-09-06.csv"
    return path if path.is_file() else None


def number(value: str, copy: int) -> str:
    return f"{value[:PREFIX_DIGITS]}{copy:02d}{value[PREFIX_DIGITS:]}" if value else value


def _rewrite_line(fields: list[str], feed: str, index: dict[str, int], copy: int, own: set[str]) -> str:
    suffix = f"-{copy:02d}"
    for col in ID_COLUMNS.get(feed, ()):
        i = index.get(col)
        if i is not None and fields[i]:
            fields[i] += suffix
    for col in NUMBER_COLUMNS.get(feed, ()):
        i = index.get(col)
        if i is not None:
            fields[i] = number(fields[i], copy)
    for col in ONNET_COLUMNS.get(feed, ()):
        i = index.get(col)
        if i is not None and fields[i] in own:
            fields[i] = number(fields[i], copy)
    return ",".join(fields)


def _copy_file(src: Path, dst: Path, feed: str, copies: range, own: set[str], *, append: bool = False) -> int:
    """Write copies ``copies`` of ``src``'s rows to ``dst`` (header unless appending); rows written."""
    written = 0
    with open(src, encoding="utf-8", newline="") as fh:
        header = fh.readline()
        index = {name: i for i, name in enumerate(header.rstrip("\r\n").split(","))}
        lines = fh.readlines() if append else None
    with open(dst, "a" if append else "w", encoding="utf-8", newline="") as out:
        if not append:
            out.write(header)
        for copy in copies:
            source = lines if lines is not None else _body(src)
            buf = []
            for line in source:
                body = line.rstrip("\r\n")
                if not body or '"' in body:  # quoted fields (never in the generated event feeds): keep as is
                    buf.append(line if line.endswith("\n") else line + "\n")
                    continue
                buf.append(_rewrite_line(body.split(","), feed, index, copy, own) + "\n")
                if len(buf) >= 100_000:
                    out.write("".join(buf))
                    written += len(buf)
                    buf.clear()
            out.write("".join(buf))
            written += len(buf)
    return written


def _body(path: Path):  # type: ignore[no-untyped-def]
    with open(path, encoding="utf-8", newline="") as fh:
        fh.readline()
        yield from fh


def scaled_landing(out: Path, records: int, repo: Path, block_records: int = 1_000_000) -> dict[str, object]:
    """Write ``<out>/landing`` with about ``records`` network records; returns how it was made."""
    from jobs.generate.config import GeneratorParams
    from jobs.generate.generator import generate
    from jobs.generate.writer import write

    copies = max(1, round(records / block_records))
    block = records / copies
    subscribers = max(100, int(block / (RECORDS_PER_SUBSCRIBER_DAY * DAYS)))
    started = time.perf_counter()
    params = GeneratorParams(subscribers=subscribers, days=DAYS, seed=SEED, start=START,
                             destinations_csv=carrier_rates(repo))
    data = generate(params)
    write(data, out, "csv")
    own = set(data.subscribers["msisdn"].astype(str))
    base_rows = dict(data.summary["rows"])
    del data
    gen_seconds = time.perf_counter() - started
    landing = out / "landing"
    if copies > 1:
        for feed in ("network_usage", "billed_usage"):
            for src in sorted((landing / feed).rglob("*.csv")):
                if "-c" in src.stem:
                    continue
                _copy_file(src, src.with_name(f"{src.stem}-c{copies:02d}.csv"), feed, range(1, copies), own)
        for src in (landing / "subscribers").glob("*.csv"):
            _copy_file(src, src, "subscribers", range(1, copies), own, append=True)
    return {
        "method": "one generated block, replicated with rewritten ids (bench/data.py)",
        "block_subscribers": subscribers, "days": DAYS, "seed": SEED, "start": START.isoformat(),
        "copies": copies, "block_rows": base_rows,
        "carrier_catalogue": bool(carrier_rates(repo)),
        "generate_seconds": round(gen_seconds, 1),
        "replicate_seconds": round(time.perf_counter() - started - gen_seconds, 1),
        "landing_bytes": sum(f.stat().st_size for f in landing.rglob("*") if f.is_file()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="write a benchmark landing of about N network records")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--block-records", type=int, default=1_000_000)
    p.add_argument("--info", type=Path, help="write how the landing was made to this JSON file")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    info = scaled_landing(args.out, args.records, repo, args.block_records)
    if args.info:
        args.info.write_text(json.dumps(info, indent=2))
    log.info("%s", info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
