"""The intraday guard: the rest of today, re-read every interval from the load seen so far.

A plan is made on a forecast at midnight (and on events); on the day that sets the month's peak
that forecast is usually too low, since hot or busy days are rare in the history it learnt from.
Holding the month's targets on such a day empties the battery before the day's peak, and the peak
then goes through unshaved. Every interval the guard therefore

1. corrects the rest of today's forecast by the current error, lasting as the errors of the
   last days did (:class:`ErrorMemory`; the high scenario only upwards);
2. if the stored energy cannot hold today's targets over that corrected forecast, raises them
   for the rest of the day by the least amount it can hold (:func:`~control.targets.target_raise_kw`):
   the battery then shaves the top of the day's peak instead of spending itself early;
3. keeps the energy that holding the (raised) targets over the corrected high scenario needs
   as a reserve: no arbitrage discharge may use it.

The raise is decided anew every interval and looks no further than the next local midnight (the
battery recharges overnight); a peak it lets through is metered and becomes the month's target.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from control.plan import Plan
from control.realtime import energy_need_kwh
from control.targets import WindowKey, WindowMap, target_raise_kw
from optimizer.battery import Battery

__all__ = [
    "ErrorMemory",
    "GuardResult",
    "IntradayGuard",
    "corrected_rest",
    "guard_today",
    "lowered_targets",
]

_TOL_KWH = 1e-6


class ErrorMemory:
    """Recent load forecast errors (metered - forecast) and how long they last.

    The rest of today is corrected by the current error ``e[0]``: ``j`` steps ahead the
    expected error is ``beta[j] * e[0]``, with ``beta[j]`` the least-squares slope of the error
    ``j`` steps later on the error now, over the errors kept (re-estimated once ``refresh`` new
    errors came in; clipped to ``[0, 1]``: no sign flip, no growth). For a first-order
    autoregressive error ``beta[j] = phi**j``; an error that is a day-long bias (a hot day, an
    event) keeps ``beta`` near one through the afternoon, where an AR(1) would decay it.

    Parameters
    ----------
    steps : int
        Errors kept (the last ``steps`` intervals).
    refresh : int
        New errors between two estimates.
    lags : int or None, default None
        Steps ahead with an estimated slope (None: ``refresh``); beyond, no correction.
    """

    def __init__(self, steps: int, refresh: int, lags: int | None = None) -> None:
        self._errors: deque[float] = deque(maxlen=max(steps, 3))
        self._refresh = max(refresh, 1)
        self._lags = max(self._refresh if lags is None else lags, 1)
        self._since = 0
        self._beta = np.zeros(self._lags)
        self._beta[0] = 1.0
        self.last_kw = 0.0

    def observe(self, actual_kw: float, forecast_kw: float) -> None:
        """Record one interval's metered and forecast load [kW] (a missing pair counts as 0)."""
        ok = np.isfinite(actual_kw) and np.isfinite(forecast_kw)
        self.last_kw = float(actual_kw - forecast_kw) if ok else 0.0
        self._errors.append(self.last_kw)
        self._since += 1

    @property
    def beta(self) -> np.ndarray:
        """Slope of the error ``j`` steps ahead on the error now, ``j = 0 .. lags-1``."""
        if self._since >= self._refresh and len(self._errors) >= 3:
            e = np.asarray(self._errors)
            beta = np.zeros(self._lags)
            beta[0] = 1.0
            for j in range(1, min(self._lags, len(e) - 1)):
                denom = float(np.dot(e[:-j], e[:-j]))
                if denom > 0:
                    beta[j] = float(np.dot(e[:-j], e[j:])) / denom
            self._beta = np.clip(beta, 0.0, 1.0)
            self._since = 0
        return self._beta

    def correction_kw(self, n: int) -> np.ndarray:
        """Expected error of the next ``n`` steps, the current one first [kW]."""
        beta = self.beta[:n]
        return self.last_kw * np.pad(beta, (0, n - len(beta)))


@dataclass(frozen=True)
class GuardResult:
    """What the guard asks for at one interval."""

    raise_kw: float
    """Raise of today's targets for the rest of the day [kW] (0: none)."""
    reserve_kwh: float
    """Energy above ``soc_min_kwh`` to keep at the end of the interval [kWh]."""


def corrected_rest(
    plan: Plan, k: int, correction_kw: np.ndarray, net_kw: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """The rest of today's net load from step ``k``, corrected: ``(point, high)`` [kW].

    The point forecast plus the expected error, the high scenario plus its upward part; the
    first step is the metered ``net_kw``. None where the forecast is not finite.
    """
    end = int(plan.day_end[k])
    extra = correction_kw[: end - k]
    point = plan.load[k:end] + extra - plan.pv[k:end]
    high = plan.high_net[k:end] + np.maximum(extra, 0.0)
    if not (np.all(np.isfinite(point)) and np.all(np.isfinite(high))):
        return None
    point[0] = high[0] = net_kw
    return point, high


def lowered_targets(
    windows: WindowMap,
    targets_kw: Mapping[WindowKey, float],
    floors_kw: Mapping[WindowKey, float],
    point_kw: np.ndarray,
    *,
    available_kwh: float,
    battery: Battery,
    dt_h: float,
    ceiling_kw: np.ndarray,
    resolution_kw: float = 0.05,
) -> np.ndarray | None:
    """Provisional targets lowered as far as ``available_kwh`` holds them over ``point_kw``.

    The windows in ``floors_kw`` are lowered together by one amount, each never below its
    floor (the peak already paid); the others keep their targets. The lowered per-step
    targets of ``windows`` (today's rest, aligned with ``point_kw``) are those of the largest
    amount whose excesses the discharge rating covers and whose energy need at the first step
    (:func:`~control.realtime.energy_need_kwh`) the stored energy covers, to ``resolution_kw``;
    None when no lowering holds.
    """
    depth = max((targets_kw[key] - floor for key, floor in floors_kw.items()), default=0.0)
    if depth <= resolution_kw:
        return None

    def shifted(amount: float) -> np.ndarray:
        return windows.targets(
            {
                key: max(value - amount, floors_kw[key]) if key in floors_kw else value
                for key, value in targets_kw.items()
            }
        )

    def holds(target: np.ndarray) -> bool:
        finite = np.isfinite(target)
        if np.any(point_kw[finite] - target[finite] > battery.discharge_rating_kw):
            return False
        need = energy_need_kwh(point_kw, target, battery, dt_h, ceiling_kw=ceiling_kw)
        return float(need[0]) <= available_kwh + _TOL_KWH

    deepest = shifted(depth)
    if holds(deepest):
        return deepest
    low, high = 0.0, depth
    while high - low > resolution_kw:
        middle = 0.5 * (low + high)
        if holds(shifted(middle)):
            low = middle
        else:
            high = middle
    return shifted(low) if low > 0.0 else None


def guard_today(
    plan: Plan,
    k: int,
    *,
    targets_kw: np.ndarray,
    correction_kw: np.ndarray,
    net_kw: float,
    available_kwh: float,
    battery: Battery,
    dt_h: float,
) -> GuardResult:
    """The guard at plan step ``k``: today's raise and the reserve (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The plan in force.
    k : int
        The interval's position in the plan.
    targets_kw : numpy.ndarray
        The month's targets on the plan's steps ``k`` to the day's end [kW] (``inf``: none).
    correction_kw : numpy.ndarray
        Expected load forecast error of the steps ``k`` to the day's end [kW]
        (:meth:`ErrorMemory.correction_kw`).
    net_kw : float
        Metered net load of this interval [kW].
    available_kwh : float
        Stored energy above ``soc_min_kwh`` at the start of the interval [kWh].
    battery : Battery
        Ratings and efficiencies.
    dt_h : float
        Step length [h].
    """
    # a cheap bound first: no corrected step of today can exceed the lowest target
    bound = max(net_kw, plan.high_rest_max[k] + max(float(correction_kw[0]), 0.0))
    if bound <= targets_kw.min():
        return GuardResult(0.0, 0.0)
    corrected = corrected_rest(plan, k, correction_kw, net_kw)
    if corrected is None:
        return GuardResult(0.0, 0.0)
    point, high = corrected
    end = int(plan.day_end[k])
    if not np.any(high > targets_kw):
        return GuardResult(0.0, 0.0)
    ceiling = plan.ceiling[k:end]
    raise_kw = 0.0
    need = energy_need_kwh(point, targets_kw, battery, dt_h, ceiling_kw=ceiling)
    if need[0] > available_kwh + _TOL_KWH:
        raise_kw = target_raise_kw(
            point, targets_kw, battery, dt_h, available_kwh=available_kwh, ceiling_kw=ceiling
        )
    raised = targets_kw + raise_kw
    reserve = energy_need_kwh(high, raised, battery, dt_h, ceiling_kw=ceiling)
    return GuardResult(raise_kw, float(reserve[1]))


class IntradayGuard:
    """The guard as controller state: the error memory and today's raise.

    Parameters
    ----------
    battery : Battery
        Ratings and efficiencies.
    dt_h : float
        Step length [h].
    error_days : float
        Days of forecast errors kept (:class:`ErrorMemory`; re-estimated daily, one slope per
        step of a day ahead).
    """

    def __init__(self, battery: Battery, dt_h: float, *, error_days: float) -> None:
        per_day = round(24 / dt_h)
        self._errors = ErrorMemory(steps=round(error_days * per_day), refresh=per_day)
        self._battery = battery
        self._dt_h = dt_h
        self._targets_key: tuple = ()
        self._plan_targets = np.empty(0)

    def apply(
        self,
        plan: Plan,
        k: int,
        now: pd.Timestamp,
        *,
        load_kw: float,
        net_kw: float,
        soc_kwh: float,
        targets_kw: Mapping[WindowKey, float],
        target_kw: float,
        reserve_kwh: float,
        floors_kw: Mapping[WindowKey, float] | None = None,
    ) -> tuple[float, float]:
        """The interval's target [kW] and reserve [kWh, absolute] after the guard.

        ``targets_kw`` are the month's targets per window, ``target_kw`` and ``reserve_kwh``
        what the plan and the history give for this interval. The raise is decided anew every
        interval from the stored energy and the corrected rest of the day (a peak it lets
        through is metered and becomes the month's target as usual). ``floors_kw`` names the
        provisional windows (targets from a plan's forecast, no completed day behind them) with
        the peak already paid in each: where no raise is needed they are lowered, never below
        that peak, as far as the stored energy holds them over the corrected rest of the day
        (:func:`lowered_targets`).
        """
        self._errors.observe(load_kw, plan.load[k])
        end = int(plan.day_end[k])
        key = (plan.number, plan.start_ns, tuple(targets_kw.items()))
        if key != self._targets_key:  # the plan or a target changed: map the targets again
            self._targets_key, self._plan_targets = key, plan.windows.targets(targets_kw)
        b = self._battery
        available = max(soc_kwh - b.soc_min_kwh, 0.0)
        correction = self._errors.correction_kw(end - k)
        result = guard_today(
            plan,
            k,
            targets_kw=self._plan_targets[k:end],
            correction_kw=correction,
            net_kw=net_kw,
            available_kwh=available,
            battery=b,
            dt_h=self._dt_h,
        )
        reserve = min(max(reserve_kwh, b.soc_min_kwh + result.reserve_kwh), b.soc_max_kwh)
        if floors_kw and result.raise_kw == 0.0:
            corrected = corrected_rest(plan, k, correction, net_kw)
            lowered = None
            if corrected is not None:
                lowered = lowered_targets(
                    plan.windows[k:end],
                    targets_kw,
                    floors_kw,
                    corrected[0],
                    available_kwh=available,
                    battery=b,
                    dt_h=self._dt_h,
                    ceiling_kw=plan.ceiling[k:end],
                )
            if lowered is not None:
                need = energy_need_kwh(
                    corrected[1], lowered, b, self._dt_h, ceiling_kw=plan.ceiling[k:end]
                )
                reserve = min(max(reserve, b.soc_min_kwh + float(need[1])), b.soc_max_kwh)
                return float(lowered[0]), reserve
        return target_kw + result.raise_kw, reserve
