"""Parameters of the synthetic data generator.

Every tunable number of the generator lives here, in frozen dataclasses with documented defaults.
``GeneratorParams`` is the only object the pure API (:func:`jobs.generate.generate`) needs; the
nested groups can be replaced one at a time with :func:`dataclasses.replace`.

Rates are "per subscriber per day" or "per billable record" so that volumes and planted cases
scale with ``subscribers`` x ``days``; a ``*_min`` floor keeps every case present at small scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

# ----------------------------------------------------------------------------- units and names
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24
BYTES_PER_KB = 1_000  # tariff data increments are in kilobytes of 1,000 bytes
BYTES_PER_MB = 1_000_000  # a tariff "megabyte" is 1,000,000 bytes
MONEY_DECIMALS = 4  # expected charges are rounded half-up to 4 decimals
MONEY_QUANT = 10**MONEY_DECIMALS

SERVICES = ("voice", "sms", "data")
DIRECTIONS = ("MO", "MT")
SOURCE_SYSTEM = {"voice": "MSC-01", "sms": "SMSC-01", "data": "PGW-01"}
BILLING_SYSTEMS = ("BIL-A", "BIL-B")
ROAMING_ZONE = "roaming"
HOME_DATA_ZONE = "home"
CONTROLS = (
    "unbilled_usage",
    "phantom_billing",
    "duplicate_billing",
    "rating_error",
    "usage_mismatch",
    "inactive_subscriber_usage",
    "plan_mismatch",
)
TYPOLOGIES = ("simbox", "irsf", "wangiri", "subscription_fraud")
FORMATS = ("csv", "csv.gz", "parquet")


@dataclass(frozen=True)
class Spread:
    """A lognormal distribution of integers: ``median``, log-space ``sigma``, clipped to [low, high]."""

    median: float
    sigma: float
    low: int
    high: int


@dataclass(frozen=True)
class LocalZone:
    """Local wall-clock time: standard and summer UTC offsets, EU rule (last Sundays of March and
    October at 01:00 UTC). Drives the diurnal pattern and BIL-B's written offsets."""

    standard_offset_s: int = 3600  # CET, +01:00
    summer_offset_s: int = 7200  # CEST, +02:00


@dataclass(frozen=True)
class Plan:
    """One price plan: who holds it, its rounding increments, prices and monthly allowances."""

    plan_id: str
    payment_type: str  # prepaid | postpaid
    customer_type: str  # consumer | enterprise
    share: float  # share among subscribers of the same customer and payment type
    voice_increment_s: int
    data_increment_kb: int
    national_price_factor: Decimal  # multiplies the national zones' list prices
    data_price_per_mb: Decimal
    included_minutes: int  # per allowance zone (national, national_mobile) and bill cycle
    included_sms: int  # per allowance zone and bill cycle
    included_mb: int  # home data per bill cycle


DEFAULT_PLANS = (
    Plan("PRE_BASIC", "prepaid", "consumer", 0.6, 60, 1000, Decimal("1.0"), Decimal("0.24"), 0, 0, 0),
    Plan("PRE_DATA", "prepaid", "consumer", 0.4, 60, 1000, Decimal("1.0"), Decimal("0.10"), 0, 0, 500),
    Plan("POST_S", "postpaid", "consumer", 0.4, 30, 100, Decimal("0.9"), Decimal("0.05"), 30, 20, 1000),
    Plan("POST_M", "postpaid", "consumer", 0.4, 30, 100, Decimal("0.8"), Decimal("0.03"), 100, 50, 3000),
    Plan("POST_L", "postpaid", "consumer", 0.2, 1, 100, Decimal("0.7"), Decimal("0.02"), 300, 100, 10000),
    Plan("ENT_PRO", "postpaid", "enterprise", 1.0, 1, 100, Decimal("0.6"), Decimal("0.02"), 200, 100, 5000),
)

# zone -> (voice price per minute, sms price per message), list prices before plan factors
DEFAULT_ZONE_PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "national": (Decimal("0.09"), Decimal("0.09")),
    "national_mobile": (Decimal("0.12"), Decimal("0.09")),
    "national_premium": (Decimal("1.99"), Decimal("0.49")),
    "intl_zone1": (Decimal("0.19"), Decimal("0.19")),
    "intl_zone1_mobile": (Decimal("0.29"), Decimal("0.19")),
    "intl_zone2": (Decimal("0.49"), Decimal("0.29")),
    "intl_zone3": (Decimal("0.99"), Decimal("0.29")),
    "intl_high_risk": (Decimal("2.49"), Decimal("0.49")),
    "satellite": (Decimal("9.99"), Decimal("0.99")),
}


@dataclass(frozen=True)
class CatalogParams:
    """Destination catalogue and tariff table."""

    home_country_code: str = "49"
    plans: tuple[Plan, ...] = DEFAULT_PLANS
    zone_prices: dict[str, tuple[Decimal, Decimal]] = field(
        default_factory=lambda: dict(DEFAULT_ZONE_PRICES)
    )
    national_zones: tuple[str, ...] = ("national", "national_mobile")  # plan factor applies
    allowance_zones: tuple[str, ...] = ("national", "national_mobile")
    roaming_prices: tuple[Decimal, Decimal, Decimal] = (  # voice/min, sms/msg, data/MB
        Decimal("0.29"),
        Decimal("0.09"),
        Decimal("0.49"),
    )
    roaming_voice_increment_s: int = 60
    roaming_data_increment_kb: int = 1000
    tariffs_effective_from: date | None = None  # None = 1 January of the start year
    # the one mid-period price change ("tariff not updated" leakage follows from it)
    price_change_plan: str = "POST_S"
    price_change_zone: str = "intl_zone1"  # falls back to the intl zone with most prefixes
    price_change_day: int | None = None  # day offset from start; None = middle of the period
    price_change_factor: Decimal = Decimal("1.5")
    # carrier price list (--destinations-csv): international rate bands
    band_upper_bounds: tuple[Decimal, ...] = (
        Decimal("0.03"),
        Decimal("0.10"),
        Decimal("0.15"),
        Decimal("0.50"),
    )
    band_sms_price: Decimal = Decimal("0.19")
    high_risk_keywords: tuple[str, ...] = ("satellite", "premium", "aircraft", "maritime")
    currency: str = "EUR"


@dataclass(frozen=True)
class SubscriberParams:
    """The subscriber base and per-line attributes used by traffic."""

    msisdn_prefixes: tuple[str, ...] = ("49151", "49160", "49170", "49176")
    msisdn_suffix_digits: int = 8
    imsi_prefix: str = "26201"
    home_plmn: str = "26201"  # MCC-MNC prefixed to cell ids (ECGI style)
    imsi_suffix_digits: int = 10
    enterprise_share: float = 0.15
    prepaid_share_consumer: float = 0.4
    enterprise_lines_mean: float = 8.0
    suspended_share: float = 0.02
    terminated_share: float = 0.03
    terminated_before_share: float = 0.5  # of terminated lines: terminated before the period
    terminated_before_max_days: int = 180
    history_days: int = 3650  # activations spread over ten years
    recent_share: float = 0.03  # activated within recent_days before the period
    recent_days: int = 60
    in_period_share: float = 0.01  # activated during the period (not fraud)
    billing_a_share: float = 0.7  # accounts billed by BIL-A (the rest by BIL-B)
    activity_sigma: float = 0.7  # lognormal spread of per-line activity
    tac_pool_size: int = 40
    cells_per_line: int = 3
    lines_per_cell: int = 25
    roaming_share: float = 0.1  # lines with one trip abroad in the period
    roaming_max_days: int = 4
    visited_plmns: tuple[str, ...] = ("20801", "21407", "22210", "23415", "310260", "20404")


# local hour 0..23 -> relative weight (Europe/Berlin wall clock)
VOICE_DIURNAL = (1, 0.5, 0.3, 0.3, 0.5, 1, 3, 6, 9, 10, 11, 11, 10, 10, 10, 10, 11, 12, 12, 10, 8, 6, 4, 2)
SMS_DIURNAL = (2, 1, 0.5, 0.3, 0.3, 1, 2, 5, 7, 8, 8, 9, 9, 8, 8, 8, 9, 10, 11, 12, 12, 10, 7, 4)
DATA_DIURNAL = (4, 2, 1, 1, 1, 2, 4, 7, 8, 8, 8, 9, 9, 8, 8, 8, 9, 10, 11, 12, 13, 12, 10, 7)


@dataclass(frozen=True)
class TrafficParams:
    """Normal network traffic."""

    records_per_day: dict[str, float] = field(
        default_factory=lambda: {"voice": 1.5, "sms": 0.9, "data": 1.4}
    )
    mo_share: dict[str, float] = field(default_factory=lambda: {"voice": 0.6, "sms": 0.6})
    diurnal: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: {"voice": VOICE_DIURNAL, "sms": SMS_DIURNAL, "data": DATA_DIURNAL}
    )
    voice_duration_s: Spread = Spread(75.0, 1.1, 1, 7200)
    data_session_s: Spread = Spread(900.0, 1.2, 1, 86_400)
    data_bytes: Spread = Spread(3e6, 2.0, 1, 4_000_000_000)
    contacts_per_line: int = 12
    # share of a line's contacts per kind of number
    contact_mix: dict[str, float] = field(
        default_factory=lambda: {
            "onnet": 0.35,
            "national_mobile": 0.25,
            "national": 0.28,
            "national_premium": 0.01,
            "international": 0.105,
            "high_risk": 0.005,
        }
    )
    number_length: int = 12  # digits of generated other-party numbers (longer prefixes extend it)
    number_min_suffix: int = 4  # digits after the longest prefix at least
    min_separation_s: int = 10  # billable records of one msisdn+service+other_party are further apart
    edge_margin_s: int = 10  # nothing starts this close to the period's edges


@dataclass(frozen=True)
class PlantParams:
    """Planted revenue leakage. ``*_rate`` is per eligible billable record; ``*_min`` a floor."""

    unbilled_rate: float = 0.0004
    unbilled_min: int = 15
    phantom_rate: float = 0.0002
    phantom_min: int = 10
    duplicate_rate: float = 0.0001  # per billing system (BIL-A with, BIL-B without source id)
    duplicate_min: int = 8
    zone_misrating_rate: float = 0.0002
    zone_misrating_min: int = 10
    usage_mismatch_rate: float = 0.0003
    usage_mismatch_min: int = 12
    plan_mismatch_rate: float = 0.0002
    plan_mismatch_min: int = 10
    feed_gap_source: str = "MSC-01"
    feed_gap_day: int | None = None  # day offset; None = the day before the price change
    feed_gap_start_hour_utc: int = 0
    feed_gap_hours: int = 4
    inactive_line_share: float = 0.1  # of suspended / terminated lines that still make traffic
    inactive_line_min: int = 2
    suspended_billed_share: float = 0.5  # of those suspended lines, billing still charges
    unknown_msisdns_per_1000: float = 0.5
    unknown_msisdns_min: int = 3
    records_per_inactive_line: tuple[int, int] = (2, 6)
    phantom_service_mix: dict[str, float] = field(
        default_factory=lambda: {"voice": 0.5, "sms": 0.2, "data": 0.3}
    )
    phantom_clearance_s: int = 60  # phantoms keep this far from any record with their key


@dataclass(frozen=True)
class BillingParams:
    """How the two billing systems write events."""

    bil_a_decimals: int = 4
    bil_b_decimals: int = 6
    bil_b_skew_s: tuple[int, int] = (1, 4)  # |clock skew| range, never beyond 5 s
    rating_error_threshold: Decimal = Decimal("0.01")


@dataclass(frozen=True)
class FraudParams:
    """Planted fraud typologies (subjects are ~0.5-1 % of the base)."""

    simbox_share: float = 0.002
    simbox_min: int = 4
    sims_per_box: int = 4
    simbox_calls_per_day: float = 150.0
    simbox_call_s: Spread = Spread(90.0, 1.0, 1, 7200)
    simbox_gap_s: Spread = Spread(20.0, 1.0, 0, 3600)  # idle time on top of simbox_min_gap_s
    simbox_start_jitter_s: int = 900
    simbox_min_gap_s: int = 11
    simbox_hours_local: tuple[int, int] = (7, 23)
    simbox_tac: str = "86091203"
    simbox_plan: str = "PRE_BASIC"
    simbox_activated_days_before: int = 20
    irsf_share: float = 0.0015
    irsf_min: int = 3
    irsf_bursts: tuple[int, int] = (1, 2)
    irsf_calls_per_burst: tuple[int, int] = (15, 40)
    irsf_numbers_per_victim: tuple[int, int] = (1, 3)
    irsf_call_s: Spread = Spread(1500.0, 0.5, 1, 7200)
    irsf_night_hours_local: tuple[int, int] = (0, 5)
    wangiri_share: float = 0.0005
    wangiri_min: int = 2
    wangiri_targets_share: float = 0.05
    wangiri_targets_max: int = 400
    wangiri_window_hours: int = 2
    wangiri_ring_s: tuple[int, int] = (0, 3)
    wangiri_callback_share: float = 0.08
    wangiri_callback_delay_hours: int = 6
    wangiri_callback_min_delay_s: int = 60
    wangiri_callback_s: Spread = Spread(60.0, 1.0, 1, 7200)
    subscription_share: float = 0.0015
    subscription_min: int = 3
    subscription_plan: str = "POST_L"
    subscription_calls_per_day: float = 25.0
    subscription_call_s: Spread = Spread(600.0, 1.0, 1, 7200)
    subscription_premium_share: float = 0.3  # rest international


@dataclass(frozen=True)
class GeneratorParams:
    """Everything ``generate`` needs: size, seed, period and the nested parameter groups."""

    subscribers: int = 2000
    days: int = 7
    seed: int = 42
    start: date = date(2026, 10, 1)
    destinations_csv: Path | None = None
    catalog: CatalogParams = field(default_factory=CatalogParams)
    lines: SubscriberParams = field(default_factory=SubscriberParams)
    traffic: TrafficParams = field(default_factory=TrafficParams)
    plants: PlantParams = field(default_factory=PlantParams)
    billing: BillingParams = field(default_factory=BillingParams)
    fraud: FraudParams = field(default_factory=FraudParams)
    local_time: LocalZone = field(default_factory=LocalZone)
    min_subscribers: int = 200

    def __post_init__(self) -> None:
        if self.subscribers < self.min_subscribers:
            raise ValueError(f"subscribers must be >= {self.min_subscribers}, got {self.subscribers}")
        if self.days < 1:
            raise ValueError(f"days must be >= 1, got {self.days}")
        lo, hi = self.billing.bil_b_skew_s
        if not 0 < lo <= hi < self.traffic.min_separation_s / 2:
            raise ValueError("BIL-B skew must be 1..(min_separation_s/2 - 1) seconds")
