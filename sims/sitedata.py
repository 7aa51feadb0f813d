"""A site's actual data: load and PV on the simulation grid, and its tariff (the I/O edge).

CSV files carry an interval-start timestamp column and one numeric column per series, read by
the one series reader (:mod:`core.series`): labels with a UTC offset (ISO 8601, e.g.
``2025-03-09T03:00:00-07:00``; ``Z`` for UTC) are converted to the site's zone; naive labels are
wall-clock time in the site's zone, and a DST-ambiguous or nonexistent one is an error (nothing
here guesses).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.plausibility import check_battery_duration, check_battery_size, check_load_kw
from core.series import read_series_csv as core_read_series_csv
from core.timegrid import validate_index
from core.validation import validate_series
from markets.tariff import Tariff
from sims.config import STEPS, BacktestConfig

__all__ = ["SiteData", "change_step", "load_site_data", "read_series_csv"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class SiteData:
    """Actual data of one site on the simulation grid.

    Parameters
    ----------
    load_kw : pandas.Series
        Actual load [kW], >= 0, on a tz-aware fixed-step index in the site's zone.
    pv_kw : pandas.Series or None
        Actual PV available [kW], >= 0, on the same index; None for no PV.
    tariff : Tariff
        The retail tariff.
    """

    load_kw: pd.Series
    pv_kw: pd.Series | None
    tariff: Tariff

    def __post_init__(self) -> None:
        validate_series(self.load_kw, name="load_kw", nonnegative=True)
        validate_index(self.load_kw.index, name="load_kw.index", min_length=2)
        if self.pv_kw is not None:
            validate_series(self.pv_kw, name="pv_kw", index=self.load_kw.index, nonnegative=True)
        if not isinstance(self.tariff, Tariff):
            raise InputError("tariff", type(self.tariff).__name__, "a markets Tariff")

    @property
    def index(self) -> pd.DatetimeIndex:
        """The simulation grid."""
        return self.load_kw.index

    @property
    def net_load_kw(self) -> pd.Series:
        """Load less PV [kW] (the meter without a battery, before any export limit)."""
        pv = 0.0 if self.pv_kw is None else self.pv_kw
        return (self.load_kw - pv).rename("net_load_kw")


def read_series_csv(
    path: str | Path, *, column: str, timestamp_column: str, timezone: str, name: str
) -> pd.Series:
    """Read one numeric kW series from a CSV (by :func:`core.series.read_series_csv`).

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    column : str
        The value column [kW].
    timestamp_column : str
        The interval-start timestamp column: ISO 8601 with a UTC offset, or naive wall-clock
        time in ``timezone`` (a DST-ambiguous or nonexistent local time is an error).
    timezone : str
        The site's IANA zone; the index is converted to it (the instants are unchanged).
    name : str
        Name used in error messages (e.g. ``"site.load_csv"``).

    Returns
    -------
    pandas.Series
        On a validated tz-aware fixed-step index in ``timezone``; values never filled.
    """
    series = core_read_series_csv(
        path, column=column, timestamp_column=timestamp_column, tz=timezone, field=name
    )
    return validate_series(series, name=f"{name}.{column}", nonnegative=True)


def change_step(series: pd.Series, step: pd.Timedelta, *, name: str) -> pd.Series:
    """Put a power series on another step, keeping the energy of every coarse interval.

    A coarser series is held constant over the finer intervals it contains (each finer interval
    gets the coarse interval's mean power); a finer series is averaged over each coarser
    interval, which must be whole (start aligned and a whole number of them).
    """
    index = series.index
    current = index[1] - index[0]
    if current == step:
        return series
    values = series.to_numpy(dtype=float)
    if current > step:
        ratio = current / step
        if not float(ratio).is_integer():
            raise InputError(f"{name}.index", f"step {current}", f"a multiple of {step}")
        k = int(ratio)
        new_index = pd.date_range(index[0], periods=len(index) * k, freq=step)
        logger.info("%s: step %s held over %d steps of %s", name, current, k, step)
        return pd.Series(np.repeat(values, k), index=new_index, name=series.name)
    ratio = step / current
    if not float(ratio).is_integer():
        raise InputError(f"{name}.index", f"step {current}", f"a divisor of {step}")
    k = int(ratio)
    if len(values) % k or (index[0] - index[0].floor(step)) != pd.Timedelta(0):
        raise InputError(
            f"{name}.index",
            f"{len(values)} steps of {current} from {index[0]}",
            f"whole intervals of {step} (aligned start, a multiple of {k} steps)",
        )
    new_index = pd.date_range(index[0], periods=len(index) // k, freq=step)
    logger.info("%s: step %s averaged to %s", name, current, step)
    return pd.Series(values.reshape(-1, k).mean(axis=1), index=new_index, name=series.name)


def _iso(when: pd.Timestamp | None, missing: str) -> str:
    return missing if when is None else when.isoformat()


def _window(series: pd.Series, config: BacktestConfig, name: str) -> pd.Series:
    start, end = config.site.start, config.site.end
    out = series
    if start is not None:
        out = out[out.index >= start]
    if end is not None:
        out = out[out.index < end]
    if len(out) < 2:
        period = f"{_iso(start, 'the first row')} and {_iso(end, 'the last row')}"
        raise InputError(f"{name}", f"{len(out)} rows between {period}", "data covering the period")
    if start is not None and out.index[0] != start:
        raise InputError(
            "site.start", start, f"a label on the data grid (first: {out.index[0].isoformat()})"
        )
    return out


def load_site_data(config: BacktestConfig) -> SiteData:
    """Read the site's load, PV and tariff named by ``config``.

    Parameters
    ----------
    config : BacktestConfig
        The backtest configuration.

    Returns
    -------
    SiteData
        Series on the simulation step (``config.dispatch.step`` or the load data's own) and
        cut to ``[site.start, site.end)``.
    """
    site = config.site
    load = read_series_csv(
        site.load_csv,
        column=site.load_column,
        timestamp_column=site.timestamp_column,
        timezone=site.timezone,
        name="site.load_csv",
    )
    step = STEPS[config.dispatch.step] if config.dispatch.step else load.index[1] - load.index[0]
    if step not in STEPS.values():
        raise InputError("site.load_csv", f"step {step}", f"one of {list(STEPS)}")
    config.dispatch.check_step(step)
    load = _window(change_step(load, step, name="site.load_csv"), config, "site.load_csv")
    pv = None
    if site.pv_csv is not None:
        pv_all = read_series_csv(
            site.pv_csv,
            column=site.pv_column,
            timestamp_column=site.timestamp_column,
            timezone=site.timezone,
            name="site.pv_csv",
        )
        pv_all = change_step(pv_all, step, name="site.pv_csv")
        missing = load.index.difference(pv_all.index)
        if len(missing):
            raise InputError("site.pv_csv", f"no value at {missing[0]}", "PV covering the load")
        pv = pv_all.reindex(load.index)
    try:
        tariff = Tariff.from_urdb(
            config.tariff.urdb_json,
            holiday_country=config.tariff.holiday_country,
            holiday_subdivision=config.tariff.holiday_subdivision,
            allow_negative_rates=config.tariff.allow_negative_rates,
        )
    except InputError as exc:
        field = f"tariff.urdb_json ({config.tariff.urdb_json.name}): {exc.field}"
        raise InputError(field, exc.value, exc.expected) from exc
    check_load_kw(
        load, field=f"site.load_csv.{site.load_column}", allow_large=site.allow_large_load
    )
    check_battery_duration(
        config.battery.power_kw,
        config.battery.energy_kwh,
        power_field="battery.power_kw",
        energy_field="battery.energy_kwh",
    )
    check_battery_size(
        config.battery.power_kw, peak_load_kw=float(load.max()), field="battery.power_kw"
    )
    return SiteData(load_kw=load.rename("load_kw"), pv_kw=pv, tariff=tariff)
