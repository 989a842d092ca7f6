"""Row rules as Spark ``Column`` functions: parse text into types, and build reason strings.

Every function here is pure and takes/returns ``Column`` s. Parsers return NULL for text that does
not follow contract v1 exactly (the caller turns that into a reason); they never raise, whether or
not ANSI mode is on (``try_cast``). Reasons are ``"<code>: <detail>"`` strings, e.g.
``"bad_enum: service='fax'"``; the codes are listed in docs/data-contract.md.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.common.tables import MONEY

# ISO-8601 with seconds, optional fraction (up to nanoseconds) and a mandatory offset or Z.
TIMESTAMP_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
INTEGER_RE = r"^-?[0-9]+$"
DECIMAL_RE = r"^-?[0-9]+(\.[0-9]+)?$"
# How much of an offending value a reason quotes.
QUOTE_CHARS = 64


def decimal_places_re(max_decimals: int) -> str:
    """A plain decimal with at most ``max_decimals`` significant decimals (trailing zeros are free)."""
    return rf"^-?[0-9]+(\.[0-9]{{0,{max_decimals}}}0*)?$"


def e164_re(min_digits: int, max_digits: int) -> str:
    """E.164 without '+': digits only, no leading zero (country codes never start with 0)."""
    return rf"^[1-9][0-9]{{{max(min_digits - 1, 0)},{max_digits - 1}}}$"


def prefix_re(max_digits: int) -> str:
    """A number-plan prefix: 1..max digits, no leading zero."""
    return rf"^[1-9][0-9]{{0,{max_digits - 1}}}$"


# --------------------------------------------------------------------------- parsers
def parse_timestamp(text: Column) -> Column:
    """ISO-8601 text with an offset -> TIMESTAMP (an instant; shown in UTC). NULL if not exactly that."""
    return F.when(text.rlike(TIMESTAMP_RE), text.try_cast("timestamp"))


def parse_long(text: Column) -> Column:
    """Whole-number text -> LONG; NULL for anything else or out of range."""
    return F.when(text.rlike(INTEGER_RE), text.try_cast("long"))


def parse_money(text: Column) -> Column:
    """Plain decimal text ('.' separator) -> DECIMAL(18,6); NULL if malformed or out of range."""
    return F.when(text.rlike(DECIMAL_RE), text.try_cast(MONEY))


def parse_date(text: Column) -> Column:
    """YYYY-MM-DD -> DATE; NULL for any other layout or an impossible date."""
    return F.when(text.rlike(DATE_RE), text.try_cast("date"))


def utc_date(ts: Column) -> Column:
    """The UTC calendar date of an instant, whatever the session time zone."""
    return F.date_from_unix_date(F.floor(F.unix_seconds(ts) / F.lit(86400)).cast("int"))


def is_negative_decimal(text: Column) -> Column:
    """Well-formed decimal text below zero ('-0.00' is not negative)."""
    return text.rlike(DECIMAL_RE) & text.startswith("-") & text.rlike("[1-9]")


# --------------------------------------------------------------------------- reasons
def quoted(name: str, text: Column) -> Column:
    """``name='value'`` with the value cut to QUOTE_CHARS characters."""
    return F.concat(F.lit(f"{name}='"), F.substring(text, 1, QUOTE_CHARS), F.lit("'"))


def reason(condition: Column, code: str, name: str, text: Column | None = None, note: str = "") -> Column:
    """``"<code>: <name>='<value>'<note>"`` where ``condition`` holds, else NULL.

    Without ``text`` the detail is just the column name (``"missing_required: msisdn"``).
    """
    detail = F.lit(name) if text is None else quoted(name, text)
    return F.when(condition, F.concat(F.lit(f"{code}: "), detail, F.lit(note)))


def reasons_array(field_error: Column, reasons: list[Column]) -> Column:
    """All non-NULL reasons in order; a field-count error alone (the other values are misaligned)."""
    return F.when(field_error.isNotNull(), F.array_compact(F.array(field_error))).otherwise(
        F.array_compact(F.array(*reasons)) if reasons else F.array().cast("array<string>")
    )
