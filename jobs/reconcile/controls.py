"""The seven controls as pure transforms over the matching outcome, one pass per side.

``record_findings`` reads the *record outcome* (rated network records left-joined with their
matched event, event columns ``e_*``) and emits unbilled_usage, inactive_subscriber_usage,
rating_error and usage_mismatch; ``event_findings`` reads the *event outcome* (billed events with
their match / duplicate status and the subscriber's plan) and emits phantom_billing,
duplicate_billing and plan_mismatch. Each side is one pass: the names of the controls that fire on a
row are exploded, and the finding columns are computed only for those rows (see :func:`_emit`).
See docs/controls.md for the rules.

Findings keyed by a record take that record's ``start_time`` and ``usage_date``; findings keyed by
an event take the event's. ``amount_at_risk = expected_charge - billed_charge`` (null when the
expected charge is unknown: unknown msisdn or tariff gap).
"""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, TimestampType

from jobs.common.tables import MONEY
from jobs.reconcile.settings import TARIFF_GAP

FINDING_FIELDS = (
    "control", "key", "record_id", "event_id", "msisdn", "service", "start_time", "expected_charge",
    "billed_charge", "currency", "details", "source_system", "plan_id", "zone", "tariff_price",
    "billed_unit_price", "usage_date", "pending", "held_until",
)


def _null_s() -> Column:
    return F.lit(None).cast(StringType())


def _zero() -> Column:
    return F.lit(Decimal(0)).cast(MONEY)


def _finding(**fields: Column) -> dict[str, Column]:
    """Every field of FINDING_FIELDS as a typed Column (missing ones null / not pending)."""
    defaults = {"pending": F.lit(False), "held_until": F.lit(None).cast(TimestampType())}
    types = {"start_time": TimestampType(), "usage_date": DateType(), "expected_charge": MONEY,
             "billed_charge": MONEY, "tariff_price": MONEY, "billed_unit_price": MONEY}
    out = {}
    for name in FINDING_FIELDS:
        value = fields.get(name, defaults.get(name, _null_s()))
        out[name] = value.cast(types[name]) if name in types else value
    return out


def money_text(col: Column) -> Column:
    """Money as text with at least 4 decimals and no trailing zeros beyond them."""
    return F.regexp_replace(col.cast(MONEY).cast("string"), r"(\.\d{4}\d*?)0+$", "$1")


def utc_text(col: Column) -> Column:
    return F.date_format(col, "yyyy-MM-dd'T'HH:mm:ss'Z'")


def quantity_text(service: Column, qty: Column) -> Column:
    return (
        F.when(service == F.lit("voice"), F.format_string("%d s", qty))
        .when(service == F.lit("data"), F.format_string("%d bytes", qty))
        .otherwise(F.format_string("%d message(s)", qty))
    )


def tariff_gap_text() -> Column:
    """Why a known subscriber's billable record has no tariff (record outcome columns)."""
    no_zone = F.format_string(
        "%s: no destination prefix matches other party %s (plan %s, %s)",
        F.lit(TARIFF_GAP), F.coalesce(F.col("other_party"), F.lit("-")), F.col("sub_plan_id"), F.col("service"))
    no_row = F.format_string(
        "%s: no tariff row for plan %s, %s, zone %s in force at %s",
        F.lit(TARIFF_GAP), F.col("sub_plan_id"), F.col("service"), F.col("zone"), utc_text(F.col("start_time")))
    return F.when(F.col("zone").isNull(), no_zone).otherwise(no_row)


def billed_unit_price(charge: Column, chargeable_qty: Column, unit_base: Column) -> Column:
    """Billed charge per tariff unit (4 decimals), null when nothing is chargeable."""
    units = chargeable_qty / unit_base.cast("decimal(7,0)")
    return F.when(chargeable_qty > 0, F.round(charge / units, 4).cast(MONEY))


def rating_error_fires(known: Column, has_tariff: Column, expected: Column, charge: Column,
                       tolerance: Decimal) -> Column:
    """A matched pair of a known line: tariff gap, or |billed - expected| beyond the tolerance."""
    return known & (~has_tariff | (F.abs(charge.cast(MONEY) - expected) > F.lit(tolerance)))


def usage_mismatch_fires(known: Column, has_tariff: Column, service: Column, billed_qty: Column,
                         rounded_qty: Column) -> Column:
    """A rated voice/data pair whose billed duration/volume is not the network's rounded usage."""
    return known & has_tariff & service.isin("voice", "data") & (billed_qty != rounded_qty)


def record_findings(outcome: DataFrame, charge_tolerance: Decimal, currency: str,
                    as_of_us: int, latency_us: int) -> DataFrame:
    """unbilled_usage, inactive_subscriber_usage, rating_error, usage_mismatch (+ pending flags).

    ``outcome``: rated records (rating.rate_usage columns) left-joined with matched event columns
    ``e_event_id``, ``e_charge``, ``e_currency``, ``e_qty``, ``e_start_time``, ``e_usage_date``.
    """
    matched = F.col("e_event_id").isNotNull()
    known, gap = F.col("known"), F.col("known") & ~F.col("has_tariff")
    rkey = F.concat_ws("/", F.col("source_system"), F.col("record_id"))
    billed = F.coalesce(F.col("e_charge").cast(MONEY), _zero())
    cur = F.coalesce(F.col("e_currency"), F.lit(currency))
    common = dict(msisdn=F.col("msisdn"), service=F.col("service"), source_system=F.col("source_system"),
                  plan_id=F.col("sub_plan_id"), zone=F.col("zone"), tariff_price=F.col("price_per_unit"))
    on_record = dict(common, key=rkey, record_id=F.col("record_id"), start_time=F.col("start_time"),
                     usage_date=F.col("usage_date"))
    on_event = dict(common, key=F.col("e_event_id"), record_id=F.col("record_id"),
                    event_id=F.col("e_event_id"), start_time=F.col("e_start_time"),
                    usage_date=F.col("e_usage_date"), billed_charge=F.col("e_charge"), currency=cur)

    usage = F.format_string("%s %s record of %s", F.col("direction"), F.col("service"),
                            quantity_text(F.col("service"), F.col("raw_qty")))
    unbilled_details = (
        F.when(~known, F.concat(F.lit("no billed event; msisdn not in the subscriber snapshot, "
                                      "so the usage cannot be rated ("), usage, F.lit(")")))
        .when(gap, F.concat(tariff_gap_text(), F.lit("; not billed")))
        .otherwise(F.format_string("no billed event for %s (plan %s, zone %s, expected %s)", usage,
                                   F.col("sub_plan_id"), F.col("zone"), money_text(F.col("expected_charge"))))
    )
    young = F.col("t_us") > F.lit(as_of_us - latency_us)
    unbilled = _finding(control=F.lit("unbilled_usage"), expected_charge=F.col("expected_charge"),
                        billed_charge=_zero(), currency=F.lit(currency), details=unbilled_details,
                        pending=young, held_until=F.timestamp_micros(F.col("t_us") + F.lit(latency_us)),
                        **on_record)

    reason = F.col("inactive_reason")
    billed_by = F.when(matched, F.format_string("billed by event %s", F.col("e_event_id"))).otherwise(
        F.lit("not billed"))
    inactive_details = (
        F.when(reason == F.lit("unknown"), F.concat(F.lit("msisdn not in the subscriber snapshot; "), billed_by))
        .when(reason == F.lit("suspended"), F.concat(F.lit("usage while the line is suspended; "), billed_by))
        .otherwise(F.format_string("usage after the line was terminated at %s; %s",
                                   utc_text(F.col("sub_terminated_at")), billed_by))
    )
    inactive = _finding(control=F.lit("inactive_subscriber_usage"), expected_charge=F.col("expected_charge"),
                        billed_charge=billed, currency=cur, details=inactive_details, **on_record)

    unit_price = billed_unit_price(F.col("e_charge"), F.col("chargeable_qty"), F.col("unit_base"))
    rating_details = F.when(gap, F.format_string("%s; billed %s cannot be checked", tariff_gap_text(),
                                                 money_text(F.col("e_charge")))).otherwise(
        F.format_string("billed %s, expected %s: plan %s %s zone %s at %s per %s, %s chargeable of %s",
                        money_text(F.col("e_charge")), money_text(F.col("expected_charge")),
                        F.col("sub_plan_id"), F.col("service"), F.col("zone"),
                        money_text(F.col("price_per_unit")), F.col("tariff_unit"),
                        quantity_text(F.col("service"), F.col("chargeable_qty").cast("long")),
                        quantity_text(F.col("service"), F.col("rounded_qty"))))
    rating = _finding(control=F.lit("rating_error"), expected_charge=F.col("expected_charge"),
                      details=rating_details, billed_unit_price=unit_price,
                      **on_event)

    mismatch_details = F.format_string(
        "billed %s, network %s rounds to %s (increment %s)",
        quantity_text(F.col("service"), F.col("e_qty")), quantity_text(F.col("service"), F.col("raw_qty")),
        quantity_text(F.col("service"), F.col("rounded_qty")),
        quantity_text(F.col("service"), F.col("increment_base")))
    mismatch = _finding(control=F.lit("usage_mismatch"), expected_charge=F.col("expected_charge"),
                        details=mismatch_details, **on_event)

    has_tariff = F.col("has_tariff")
    return _emit(outcome, [
        (F.col("billable") & ~matched, unbilled),
        (F.col("billable") & reason.isNotNull(), inactive),
        (matched & rating_error_fires(known, has_tariff, F.col("expected_charge"), F.col("e_charge"),
                                      charge_tolerance), rating),
        (matched & usage_mismatch_fires(known, has_tariff, F.col("service"), F.col("e_qty"),
                                        F.col("rounded_qty")), mismatch),
    ])


def event_findings(outcome: DataFrame, currency: str) -> DataFrame:
    """phantom_billing, duplicate_billing, plan_mismatch.

    ``outcome``: prepared events (``e_*``) with ``source_system``/``record_id``/``r_expected_charge``
    of the matched record (null when unmatched), ``dup_source_system``/``dup_record_id`` and the
    subscriber's plan ``s_plan_id`` (null for unknown msisdns).
    """
    matched = F.col("record_id").isNotNull()
    dup = ~matched & F.col("dup_record_id").isNotNull()
    cur = F.coalesce(F.col("e_currency"), F.lit(currency))
    common = dict(key=F.col("e_event_id"), event_id=F.col("e_event_id"), msisdn=F.col("e_msisdn"),
                  service=F.col("e_service"), start_time=F.col("e_start_time"), billed_charge=F.col("e_charge"),
                  currency=cur, usage_date=F.col("e_usage_date"))
    phantom_details = F.when(
        F.col("e_source_record_id").isNotNull(),
        F.format_string("source_record_id %s names no billable network record", F.col("e_source_record_id")),
    ).otherwise(F.lit("no billable network record with the same msisdn, service and other party "
                      "within the clock-skew tolerance"))
    phantom = _finding(control=F.lit("phantom_billing"), expected_charge=_zero(), details=phantom_details,
                       plan_id=F.col("e_plan_id"), **common)
    duplicate = _finding(
        control=F.lit("duplicate_billing"), expected_charge=_zero(), record_id=F.col("dup_record_id"),
        source_system=F.col("dup_source_system"), plan_id=F.col("e_plan_id"),
        details=F.format_string("further billed event for record %s/%s, which is already billed",
                                F.col("dup_source_system"), F.col("dup_record_id")), **common)
    plan = _finding(
        control=F.lit("plan_mismatch"),
        expected_charge=F.when(matched, F.col("r_expected_charge")).otherwise(_zero()),
        record_id=F.col("record_id"),
        source_system=F.col("source_system"),
        plan_id=F.col("s_plan_id"),
        details=F.format_string("billed on plan %s, the subscriber's plan is %s",
                                F.col("e_plan_id"), F.col("s_plan_id")), **common)
    return _emit(outcome, [
        (~matched & ~dup, phantom),
        (dup, duplicate),
        (F.col("s_plan_id").isNotNull() & (F.col("e_plan_id") != F.col("s_plan_id")), plan),
    ])


def _emit(outcome: DataFrame, rules: list[tuple[Column, dict[str, Column]]]) -> DataFrame:
    """One finding per (row, rule whose condition holds).

    The conditions are cheap; the finding columns (text formatting above all) are computed only on
    the rows that fired: the names of the firing controls are exploded first, then each column is
    chosen by control.
    """
    names = F.array(*[F.when(cond, fields["control"]) for cond, fields in rules])
    fired = outcome.withColumn("_control", F.explode(F.filter(names, lambda c: c.isNotNull())))
    cols = []
    for name in FINDING_FIELDS:
        expr: Column | None = None
        for _, fields in rules:
            hit = F.col("_control") == fields["control"]
            expr = F.when(hit, fields[name]) if expr is None else expr.when(hit, fields[name])
        assert expr is not None
        cols.append(expr.alias(name))
    return fired.select(*cols)


def finalize_findings(findings: DataFrame, run_id: str) -> DataFrame:
    """Add ``finding_id`` (sha2 of control and key), ``amount_at_risk`` and ``run_id``."""
    return findings.withColumn(
        "finding_id", F.sha2(F.concat_ws("|", F.col("control"), F.col("key")), 256)
    ).withColumn(
        "amount_at_risk", (F.col("expected_charge") - F.col("billed_charge")).cast(MONEY)
    ).withColumn("run_id", F.lit(run_id))
