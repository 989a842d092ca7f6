"""The subscriber base (contract feed 3) plus the per-line attributes traffic needs.

``Lines`` holds one row per line as numpy arrays: the ``subscribers`` snapshot lines first, then a
few *unknown* lines (in the network, missing from the snapshot) used only for planted usage.
Fraud roles are assigned here because they shape the line itself (new prepaid SIMs in a SIM box,
fresh postpaid accounts for subscription fraud).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from jobs.generate.clock import epoch_of, to_timestamps
from jobs.generate.config import SECONDS_PER_DAY, GeneratorParams
from jobs.generate.numbering import POW10, imeis, random_serials, random_tacs, unique_draw
from jobs.generate.text import choose, digits, series

STATUSES = ("active", "suspended", "terminated", "unknown")
ACTIVE, SUSPENDED, TERMINATED, UNKNOWN = range(len(STATUSES))
ROLES = ("none", "simbox", "irsf", "subscription_fraud")
NO_ROLE, SIMBOX, IRSF, SUBSCRIPTION = range(len(ROLES))
NEVER = -1
_ACCOUNT_RANGE = (10_000_000, 100_000_000)
_CELL_RANGE = (1_000_000, 100_000_000)  # E-UTRAN cell ids after MCC+MNC
_IN_PERIOD_SPAN = 0.8  # in-period activations fall in the first 80 % of the period
_SUBSCRIPTION_SPAN = 1 / 3  # subscription fraud activates in the first third


@dataclass
class Lines:
    """Per-line arrays; index = line number. ``n_known`` first lines are in the snapshot."""

    n_known: int
    msisdn: np.ndarray
    imsi: np.ndarray
    imei: np.ndarray
    account: np.ndarray
    enterprise: np.ndarray
    prepaid: np.ndarray
    plan: np.ndarray  # index into params.catalog.plans
    status: np.ndarray
    activated: np.ndarray
    terminated: np.ndarray  # epoch seconds or NEVER
    billing_b: np.ndarray  # True: BIL-B, False: BIL-A
    activity: np.ndarray
    cells: np.ndarray  # (lines, cells_per_line) cell numbers
    trip: np.ndarray  # (lines, 2) roaming trip [first_day, end_day) offsets, NEVER if none
    plmn: np.ndarray  # visited network index during the trip
    role: np.ndarray
    box: np.ndarray  # SIM-box number of simbox lines, NEVER otherwise

    def frame(self, params: GeneratorParams) -> pd.DataFrame:
        """The subscriber snapshot (contract v1 columns; text ``string[pyarrow]``, timestamps
        ``datetime64[ns, UTC]``)."""
        k = self.n_known
        term = self.terminated[:k]
        df = pd.DataFrame({
            "msisdn": series(digits(self.msisdn[:k])),
            "imsi": series(digits(self.imsi[:k])),
            "account_id": series(pc.binary_join_element_wise("ACC", digits(self.account[:k]), "")),
            "customer_type": series(choose(("consumer", "enterprise"), self.enterprise[:k].astype(np.int64))),
            "payment_type": series(choose(("postpaid", "prepaid"), self.prepaid[:k].astype(np.int64))),
            "plan_id": series(choose([p.plan_id for p in params.catalog.plans], self.plan[:k])),
            "status": series(choose(STATUSES, self.status[:k])),
            "activated_at": pd.to_datetime(to_timestamps(self.activated[:k])).tz_localize("UTC"),
            "terminated_at": pd.to_datetime(np.where(term == NEVER, np.datetime64("NaT"),
                                                     to_timestamps(term))).tz_localize("UTC"),
        })
        return df.sort_values("msisdn", ignore_index=True)

    def window(self, period_start: int, period_end: int) -> tuple[np.ndarray, np.ndarray]:
        """Instants between which each line may use the network (empty when suspended or unknown)."""
        lo = np.maximum(self.activated, period_start)
        hi = np.where(self.terminated == NEVER, period_end, np.minimum(self.terminated, period_end))
        silent = (self.status == SUSPENDED) | (self.status == UNKNOWN)
        return lo, np.where(silent, lo, np.maximum(hi, lo))


def _pick(rng: np.random.Generator, pool: np.ndarray, size: int) -> np.ndarray:
    if pool.size < size:
        raise ValueError(f"not enough lines for fraud roles: need {size}, have {pool.size}")
    return np.sort(rng.choice(pool, size=size, replace=False))


def _fraud_count(n: int, share: float, floor: int) -> int:
    return max(floor, round(n * share))


def _numbers(params: GeneratorParams, rng: np.random.Generator, total: int) -> tuple[np.ndarray, ...]:
    """Unique MSISDNs and IMSIs, and IMEIs whose TACs follow a popularity curve."""
    sp = params.lines
    width = POW10[sp.msisdn_suffix_digits]
    heads = np.asarray([int(p) for p in sp.msisdn_prefixes], dtype=np.int64)
    nothing = np.zeros(0, dtype=np.int64)
    v = unique_draw(rng, 0, heads.size * width, total, nothing)
    msisdn = heads[v // width] * width + v % width
    imsi_width = POW10[sp.imsi_suffix_digits]
    imsi = int(sp.imsi_prefix) * imsi_width + unique_draw(rng, 0, imsi_width, total, nothing)
    tacs = random_tacs(rng, sp.tac_pool_size)
    popularity = 1.0 / np.arange(1, tacs.size + 1)
    imei = imeis(tacs[rng.choice(tacs.size, total, p=popularity / popularity.sum())], random_serials(rng, total))
    return msisdn, imsi, imei


def _customers(params: GeneratorParams, rng: np.random.Generator, total: int) -> tuple[np.ndarray, ...]:
    """Customer type, payment type, account (enterprise lines share one), billing system and plan."""
    sp, plans = params.lines, params.catalog.plans
    enterprise = rng.random(total) < sp.enterprise_share
    prepaid = ~enterprise & (rng.random(total) < sp.prepaid_share_consumer)
    owner = np.arange(total)  # enterprise lines share accounts of geometric size
    ent = np.flatnonzero(enterprise)
    sizes = rng.geometric(1.0 / sp.enterprise_lines_mean, size=ent.size + 1)
    owner[ent] = ent[np.repeat(np.cumsum(sizes) - sizes, sizes)[: ent.size]]
    account = unique_draw(rng, *_ACCOUNT_RANGE, total, np.zeros(0, dtype=np.int64))[owner]
    billing_b = (rng.random(total) >= sp.billing_a_share)[owner]
    plan = np.zeros(total, dtype=np.int64)
    for ctype, payment in (("consumer", "prepaid"), ("consumer", "postpaid"), ("enterprise", "postpaid")):
        idx = [i for i, p in enumerate(plans) if (p.customer_type, p.payment_type) == (ctype, payment)]
        rows = np.flatnonzero((enterprise == (ctype == "enterprise")) & (prepaid == (payment == "prepaid")))
        shares = np.asarray([plans[i].share for i in idx])
        plan[rows] = np.asarray(idx)[rng.choice(len(idx), rows.size, p=shares / shares.sum())]
    return enterprise, prepaid, account, billing_b, plan


def _lifecycle(params: GeneratorParams, rng: np.random.Generator, total: int) -> tuple[np.ndarray, ...]:
    """Status, activation and termination instants (unknown lines: the ones past ``subscribers``)."""
    sp, n = params.lines, params.subscribers
    start, span = epoch_of(params.start), params.days * SECONDS_PER_DAY
    u = rng.random(total)
    status = np.where(u < sp.suspended_share, SUSPENDED,
                      np.where(u < sp.suspended_share + sp.terminated_share, TERMINATED, ACTIVE))
    status[n:] = UNKNOWN
    w = rng.random(total)
    activated = start - rng.integers(sp.recent_days * SECONDS_PER_DAY, sp.history_days * SECONDS_PER_DAY, total)
    recent = w < sp.recent_share
    activated[recent] = start - rng.integers(1, sp.recent_days * SECONDS_PER_DAY, recent.sum())
    fresh = (w > 1 - sp.in_period_share) & (status == ACTIVE)
    activated[fresh] = start + rng.integers(0, int(span * _IN_PERIOD_SPAN), fresh.sum())
    terminated = np.full(total, NEVER, dtype=np.int64)
    term = np.flatnonzero(status == TERMINATED)
    before = rng.random(term.size) < sp.terminated_before_share
    margin = params.traffic.edge_margin_s
    terminated[term] = np.where(before,
                                start - rng.integers(1, sp.terminated_before_max_days * SECONDS_PER_DAY, term.size),
                                start + rng.integers(margin, span - margin, term.size))
    activated[term] = np.minimum(activated[term], terminated[term] - sp.recent_days * SECONDS_PER_DAY)
    return status, activated, terminated


def _whereabouts(params: GeneratorParams, rng: np.random.Generator, status: np.ndarray) -> tuple[np.ndarray, ...]:
    """Activity level, usual cells and one roaming trip for some active lines."""
    sp, total = params.lines, status.size
    activity = np.exp(rng.normal(-sp.activity_sigma**2 / 2, sp.activity_sigma, total))  # mean 1
    n_cells = max(1, params.subscribers // sp.lines_per_cell)
    cell_ids = unique_draw(rng, *_CELL_RANGE, n_cells, np.zeros(0, dtype=np.int64))
    cells = cell_ids[rng.integers(0, n_cells, (total, sp.cells_per_line))]
    trip = np.full((total, 2), NEVER, dtype=np.int64)
    roams = np.flatnonzero((rng.random(total) < sp.roaming_share) & (status == ACTIVE))
    trip[roams, 0] = rng.integers(0, params.days, roams.size)
    trip[roams, 1] = trip[roams, 0] + rng.integers(1, sp.roaming_max_days + 1, roams.size)
    plmn = rng.integers(0, len(sp.visited_plmns), total)
    return activity, cells, trip, plmn


def _assign_fraud(params: GeneratorParams, rng: np.random.Generator, lines: Lines) -> None:
    """Turn a few lines into SIM-box SIMs, subscription fraudsters and IRSF victims (in place)."""
    fp, n = params.fraud, params.subscribers
    start, span = epoch_of(params.start), params.days * SECONDS_PER_DAY
    plan_ix = {p.plan_id: i for i, p in enumerate(params.catalog.plans)}
    settled = (lines.status[:n] == ACTIVE) & (lines.activated[:n] < start)
    consumers = np.flatnonzero(~lines.enterprise[:n] & settled)
    sims = _pick(rng, consumers, _fraud_count(n, fp.simbox_share, fp.simbox_min))
    lines.role[sims] = SIMBOX
    lines.box[sims] = np.arange(sims.size) // fp.sims_per_box
    lines.prepaid[sims], lines.plan[sims] = True, plan_ix[fp.simbox_plan]
    lines.activated[sims] = start - rng.integers(1, fp.simbox_activated_days_before * SECONDS_PER_DAY, sims.size)
    lines.imei[sims] = imeis(np.full(sims.size, int(fp.simbox_tac)), random_serials(rng, sims.size))
    for b in np.unique(lines.box[sims]):  # one static cell per box
        lines.cells[sims[lines.box[sims] == b]] = lines.cells[rng.integers(0, n), 0]
    subs = _pick(rng, np.setdiff1d(consumers, sims), _fraud_count(n, fp.subscription_share, fp.subscription_min))
    lines.role[subs] = SUBSCRIPTION
    lines.prepaid[subs], lines.plan[subs] = False, plan_ix[fp.subscription_plan]
    lines.activated[subs] = start + rng.integers(0, int(span * _SUBSCRIPTION_SPAN), subs.size)
    postpaid = np.flatnonzero(~lines.prepaid[:n] & settled & (lines.role[:n] == NO_ROLE))
    irsf = _pick(rng, postpaid, _fraud_count(n, fp.irsf_share, fp.irsf_min))
    lines.role[irsf] = IRSF
    lines.trip[lines.role != NO_ROLE] = NEVER


def build_lines(params: GeneratorParams, rng: np.random.Generator, n_unknown: int) -> Lines:
    """Draw the subscriber base plus ``n_unknown`` unknown lines, and assign fraud roles."""
    total = params.subscribers + n_unknown
    msisdn, imsi, imei = _numbers(params, rng, total)
    enterprise, prepaid, account, billing_b, plan = _customers(params, rng, total)
    status, activated, terminated = _lifecycle(params, rng, total)
    activity, cells, trip, plmn = _whereabouts(params, rng, status)
    lines = Lines(params.subscribers, msisdn, imsi, imei, account, enterprise, prepaid, plan, status, activated,
                  terminated, billing_b, activity, cells, trip, plmn, np.full(total, NO_ROLE, dtype=np.int64),
                  np.full(total, NEVER, dtype=np.int64))
    _assign_fraud(params, rng, lines)
    return lines
