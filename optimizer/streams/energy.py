r"""Retail energy charges (``energy``): time-of-use, optionally tiered by month-to-date import.

Every tariff pays the first-tier import rate of each step's energy period (a mutable
parameter, ``Tariff.import_rate_usd_per_kwh``):

.. math:: \text{energy} = \sum_t price_t\, gi_t\, dt + \text{tier adders}

Tiers follow the bill engine (:mod:`markets.bill`, as NREL SAM): tier limits apply to the
billing month's *total* import over all periods ``E``, and period ``p`` pays
``(E_p / E) cost_p(E)``. That is linear-programmable exactly when every period has the same
tier limits and the same adder over its first tier in each tier,
``rate_{p,j} = rate_{p,0} + delta_j`` (one-period tiered tariffs always are); then the month
costs :math:`\sum_p rate_{p,0} E_p + C(E)` with :math:`C` the adder cost of the total. With
``delta_j`` non-decreasing :math:`C` is convex, and per month slot ``k`` (membership as in
:mod:`optimizer.streams.demand`):

.. math::

    \sum_{t \in cand(k)} member_{k,t}\, dt\, gi_t = \sum_j e_{k,j},
    \quad 0 \le e_{k,j} \le w_{k,j}, \qquad C = \sum_{k,j} delta_j\, e_{k,j}

where the first month's widths are what is left of each tier after the month-to-date import
(the sum of ``MonthToDate.import_kwh_by_period``; later months start at 0). Other tier
structures raise ``InputError`` naming the period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from core.errors import InputError
from markets.tariff import Tariff
from optimizer.core import assign
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.streams._tiers import check_convex, padded_tiers
from optimizer.window import Window

if TYPE_CHECKING:
    from optimizer.battery import Battery

__all__ = ["EnergyStream"]


class EnergyStream(Stream):
    """Retail energy charges on grid import."""

    name = "energy"

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """The tariff has energy charges."""
        return tariff.energy is not None

    @classmethod
    def check_tariff(cls, tariff: Tariff, dt_h: float) -> None:
        """Tiered energy charges must have convex adders (see :func:`tier_adders`)."""
        if tariff.energy is not None and tariff.energy.is_tiered:
            tier_adders(tariff)

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Per-step first-tier prices, plus month-slot tier adders if the tariff is tiered."""
        charges = core.tariff.energy
        if charges is None:
            raise InputError("Tariff.energy", None, "energy charges for the energy stream")
        b = block
        gi = core.grid_import_kw
        # price * dt: the cost of 1 kW imported over the step; a bare parameter per
        # coefficient keeps the persistent solver's per-solve update cheap.
        b.import_cost_usd_per_kw = pyo.Param(core.steps, mutable=True, initialize=0.0)
        b._tiered = charges.is_tiered
        cost = sum(b.import_cost_usd_per_kw[t] * gi[t] for t in core.steps)
        if charges.is_tiered:
            cost = cost + self._build_adders(b, core)
        b.cost_usd = pyo.Expression(expr=cost)
        return StreamTerms(objective_usd=b.cost_usd)

    @staticmethod
    def _build_adders(b: pyo.Block, core: CoreHandles):
        lower, width, delta = tier_adders(core.tariff)
        n_tiers = len(delta)
        b._lower = lower
        b._width = width
        b._pairs = core.slots.pairs
        b.groups = pyo.RangeSet(0, core.slots.n_slots - 1)
        b.tiers = pyo.RangeSet(0, n_tiers - 1)
        b.pairs = pyo.Set(initialize=core.slots.pairs, dimen=2, ordered=True)
        # Hours of step t that count in month slot k: dt if t is in k, else 0.
        b.member_h = pyo.Param(b.pairs, mutable=True, initialize=0.0)
        b.width_kwh = pyo.Param(b.groups, pyo.RangeSet(0, n_tiers - 2), mutable=True, initialize=0)
        last = n_tiers - 1
        b.tier_kwh = pyo.Var(
            b.groups,
            b.tiers,
            bounds=lambda b, k, j: (0.0, None if j == last else b.width_kwh[k, j]),
        )
        by_slot: dict[int, list[int]] = {}
        for k, t in core.slots.pairs:
            by_slot.setdefault(k, []).append(t)
        gi = core.grid_import_kw
        b.split = pyo.Constraint(
            b.groups,
            # "import - tiers == 0": the mutable coefficients enter HiGHS unnegated.
            rule=lambda b, k: (
                sum(b.member_h[k, t] * gi[t] for t in by_slot[k])
                - sum(b.tier_kwh[k, j] for j in b.tiers)
                == 0
            ),
        )
        return sum(
            float(delta[j]) * b.tier_kwh[k, j] for k in b.groups for j in b.tiers if delta[j]
        )

    def update(self, block: pyo.Block, window: Window) -> None:
        """Prices per step; tier membership and the widths left after month-to-date import."""
        assign(block.import_cost_usd_per_kw, window.import_rate_usd_per_kwh * window.dt_h)
        if not block._tiered:
            return
        assign(block.member_h, window.membership(block._pairs) * window.dt_h)
        n_slots = len(block.groups)
        lower = block._lower[:-1]
        upper = lower + block._width[:-1]
        widths = np.tile(block._width[:-1], (n_slots, 1))
        used = float(sum(window.month_to_date.import_kwh_by_period))
        widths[0] = np.clip(upper - np.maximum(lower, used), 0.0, None)
        if widths.shape[1]:
            assign(block.width_kwh, widths.ravel())


def tier_adders(tariff: Tariff) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Common tier layout of a tiered tariff: lower edges, widths [kWh] and adders [$/kWh].

    Raises
    ------
    InputError
        If the periods' tier limits differ, their adders over the first tier differ, or the
        adders fall with the tier (see the module docstring).
    """
    periods = tariff.energy.periods
    n_tiers = max(len(tiers) for tiers in periods)
    ref_limits = None
    ref_delta = None
    for p, tiers in enumerate(periods):
        if len(tiers) != n_tiers:
            raise InputError(
                f"Tariff.energy.periods[{p}]",
                f"{len(tiers)} tiers",
                f"{n_tiers} tiers like the other periods (the optimizer prices tiers on the "
                "month's total import, which needs the same tier limits in every period)",
            )
        limits = [t.max_kwh for t in tiers]
        base = tiers[0].rate_usd_per_kwh
        delta = [t.rate_usd_per_kwh - base for t in tiers]
        check_convex(f"Tariff.energy.periods[{p}]", limits, [t.rate_usd_per_kwh for t in tiers])
        if ref_limits is None:
            ref_limits, ref_delta = limits, delta
        elif limits != ref_limits or not np.allclose(delta, ref_delta, rtol=0, atol=1e-12):
            raise InputError(
                f"Tariff.energy.periods[{p}]",
                [(t.max_kwh, t.rate_usd_per_kwh) for t in tiers],
                f"the tier limits {ref_limits} and the adders over the first tier {ref_delta} "
                "of period 0 (tiers on the month's total import are linear only then)",
            )
    lower, width, _ = padded_tiers(ref_limits, ref_delta, n_tiers)
    return lower, width, np.asarray(ref_delta, dtype=float)
