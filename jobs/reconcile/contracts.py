"""pandera contract of gold.leakage_findings (output contract v1 + leakline's extra columns).

Registered with :func:`jobs.common.contracts.register` when the reconcile package is imported, so
``ctx.write(df, "gold.leakage_findings", ...)`` checks every finding before it lands.
"""

from __future__ import annotations

import pandera.pyspark as pa
import pyspark.sql.types as T

from jobs.common import contracts
from jobs.common.contracts import MONEY, SERVICES
from jobs.reconcile.settings import CONTROLS


class LeakageFindings(pa.DataFrameModel):
    """gold.leakage_findings — one row per (control, record or event)."""

    finding_id: T.StringType() = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    control: T.StringType() = pa.Field(isin=list(CONTROLS))
    record_id: T.StringType() = pa.Field(nullable=True)
    event_id: T.StringType() = pa.Field(nullable=True)
    msisdn: T.StringType() = pa.Field(nullable=True)
    service: T.StringType() = pa.Field(isin=SERVICES, nullable=True)
    start_time: T.TimestampType() = pa.Field(nullable=True)
    expected_charge: MONEY = pa.Field(nullable=True, ge=0)
    billed_charge: MONEY = pa.Field(nullable=True, ge=0)
    amount_at_risk: MONEY = pa.Field(nullable=True)
    currency: T.StringType() = pa.Field(str_matches=r"^[A-Z]{3}$", nullable=True)
    details: T.StringType() = pa.Field(nullable=True)
    run_id: T.StringType() = pa.Field(nullable=False)
    source_system: T.StringType() = pa.Field(nullable=True)
    plan_id: T.StringType() = pa.Field(nullable=True)
    zone: T.StringType() = pa.Field(nullable=True)
    tariff_price: MONEY = pa.Field(nullable=True, ge=0)
    billed_unit_price: MONEY = pa.Field(nullable=True, ge=0)
    usage_date: T.DateType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False


def register() -> None:
    contracts.register("gold.leakage_findings", LeakageFindings)


register()
