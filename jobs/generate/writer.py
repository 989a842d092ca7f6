"""Write generated data as landing files (contract v1 text) and truth files beside them.

Layout under ``out_dir``::

    landing/network_usage/<YYYY-MM-DD>/<source_system>.<ext>
    landing/billed_usage/<YYYY-MM-DD>/<billing_system>.<ext>
    landing/subscribers/subscribers_<start>.<ext>
    landing/destinations/destinations.<ext>
    landing/tariffs/tariffs.<ext>
    truth/leakage.csv  truth/fraud.csv  truth/summary.json

``ext`` is ``csv``, ``csv.gz`` or ``parquet``. Parquet files hold exactly the CSV text values
(integers as int64, everything else as strings, empty as null). Output is byte-identical for
identical data: gzip headers carry no time or name, JSON keys are sorted.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jobs.generate.clock import eu_offset_s
from jobs.generate.config import FORMATS, SECONDS_PER_DAY, LocalZone
from jobs.generate.events import BILLED_COLUMNS
from jobs.generate.generator import GeneratedData
from jobs.generate.network import NETWORK_COLUMNS
from jobs.generate.text import iso, series

_LOCAL_TIME_SYSTEMS = ("BIL-B",)  # billing systems that write local wall-clock times with offset


def _epoch(ts: pd.Series) -> np.ndarray:
    """Epoch seconds of a tz-aware timestamp column (NaT becomes 0; callers mask it)."""
    missing = ts.isna().to_numpy()
    return np.where(missing, 0, ts.dt.as_unit("s").array.asi8)


def _iso_or_null(ts: pd.Series) -> pd.Series:
    text = iso(_epoch(ts))
    return series(pc.if_else(pa.array(ts.isna().to_numpy()), pa.scalar(None, pa.string()), text))


def _decimal_text(values: pd.Series) -> np.ndarray:
    return np.asarray([None if v is None else format(v, "f") for v in values], dtype=object)


def network_text(df: pd.DataFrame) -> pd.DataFrame:
    """Feed 1 as contract text: UTC ``Z`` timestamps."""
    out = df[NETWORK_COLUMNS].copy()
    out["start_time"] = series(iso(_epoch(df["start_time"])))
    return out


def billed_text(df: pd.DataFrame, zone: LocalZone) -> pd.DataFrame:
    """Feed 2 as contract text: BIL-A in UTC ``Z``, BIL-B in local time with its offset."""
    out = df[BILLED_COLUMNS].copy()
    utc = _epoch(df["start_time"])
    local = df["billing_system"].isin(_LOCAL_TIME_SYSTEMS).to_numpy()
    offset = np.where(local, eu_offset_s(utc, zone), 0)
    out["start_time"] = series(iso(utc, offset))
    out["charge"] = _decimal_text(df["charge"])
    return out


def reference_text(data: GeneratedData) -> dict[str, pd.DataFrame]:
    """Subscribers, destinations and tariffs as contract text."""
    subs = data.subscribers.copy()
    for col in ("activated_at", "terminated_at"):
        subs[col] = _iso_or_null(subs[col])
    tariffs = data.tariffs.copy()
    tariffs["price_per_unit"] = _decimal_text(tariffs["price_per_unit"])
    for col in ("effective_from", "effective_to"):
        tariffs[col] = [None if d is None or pd.isna(d) else d.isoformat() for d in tariffs[col]]
    return {"subscribers": subs, "destinations": data.destinations, "tariffs": tariffs}


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV with header, comma, UTF-8, ``\\n`` line ends, empty field = null, quotes only if needed."""
    try:  # fast path: arrow refuses (raises) when a value would need quoting
        table = pa.Table.from_pandas(df, preserve_index=False)
        sink = io.BytesIO()
        sink.write((",".join(df.columns) + "\n").encode("utf-8"))
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        return sink.getvalue()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_table(df: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write one frame of contract text as ``path`` + ``.csv`` / ``.csv.gz`` / ``.parquet``."""
    target = path.with_name(f"{path.name}.{fmt}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), target)
    elif fmt == "csv.gz":
        target.write_bytes(gzip.compress(csv_bytes(df), mtime=0))
    else:
        target.write_bytes(csv_bytes(df))
    return target


def _partitions(text: pd.DataFrame, utc: np.ndarray, system: pd.Series) -> list[tuple[str, str, pd.DataFrame]]:
    """Split rows by (UTC day, system) keeping their order; one frame per output file."""
    names, code = np.unique(system.to_numpy(dtype=str), return_inverse=True)
    day = utc // SECONDS_PER_DAY
    order = np.lexsort((day, code))
    bounds = np.flatnonzero(np.diff(day[order]) | np.diff(code[order])) + 1
    out = []
    for part in np.split(order, bounds):
        if part.size:
            first = part[0]
            label = str(np.datetime64(int(day[first]), "D"))
            out.append((label, str(names[code[first]]), text.iloc[np.sort(part)]))
    return out


def write(data: GeneratedData, out_dir: Path | str, fmt: str = "csv") -> list[Path]:
    """Write every landing file and the truth files; returns the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    out = Path(out_dir)
    landing, written = out / "landing", []
    net = network_text(data.network_usage)
    for day, system, part in _partitions(net, _epoch(data.network_usage["start_time"]),
                                         data.network_usage["source_system"]):
        written.append(write_table(part, landing / "network_usage" / day / system, fmt))
    billed = billed_text(data.billed_usage, data.params.local_time)
    for day, system, part in _partitions(billed, _epoch(data.billed_usage["start_time"]),
                                         data.billed_usage["billing_system"]):
        written.append(write_table(part, landing / "billed_usage" / day / system, fmt))
    ref = reference_text(data)
    written.append(write_table(ref["subscribers"], landing / "subscribers" / f"subscribers_{data.params.start}", fmt))
    written.append(write_table(ref["destinations"], landing / "destinations" / "destinations", fmt))
    written.append(write_table(ref["tariffs"], landing / "tariffs" / "tariffs", fmt))
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    leak = data.leakage.copy()
    for col in ("expected_charge", "billed_charge", "amount_at_risk"):
        leak[col] = _decimal_text(leak[col])
    for name, df in (("leakage", leak), ("fraud", data.fraud)):
        (truth / f"{name}.csv").write_bytes(df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        written.append(truth / f"{name}.csv")
    (truth / "summary.json").write_text(json.dumps(data.summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(truth / "summary.json")
    return written
