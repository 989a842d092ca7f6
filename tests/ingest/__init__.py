"""Ingestion tests (landing -> bronze -> silver, quarantine, accounting)."""
