"""Labels for training: analysts' dispositions, and weak labels from the typology rules until then.

* A disposition is the latest status transition of a kind='fraud' case in gold.case_events:
  ``confirmed_fraud`` -> 1, ``false_positive`` -> 0 (a later transition to anything else withdraws
  it). It applies to the case's subject: a confirmed case labels the subject's days between the
  case's first and last alert positive (typology = the case's category); a false positive labels
  every day of the subject negative.
* Weak labels (docs/fraud.md) stand in while dispositions are few: a row whose best typology
  likeness reaches ``weak_positive_at`` is positive, one below ``weak_negative_below`` negative.
  Dispositions enter training once there are ``min_dispositions`` of them (weight
  ``disposition_weight``); after ``dispositions_only_after`` weak labels are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from jobs.fraud.signals import weak_label

CONFIRMED = "confirmed_fraud"
FALSE_POSITIVE = "false_positive"


@dataclass(frozen=True)
class LabelPolicy:
    weak_positive_at: float
    weak_negative_below: float
    min_dispositions: int
    disposition_weight: float
    dispositions_only_after: int

    @classmethod
    def from_config(cls, train: dict) -> LabelPolicy:  # type: ignore[type-arg]
        return cls(float(train["weak_positive_at"]), float(train["weak_negative_below"]),
                   int(train["min_dispositions"]), float(train["disposition_weight"]),
                   int(train["dispositions_only_after"]))


def dispositions(events: DataFrame, cases: DataFrame) -> DataFrame:
    """``case_id, subject, subject_type, category, first_day, last_day, label, disposed_at`` per
    fraud case whose latest status transition is a disposition."""
    latest = Window.partitionBy("case_id").orderBy(F.col("at").desc(), F.col("event_seq").desc())
    last = (
        events.where(F.col("to_status").isNotNull())
        .withColumn("_n", F.row_number().over(latest))
        .where(F.col("_n") == 1)
        .where(F.col("to_status").isin(CONFIRMED, FALSE_POSITIVE))
        .select("case_id", F.when(F.col("to_status") == CONFIRMED, 1).otherwise(0).alias("label"),
                F.col("at").alias("disposed_at"))
    )
    fraud_cases = cases.where((F.col("kind") == "fraud") & F.col("subject").isNotNull()).select(
        "case_id", "subject", "subject_type", "category",
        F.to_date("first_seen").alias("first_day"),
        F.to_date(F.col("last_seen") - F.expr("INTERVAL 1 SECOND")).alias("last_day"),
    )
    return last.join(fraud_cases, "case_id")


def label_rows(signals: DataFrame, disp: DataFrame, n_dispositions: int, policy: LabelPolicy) -> DataFrame:
    """Add ``label`` (1/0/null), ``label_typology``, ``weight`` and ``label_source`` to feature rows
    with signals (``likeness``, ``best_typology``)."""
    use_disp = n_dispositions >= policy.min_dispositions
    use_weak = n_dispositions < policy.dispositions_only_after
    keys = ["subject", "subject_type"]
    df = signals
    if use_disp:
        positive = disp.where(F.col("label") == 1).select(*keys, "first_day", "last_day",
                                                           F.col("category").alias("_cat"))
        pos_rows = (
            df.select(*keys, "feature_date").join(positive, keys)
            .where(F.col("feature_date").between(F.col("first_day"), F.col("last_day")))
            .groupBy(*keys, "feature_date").agg(F.first("_cat").alias("_pos_typology"))
        )
        negative = disp.where(F.col("label") == 0).select(*keys).distinct().withColumn("_neg", F.lit(True))
        df = df.join(pos_rows, [*keys, "feature_date"], "left").join(negative, keys, "left")
        disp_label = F.when(F.col("_pos_typology").isNotNull(), 1).when(F.col("_neg"), 0)
    else:
        df = df.withColumn("_pos_typology", F.lit(None).cast("string"))
        disp_label = F.lit(None).cast("int")
    weak = (weak_label(F.col("likeness"), policy.weak_positive_at, policy.weak_negative_below)
            if use_weak else F.lit(None).cast("int"))
    return (
        df.withColumn("_disp", disp_label)
        .withColumn("label", F.coalesce(F.col("_disp"), weak).cast("double"))
        .withColumn("label_source", F.when(F.col("_disp").isNotNull(), "disposition")
                    .when(weak.isNotNull(), "weak"))
        .withColumn("label_typology", F.when(F.col("label") == 1, F.coalesce(F.col("_pos_typology"),
                                                                              F.col("best_typology"))))
        .withColumn("weight", F.when(F.col("_disp").isNotNull(), policy.disposition_weight).otherwise(1.0))
        .drop("_disp", "_pos_typology", *(["_neg"] if use_disp else []))
    )
