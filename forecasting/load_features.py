"""Features of the machine-learning load forecaster, for (issue, target) pairs.

Each row is one target position ``j`` forecast from an issue at which positions ``0 .. n-1`` are
known (``n`` = the visible count). Every history-derived feature reads only positions ``< n``:

- ``lead_h``: how far ahead the target is [h];
- calendar of the target (local hour, weekday, holiday, working day) and whether the day one
  season back was a working day;
- ``lag_day``, ``lag_week``: the most recent known value at the same time of day / week;
  ``week_mean``: the mean of the last four known same-time-of-week values; ``similar_mean``:
  the mean of the last four known values at the same time of day on days of the same kind
  (working or not) within three weeks;
- ``last``: the last known value; ``mean_day``, ``max_day``: mean and max of the last 24 h;
- temperature: the last known value at the same time of day and the last 24 h mean, plus the
  forecast temperature at the target when a weather forecast is given.

Load features and the target are divided by ``scale``, the mean load of the last week known at
the issue, so the model learns shapes and carries level changes through the scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.baselines import seasonal_lookback

__all__ = ["LoadFeatureBuilder"]

_LOAD_FEATURES = ("lag_day", "lag_week", "week_mean", "similar_mean", "last", "mean_day", "max_day")


def _rolling_at(values: np.ndarray, window: int, end: np.ndarray, how: str) -> np.ndarray:
    """Rolling ``how`` over ``values[end - window : end]`` for each ``end`` (NaN ignored)."""
    unique = np.unique(end)
    if len(unique) <= 8:  # a few issues: slice directly instead of rolling the whole array
        out = np.full(len(end), np.nan)
        for e in unique:
            chunk = values[max(0, e - window) : e]
            chunk = chunk[np.isfinite(chunk)]
            if len(chunk):
                out[end == e] = chunk.mean() if how == "mean" else chunk.max()
        return out
    rolled = getattr(pd.Series(values).rolling(window, min_periods=1), how)().to_numpy()
    out = np.full(len(end), np.nan)
    ok = end >= 1
    out[ok] = rolled[end[ok] - 1]
    return out


def _similar_mean(
    load: np.ndarray,
    target: np.ndarray,
    visible: np.ndarray,
    working: np.ndarray,
    day: int,
    *,
    n_days: int = 4,
    search_days: int = 21,
) -> np.ndarray:
    """Mean of the last ``n_days`` known same-time-of-day values on same-kind days."""
    total = np.zeros(len(target))
    count = np.zeros(len(target), dtype=int)
    kind = working[target]
    for back in range(1, search_days + 1):
        candidate = target - back * day
        ok = (candidate >= 0) & (candidate < visible) & (count < n_days)
        if not ok.any():
            continue
        values = load[candidate[ok]]
        use = (working[candidate[ok]] == kind[ok]) & np.isfinite(values)
        where = np.flatnonzero(ok)[use]
        total[where] += values[use]
        count[where] += 1
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


class LoadFeatureBuilder:
    """Builds the feature matrix for given issue and target positions.

    Parameters
    ----------
    steps_per_day : int
        Intervals in 24 h.
    step_h : float
        Interval length [h].
    use_temperature : bool
        Add the lagged temperature features.
    use_temperature_forecast : bool
        Add the forecast temperature at the target.
    """

    def __init__(
        self,
        *,
        steps_per_day: int,
        step_h: float,
        use_temperature: bool,
        use_temperature_forecast: bool,
    ) -> None:
        self.day = steps_per_day
        self.week = 7 * steps_per_day
        self.step_h = step_h
        self.use_temperature = use_temperature
        self.use_temperature_forecast = use_temperature_forecast

    @property
    def names(self) -> list[str]:
        """Feature column names, in matrix order."""
        names = ["lead_h", "hour_of_day_h", "weekday", "is_holiday", "is_working_day"]
        names += ["lag_day_working", *_LOAD_FEATURES]
        if self.use_temperature:
            names += ["temp_lag_day_c", "temp_mean_day_c"]
        if self.use_temperature_forecast:
            names += ["temp_forecast_c"]
        return names

    def scale(self, load: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """Mean load [kW] of the last week known at each issue (NaN where none)."""
        return _rolling_at(load, self.week, visible, "mean")

    def build(
        self,
        *,
        load: np.ndarray,
        visible: np.ndarray,
        target: np.ndarray,
        calendar: pd.DataFrame,
        working: np.ndarray,
        scale: np.ndarray,
        temperature: np.ndarray | None = None,
        temperature_visible: np.ndarray | None = None,
        temperature_forecast: np.ndarray | None = None,
    ) -> np.ndarray:
        """Feature matrix, one row per (issue, target) pair.

        Parameters
        ----------
        load : numpy.ndarray
            Load [kW] by position (NaN where missing); only positions ``< visible`` are read.
        visible : numpy.ndarray of int
            Per row, the count of known positions at the issue.
        target : numpy.ndarray of int
            Per row, the target position (``>= visible``).
        calendar : pandas.DataFrame
            Per row, the target's calendar features (from :meth:`SiteCalendar.features`).
        working : numpy.ndarray of bool
            By position (covering every target), whether its local day is a working day
            (calendar only).
        scale : numpy.ndarray
            Per row, the normalising load [kW].
        temperature : numpy.ndarray, optional
            Observed temperature [degC] by position (read only at positions
            ``< temperature_visible``).
        temperature_visible : numpy.ndarray of int, optional
            Per row, the count of known temperature positions (default ``visible``).
        temperature_forecast : numpy.ndarray, optional
            Per row, the forecast temperature at the target [degC].
        """
        day, week = self.day, self.week
        lead = target - visible + 1
        columns: list[np.ndarray] = [lead * self.step_h]
        for name in ("hour_of_day_h", "weekday", "is_holiday", "is_working_day"):
            columns.append(calendar[name].to_numpy(dtype=float))
        back_day = target - np.maximum(1, np.ceil(lead / day).astype(int)) * day
        day_working = np.full(len(target), np.nan)
        ok = back_day >= 0
        day_working[ok] = working[back_day[ok]]
        columns.append(day_working)
        lag_day = seasonal_lookback(load, target, period=day, max_periods_back=7, visible=visible)
        lag_week = seasonal_lookback(load, target, period=week, max_periods_back=4, visible=visible)
        weeks = []
        first_k = np.maximum(1, np.ceil(lead / week).astype(int))
        for extra in range(4):
            candidate = target - (first_k + extra) * week
            value = np.full(len(target), np.nan)
            ok = candidate >= 0
            value[ok] = load[candidate[ok]]
            weeks.append(value)
        stacked = np.vstack(weeks)
        counts = np.isfinite(stacked).sum(axis=0)
        week_mean = np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan)
        last = np.full(len(target), np.nan)
        ok = visible >= 1
        last[ok] = load[visible[ok] - 1]
        mean_day = _rolling_at(load, day, visible, "mean")
        max_day = _rolling_at(load, day, visible, "max")
        similar_mean = _similar_mean(load, target, visible, working, day)
        for values in (lag_day, lag_week, week_mean, similar_mean, last, mean_day, max_day):
            columns.append(values / scale)
        if self.use_temperature:
            if temperature is None:
                raise ValueError("temperature is required by this feature set")
            seen = visible if temperature_visible is None else temperature_visible
            columns.append(
                seasonal_lookback(temperature, target, period=day, max_periods_back=7, visible=seen)
            )
            columns.append(_rolling_at(temperature, day, seen, "mean"))
        if self.use_temperature_forecast:
            if temperature_forecast is None:
                raise ValueError("temperature_forecast is required by this feature set")
            columns.append(np.asarray(temperature_forecast, dtype=float))
        return np.column_stack(columns)
