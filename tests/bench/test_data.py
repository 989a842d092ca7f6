"""The bench's scaled landing: copies of one generated block are distinct subscribers and records."""

from __future__ import annotations

import csv
from pathlib import Path

from bench.data import PREFIX_DIGITS, scaled_landing

REPO = Path(__file__).resolve().parents[2]


def _rows(folder: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted(folder.rglob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            rows += [{**r, "_file": path.name} for r in csv.DictReader(fh)]
    return rows


def test_two_copies_of_a_block_are_two_operators_worth_of_distinct_records(tmp_path):
    info = scaled_landing(tmp_path, records=11_200, repo=REPO, block_records=5_600)
    assert info["copies"] == 2
    landing = tmp_path / "landing"
    subs = _rows(landing / "subscribers")
    usage = _rows(landing / "network_usage")
    billed = _rows(landing / "billed_usage")
    block = info["block_rows"]
    # every row of the block appears once per copy
    assert (len(usage), len(billed), len(subs)) == (
        2 * block["network_usage"], 2 * block["billed_usage"], 2 * block["subscribers"])
    # identities never collide across copies
    assert len({r["record_id"] for r in usage}) == len(usage)
    assert len({r["event_id"] for r in billed}) == len(billed)
    assert len({r["msisdn"] for r in subs}) == len(subs)
    originals = {r["msisdn"] for r in subs if len(r["msisdn"]) == 13}
    copies = {r["msisdn"] for r in subs if len(r["msisdn"]) == 15}
    assert len(originals) == len(copies) == block["subscribers"]
    # a copy's number is the original with "01" after the operator prefix: same destination prefix
    assert {m[:PREFIX_DIGITS] + m[PREFIX_DIGITS + 2:] for m in copies} == originals
    assert {m[PREFIX_DIGITS:PREFIX_DIGITS + 2] for m in copies} == {"01"}
    # the copy's usage is the block's usage by the copy's numbers (planted unknown numbers included),
    # and its on-net calls stay inside the copy
    copy_usage = [r for r in usage if r["_file"].endswith("-c02.csv")]
    block_usage = [r for r in usage if not r["_file"].endswith("-c02.csv")]
    assert all(len(r["msisdn"]) == 15 for r in copy_usage)
    assert {r["msisdn"][:PREFIX_DIGITS] + r["msisdn"][PREFIX_DIGITS + 2:] for r in copy_usage} == {
        r["msisdn"] for r in block_usage}
    assert {r["msisdn"] for r in copy_usage} & copies  # mostly the copy's subscribers
    onnet = [r for r in copy_usage if r["other_party"][:PREFIX_DIGITS] in {m[:PREFIX_DIGITS] for m in originals}]
    assert onnet and all(r["other_party"] in copies for r in onnet if len(r["other_party"]) == 15)
    assert all(r["record_id"].endswith("-01") for r in copy_usage)
    # billing's link to the network record follows the copy (phantom links included, as planted)
    links = [(r["_file"].endswith("-c02.csv"), r["source_record_id"]) for r in billed if r["source_record_id"]]
    copy_links = {link for in_copy, link in links if in_copy}
    block_links = {link for in_copy, link in links if not in_copy}
    assert copy_links and {link.removesuffix("-01") for link in copy_links} == block_links
    assert all(link.endswith("-01") for link in copy_links)
    assert len(copy_links & {r["record_id"] for r in copy_usage}) > 0.9 * len(copy_links)
