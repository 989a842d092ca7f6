"""End to end on generated data: generate -> run_ingest -> run_reconcile, scored against the ground truth.

Every control must reach precision = recall = 1.000 and every finding's amount_at_risk must equal
the truth's exactly (to the last decimal, so certainly to the cent).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from jobs.generate.config import GeneratorParams
from jobs.generate.generator import generate
from jobs.generate.writer import write
from jobs.reconcile.settings import CONTROLS

NOW = datetime(2026, 12, 1, tzinfo=UTC)
KEY = {"unbilled_usage": "record_id", "inactive_subscriber_usage": "record_id"}  # the rest: event_id


def _money(value: object) -> Decimal | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return Decimal(str(value)).normalize()


def findings_by_control(frame: pd.DataFrame) -> dict[str, dict[str, Decimal | None]]:
    out: dict[str, dict[str, Decimal | None]] = {c: {} for c in CONTROLS}
    for row in frame.itertuples(index=False):
        key = getattr(row, KEY.get(row.control, "event_id"))
        out[row.control][key] = _money(row.amount_at_risk)
    return out


def run_end_to_end(ctx, tmp_path: Path, params: GeneratorParams):
    from jobs.ingest.job import run_ingest
    from jobs.reconcile.job import run_reconcile

    write(generate(params), tmp_path / "gen", "csv")
    run_ingest(ctx, str(tmp_path / "gen" / "landing"), now=NOW)
    summary = run_reconcile(ctx, as_of=NOW)
    truth = pd.read_csv(tmp_path / "gen" / "truth" / "leakage.csv", dtype=str, keep_default_na=False)
    found = ctx.lake.read_arrow("gold.leakage_findings",
                                columns=["control", "record_id", "event_id", "amount_at_risk"]).to_pandas()
    return summary, findings_by_control(truth), findings_by_control(found)


def assert_matches_truth(truth, found) -> None:
    for control in CONTROLS:
        assert truth[control], f"the generator planted no {control}: the test would prove nothing"
        missed = sorted(set(truth[control]) - set(found[control]))
        extra = sorted(set(found[control]) - set(truth[control]))
        assert not missed and not extra, f"{control}: missed {missed[:5]}, extra {extra[:5]}"
        wrong = {k: (truth[control][k], found[control][k]) for k in truth[control]
                 if truth[control][k] != found[control][k]}
        assert not wrong, f"{control}: amounts differ from the truth: {list(wrong.items())[:5]}"


@pytest.mark.slow
@pytest.mark.integration
def test_generated_ground_truth_is_found_exactly(ctx, tmp_path):
    summary, truth, found = run_end_to_end(ctx, tmp_path, GeneratorParams(subscribers=300, days=3, seed=7))
    assert_matches_truth(truth, found)
    assert summary.findings == sum(len(v) for v in truth.values())
    # the KPI table carries the same money, to the last decimal
    kpi = ctx.read("gold.kpi_daily").toPandas()
    net = sum(Decimal(str(a)) for a in kpi["leakage"]) - sum(Decimal(str(o)) for o in kpi["overbilling"])
    assert net == sum((a for c in found.values() for a in c.values() if a is not None), Decimal(0))


@pytest.mark.slow
@pytest.mark.integration
def test_generated_ground_truth_with_the_real_carrier_catalog(ctx, tmp_path, carrier_rates_path):
    params = GeneratorParams(subscribers=200, days=2, seed=3, destinations_csv=carrier_rates_path)
    _, truth, found = run_end_to_end(ctx, tmp_path, params)
    assert ctx.read("silver.destinations").count() > 11_000  # the whole carrier list is the catalogue
    assert_matches_truth(truth, found)
