"""The online site controller: a planner and a real-time layer, with the month's state inside.

Live use (other services call it every interval)::

    controller = Controller(battery=..., tariff=..., step="15min", forecast=provider,
                            model_factory=factory)
    setpoint = controller.step(now, load_kw=..., pv_kw=..., soc_kwh=...)   # interval at ``now``
    ...apply it; when the interval has been metered:
    controller.record(now, grid_kw=metered)

**Planner** (:meth:`Controller.plan`; on the cadence, when the plan runs out, and on events):
the forecast provider gives the point load forecast, a *high-load scenario* (the point
forecast raised by a quantile of its own errors) and the PV forecast; the dispatch model is
re-solved on the high scenario from the measured state of charge and the billing state the
meter has recorded this month. Behind the meter a higher load changes only the demand-charge
decisions, so the plan's arbitrage is that of the point forecast while its demand decisions
hold energy for the high scenario. From the plan come:

- a **demand target per priced demand window** (flat and each period of each peak charge,
  e.g. TOU demand, per billing month; :mod:`control.targets`): the plan's highest import in
  that window, never below the peak the meter has already recorded there;
- an **energy reserve** per step (:func:`control.realtime.energy_need_kwh`): what must stay
  stored to hold the targets through the rest of the high scenario.

**Real-time layer** (:meth:`Controller.step`, every interval, :mod:`control.realtime`):
discharges to hold the meter at the target while energy lasts, charges only with the room
under the target, keeps arbitrage above the reserve and tops the reserve up.

**Events**: a recorded interval above its target raises that window's target to the new peak
(it is paid for now) and asks for a new plan; stored energy below the reserve does too. Event
plans are at least ``event_gap_h`` apart.

The controller never reads the future: it sees the measurements given to :meth:`step` and
:meth:`record`, and forecasts from its provider (a backtest's provider cuts history at
``now``; perfect foresight is the one oracle, by design, for the bounds).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from control.history import DayHistory
from control.intraday import IntradayGuard
from control.plan import Plan, day_ends, fill_steps, floored, idle_plan, rest_of_day_max
from control.realtime import energy_need_kwh, realtime_setpoint
from control.settings import ControlSettings, Fallback, Horizon
from control.targets import WindowKey, WindowMap, WindowMapCache, raised_today
from control.types import DispatchSolver, Forecast, ForecastProvider, ModelFactory, Setpoint
from core.errors import InputError, SolverError
from markets.meter import MonthToDateMeter
from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.calendar import CalendarCache
from optimizer.state import MonthToDate, TerminalSoc

__all__ = ["Controller", "Forecast", "ForecastProvider", "ModelFactory", "Setpoint"]

logger = logging.getLogger(__name__)

_PEAK_TOL_KW = 1e-6
_RESERVE_TOL_KWH = 1e-6


class Controller:
    """The online site controller (see the module docstring).

    Parameters
    ----------
    battery : Battery
        The battery and site limits.
    tariff : Tariff
        The retail tariff (its demand windows get targets).
    step : str or pandas.Timedelta
        Interval length.
    forecast : ForecastProvider
        Gives the forecasts each plan is made on.
    model_factory : ModelFactory
        ``factory(n_steps)``: a dispatch model for a horizon of that length (built once each).
    settings : ControlSettings, default ControlSettings()
        Cadence, horizon, events, fallback.
    award_names : tuple of str, default ()
        Schedule columns of market awards to pass on in each setpoint.

    Attributes
    ----------
    plans : list of dict
        One row per plan: ``issue_time``, ``reason``, ``n_steps``, ``status``, ``error``,
        ``objective_usd``, ``mip_gap``, ``forecast_s``, ``optimize_s``.
    """

    def __init__(
        self,
        *,
        battery: Battery,
        tariff: Tariff,
        step: str | pd.Timedelta,
        forecast: ForecastProvider,
        model_factory: ModelFactory,
        settings: ControlSettings = ControlSettings(),  # noqa: B008 - frozen dataclass
        award_names: tuple[str, ...] = (),
    ) -> None:
        if not isinstance(battery, Battery):
            raise InputError("battery", type(battery).__name__, "an optimizer Battery")
        if not isinstance(tariff, Tariff):
            raise InputError("tariff", type(tariff).__name__, "a markets Tariff")
        if not isinstance(settings, ControlSettings):
            raise InputError("settings", type(settings).__name__, "a ControlSettings")
        self.battery = battery
        self.tariff = tariff
        self.step_td = pd.Timedelta(step)
        self.settings = settings
        self._step_ns = self.step_td.value
        self._dt_h = self.step_td / pd.Timedelta(hours=1)
        self._forecast = forecast
        self._factory = model_factory
        self._models: dict[int, DispatchSolver] = {}
        self._award_names = award_names
        self._targets: dict[WindowKey, float] = {}
        self._actual: dict[WindowKey, float] = {}
        self._plan: Plan | None = None
        self._last_plan_ns: int | None = None
        self._event: str | None = None
        self._meter = MonthToDateMeter(tariff, step=self.step_td)
        self._window_map = WindowMapCache(tariff, self.step_td)
        self._calendar = CalendarCache(tariff, self.step_td)
        self._history = DayHistory(
            tariff=tariff, battery=battery, step=self.step_td, days=max(settings.history_days, 1)
        )
        self._reserve_slots = np.zeros(self._history.slots_per_day)
        self._pending: tuple[int, tuple[WindowKey, ...]] | None = None
        self._guard = (
            IntradayGuard(battery, self._dt_h, error_days=settings.guard_days)
            if settings.intraday_guard and settings.history_days > 0
            else None
        )
        self._lower_provisional = settings.lower_provisional and self._guard is not None
        self._provisional: set[WindowKey] = set()
        self.plans: list[dict[str, Any]] = []
        self.forecast_s = 0.0
        self.optimize_s = 0.0

    # -- state ------------------------------------------------------------------------------
    @property
    def targets_kw(self) -> dict[WindowKey, float]:
        """Demand target per priced window ``(year*12+month, kind, period)`` [kW].

        ``kind`` is ``"flat"`` or a peak charge's name (``"tou"``, ...; :mod:`control.targets`).
        """
        return dict(self._targets)

    @property
    def peaks_kw(self) -> dict[WindowKey, float]:
        """Highest metered interval per priced window so far [kW]."""
        return dict(self._actual)

    def month_to_date(self, now: pd.Timestamp) -> MonthToDate:
        """Billing state of ``now``'s month from the intervals recorded before ``now``."""
        if self._meter.next_start is None:
            return MonthToDate()
        return MonthToDate.from_usage(
            self._meter.usage(now), energy_periods=self.tariff.energy is not None
        )

    def warm_start(
        self, index: pd.DatetimeIndex, load_kw: np.ndarray, pv_kw: np.ndarray | None = None
    ) -> None:
        """Learn from metered days before the first step (the history scenarios only).

        Parameters
        ----------
        index : pandas.DatetimeIndex
            Interval starts before the first :meth:`step` (site-local, the controller's step).
        load_kw, pv_kw : numpy.ndarray
            Metered load and PV [kW] of those intervals (no battery: the site's net load).
        """
        if self._plan is not None:
            raise InputError("warm_start", "after the first step", "a call before any step")
        pv = np.zeros(len(index)) if pv_kw is None else np.asarray(pv_kw, dtype=float)
        net = np.asarray(load_kw, dtype=float) - pv
        if len(net) != len(index):
            raise InputError("load_kw", f"{len(net)} values", f"{len(index)} (one per interval)")
        for now, value in zip(index, net, strict=True):
            self._history.add(now, float(value))

    # -- planning ---------------------------------------------------------------------------
    def _horizon(self, now: pd.Timestamp) -> pd.DatetimeIndex:
        if self.settings.horizon is Horizon.MONTH:
            month = now.tz_localize(None).to_period("M") + 1
            end = pd.Timestamp(month.to_timestamp()).tz_localize(now.tz, ambiguous=True)
            n = max(1, round((end - now) / self.step_td))
        else:
            n = max(1, round(pd.Timedelta(hours=self.settings.lookahead_h) / self.step_td))
        return pd.date_range(now, periods=n, freq=self.step_td)

    def plan(self, now: pd.Timestamp, soc_kwh: float, reason: str = "schedule") -> None:
        """Make a new plan at ``now`` from the stored energy ``soc_kwh`` [kWh]."""
        row: dict[str, Any] = {
            "issue_time": now,
            "reason": reason,
            "n_steps": 0,
            "status": "optimal",
            "error": "",
            "objective_usd": math.nan,
            "mip_gap": math.nan,
            "forecast_s": 0.0,
            "optimize_s": 0.0,
        }
        self._last_plan_ns = now.value
        self._event = None
        started = time.perf_counter()
        try:
            fc = self._forecast.forecast(now, self._horizon(now))
        except InputError as exc:
            fc = None
            row.update(status="fallback", error=f"forecast: {exc}")
        row["forecast_s"] = time.perf_counter() - started
        self.forecast_s += row["forecast_s"]
        plan = None
        if fc is not None:
            row["n_steps"] = len(fc.index)
            started = time.perf_counter()
            try:
                plan, result = self._solve(now, fc, soc_kwh)
                row["objective_usd"] = float(result.objective_usd)
                row["mip_gap"] = float(getattr(result.solver, "mip_gap", math.nan))
            except SolverError as exc:
                row.update(status="fallback", error=f"solver: {exc}")
            row["optimize_s"] = time.perf_counter() - started
            self.optimize_s += row["optimize_s"]
        if plan is None:
            logger.warning("plan at %s fell back: %s", now, row["error"])
            plan = self._fallback_plan(now, fc)
        self._plan = plan
        self.plans.append(row)

    def _solve(self, now: pd.Timestamp, fc: Forecast, soc_kwh: float) -> tuple[Plan, Any]:
        n = len(fc.index)
        model = self._models.get(n)
        if model is None:
            model = self._models[n] = self._factory(n)
        b = self.battery
        soc_fraction = min(max(soc_kwh / b.energy_kwh, b.soc_min_fraction), b.soc_max_fraction)
        pv = None if fc.pv_kw is None else pd.Series(fc.pv_kw, index=fc.index)
        extra = {} if fc.stream_inputs is None else {"stream_inputs": fc.stream_inputs}
        holdable = self._holdable(now.year * 12 + now.month)
        mtd = self.month_to_date(now)
        if self.settings.floor_plan_at_targets and holdable:
            mtd = floored(mtd, holdable, self.tariff.peak_charges())
        planned_load = fc.load_high_kw if self.settings.plan_on_high else fc.load_kw
        result = model.solve(
            load_kw=pd.Series(planned_load, index=fc.index),
            pv_kw=pv,
            initial_soc_fraction=soc_fraction,
            terminal=TerminalSoc(),
            month_to_date=mtd,
            **extra,
        )
        sched = result.schedule
        charge = np.maximum(sched["charge_kw"].to_numpy(dtype=float), 0.0)
        discharge = np.maximum(sched["discharge_kw"].to_numpy(dtype=float), 0.0)
        windows = self._window_map(fc.index)
        self._prune(int(windows.month_key[0]))
        pv_arr = np.zeros(n) if fc.pv_kw is None else np.asarray(fc.pv_kw, dtype=float)
        high_net = np.asarray(fc.load_high_kw, dtype=float) - pv_arr
        point_net = np.asarray(fc.load_kw, dtype=float) - pv_arr
        # the meter the plan expects on the point forecast: charging is never allowed above it
        # (or a peak already paid); the high scenario's import would let charging set peaks
        import_kw = np.maximum(point_net + charge - discharge, 0.0)
        self._set_targets(windows, import_kw, holdable)
        ceiling = np.maximum(import_kw, windows.targets(self._actual))
        ceiling = np.where(np.isfinite(ceiling), ceiling, import_kw)
        ends = day_ends(fc.index)
        # the plan's reserve holds today's targets raised as its own forecast needs (the month's
        # targets keep no raise: the intraday guard decides each interval's raise anew)
        planned_targets = raised_today(
            windows.targets(self._targets),
            point_net,
            int(ends[0]),
            b,
            self._dt_h,
            available_kwh=max(soc_kwh - b.soc_min_kwh, 0.0),
            ceiling_kw=ceiling,
        )
        self._reserve_slots = self._history_reserve(int(windows.month_key[0]), holdable)
        need = energy_need_kwh(high_net, planned_targets, b, self._dt_h, ceiling_kw=ceiling)
        awards = {
            name: sched[name].to_numpy(dtype=float)
            for name in self._award_names
            if name in sched.columns
        }
        plan = Plan(
            start_ns=now.value,
            number=len(self.plans),
            windows=windows,
            charge=charge,
            discharge=discharge,
            soc=sched["soc_kwh"].to_numpy(dtype=float),
            need=need,
            import_kw=import_kw,
            load=np.asarray(fc.load_kw, dtype=float),
            pv=pv_arr,
            awards=awards,
            high_net=high_net,
            ceiling=ceiling,
            day_end=ends,
            high_rest_max=rest_of_day_max(high_net, ends),
            fill=fill_steps(self._calendar, fc.index)
            if self.settings.fill_when_cheapest and self.settings.history_days > 0
            else np.zeros(n, dtype=bool),
        )
        return plan, result

    def _set_targets(
        self, windows: WindowMap, grid: np.ndarray, holdable: Mapping[tuple[str, int], float]
    ) -> None:
        """Targets of the plan's windows [kW], never below a peak already paid.

        With history scenarios, a window's target is the month's level: the peak already
        paid or the level the battery held on recent days, whichever is higher (the plan's
        own peak only where neither is known); a plan's peak would otherwise carry one
        forecast's optimism or pessimism into the whole month. Without them (perfect
        foresight, where the plan is followed exactly), it is the plan's own peak. A target
        that is the plan's peak is *provisional*: with ``lower_provisional`` the intraday guard
        may lower it, never below the peak paid (:func:`control.intraday.lowered_targets`).
        """
        peaks = windows.peaks(grid)
        for key in windows.all_keys():
            paid = self._actual.get(key, 0.0)
            level = holdable.get(key[1:], 0.0)
            self._targets[key] = max(paid, level) if level > 0 else max(paid, peaks[key])
            if level > 0 or not self._lower_provisional:
                self._provisional.discard(key)
            else:
                self._provisional.add(key)

    def _history_reserve(self, month: int, holdable: Mapping) -> np.ndarray:
        """Energy to keep after each clock slot to hold ``month``'s targets on recent days."""
        if self.settings.history_days == 0 or len(self._history) == 0:
            return np.zeros(self._history.slots_per_day)
        return self._history.reserve_after_kwh(
            {key[1:]: value for key, value in self._targets.items() if key[0] == month}
        )

    def _holdable(self, month_key: int) -> dict[tuple[str, int], float]:
        """The history's holdable level per kind of window (empty when switched off)."""
        if self.settings.history_days == 0:
            return {}
        month = month_key if self.settings.floor_this_month else None
        return self._history.holdable_kw(self.settings.floor_days, month)

    def _fallback_plan(self, now: pd.Timestamp, fc: Forecast | None) -> Plan:
        """Idle powers; ``PEAK_GUARD``: the real-time layer holds the month's metered peaks."""
        index = fc.index if fc is not None else self._horizon(now)
        index = index[: max(1, round(pd.Timedelta(days=1) / self.step_td))]
        windows = self._window_map(index)
        if self.settings.fallback is Fallback.PEAK_GUARD:
            for key in windows.all_keys():
                if key in self._actual:
                    self._targets[key] = self._actual[key]
        else:
            windows = windows.unpriced()
        return idle_plan(now.value, len(self.plans), windows, fc)

    def _prune(self, month_key: int) -> None:
        """Forget windows of months before ``month_key``."""
        for store in (self._targets, self._actual):
            for key in [k for k in store if k[0] < month_key]:
                del store[key]
        self._provisional = {key for key in self._provisional if key[0] >= month_key}

    # -- every interval ---------------------------------------------------------------------
    def _position(self, now: pd.Timestamp) -> int:
        assert self._plan is not None
        offset = now.value - self._plan.start_ns
        return offset // self._step_ns if offset >= 0 else -1

    def _due(self, now: pd.Timestamp, soc_kwh: float) -> str | None:
        if self._plan is None:
            return "start"
        k = self._position(now)
        if not 0 <= k < len(self._plan):
            return "plan ended"
        if now.value != self._plan.start_ns and self.settings.cadence.is_due(now):
            return "schedule"
        if not self.settings.replan_on_events or self._last_plan_ns is None:
            return None
        if now.value - self._last_plan_ns < self.settings.event_gap_h * 3.6e12:
            return None
        if self._event is not None:
            return self._event
        reserve = self.battery.soc_min_kwh + self._plan.need[k]
        if soc_kwh < reserve - _RESERVE_TOL_KWH:
            return "reserve"
        return None

    def step(
        self, now: pd.Timestamp, *, load_kw: float, pv_kw: float = 0.0, soc_kwh: float
    ) -> Setpoint:
        """Setpoint for the interval starting at ``now``, knowing its load and PV [kW].

        Parameters
        ----------
        now : pandas.Timestamp
            Start of the interval (tz-aware, site-local), on the controller's step.
        load_kw, pv_kw : float
            Metered load and PV of the interval [kW] (the real-time layer's measurement).
        soc_kwh : float
            Stored energy at the start of the interval [kWh].
        """
        reason = self._due(now, soc_kwh)
        if reason is not None:
            self.plan(now, soc_kwh, reason)
        plan = self._plan
        assert plan is not None
        k = self._position(now)
        keys = plan.windows.keys(k)
        target = min((self._targets.get(key, math.inf) for key in keys), default=math.inf)
        paid = min((self._actual.get(key, 0.0) for key in keys), default=math.inf)
        ceiling = max(paid, plan.import_kw[k])
        b = self.battery
        slot = self._history.slot(now)
        reserve = min(
            b.soc_min_kwh + max(plan.need[k + 1], self._reserve_slots[slot]), b.soc_max_kwh
        )
        net = load_kw - pv_kw
        if self._guard is not None:
            target, reserve = self._guard.apply(
                plan,
                k,
                now,
                load_kw=load_kw,
                net_kw=net,
                soc_kwh=soc_kwh,
                targets_kw=self._targets,
                target_kw=target,
                reserve_kwh=reserve,
                floors_kw={key: self._actual.get(key, 0.0) for key in self._provisional},
            )
        if self.settings.hold_targets:
            charge, discharge = realtime_setpoint(
                net_kw=net,
                plan_charge_kw=plan.charge[k],
                plan_discharge_kw=plan.discharge[k],
                target_kw=target,
                soc_kwh=soc_kwh,
                reserve_kwh=reserve,
                battery=self.battery,
                dt_h=self._dt_h,
                ceiling_kw=ceiling,
                fill_kwh=b.soc_max_kwh if plan.fill[k] else None,
            )
        else:
            room = max(min(target, ceiling) - net, 0.0)
            charge, discharge = min(plan.charge[k], room), plan.discharge[k]
        self._pending = (now.value, keys)
        if self.settings.history_days > 0:
            self._history.add(now, net)
        return Setpoint(
            start=now,
            charge_kw=charge,
            discharge_kw=discharge,
            target_kw=target,
            reserve_kwh=reserve,
            plan_charge_kw=float(plan.charge[k]),
            plan_discharge_kw=float(plan.discharge[k]),
            plan_soc_kwh=float(plan.soc[k]),
            load_forecast_kw=float(plan.load[k]),
            pv_forecast_kw=float(plan.pv[k]),
            plan_number=plan.number,
            awards_kw={name: float(v[k]) for name, v in plan.awards.items()},
        )

    def record(self, now: pd.Timestamp, *, grid_kw: float) -> None:
        """The metered net import of the interval starting at ``now`` [kW] (import > 0)."""
        self._meter.record(now, float(grid_kw))
        if self._pending is None or self._pending[0] != now.value:
            return
        for key in self._pending[1]:
            if grid_kw > self._actual.get(key, 0.0):
                self._actual[key] = grid_kw
            if grid_kw > self._targets.get(key, math.inf) + _PEAK_TOL_KW:
                self._targets[key] = grid_kw
                self._event = "peak"
        self._pending = None
