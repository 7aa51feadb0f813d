"""Recent metered days as scenarios: the level the battery could hold, and the reserve it takes.

Forecasts miss spikes; the days the site has just lived through do not. :class:`DayHistory`
keeps the net load (load - PV) of the last ``days`` complete local days, with the priced
demand windows of each interval. From them:

- :meth:`DayHistory.holdable_kw`: for each kind of window (``("flat", 0)``, and ``(name, p)``
  for period ``p`` of each peak charge, e.g. ``("tou", p)``; see :mod:`control.targets`), the
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

from control.realtime import energy_need_rows_kwh
from control.targets import WindowMap, WindowMapCache, target_raise_kw
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


@dataclass(frozen=True)
class _Stack:
    """The stored days as rows of equal length (a short day padded at its end)."""

    net_kw: np.ndarray  # (days, width), 0 where padded
    valid: np.ndarray  # (days, width) bool: a real interval
    windows: WindowMap  # arrays (days, width): padding in no window
    slot: np.ndarray  # slots of the valid entries, row by row


def _stack(days: deque[_Day]) -> _Stack:
    width = max(len(day.net_kw) for day in days)
    shape = (len(days), width)
    net, valid = np.zeros(shape), np.zeros(shape, dtype=bool)
    month, flat = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=bool)
    periods = {name: np.full(shape, -1, dtype=np.int64) for name in days[0].windows.periods}
    for row, day in enumerate(days):
        n = len(day.net_kw)
        net[row, :n], valid[row, :n] = day.net_kw, True
        month[row, :n], flat[row, :n] = day.windows.month_key, day.windows.flat
        for name, period in periods.items():
            period[row, :n] = day.windows.periods[name]
    slots = np.concatenate([day.slot for day in days])
    windows = WindowMap(month_key=month, flat=flat, periods=periods)
    return _Stack(net_kw=net, valid=valid, windows=windows, slot=slots)


def _kinds(windows: WindowMap) -> set[WindowKind]:
    return {(kind, period) for _, kind, period in windows.all_keys()}


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
        self._stacked: _Stack | None = None  # of ``_days``; None: to be rebuilt
        self._windows = WindowMapCache(tariff, self._step)
        self._today_ns: list[int] = []
        self._today_net: list[float] = []
        self._today_date = None
        self._tz = None

    def slot(self, now: pd.Timestamp) -> int:
        """Clock slot of ``now`` in its local day (0 .. slots_per_day - 1)."""
        return min(int((now.hour * 60 + now.minute) // self._slot_minutes), self.slots_per_day - 1)

    def __len__(self) -> int:
        return len(self._days)

    def add(self, now: pd.Timestamp, net_kw: float) -> bool:
        """Record an interval; True when it starts a new day (the previous one is stored)."""
        date = now.date()
        new_day = self._today_date is not None and date != self._today_date
        if new_day:
            self._close_day()
        self._today_ns.append(now.value)
        self._today_net.append(float(net_kw))
        self._today_date, self._tz = date, now.tz
        return new_day

    def _close_day(self) -> None:
        stamps = pd.DatetimeIndex(np.asarray(self._today_ns, dtype="datetime64[ns]"))
        if self._tz is not None:  # the labels were UTC nanoseconds of the site's local times
            stamps = stamps.tz_localize("UTC").tz_convert(self._tz)
        net = np.array(self._today_net)
        self._today_ns, self._today_net = [], []
        if len(net) < 0.9 * self.slots_per_day:
            return  # a partial first day says little about a whole day
        windows = self._windows(stamps)
        usable = self._battery.soc_max_kwh - self._battery.soc_min_kwh
        holdable = {
            kind: holdable_level_kw(net, windows.mask(*kind), self._battery, self._dt_h, usable)
            for kind in _kinds(windows)
        }
        minutes = np.asarray(stamps.hour * 60 + stamps.minute)
        slots = np.minimum((minutes // self._slot_minutes).astype(int), self.slots_per_day - 1)
        self._days.append(_Day(net_kw=net, slot=slots, windows=windows, holdable_kw=holdable))
        self._stacked = None

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
        if not self._days:
            return reserve
        if self._stacked is None:
            self._stacked = _stack(self._days)
        days = self._stacked
        # all days at once, row by row as energy_need_kwh would do each (padding needs nothing)
        target = np.full(days.net_kw.shape, np.inf)
        for kind, value in targets_kw.items():
            where = days.windows.mask(*kind)
            target[where] = np.minimum(target[where], value)
        need = energy_need_rows_kwh(days.net_kw, target, days.valid, self._battery, self._dt_h)
        np.maximum.at(reserve, days.slot, need[:, 1:][days.valid])
        return reserve
