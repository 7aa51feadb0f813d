"""Recent metered days as scenarios: the level the battery could hold, and the reserve it takes.

Forecasts miss spikes; the days the site has just lived through do not. :class:`DayHistory`
keeps the net load (load - PV) of the last ``days`` complete local days, with the priced
demand windows of each interval. From them:

- :meth:`DayHistory.holdable_kw`: for each kind of window (``("flat", 0)``, ``("tou", p)``), the
  highest over the stored days of the lowest level a battery that starts the day full could
  have held that day's meter to (power and energy permitting, recharging below the level);
- :meth:`DayHistory.reserve_after_kwh`: for given targets, the stored energy needed at the end
  of each clock slot of the day so that every stored day would have been held from there on
  (the highest :func:`~control.realtime.energy_need_kwh` over the days, slot by slot).

A controller that keeps the month's targets at or above the holdable level and the stored
energy at or above that reserve would have held its targets on every one of those days.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from control.realtime import energy_need_kwh
from control.targets import WindowMap, target_raise_kw, window_map
from markets.tariff import Tariff
from optimizer.battery import Battery

__all__ = ["DayHistory", "holdable_level_kw"]

WindowKind = tuple[str, int]


@dataclass(frozen=True)
class _Day:
    net_kw: np.ndarray
    slot: np.ndarray
    windows: WindowMap
    holdable_kw: dict[WindowKind, float]


def _kinds(windows: WindowMap) -> set[WindowKind]:
    return {(kind, period) for _, kind, period in windows.all_keys()}


def _mask(windows: WindowMap, kind: WindowKind) -> np.ndarray:
    return windows.flat if kind[0] == "flat" else windows.tou == kind[1]


def holdable_level_kw(
    net_kw: np.ndarray,
    in_window: np.ndarray,
    battery: Battery,
    dt_h: float,
    available_kwh: float,
) -> float:
    """Lowest meter level a battery starting with ``available_kwh`` stored could hold [kW].

    The level applies to the intervals ``in_window``; below it the battery recharges up to it
    (:func:`~control.targets.target_raise_kw` from a zero target).
    """
    if not in_window.any():
        return 0.0
    return target_raise_kw(
        net_kw,
        np.where(in_window, 0.0, np.inf),
        battery,
        dt_h,
        available_kwh=available_kwh,
        capacity_kwh=battery.soc_max_kwh - battery.soc_min_kwh,
    )


class DayHistory:
    """The last ``days`` complete local days of metered net load (see the module docstring).

    Parameters
    ----------
    tariff : Tariff
        Gives each interval's priced demand windows.
    battery : Battery
        Ratings, efficiencies and the SOC window.
    step : pandas.Timedelta
        Interval length.
    days : int
        Days kept.
    """

    def __init__(self, *, tariff: Tariff, battery: Battery, step: pd.Timedelta, days: int):
        self._tariff = tariff
        self._battery = battery
        self._step = pd.Timedelta(step)
        self._dt_h = self._step / pd.Timedelta(hours=1)
        self._slot_minutes = self._step / pd.Timedelta(minutes=1)
        self.slots_per_day = round(pd.Timedelta(days=1) / self._step)
        self._days: deque[_Day] = deque(maxlen=days)
        self._today: list[tuple[pd.Timestamp, float]] = []

    def slot(self, now: pd.Timestamp) -> int:
        """Clock slot of ``now`` in its local day (0 .. slots_per_day - 1)."""
        return min(int((now.hour * 60 + now.minute) // self._slot_minutes), self.slots_per_day - 1)

    def __len__(self) -> int:
        return len(self._days)

    def add(self, now: pd.Timestamp, net_kw: float) -> bool:
        """Record an interval; True when it starts a new day (the previous one is stored)."""
        new_day = bool(self._today) and now.date() != self._today[-1][0].date()
        if new_day:
            self._close_day()
        self._today.append((now, float(net_kw)))
        return new_day

    def _close_day(self) -> None:
        stamps = pd.DatetimeIndex([t for t, _ in self._today])
        net = np.array([v for _, v in self._today])
        self._today = []
        if len(net) < 0.9 * self.slots_per_day:
            return  # a partial first day says little about a whole day
        windows = window_map(self._tariff, stamps)
        usable = self._battery.soc_max_kwh - self._battery.soc_min_kwh
        holdable = {
            kind: holdable_level_kw(net, _mask(windows, kind), self._battery, self._dt_h, usable)
            for kind in _kinds(windows)
        }
        slots = np.array([self.slot(t) for t in stamps])
        self._days.append(_Day(net_kw=net, slot=slots, windows=windows, holdable_kw=holdable))

    def holdable_kw(
        self, last_days: int | None = None, month_key: int | None = None
    ) -> dict[WindowKind, float]:
        """Highest holdable level over stored days, per kind of window [kW].

        ``last_days`` keeps only the most recent days; ``month_key`` (``year * 12 + month``)
        only the days of that billing month.
        """
        out: dict[WindowKind, float] = {}
        days = list(self._days)
        if month_key is not None:
            days = [day for day in days if day.windows.month_key[0] == month_key]
        for day in days if last_days is None else days[-last_days:]:
            for kind, level in day.holdable_kw.items():
                out[kind] = max(out.get(kind, 0.0), level)
        return out

    def reserve_after_kwh(self, targets_kw: dict[WindowKind, float]) -> np.ndarray:
        """Energy above ``soc_min_kwh`` to keep at the end of each clock slot [kWh]."""
        reserve = np.zeros(self.slots_per_day)
        for day in self._days:
            target = np.full(len(day.net_kw), np.inf)
            for kind, value in targets_kw.items():
                where = _mask(day.windows, kind)
                target[where] = np.minimum(target[where], value)
            need = energy_need_kwh(day.net_kw, target, self._battery, self._dt_h, ceiling_kw=target)
            np.maximum.at(reserve, day.slot, need[1:])
        return reserve
