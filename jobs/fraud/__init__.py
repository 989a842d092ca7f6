"""Fraud stage: features per subject and day, typology signals, model scoring, alerts and cases."""
