"""Price series with gaps: the data that is present, plus a record of what is missing.

Real market files have holes (CAISO's 2025 ancillary prices miss three days; two files
joined on time rarely start on the same hour). :class:`MarketPrices` holds one gapless run,
so a file with a hole cannot be one object; refusing the whole file for one hole would throw
away years of good data. The policy here:

* A gap never refuses a file. :func:`split_at_gaps` cuts the rows into contiguous runs
  (:attr:`GappedPrices.segments`, each a valid :class:`MarketPrices`) and writes every missing
  interval into :attr:`GappedPrices.gaps` (first and last missing label, how many intervals,
  which columns were absent).
* Nothing is filled or interpolated: a missing interval is **left unpriced**. A run over a
  period with a gap simulates each segment of the period on its own (the battery is idle and
  its state of charge carried over the gap) and reports the skipped intervals
  (:meth:`GappedPrices.gaps_between`).
* What still refuses a file: labels out of order or duplicated, a step that is not a whole
  multiple of the file's step, a non-finite value in a present row (those are errors in the
  data, not holes in it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.plausibility import check_market_prices
from core.series import numeric_values, read_csv_frame
from markets.prices import MarketPrices, PriceColumn, TimeLabel, localize_labels

__all__ = [
    "GAP_COLUMNS",
    "GappedPrices",
    "combine",
    "on_grid",
    "read_prices_csv_with_gaps",
    "split_at_gaps",
]

logger = logging.getLogger(__name__)

GAP_COLUMNS = ("first_missing", "last_missing", "missing_intervals", "missing_columns", "source")
"""Columns of a gap record: labels of the first and last missing interval (interval-beginning),
their count, the price columns absent there ('all' for missing rows) and the file(s)."""


def _empty_gaps() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in GAP_COLUMNS})


@dataclass(frozen=True, kw_only=True)
class GappedPrices:
    """Prices as contiguous segments on one step, plus the record of the missing intervals.

    Parameters
    ----------
    segments : tuple of MarketPrices
        Gapless runs in time order, with the same step and the same columns, not overlapping.
    gaps : pandas.DataFrame
        One row per run of missing intervals, columns :data:`GAP_COLUMNS`.
    """

    segments: tuple[MarketPrices, ...]
    gaps: pd.DataFrame

    def __post_init__(self) -> None:
        if not self.segments or not all(isinstance(s, MarketPrices) for s in self.segments):
            raise InputError("GappedPrices.segments", self.segments, "at least one MarketPrices")
        first = self.segments[0]
        for k, seg in enumerate(self.segments[1:], start=1):
            if seg.columns != first.columns or seg.dt_h != first.dt_h:
                raise InputError(
                    f"GappedPrices.segments[{k}]",
                    f"{seg.columns} at {seg.dt_h} h",
                    f"the columns {first.columns} at {first.dt_h} h",
                )
            if seg.index[0] <= self.segments[k - 1].index[-1]:
                raise InputError(
                    f"GappedPrices.segments[{k}]", str(seg.index[0]), "segments in time order"
                )
        missing = [c for c in GAP_COLUMNS if c not in self.gaps.columns]
        if missing:
            raise InputError("GappedPrices.gaps.columns", list(self.gaps.columns), f"{missing}")

    @property
    def columns(self) -> tuple[str, ...]:
        """The price column names."""
        return self.segments[0].columns

    @property
    def dt_h(self) -> float:
        """Step length [h]."""
        return self.segments[0].dt_h

    @property
    def n_missing(self) -> int:
        """Number of missing intervals in the record."""
        return int(self.gaps["missing_intervals"].sum()) if len(self.gaps) else 0

    @property
    def frame(self) -> pd.DataFrame:
        """Every present interval in one frame (its index jumps over the gaps)."""
        return pd.concat([s.frame for s in self.segments])

    def only(self) -> MarketPrices:
        """The single segment; an :class:`InputError` quoting the gaps if there are several."""
        if len(self.segments) > 1:
            row = self.gaps.iloc[0]
            raise InputError(
                "prices",
                f"{len(self.gaps)} gaps, first {row['first_missing']} .. {row['last_missing']}",
                "one gapless run (use .segments or .between() to work around the gaps)",
            )
        return self.segments[0]

    def between(self, start: str | pd.Timestamp, end: str | pd.Timestamp) -> list[MarketPrices]:
        """The gapless pieces of the intervals that begin in ``[start, end)`` (may be empty)."""
        tz = self.segments[0].index.tz
        start_ts, end_ts = (_stamp(v, tz) for v in (start, end))
        pieces = []
        for seg in self.segments:
            keep = (seg.index >= start_ts) & (seg.index < end_ts)
            if keep.any():
                pieces.append(MarketPrices(frame=seg.frame.loc[keep]))
        return pieces

    def gaps_between(self, start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DataFrame:
        """The gap rows that overlap ``[start, end)``, clipped to it, counts recomputed."""
        tz = self.segments[0].index.tz
        start_ts, end_ts = (_stamp(v, tz) for v in (start, end))
        step = pd.Timedelta(hours=self.dt_h)
        rows = []
        for _, row in self.gaps.iterrows():
            first = max(pd.Timestamp(row["first_missing"]), start_ts)
            last = min(pd.Timestamp(row["last_missing"]), end_ts - step)
            if last >= first:
                n = int((last - first) / step) + 1
                rows.append({**row.to_dict(), "first_missing": first, "last_missing": last,
                             "missing_intervals": n})  # fmt: skip
        return pd.DataFrame(rows, columns=list(GAP_COLUMNS)) if rows else _empty_gaps()

    def select(self, names: Sequence[str]) -> GappedPrices:
        """Only the columns ``names`` (the gap record is kept as is)."""
        return GappedPrices(segments=tuple(s.select(names) for s in self.segments), gaps=self.gaps)

    def with_columns(self, extra: dict[str, float]) -> GappedPrices:
        """Add constant price columns (e.g. an assumed flat energy price) to every segment."""
        segs = []
        for seg in self.segments:
            frame = seg.frame.copy()
            for name, value in extra.items():
                frame[name] = float(value)
            segs.append(MarketPrices(frame=frame))
        return GappedPrices(segments=tuple(segs), gaps=self.gaps)


def _stamp(value: str | pd.Timestamp, tz: object) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of every run of True in ``flags`` (stop exclusive)."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _step_of(index: pd.DatetimeIndex, field: str) -> pd.Timedelta:
    if len(index) < 2:
        raise InputError(field, f"{len(index)} labels", "at least 2 labels")
    if index.has_duplicates:
        raise InputError(field, f"duplicate label {index[index.duplicated()][0]}", "unique labels")
    diffs = np.diff(index.as_unit("ns").asi8)
    if (diffs <= 0).any():
        bad = int(np.argmax(diffs <= 0))
        raise InputError(field, f"{index[bad + 1]} after {index[bad]}", "increasing labels")
    step = int(np.min(diffs))
    if (diffs % step).any():
        bad = int(np.argmax(diffs % step != 0))
        raise InputError(
            field,
            f"{index[bad]} -> {index[bad + 1]}",
            f"labels a whole number of {pd.Timedelta(step, unit='ns')} steps apart",
        )
    return pd.Timedelta(step, unit="ns")


def split_at_gaps(frame: pd.DataFrame, *, field: str, source: str = "") -> GappedPrices:
    """Cut a price frame on a possibly gapped index into segments and a gap record.

    Parameters
    ----------
    frame : pandas.DataFrame
        Price columns (named with their units) on a tz-aware, increasing index whose steps
        are whole multiples of the smallest step. A NaN marks a missing value: a row with any
        NaN counts as missing (its columns are named in the record).
    field : str
        Name in error messages.
    source : str, default ""
        File name(s) written into the gap record.

    Returns
    -------
    GappedPrices
    """
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        raise InputError(field, "naive index", "a tz-aware index")
    step = _step_of(index, field)
    full = pd.date_range(index[0], index[-1], freq=step)
    grid = frame.reindex(full)
    values = grid.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise InputError(field, "an infinite price", "finite prices")
    present = ~np.isnan(values).any(axis=1)
    rows = []
    for a, b in _runs(~present):
        absent_rows = ~full[a:b].isin(index)
        cols = [c for c in grid.columns if grid[c].iloc[a:b].isna().any()]
        rows.append(
            {
                "first_missing": full[a],
                "last_missing": full[b - 1],
                "missing_intervals": b - a,
                "missing_columns": "all"
                if absent_rows.all() or len(cols) == grid.shape[1]
                else ";".join(cols),
                "source": source,
            }
        )
        logger.warning(
            "%s: %d intervals missing %s .. %s (left unpriced)", field, b - a, full[a], full[b - 1]
        )
    segments = []
    for a, b in _runs(present):
        seg = grid.iloc[a:b]
        seg.index = pd.DatetimeIndex(seg.index, freq=step)
        segments.append(MarketPrices(frame=seg))
    if not segments:
        raise InputError(field, "no interval with every price present", "some prices")
    gaps = pd.DataFrame(rows, columns=list(GAP_COLUMNS)) if rows else _empty_gaps()
    return GappedPrices(segments=tuple(segments), gaps=gaps)


def combine(
    parts: Sequence[GappedPrices], *, field: str = "prices", source: str = ""
) -> GappedPrices:
    """Join price sets on time: an interval is present where every part prices it.

    The joined record holds the intervals inside the overall span (first to last label of
    any part) where some part is missing, with the columns that are absent. Columns must be
    distinct across parts and the steps equal.
    """
    if not parts:
        raise InputError(field, [], "at least one GappedPrices")
    steps = {p.dt_h for p in parts}
    if len(steps) != 1:
        raise InputError(field, sorted(steps), "parts on one step (use to_step first)")
    names = [c for p in parts for c in p.columns]
    if len(set(names)) != len(names):
        raise InputError(field, names, "distinct column names across parts")
    frame = pd.concat([p.frame for p in parts], axis=1, join="outer", sort=True)
    return split_at_gaps(frame, field=field, source=source)


def read_prices_csv_with_gaps(
    path: str | Path,
    *,
    time_column: str,
    tz: str,
    columns: Sequence[PriceColumn],
    time_label: TimeLabel = TimeLabel.BEGINNING,
) -> GappedPrices:
    """:func:`markets.prices.read_prices_csv` for files with holes: gaps recorded, not refused.

    Missing rows and empty cells become missing intervals of the gap record (module
    docstring); the arguments are those of :func:`~markets.prices.read_prices_csv`. With
    ``TimeLabel.ENDING`` every label moves back by the file's smallest step.
    """
    path = Path(path)
    if not columns:
        raise InputError("columns", columns, "at least one PriceColumn")
    raw = read_csv_frame(path, field="path", required=(("time_column", time_column),))
    missing = [c.source for c in columns if c.source not in raw.columns]
    if missing:
        raise InputError(f"{path.name}.columns", list(raw.columns), f"columns including {missing}")
    index = localize_labels(raw[time_column], tz=tz, field=f"{path.name}.{time_column}")
    if time_label is TimeLabel.ENDING:
        index = index - _step_of(index, f"{path.name}.{time_column}")
    data = {
        c.name: numeric_values(raw, c.source, field=f"{path.name}.{c.source}", allow_missing=True)
        * c.unit.factor_to_kw
        for c in columns
    }
    frame = pd.DataFrame(data, index=index.rename(None))
    check_market_prices(frame.dropna(), field=path.name)
    return split_at_gaps(frame, field=path.name, source=path.name)


def _restep(frame: pd.DataFrame, old: pd.Timedelta, new: pd.Timedelta, field: str) -> pd.DataFrame:
    """:meth:`MarketPrices.to_step` on a frame with NaN rows; a NaN stays NaN (never filled)."""
    if new == old:
        return frame
    values = frame.to_numpy(dtype=float)
    if new < old:
        if old % new != pd.Timedelta(0):
            raise InputError(field, f"{old} prices", f"a simulation step that divides {old}")
        n = int(old / new)
        index = pd.date_range(frame.index[0], periods=len(frame) * n, freq=new)
        return pd.DataFrame(np.repeat(values, n, axis=0), index=index, columns=frame.columns)
    if new % old != pd.Timedelta(0):
        raise InputError(field, f"{old} prices", f"a simulation step that is a multiple of {old}")
    n = int(new / old)
    if len(frame) % n:
        raise InputError(field, f"{len(frame)} steps of {old}", f"a whole number of {new} steps")
    means = values.reshape(len(frame) // n, n, -1).mean(axis=1)  # NaN if any part is NaN
    index = pd.date_range(frame.index[0], periods=len(frame) // n, freq=new)
    return pd.DataFrame(means, index=index, columns=frame.columns)


def on_grid(prices: GappedPrices, index: pd.DatetimeIndex, *, field: str) -> pd.DataFrame:
    """The prices on exactly ``index``, re-expressed on its step; NaN rows where unpriced.

    The span of the prices (first to last label of the file, gaps included) is laid on its step with
    NaN in the gaps, re-expressed on ``index``'s step as :meth:`MarketPrices.to_step` does (a
    finer step repeats a price; a coarser step averages, and an average over any missing part
    is missing), then cut to ``index``. Nothing is filled: what to do in a NaN row is the
    caller's policy.

    Raises
    ------
    InputError
        Naming ``field`` if a label of ``index`` is outside the prices' span, or the steps do
        not divide each other.
    """
    index = pd.DatetimeIndex(index)
    step = index[1] - index[0]
    frame = prices.frame
    own = pd.Timedelta(hours=prices.dt_h)
    ends = [frame.index[0], frame.index[-1]]
    if len(prices.gaps):  # the file's own span includes leading and trailing empty rows
        ends += [pd.Timestamp(t) for t in prices.gaps[["first_missing", "last_missing"]].stack()]
    full = frame.reindex(pd.date_range(min(ends), max(ends), freq=own))
    grid = _restep(full, own, step, field)
    outside = index.difference(grid.index)
    if len(outside):
        raise InputError(
            field,
            f"prices from {grid.index[0]} to {grid.index[-1]}",
            f"prices spanning every simulated interval (first outside {outside[0]})",
        )
    return grid.loc[index]
