"""The tariff table (contract feed 5) and its vectorised lookup by plan, service, zone and time.

Every plan gets voice and sms rows for every destination zone, a home data row and voice/sms/data
roaming rows. One row changes price mid-period: the old row gets ``effective_to`` and a new row
starts that day. Billing may price from a *stale* copy that never saw the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from jobs.generate.catalog import Catalog
from jobs.generate.clock import epoch_of
from jobs.generate.config import (
    BYTES_PER_KB,
    BYTES_PER_MB,
    HOME_DATA_ZONE,
    MONEY_QUANT,
    ROAMING_ZONE,
    SECONDS_PER_MINUTE,
    SERVICES,
    GeneratorParams,
)

VOICE, SMS, DATA = range(len(SERVICES))
UNIT_NAME = ("minute", "message", "megabyte")
UNIT_BASE = np.asarray([SECONDS_PER_MINUTE, 1, BYTES_PER_MB], dtype=np.int64)  # base units per unit
_OPEN_END = np.iinfo(np.int64).max
_PRICE_STEP = Decimal(1) / MONEY_QUANT
TARIFF_COLUMNS = [
    "plan_id", "service", "zone", "price_per_unit", "unit", "increment",
    "included_units", "effective_from", "effective_to",
]


def price4(price: Decimal) -> int:
    """A price as an integer count of 1/10,000 EUR; refuses prices with more than 4 decimals."""
    if price != price.quantize(_PRICE_STEP):
        raise ValueError(f"price {price} has more than 4 decimals")
    return int(price * MONEY_QUANT)


def change_zone(params: GeneratorParams, catalog: Catalog) -> str:
    """The zone of the mid-period price change: configured, else the intl zone with most prefixes."""
    wanted = params.catalog.price_change_zone
    if wanted in catalog.zone_prices:
        return wanted
    d = catalog.destinations
    intl = d[~d["prefix"].str.startswith(params.catalog.home_country_code)]
    return str(intl["zone"].value_counts().sort_index().idxmax())


def change_date(params: GeneratorParams) -> date:
    """Day the changed price takes effect (default: the middle day of the period)."""
    day = params.catalog.price_change_day
    return params.start + timedelta(days=params.days // 2 if day is None else day)


def build_tariffs(params: GeneratorParams, catalog: Catalog) -> pd.DataFrame:
    """Tariff rows (contract v1 columns; prices ``Decimal``, dates ``datetime.date``)."""
    cp = params.catalog
    since = cp.tariffs_effective_from or date(params.start.year, 1, 1)
    rows = []
    for plan in cp.plans:
        for zone, (voice, sms) in catalog.zone_prices.items():
            factor = plan.national_price_factor if zone in cp.national_zones else Decimal(1)
            allowance = zone in cp.allowance_zones
            rows.append((plan.plan_id, "voice", zone, voice * factor, "minute", plan.voice_increment_s,
                         plan.included_minutes if allowance else 0, since, None))
            rows.append((plan.plan_id, "sms", zone, sms * factor, "message", 1,
                         plan.included_sms if allowance else 0, since, None))
        rows.append((plan.plan_id, "data", HOME_DATA_ZONE, plan.data_price_per_mb, "megabyte",
                     plan.data_increment_kb, plan.included_mb, since, None))
        r_voice, r_sms, r_data = cp.roaming_prices
        rows.append((plan.plan_id, "voice", ROAMING_ZONE, r_voice, "minute", cp.roaming_voice_increment_s,
                     0, since, None))
        rows.append((plan.plan_id, "sms", ROAMING_ZONE, r_sms, "message", 1, 0, since, None))
        rows.append((plan.plan_id, "data", ROAMING_ZONE, r_data, "megabyte", cp.roaming_data_increment_kb,
                     0, since, None))
    df = pd.DataFrame(rows, columns=TARIFF_COLUMNS)
    df["price_per_unit"] = [p.quantize(_PRICE_STEP, rounding=ROUND_HALF_UP) for p in df["price_per_unit"]]
    hit = (df["plan_id"] == cp.price_change_plan) & (df["service"] == "voice")
    hit &= df["zone"] == change_zone(params, catalog)
    if hit.sum() != 1:
        raise ValueError(f"price change plan {cp.price_change_plan!r} has no tariff row")
    when = change_date(params)
    new = df[hit].copy()
    new["price_per_unit"] = [
        (p * cp.price_change_factor).quantize(_PRICE_STEP, rounding=ROUND_HALF_UP) for p in new["price_per_unit"]
    ]
    new["effective_from"] = when
    df.loc[hit, "effective_to"] = when
    df = pd.concat([df, new], ignore_index=True)
    return df.sort_values(["plan_id", "service", "zone", "effective_from"], ignore_index=True)


def stale_tariffs(tariffs: pd.DataFrame) -> pd.DataFrame:
    """The tariffs as a billing system that missed every price change sees them."""
    first = tariffs.groupby(["plan_id", "service", "zone"], sort=False)["effective_from"].transform("min")
    stale = tariffs[tariffs["effective_from"] == first].copy()
    stale["effective_to"] = None
    return stale


@dataclass(frozen=True)
class TariffTable:
    """Tariff rows as arrays, sorted by (key, effective_from), for vectorised lookups."""

    key: np.ndarray
    start: np.ndarray
    end: np.ndarray
    price_4: np.ndarray  # price per unit in 1/10,000 EUR
    increment_base: np.ndarray  # seconds | messages | bytes
    included_base: np.ndarray  # allowance in base units per bill cycle
    n_zones: int

    def lookup(self, plan: np.ndarray, service: np.ndarray, zone: np.ndarray, utc: np.ndarray) -> np.ndarray:
        """Row index of the tariff in force at each ``utc``; raises if any has none."""
        key = (plan.astype(np.int64) * len(SERVICES) + service) * self.n_zones + zone
        composite = (key << 32) + utc
        rows = np.searchsorted((self.key << 32) + self.start, composite, side="right") - 1
        ok = (rows >= 0) & (self.key[np.maximum(rows, 0)] == key) & (utc < self.end[np.maximum(rows, 0)])
        if not ok.all():
            raise ValueError(f"{int((~ok).sum())} usages have no tariff in force")
        return rows


def tariff_table(tariffs: pd.DataFrame, params: GeneratorParams, catalog: Catalog) -> TariffTable:
    """Index a tariff frame (as built by :func:`build_tariffs`) for lookups."""
    plan_code = {p.plan_id: i for i, p in enumerate(params.catalog.plans)}
    service = tariffs["service"].map(SERVICES.index).to_numpy(dtype=np.int64)
    zone = np.asarray([catalog.zone_code(z) for z in tariffs["zone"]], dtype=np.int64)
    plan = tariffs["plan_id"].map(plan_code).to_numpy(dtype=np.int64)
    key = (plan * len(SERVICES) + service) * len(catalog.zones) + zone
    start = np.asarray([epoch_of(d) for d in tariffs["effective_from"]], dtype=np.int64)
    end = np.asarray([_OPEN_END if d is None or pd.isna(d) else epoch_of(d) for d in tariffs["effective_to"]],
                     dtype=np.int64)
    inc = tariffs["increment"].to_numpy(dtype=np.int64) * np.where(service == DATA, BYTES_PER_KB, 1)
    included = tariffs["included_units"].to_numpy(dtype=np.int64) * UNIT_BASE[service]
    order = np.lexsort((start, key))
    return TariffTable(key[order], start[order], end[order],
                       np.asarray([price4(p) for p in tariffs["price_per_unit"]], dtype=np.int64)[order],
                       inc[order], included[order], len(catalog.zones))


def charge_4(chargeable_base: np.ndarray, price_4: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Charge in 1/10,000 EUR: price x chargeable units, rounded half-up (exact integer arithmetic)."""
    a = chargeable_base.astype(np.int64) * price_4
    b = UNIT_BASE[service]
    return (2 * a + b) // (2 * b)
