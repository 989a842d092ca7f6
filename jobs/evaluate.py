"""``leakline evaluate --truth DIR``: how well did the pipeline find what was planted?

Compares ``gold.leakage_findings`` with ``<truth>/leakage.csv`` (control, record_id, event_id,
amount_at_risk, ...) per control — precision, recall, money found vs true — and
``gold.fraud_alerts`` with ``<truth>/fraud.csv`` (subject, subject_type, typology) at subject level,
per typology and typology-agnostic, over the alerts within the daily budget.
Reads through Arrow (no JVM).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from jobs.common.errors import LeaklineError
from jobs.reconcile.settings import FINDING_KEY


@dataclass
class Score:
    name: str
    true: int
    found: int
    hits: int  # true items that were found
    money_true: Decimal | None = None
    money_found: Decimal | None = None
    correct: int | None = None  # found items that are true (defaults to hits: one-to-one keys)

    @property
    def precision(self) -> float:
        correct = self.hits if self.correct is None else self.correct
        return correct / self.found if self.found else (1.0 if not self.true else 0.0)

    @property
    def recall(self) -> float:
        return self.hits / self.true if self.true else 1.0


@dataclass
class Evaluation:
    controls: list[Score] = field(default_factory=list)
    typologies: list[Score] = field(default_factory=list)
    amount_mismatches: int = 0

    def lines(self) -> list[str]:
        out = [f"  {'control':28s} {'true':>6s} {'found':>6s} {'prec':>6s} {'recall':>6s} "
               f"{'money true':>14s} {'money found':>14s}"]
        for s in self.controls:
            out.append(
                f"  {s.name:28s} {s.true:6d} {s.found:6d} {s.precision:6.3f} {s.recall:6.3f} "
                f"{_money(s.money_true):>14s} {_money(s.money_found):>14s}"
            )
        out.append(f"  findings whose amount differs from the truth by a cent or more: {self.amount_mismatches}")
        if self.typologies:
            out.append(f"  {'typology (subject level)':28s} {'true':>6s} {'found':>6s} {'prec':>6s} {'recall':>6s}")
            for s in self.typologies:
                out.append(f"  {s.name:28s} {s.true:6d} {s.found:6d} {s.precision:6.3f} {s.recall:6.3f}")
        return out


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _dec(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return Decimal(str(value))


def evaluate_leakage(truth: pd.DataFrame, findings: pd.DataFrame) -> tuple[list[Score], int]:
    scores, mismatches = [], 0
    for control, key in FINDING_KEY.items():  # the id each control's finding is known by
        t = truth[truth["control"] == control]
        f = findings[findings["control"] == control]
        t_amount = {k: _dec(a) for k, a in zip(t[key], t["amount_at_risk"], strict=True)}
        f_amount = {k: _dec(a) for k, a in zip(f[key], f["amount_at_risk"], strict=True)}
        hits = set(t_amount) & set(f_amount)
        for k in hits:
            a, b = t_amount[k], f_amount[k]
            if (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) >= Decimal("0.01")):
                mismatches += 1
        scores.append(Score(
            control, len(t_amount), len(f_amount), len(hits),
            sum((a for a in t_amount.values() if a is not None), Decimal(0)),
            sum((a for a in f_amount.values() if a is not None), Decimal(0)),
        ))
    return scores, mismatches


def evaluate_fraud(truth: pd.DataFrame, alerts: pd.DataFrame) -> list[Score]:
    """Subject level. Per typology: recall = planted subjects of it that were alerted (under any
    typology); precision = alerted subjects labelled with it that were planted (as any fraud)."""
    if "within_budget" in alerts:
        alerts = alerts[alerts["within_budget"].astype(bool)]
    flagged = set(alerts["subject"])
    planted = set(truth["subject"])
    scores = []
    for typology in sorted(truth["typology"].unique()):
        t = set(truth.loc[truth["typology"] == typology, "subject"])
        f = set(alerts.loc[alerts["typology"] == typology, "subject"])
        scores.append(Score(typology, len(t), len(f), len(t & flagged), correct=len(f & planted)))
    scores.append(Score("any typology", len(planted), len(flagged), len(planted & flagged)))
    return scores


def evaluate(ctx: Any, truth_dir: str) -> Evaluation:
    from jobs.common.lake import make_lake

    folder = Path(truth_dir)
    leakage_csv = folder / "leakage.csv"
    if not leakage_csv.is_file():
        raise LeaklineError(f"no ground truth at {leakage_csv}")
    lake = make_lake(ctx.cfg, None)
    truth = pd.read_csv(leakage_csv, dtype=str, keep_default_na=False)
    findings = lake.read_arrow(
        "gold.leakage_findings", columns=["control", "record_id", "event_id", "amount_at_risk"]
    ).to_pandas()
    result = Evaluation()
    result.controls, result.amount_mismatches = evaluate_leakage(truth, findings)
    fraud_csv = folder / "fraud.csv"
    if fraud_csv.is_file() and lake.exists("gold.fraud_alerts"):
        fraud_truth = pd.read_csv(fraud_csv, dtype=str, keep_default_na=False)
        alerts = lake.read_arrow("gold.fraud_alerts", columns=["subject", "typology", "within_budget"]).to_pandas()
        result.typologies = evaluate_fraud(fraud_truth, alerts)
    return result


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("evaluate", parents=parents, help="precision/recall against generated ground truth")
    p.add_argument("--truth", required=True, metavar="DIR")
    p.set_defaults(handler=lambda args, ctx: print("\n".join(evaluate(ctx, args.truth).lines())) or 0)
