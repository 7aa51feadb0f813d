"""The online site controller: a planner on the dispatch model and a real-time layer.

Public API::

    from control import (Controller, ControlSettings, Cadence, Horizon, Fallback, Forecast,
                         ForecastProvider, Setpoint)

:class:`Controller` is what live services call every interval (``step``, then ``record``) and
what :mod:`sims.backtest` drives over a year of actuals.
"""

from control.controller import Controller, Forecast, ForecastProvider, ModelFactory, Setpoint
from control.realtime import energy_need_kwh, realtime_setpoint
from control.settings import Cadence, ControlSettings, Fallback, Horizon
from control.targets import WindowKey, WindowMap, window_map

__all__ = [
    "Cadence",
    "ControlSettings",
    "Controller",
    "Fallback",
    "Forecast",
    "ForecastProvider",
    "Horizon",
    "ModelFactory",
    "Setpoint",
    "WindowKey",
    "WindowMap",
    "energy_need_kwh",
    "realtime_setpoint",
    "window_map",
]
