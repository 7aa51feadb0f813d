"""A plan as the real-time layer reads it, and the small rules of making one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from control.targets import FLAT, WindowMap
from control.types import Forecast
from markets.peak_charges import PeakCharges
from optimizer.calendar import CalendarCache
from optimizer.state import MonthToDate

__all__ = [
    "Plan",
    "cheapest_ahead",
    "day_ends",
    "fill_steps",
    "floored",
    "idle_plan",
    "rest_of_day_max",
]


@dataclass
class Plan:
    """One plan, as the real-time layer reads it: arrays over the plan's steps."""

    start_ns: int
    number: int
    windows: WindowMap
    charge: np.ndarray
    discharge: np.ndarray
    soc: np.ndarray
    need: np.ndarray  # n + 1 entries
    import_kw: np.ndarray  # the plan's own import per step
    load: np.ndarray
    pv: np.ndarray
    awards: dict[str, np.ndarray]
    high_net: np.ndarray  # net load of the high scenario the plan was made on
    ceiling: np.ndarray  # highest meter reading charging may cause per step
    day_end: np.ndarray  # per step: position of the next local midnight (or the plan's end)
    high_rest_max: np.ndarray  # per step: the high scenario's highest net load to day_end
    fill: np.ndarray  # per step: charge toward a full battery (the day's cheapest import rate)

    def __len__(self) -> int:
        return len(self.charge)


def idle_plan(start_ns: int, number: int, windows: WindowMap, fc: Forecast | None) -> Plan:
    """A plan that asks for no power over ``windows``' steps (a fallback)."""
    n = len(windows.month_key)
    zeros = np.zeros(n)
    return Plan(
        start_ns=start_ns,
        number=number,
        windows=windows,
        charge=zeros,
        discharge=zeros,
        soc=np.full(n, np.nan),
        need=np.zeros(n + 1),
        import_kw=np.zeros(n),
        load=np.full(n, np.nan) if fc is None else np.asarray(fc.load_kw[:n], dtype=float),
        pv=np.full(n, np.nan) if fc is None or fc.pv_kw is None else fc.pv_kw[:n],
        awards={},
        high_net=np.full(n, np.nan),
        ceiling=zeros,
        day_end=np.full(n, n),
        high_rest_max=np.full(n, np.nan),
        fill=np.zeros(n, dtype=bool),
    )


def rest_of_day_max(values: np.ndarray, day_end: np.ndarray) -> np.ndarray:
    """Per step ``k``: the highest of ``values[k:day_end[k]]``."""
    out = np.empty(len(values))
    start = 0
    for end in np.unique(day_end):
        out[start:end] = np.maximum.accumulate(values[start:end][::-1])[::-1]
        start = end
    return out


def cheapest_ahead(rate: np.ndarray, steps: int) -> np.ndarray:
    """Per step ``k``: ``rate[k]`` is the lowest of ``rate[k : k + steps]`` (within 1e-12)."""
    padded = np.append(np.asarray(rate, dtype=float), np.full(max(steps, 1) - 1, np.inf))
    ahead = np.lib.stride_tricks.sliding_window_view(padded, max(steps, 1)).min(axis=1)
    return rate <= ahead + 1e-12


def fill_steps(calendar: CalendarCache, index: pd.DatetimeIndex) -> np.ndarray:
    """Steps of ``index`` at the lowest retail import rate of the next 24 h (rates from the
    optimizer's cached calendar lookups)."""
    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1)
    day = max(1, round(pd.Timedelta(days=1) / step))
    return cheapest_ahead(calendar.lookups(index).import_rate_usd_per_kwh, day)


def day_ends(index: pd.DatetimeIndex) -> np.ndarray:
    """Per step of ``index``: the position of the first step of the next local day (or ``n``)."""
    dates = np.asarray(index.date)
    starts = np.flatnonzero(dates[1:] != dates[:-1]) + 1
    return np.append(starts, len(index))[np.searchsorted(starts, np.arange(len(index)), "right")]


def floored(
    mtd: MonthToDate,
    holdable: Mapping[tuple[str, int], float],
    charges: Iterable[PeakCharges],
) -> MonthToDate:
    """``mtd`` with its flat peak and the peaks of ``charges`` raised to the history's holdable
    levels (kinds of window as in :mod:`control.targets`)."""
    peaks = {
        charge.name: tuple(
            max(value, holdable.get((charge.name, p), 0.0))
            for p, value in enumerate(mtd.peak_kw(charge.name) or (0.0,) * charge.n_periods)
        )
        for charge in charges
    }
    return replace(
        mtd.replace_peaks(peaks), flat_peak_kw=max(mtd.flat_peak_kw, holdable.get((FLAT, 0), 0.0))
    )
