"""What the controller exchanges with the outside: forecasts in, setpoints out, models used."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from optimizer.state import MonthToDate, TerminalSoc

__all__ = ["DispatchSolver", "Forecast", "ForecastProvider", "ModelFactory", "Setpoint"]


@dataclass(frozen=True)
class Forecast:
    """What a plan is made on, for the steps ``index`` (may be shorter than asked for).

    Attributes
    ----------
    index : pandas.DatetimeIndex
        The steps forecast.
    load_kw : numpy.ndarray
        Point load forecast [kW].
    load_high_kw : numpy.ndarray
        High-load scenario planned on [kW] (>= ``load_kw``; equal for perfect foresight).
    pv_kw : numpy.ndarray or None
        PV forecast [kW]; None for a site without PV.
    stream_inputs : Mapping or None
        Per-solve data of market streams (prices of these steps), keyed by stream name.
    """

    index: pd.DatetimeIndex
    load_kw: np.ndarray
    load_high_kw: np.ndarray
    pv_kw: np.ndarray | None = None
    stream_inputs: Mapping[str, Any] | None = None


class ForecastProvider(Protocol):
    """Forecasts issued at ``now`` for ``horizon`` from what is known at ``now``."""

    def forecast(self, now: pd.Timestamp, horizon: pd.DatetimeIndex) -> Forecast:
        """Forecast ``horizon``; raise ``InputError`` when no forecast can be made."""
        ...


class DispatchSolver(Protocol):
    """What the controller needs from a dispatch model (``optimizer.DispatchModel``)."""

    def solve(
        self,
        *,
        load_kw: pd.Series,
        pv_kw: pd.Series | None,
        initial_soc_fraction: float,
        terminal: TerminalSoc,
        month_to_date: MonthToDate,
        stream_inputs: Mapping[str, Any] | None = None,
    ) -> Any:
        """Solve one horizon; return a result with ``schedule`` and ``objective_usd``."""
        ...


ModelFactory = Callable[[int], DispatchSolver]
"""``factory(n_steps) -> model`` for a horizon of ``n_steps`` steps."""


@dataclass(frozen=True)
class Setpoint:
    """The controller's decision for the interval starting at ``start`` (powers in kW).

    ``target_kw`` is the meter limit the real-time layer held (``inf``: no demand charge),
    ``reserve_kwh`` the stored energy it kept for later peaks; ``plan_*`` what the current plan
    asked for; ``awards_kw`` the market awards planned for the interval.
    """

    start: pd.Timestamp
    charge_kw: float
    discharge_kw: float
    target_kw: float
    reserve_kwh: float
    plan_charge_kw: float
    plan_discharge_kw: float
    plan_soc_kwh: float
    load_forecast_kw: float
    pv_forecast_kw: float
    plan_number: int
    awards_kw: Mapping[str, float] = field(default_factory=dict)
