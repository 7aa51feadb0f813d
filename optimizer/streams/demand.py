"""Demand charges: monthly all-hours (``demand_flat``) and each peak charge (``demand_tou``, ...).

Demand groups and membership
----------------------------
A demand charge bills the peak of each *group* of steps: flat demand groups steps by billing
month, TOU demand by (billing month, TOU demand period). Because the model is re-solved for
windows starting anywhere, groups are fixed *slots* (see :mod:`optimizer.window`): flat group
``k`` is month slot ``k``; a peak charge's group ``(k, p)`` (TOU demand: demand window ``p``)
is month slot ``k`` and the charge's period ``p`` (``Window.demand_periods``).
A mutable 0/1 parameter ``member[g, t]`` tells whether step ``t`` is in group ``g``; it exists
only for a step's candidate slots. Per step ONE row covers the step by its group's peak:

.. math::

    \\sum_{g \\in cand(t)} member_{g,t}\\, D_g \\ge \\text{metered\\_demand}_t,
    \\qquad D_g \\ge floor_g, \\qquad D_g = \\sum_j x_{g,j}, \\quad 0 \\le x_{g,j} \\le w_{g,j}

and the term is :math:`\\sum_{g,j} rate_{g,j} x_{g,j}`. Exactly one ``member`` is 1 per step,
so the row reads :math:`D_{g(t)} \\ge` demand. ``floor`` is the month-to-date peak for the
first month's groups (``MonthToDate.flat_peak_kw``, ``MonthToDate.peak_kw(name)[p]``) and 0 for
later months; the cost includes the floor part, so a horizon covering the rest of a month costs
that month's whole demand charge. Tiers are convex segments (rates must not fall with the
tier); tier widths and rates are mutable because a flat group's tier set follows its month.
Demand is the per-step average kW: the step is the demand interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from core.errors import InputError
from markets.tariff import DemandTier
from optimizer.compile import templated
from optimizer.core import add_param, assign
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.streams._tiers import check_convex, padded_tiers
from optimizer.window import Window

if TYPE_CHECKING:
    from markets.peak_charges import PeakCharges
    from markets.tariff import Tariff
    from optimizer.battery import Battery

__all__ = ["FlatDemandStream", "PeakDemandStream"]


def demand_tier_layout(
    field: str, periods: tuple[tuple[DemandTier, ...], ...]
) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]]:
    """Tier count and per-period (widths, rates) on a common layout; refuses non-convex tiers."""
    n_tiers = max(len(tiers) for tiers in periods)
    out = []
    for p, tiers in enumerate(periods):
        limits = [t.max_kw for t in tiers]
        rates = [t.rate_usd_per_kw for t in tiers]
        check_convex(f"{field}[{p}]", limits, rates)
        _, width, rate = padded_tiers(limits, rates, n_tiers)
        out.append((width, rate))
    return n_tiers, out


def check_demand_window(tariff: Tariff, dt_h: float) -> None:
    """The tariff's demand window must not be longer than the model's step ``dt_h`` [h]."""
    window = tariff.demand_window_minutes
    if window is not None and window > dt_h * 60 * (1 + 1e-9):
        raise InputError(
            "Tariff.demand_window_minutes",
            window,
            f"at most the model's step of {dt_h * 60:g} min (the optimizer bills the "
            "per-step average; solve on the demand window's step instead)",
        )


def _build_groups(
    block: pyo.Block, core: CoreHandles, n_groups: int, pairs: list[tuple[int, int]], n_tiers: int
) -> pyo.Expression:
    """Peak, tier and cover rows for ``n_groups`` groups with candidate ``(group, step)`` pairs."""
    b = block
    b.groups = pyo.RangeSet(0, n_groups - 1)
    b.tiers = pyo.RangeSet(0, n_tiers - 1)
    b.pairs = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    add_param(b, "member", b.pairs)
    b.floor_kw = pyo.Param(b.groups, mutable=True, initialize=0.0, within=pyo.Any)
    b.width_kw = pyo.Param(
        b.groups, pyo.RangeSet(0, n_tiers - 2), mutable=True, initialize=0.0, within=pyo.Any
    )
    b.rate_usd_per_kw = pyo.Param(b.groups, b.tiers, mutable=True, initialize=0.0, within=pyo.Any)
    b.peak_kw = pyo.Var(b.groups, bounds=lambda b, g: (b.floor_kw[g], None))
    last = n_tiers - 1
    b.tier_kw = pyo.Var(
        b.groups, b.tiers, bounds=lambda b, g, j: (0.0, None if j == last else b.width_kw[g, j])
    )
    b.split = pyo.Constraint(
        b.groups, rule=lambda b, g: b.peak_kw[g] == sum(b.tier_kw[g, j] for j in b.tiers)
    )
    demand = core.metered_demand_kw
    if core.calendar is not None and len(pairs) == core.n_steps:
        _build_one_shot_cover(b, core, pairs)
    else:
        by_step: dict[int, list[int]] = {}
        for g, t in pairs:
            by_step.setdefault(t, []).append(g)
        b.cover = pyo.Constraint(
            core.steps,
            # Written as "sum - demand >= 0" so the mutable coefficients enter HiGHS
            # unnegated (a bare parameter per coefficient keeps the per-solve update cheap).
            rule=lambda b, t: (
                sum(b.member[g, t] * b.peak_kw[g] for g in by_step[t]) - demand[t] >= 0
            ),
        )
    b.cost_usd = pyo.Expression(
        expr=sum(b.rate_usd_per_kw[g, j] * b.tier_kw[g, j] for g in b.groups for j in b.tiers)
    )
    return b.cost_usd


def _build_one_shot_cover(b: pyo.Block, core: CoreHandles, pairs: list[tuple[int, int]]) -> None:
    """The cover rows of a one-shot model, one group per step, built as a template.

    The same rows as the general rule with a single candidate group per step; the template
    reads ``grid_import_kw`` and is rebuilt on ``metered_demand_kw`` by the core if a stream
    adds metered-demand terms (``CoreHandles.demand_rows``).
    """
    group = {t: g for g, t in pairs}
    # Immutable parameters read by a template hit a deprecated Pyomo call; a mutable one
    # serves as the template's lookup, the dict when the rule is called per step.
    add_param(b, "group_of_step", core.steps, values=[group[t] for t in range(core.n_steps)])

    def rule(b: pyo.Block, t, demand) -> pyo.Expression:
        g = group[t] if isinstance(t, int) else b.group_of_step[t]
        return b.member[g, t] * b.peak_kw[g] - demand[t] >= 0

    imported, metered = core.grid_import_kw, core.metered_demand_kw
    with templated():
        b.cover = pyo.Constraint(core.steps, rule=lambda b, t: rule(b, t, imported))
    core.demand_rows.append((b.cover, lambda b, t: rule(b, t, metered)))


def _write_tiers(block: pyo.Block, widths: np.ndarray, rates: np.ndarray) -> None:
    """``widths``: groups x (tiers-1) finite widths; ``rates``: groups x tiers."""
    if widths.shape[1]:
        assign(block.width_kw, widths.ravel())
    assign(block.rate_usd_per_kw, rates.ravel())


class FlatDemandStream(Stream):
    """Monthly all-hours demand charge on each billing month's peak (``demand_flat``)."""

    name = "demand_flat"

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """The tariff has flat (monthly) demand charges."""
        return tariff.flat_demand is not None

    @classmethod
    def check_tariff(cls, tariff: Tariff, dt_h: float) -> None:
        """Demand window within the step; convex tiers."""
        if tariff.flat_demand is not None:
            check_demand_window(tariff, dt_h)
            demand_tier_layout("Tariff.flat_demand.periods", tariff.flat_demand.periods)

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Groups are month slots; tiers follow ``FlatDemandCharges.month_periods``."""
        charges = core.tariff.flat_demand
        if charges is None:
            raise InputError("Tariff.flat_demand", None, "flat demand charges for demand_flat")
        n_tiers, period_tiers = demand_tier_layout("Tariff.flat_demand.periods", charges.periods)
        block._n_tiers = n_tiers
        block._period_tiers = period_tiers
        block._month_periods = charges.month_periods
        block._slot_pairs = core.slots.pairs
        cost = _build_groups(block, core, core.slots.n_slots, list(core.slots.pairs), n_tiers)
        return StreamTerms(objective_usd=cost)

    def update(self, block: pyo.Block, window: Window) -> None:
        """Membership by month slot; tiers of each present slot's flat period; MTD floor."""
        n_slots = len(block.groups)
        widths = np.zeros((n_slots, block._n_tiers - 1))
        rates = np.zeros((n_slots, block._n_tiers))
        for k, first in enumerate(window.slot_months):
            width, rate = block._period_tiers[block._month_periods[first.month - 1]]
            widths[k] = width[:-1]
            rates[k] = rate
        assign(block.member, window.membership(block._slot_pairs))
        floors = np.zeros(n_slots)
        floors[0] = window.month_to_date.flat_peak_kw
        assign(block.floor_kw, floors)
        _write_tiers(block, widths, rates)


class PeakDemandStream(Stream):
    """Demand charge on the peak of each (billing month, period) of one peak charge.

    One instance per peak charge the tariff has (:meth:`for_tariff`; TOU demand, ... see
    :mod:`markets.peak_charges`), named ``demand_<name>`` (``demand_tou``).

    Parameters
    ----------
    kind : type of markets.peak_charges.PeakCharges
        The peak charge, one of ``markets.tariff_terms.PEAK_CHARGES``.
    """

    def __init__(self, kind: type[PeakCharges]) -> None:
        self.kind = kind
        self.name = f"demand_{kind.name}"

    @classmethod
    def for_tariff(cls, tariff: Tariff, battery: Battery) -> list[Stream]:
        """One stream per peak charge of the tariff."""
        return [cls(type(part)) for part in tariff.peak_charges()]

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """The tariff has peak charges (TOU demand, ...)."""
        return bool(tariff.peak_charges())

    @classmethod
    def check_tariff(cls, tariff: Tariff, dt_h: float) -> None:
        """Demand window within the step; convex tiers."""
        for part in tariff.peak_charges():
            check_demand_window(tariff, dt_h)
            demand_tier_layout(f"Tariff.{part.field}.periods", part.periods)

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Groups ``k * P + p`` for month slot ``k`` and period ``p`` of the charge."""
        charges = getattr(core.tariff, self.kind.field)
        if charges is None:
            raise InputError(f"Tariff.{self.kind.field}", None, f"charges for {self.name}")
        n_tiers, period_tiers = demand_tier_layout(
            f"Tariff.{self.kind.field}.periods", charges.periods
        )
        n_periods = charges.n_periods
        block._n_periods = n_periods
        if core.calendar is None:
            pairs = [(k * n_periods + p, t) for k, t in core.slots.pairs for p in range(n_periods)]
        else:
            slot, period = core.calendar.month_slot, core.calendar.demand_periods[charges.name]
            pairs = [(int(slot[t]) * n_periods + int(period[t]), t) for t in range(core.n_steps)]
        cost = _build_groups(block, core, core.slots.n_slots * n_periods, pairs, n_tiers)
        widths = np.array([period_tiers[g % n_periods][0][:-1] for g in block.groups])
        rates = np.array([period_tiers[g % n_periods][1] for g in block.groups])
        _write_tiers(block, widths.reshape(len(block.groups), n_tiers - 1), rates)
        pair_arr = np.asarray(pairs, dtype=np.int64)
        block._pair_slot = pair_arr[:, 0] // n_periods
        block._pair_period = pair_arr[:, 0] % n_periods
        block._pair_step = pair_arr[:, 1]
        return StreamTerms(objective_usd=cost)

    def update(self, block: pyo.Block, window: Window) -> None:
        """Membership by month slot and period; month-to-date floors of the first month."""
        period = window.demand_periods[self.kind.name]
        step = block._pair_step
        member = (window.month_slot[step] == block._pair_slot) & (
            period[step] == block._pair_period
        )
        assign(block.member, member.astype(float))
        floors = np.zeros(len(block.groups))
        mtd = window.month_to_date.peak_kw(self.kind.name)
        if mtd:
            floors[: block._n_periods] = mtd
        assign(block.floor_kw, floors)
