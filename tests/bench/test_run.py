"""bench/run.py: how Spark joined, read from the plans it ran."""

from __future__ import annotations

from pyspark.sql import functions as F

from bench.run import plan_joins
from tests.bench.plans import run_and_explain


def test_joins_of_a_run_plan_are_counted_by_operator_and_type(spark):
    left = spark.range(1000).withColumn("k", F.col("id") % 10)
    right = spark.range(10).withColumnRenamed("id", "k").withColumn("v", F.lit(1))
    joined = left.join(F.broadcast(right), "k", "left").join(
        right.hint("shuffle_hash"), "k", "left_anti").join(right.hint("merge"), "k", "left_semi")
    _, plan = run_and_explain(joined)
    assert plan_joins(plan) == {"BroadcastHashJoin LeftOuter": 1, "ShuffledHashJoin LeftAnti": 1,
                                "SortMergeJoin LeftSemi": 1}
    # the operators' details below the tree name them again: not counted twice
    assert plan.count("BroadcastHashJoin") > 1


def test_only_the_final_plan_of_an_adaptive_plan_counts():
    plan = """== Physical Plan ==
AdaptiveSparkPlan (9)
+- == Final Plan ==
   * BroadcastHashJoin Inner BuildRight (5)
   :- * Range (1)
   +- BroadcastQueryStage (4)
+- == Initial Plan ==
   SortMergeJoin Inner (8)
   :- Range (6)
   +- Range (7)


(5) BroadcastHashJoin [codegen id : 2]
Join type: Inner
"""
    assert plan_joins(plan) == {"BroadcastHashJoin Inner": 1}
    assert plan_joins("") == {}
