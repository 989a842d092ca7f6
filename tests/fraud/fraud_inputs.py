"""Inline builders of the fraud stage's inputs (rows as dicts with the catalogue columns)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

DAY = date(2026, 10, 5)
_ids = itertools.count()


def ts(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def usage(msisdn: str, other: str | None, *, direction: str = "MO", service: str = "voice",
          at: datetime | None = None, duration: int = 60, volume: int = 0, cell: str = "C1",
          imei: str = "3520990000000001") -> dict:
    at = at or ts(DAY, 12)
    return {
        "record_id": f"r{next(_ids)}", "source_system": "MSC-01", "service": service, "direction": direction,
        "msisdn": msisdn, "imsi": None, "imei": imei, "cell_id": cell, "other_party": other,
        "start_time": at, "duration_s": duration, "volume_bytes": volume, "roaming_plmn": None,
        "usage_date": at.date(), "source_file": "f.csv", "line_number": 1, "ingest_run_id": "t",
    }


def calls(msisdn: str, numbers: list[str], start: datetime, *, gap_s: int = 120, **kw) -> list[dict]:
    """One call to each of ``numbers``, ``gap_s`` apart."""
    return [usage(msisdn, n, at=start + timedelta(seconds=i * gap_s), **kw) for i, n in enumerate(numbers)]


def subscriber(msisdn: str, *, plan: str = "POST_M", payment: str = "postpaid",
               activated: datetime | None = None) -> dict:
    return {
        "msisdn": msisdn, "imsi": None, "account_id": f"A{msisdn}", "customer_type": "consumer",
        "payment_type": payment, "plan_id": plan, "status": "active",
        "activated_at": activated or datetime(2020, 1, 1, tzinfo=UTC), "terminated_at": None,
        "source_file": "s.csv", "line_number": 1, "ingest_run_id": "t",
    }


DEST_ROWS = [
    ("49", "national", "normal"), ("4915", "national_mobile", "normal"),
    ("49900", "national_premium", "high"), ("44", "intl_zone1", "normal"),
    ("882", "satellite", "high"), ("88216", "satellite", "high"),
]


def feature_row(subject: str, subject_type: str = "subscriber", day: date = DAY, **values) -> dict:
    """A silver.fraud_features row: zeros everywhere unless given (a quiet, old postpaid line)."""
    from jobs.common.tables import FRAUD_FEATURES

    row: dict = {}
    for f in FRAUD_FEATURES:
        kind = f.dataType.typeName()
        row[f.name] = {"string": None, "boolean": False, "date": day, "decimal": Decimal(0),
                       "double": 0.0, "timestamp": None}.get(kind, 0)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    row.update(subject=subject, subject_type=subject_type, window_start=start, window_end=start + timedelta(days=1),
               run_id="t", days_since_activation=2000 if subject_type == "subscriber" else None,
               segment="subscriber:postpaid" if subject_type == "subscriber" else "external_number",
               payment_type="postpaid" if subject_type == "subscriber" else None)
    row.update(values)
    return row


def world(days: int = 3, normal: int = 80, seed: int = 1) -> dict:
    """A small operator: ``normal`` ordinary lines plus one case of every typology.

    Returns ``usage``, ``subscribers`` (row dicts) and ``truth`` (subject -> typology).
    """
    import random

    rnd = random.Random(seed)
    start = DAY - timedelta(days=days - 1)
    subs = [subscriber(f"4915{i:08d}", plan="PRE_BASIC" if i % 3 == 0 else "POST_M",
                       payment="prepaid" if i % 3 == 0 else "postpaid") for i in range(normal)]
    rows: list[dict] = []
    contacts = {s["msisdn"]: [f"4930{rnd.randrange(10**6):06d}" for _ in range(8)]
                + ["4420" + str(rnd.randrange(10**6))] for s in subs}
    for d in range(days):
        day = start + timedelta(days=d)
        for s in subs:
            m = s["msisdn"]
            imei, cells = f"35{int(m[-2:]) % 5:06d}00000000", [f"C{int(m[-3:]) % 7}", f"C{int(m[-3:]) % 7 + 1}"]
            for _ in range(rnd.randint(0, 4)):
                rows.append(usage(m, rnd.choice(contacts[m]), at=ts(day, rnd.randint(7, 21), rnd.randint(0, 59)),
                                  duration=rnd.randint(10, 400), cell=rnd.choice(cells), imei=imei))
            for _ in range(rnd.randint(0, 3)):
                rows.append(usage(m, rnd.choice(contacts[m]), direction="MT", at=ts(day, rnd.randint(7, 21)),
                                  duration=rnd.randint(5, 300), cell=rnd.choice(cells), imei=imei))
            for _ in range(rnd.randint(0, 3)):
                rows.append(usage(m, rnd.choice(contacts[m]), service="sms", at=ts(day, rnd.randint(7, 22)),
                                  duration=0, cell=rnd.choice(cells), imei=imei))
            rows.append(usage(m, None, service="data", at=ts(day, 9), duration=600, volume=rnd.randint(10**5, 10**8),
                              cell=rnd.choice(cells), imei=imei))
    truth = {}
    box_start = datetime(start.year, start.month, start.day, tzinfo=UTC) - timedelta(days=20)
    for k in range(4):
        m = f"4917700000{k:02d}"
        truth[m] = "simbox"
        subs.append(subscriber(m, plan="PRE_BASIC", payment="prepaid", activated=box_start))
        for d in range(days):
            numbers = [f"4930{rnd.randrange(10**7):07d}" for _ in range(90)]
            rows += calls(m, numbers, ts(start + timedelta(days=d), 8), gap_s=500, duration=rnd.randint(40, 200),
                          cell="BOX", imei=f"86091203{k:08d}")
    victim = subs[5]["msisdn"]
    truth[victim] = "irsf"
    rows += calls(victim, [f"8821600{i % 2}" for i in range(20)], ts(DAY, 0, 5), gap_s=30, duration=1500)
    fraudster = "491790000001"
    truth[fraudster] = "subscription_fraud"
    subs.append(subscriber(fraudster, activated=datetime(start.year, start.month, start.day, tzinfo=UTC)))
    for d in range(days):
        numbers = [f"4420{rnd.randrange(10**6)}" for _ in range(18)]
        numbers += [f"49900{rnd.randrange(10**5)}" for _ in range(7)]
        rows += calls(fraudster, numbers, ts(start + timedelta(days=d), 9), gap_s=700, duration=600)
    wangiri = "88216123456"
    truth[wangiri] = "wangiri"
    for i, s in enumerate(subs[10:40]):
        rows.append(usage(s["msisdn"], wangiri, direction="MT", at=ts(DAY, 3, i), duration=i % 4))
    for s in subs[10:13]:
        rows.append(usage(s["msisdn"], wangiri, at=ts(DAY, 8), duration=90))
    return {"usage": rows, "subscribers": subs, "truth": truth}
