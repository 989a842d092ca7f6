"""Errors a user can act on. The CLI prints them as one line and exits non-zero (no traceback)."""


class LeaklineError(Exception):
    """A user-facing error: bad path, bad config, bad input file. The message is the whole story."""

    exit_code = 2


class ConfigError(LeaklineError):
    """Invalid or missing configuration; the message names the key."""


class LakeError(LeaklineError):
    """A table cannot be read or written as asked (missing table, schema change refused, ...)."""


class SchemaEvolutionError(LakeError):
    """A write whose schema differs from the table's: leakline never evolves schemas silently."""


class ContractError(LeaklineError):
    """Data that breaks a pandera contract right before a write."""


class IngestFilesRejected(LeaklineError):
    """Ingestion finished, but some files were rejected whole; the message lists them."""

    exit_code = 3
