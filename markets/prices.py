"""Wholesale energy and ancillary capacity prices on a validated time grid.

:class:`MarketPrices` wraps one DataFrame of prices on a tz-aware, fixed-step, interval-beginning
index (see :mod:`core.timegrid`). Prices are stored in kW units, converted once where they are
read (:func:`read_prices_csv` and :mod:`markets.loaders`). Column names carry their unit:

``energy_da_usd_per_kwh``, ``energy_rt_usd_per_kwh`` (and any ``<name>_usd_per_kwh``)
    Energy prices [$/kWh]; may be negative.
``<product>_usd_per_kw_h`` (e.g. ``reg_up_usd_per_kw_h``, ``spin_usd_per_kw_h``)
    Capacity prices: dollars per kW of award held for one hour [$/kW/h]. An award of ``a`` kW over
    a step of ``dt_h`` hours earns ``a * dt_h * price``. ISOs publish these in $/MW per hour
    ("$/MW", "$/MWh" for capacity); divide by 1000.
``<product>_mileage_usd_per_kw`` (e.g. ``reg_up_mileage_usd_per_kw``)
    Pay-for-performance (mileage) prices: dollars per kW of instructed mileage [$/kW]. ISOs
    publish $/MW (CAISO, SPP, MISO) or $/ΔMW (PJM RMPCP); divide by 1000.

Nothing here fills, shifts or resamples a series unless the caller asks for it by name
(:meth:`MarketPrices.to_step`).
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.plausibility import check_market_prices
from core.series import parse_timestamps, read_csv_frame
from core.timegrid import step_hours, validate_index
from core.validation import validate_frame

__all__ = [
    "CAPACITY_SUFFIX",
    "ENERGY_DA",
    "ENERGY_RT",
    "ENERGY_SUFFIX",
    "MILEAGE_SUFFIX",
    "MarketPrices",
    "PriceColumn",
    "PriceKind",
    "PriceUnit",
    "TimeLabel",
    "convert_columns",
    "localize_labels",
    "price_kind",
    "read_prices_csv",
]

logger = logging.getLogger(__name__)

ENERGY_DA = "energy_da_usd_per_kwh"
"""Day-ahead energy price column [$/kWh]."""
ENERGY_RT = "energy_rt_usd_per_kwh"
"""Real-time energy price column [$/kWh]."""
ENERGY_SUFFIX = "_usd_per_kwh"
CAPACITY_SUFFIX = "_usd_per_kw_h"
MILEAGE_SUFFIX = "_mileage_usd_per_kw"

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class PriceKind(enum.Enum):
    """What a price column prices, decided by its name's suffix."""

    ENERGY = "energy"
    """Energy [$/kWh]."""
    CAPACITY = "capacity"
    """Capacity held [$/kW per hour of award]."""
    MILEAGE = "mileage"
    """Instructed mileage [$/kW of mileage]."""


def price_kind(name: str) -> PriceKind:
    """Return the kind of the price column ``name`` from its unit suffix.

    Raises
    ------
    InputError
        If ``name`` is not lower-case snake case or ends in none of ``_usd_per_kwh``,
        ``_usd_per_kw_h`` or ``_mileage_usd_per_kw``.
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InputError("price column", name, "a lower-case snake_case name")
    if name.endswith(MILEAGE_SUFFIX):
        return PriceKind.MILEAGE
    if name.endswith(CAPACITY_SUFFIX):
        return PriceKind.CAPACITY
    if name.endswith(ENERGY_SUFFIX):
        return PriceKind.ENERGY
    raise InputError(
        "price column",
        name,
        f"a name ending in {ENERGY_SUFFIX!r} (energy), {CAPACITY_SUFFIX!r} (capacity) "
        f"or {MILEAGE_SUFFIX!r} (mileage)",
    )


class PriceUnit(enum.Enum):
    """The unit a price is published in; the per-MW units are divided by 1000 once, on read.

    The same member covers the energy, capacity and mileage readings of "per MW": $/MWh of
    energy, $/MW per hour of capacity, $/MW of mileage.
    """

    USD_PER_MWH = "usd_per_mwh"
    """$/MWh (energy), $/MW/h (capacity), $/MW (mileage)."""
    USD_PER_KWH = "usd_per_kwh"
    """$/kWh (energy), $/kW/h (capacity), $/kW (mileage): no conversion."""

    @property
    def factor_to_kw(self) -> float:
        """Multiplier from this unit to the kW-based unit of valuestack."""
        return 1e-3 if self is PriceUnit.USD_PER_MWH else 1.0


class TimeLabel(enum.Enum):
    """Which end of its interval a timestamp in a file labels."""

    BEGINNING = "beginning"
    ENDING = "ending"
    """Hour-ending style: the label is the end of the interval (e.g. HE 01 = 00:00-01:00)."""


@dataclass(frozen=True, kw_only=True)
class PriceColumn:
    """How one column of a file becomes one price column.

    Parameters
    ----------
    source : str
        Column name in the file.
    name : str
        valuestack column name, with its unit suffix (see the module docstring).
    unit : PriceUnit
        The unit the file uses for this column.
    """

    source: str
    name: str
    unit: PriceUnit

    def __post_init__(self) -> None:
        if not isinstance(self.source, str) or not self.source:
            raise InputError("PriceColumn.source", self.source, "a non-empty column name")
        price_kind(self.name)
        if not isinstance(self.unit, PriceUnit):
            raise InputError("PriceColumn.unit", self.unit, f"one of {list(PriceUnit)}")


@dataclass(frozen=True, kw_only=True)
class MarketPrices:
    """Energy, capacity and mileage prices on one validated time grid.

    Parameters
    ----------
    frame : pandas.DataFrame
        One column per price, named with its unit (module docstring), numeric and finite, on a
        tz-aware, fixed-step, interval-beginning ``DatetimeIndex``. The frame is copied on
        construction (copy-on-write makes this cheap), so later edits to the caller's frame do
        not reach it.
    """

    frame: pd.DataFrame

    def __post_init__(self) -> None:
        frame = self.frame
        if not isinstance(frame, pd.DataFrame):
            raise InputError("MarketPrices.frame", type(frame).__name__, "a pandas.DataFrame")
        if frame.shape[1] == 0:
            raise InputError("MarketPrices.frame.columns", [], "at least one price column")
        if frame.columns.has_duplicates:
            dup = list(frame.columns[frame.columns.duplicated()])
            raise InputError("MarketPrices.frame.columns", dup, "unique column names")
        for column in frame.columns:
            price_kind(column)
        validate_index(frame.index, name="MarketPrices.frame.index")
        validate_frame(frame, name="MarketPrices.frame", columns=list(frame.columns))
        object.__setattr__(self, "frame", frame.copy())

    @property
    def index(self) -> pd.DatetimeIndex:
        """The interval-beginning time index."""
        return self.frame.index

    @property
    def dt_h(self) -> float:
        """Step length [h]."""
        return step_hours(self.frame.index, name="MarketPrices.frame.index")

    @property
    def columns(self) -> tuple[str, ...]:
        """The price column names."""
        return tuple(self.frame.columns)

    def has(self, name: str) -> bool:
        """True if the price column ``name`` is present."""
        return name in self.frame.columns

    def series(self, name: str) -> pd.Series:
        """The price column ``name``.

        Raises
        ------
        InputError
            If the column is absent (the message lists the columns present).
        """
        if name not in self.frame.columns:
            raise InputError("MarketPrices column", name, f"one of {list(self.frame.columns)}")
        return self.frame[name]

    def require(self, names: Sequence[str], *, field: str = "MarketPrices") -> None:
        """Raise ``InputError`` naming the first of ``names`` that is absent."""
        missing = [n for n in names if n not in self.frame.columns]
        if missing:
            raise InputError(
                f"{field}.columns",
                list(self.frame.columns),
                f"columns including {missing}",
            )

    def select(self, names: Sequence[str]) -> MarketPrices:
        """A new :class:`MarketPrices` with only the columns ``names`` (in that order)."""
        self.require(names)
        return MarketPrices(frame=self.frame.loc[:, list(names)])

    def on(self, index: pd.DatetimeIndex) -> MarketPrices:
        """The prices on exactly ``index``, which must be a run of this object's labels.

        Parameters
        ----------
        index : pandas.DatetimeIndex
            A valid time index with the same step as this object, every label present here.

        Raises
        ------
        InputError
            If a label of ``index`` is not one of this object's labels.
        """
        validate_index(index, name="index")
        missing = index.difference(self.frame.index)
        if len(missing):
            raise InputError(
                "index",
                f"{len(missing)} labels not in the prices, first {missing[0]}",
                f"labels within the prices' index ({self.frame.index[0]} to "
                f"{self.frame.index[-1]}, step {self.dt_h} h)",
            )
        return MarketPrices(frame=self.frame.loc[index])

    def between(self, start: str | pd.Timestamp, end: str | pd.Timestamp) -> MarketPrices:
        """The prices of the intervals that begin in ``[start, end)``.

        ``start`` and ``end`` are read in the index's zone when naive.
        """
        tz = self.frame.index.tz
        start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
        if start_ts.tzinfo is None:
            start_ts = start_ts.tz_localize(tz)
        if end_ts.tzinfo is None:
            end_ts = end_ts.tz_localize(tz)
        if end_ts <= start_ts:
            raise InputError("end", str(end_ts), f"a time after start={start_ts}")
        keep = (self.frame.index >= start_ts) & (self.frame.index < end_ts)
        if not keep.any():
            raise InputError(
                "start",
                str(start_ts),
                f"a range overlapping {self.frame.index[0]} to {self.frame.index[-1]}",
            )
        return MarketPrices(frame=self.frame.loc[keep])

    def to_step(self, freq: str) -> MarketPrices:
        """Re-express the prices on a step of ``freq``; an explicit, documented change of grid.

        A finer step repeats each price over the sub-intervals it covers (a price for an hour
        holds for each of its quarter hours: correct for $/kWh and for $/kW/h, which are rates).
        A coarser step takes the mean of each run of ``n`` sub-intervals counted from the first
        label (equal steps, so this is the time-weighted mean); the length must be a multiple
        of ``n``.

        Parameters
        ----------
        freq : str
            The new step, e.g. ``"15min"`` or ``"1h"``; must divide or be a multiple of the
            current step.
        """
        old = pd.Timedelta(hours=self.dt_h)
        try:
            new = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
        except (ValueError, TypeError) as exc:
            raise InputError("freq", freq, "a fixed frequency such as '15min' or '1h'") from exc
        if new == old:
            return self
        index = self.frame.index
        if new < old:
            if old % new != pd.Timedelta(0):
                raise InputError("freq", freq, f"a step that divides {old}")
            n = int(old / new)
            new_index = pd.date_range(index[0], periods=len(index) * n, freq=new)
            values = np.repeat(self.frame.to_numpy(dtype=float), n, axis=0)
            frame = pd.DataFrame(values, index=new_index, columns=self.frame.columns)
            return MarketPrices(frame=frame)
        if new % old != pd.Timedelta(0):
            raise InputError("freq", freq, f"a multiple of the current step {old}")
        n = int(new / old)
        if len(index) % n:
            raise InputError(
                "freq", freq, f"a step whose intervals are fully covered ({len(index)} % {n} != 0)"
            )
        values = self.frame.to_numpy(dtype=float).reshape(len(index) // n, n, -1).mean(axis=1)
        new_index = pd.date_range(index[0], periods=len(index) // n, freq=new)
        frame = pd.DataFrame(values, index=new_index, columns=self.frame.columns)
        return MarketPrices(frame=frame)


def localize_labels(
    labels: pd.Series | pd.Index, *, tz: str, field: str, format: str | None = None
) -> pd.DatetimeIndex:
    """Parse timestamps from a file into a tz-aware index in zone ``tz`` (:mod:`core.series`).

    Labels that carry a UTC offset (ISO 8601, e.g. ``2024-01-01 00:00:00-06:00``) are
    converted to ``tz``; naive labels are read as wall-clock time in ``tz``. A naive label
    that does not exist in ``tz`` (spring-forward) or is ambiguous (fall-back) raises: the
    file's convention must be resolved by the caller (see
    :func:`markets.loaders.wall_clock_positions`). ``format`` is a ``strftime`` pattern for
    the labels; None lets pandas infer it (ISO 8601 is read unambiguously).

    Raises
    ------
    InputError
        On unparseable labels, an unknown zone, or a nonexistent / ambiguous wall-clock label.
    """
    return parse_timestamps(labels, tz=tz, field=field, format=format or "mixed")


def convert_columns(
    raw: pd.DataFrame, columns: Sequence[PriceColumn], index: pd.DatetimeIndex, field: str
) -> pd.DataFrame:
    """Take ``columns`` from the rows of ``raw`` (row ``i`` labelled ``index[i]``), converted.

    Each value must be a finite number; per-MW units are divided by 1000.
    """
    missing = [c.source for c in columns if c.source not in raw.columns]
    if missing:
        raise InputError(f"{field}.columns", list(raw.columns), f"columns including {missing}")
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise InputError("columns", names, "distinct valuestack names")
    data = {}
    for column in columns:
        values = pd.to_numeric(raw[column.source], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.argmax(bad))
            raise InputError(
                f"{field}.{column.source}",
                f"{raw[column.source].iloc[first]!r} at {index[first]}",
                "a finite number in every row (nothing is filled)",
            )
        data[column.name] = values * column.unit.factor_to_kw
    return pd.DataFrame(data, index=index.rename(None))


def read_prices_csv(
    path: str | Path,
    *,
    time_column: str,
    tz: str,
    columns: Sequence[PriceColumn],
    time_label: TimeLabel = TimeLabel.BEGINNING,
) -> MarketPrices:
    """Read a CSV of prices with one row per interval into :class:`MarketPrices`.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    time_column : str
        The timestamp column.
    tz : str
        IANA zone: the zone of naive labels, and the zone of the returned index.
    columns : sequence of PriceColumn
        Which columns to read, their valuestack names and their units; each is converted once
        (per-MW prices divided by 1000).
    time_label : TimeLabel, default TimeLabel.BEGINNING
        ``ENDING`` for hour-ending files: every label is moved back by one step (measured in
        absolute time) to the start of its interval.

    Returns
    -------
    MarketPrices

    Raises
    ------
    InputError
        On a missing column, an unparseable or non-finite value, labels that are not a
        fixed-step series, or wall-clock labels that do not exist in ``tz``.
    """
    path = Path(path)
    if not columns:
        raise InputError("columns", columns, "at least one PriceColumn")
    if not isinstance(time_label, TimeLabel):
        raise InputError("time_label", time_label, f"one of {list(TimeLabel)}")
    raw = read_csv_frame(path, field="path", required=(("time_column", time_column),))
    index = localize_labels(raw[time_column], tz=tz, field=f"{path.name}.{time_column}")
    if time_label is TimeLabel.ENDING:
        if len(index) < 2:
            raise InputError(f"{path.name}", f"{len(index)} rows", "at least 2 rows")
        index = index - (index[1] - index[0])
    try:
        index = validate_index(index, name=f"{path.name}.{time_column}")
    except InputError as exc:
        raise InputError(
            exc.field,
            exc.value,
            f"{exc.expected}; a file with gaps is read by "
            "markets.price_gaps.read_prices_csv_with_gaps (gaps recorded, left unpriced)",
        ) from exc
    frame = convert_columns(raw, columns, index, path.name)
    check_market_prices(frame, field=path.name)
    logger.info("read %d rows x %d prices from %s", len(frame), frame.shape[1], path)
    return MarketPrices(frame=frame)
