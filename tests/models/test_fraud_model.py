"""The fraud model against a real MLflow store: train, log, register, alias, load by alias, score
(in pandas and as a Spark UDF), champion/challenger — plus the pure metrics and drift maths.

One tracking store for the module: MLflow's sqlite initialisation takes seconds.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from pandas.testing import assert_frame_equal

from models.fraud import tracking
from models.fraud.drift import bin_counts, psi_table
from models.fraud.metrics import pr_auc, precision_at_budget, psi, recall_by_typology
from models.fraud.schema import ALL_FEATURES
from models.fraud.train import TrainParams, evaluate, predict, train

NAME = "fraud-test"
PARAMS = TrainParams(if_n_estimators=50, clf_n_estimators=50, daily_budget=5)


def frame(n: int = 600, seed: int = 0, flip: bool = False) -> pd.DataFrame:
    """Synthetic feature rows: 4% heavy callers are fraud (label 1), quiet lines are 0."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({c: rng.poisson(2, n).astype(float) for c in ALL_FEATURES})
    fraud = rng.random(n) < 0.04
    df.loc[fraud, "mo_calls"] = rng.integers(80, 200, fraud.sum())
    df.loc[fraud, "mt_calls"] = 0.0
    df["segment"] = np.where(rng.random(n) < 0.5, "subscriber:prepaid", "subscriber:postpaid")
    df.loc[: n // 10, "segment"] = "external_number"
    df["feature_date"] = [date(2026, 10, 1) + timedelta(days=int(d)) for d in rng.integers(0, 4, n)]
    label = np.where(fraud, 1.0, 0.0)
    df["label"] = 1.0 - label if flip else label
    df["label_typology"] = np.where(df["label"] == 1, "simbox", None)
    df["weight"], df["label_source"] = 1.0, "weak"
    return df


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root}/mlflow.db"
    tracking.configure(uri, uri, "fraud-tests", (root / "artifacts").as_uri())
    return uri


@pytest.fixture(scope="module")
def data():
    return frame(seed=1), frame(n=300, seed=2)


@pytest.fixture(scope="module")
def good(store, data):
    train_df, valid_df = data
    model, _ = train(train_df, PARAMS)
    metrics = evaluate(model, valid_df, PARAMS)
    logged = tracking.log_training_run(
        model, NAME, train_df=train_df, valid_df=valid_df, valid_scores=predict(model, valid_df)["model_score"],
        params={"seed": 7}, metrics=metrics, importances={"mo_calls": 1.0}, tags={"stage": "train"},
        dataset_source="/lake/silver/fraud_features",
    )
    return model, metrics, logged


def test_training_is_pure_and_outputs_scores_in_range(data):
    train_df, valid_df = data
    model, info = train(train_df, PARAMS)
    out = predict(model, valid_df)
    assert list(out.columns) == ["anomaly", "fraud_proba", "model_score"]
    assert out["anomaly"].between(0, 1).all() and out["fraud_proba"].between(0, 1).all()
    assert info["has_classifier"] and set(info["segments"]) >= {"subscriber", "external_number"}
    again, _ = train(train_df, PARAMS)
    assert_frame_equal(predict(again, valid_df), out)  # seeded: same data, same model


def test_without_enough_labels_the_model_is_anomaly_only(data):
    train_df, valid_df = data
    unlabelled = train_df.assign(label=np.nan)
    model, info = train(unlabelled, PARAMS)
    out = predict(model, valid_df)
    assert not info["has_classifier"]
    assert out["fraud_proba"].isna().all()
    assert (out["model_score"] == out["anomaly"]).all()


def test_logged_model_has_signature_dataset_plots_and_loads_by_alias(store, data, good):
    model, metrics, logged = good
    _, valid_df = data
    client = MlflowClient(store, store)
    run = client.get_run(logged.run_id)
    assert run.data.metrics["pr_auc"] == pytest.approx(metrics["pr_auc"])
    assert {i.dataset.name for i in run.inputs.dataset_inputs} == {"fraud_features_training",
                                                                    "fraud_features_validation"}
    assert {a.path for a in client.list_artifacts(logged.run_id, "plots")} == {
        "plots/pr_curve.png", "plots/score_distribution.png", "plots/feature_importances.png"}
    tracking.set_alias(NAME, tracking.CHAMPION, logged.version)
    assert tracking.alias_version(NAME, tracking.CHAMPION) == logged.version
    assert tracking.alias_version(NAME, tracking.CHALLENGER) is None
    loaded = tracking.load_alias(NAME)
    assert loaded.metadata.signature.inputs.input_names() == ["segment", *ALL_FEATURES]
    assert_frame_equal(predict(loaded, valid_df), predict(model, valid_df))


def test_scoring_as_a_spark_udf_matches_pandas(spark, store, data, good):
    model, _, logged = good
    _, valid_df = data
    tracking.set_alias(NAME, tracking.CHAMPION, logged.version)
    udf = mlflow.pyfunc.spark_udf(spark, tracking.alias_uri(NAME), env_manager="local",
                                  result_type="anomaly double, fraud_proba double, model_score double")
    from pyspark.sql import functions as F

    sdf = spark.createDataFrame(tracking.model_input(valid_df).assign(row=range(len(valid_df))))
    got = (sdf.select("row", udf(F.struct(*["segment", *ALL_FEATURES])).alias("m"))
           .select("row", "m.*").toPandas().sort_values("row").drop(columns="row").reset_index(drop=True))
    assert_frame_equal(got, predict(model, valid_df), check_exact=False, atol=1e-9)


def test_worse_challenger_does_not_replace_the_champion(store, data, good):
    _, champion_metrics, champion = good
    train_df, valid_df = data
    tracking.set_alias(NAME, tracking.CHAMPION, champion.version)
    worse, _ = train(frame(seed=1, flip=True), PARAMS)  # learnt the labels backwards
    worse_metrics = evaluate(worse, valid_df, PARAMS)
    champion_pr_auc = evaluate(tracking.load_alias(NAME), valid_df, PARAMS)["pr_auc"]
    assert champion_pr_auc == pytest.approx(champion_metrics["pr_auc"])
    assert worse_metrics["pr_auc"] < champion_pr_auc
    gate = tracking.Gate(min_pr_auc=0.0, min_precision_at_budget=0.0, min_improvement=0.0,
                         promote_without_labels=True)
    passes, promote = tracking.promotion(worse_metrics["pr_auc"], worse_metrics["precision_at_budget"],
                                         champion_pr_auc, gate)
    assert (passes, promote) == (True, False)
    logged = tracking.log_training_run(
        worse, NAME, train_df=train_df, valid_df=valid_df, valid_scores=predict(worse, valid_df)["model_score"],
        params={}, metrics=worse_metrics, importances={}, tags={}, dataset_source="/lake/silver/fraud_features")
    tracking.set_alias(NAME, tracking.CHALLENGER, logged.version)
    assert tracking.alias_version(NAME, tracking.CHAMPION) == champion.version
    assert tracking.alias_version(NAME, tracking.CHALLENGER) == logged.version != champion.version


def test_promotion_rules():
    gate = tracking.Gate(0.6, 0.5, 0.01, True)
    nan = float("nan")
    assert tracking.promotion(0.9, 0.8, None, gate) == (True, True)  # first champion
    assert tracking.promotion(0.9, 0.8, 0.85, gate) == (True, True)
    assert tracking.promotion(0.9, 0.8, 0.895, gate) == (True, False)  # not better by enough
    assert tracking.promotion(0.5, 0.8, None, gate) == (False, False)  # below the PR-AUC gate
    assert tracking.promotion(0.9, 0.4, None, gate) == (False, False)  # below precision at budget
    assert tracking.promotion(nan, nan, None, gate) == (True, True)  # first model, nothing labelled
    assert tracking.promotion(nan, nan, 0.9, gate) == (False, False)
    assert tracking.promotion(0.9, 0.8, nan, gate) == (True, True)  # champion could not be measured


def test_metrics_on_a_known_ranking():
    df = pd.DataFrame({
        "feature_date": [1, 1, 1, 2, 2, 2],
        "score": [0.9, 0.8, 0.1, 0.95, 0.6, 0.55],
        "label": [1.0, 0.0, 0.0, 1.0, np.nan, 1.0],
        "label_typology": ["simbox", None, None, "irsf", None, "irsf"],
    })
    # labelled, by score: 0.95 P, 0.9 P, 0.8 N, 0.55 P, 0.1 N -> precision at each positive 1, 1, 3/4
    assert pr_auc(df["label"], df["score"]) == pytest.approx((1 + 1 + 3 / 4) / 3)
    # budget 2 per day: day 1 -> 0.9 (1), 0.8 (0); day 2 -> 0.95 (1), 0.6 (unlabelled)
    assert precision_at_budget(df, 2, 0.5) == pytest.approx(2 / 3)
    assert recall_by_typology(df, 2, 0.5) == {"simbox": 1.0, "irsf": 0.5}
    assert math.isnan(pr_auc(df["label"].where(df["label"] != 0), df["score"]))


def test_psi_is_zero_for_equal_and_grows_with_shift():
    assert psi(np.array([0.25] * 4), np.array([25, 25, 25, 25])) == pytest.approx(0.0)
    small, large = psi(np.array([0.25] * 4), np.array([30, 25, 25, 20])), psi(np.array([0.25] * 4),
                                                                                 np.array([70, 10, 10, 10]))
    assert 0 < small < 0.1 < large


def test_spark_bin_counts_match_numpy_bins(spark):
    values = [0.0, 1.0, 1.0, 2.0, 5.0, 9.0, None]
    reference = {"subscriber": {"mo_calls": {"edges": [1.0, 5.0], "expected": [0.2, 0.4, 0.4]}}}
    sdf = spark.createDataFrame([(date(2026, 10, 1), "subscriber", v) for v in values],
                                "feature_date date, family string, mo_calls double")
    counts = bin_counts(sdf, reference)
    # numpy searchsorted(right) of [0,1,1,2,5,9] on edges [1,5] -> 0,1,1,1,2,2; the null is left out
    assert counts == [{"feature_date": date(2026, 10, 1), "family": "subscriber",
                       "counts": {"mo_calls": [1, 3, 2]}}]
    table = psi_table(counts, reference)
    assert table == [{"feature_date": "2026-10-01", "family": "subscriber", "feature": "mo_calls",
                      "psi": round(psi(np.array([0.2, 0.4, 0.4]), np.array([1, 3, 2])), 6), "rows": 6}]


def test_configure_leaves_the_users_uri_variables_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:////elsewhere/registry.db")
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    tracking.configure(uri, uri, "env-test")
    assert mlflow.get_tracking_uri() == uri
    import os

    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert os.environ["MLFLOW_REGISTRY_URI"] == "sqlite:////elsewhere/registry.db"
