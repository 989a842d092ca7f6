"""The formatted physical plan of a DataFrame after it ran (the final plan of an adaptive one)."""

from __future__ import annotations

from typing import Any


def run_and_explain(df: Any) -> tuple[list[Any], str]:
    """Collect ``df``, then its formatted plan (so an adaptive plan is final)."""
    rows = df.collect()
    plan = df.sparkSession._jvm.PythonSQLUtils.explainString(df._jdf.queryExecution(), "formatted")
    return rows, plan
