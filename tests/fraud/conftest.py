"""Fixtures of the fraud tests: DataFrame factories with the catalogue schemas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fraud_inputs import DEST_ROWS

from jobs.common.tables import DESTINATIONS, NETWORK_USAGE, SUBSCRIBERS, TARIFFS


@pytest.fixture
def build(spark):
    """Factories of DataFrames with the catalogue schemas."""

    class Build:
        @staticmethod
        def usage(rows):
            return spark.createDataFrame(rows, NETWORK_USAGE)

        @staticmethod
        def subscribers(rows):
            return spark.createDataFrame(rows, SUBSCRIBERS)

        @staticmethod
        def destinations(rows=None):
            rows = DEST_ROWS if rows is None else rows
            return spark.createDataFrame(
                [{"prefix": p, "zone": z, "description": z, "risk": r, "source_file": "d", "line_number": 1,
                  "ingest_run_id": "t"} for p, z, r in rows], DESTINATIONS)

        @staticmethod
        def tariffs(rows=None):
            rows = rows if rows is not None else [
                ("POST_M", "satellite", "9.99"), ("POST_M", "intl_zone1", "0.19"),
                ("POST_M", "national_premium", "1.99"), ("PRE_BASIC", "national", "0.09"),
            ]
            return spark.createDataFrame(
                [{"plan_id": p, "service": "voice", "zone": z, "price_per_unit": Decimal(price), "unit": "minute",
                  "increment": 60, "included_units": Decimal(0), "effective_from": date(2026, 1, 1),
                  "effective_to": None, "source_file": "t", "line_number": 1, "ingest_run_id": "t"}
                 for p, z, price in rows], TARIFFS)

    return Build
