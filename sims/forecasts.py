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

from core.errors import InputError
from forecasting.baselines import (
    PersistenceForecaster,
    SeasonalNaiveForecaster,
    SimilarDaysForecaster,
)
from forecasting.calendar import SiteCalendar
from forecasting.perfect import PerfectForesightForecaster

__all__ = ["WARMUP_DAYS", "ForecastFeed", "make_forecaster", "warmup_days"]

logger = logging.getLogger(__name__)

WARMUP_DAYS: dict[str, int] = {
    "perfect": 0,
    "persistence": 1,
    "seasonal_naive": 7,
    "seasonal_naive_week": 14,
    "similar_days": 14,
}
"""Days of history each forecaster needs before the first decision."""


def warmup_days(*names: str) -> int:
    """Days of data to keep as history before the first decision, for forecasters ``names``."""
    for name in names:
        if name not in WARMUP_DAYS:
            raise InputError("forecast", name, f"one of {tuple(WARMUP_DAYS)}")
    return max(WARMUP_DAYS[n] for n in names)


def make_forecaster(name: str, *, target: str, actuals: pd.Series, calendar: SiteCalendar):
    """Build the forecaster called ``name`` for column ``target``.

    Parameters
    ----------
    name : str
        ``"perfect"``, ``"persistence"``, ``"seasonal_naive"`` (same time 24 h earlier),
        ``"seasonal_naive_week"`` (same time a week earlier) or ``"similar_days"`` (mean of
        the last 4 days of the same day type).
    target : str
        ``"load_kw"`` or ``"pv_kw"``.
    actuals : pandas.Series
        The actual series (read only by ``"perfect"``).
    calendar : SiteCalendar
        The site's zone and holidays.
    """
    if name == "perfect":
        return PerfectForesightForecaster(actuals=actuals, target=target)
    if name == "persistence":
        return PersistenceForecaster(target=target)
    if name == "seasonal_naive":
        return SeasonalNaiveForecaster(period_h=24.0, target=target)
    if name == "seasonal_naive_week":
        return SeasonalNaiveForecaster(period_h=168.0, target=target)
    if name == "similar_days":
        return SimilarDaysForecaster(calendar=calendar, target=target)
    raise InputError("forecast", name, f"one of {tuple(WARMUP_DAYS)}")


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
    """

    def __init__(
        self, *, name: str, target: str, actuals: pd.Series, calendar: SiteCalendar
    ) -> None:
        self.name = name
        self.target = target
        self._actuals = actuals.rename(target).to_frame()
        self._forecaster = make_forecaster(name, target=target, actuals=actuals, calendar=calendar)
        self._fed_to = 0
        self.clipped_steps = 0

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
        negative = values < 0
        if negative.any():
            self.clipped_steps += int(negative.sum())
            values = np.where(negative, 0.0, values)
        return values
