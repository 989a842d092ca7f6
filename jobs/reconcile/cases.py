"""Root-cause cases: findings grouped by the rules of ``reconcile.case_rules`` (gold.cases, kind leakage).

Each finding joins the first rule (in configured order) whose controls include its control and
whose ``details_prefix`` (if any) starts its details; the case is the group of the rule's
``group_by`` values. ``case_id = sha2("leakage|<rule>|<group values>")`` — stable across re-runs
and independent of run ids. Cases are rebuilt from the whole findings table each run (it holds
every day), so re-running a day never duplicates or loses a case.

Priority comes from the case's absolute money at risk and ``reconcile.priority_thresholds``:
``>= p1`` -> 1, ``>= p2`` -> 2, ``>= p3`` -> 3, else (or unknown money) 4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DecimalType, IntegerType, TimestampType

from jobs.common.errors import ConfigError
from jobs.common.tables import MONEY
from jobs.reconcile.controls import money_text, utc_text
from jobs.reconcile.settings import FIGURES, PLACEHOLDER, CaseRule

KIND = "leakage"


def render(template: str, values: Mapping[str, Column], where: str) -> Column:
    """Replace ``{name}`` in ``template`` by the text of ``values[name]`` (a Column expression)."""
    parts: list[Column] = []
    pos = 0
    for match in PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in values:
            raise ConfigError(f"{where} uses {{{name}}}, which is neither a group_by column nor one of {FIGURES}")
        parts += [F.lit(template[pos:match.start()]), F.coalesce(values[name], F.lit("-"))]
        pos = match.end()
    parts.append(F.lit(template[pos:]))
    return F.concat(*parts)


def _text(col: Column, dtype: object) -> Column:
    if isinstance(dtype, DecimalType):
        return money_text(col)
    if isinstance(dtype, TimestampType):
        return utc_text(col)
    if isinstance(dtype, DateType):
        return F.date_format(col, "yyyy-MM-dd")
    return col.cast("string")


def assign_rules(findings: DataFrame, rules: Sequence[CaseRule]) -> DataFrame:
    """Add ``rule`` (first fitting rule, null if none) and ``case_id`` to each finding."""
    rule_col: Column | None = None
    case_key: Column | None = None
    for rule in rules:
        fits = F.col("control").isin(*rule.controls)
        if rule.details_prefix:
            fits = fits & F.coalesce(F.col("details").startswith(rule.details_prefix), F.lit(False))
        key = F.concat_ws("|", F.lit(KIND), F.lit(rule.name),
                          *[F.coalesce(F.col(c).cast("string"), F.lit("")) for c in rule.group_by])
        rule_col = F.when(fits, F.lit(rule.name)) if rule_col is None else rule_col.when(fits, F.lit(rule.name))
        case_key = F.when(fits, key) if case_key is None else case_key.when(fits, key)
    if rule_col is None or case_key is None:
        return findings.withColumn("rule", F.lit(None).cast("string")).withColumn(
            "case_id", F.lit(None).cast("string"))
    return findings.withColumn("rule", rule_col).withColumn("case_id", F.sha2(case_key, 256))


def priority(amount: Column, thresholds: Sequence[Decimal]) -> Column:
    """1..4 from the absolute amount at risk; unknown money is priority 4."""
    a = F.abs(amount)
    p1, p2, p3 = (F.lit(t) for t in thresholds)
    return (
        F.when(a >= p1, 1).when(a >= p2, 2).when(a >= p3, 3).otherwise(4).cast(IntegerType())
    )


def build_cases(
    findings: DataFrame,
    rules: Sequence[CaseRule],
    thresholds: Sequence[Decimal],
    run_id: str,
    updated_at: datetime,
) -> tuple[DataFrame, DataFrame]:
    """(gold.cases rows, gold.case_items rows) of kind ``leakage`` from gold.leakage_findings rows."""
    assigned = assign_rules(findings, rules).filter(F.col("case_id").isNotNull())
    grouped_cols = sorted({c for r in rules for c in (*r.group_by, *r.subject)})
    dtypes = {f.name: f.dataType for f in findings.schema}
    agg = assigned.groupBy("case_id", "rule").agg(
        *[F.first(c, ignorenulls=True).alias(f"g_{c}") for c in grouped_cols],
        F.min("control").alias("category"),
        F.count(F.lit(1)).alias("item_count"),
        F.sum("amount_at_risk").alias("amount_at_risk"),
        F.min("currency").alias("currency"),
        F.min("start_time").alias("first_seen"),
        F.max("start_time").alias("last_seen"),
        F.size(F.collect_set("msisdn")).alias("_lines"),
        F.size(F.collect_set("usage_date")).alias("_days"),
    )
    title: Column | None = None
    cause: Column | None = None
    subject: Column | None = None
    subject_type: Column | None = None
    for rule in rules:
        values = {c: _text(F.col(f"g_{c}"), dtypes[c]) for c in rule.group_by}
        values.update(first_seen=utc_text(F.col("first_seen")), last_seen=utc_text(F.col("last_seen")),
                      findings=F.col("item_count").cast("string"),
                      amount=F.coalesce(money_text(F.col("amount_at_risk")), F.lit("unknown")))
        where = f"config key 'reconcile.case_rules.{rule.name}'"
        is_rule = F.col("rule") == F.lit(rule.name)
        t = render(rule.title, values, where + " title")
        c = render(rule.root_cause, values, where + " root_cause")
        s = F.concat_ws("|", *[F.col(f"g_{x}").cast("string") for x in rule.subject])
        title = F.when(is_rule, t) if title is None else title.when(is_rule, t)
        cause = F.when(is_rule, c) if cause is None else cause.when(is_rule, c)
        subject = F.when(is_rule, s) if subject is None else subject.when(is_rule, s)
        st = F.lit(rule.subject_type)
        subject_type = F.when(is_rule, st) if subject_type is None else subject_type.when(is_rule, st)
    if title is None or cause is None or subject is None or subject_type is None:
        raise ConfigError("config key 'reconcile.case_rules' defines no rule")
    cases = agg.select(
        "case_id",
        F.lit(KIND).alias("kind"),
        "category",
        title.alias("title"),
        cause.alias("root_cause"),
        subject.alias("subject"),
        subject_type.alias("subject_type"),
        priority(F.col("amount_at_risk"), thresholds).alias("priority"),
        F.col("amount_at_risk").cast(MONEY).alias("amount_at_risk"),
        "currency",
        F.col("item_count").cast("long").alias("item_count"),
        "first_seen",
        "last_seen",
        F.lit(None).cast("double").alias("score"),
        F.format_string("rule %s: %d finding(s) on %d line(s) over %d day(s)", F.col("rule"),
                        F.col("item_count"), F.col("_lines"), F.col("_days")).alias("reasons"),
        F.lit(run_id).alias("run_id"),
        F.lit(updated_at).cast(TimestampType()).alias("updated_at"),
    )
    items = assigned.select(
        "case_id", F.lit(KIND).alias("kind"), F.col("finding_id").alias("item_id"), F.lit(run_id).alias("run_id"))
    return cases, items
