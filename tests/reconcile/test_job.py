"""run_reconcile through the real lake: re-runs, day replacement, late billing, fraud cases untouched, CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from pyspark.testing import assertDataFrameEqual as assert_frame_equal

from jobs.common.lake import arrow_schema
from jobs.common.tables import spec_for
from jobs.reconcile.job import run_reconcile
from reconcile.silver import AS_OF, BILLED, DAY, NETWORK, SUBSCRIBERS, A, at, bill, net, write_silver

GOLD = ("gold.leakage_findings", "gold.kpi_daily", "gold.cases", "gold.case_items", "gold.pending_usage")
NEXT_DAY = date(2026, 10, 6)


def snapshot(ctx):
    """Every gold table the job writes, without its run_id column."""
    return {name: ctx.read(name).drop("run_id") for name in GOLD}


def fraud_case(lake):
    row = {"case_id": "fraud-1", "kind": "fraud", "category": "simbox", "title": "SIM box", "root_cause": None,
           "subject": "4915100000009", "subject_type": "msisdn", "priority": 1, "amount_at_risk": None,
           "currency": None, "item_count": 1, "first_seen": None, "last_seen": None, "score": 0.9,
           "reasons": "test", "run_id": "fraud-run", "updated_at": datetime(2026, 10, 9, tzinfo=UTC)}
    lake.write_arrow(pa.Table.from_pylist([row], schema=arrow_schema(spec_for("gold.cases"))), "gold.cases")


def test_rerun_replaces_and_never_duplicates(ctx, lake, cfg, capsys, monkeypatch):
    from jobs.cli import main

    network = [*NETWORK, net("N1", datetime(2026, 10, 6, 8, tzinfo=UTC), duration_s=60)]  # next day: unbilled
    write_silver(ctx, network, BILLED, subscribers=SUBSCRIBERS)
    fraud_case(lake)
    first = run_reconcile(ctx, as_of=AS_OF)
    assert first.dates == [DAY, NEXT_DAY]
    assert first.controls["unbilled_usage"].findings == 5 and first.findings == 18
    assert first.controls["phantom_billing"].amount_at_risk == Decimal("-1.2")
    assert first.network_records == 12 and first.billed_events == 10 and first.cases == 12
    assert any(line.lstrip().startswith("total") for line in first.lines())
    before = {name: df.collect() for name, df in snapshot(ctx).items()}

    # re-run one of the two days, through the command line
    monkeypatch.setenv("LEAKLINE_LAKEHOUSE", cfg.get_path("lake.root"))
    assert main(["reconcile", "--date", "2026-10-05", "--as-of", "2026-10-09T00:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "2026-10-05 .. 2026-10-05 (1 days), as of 2026-10-09T00:00:00Z" in out
    assert any(line.split()[:2] == ["unbilled_usage", "4"] for line in out.splitlines())
    for name, df in snapshot(ctx).items():
        assert_frame_equal(df, before[name])
    runs = {(r["usage_date"], r["run_id"] == first.run_id) for r in ctx.read("gold.leakage_findings").collect()}
    assert runs == {(DAY, False), (NEXT_DAY, True)}
    fraud = ctx.read("gold.cases").filter("kind = 'fraud'").select("case_id", "run_id")
    assert_frame_equal(fraud, ctx.spark.createDataFrame([("fraud-1", "fraud-run")], "case_id string, run_id string"))


def test_late_billing_is_held_then_clears_itself_or_becomes_a_finding(ctx):
    r1, r2 = net("R1", at(0), duration_s=60), net("R2", at(60), duration_s=30)
    write_silver(ctx, [r1, r2], [])
    early = run_reconcile(ctx, as_of=at(3600))  # an hour later: both within the 24 h billing latency
    assert early.pending == 2 and early.findings == 0
    pending = ctx.read("gold.pending_usage").drop("run_id")
    expected = ctx.spark.createDataFrame(
        [("R1", "MSC-01", A, "voice", at(0), Decimal("0.10"), "EUR", at(86_400), DAY),
         ("R2", "MSC-01", A, "voice", at(60), Decimal("0.10"), "EUR", at(86_460), DAY)], pending.schema)
    assert_frame_equal(pending, expected)

    # R1's event arrives late; reconciling the next day re-checks the pending day as well
    write_silver(ctx, [r1, r2], [bill("E1", at(0), "0.10", source_record_id="R1", billed_duration_s=60)])
    late = run_reconcile(ctx, dates=[NEXT_DAY], as_of=at(86_430))  # R2 still within its latency
    assert late.dates == [DAY, NEXT_DAY] and late.pending == 1 and late.findings == 0
    final = run_reconcile(ctx, dates=[NEXT_DAY], as_of=at(86_460))  # R2 exactly 24 h old: a finding
    assert final.pending == 0 and ctx.read("gold.pending_usage").count() == 0
    got = ctx.read("gold.leakage_findings").select("control", "record_id", "amount_at_risk")
    expected = ctx.spark.createDataFrame([("unbilled_usage", "R2", Decimal("0.10"))],
                                         "control string, record_id string, amount_at_risk decimal(18,6)")
    assert_frame_equal(got, expected)


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-10-01"], "--from and --to go together"),
    (["--date", "2026-10-01", "--to", "2026-10-02"], "either --date or --from/--to"),
    (["--from", "2026-10-03", "--to", "2026-10-02"], "is before --from"),
])
def test_cli_rejects_bad_dates_in_one_line(args, message, capsys, tmp_path):
    from jobs.cli import main

    assert main(["reconcile", "--lakehouse", str(tmp_path), *args]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("leakline: error:")]
    assert len(errors) == 1 and message in errors[0]
