"""Deterministic synthetic telecom data with ground truth (landing feeds + truth files).

Public API: :class:`GeneratorParams`, :func:`generate` and :func:`write`; the CLI lives in
``jobs.generate.cli`` (``python -m jobs.generate --out DIR``). See docs/generator.md.
"""

from jobs.generate.config import GeneratorParams
from jobs.generate.generator import GeneratedData, generate
from jobs.generate.writer import write

__all__ = ["GeneratedData", "GeneratorParams", "generate", "write"]
