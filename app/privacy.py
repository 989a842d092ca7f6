"""Personal data masking: MSISDN, IMSI and IMEI for roles without the ``pii`` permission.

Masking happens in one place, on the frames a page is about to show or export, so every page and
every CSV goes through it. Number columns (:data:`PII_COLUMNS`) are masked whole; free text
(titles, reasons, notes, raw quarantined rows, case subjects) has each run of at least
``min_digits`` digits masked, so a number cannot leak through a sentence either.
``4915123456723`` becomes ``49151******23`` with the default 5 + 2 digits kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

# Columns holding a subscriber or party identifier (B-numbers are MSISDNs too).
PII_COLUMNS = ("msisdn", "imsi", "imei", "other_party", "a_number", "b_number")
# Columns of free text or mixed subjects that may contain such a number.
TEXT_COLUMNS = ("subject", "title", "root_cause", "reasons", "details", "note", "raw", "label")


@dataclass(frozen=True)
class MaskPolicy:
    """How to mask; ``enabled`` is False for roles allowed to see personal data."""

    enabled: bool = True
    keep_prefix: int = 5
    keep_suffix: int = 2
    mask_char: str = "*"
    min_digits: int = 8

    @classmethod
    def from_config(cls, pii_cfg: Mapping[str, Any], enabled: bool) -> MaskPolicy:
        return cls(
            enabled=enabled,
            keep_prefix=int(pii_cfg.get("keep_prefix", 5)),
            keep_suffix=int(pii_cfg.get("keep_suffix", 2)),
            mask_char=str(pii_cfg.get("mask_char", "*"))[:1] or "*",
            min_digits=int(pii_cfg.get("min_digits", 8)),
        )

    @property
    def _pattern(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![0-9])\+?[0-9]{{{self.min_digits},}}(?![0-9])")

    def number(self, value: Any) -> Any:
        """Mask one identifier; short codes (fewer than ``min_digits`` digits) stay readable."""
        if not self.enabled or value is None or (isinstance(value, float) and pd.isna(value)):
            return value
        text = str(value)
        digits = text.lstrip("+")
        if len(digits) < self.min_digits:
            return text
        sign = text[: len(text) - len(digits)]
        hidden = max(len(digits) - self.keep_prefix - self.keep_suffix, 1)
        head = digits[: self.keep_prefix]
        tail = digits[len(digits) - self.keep_suffix :] if self.keep_suffix else ""
        return f"{sign}{head}{self.mask_char * hidden}{tail}"

    def text(self, value: Any) -> Any:
        """Mask every long digit run inside free text."""
        if not self.enabled or not isinstance(value, str):
            return value
        return self._pattern.sub(lambda m: self.number(m.group(0)), value)

    def frame(
        self,
        df: pd.DataFrame,
        numbers: Iterable[str] = PII_COLUMNS,
        texts: Iterable[str] = TEXT_COLUMNS,
    ) -> pd.DataFrame:
        """A masked copy of ``df`` (only the columns it has); the input is left untouched."""
        if not self.enabled or df.empty:
            return df
        out = df.copy()
        for col in numbers:
            if col in out.columns:
                out[col] = out[col].map(self.number, na_action="ignore")
        for col in texts:
            if col in out.columns and out[col].dtype == object:
                out[col] = out[col].map(self.text, na_action="ignore")
        return out

    def labels(self, values: Iterable[Any]) -> list[Any]:
        """Mask chart labels (destinations, subjects)."""
        return [self.text(v) if isinstance(v, str) else v for v in values]
