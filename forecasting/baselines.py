"""Baseline load forecasters: persistence, seasonal naive and an average of similar days.

Lags are in absolute time on the history grid (24 h before, 168 h before), so across a DST
change "yesterday" is 24 h earlier, one local hour off for a day. Where the lagged reading is
missing (NaN) or not yet known at the issue time, the value one period further back is used, up
to ``max_periods_back`` periods; beyond that the forecast raises instead of inventing a value.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from core.errors import InputError
from forecasting.base import History, check_request
from forecasting.calendar import SiteCalendar

__all__ = [
    "PersistenceForecaster",
    "SeasonalNaiveForecaster",
    "SimilarDaysForecaster",
    "seasonal_lookback",
]


def seasonal_lookback(
    values: np.ndarray,
    positions: np.ndarray,
    *,
    period: int,
    max_periods_back: int,
    visible: np.ndarray | int | None = None,
) -> np.ndarray:
    """Most recent known value at the same phase of ``period``, for each target position.

    Parameters
    ----------
    values : numpy.ndarray
        The visible history (positions ``0 .. len(values)-1``); NaN where missing.
    positions : numpy.ndarray
        Target positions (``>= len(values)``).
    period : int
        Season length in steps (e.g. 24 for a day of hourly data).
    max_periods_back : int
        How many periods beyond the first known one may be tried.
    visible : numpy.ndarray or int, optional
        Per target, how many leading positions of ``values`` are known (default: all of
        ``values``); candidates at or past it are never read.

    Returns
    -------
    numpy.ndarray
        The value at ``position - k * period`` for the smallest ``k >= 1`` that is visible and
        not missing (NaN where none of the ``max_periods_back`` candidates qualifies).
    """
    n = len(values) if visible is None else visible
    first_k = np.maximum(1, np.ceil((positions - n + 1) / period).astype(int))
    out = np.full(len(positions), np.nan)
    for extra in range(max_periods_back):
        candidate = positions - (first_k + extra) * period
        ok = (candidate >= 0) & np.isnan(out)
        if not ok.any():
            break
        picked = values[candidate[ok]]
        out[ok] = picked
    return out


def _require_finite_forecast(values: np.ndarray, horizon: pd.DatetimeIndex, what: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        raise InputError(
            "history",
            f"no observed value for {what} at {horizon[first]}",
            "enough non-missing history before issue_time",
        )


class _HistoryForecaster:
    """Common fit/update of forecasters that only keep the history."""

    target: str
    _history: History | None

    def __init__(self, *, target: str) -> None:
        if not isinstance(target, str) or not target:
            raise InputError("target", target, "a column name such as 'load_kw'")
        self.target = target
        self._history = None
        self._columns = pd.Index([target])

    def _frame(self, values: np.ndarray, horizon: pd.DatetimeIndex) -> pd.DataFrame:
        """The forecast ``values`` [kW] as the one column of a frame on ``horizon``.

        As ``pd.DataFrame({target: values}, index=horizon)``, without inferring the column
        labels and copying the values anew for every forecast.
        """
        column = np.asarray(values, dtype=float).reshape(-1, 1)
        return pd.DataFrame(column, index=horizon, columns=self._columns, copy=False)

    def fit(self, history: pd.DataFrame) -> Self:
        """Keep ``history`` (validated); return self."""
        self._history = History(frame=history, target=self.target)
        return self

    def update(self, observations: pd.DataFrame) -> Self:
        """Append observations that continue the history; return self."""
        if self._history is None:
            raise InputError("forecaster", "not fitted", "a call to fit(history) before update")
        self._history = self._history.extend(observations)
        return self


class PersistenceForecaster(_HistoryForecaster):
    """The last known value, repeated over the horizon.

    Parameters
    ----------
    target : str, default "load_kw"
        The forecast column.
    """

    def __init__(self, *, target: str = "load_kw") -> None:
        super().__init__(target=target)

    def predict(
        self,
        issue_time: pd.Timestamp,
        horizon: pd.DatetimeIndex,
        *,
        weather: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast [kW] on ``horizon``: the last non-missing value known at ``issue_time``."""
        issue_time, horizon, _ = check_request(self._history, issue_time, horizon, weather=weather)
        assert self._history is not None
        values = self._history.visible_array(self.target, issue_time)
        known = np.flatnonzero(~np.isnan(values))
        if len(known) == 0:
            raise InputError("history", "no observed value", "an observation before issue_time")
        return self._frame(np.full(len(horizon), values[known[-1]]), horizon)


class SeasonalNaiveForecaster(_HistoryForecaster):
    """The value one season earlier: same time yesterday (24 h) or last week (168 h).

    Parameters
    ----------
    period_h : float, default 24
        Season length [h]; must be a whole number of history steps.
    target : str, default "load_kw"
        The forecast column.
    max_periods_back : int, default 4
        Seasons further back that may stand in for a missing or unknown value.
    """

    def __init__(
        self, *, period_h: float = 24.0, target: str = "load_kw", max_periods_back: int = 4
    ) -> None:
        super().__init__(target=target)
        if not isinstance(period_h, (int, float)) or not period_h > 0:
            raise InputError("period_h", period_h, "a season length > 0 in hours")
        if not isinstance(max_periods_back, int) or max_periods_back < 1:
            raise InputError("max_periods_back", max_periods_back, "an integer >= 1")
        self.period_h = float(period_h)
        self.max_periods_back = max_periods_back

    def fit(self, history: pd.DataFrame) -> Self:
        """Keep ``history``; the season must be a whole number of its steps."""
        super().fit(history)
        assert self._history is not None
        steps = pd.Timedelta(hours=self.period_h) / self._history.step
        if not float(steps).is_integer():
            raise InputError(
                "period_h", self.period_h, f"a multiple of the step {self._history.step}"
            )
        return self

    def predict(
        self,
        issue_time: pd.Timestamp,
        horizon: pd.DatetimeIndex,
        *,
        weather: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast [kW]: each step's value ``period_h`` (or a multiple) earlier."""
        issue_time, horizon, positions = check_request(
            self._history, issue_time, horizon, weather=weather
        )
        assert self._history is not None
        period = int(pd.Timedelta(hours=self.period_h) / self._history.step)
        values = self._history.visible_array(self.target, issue_time)
        forecast = seasonal_lookback(
            values, positions, period=period, max_periods_back=self.max_periods_back
        )
        _require_finite_forecast(forecast, horizon, f"season {self.period_h} h")
        return self._frame(forecast, horizon)


class SimilarDaysForecaster(_HistoryForecaster):
    """Mean of the same time of day on the last ``n_days`` days of the same day type.

    Day types (local calendar): working day, Saturday, Sunday or public holiday.

    Parameters
    ----------
    calendar : SiteCalendar
        The site's zone and holidays.
    n_days : int, default 4
        How many similar days to average.
    search_days : int, default 35
        How far back to look for them [days].
    target : str, default "load_kw"
        The forecast column.
    """

    def __init__(
        self,
        *,
        calendar: SiteCalendar,
        n_days: int = 4,
        search_days: int = 35,
        target: str = "load_kw",
    ) -> None:
        super().__init__(target=target)
        if not isinstance(calendar, SiteCalendar):
            raise InputError("calendar", calendar, "a SiteCalendar")
        if not isinstance(n_days, int) or n_days < 1:
            raise InputError("n_days", n_days, "an integer >= 1")
        if not isinstance(search_days, int) or search_days < n_days:
            raise InputError("search_days", search_days, f"an integer >= n_days ({n_days})")
        self.calendar = calendar
        self.n_days = n_days
        self.search_days = search_days

    def predict(
        self,
        issue_time: pd.Timestamp,
        horizon: pd.DatetimeIndex,
        *,
        weather: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast [kW]: the mean over the most recent similar days known at ``issue_time``."""
        issue_time, horizon, positions = check_request(
            self._history, issue_time, horizon, weather=weather
        )
        history = self._history
        assert history is not None
        day = history.steps_per_day
        values = history.visible_array(self.target, issue_time)
        n = len(values)
        target_type = self.calendar.day_type(horizon)
        total = np.zeros(len(horizon))
        count = np.zeros(len(horizon), dtype=int)
        for back in range(1, self.search_days + 1):
            candidate = positions - back * day
            ok = (candidate >= 0) & (candidate < n) & (count < self.n_days)
            if not ok.any():
                continue
            stamps = history.start + candidate[ok] * history.step
            same = self.calendar.day_type(pd.DatetimeIndex(stamps)) == target_type[ok]
            picked = values[candidate[ok]]
            use = same & ~np.isnan(picked)
            where = np.flatnonzero(ok)[use]
            total[where] += picked[use]
            count[where] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            forecast = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        _require_finite_forecast(forecast, horizon, "a similar day")
        return self._frame(forecast, horizon)
