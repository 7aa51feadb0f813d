"""Demand targets: which priced demand windows each interval belongs to, and their targets.

A *demand window* is what a demand charge is billed on within one billing month: the flat
(all-hours) peak, or the peak of one period of a peak charge (TOU demand or any other in
:data:`markets.tariff_terms.PEAK_CHARGES`). Windows are keyed ``(month_key, kind, period)``
with ``month_key = year * 12 + month`` of the local clock and ``kind`` ``"flat"`` (period 0)
or the peak charge's ``name`` (e.g. ``"tou"``). Only windows with a positive rate count; an
interval in no priced window has no target (``inf``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from control.realtime import energy_need_kwh
from markets.tariff import Tariff
from optimizer.battery import Battery

__all__ = [
    "WindowKey",
    "WindowMap",
    "WindowMapCache",
    "raised_today",
    "target_raise_kw",
    "window_map",
]

_TOL_KWH = 1e-6

WindowKey = tuple[int, str, int]

FLAT = "flat"
"""The kind of the flat (all-hours) window; every other kind is a peak charge's ``name``."""


def _priced(tiers) -> bool:
    return any(t.rate_usd_per_kw > 0 for t in tiers)


@dataclass(frozen=True)
class WindowMap:
    """Priced demand windows of a run of intervals.

    Attributes
    ----------
    month_key : numpy.ndarray
        ``year * 12 + month`` of each interval (local clock).
    flat : numpy.ndarray of bool
        The interval is in its month's priced flat window.
    periods : dict of str to numpy.ndarray of int, default empty
        Per peak charge ``name`` the tariff has: the interval's priced period, -1 where none
        is priced.
    """

    month_key: np.ndarray
    flat: np.ndarray
    periods: Mapping[str, np.ndarray] = field(default_factory=dict)

    def mask(self, kind: str, period: int) -> np.ndarray:
        """True where an interval is in the window ``(kind, period)`` of its month."""
        if kind == FLAT:
            return np.asarray(self.flat, dtype=bool)
        if kind not in self.periods:
            return np.zeros(np.shape(self.flat), dtype=bool)
        return np.asarray(self.periods[kind]) == period

    def keys(self, k: int) -> tuple[WindowKey, ...]:
        """The priced windows of interval ``k``."""
        month = int(self.month_key[k])
        out: list[WindowKey] = []
        if self.flat[k]:
            out.append((month, FLAT, 0))
        for name, period in self.periods.items():
            if period[k] >= 0:
                out.append((month, name, int(period[k])))
        return tuple(out)

    def all_keys(self) -> set[WindowKey]:
        """Every priced window that some interval belongs to."""
        out: set[WindowKey] = {(int(m), FLAT, 0) for m in np.unique(self.month_key[self.flat])}
        for name, period in self.periods.items():
            priced = period >= 0
            if priced.any():
                span = int(period[priced].max()) + 1
                for code in np.unique(self.month_key[priced] * span + period[priced]):
                    month, p = divmod(int(code), span)
                    out.add((month, name, p))
        return out

    def __getitem__(self, part: slice) -> WindowMap:
        """The map of a run of the intervals (``part`` a slice)."""
        return WindowMap(
            month_key=self.month_key[part],
            flat=self.flat[part],
            periods={name: period[part] for name, period in self.periods.items()},
        )

    def unpriced(self) -> WindowMap:
        """The same intervals in no priced window."""
        return WindowMap(
            month_key=self.month_key,
            flat=np.zeros(len(self.month_key), dtype=bool),
            periods={name: np.full(len(p), -1, dtype=np.int64) for name, p in self.periods.items()},
        )

    def peaks(self, values_kw: np.ndarray) -> dict[WindowKey, float]:
        """Highest value [kW] over each window's intervals (e.g. a plan's grid import)."""
        out: dict[WindowKey, float] = {}
        for month in np.unique(self.month_key):
            in_month = self.month_key == month
            where = in_month & self.flat
            if where.any():
                out[(int(month), FLAT, 0)] = float(values_kw[where].max())
            for name, period in self.periods.items():
                for p in np.unique(period[in_month & (period >= 0)]):
                    where = in_month & (period == p)
                    out[(int(month), name, int(p))] = float(values_kw[where].max())
        return out

    def targets(self, targets_kw: Mapping[WindowKey, float]) -> np.ndarray:
        """Per-interval target [kW]: the lowest target of its windows (``inf`` if none)."""
        n = len(self.month_key)
        out = np.full(n, np.inf)
        for (month, kind, period), value in targets_kw.items():
            where = (self.month_key == month) & self.mask(kind, period)
            out[where] = np.minimum(out[where], value)
        return out


def window_map(tariff: Tariff, index: pd.DatetimeIndex) -> WindowMap:
    """The priced demand windows of the intervals labelled ``index`` (site-local zone)."""
    n = len(index)
    month_key = np.asarray(index.year * 12 + index.month, dtype=np.int64)
    flat = np.zeros(n, dtype=bool)
    if tariff.flat_demand is not None:
        periods = tariff.flat_demand.periods
        month_priced = np.array(
            [_priced(periods[p]) for p in tariff.flat_demand.month_periods], dtype=bool
        )
        flat = month_priced[np.asarray(index.month) - 1]
    charges: dict[str, np.ndarray] = {}
    for charge in tariff.peak_charges():
        priced = np.array([_priced(t) for t in charge.periods], dtype=bool)
        period = np.asarray(charge.period_of(tariff, index), dtype=np.int64)
        charges[charge.name] = np.where(priced[period], period, -1)
    return WindowMap(month_key=month_key, flat=flat, periods=charges)


class WindowMapCache:
    """:func:`window_map` on a fixed-step grid, computed once per run of days and sliced.

    A map is a function of each label alone (its local month, day type and hour), so the map
    of any run of labels on the grid is a slice of the map of a longer run that holds it. A
    request off the cached run computes the map from its first label over ``chunk_days``
    (or the request, if longer) and keeps that instead. Only the tariff's calendar is read:
    nothing about the site's data.

    Parameters
    ----------
    tariff : Tariff
        The retail tariff.
    step : pandas.Timedelta
        The grid's step.
    chunk_days : int, default 32
        Days computed at a time.
    """

    def __init__(self, tariff: Tariff, step: pd.Timedelta, chunk_days: int = 32) -> None:
        self._tariff = tariff
        self._step_ns = int(pd.Timedelta(step).value)
        self._chunk = max(1, round(pd.Timedelta(days=chunk_days).value / self._step_ns))
        self._start_ns = 0
        self._tz = None
        self._map: WindowMap | None = None

    def __call__(self, index: pd.DatetimeIndex) -> WindowMap:
        """The map of ``index``, equal to ``window_map(tariff, index)``.

        An index that is not a tz-aware run of the grid's step is computed directly.
        """
        ns = (index if index.unit == "ns" else index.as_unit("ns")).asi8
        n = len(ns)
        regular = n > 0 and bool(np.all(np.diff(ns) == self._step_ns))
        if not regular or index.tz is None:
            return window_map(self._tariff, index)
        offset, rest = divmod(int(ns[0]) - self._start_ns, self._step_ns)
        cached = self._map
        if (
            cached is None
            or rest
            or offset < 0
            or offset + n > len(cached.month_key)
            or str(index.tz) != self._tz
        ):
            step = pd.Timedelta(self._step_ns)
            grid = pd.date_range(index[0], periods=max(n, self._chunk), freq=step)
            cached = window_map(self._tariff, grid)
            for array in (cached.month_key, cached.flat, *cached.periods.values()):
                array.setflags(write=False)  # slices are handed out: shared, never changed
            self._map = cached
            self._start_ns, self._tz, offset = int(ns[0]), str(index.tz), 0
        return cached[offset : offset + n]


def target_raise_kw(
    net_kw: np.ndarray,
    target_kw: np.ndarray,
    battery: Battery,
    dt_h: float,
    *,
    available_kwh: float,
    ceiling_kw: np.ndarray | None = None,
    capacity_kwh: float | None = None,
    resolution_kw: float = 0.05,
) -> float:
    """Least uniform raise of the targets that ``available_kwh`` can hold over ``net_kw`` [kW].

    Holding ``target_kw`` over the net load ``net_kw`` needs
    :func:`~control.realtime.energy_need_kwh` at the first step (recharging below the charging
    ceiling ``ceiling_kw``) and a discharge rating that covers every excess. When either fails,
    the targets are raised together by the least amount that holds: at least the power bound,
    then bisection on the energy to ``resolution_kw``. ``ceiling_kw`` None lets the battery
    recharge up to the (raised) target; with ``capacity_kwh``, no step may need more stored
    energy than that either.
    """

    def need(raise_kw: float) -> float:
        target = target_kw + raise_kw
        ceiling = target if ceiling_kw is None else ceiling_kw
        needs = energy_need_kwh(net_kw, target, battery, dt_h, ceiling_kw=ceiling)
        if capacity_kwh is not None and needs.max() > capacity_kwh + _TOL_KWH:
            return math.inf
        return float(needs[0])

    finite = np.isfinite(target_kw)
    excess = net_kw[finite] - target_kw[finite]
    # beyond the discharge rating no stored energy helps: the target rises at least so far
    low = max(float(np.max(excess - battery.discharge_rating_kw, initial=0.0)), 0.0)
    if need(low) <= available_kwh + _TOL_KWH:
        return low
    high = float(np.max(excess, initial=0.0))
    while high - low > resolution_kw:
        middle = 0.5 * (low + high)
        if need(middle) <= available_kwh:
            high = middle
        else:
            low = middle
    return high


def raised_today(
    target_kw: np.ndarray,
    net_kw: np.ndarray,
    today: int,
    battery: Battery,
    dt_h: float,
    *,
    available_kwh: float,
    ceiling_kw: np.ndarray,
) -> np.ndarray:
    """Per-step targets with today's (steps ``:today``) raised as far as need be [kW].

    The raise is :func:`target_raise_kw` over today's steps of ``net_kw`` from the stored
    energy ``available_kwh``; later steps keep their targets (the battery recharges overnight).
    """
    raise_kw = target_raise_kw(
        net_kw[:today],
        target_kw[:today],
        battery,
        dt_h,
        available_kwh=available_kwh,
        ceiling_kw=ceiling_kw[:today],
    )
    if raise_kw <= 0:
        return target_kw
    raised = np.array(target_kw, dtype=float)
    raised[:today] += raise_kw
    return raised
