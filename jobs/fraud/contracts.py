"""pandera contracts of the fraud stage's tables, registered with :mod:`jobs.common.contracts`.

Importing this module registers them; ``ctx.write`` then validates every write against them.
"""

from __future__ import annotations

import pandera.pyspark as pa
import pyspark.sql.types as T

from jobs.common import contracts
from jobs.common.tables import MONEY_PRECISION, MONEY_SCALE

MONEY = T.DecimalType(MONEY_PRECISION, MONEY_SCALE)
SUBJECT_TYPES = ["subscriber", "external_number"]
ALERT_TYPOLOGIES = ["simbox", "irsf", "wangiri", "subscription_fraud", "anomaly"]


class FraudFeatures(pa.DataFrameModel):
    """silver.fraud_features — one row per subject per day.

    Every pandera check is one Spark job, so the contract checks what downstream relies on — keys,
    subject type, shares within 0..1, non-negative counts and spend of the signals' core columns —
    and types only for the rest (the assembler fills them with 0, never null, except the
    documented nullable ones).
    """

    subject: T.StringType() = pa.Field(nullable=False)
    subject_type: T.StringType() = pa.Field(isin=SUBJECT_TYPES)
    segment: T.StringType() = pa.Field(nullable=True)
    plan_id: T.StringType() = pa.Field(nullable=True)
    payment_type: T.StringType() = pa.Field(nullable=True)
    window_start: T.TimestampType() = pa.Field(nullable=False)
    window_end: T.TimestampType() = pa.Field(nullable=True)
    mo_calls: T.LongType() = pa.Field(ge=0)
    mt_calls: T.LongType() = pa.Field(nullable=True)
    mo_minutes: T.DoubleType() = pa.Field(nullable=True)
    mt_minutes: T.DoubleType() = pa.Field(nullable=True)
    mo_distinct_numbers: T.LongType() = pa.Field(nullable=True)
    distinct_share: T.DoubleType() = pa.Field(in_range={"min_value": 0, "max_value": 1})
    mt_mo_ratio: T.DoubleType() = pa.Field(nullable=True)
    national_share: T.DoubleType() = pa.Field(in_range={"min_value": 0, "max_value": 1})
    sms_mo: T.LongType() = pa.Field(nullable=True)
    sms_mt: T.LongType() = pa.Field(nullable=True)
    data_sessions: T.LongType() = pa.Field(nullable=True)
    data_mb: T.DoubleType() = pa.Field(nullable=True)
    distinct_cells: T.LongType() = pa.Field(nullable=True)
    distinct_imeis: T.LongType() = pa.Field(nullable=True)
    tac_sims: T.LongType() = pa.Field(nullable=True)
    tac_heavy_sims: T.LongType() = pa.Field(nullable=True)
    imei_sims: T.LongType() = pa.Field(nullable=True)
    night_share: T.DoubleType() = pa.Field(in_range={"min_value": 0, "max_value": 1})
    intl_calls: T.LongType() = pa.Field(nullable=True)
    intl_minutes: T.DoubleType() = pa.Field(nullable=True)
    high_risk_calls: T.LongType() = pa.Field(nullable=True)
    high_risk_minutes: T.DoubleType() = pa.Field(nullable=True)
    risk_minutes: T.DoubleType() = pa.Field(ge=0)
    intl_spend: MONEY = pa.Field(ge=0)
    high_risk_spend: MONEY = pa.Field(ge=0)
    peak_calls_hour: T.LongType() = pa.Field(nullable=True)
    peak_high_risk_minutes_hour: T.DoubleType() = pa.Field(nullable=True)
    high_risk_minutes_burst: T.DoubleType() = pa.Field(ge=0)
    avg_duration_s: T.DoubleType() = pa.Field(nullable=True)
    std_duration_s: T.DoubleType() = pa.Field(nullable=True)
    days_since_activation: T.IntegerType() = pa.Field(nullable=True)
    history_days: T.IntegerType() = pa.Field(nullable=True)
    mo_calls_vs_history: T.DoubleType() = pa.Field(nullable=True)
    risk_minutes_vs_history: T.DoubleType() = pa.Field(nullable=True)
    mo_calls_vs_plan: T.DoubleType() = pa.Field(nullable=True)
    risk_minutes_vs_plan: T.DoubleType() = pa.Field(nullable=True)
    one_ring_calls: T.LongType() = pa.Field(nullable=True)
    one_ring_targets: T.LongType() = pa.Field(ge=0)
    calls_to_subscribers: T.LongType() = pa.Field(nullable=True)
    one_ring_share: T.DoubleType() = pa.Field(in_range={"min_value": 0, "max_value": 1})
    callbacks: T.LongType() = pa.Field(nullable=True)
    callback_subs: T.LongType() = pa.Field(nullable=True)
    callback_minutes: T.DoubleType() = pa.Field(nullable=True)
    destination_high_risk: T.BooleanType() = pa.Field(nullable=True)
    run_id: T.StringType() = pa.Field(nullable=False)
    feature_date: T.DateType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False




class FraudAlerts(pa.DataFrameModel):
    """gold.fraud_alerts — output contract v1 plus ranking columns."""

    alert_id: T.StringType() = pa.Field(nullable=False)
    subject: T.StringType() = pa.Field(nullable=True)
    subject_type: T.StringType() = pa.Field(isin=SUBJECT_TYPES)
    typology: T.StringType() = pa.Field(isin=ALERT_TYPOLOGIES)
    window_start: T.TimestampType() = pa.Field(nullable=False)
    window_end: T.TimestampType() = pa.Field(nullable=True)
    score: T.DoubleType() = pa.Field(in_range={"min_value": 0, "max_value": 1})
    model_name: T.StringType() = pa.Field(nullable=True)
    model_version: T.StringType() = pa.Field(nullable=True)
    reasons: T.StringType() = pa.Field(nullable=False)
    run_id: T.StringType() = pa.Field(nullable=True)
    rank_in_day: T.IntegerType() = pa.Field(ge=1, nullable=True)
    within_budget: T.BooleanType() = pa.Field(nullable=False)
    alert_date: T.DateType() = pa.Field(nullable=False)

    class Config:
        strict = True
        coerce = False


def register() -> None:
    contracts.register("silver.fraud_features", FraudFeatures)
    if "gold.fraud_alerts" not in contracts.MODELS:
        contracts.register("gold.fraud_alerts", FraudAlerts)


register()
