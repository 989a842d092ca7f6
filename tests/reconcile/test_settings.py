"""Bad reconcile configuration and findings that break their contract fail with one clear line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from jobs.common.config import load_config
from jobs.common.contracts import validate
from jobs.common.errors import ConfigError, ContractError
from jobs.common.tables import LEAKAGE_FINDINGS
from jobs.reconcile import contracts  # noqa: F401 - registers the findings contract
from jobs.reconcile.settings import case_rules_from, settings_from

REPO = Path(__file__).resolve().parents[2]
RULE = {"controls": ["phantom_billing"], "group_by": ["msisdn"], "title": "Phantom {msisdn}",
        "root_cause": "{findings} events since {first_seen}"}


def test_defaults_are_read_as_exact_values():
    s = settings_from(load_config("local", conf_dir=REPO / "conf"))
    assert s.skew_tolerance_us == 5_000_000 and s.charge_tolerance == Decimal("0.01")
    assert s.priority_thresholds == (Decimal(1000), Decimal(100), Decimal(10))
    assert [r.name for r in s.case_rules][:2] == ["tariff_gap", "tariff_not_updated"]


@pytest.mark.parametrize(("override", "message"), [
    ({"reconcile.charge_tolerance": "one cent"}, r"'reconcile.charge_tolerance' must be a decimal number"),
    ({"reconcile.match_bucket_s": 0}, r"'reconcile.match_bucket_s' must be a number >= 1"),
    ({"reconcile.currency": "euro"}, r"'reconcile.currency' must be an ISO 4217 code"),
    ({"reconcile.priority_thresholds.p3": "5000"}, r"must satisfy p1 >= p2 >= p3"),
])
def test_bad_values_name_their_key(override, message):
    with pytest.raises(ConfigError, match=message):
        settings_from(load_config("local", conf_dir=REPO / "conf", overrides=override))


@pytest.mark.parametrize(("change", "message"), [
    ({"controls": ["leakage"]}, r"names unknown controls \['leakage'\]"),
    ({"group_by": ["customer"]}, r"groups by \['customer'\], which are not findings columns"),
    ({"title": "Phantom {plan_id}"}, r"uses \['plan_id'\]: only group_by columns"),
    ({"subject": ["zone"]}, r"'reconcile.case_rules.r.subject' must be group_by columns"),
])
def test_bad_case_rules_are_refused(change, message):
    assert case_rules_from({"r": RULE})[0].group_by == ("msisdn",)
    with pytest.raises(ConfigError, match=message):
        case_rules_from({"r": {**RULE, **change}})


def test_a_finding_that_breaks_the_contract_is_refused(spark):
    row = {f.name: None for f in LEAKAGE_FINDINGS}
    row.update(finding_id="0" * 64, control="made_up", run_id="r", usage_date=date(2026, 10, 5),
               expected_charge=Decimal("-1"))
    df = spark.createDataFrame([tuple(row[f.name] for f in LEAKAGE_FINDINGS)], LEAKAGE_FINDINGS)
    with pytest.raises(ContractError, match=r"LeakageFindings violated before writing gold.leakage_findings.*control"):
        validate("gold.leakage_findings", df)
