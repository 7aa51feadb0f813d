"""Month slots and the per-solve data of one horizon ("window").

Why month slots
---------------
A :class:`~optimizer.model.DispatchModel` is built once for a horizon *length* and re-solved
for windows that start anywhere in the year, so which steps fall in which billing month
changes between solves while the Pyomo structure must not. Billing months are therefore
modelled as fixed *slots*: slot 0 is the billing month of the window's first step, slot 1 the
next month, and so on. Each step's slot is carried by mutable 0/1 membership parameters.

Not every step can be in every slot: a step ``x`` hours after the first label has crossed at
least ``lo`` and at most ``hi`` month boundaries, where ``lo``/``hi`` follow from the shortest
and longest runs of consecutive calendar months (28..31 days, +-1 h for a DST change). Only
those candidate (slot, step) pairs get a membership parameter, so a 48-h window has two
candidate slots per step and a full year about two to three, never all thirteen. TOU demand
and energy-period groups multiply the candidates by the number of periods.

A one-shot solve knows its window before the build; its model uses :meth:`SlotLayout.exact`
(each step's own slot only) and streams may restrict periods the same way
(``CoreHandles.calendar``), which makes long horizons several times smaller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ValuestackError
from optimizer.state import MonthToDate, TerminalSoc

__all__ = ["SlotLayout", "Window", "month_slot_layout"]

_DAYS_NON_LEAP = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
_DAYS_LEAP = np.array([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)


def _run_hours(m_max: int, days: np.ndarray, pick: Any) -> np.ndarray:
    """Shortest (``pick=np.min``) or longest run of ``m`` consecutive months, m = 0..m_max [h]."""
    out = np.zeros(m_max + 1)
    for m in range(1, m_max + 1):
        sums = [days[(start + np.arange(m)) % 12].sum() for start in range(12)]
        out[m] = pick(sums) * 24.0
    return out


@dataclass(frozen=True)
class SlotLayout:
    """Which month slots each step of a horizon may belong to.

    Attributes
    ----------
    n_slots : int
        Number of month slots the horizon can touch.
    lo, hi : numpy.ndarray of int
        Per step, the lowest and highest slot the step can be in (inclusive).
    pairs : tuple of (int, int)
        All candidate ``(slot, step)`` pairs, ordered by step then slot.
    """

    n_slots: int
    lo: np.ndarray
    hi: np.ndarray
    pairs: tuple[tuple[int, int], ...]

    @classmethod
    def exact(cls, month_slot: np.ndarray) -> SlotLayout:
        """The layout of one known window: each step's only candidate is its own slot."""
        slot = np.asarray(month_slot, dtype=np.int64)
        pairs = tuple((int(k), t) for t, k in enumerate(slot.tolist()))
        return cls(n_slots=int(slot.max()) + 1, lo=slot.copy(), hi=slot.copy(), pairs=pairs)


def month_slot_layout(n_steps: int, dt_h: float) -> SlotLayout:
    """Candidate month slots of every step of a horizon of ``n_steps`` steps of ``dt_h`` hours.

    Step ``i`` starts ``x = i * dt_h`` hours after the first label; the number of month
    boundaries in ``(t0, t0 + x]`` is at least ``max{m: longest run of m months <= x}`` and at
    most ``1 + max{m: shortest run of m months < x}`` (runs taken with 28/29-day Februaries
    and a one-hour DST allowance).
    """
    x = np.arange(n_steps) * dt_h
    m_max = int(math.ceil(x[-1] / (28 * 24 - 1))) + 2
    shortest = _run_hours(m_max, _DAYS_NON_LEAP, np.min) - 1.0
    longest = _run_hours(m_max, _DAYS_LEAP, np.max) + 1.0
    shortest[0] = longest[0] = 0.0
    lo = np.searchsorted(longest, x, side="right") - 1
    hi = np.searchsorted(shortest, x, side="left")
    hi[0] = 0
    lo = np.minimum(lo, hi)
    n_slots = int(hi.max()) + 1
    pairs = tuple((k, i) for i in range(n_steps) for k in range(int(lo[i]), int(hi[i]) + 1))
    return SlotLayout(n_slots=n_slots, lo=lo, hi=hi, pairs=pairs)


@dataclass(frozen=True, kw_only=True)
class Window:
    """Validated data of one solve (internal; built by the model from the user's inputs).

    Attributes
    ----------
    index : pandas.DatetimeIndex
        The horizon, tz-aware in the site's zone.
    dt_h : float
        Step length [h].
    load_kw, pv_kw : numpy.ndarray
        Site load and PV [kW].
    initial_soc_fraction : float
        Stored energy before the first step as a fraction of ``energy_kwh``.
    terminal : TerminalSoc
        Terminal condition.
    month_to_date : MonthToDate
        Billing state of the first billing month.
    month_slot : numpy.ndarray of int
        Month slot of every step (0 = the first step's billing month).
    slot_months : tuple of pandas.Timestamp
        The first label of each slot present in the window (its local calendar month).
    import_rate_usd_per_kwh, sell_rate_usd_per_kwh : numpy.ndarray
        First-tier import price and export credit of every step (tariff lookups) [$/kWh].
    energy_period : numpy.ndarray of int or None
        Tariff energy period of every step; None if the tariff has no energy charges.
    demand_periods : Mapping of str to numpy.ndarray of int
        Period of every step in each peak charge the tariff has (TOU demand, ...), by the
        charge's ``name`` (see :mod:`markets.peak_charges`).
    stream_inputs : Mapping of str to Any
        Per-stream data keyed by stream name (prices of market streams, ...).
    """

    index: pd.DatetimeIndex
    dt_h: float
    load_kw: np.ndarray
    pv_kw: np.ndarray
    initial_soc_fraction: float
    terminal: TerminalSoc
    month_to_date: MonthToDate
    month_slot: np.ndarray
    slot_months: tuple[pd.Timestamp, ...]
    import_rate_usd_per_kwh: np.ndarray
    sell_rate_usd_per_kwh: np.ndarray
    energy_period: np.ndarray | None = None
    demand_periods: Mapping[str, np.ndarray] = field(default_factory=dict)
    stream_inputs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def month_slots_of(
        cls, index: pd.DatetimeIndex, layout: SlotLayout, month_id: np.ndarray | None = None
    ) -> tuple[np.ndarray, tuple[pd.Timestamp, ...]]:
        """Month slot of every label of ``index`` and the first label of each slot.

        ``month_id`` (local ``year * 12 + month - 1`` of each label) is computed from
        ``index`` when not given.
        """
        if month_id is None:
            month_id = np.asarray(index.year, dtype=np.int64) * 12 + np.asarray(index.month) - 1
        slot = month_id - month_id[0]
        if (slot < layout.lo).any() or (slot > layout.hi).any():
            bad = int(np.argmax((slot < layout.lo) | (slot > layout.hi)))
            raise ValuestackError(
                f"internal: step {bad} ({index[bad]}) is in month slot {slot[bad]}, outside its "
                f"candidate slots {layout.lo[bad]}..{layout.hi[bad]}"
            )
        starts = np.flatnonzero(np.diff(slot, prepend=-1))
        return slot, tuple(index[i] for i in starts)

    def same_calendar(self, other: Window) -> bool:
        """True if ``other`` has the same month slots and tariff periods step by step."""

        def same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
            return (a is None and b is None) or (
                a is not None and b is not None and np.array_equal(a, b)
            )

        return (
            same(self.month_slot, other.month_slot)
            and same(self.energy_period, other.energy_period)
            and self.demand_periods.keys() == other.demand_periods.keys()
            and all(same(v, other.demand_periods[k]) for k, v in self.demand_periods.items())
        )

    def membership(self, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
        """1.0 where step ``t`` of each candidate pair ``(k, t)`` is in slot ``k``, else 0.0."""
        if not pairs:
            return np.zeros(0)
        arr = np.asarray(pairs, dtype=np.int64)
        return (self.month_slot[arr[:, 1]] == arr[:, 0]).astype(float)
