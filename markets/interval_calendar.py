"""Month and tariff periods of the intervals of a fixed step grid, looked up ahead in spans.

:class:`IntervalCalendar` serves :class:`markets.meter.MonthToDateMeter`: the tariff's period
lookups (:meth:`~markets.tariff.Tariff.energy_period` and each peak charge's
:meth:`~markets.peak_charges.PeakCharges.period_of`) cost a few milliseconds per call whatever
the length, so they are made for about 32 days of intervals at once and kept as lists that
one interval reads in O(1).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # markets.tariff imports markets.bill, which imports this module
    from markets.tariff import Tariff

__all__ = ["IntervalCalendar", "month_key"]

SPAN_NS = 32 * 24 * 3_600 * 10**9
"""Length of time whose intervals are looked up at once [ns]."""


def month_key(year: int, month: int) -> int:
    """A billing month as one integer, ``year * 12 + month - 1``."""
    return year * 12 + (month - 1)


class IntervalCalendar:
    """Month key, energy period and peak-charge periods of the intervals on a step grid.

    Parameters
    ----------
    tariff : Tariff
        The tariff whose schedules are read; without energy charges the energy period is 0.
    step_ns : int
        The grid's step [ns].
    tz : datetime.tzinfo
        The zone whose wall clock sets months and periods.

    Attributes
    ----------
    month, energy : list of int
        Values of the intervals of the loaded span, by position (see :meth:`position`).
    demand : list of tuple of int
        Per interval of the loaded span, its period in each peak charge the tariff has
        (``Tariff.peak_charges()`` order).
    """

    def __init__(self, tariff: Tariff, step_ns: int, tz: dt.tzinfo) -> None:
        self._tariff = tariff
        self._step_ns = step_ns
        self._tz = tz
        self._start_ns = 0
        self._end_ns = -1
        self._arrays: tuple[np.ndarray, ...] = ()
        self.month: list[int] = []
        self.energy: list[int] = []
        self.demand: list[tuple[int, ...]] = []

    def lookup(self, local: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Month keys, energy periods (int arrays) and peak-charge periods (charges x
        intervals) of ``local``."""
        key = np.asarray(local.year, dtype=np.int64) * 12 + np.asarray(local.month) - 1
        tariff = self._tariff
        n = len(local)
        energy = tariff.energy_period(local) if tariff.energy is not None else np.zeros(n, np.int64)
        demand = np.zeros((0, n), dtype=np.int64)
        parts = tariff.peak_charges()
        if parts:
            demand = np.stack([np.asarray(p.period_of(tariff, local), np.int64) for p in parts])
        return key, energy, demand

    def _load(self, ns: int) -> None:
        n = max(2, -(-SPAN_NS // self._step_ns))
        index = pd.date_range(
            pd.Timestamp(ns, tz=self._tz), periods=n, freq=pd.Timedelta(self._step_ns)
        )
        self._start_ns = ns
        self._end_ns = ns + n * self._step_ns
        self._arrays = self.lookup(index)
        key, energy, demand = self._arrays
        self.month, self.energy = key.tolist(), energy.tolist()
        self.demand = list(zip(*demand.tolist(), strict=True)) if len(demand) else [()] * n

    def position(self, ns: int) -> int:
        """Position in :attr:`month` (etc.) of the interval starting at ``ns`` (on the grid)."""
        if not self._start_ns <= ns < self._end_ns:
            self._load(ns)
        return (ns - self._start_ns) // self._step_ns

    def arrays(
        self, ns: np.ndarray, index: pd.DatetimeIndex
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Month keys and periods (as :meth:`lookup`) of consecutive intervals ``index``
        (starts ``ns``)."""
        n = len(ns)
        if n * self._step_ns > SPAN_NS:
            return self.lookup(index.tz_convert(self._tz))
        if not self._start_ns <= int(ns[0]) <= int(ns[-1]) < self._end_ns:
            self._load(int(ns[0]))
        i = (int(ns[0]) - self._start_ns) // self._step_ns
        key, energy, demand = self._arrays
        return key[i : i + n], energy[i : i + n], demand[:, i : i + n]

    def month_of(self, ns: int) -> int:
        """Month key of the instant ``ns`` (looked up directly outside the loaded span)."""
        if self._start_ns <= ns < self._end_ns:
            return self.month[(ns - self._start_ns) // self._step_ns]
        stamp = pd.Timestamp(ns, tz=self._tz)
        return month_key(stamp.year, stamp.month)
