"""leakline Spark jobs: ingestion, reconciliation, fraud features and scoring, and their plumbing."""

__version__ = "0.1.0"
