"""Small Spark DataFrame helpers shared by the jobs: materialize a result once, broadcast what is small."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def materialize(df: DataFrame) -> DataFrame:
    """Compute ``df`` once and cut its lineage (local checkpoint, memory then disk).

    Later plans over it stay small, so planning cost does not grow with every step of the job.
    """
    return df.localCheckpoint(eager=True)


def small(df: DataFrame, limit: int) -> DataFrame:
    """A materialized ``df`` marked for broadcast when it has at most ``limit`` rows."""
    return F.broadcast(df) if df.count() <= limit else df
