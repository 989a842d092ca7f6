"""Planted fraud subjects exist in the traffic with the pattern their typology describes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from jobs.generate import GeneratorParams
from jobs.generate.clock import local_hour


def voice(network: pd.DataFrame) -> pd.DataFrame:
    return network[network["service"] == "voice"]


def subjects(fraud: pd.DataFrame, typology: str) -> pd.DataFrame:
    rows = fraud[fraud["typology"] == typology]
    assert len(rows) > 0, typology
    return rows


def risk_of(numbers: pd.Series, destinations: pd.DataFrame) -> pd.Series:
    risk = dict(zip(destinations["prefix"], destinations["risk"], strict=True))
    return numbers.map(lambda n: next(risk[n[:k]] for k in range(len(n), 0, -1) if n[:k] in risk))


def test_fraud_subjects_are_a_small_share(fraud: pd.DataFrame, small_params: GeneratorParams) -> None:
    assert set(fraud["typology"]) == {"simbox", "irsf", "wangiri", "subscription_fraud"}
    assert fraud["subject"].is_unique
    assert 0.005 <= len(fraud) / small_params.subscribers <= 0.02
    assert set(fraud["subject_type"]) == {"msisdn", "external_number"}
    assert (fraud["first_day"] <= fraud["last_day"]).all()


def test_simbox_sims(fraud: pd.DataFrame, network: pd.DataFrame, subscribers: pd.DataFrame,
                     small_params: GeneratorParams) -> None:
    sims = subjects(fraud, "simbox")["subject"]
    mo = voice(network)[voice(network)["direction"] == "MO"].groupby("msisdn").size()
    median = mo.median()
    subs = subscribers.set_index("msisdn")
    start = datetime.combine(small_params.start, datetime.min.time(), UTC)
    for sim in sims:
        mine = network[network["msisdn"] == sim]
        assert mo[sim] > 10 * median
        assert (mine["service"] == "voice").all() and (mine["direction"] == "MO").all()  # no MT, sms, data
        assert mine["cell_id"].nunique() == 1
        assert mine["other_party"].nunique() > 0.95 * len(mine)  # many distinct national numbers
        assert mine["other_party"].str.startswith("49").all()
        assert subs.loc[sim, "payment_type"] == "prepaid"
        assert start - timedelta(days=30) < datetime.fromisoformat(subs.loc[sim, "activated_at"]) < start
    tacs = network[network["msisdn"].isin(sims)]["imei"].str[:8]
    assert tacs.nunique() == 1 and network[network["msisdn"].isin(sims)]["imei"].nunique() == len(sims)
    assert not network.loc[~network["msisdn"].isin(sims), "imei"].str.startswith(tacs.iloc[0]).any()


def test_irsf_victims(fraud: pd.DataFrame, network: pd.DataFrame, destinations: pd.DataFrame,
                      small_params: GeneratorParams) -> None:
    for victim in subjects(fraud, "irsf")["subject"]:
        calls = voice(network)[(voice(network)["msisdn"] == victim) & (voice(network)["direction"] == "MO")]
        risky = calls[risk_of(calls["other_party"], destinations) == "high"]
        assert len(risky) >= 10
        assert risky["duration_s"].astype(int).median() > 600
        utc = risky["start_time"].map(lambda t: datetime.fromisoformat(t).timestamp()).to_numpy(dtype=np.int64)
        night = local_hour(utc, small_params.local_time) < 6
        assert night.mean() > 0.8


def test_wangiri_numbers(fraud: pd.DataFrame, network: pd.DataFrame, subscribers: pd.DataFrame) -> None:
    callbacks = 0
    for number in subjects(fraud, "wangiri")["subject"]:
        assert number not in set(subscribers["msisdn"]) and not number.startswith("49")
        rings = voice(network)[(voice(network)["other_party"] == number) & (voice(network)["direction"] == "MT")]
        assert rings["msisdn"].nunique() >= 20 and (rings["duration_s"].astype(int) <= 3).all()
        back = voice(network)[(voice(network)["other_party"] == number) & (voice(network)["direction"] == "MO")]
        assert set(back["msisdn"]) <= set(rings["msisdn"])
        callbacks += len(back)
    assert callbacks > 0


def test_subscription_fraud(fraud: pd.DataFrame, network: pd.DataFrame, subscribers: pd.DataFrame,
                            destinations: pd.DataFrame, small_params: GeneratorParams) -> None:
    subs = subscribers.set_index("msisdn")
    for msisdn in subjects(fraud, "subscription_fraud")["subject"]:
        activated = datetime.fromisoformat(subs.loc[msisdn, "activated_at"])
        assert activated.date() >= small_params.start and subs.loc[msisdn, "payment_type"] == "postpaid"
        calls = voice(network)[(voice(network)["msisdn"] == msisdn) & (voice(network)["direction"] == "MO")]
        first = min(datetime.fromisoformat(t) for t in calls["start_time"])
        assert first - activated < timedelta(days=1)
        abroad_or_premium = ~calls["other_party"].str.startswith("49") | (
            risk_of(calls["other_party"], destinations) == "high")
        assert abroad_or_premium.mean() > 0.5
        assert len(calls) > 5 * small_params.traffic.records_per_day["voice"]


@pytest.mark.parametrize("typology", ["simbox", "irsf", "subscription_fraud"])
def test_fraud_is_billed_normally(fraud: pd.DataFrame, leakage: pd.DataFrame, typology: str) -> None:
    """Fraud is not leakage: only period-wide incidents (feed gap, stale tariff) touch its usage."""
    mine = leakage[leakage["msisdn"].isin(subjects(fraud, typology)["subject"])]
    assert set(mine["cause"]) <= {"feed_gap", "tariff_not_updated"}
