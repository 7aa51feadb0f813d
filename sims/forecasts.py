"""Forecasts inside the backtest: forecasters chosen by name, fed only data known at each issue.

A :class:`ForecastFeed` owns one forecaster for one series. At a decision at grid position
``i`` it hands the forecaster the actual rows ``0 .. i-1`` (first call: ``fit``; later calls:
``update`` with the rows since the previous decision) and asks for the horizon. Rows at or
after ``i`` are never passed, so a forecast cannot see the future it predicts (the forecasters
also cut their history at the issue time themselves). Perfect foresight is the exception by
design: it reads the actuals of the horizon, to bound what any forecast can earn.

Forecasters that need history cannot forecast the first days; the backtest starts after
:func:`warmup_days` of data, which serve only as history.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from control.controller import Forecast
from core.errors import InputError
from forecasting.calendar import SiteCalendar
from forecasting.pv import PVSystemSpec
from forecasting.registry import FORECASTERS, ForecasterContext, warmup_days
from forecasting.registry import make_forecaster as _make

__all__ = [
    "WARMUP_DAYS",
    "FeedForecastProvider",
    "ForecastFeed",
    "hourly_error_quantile",
    "make_forecaster",
    "warmup_days",
]

logger = logging.getLogger(__name__)

WARMUP_DAYS: dict[str, int] = {name: spec.warmup_days for name, spec in FORECASTERS.items()}
"""Days of history each forecaster needs before the first decision (from the registry)."""


def make_forecaster(
    name: str,
    *,
    target: str,
    actuals: pd.Series,
    calendar: SiteCalendar,
    pv_system: PVSystemSpec | None = None,
):
    """Build the forecaster called ``name`` for column ``target`` in a backtest.

    Parameters
    ----------
    name : str
        A name of :data:`forecasting.registry.FORECASTERS`.
    target : str
        ``"load_kw"`` or ``"pv_kw"``.
    actuals : pandas.Series
        The actual series (read only by ``"perfect"``).
    calendar : SiteCalendar
        The site's zone and holidays.
    pv_system : PVSystemSpec or None, default None
        The site's PV array, for ``"pvlib"``.
    """
    context = ForecasterContext(
        target=target, calendar=calendar, actuals=actuals, pv_system=pv_system, horizon_h=48.0
    )
    return _make(name, context)


def hourly_error_quantile(
    errors: np.ndarray,
    hours: np.ndarray,
    target_hours: np.ndarray,
    quantile: float,
    min_samples: int = 5,
) -> np.ndarray:
    """Raise per target step [kW]: the ``quantile`` of past ``errors`` at the same local hour.

    ``errors`` (actual - forecast, NaN where unknown) and ``hours`` are past intervals'; an
    hour with fewer than ``min_samples`` known errors gets no raise, and no raise is negative.
    """
    known = np.isfinite(errors)
    hour_of, value = np.asarray(hours)[known].astype(int), np.asarray(errors)[known]
    order = np.lexsort((value, hour_of))  # by hour, then by error
    value = value[order]
    count = np.bincount(hour_of, minlength=24)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    # numpy's default ("linear") quantile of each hour's sorted errors
    position = quantile * np.maximum(count - 1, 0)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, np.maximum(count - 1, 0))
    raise_kw = np.zeros(len(count))
    ok = count >= max(min_samples, 1)
    lo_v, hi_v = value[(first + low)[ok]], value[(first + high)[ok]]
    raise_kw[ok] = np.maximum(lo_v + (position - low)[ok] * (hi_v - lo_v), 0.0)
    target = np.asarray(target_hours).astype(int)
    return raise_kw[target]


class ForecastFeed:
    """One forecaster fed the actuals known at each decision.

    Parameters
    ----------
    name : str
        Forecaster name (see :func:`make_forecaster`).
    target : str
        ``"load_kw"`` or ``"pv_kw"``.
    actuals : pandas.Series
        The actual series on the simulation grid.
    calendar : SiteCalendar
        The site's zone and holidays.
    quantile : float or None, default None
        If set (e.g. 0.9), the forecast is raised by this quantile of its own past errors
        (actual - forecast) at the same local hour over the last ``error_days`` days of
        intervals already observed (never below the point forecast): a conservative plan for
        demand charges. None returns the point forecast.
    error_days : int, default 28
        Trailing days of errors the quantile uses.
    pv_system : PVSystemSpec or None, default None
        The site's PV array, for ``name="pvlib"``.
    """

    def __init__(
        self,
        *,
        name: str,
        target: str,
        actuals: pd.Series,
        calendar: SiteCalendar,
        quantile: float | None = None,
        error_days: int = 28,
        pv_system: PVSystemSpec | None = None,
    ) -> None:
        if quantile is not None and not 0 < quantile < 1:
            raise InputError("forecast quantile", quantile, "a fraction in (0, 1)")
        self.name = name
        self.target = target
        self.quantile = None if name == "perfect" else quantile
        self._actuals = actuals.rename(target).to_frame()
        self._values = actuals.to_numpy(dtype=float)
        index = actuals.index
        self._hour = np.asarray(index.hour)
        self._error_steps = int(pd.Timedelta(days=error_days) / (index[1] - index[0]))
        self._issued = np.full(len(index), np.nan)
        self._forecaster = make_forecaster(
            name, target=target, actuals=actuals, calendar=calendar, pv_system=pv_system
        )
        self._fed_to = 0
        self.clipped_steps = 0
        self.last_point = np.empty(0)

    def record(self, position: int, applied: np.ndarray) -> None:
        """Keep the point forecast of the intervals from ``position`` that were acted on."""
        self._issued[position : position + len(applied)] = applied

    def _error_offset(self, position: int, positions: np.ndarray) -> np.ndarray:
        begin = max(0, position - self._error_steps)
        errors = self._values[begin:position] - self._issued[begin:position]
        return hourly_error_quantile(
            errors, self._hour[begin:position], self._hour[positions], self.quantile
        )

    @property
    def actual_values(self) -> np.ndarray:
        """The actual series as an array (read only for errors of past intervals) [kW]."""
        return self._values

    @property
    def looks_ahead(self) -> bool:
        """True for perfect foresight (an oracle, not a forecast)."""
        return self.name == "perfect"

    def predict(self, position: int, horizon: pd.DatetimeIndex) -> np.ndarray:
        """Forecast on ``horizon`` issued at grid position ``position`` [kW].

        Only rows before ``position`` are given to the forecaster. Negative forecast values
        (impossible for load and PV) are raised to 0 and counted in ``clipped_steps``.
        """
        issue_time = self._actuals.index[position]
        if not self.looks_ahead:
            if position < 2:
                raise InputError(
                    "forecast", f"{self.name} at the first interval", "history before the issue"
                )
            if self._fed_to == 0:
                self._forecaster.fit(self._actuals.iloc[:position])
            elif position > self._fed_to:
                self._forecaster.update(self._actuals.iloc[self._fed_to : position])
            self._fed_to = max(self._fed_to, position)
        frame = self._forecaster.predict(issue_time, horizon)
        values = frame[self.target].to_numpy(dtype=float)
        point = values
        if self.quantile is not None:
            values = values + self._error_offset(position, position + np.arange(len(values)))
        self.last_point = point
        negative = values < 0
        if negative.any():
            self.clipped_steps += int(negative.sum())
            values = np.where(negative, 0.0, values)
        return values


class FeedForecastProvider:
    """The controller's forecast provider in a backtest: feeds cut at the decision time.

    The point forecasts come from the feeds; the high-load scenario is the point load raised by
    the ``quantile`` of the recent errors of the point NET load (load - PV: a cloudy afternoon
    raises the meter as a busy one does) at the same local hour, over the last
    ``error_days`` days of intervals already metered (never below the point forecast, and
    only from errors of forecasts issued before ``now``).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        The simulation grid (the feeds' actuals are on it).
    load_feed : ForecastFeed
        Load forecasts (its own ``quantile`` should be None).
    pv_feed : ForecastFeed or None
        PV forecasts; None for a site without PV.
    quantile : float or None, default None
        Quantile of the net-load errors for the high scenario; None: high = point.
    error_days : int, default 28
        Trailing days of errors the quantile uses.
    window_inputs : callable or None
        ``window_inputs(horizon) -> {stream name: data}`` for market streams, or None.
    """

    def __init__(
        self,
        *,
        index: pd.DatetimeIndex,
        load_feed: ForecastFeed,
        pv_feed: ForecastFeed | None = None,
        quantile: float | None = None,
        error_days: int = 28,
        window_inputs=None,
    ) -> None:
        if quantile is not None and not 0 < quantile < 1:
            raise InputError("forecast quantile", quantile, "a fraction in (0, 1)")
        self._index = index
        self._ns = index.as_unit("ns").asi8
        self._load = load_feed
        self._pv = pv_feed
        self._quantile = None if load_feed.looks_ahead else quantile
        self._window_inputs = window_inputs
        load = load_feed.actual_values
        self._net = load if pv_feed is None else load - pv_feed.actual_values
        self._issued = np.full(len(index), np.nan)
        self._hour = np.asarray(index.hour)
        self._error_steps = int(pd.Timedelta(days=error_days) / (index[1] - index[0]))

    def _offset(self, position: int, end: int) -> np.ndarray:
        """The high scenario's raise over positions ``position .. end-1`` [kW]."""
        if self._quantile is None:
            return np.zeros(end - position)
        begin = max(0, position - self._error_steps)
        errors = self._net[begin:position] - self._issued[begin:position]
        return hourly_error_quantile(
            errors, self._hour[begin:position], self._hour[position:end], self._quantile
        )

    def forecast(self, now: pd.Timestamp, horizon: pd.DatetimeIndex) -> Forecast:
        """Forecasts issued at ``now`` for ``horizon``, cut at the end of the data."""
        position = int(np.searchsorted(self._ns, now.value))
        if position >= len(self._ns) or self._ns[position] != now.value:
            raise InputError("now", now, "a timestamp of the simulation grid")
        end = min(len(self._index), position + len(horizon))
        steps = self._index[position:end]
        point = self._load.predict(position, steps)
        pv = None if self._pv is None else self._pv.predict(position, steps)
        high = point + self._offset(position, end)
        self._issued[position:end] = point if pv is None else point - pv
        inputs = None if self._window_inputs is None else self._window_inputs(steps)
        return Forecast(
            index=steps, load_kw=point, load_high_kw=high, pv_kw=pv, stream_inputs=inputs
        )
