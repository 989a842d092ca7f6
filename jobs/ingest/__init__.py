"""Ingestion: landing -> bronze -> silver under input contract v1, with quarantine and accounting.

Entry point: :func:`jobs.ingest.job.run_ingest` (``leakline ingest``). Modules: ``feeds`` (the
contract as data), ``files`` (driver-side file rules), ``read`` (Spark reading), ``rules`` and
``transform`` (pure row checks), ``summary`` (what a run did), ``cli``.
"""
