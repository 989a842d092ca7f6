"""A hand-written landing zone standing for files written by other tools — and what must become of it.

Each data line is declared with its expected outcome (accepted, duplicate, or the exact quarantine
reasons); each broken file with its exact rejection reason. Expected silver rows are written out
by hand, typed. Nothing here comes from leakline's generator.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # run time of the first ingestion
LATER = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # run time of the second delivery

NU = ("record_id,source_system,service,direction,msisdn,imsi,imei,cell_id,other_party,start_time,duration_s,"
      "volume_bytes,roaming_plmn")
BU = ("event_id,source_record_id,msisdn,service,other_party,start_time,billed_duration_s,billed_volume_bytes,"
      "plan_id,charge,currency,bill_cycle")
SUB = "msisdn,imsi,account_id,customer_type,payment_type,plan_id,status,activated_at,terminated_at"


@dataclass(frozen=True)
class RowCase:
    id: str
    feed: str
    source_file: str
    line_number: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class FileCase:
    id: str
    feed: str
    source_file: str
    reason: str


@dataclass
class Delivery:
    """One landed data file and the declared outcome of each of its rows."""

    feed: str
    source_file: str
    rows: list[Any] = field(default_factory=list)  # CSV lines (str) or Parquet row dicts
    outcomes: list[str] = field(default_factory=list)  # ok | dup | bad | blank
    cases: list[RowCase] = field(default_factory=list)

    def ok(self, row: Any) -> Delivery:
        return self._add(row, "ok")

    def dup(self, row: Any) -> Delivery:
        return self._add(row, "dup")

    def blank(self) -> Delivery:
        return self._add("", "blank")

    def bad(self, case_id: str, row: Any, *reasons: str) -> Delivery:
        self._add(row, "bad")
        self.cases.append(RowCase(case_id, self.feed, self.source_file, self._line(), reasons))
        return self

    def _add(self, row: Any, outcome: str) -> Delivery:
        self.rows.append(row)
        self.outcomes.append(outcome)
        return self

    def _line(self) -> int:  # CSV: header is line 1; Parquet: 1-based row
        return len(self.rows) + (0 if self.source_file.endswith(".parquet") else 1)

    def counts(self) -> tuple[int, int, int, int]:
        """(rows_read, accepted, quarantined, duplicate) as declared."""
        ok, dup, bad = (self.outcomes.count(o) for o in ("ok", "dup", "bad"))
        return ok + dup + bad, ok, bad, dup


def csv_text(header: str, delivery: Delivery) -> str:
    return "\n".join([header, *delivery.rows]) + "\n"


# ------------------------------------------------------------------------------------------- network
def network_csv() -> Delivery:
    d = Delivery("network_usage", "network_usage/2026-11-01/msc.csv")
    d.ok("n1,msc-a,voice,MO,491701000001,262011000000001,350000000000001,cell-1,4930111111,2026-11-01T13:45:10+01:00,65,0,")
    d.ok("n2,msc-a,sms,MT,491701000002,,,,4930222222,2026-11-01T23:30:00-02:00,0,0,")
    d.ok("n3,pgw-1,data,MO,491701000003,,,cell-9,,2026-11-01T08:00:00.250Z,3600,1048576,26201")
    d.ok("n1,msc-b,voice,MT,491701000004,,,,4930111111,2026-11-01T10:00:00Z,10,0,")
    d.ok('n5,msc-a,voice,MO,491701000005,,,"cell,7",4930333333,2026-11-01T10:00:00Z,1,0,262-01')
    d.ok("n6,msc-a,voice,MO,491701000005,,,,4930333333,2026-11-03T06:00:00Z,1,0,")  # within the tolerance
    d.blank()
    d.dup("n2,msc-a,sms,MT,491701000002,,,,4930222222,2026-11-01T23:30:00-02:00,0,0,")
    t = "2026-11-01T10:00:00Z"
    d.bad("nu_missing_msisdn", f"q1,msc-a,voice,MO,,,,,4930111111,{t},60,0,", "missing_required: msisdn")
    d.bad("nu_missing_record_id", f",msc-a,voice,MO,491701000001,,,,4930111111,{t},60,0,",
          "missing_required: record_id")
    d.bad("nu_missing_duration", f"q2,msc-a,voice,MO,491701000001,,,,4930111111,{t},,0,",
          "missing_required: duration_s")
    d.bad("nu_bad_service", f"q3,msc-a,fax,MO,491701000001,,,,4930111111,{t},60,0,", "bad_enum: service='fax'")
    d.bad("nu_service_case", f"q4,msc-a,Voice,MO,491701000001,,,,4930111111,{t},60,0,",
          "bad_enum: service='Voice'")
    d.bad("nu_msisdn_plus", f"q5,msc-a,voice,MO,+491701000001,,,,4930111111,{t},60,0,",
          "bad_e164: msisdn='+491701000001'")
    d.bad("nu_msisdn_16_digits", f"q6,msc-a,voice,MO,4917010000011234,,,,4930111111,{t},60,0,",
          "bad_e164: msisdn='4917010000011234'")
    d.bad("nu_other_party_00", f"q7,msc-a,voice,MO,491701000001,,,,0049301111111,{t},60,0,",
          "bad_e164: other_party='0049301111111'")
    d.bad("nu_ts_without_offset", "q8,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-01 10:00:00,60,0,",
          "bad_timestamp: start_time='2026-11-01 10:00:00'")
    d.bad("nu_ts_impossible_date", "q9,msc-a,voice,MO,491701000001,,,,4930111111,2026-02-30T10:00:00Z,60,0,",
          "bad_timestamp: start_time='2026-02-30T10:00:00Z'")
    d.bad("nu_ts_future", "q10,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-04T00:00:00Z,60,0,",
          "future_timestamp: start_time='2026-11-04T00:00:00Z' (later than run time + 24h)")
    d.bad("nu_negative_duration", f"q11,msc-a,voice,MO,491701000001,,,,4930111111,{t},-5,0,",
          "negative: duration_s='-5'")
    d.bad("nu_absurd_duration", f"q12,msc-a,voice,MO,491701000001,,,,4930111111,{t},90000,0,",
          "absurd_duration: duration_s='90000' (max 86400)")
    d.bad("nu_fractional_duration", f"q13,msc-a,voice,MO,491701000001,,,,4930111111,{t},12.5,0,",
          "bad_integer: duration_s='12.5'")
    d.bad("nu_absurd_volume", f"q14,pgw-1,data,MO,491701000003,,,,,{t},60,200000000000,",
          "absurd_volume: volume_bytes='200000000000' (max 100000000000)")
    d.bad("nu_data_mt", f"q15,pgw-1,data,MT,491701000003,,,,,{t},60,100,",
          "inconsistent: direction='MT' for data (data is always MO)")
    d.bad("nu_data_other_party", f"q16,pgw-1,data,MO,491701000003,,,,4930111111,{t},60,100,",
          "inconsistent: other_party='4930111111' for data (must be empty)")
    d.bad("nu_voice_without_other_party", f"q17,msc-a,voice,MO,491701000001,,,,,{t},60,0,",
          "missing_required: other_party")
    d.bad("nu_sms_duration", f"q18,msc-a,sms,MO,491701000001,,,,4930111111,{t},5,0,",
          "inconsistent: duration_s='5' for sms (must be 0)")
    d.bad("nu_voice_volume", f"q19,msc-a,voice,MO,491701000001,,,,4930111111,{t},60,10,",
          "inconsistent: volume_bytes='10' for voice/sms (must be 0)")
    d.bad("nu_bad_plmn", f"q20,msc-a,voice,MO,491701000001,,,,4930111111,{t},60,0,2620",
          "bad_plmn: roaming_plmn='2620'")
    d.bad("nu_field_count", "q21,msc-a,voice,MO", "bad_field_count: 4 fields, header has 13")
    d.bad("nu_every_reason", "q22,,fax,XX,abc,,,,,not-a-time,-1,x,2620",
          "missing_required: source_system", "bad_enum: service='fax'", "bad_enum: direction='XX'",
          "bad_e164: msisdn='abc'", "bad_timestamp: start_time='not-a-time'", "negative: duration_s='-1'",
          "bad_integer: volume_bytes='x'", "bad_plmn: roaming_plmn='2620'")
    return d


def network_late_csv() -> Delivery:
    """A second file of the same run: n3/pgw-1 repeats a key of msc.csv (which sorts first)."""
    d = Delivery("network_usage", "network_usage/2026-11-02/late.csv")
    d.dup("n3,pgw-1,data,MO,491701000003,,,,,2026-11-01T08:00:00Z,3600,1048576,")
    d.ok("n7,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-02T07:00:00Z,30,0,")
    return d


def network_parquet_ns() -> Delivery:
    """Typed Parquet as pandas writes it: int64 msisdn, UTC timestamps in nanoseconds, an extra column."""
    d = Delivery("network_usage", "network_usage/2026-11-01/pgw.parquet")
    base = {"source_system": "pgw-1", "service": "data", "direction": "MO", "msisdn": 491701000003,
            "other_party": None, "duration_s": 1200, "volume_bytes": 5000000, "apn": "internet"}
    d.ok({**base, "record_id": "p1", "start_time": 1793523600123456789})  # 2026-11-01T09:00:00.123456789Z
    d.bad("pq_negative_volume", {**base, "record_id": "p2", "start_time": 1793527200000000000, "volume_bytes": -1},
          "negative: volume_bytes='-1'")
    d.dup({**base, "record_id": "p1", "start_time": 1793523600123456789})
    return d


def network_parquet_cet() -> Delivery:
    """Typed Parquet with a +01:00 zone in milliseconds and float durations.

    Instants are given as epoch numbers: pyarrow ignores the tzinfo of Python datetimes once
    pyspark.pandas has set PYARROW_IGNORE_TIMEZONE, which would make the file say something else.
    """
    d = Delivery("network_usage", "network_usage/2026-11-01/msc-b.parquet")
    base = {"source_system": "msc-b", "service": "voice", "direction": "MO", "msisdn": "491701000006",
            "other_party": "4930111111", "start_time": 1793534400000, "volume_bytes": 0}  # 13:00+01:00 in ms
    d.ok({**base, "record_id": "m1", "duration_s": 30.0})
    d.bad("pq_fractional_duration", {**base, "record_id": "m2", "duration_s": 12.5}, "bad_integer: duration_s='12.5'")
    return d


NU_NS_SCHEMA = pa.schema([
    ("record_id", pa.string()), ("source_system", pa.string()), ("service", pa.string()),
    ("direction", pa.string()), ("msisdn", pa.int64()), ("other_party", pa.string()),
    ("start_time", pa.timestamp("ns", tz="UTC")), ("duration_s", pa.int64()), ("volume_bytes", pa.int64()),
    ("apn", pa.string()),
])
NU_CET_SCHEMA = pa.schema([
    ("record_id", pa.string()), ("source_system", pa.string()), ("service", pa.string()),
    ("direction", pa.string()), ("msisdn", pa.string()), ("other_party", pa.string()),
    ("start_time", pa.timestamp("ms", tz="+01:00")), ("duration_s", pa.float64()), ("volume_bytes", pa.int32()),
])


# ------------------------------------------------------------------------------------------- billing
def billing_csv() -> Delivery:
    d = Delivery("billed_usage", "billed_usage/2026-11/billing.csv")
    d.ok("e1,n1,491701000001,voice,4930111111,2026-11-01T13:45:10+01:00,120,0,P-BASIC,0.240000,EUR,2026-11")
    d.ok("e2,,491701000003,data,,2026-11-01T08:00:00Z,0,1048576,P-BASIC,1.5,EUR,2026-11")
    d.ok("e3,n2,491701000002,sms,4930222222,2026-11-02T01:30:00Z,0,0,P-BASIC,0.10000000,EUR,2026-11")
    d.dup("e1,n1,491701000001,voice,4930111111,2026-11-01T12:45:10Z,120,0,P-BASIC,0.240000,EUR,2026-11")
    row = "{id},n1,491701000001,voice,4930111111,2026-11-01T12:45:10Z,{dur},0,{plan},{charge},{cur},{cycle}"

    def line(i: str, *, dur: str = "60", plan: str = "P-BASIC", charge: str = "0.12", cur: str = "EUR",
             cycle: str = "2026-11") -> str:
        return row.format(id=i, dur=dur, plan=plan, charge=charge, cur=cur, cycle=cycle)

    d.bad("bu_too_many_decimals", line("b1", charge="0.1234567"), "too_many_decimals: charge='0.1234567' (max 6)")
    d.bad("bu_negative_charge", line("b2", charge="-0.50"), "negative: charge='-0.50'")
    d.bad("bu_comma_decimal", line("b3", charge='"0,50"'), "bad_decimal: charge='0,50'")
    d.bad("bu_charge_out_of_range", line("b4", charge="1234567890123.5"),
          "bad_decimal: charge='1234567890123.5' (out of range)")
    d.bad("bu_bad_bill_cycle", line("b5", cycle="2026-13"), "bad_bill_cycle: bill_cycle='2026-13'")
    d.bad("bu_bad_currency", line("b6", cur="eur"), "bad_currency: currency='eur'")
    d.bad("bu_missing_plan", line("b7", plan=""), "missing_required: plan_id")
    d.bad("bu_negative_duration", line("b8", dur="-1"), "negative: billed_duration_s='-1'")
    return d


# ------------------------------------------------------------------------------------------- snapshots
def subscribers_old() -> Delivery:
    d = Delivery("subscribers", "subscribers/2026-10-31/subscribers.csv")
    d.ok("491701000001,262011000000001,A-1,consumer,prepaid,P-BASIC,active,2025-01-01T00:00:00Z,")
    d.ok("491709999999,,A-9,consumer,prepaid,P-BASIC,active,2025-01-01T00:00:00Z,")  # gone in the newer one
    d.ok("491701000002,,A-2,enterprise,postpaid,P-BIZ,active,2025-01-01T00:00:00Z,")
    return d


SUB_NEW_HEADER = "account_id,msisdn,customer_type,payment_type,plan_id,status,activated_at,terminated_at,segment"


def subscribers_new() -> Delivery:
    """Newest delivery: other column order, no imsi column (optional), an extra column."""
    d = Delivery("subscribers", "subscribers/2026-11-01/subscribers.csv")
    d.ok("A-1,491701000001,consumer,prepaid,P-BASIC,active,2025-01-01T10:00:00+02:00,,gold")
    d.ok("A-2,491701000002,enterprise,postpaid,P-BIZ,terminated,2024-06-01T00:00:00Z,2026-10-15T12:00:00Z,silver")
    d.bad("sub_bad_customer_type", "A-3,491701000003,business,prepaid,P-BASIC,active,2025-01-01T00:00:00Z,,",
          "bad_enum: customer_type='business'")
    d.dup("A-1b,491701000001,consumer,prepaid,P-BASIC,active,2025-02-01T00:00:00Z,,")
    d.bad("sub_future_activation", "A-4,491701000004,consumer,prepaid,P-BASIC,active,2027-01-01T00:00:00Z,,",
          "future_timestamp: activated_at='2027-01-01T00:00:00Z' (later than run time + 24h)")
    return d


def destinations_gz() -> Delivery:
    d = Delivery("destinations", "destinations/destinations.csv.gz")
    d.ok("49,national,Germany,normal")
    d.ok('4930,national,"Berlin, fixed",normal')
    d.ok("882,satellite,,high")
    d.bad("dest_prefix_plus", "+44,international,UK,normal", "bad_e164: prefix='+44'")
    d.bad("dest_bad_risk", "44,international,UK,medium", "bad_enum: risk='medium'")
    return d


def tariffs_parquet() -> Delivery:
    d = Delivery("tariffs", "tariffs/tariffs.parquet")

    def t(*values: Any) -> dict[str, Any]:
        plan, service, zone, price, unit, inc, incl, start, end = (*values, None)[:9]
        return {"plan_id": plan, "service": service, "zone": zone, "price_per_unit": Decimal(price), "unit": unit,
                "increment": inc, "included_units": Decimal(incl), "effective_from": start, "effective_to": end}

    jan = date(2026, 1, 1)
    d.ok(t("P-BASIC", "voice", "national", "0.0200", "minute", 60, "100", jan))
    d.ok(t("P-BASIC", "sms", "national", "0.0900", "message", 1, "0", jan, date(2027, 1, 1)))
    d.ok(t("P-BASIC", "data", "home", "0.0050", "megabyte", 1, "1024.5", jan))
    d.bad("tar_zero_increment", t("P-BIZ", "voice", "national", "0.0100", "minute", 0, "0", jan),
          "not_positive: increment='0'")
    d.bad("tar_end_before_start", t("P-BIZ", "voice", "international", "0.5", "minute", 60, "0", date(2026, 3, 1), jan),
          "bad_range: effective_to='2026-01-01' (must be after effective_from)")
    return d


TARIFF_SCHEMA = pa.schema([
    ("plan_id", pa.string()), ("service", pa.string()), ("zone", pa.string()),
    ("price_per_unit", pa.decimal128(12, 4)), ("unit", pa.string()), ("increment", pa.int64()),
    ("included_units", pa.decimal128(12, 4)), ("effective_from", pa.date32()), ("effective_to", pa.date32()),
])


# ------------------------------------------------------------------------------------------- broken files
def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as fh:
        fh.write(data)
    return buf.getvalue()


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


NU_ROW = "x1,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-01T10:00:00Z,60,0,"
LATIN1 = (NU + "\n" + NU_ROW.replace(",,,,", ",,,Mühle,") + "\n").encode("latin-1")
LATIN1_AT = LATIN1.index("ü".encode("latin-1"))
GZ = _gzip((NU + "\n" + NU_ROW + "\n").encode() * 50)
BROKEN: list[tuple[FileCase, bytes]] = [
    (FileCase("file_zero_bytes", "network_usage", "network_usage/bad/empty.csv", "empty_file: 0 bytes"), b""),
    (FileCase("file_header_only", "network_usage", "network_usage/bad/header_only.csv", "empty_file: header only"),
     (NU + "\r\n\r\n").encode()),
    (FileCase("file_missing_column", "network_usage", "network_usage/bad/no_msisdn.csv", "missing_column: msisdn"),
     (NU.replace("msisdn,", "") + "\nx1,msc-a,voice,MO,,,,4930111111,2026-11-01T10:00:00Z,60,0,\n").encode()),
    (FileCase("file_latin1", "network_usage", "network_usage/bad/latin1.csv",
              f"bad_encoding: not UTF-8 (invalid byte 0xfc at byte {LATIN1_AT})"), LATIN1),
    (FileCase("file_not_gzip", "network_usage", "network_usage/bad/not_gzip.csv.gz",
              "corrupt_file: unreadable gzip stream"), (NU + "\n" + NU_ROW + "\n").encode()),
    (FileCase("file_truncated_gzip", "network_usage", "network_usage/bad/truncated.csv.gz",
              "corrupt_file: unreadable gzip stream"), GZ[: len(GZ) // 2]),
    (FileCase("file_empty_gzip", "network_usage", "network_usage/bad/nothing.csv.gz",
              "empty_file: no header and no rows"), _gzip(b"")),
    (FileCase("file_garbage_parquet", "network_usage", "network_usage/bad/garbage.parquet",
              "corrupt_file: unreadable Parquet file"), b"PAR1 this is not really parquet PAR1"),
    (FileCase("file_json", "network_usage", "network_usage/bad/records.json",
              "unsupported_extension: .json (expected .csv, .csv.gz or .parquet)"), b'{"record_id": "x"}\n'),
    (FileCase("file_naive_timestamps", "network_usage", "network_usage/bad/naive.parquet",
              "bad_column_type: start_time is timestamp[us] without time zone (contract v1 needs an offset)"),
     _parquet(pa.table({"record_id": ["x"], "source_system": ["s"], "service": ["voice"], "direction": ["MO"],
                        "msisdn": ["491701000001"], "other_party": ["4930111111"],
                        "start_time": pa.array([datetime(2026, 11, 1, 10)], pa.timestamp("us")),
                        "duration_s": [60], "volume_bytes": [0]}))),
    (FileCase("file_zero_rows", "network_usage", "network_usage/bad/zero_rows.parquet", "empty_file: no rows"),
     _parquet(NU_NS_SCHEMA.empty_table())),
    (FileCase("file_duplicate_column", "network_usage", "network_usage/bad/dup_header.csv",
              "bad_header: duplicate column 'msisdn'"), (NU + ",msisdn\n" + NU_ROW + ",4917\n").encode()),
    (FileCase("file_blank_first_line", "subscribers", "subscribers/bad/blank_first_line.csv",
              "bad_header: line 1 is empty"),
     ("\n" + SUB + "\n491701000001,,A-1,consumer,prepaid,P,active,2025-01-01T00:00:00Z,\n").encode()),
    (FileCase("file_float_money", "billed_usage", "billed_usage/bad/float_charge.parquet",
              "bad_column_type: charge is double (not usable as decimal)"),
     _parquet(pa.table({name: ["x"] for name in BU.split(",") if name != "charge"} | {"charge": [0.1]}))),
    (FileCase("file_txt", "destinations", "destinations/notes.txt",
              "unsupported_extension: .txt (expected .csv, .csv.gz or .parquet)"), b"prefix,zone\n"),
    (FileCase("file_colon_in_name", "tariffs", "tariffs/bad/2026-11-01T10:00.csv",
              "unsupported_name: ':' in the path (Spark cannot read such files)"), b"plan_id\nx\n"),
]


# ------------------------------------------------------------------------------------------- the landing
def deliveries() -> list[tuple[Delivery, str | pa.Schema]]:
    """Every data file of the first landing with its header (CSV) or Arrow schema (Parquet)."""
    return [
        (network_csv(), NU), (network_late_csv(), NU), (network_parquet_ns(), NU_NS_SCHEMA),
        (network_parquet_cet(), NU_CET_SCHEMA), (billing_csv(), BU), (subscribers_old(), SUB),
        (subscribers_new(), SUB_NEW_HEADER), (destinations_gz(), "prefix,zone,description,risk"),
        (tariffs_parquet(), TARIFF_SCHEMA),
    ]


COPY = "network_usage/copy/msc.csv"  # byte-identical to network_usage/2026-11-01/msc.csv


def write_delivery(landing: Path, delivery: Delivery, layout: str | pa.Schema) -> bytes:
    path = landing / delivery.source_file
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(layout, pa.Schema):
        data = _parquet(pa.Table.from_pylist(delivery.rows, schema=layout))
    else:
        data = csv_text(layout, delivery).encode()
        if delivery.source_file.endswith(".gz"):
            data = _gzip(data)
    path.write_bytes(data)
    return data


def write_landing(landing: Path) -> dict[str, bytes]:
    """Write the first landing; returns every file's bytes by source_file."""
    written = {}
    for delivery, layout in deliveries():
        written[delivery.source_file] = write_delivery(landing, delivery, layout)
    for case, data in BROKEN:
        (landing / case.source_file).parent.mkdir(parents=True, exist_ok=True)
        (landing / case.source_file).write_bytes(data)
        written[case.source_file] = data
    (landing / COPY).parent.mkdir(parents=True, exist_ok=True)
    (landing / COPY).write_bytes(written["network_usage/2026-11-01/msc.csv"])
    written[COPY] = written["network_usage/2026-11-01/msc.csv"]
    (landing / "network_usage" / "_SUCCESS").write_bytes(b"")  # ignored: leading underscore
    (landing / "network_usage" / ".partial.csv").write_bytes(b"x")  # ignored: hidden
    (landing / "unknown_feed").mkdir()
    (landing / "unknown_feed" / "x.csv").write_bytes(b"a\n1\n")  # ignored: not a feed
    return written


def row_cases() -> list[RowCase]:
    return [case for delivery, _ in deliveries() for case in delivery.cases]


# ------------------------------------------------------------------------------------------- second delivery
def second_delivery() -> list[tuple[Delivery, str]]:
    net = Delivery("network_usage", "network_usage/2026-11-03/msc.csv")
    net.dup("n1,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-01T12:45:10Z,65,0,")  # key already in silver
    net.ok("n8,msc-a,voice,MO,491701000001,,,,4930111111,2026-11-02T09:00:00Z,30,0,")
    bill = Delivery("billed_usage", "billed_usage/2026-11/billing-2.csv")
    bill.dup("e2,,491701000003,data,,2026-11-01T08:00:00Z,0,1048576,P-BASIC,1.5,EUR,2026-11")
    bill.ok("e9,n8,491701000001,voice,4930111111,2026-11-02T09:00:00Z,60,0,P-BASIC,0.12,EUR,2026-11")
    subs = Delivery("subscribers", "subscribers/2026-11-02/subscribers.csv")
    subs.ok("491701000001,,A-1,consumer,postpaid,P-BIZ,active,2025-01-01T00:00:00Z,")
    late = Delivery("destinations", "destinations/2026-01-01.csv")  # sorts before destinations.csv.gz
    late.ok("1,nanp,,normal")
    return [(net, NU), (bill, BU), (subs, SUB), (late, "prefix,zone,description,risk")]


# ------------------------------------------------------------------------------------------- expected silver
def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


NETWORK_ROWS = [  # record_id, source_system, service, direction, msisdn, imsi, imei, cell_id, other_party,
    # start_time, duration_s, volume_bytes, roaming_plmn, usage_date, source_file, line_number
    ("n1", "msc-a", "voice", "MO", "491701000001", "262011000000001", "350000000000001", "cell-1", "4930111111",
     utc(2026, 11, 1, 12, 45, 10), 65, 0, None, date(2026, 11, 1), "network_usage/2026-11-01/msc.csv", 2),
    ("n2", "msc-a", "sms", "MT", "491701000002", None, None, None, "4930222222",
     utc(2026, 11, 2, 1, 30), 0, 0, None, date(2026, 11, 2), "network_usage/2026-11-01/msc.csv", 3),
    ("n3", "pgw-1", "data", "MO", "491701000003", None, None, "cell-9", None,
     utc(2026, 11, 1, 8, 0, 0, 250000), 3600, 1048576, "26201", date(2026, 11, 1),
     "network_usage/2026-11-01/msc.csv", 4),
    ("n1", "msc-b", "voice", "MT", "491701000004", None, None, None, "4930111111",
     utc(2026, 11, 1, 10), 10, 0, None, date(2026, 11, 1), "network_usage/2026-11-01/msc.csv", 5),
    ("n5", "msc-a", "voice", "MO", "491701000005", None, None, "cell,7", "4930333333",
     utc(2026, 11, 1, 10), 1, 0, "262-01", date(2026, 11, 1), "network_usage/2026-11-01/msc.csv", 6),
    ("n6", "msc-a", "voice", "MO", "491701000005", None, None, None, "4930333333",
     utc(2026, 11, 3, 6), 1, 0, None, date(2026, 11, 3), "network_usage/2026-11-01/msc.csv", 7),
    ("m1", "msc-b", "voice", "MO", "491701000006", None, None, None, "4930111111",
     utc(2026, 11, 1, 12), 30, 0, None, date(2026, 11, 1), "network_usage/2026-11-01/msc-b.parquet", 1),
    ("p1", "pgw-1", "data", "MO", "491701000003", None, None, None, None,
     utc(2026, 11, 1, 9, 0, 0, 123456), 1200, 5000000, None, date(2026, 11, 1),
     "network_usage/2026-11-01/pgw.parquet", 1),
    ("n7", "msc-a", "voice", "MO", "491701000001", None, None, None, "4930111111",
     utc(2026, 11, 2, 7), 30, 0, None, date(2026, 11, 2), "network_usage/2026-11-02/late.csv", 3),
]
NETWORK_ROWS_LATER = [
    ("n8", "msc-a", "voice", "MO", "491701000001", None, None, None, "4930111111",
     utc(2026, 11, 2, 9), 30, 0, None, date(2026, 11, 2), "network_usage/2026-11-03/msc.csv", 3),
]

BILLED_ROWS = [  # event_id, source_record_id, msisdn, service, other_party, start_time, billed_duration_s,
    # billed_volume_bytes, plan_id, charge, currency, bill_cycle, usage_date, source_file, line_number
    ("e1", "n1", "491701000001", "voice", "4930111111", utc(2026, 11, 1, 12, 45, 10), 120, 0, "P-BASIC",
     Decimal("0.240000"), "EUR", "2026-11", date(2026, 11, 1), "billed_usage/2026-11/billing.csv", 2),
    ("e2", None, "491701000003", "data", None, utc(2026, 11, 1, 8), 0, 1048576, "P-BASIC",
     Decimal("1.500000"), "EUR", "2026-11", date(2026, 11, 1), "billed_usage/2026-11/billing.csv", 3),
    ("e3", "n2", "491701000002", "sms", "4930222222", utc(2026, 11, 2, 1, 30), 0, 0, "P-BASIC",
     Decimal("0.100000"), "EUR", "2026-11", date(2026, 11, 2), "billed_usage/2026-11/billing.csv", 4),
]
BILLED_ROWS_LATER = [
    ("e9", "n8", "491701000001", "voice", "4930111111", utc(2026, 11, 2, 9), 60, 0, "P-BASIC",
     Decimal("0.120000"), "EUR", "2026-11", date(2026, 11, 2), "billed_usage/2026-11/billing-2.csv", 3),
]

SUBSCRIBER_ROWS = [  # msisdn, imsi, account_id, customer_type, payment_type, plan_id, status, activated_at,
    # terminated_at, source_file, line_number
    ("491701000001", None, "A-1", "consumer", "prepaid", "P-BASIC", "active", utc(2025, 1, 1, 8), None,
     "subscribers/2026-11-01/subscribers.csv", 2),
    ("491701000002", None, "A-2", "enterprise", "postpaid", "P-BIZ", "terminated", utc(2024, 6, 1),
     utc(2026, 10, 15, 12), "subscribers/2026-11-01/subscribers.csv", 3),
]
SUBSCRIBER_ROWS_LATER = [
    ("491701000001", None, "A-1", "consumer", "postpaid", "P-BIZ", "active", utc(2025, 1, 1), None,
     "subscribers/2026-11-02/subscribers.csv", 2),
]

DESTINATION_ROWS = [  # prefix, zone, description, risk, source_file, line_number
    ("49", "national", "Germany", "normal", "destinations/destinations.csv.gz", 2),
    ("4930", "national", "Berlin, fixed", "normal", "destinations/destinations.csv.gz", 3),
    ("882", "satellite", None, "high", "destinations/destinations.csv.gz", 4),
]

TARIFF_ROWS = [  # plan_id, service, zone, price_per_unit, unit, increment, included_units, effective_from,
    # effective_to, source_file, line_number
    ("P-BASIC", "voice", "national", Decimal("0.020000"), "minute", 60, Decimal("100.000000"), date(2026, 1, 1),
     None, "tariffs/tariffs.parquet", 1),
    ("P-BASIC", "sms", "national", Decimal("0.090000"), "message", 1, Decimal("0.000000"), date(2026, 1, 1),
     date(2027, 1, 1), "tariffs/tariffs.parquet", 2),
    ("P-BASIC", "data", "home", Decimal("0.005000"), "megabyte", 1, Decimal("1024.500000"), date(2026, 1, 1),
     None, "tariffs/tariffs.parquet", 3),
]
