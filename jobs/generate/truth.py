"""Ground truth: every finding the controls must raise, from the *known* record <-> event mapping.

Nothing here searches for matches: each event knows the record it was made from (or that it has
none). Where one record has several events, the one the matching rule keeps is the closest in
start time, ties to the lower event id; the others are duplicates. The control rules then apply
to that mapping exactly as the reconciliation job applies them to what it matched.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from jobs.generate.billing import CAUSES
from jobs.generate.config import CONTROLS, MONEY_DECIMALS, MONEY_QUANT, SERVICES
from jobs.generate.context import World
from jobs.generate.subscribers import NEVER, SUSPENDED, TERMINATED, Lines
from jobs.generate.tariffs import DATA, VOICE
from jobs.generate.traffic import INACTIVE_PLANTS

LEAKAGE_COLUMNS = ["control", "record_id", "event_id", "msisdn", "service", "expected_charge", "billed_charge",
                   "amount_at_risk", "cause"]


def money(amount_4: int) -> Decimal:
    """An amount in 1/10,000 EUR as a ``Decimal`` with 4 places."""
    return Decimal(int(amount_4)).scaleb(-MONEY_DECIMALS)


def primary_events(ev: pd.DataFrame) -> np.ndarray:
    """Per event: True when it is the one its record matches (closest start, then lower event id)."""
    rec = ev["rec"].to_numpy()
    delta = np.abs(ev["start"].to_numpy() - ev["rstart"].to_numpy())
    order = np.lexsort((ev["event_id"].to_numpy().astype(str), delta, rec))
    first = np.ones(order.size, dtype=bool)
    first[1:] = rec[order][1:] != rec[order][:-1]
    primary = np.zeros(len(ev), dtype=bool)
    primary[order[first]] = True
    return primary & (rec >= 0)


def inactive_records(r: pd.DataFrame, lines: Lines) -> np.ndarray:
    """Billable records of lines absent from the snapshot, suspended, or used after termination."""
    line = r["line"].to_numpy()
    term = lines.terminated[line]
    gone = (lines.status[line] == TERMINATED) & (term != NEVER) & (r["start"].to_numpy() >= term)
    return r["billable"].to_numpy() & (~r["known"].to_numpy() | (lines.status[line] == SUSPENDED) | gone)


def leakage_truth(world: World, r: pd.DataFrame, ev: pd.DataFrame, billed: pd.DataFrame,
                  record_cause: np.ndarray) -> pd.DataFrame:
    """One row per expected finding (:data:`LEAKAGE_COLUMNS`), money as ``Decimal`` or ``None``.

    ``r`` are the rated records, ``ev`` the finalized internal events aligned row-for-row with the
    ``billed`` frame, ``record_cause`` why each unbilled record went unbilled.
    """
    lines = world.lines
    threshold = int(world.params.billing.rating_error_threshold * MONEY_QUANT)
    primary = primary_events(ev)
    rec = ev["rec"].to_numpy()
    matched_event = np.full(len(r), -1, dtype=np.int64)
    matched_event[rec[primary]] = np.flatnonzero(primary)
    expected = r["expected"].to_numpy()
    known = r["known"].to_numpy()
    charge = billed["charge"].to_numpy()
    plant = r["plant"].to_numpy()
    rows: list[tuple] = []

    def add(control: str, ri: int, ei: int, exp: Decimal | None, why: int) -> None:
        bill = charge[ei] if ei >= 0 else None
        amount = None if exp is None else exp - (bill if bill is not None else 0)
        line = r.at[ri, "line"] if ri >= 0 else ev.at[ei, "line"]
        service = r.at[ri, "service"] if ri >= 0 else ev.at[ei, "service"]
        rows.append((control, r.at[ri, "record_id"] if ri >= 0 else None,
                     billed.at[ei, "event_id"] if ei >= 0 else None, str(lines.msisdn[line]),
                     SERVICES[service], exp, bill, amount, CAUSES[why]))

    def exp_of(ri: int) -> Decimal | None:
        return money(expected[ri]) if known[ri] else None

    for ri in np.flatnonzero(r["billable"].to_numpy() & (matched_event < 0)):
        add("unbilled_usage", ri, -1, exp_of(ri), record_cause[ri])
    for ei in np.flatnonzero(rec < 0):
        add("phantom_billing", -1, ei, money(0), ev.at[ei, "cause"])
    dup_cause = np.zeros(len(r), dtype=np.int64)  # the planted copy labels both events of a record
    copies = ev["dup"].to_numpy() == 1
    dup_cause[rec[copies]] = ev["cause"].to_numpy()[copies]
    for ei in np.flatnonzero((rec >= 0) & ~primary):
        add("duplicate_billing", rec[ei], ei, money(0), dup_cause[rec[ei]])
    pe = np.flatnonzero(primary)
    pr = rec[pe]
    off = np.abs(ev["charge"].to_numpy()[pe] - expected[pr]) > threshold
    for ei, ri in zip(pe[off], pr[off], strict=True):
        add("rating_error", ri, ei, exp_of(ri), ev.at[ei, "cause"])
    service = ev["service"].to_numpy()[pe]
    usage = ((service == VOICE) | (service == DATA)) & (ev["qty"].to_numpy()[pe] != r["rounded"].to_numpy()[pr])
    for ei, ri in zip(pe[usage], pr[usage], strict=True):
        add("usage_mismatch", ri, ei, exp_of(ri), ev.at[ei, "cause"])
    for ri in np.flatnonzero(inactive_records(r, lines)):
        add("inactive_subscriber_usage", ri, matched_event[ri], exp_of(ri), CAUSES.index(INACTIVE_PLANTS[plant[ri]]))
    ev_line = ev["line"].to_numpy()
    for ei in np.flatnonzero((ev_line < lines.n_known) & (ev["plan"].to_numpy() != lines.plan[ev_line])):
        ri = rec[ei] if primary[ei] else -1
        add("plan_mismatch", ri, ei, exp_of(ri) if ri >= 0 else money(0), ev.at[ei, "cause"])

    out = pd.DataFrame(rows, columns=LEAKAGE_COLUMNS)
    out["_c"] = out["control"].map(CONTROLS.index)
    out = out.sort_values(["_c", "record_id", "event_id"], na_position="first", kind="stable")
    return out.drop(columns="_c").reset_index(drop=True)


def fraud_truth(subjects: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """``subject, subject_type, typology, first_day, last_day, description`` of subjects with traffic."""
    tagged = records[records["subject"] >= 0]
    days = tagged.groupby("subject")["start"].agg(["min", "max"])
    out = subjects.iloc[days.index.to_numpy()].copy()
    out["first_day"] = pd.to_datetime(days["min"].to_numpy(), unit="s").strftime("%Y-%m-%d")
    out["last_day"] = pd.to_datetime(days["max"].to_numpy(), unit="s").strftime("%Y-%m-%d")
    cols = ["subject", "subject_type", "typology", "first_day", "last_day", "description"]
    return out[cols].sort_values(["typology", "subject"], ignore_index=True)
