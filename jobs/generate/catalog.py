"""The destination catalogue: built-in nested prefixes, or a real carrier price list, and zone lookup.

Zones are named by the tariffs. The built-in catalogue nests prefixes so that the longest match
matters (``44`` intl_zone1 / ``447`` intl_zone1_mobile / ``449`` intl_high_risk). With a carrier
price list (``DESTINATION,PREFIX,RATE``), international prefixes are grouped into rate bands
``intl_band_1..n`` whose voice price is the band's highest rate; the home country keeps the
built-in national numbering plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from jobs.generate.config import HOME_DATA_ZONE, ROAMING_ZONE, CatalogParams
from jobs.generate.numbering import digit_count

HIGH, NORMAL = "high", "normal"
NATIONAL, NATIONAL_MOBILE, NATIONAL_PREMIUM = "national", "national_mobile", "national_premium"
BAND_PREFIX = "intl_band_"

# (prefix after the home country code, zone, description, risk) for the home country
_HOME = [
    ("", NATIONAL, "Germany fixed", NORMAL),
    *[(a, NATIONAL, f"Germany fixed {c}", NORMAL) for a, c in [
        ("30", "Berlin"), ("40", "Hamburg"), ("89", "Munich"), ("221", "Cologne"),
        ("69", "Frankfurt"), ("711", "Stuttgart"), ("211", "Duesseldorf"), ("341", "Leipzig"),
        ("351", "Dresden"), ("511", "Hannover"), ("911", "Nuremberg"), ("421", "Bremen")]],
    *[(m, NATIONAL_MOBILE, "Germany mobile", NORMAL) for m in ["15", "16", "17"]],
    *[(m, NATIONAL_MOBILE, f"Germany mobile {m}", NORMAL) for m in [
        "151", "152", "155", "157", "159", "160", "162", "163", "170", "171", "172", "173",
        "174", "175", "176", "177", "178", "179"]],
    ("900", NATIONAL_PREMIUM, "Germany premium rate 0900", HIGH),
    ("137", NATIONAL_PREMIUM, "Germany televoting 0137", HIGH),
    ("180", NATIONAL_PREMIUM, "Germany shared cost 0180", NORMAL),
]
_ABROAD = [
    *[(p, "intl_zone1", d, NORMAL) for p, d in [
        ("33", "France"), ("34", "Spain"), ("39", "Italy"), ("43", "Austria"), ("31", "Netherlands"),
        ("32", "Belgium"), ("41", "Switzerland"), ("45", "Denmark"), ("46", "Sweden"),
        ("47", "Norway"), ("48", "Poland"), ("420", "Czech Republic"), ("351", "Portugal"),
        ("353", "Ireland"), ("30", "Greece"), ("36", "Hungary"), ("40", "Romania"),
        ("44", "United Kingdom"), ("358", "Finland"), ("352", "Luxembourg"), ("371", "Latvia"),
        ("370", "Lithuania"), ("372", "Estonia")]],
    *[(p, "intl_zone1_mobile", d, NORMAL) for p, d in [
        ("336", "France mobile"), ("337", "France mobile"), ("346", "Spain mobile"),
        ("347", "Spain mobile"), ("393", "Italy mobile"), ("4366", "Austria mobile"),
        ("4367", "Austria mobile"), ("4368", "Austria mobile"), ("316", "Netherlands mobile"),
        ("447", "United Kingdom mobile"), ("4176", "Switzerland mobile"),
        ("4177", "Switzerland mobile"), ("4178", "Switzerland mobile"), ("4179", "Switzerland mobile"),
        ("485", "Poland mobile"), ("486", "Poland mobile"), ("487", "Poland mobile"),
        ("488", "Poland mobile"), ("3538", "Ireland mobile"), ("3712", "Latvia mobile")]],
    *[(p, "intl_zone2", d, NORMAL) for p, d in [
        ("1", "USA/Canada"), ("7", "Russia"), ("90", "Turkey"), ("380", "Ukraine"), ("381", "Serbia"),
        ("385", "Croatia"), ("386", "Slovenia"), ("387", "Bosnia"), ("355", "Albania"),
        ("359", "Bulgaria"), ("972", "Israel"), ("61", "Australia"), ("81", "Japan"),
        ("82", "South Korea"), ("65", "Singapore")]],
    *[(p, "intl_zone3", d, NORMAL) for p, d in [
        ("86", "China"), ("91", "India"), ("92", "Pakistan"), ("234", "Nigeria"), ("20", "Egypt"),
        ("55", "Brazil"), ("52", "Mexico"), ("62", "Indonesia"), ("63", "Philippines"),
        ("66", "Thailand"), ("84", "Vietnam"), ("212", "Morocco"), ("213", "Algeria"),
        ("216", "Tunisia"), ("27", "South Africa"), ("254", "Kenya"), ("233", "Ghana"),
        ("221", "Senegal"), ("93", "Afghanistan"), ("98", "Iran"), ("964", "Iraq"), ("963", "Syria"),
        ("880", "Bangladesh")]],
    *[(p, "intl_high_risk", d, HIGH) for p, d in [
        ("53", "Cuba"), ("224", "Guinea"), ("232", "Sierra Leone"), ("231", "Liberia"),
        ("252", "Somalia"), ("257", "Burundi"), ("675", "Papua New Guinea"), ("678", "Vanuatu"),
        ("686", "Kiribati"), ("690", "Tokelau"), ("37190", "Latvia premium"),
        ("37181", "Latvia premium"), ("4470", "United Kingdom personal numbering"),
        ("449", "United Kingdom premium rate")]],
    *[(p, "satellite", d, HIGH) for p, d in [
        ("870", "Inmarsat"), ("881", "Global Mobile Satellite System"), ("8816", "Iridium"),
        ("8817", "Iridium"), ("882", "International Networks"), ("88299", "AeroMobile aircraft"),
        ("883", "International Networks")]],
]


@dataclass(frozen=True)
class Catalog:
    """Destinations plus the voice/sms list price of every zone they name."""

    destinations: pd.DataFrame  # prefix, zone, description, risk
    zone_prices: dict[str, tuple[Decimal, Decimal]]

    @property
    def zones(self) -> tuple[str, ...]:
        """Every rating zone: destination zones, then roaming and home (data)."""
        return (*self.zone_prices, ROAMING_ZONE, HOME_DATA_ZONE)

    def zone_code(self, zone: str) -> int:
        return self.zones.index(zone)

    def prefixes_of(self, kind: str, home_cc: str) -> np.ndarray:
        """Prefixes to draw numbers of one kind from (see ``TrafficParams.contact_mix``)."""
        d = self.destinations
        home = d["prefix"].str.startswith(home_cc)
        if kind == NATIONAL:
            rows = home & (d["zone"] == NATIONAL) & (d["prefix"].str.len() > len(home_cc))
        elif kind in (NATIONAL_MOBILE, NATIONAL_PREMIUM):
            rows = home & (d["zone"] == kind)
        elif kind == "international":
            rows = ~home & (d["risk"] == NORMAL)
        elif kind == "high_risk":
            rows = ~home & (d["risk"] == HIGH)
        else:
            raise ValueError(f"unknown number kind {kind!r}")
        return d.loc[rows, "prefix"].to_numpy(dtype=object)


def _frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["prefix", "zone", "description", "risk"])
    return df.drop_duplicates("prefix").sort_values("prefix", ignore_index=True)


def builtin_destinations(home_cc: str) -> pd.DataFrame:
    """The built-in catalogue: the home numbering plan and ~100 nested international prefixes."""
    return _frame([(home_cc + p, z, d, r) for p, z, d, r in _HOME] + list(_ABROAD))


def band_of(rate: Decimal, upper_bounds: tuple[Decimal, ...]) -> int:
    """1-based rate band: the first band whose upper bound exceeds ``rate``."""
    return next((i + 1 for i, ub in enumerate(upper_bounds) if rate < ub), len(upper_bounds) + 1)


def carrier_destinations(path: Path, params: CatalogParams) -> tuple[pd.DataFrame, dict[str, Decimal]]:
    """Read a carrier price list (Latin-1, ``RATE`` with a decimal comma) into banded destinations.

    Returns the destinations (home-country rows dropped: the home plan stays built-in) and each
    band zone's voice price per minute (the band's highest rate).
    """
    raw = pd.read_csv(path, encoding="latin-1", dtype=str, keep_default_na=False)
    missing = {"DESTINATION", "PREFIX", "RATE"} - set(raw.columns)
    if missing:
        raise ValueError(f"{path}: carrier price list lacks columns {sorted(missing)}")
    prefix = raw["PREFIX"].str.strip()
    keep = prefix.str.fullmatch(r"[1-9]\d*") & ~prefix.str.startswith(params.home_country_code)
    raw, prefix = raw[keep], prefix[keep]
    rates = [Decimal(r.strip().replace(",", ".")) for r in raw["RATE"]]
    bands = [band_of(r, params.band_upper_bounds) for r in rates]
    top = len(params.band_upper_bounds) + 1
    names = raw["DESTINATION"].str.strip()
    keyword = names.str.lower().str.contains("|".join(params.high_risk_keywords))
    risk = np.where(keyword.to_numpy() | (np.asarray(bands) == top), HIGH, NORMAL)
    df = _frame(list(zip(prefix, [f"{BAND_PREFIX}{b}" for b in bands], names, risk, strict=True)))
    band_price: dict[str, Decimal] = {}
    for b, r in zip(bands, rates, strict=True):
        zone = f"{BAND_PREFIX}{b}"
        band_price[zone] = max(band_price.get(zone, r), r)
    return df, dict(sorted(band_price.items()))


def build_catalog(params: CatalogParams, destinations_csv: Path | None) -> Catalog:
    """The built-in catalogue, or the home plan plus a carrier price list when one is given."""
    home = builtin_destinations(params.home_country_code)
    if destinations_csv is None:
        used = set(home["zone"])
        prices = {z: p for z, p in params.zone_prices.items() if z in used}
        return Catalog(home, prices)
    home = home[home["prefix"].str.startswith(params.home_country_code)]
    intl, band_price = carrier_destinations(destinations_csv, params)
    prices = {z: params.zone_prices[z] for z in params.zone_prices if z in set(home["zone"])}
    prices.update({z: (p, params.band_sms_price) for z, p in band_price.items()})
    return Catalog(_frame(list(home.itertuples(index=False)) + list(intl.itertuples(index=False))), prices)


class PrefixMatcher:
    """Longest-prefix match of integer numbers against the catalogue, vectorised per prefix length."""

    def __init__(self, catalog: Catalog) -> None:
        d = catalog.destinations
        codes = np.asarray([catalog.zone_code(z) for z in d["zone"]], dtype=np.int64)
        lengths = d["prefix"].str.len().to_numpy()
        self._levels = []
        for length in sorted(set(lengths.tolist()), reverse=True):
            sel = lengths == length
            values = d.loc[sel, "prefix"].astype(np.int64).to_numpy()
            order = np.argsort(values)
            self._levels.append((int(length), values[order], codes[sel][order]))

    def zones(self, numbers: np.ndarray) -> np.ndarray:
        """Zone code of the longest matching prefix of each number, -1 when none matches."""
        numbers = np.asarray(numbers, dtype=np.int64)
        out = np.full(numbers.size, -1, dtype=np.int64)
        ndig = digit_count(numbers)
        for length, values, codes in self._levels:
            todo = (out < 0) & (ndig >= length)
            if not todo.any():
                continue
            head = numbers[todo] // (10 ** (ndig[todo] - length))
            pos = np.clip(np.searchsorted(values, head), 0, values.size - 1)
            hit = values[pos] == head
            idx = np.flatnonzero(todo)
            out[idx[hit]] = codes[pos[hit]]
        return out
