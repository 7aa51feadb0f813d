"""Demand ratchet (``ratchet``): the billed monthly demand is at least a share of a past peak.

Following the bill engine (:mod:`markets.bill`), month ``k``'s billed flat demand is
``max(peak_k, fraction * reference_k)``, where the reference is the highest flat peak among
the month's look-back months before it. The ratchet term is what the ratchet adds on top of the
``demand_flat`` term, at the month's flat rate (flat demand must be single-tier):

.. math::

    r_k \\ge f\\, R - D_k, \\qquad r_k \\ge f\\, lb_{k',k} D_{k'} - D_k \\; (k' < k),
    \\qquad r_k \\ge 0, \\qquad \\text{ratchet} = \\sum_k rate_k\\, r_k

with :math:`D_k` the ``demand_flat`` block's peak of month slot ``k``, :math:`f` the look-back
fraction, :math:`R` = ``MonthToDate.ratchet_peak_kw`` (the reference carried in from before
the horizon, applied to every month of the horizon) and :math:`lb_{k',k}` a mutable 0/1 flag
telling whether an earlier month of the horizon is in month ``k``'s look-back. For a later
month of the horizon the carried reference may include a month that has left its look-back
window; the optimizer then values the ratchet conservatively (the bill engine prices the
realized schedule exactly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from core.errors import InputError
from markets.tariff import Tariff
from optimizer.core import assign
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.window import Window

if TYPE_CHECKING:
    from optimizer.battery import Battery

__all__ = ["RatchetStream"]


def check_ratchet(tariff: Tariff) -> None:
    """Raise ``InputError`` unless the tariff has a ratchet on single-tier flat demand."""
    if tariff.ratchet is None or tariff.flat_demand is None:
        raise InputError("Tariff.ratchet", tariff.ratchet, "a ratchet on flat demand charges")
    for p, tiers in enumerate(tariff.flat_demand.periods):
        if len(tiers) > 1:
            raise InputError(
                f"Tariff.flat_demand.periods[{p}]",
                f"{len(tiers)} tiers",
                "single-tier flat demand charges under a ratchet",
            )


class RatchetStream(Stream):
    """Extra flat demand charge when a look-back peak binds."""

    name = "ratchet"

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """The tariff has a demand ratchet on flat demand charges."""
        return tariff.ratchet is not None and tariff.flat_demand is not None

    @classmethod
    def check_tariff(cls, tariff: Tariff, dt_h: float) -> None:
        """A ratchet applies to single-tier flat demand charges only."""
        if tariff.ratchet is not None and tariff.flat_demand is not None:
            check_ratchet(tariff)

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Needs the ``demand_flat`` stream built before it, with single-tier periods."""
        tariff = core.tariff
        check_ratchet(tariff)
        flat = core.model.find_component("stream_demand_flat")
        if flat is None:
            raise InputError("streams", "no demand_flat stream", "demand_flat before ratchet")
        b = block
        b._ratchet = tariff.ratchet
        b._flat_demand = tariff.flat_demand
        # A tuple, so that Pyomo does not adopt the components as children of this block.
        b._refs = (flat, core.metered_demand_kw)
        n_slots = core.slots.n_slots
        b.slots = pyo.RangeSet(0, n_slots - 1)
        earlier = [(j, k) for k in range(n_slots) for j in range(k)]
        b.earlier = pyo.Set(initialize=earlier, dimen=2, ordered=True)
        b.looks_back = pyo.Param(b.earlier, mutable=True, initialize=0.0)
        b.reference_kw = pyo.Param(mutable=True, initialize=0.0)
        b.rate_usd_per_kw = pyo.Param(b.slots, mutable=True, initialize=0.0)
        b.extra_kw = pyo.Var(b.slots, bounds=(0.0, None))
        fraction = tariff.ratchet.lookback_fraction
        peak = flat.peak_kw
        b.over_reference = pyo.Constraint(
            b.slots, rule=lambda b, k: b.extra_kw[k] >= fraction * b.reference_kw - peak[k]
        )
        b.over_earlier = pyo.Constraint(
            b.earlier,
            rule=lambda b, j, k: b.extra_kw[k] >= fraction * b.looks_back[j, k] * peak[j] - peak[k],
        )
        b.cost_usd = pyo.Expression(expr=sum(b.rate_usd_per_kw[k] * b.extra_kw[k] for k in b.slots))
        return StreamTerms(objective_usd=b.cost_usd)

    def settle(self, block: pyo.Block, window: Window, values: dict[str, float]) -> None:
        """Bill the measured peak as ``demand_flat`` and only the excess as ``ratchet``.

        In the LP a month's flat peak variable may sit anywhere between the measured peak and
        the ratchet's billed demand at equal cost (both pay the flat rate), so the split of
        the same total is fixed here: ``demand_flat`` gets ``rate * measured`` and
        ``ratchet`` gets ``rate * (billed - measured)``, as the bill engine's billed demand.
        """
        flat, metered_kw = block._refs
        metered = np.array([pyo.value(e) for e in metered_kw.values()])
        slot = window.month_slot
        moved = 0.0
        for k in range(len(window.slot_months)):
            measured = max(pyo.value(flat.floor_kw[k]), float(metered[slot == k].max()))
            billed = pyo.value(flat.peak_kw[k]) + pyo.value(block.extra_kw[k])
            rate = pyo.value(block.rate_usd_per_kw[k])
            ratchet_usd = rate * max(billed - measured, 0.0)
            moved += ratchet_usd - rate * pyo.value(block.extra_kw[k])
        values["ratchet"] = values["ratchet"] + moved
        values["demand_flat"] = values["demand_flat"] - moved

    def update(self, block: pyo.Block, window: Window) -> None:
        """Reference, look-back flags between the horizon's months and each month's rate."""
        ratchet = block._ratchet
        months = window.slot_months
        flags = []
        for j, k in block.earlier:
            counts = 0.0
            if k < len(months):
                back = k - j
                if ratchet.lookback_range_months > 0:
                    counts = float(1 <= back <= ratchet.lookback_range_months)
                else:
                    counts = float(back <= 11 and ratchet.lookback_months[months[j].month - 1])
            flags.append(counts)
        if flags:
            assign(block.looks_back, np.array(flags))
        block.reference_kw.set_value(window.month_to_date.ratchet_peak_kw)
        rates = np.zeros(len(block.slots))
        flat = block._flat_demand
        for k, first in enumerate(months):
            rates[k] = flat.periods[flat.month_periods[first.month - 1]][0].rate_usd_per_kw
        assign(block.rate_usd_per_kw, rates)
