"""The backtest loop: feed actuals to the controller, apply its setpoints to the plant, record.

Interval by interval, from the first decision to the end of the data:

1. the controller (:class:`control.Controller`) gets the interval's metered load and PV and the
   stored energy, plans when it is due, and returns a setpoint;
2. the plant (:func:`sims.plant.plant_step`) applies it to the actual load and PV within the
   battery's physical limits;
3. the controller records the metered net import; the :class:`Recorder` keeps the interval's
   row (plant columns, the target and reserve held, the plan's powers, the forecasts, awards).

The controller's own forecast provider (:class:`sims.forecasts.FeedForecastProvider`) cuts
history at each decision, so no decision can see the future it acts on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from control import Controller, ControlSettings, Horizon, Setpoint
from optimizer.battery import Battery
from sims.plant import PLANT_COLUMNS, plant_step

__all__ = ["CONTROL_COLUMNS", "LoopResult", "Recorder", "run_loop"]

CONTROL_COLUMNS: tuple[str, ...] = (
    "target_kw",
    "reserve_kwh",
    "charge_plan_kw",
    "discharge_plan_kw",
    "planned_soc_kwh",
    "load_forecast_kw",
    "pv_forecast_kw",
    "window",
)
"""Controller columns of the interval table, beside the plant's :data:`PLANT_COLUMNS`."""


class Recorder:
    """Interval rows of a run, kept in preallocated arrays."""

    def __init__(self, n: int, award_names: tuple[str, ...]) -> None:
        self._columns = {name: np.zeros(n) for name in (*PLANT_COLUMNS, *CONTROL_COLUMNS)}
        self._awards = {name: np.zeros(n) for name in award_names}

    def add(
        self,
        k: int,
        *,
        load: float,
        pv: float,
        setpoint: Setpoint,
        applied: tuple[float, float, float, float, float],
        soc_start: float,
    ) -> None:
        """Row ``k``: the measurement, the setpoint and what the plant did."""
        charge, discharge, curtailed, grid, soc_end = applied
        c = self._columns
        for name, value in (
            ("load_kw", load),
            ("pv_available_kw", pv),
            ("pv_kw", pv - curtailed),
            ("pv_curtailed_kw", curtailed),
            ("charge_setpoint_kw", setpoint.charge_kw),
            ("discharge_setpoint_kw", setpoint.discharge_kw),
            ("charge_kw", charge),
            ("discharge_kw", discharge),
            ("grid_kw", grid),
            ("grid_import_kw", max(grid, 0.0)),
            ("grid_export_kw", max(-grid, 0.0)),
            ("soc_start_kwh", soc_start),
            ("soc_end_kwh", soc_end),
            ("target_kw", setpoint.target_kw),
            ("reserve_kwh", setpoint.reserve_kwh),
            ("charge_plan_kw", setpoint.plan_charge_kw),
            ("discharge_plan_kw", setpoint.plan_discharge_kw),
            ("planned_soc_kwh", setpoint.plan_soc_kwh),
            ("load_forecast_kw", setpoint.load_forecast_kw),
            ("pv_forecast_kw", setpoint.pv_forecast_kw),
            ("window", setpoint.plan_number),
        ):
            c[name][k] = value
        for name, value in setpoint.awards_kw.items():
            if name in self._awards:
                self._awards[name][k] = value

    def frame(self, index: pd.DatetimeIndex) -> pd.DataFrame:
        """The interval table on ``index``."""
        frame = pd.DataFrame({**self._columns, **self._awards}, index=index)
        frame["window"] = frame["window"].astype(np.int64)
        return frame


@dataclass(frozen=True, kw_only=True)
class LoopResult:
    """What one run of the loop produced."""

    intervals: pd.DataFrame
    windows: pd.DataFrame
    forecast_s: float
    optimize_s: float
    control_s: float
    plant_s: float


def run_loop(
    *,
    index: pd.DatetimeIndex,
    load_kw: np.ndarray,
    pv_kw: np.ndarray,
    battery: Battery,
    controller: Controller,
    initial_soc_kwh: float,
    award_names: tuple[str, ...] = (),
    progress=None,
) -> LoopResult:
    """Drive ``controller`` over ``index`` with the actual ``load_kw`` and ``pv_kw`` [kW]."""
    n = len(index)
    dt_h = controller.step_td / pd.Timedelta(hours=1)
    recorder = Recorder(n, award_names)
    soc = initial_soc_kwh
    control_s = plant_s = 0.0
    clock = time.perf_counter
    day = None
    stamps = list(index)  # boxed at once: one label at a time costs tens of microseconds
    for k in range(n):
        now = stamps[k]
        load, pv = float(load_kw[k]), float(pv_kw[k])
        started = clock()
        setpoint = controller.step(now, load_kw=load, pv_kw=pv, soc_kwh=soc)
        middle = clock()
        applied = plant_step(
            battery,
            dt_h,
            load=load,
            pv=pv,
            charge_sp=setpoint.charge_kw,
            discharge_sp=setpoint.discharge_kw,
            soc=soc,
        )
        controller.record(now, grid_kw=applied[3])
        recorder.add(k, load=load, pv=pv, setpoint=setpoint, applied=applied, soc_start=soc)
        soc = applied[4]
        ended = clock()
        control_s += middle - started
        plant_s += ended - middle
        if progress is not None and now.day != day:
            day = now.day
            progress.update(1)
    planning = controller.forecast_s + controller.optimize_s
    return LoopResult(
        intervals=recorder.frame(index),
        windows=pd.DataFrame(controller.plans),
        forecast_s=controller.forecast_s,
        optimize_s=controller.optimize_s,
        control_s=max(control_s - planning, 0.0),
        plant_s=plant_s,
    )


def make_settings(dispatch, *, horizon=None, cadence=None, oracle=False) -> ControlSettings:
    """Controller settings from a backtest's ``[dispatch]`` table (optionally overridden).

    ``oracle``: perfect forecasts, so no history scenarios and no event plans (the bounds
    are the plans themselves, followed exactly).
    """
    return ControlSettings(
        history_days=0 if oracle else dispatch.history_days,
        cadence=cadence or dispatch.cadence,
        lookahead_h=dispatch.lookahead_h,
        horizon=horizon or Horizon.LOOKAHEAD,
        replan_on_events=dispatch.replan_on_events and not oracle,
        hold_targets=dispatch.demand_guard,
        fallback=dispatch.fallback,
    )
