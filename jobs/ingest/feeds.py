"""Input data contract v1 as data: the five feeds, their columns, kinds, keys and target tables.

Every rule of ingestion is driven by these declarations (docs/data-contract.md is their prose form):
a column's *kind* picks its parser and row checks, ``required`` makes an empty value a
``missing_required`` reason, ``in_header`` says whether a file may leave the column out entirely.
Silver column names equal contract column names.
"""

from __future__ import annotations

from dataclasses import dataclass

# Column kinds: how a text value is checked and typed.
TEXT = "text"  # any non-empty text
ENUM = "enum"  # one of ``values`` (case-sensitive)
E164 = "e164"  # E.164 digits without '+' (config: e164_min_digits..e164_max_digits)
PREFIX = "prefix"  # 1..e164_max_digits digits, no leading zero
TIMESTAMP = "timestamp"  # ISO-8601 with an offset or Z -> UTC timestamp
INTEGER = "integer"  # whole number -> long
DECIMAL = "decimal"  # plain decimal with '.', <= money_max_decimals significant decimals
DATE = "date"  # YYYY-MM-DD
PATTERN = "pattern"  # text matching ``pattern``; failure reason code ``code``

SERVICES = ("voice", "sms", "data")
PLMN_PATTERN = r"^[0-9]{3}-?[0-9]{2,3}$"


@dataclass(frozen=True)
class Col:
    """One contract column."""

    name: str
    kind: str = TEXT
    required: bool = True  # an empty value is quarantined (missing_required)
    in_header: bool = True  # the column must be in every file's header / Parquet schema
    values: tuple[str, ...] = ()  # ENUM
    pattern: str = ""  # PATTERN
    code: str = ""  # PATTERN: reason code, e.g. bad_currency
    min_value: int = 0  # INTEGER / DECIMAL: 0 -> 'negative' below 0; 1 -> 'not_positive' below 1
    max_key: str = ""  # INTEGER: config key under ingest.* with the largest sane value
    max_code: str = ""  # reason code when above it, e.g. absurd_duration
    future_check: bool = False  # TIMESTAMP: quarantine values after now + future_tolerance_hours


def optional(name: str, kind: str = TEXT, **kw: object) -> Col:
    """A column that may be absent from a file, and empty in a row."""
    return Col(name, kind, required=False, in_header=False, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Feed:
    """One landing feed: ``<landing>/<name>/**`` -> ``bronze.<name>`` -> ``silver_table``."""

    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    snapshot: bool  # True: each delivery is a full snapshot replacing silver; False: events appended
    silver_table: str
    description: str = ""

    @property
    def bronze_table(self) -> str:
        return f"bronze.{self.name}"

    @property
    def header_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.in_header]

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


NETWORK_USAGE = Feed(
    "network_usage",
    (
        Col("record_id"),
        Col("source_system"),
        Col("service", ENUM, values=SERVICES),
        Col("direction", ENUM, values=("MO", "MT")),
        Col("msisdn", E164),
        optional("imsi"),
        optional("imei"),
        optional("cell_id"),
        Col("other_party", E164, required=False),  # required for voice/sms, empty for data
        Col("start_time", TIMESTAMP, future_check=True),
        Col("duration_s", INTEGER, max_key="max_duration_s", max_code="absurd_duration"),
        Col("volume_bytes", INTEGER, max_key="max_volume_bytes", max_code="absurd_volume"),
        optional("roaming_plmn", PATTERN, pattern=PLMN_PATTERN, code="bad_plmn"),
    ),
    key=("source_system", "record_id"),
    snapshot=False,
    silver_table="silver.network_usage",
    description="usage records from the network (switches, SMSC, packet core)",
)

BILLED_USAGE = Feed(
    "billed_usage",
    (
        Col("event_id"),
        optional("source_record_id"),
        Col("msisdn", E164),
        Col("service", ENUM, values=SERVICES),
        Col("other_party", E164, required=False),  # required for voice/sms, empty for data
        Col("start_time", TIMESTAMP, future_check=True),
        Col("billed_duration_s", INTEGER, max_key="max_duration_s", max_code="absurd_duration"),
        Col("billed_volume_bytes", INTEGER, max_key="max_volume_bytes", max_code="absurd_volume"),
        Col("plan_id"),
        Col("charge", DECIMAL),
        Col("currency", PATTERN, pattern=r"^[A-Z]{3}$", code="bad_currency"),
        Col("bill_cycle", PATTERN, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", code="bad_bill_cycle"),
    ),
    key=("event_id",),
    snapshot=False,
    silver_table="silver.billed_usage",
    description="rated events from the billing system",
)

SUBSCRIBERS = Feed(
    "subscribers",
    (
        Col("msisdn", E164),
        optional("imsi"),
        Col("account_id"),
        Col("customer_type", ENUM, values=("consumer", "enterprise")),
        Col("payment_type", ENUM, values=("prepaid", "postpaid")),
        Col("plan_id"),
        Col("status", ENUM, values=("active", "suspended", "terminated")),
        Col("activated_at", TIMESTAMP, future_check=True),
        optional("terminated_at", TIMESTAMP),
    ),
    key=("msisdn",),
    snapshot=True,
    silver_table="silver.subscribers",
    description="full snapshot of the subscriber base",
)

DESTINATIONS = Feed(
    "destinations",
    (
        Col("prefix", PREFIX),
        Col("zone"),
        optional("description"),
        Col("risk", ENUM, values=("normal", "high")),
    ),
    key=("prefix",),
    snapshot=True,
    silver_table="silver.destinations",
    description="full snapshot of the number plan",
)

TARIFFS = Feed(
    "tariffs",
    (
        Col("plan_id"),
        Col("service", ENUM, values=SERVICES),
        Col("zone"),
        Col("price_per_unit", DECIMAL),
        Col("unit", ENUM, values=("minute", "message", "megabyte")),
        Col("increment", INTEGER, min_value=1),
        Col("included_units", DECIMAL),
        Col("effective_from", DATE),
        optional("effective_to", DATE),
    ),
    key=("plan_id", "service", "zone", "effective_from"),
    snapshot=True,
    silver_table="silver.tariffs",
    description="full snapshot of the effective-dated price list",
)

FEEDS: dict[str, Feed] = {f.name: f for f in (SUBSCRIBERS, DESTINATIONS, TARIFFS, NETWORK_USAGE, BILLED_USAGE)}


def feed(name: str) -> Feed:
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; feeds are {', '.join(FEEDS)}") from None
