"""Shared plumbing of every job: config, Spark session, the lake layer, contracts, run log."""
