"""Export compensation (``export``): sell rate, flat rate or monthly net metering.

``SELL_RATE`` / ``FLAT_RATE`` (sell price a mutable parameter, ``Tariff.sell_rate_usd_per_kwh``):

.. math:: \\text{export} = -\\sum_t sell_t\\, ge_t\\, dt

``NET_METERING`` follows the bill engine (:mod:`markets.bill`): within each billing month and
energy period, exports offset imports kWh for kWh; the net import is billed at the period's
rate and a net surplus earns the period's sell rate. Per group (month slot ``k``, period ``p``;
membership as in :mod:`optimizer.streams.demand`) with the month-to-date volumes ``I, X``
(``MonthToDate.import_kwh_by_period`` / ``export_kwh_by_period``, first month only):

.. math::

    N_{k,p} = \\sum_t member_{(k,p),t} (gi_t - ge_t) dt + I_p - X_p, \\qquad
    B_{k,p} \\ge N_{k,p}, \\; B_{k,p} \\ge 0

    \\text{net bill} = \\sum_{k,p} (rate_p - sell_p) B_{k,p} + sell_p N_{k,p}

(:math:`B` is the billed net import and :math:`B - N` the surplus; convex while
``rate_p >= sell_p``, else ``InputError``). As in the bill, the ``export`` term is the net bill
minus the charge on gross imports (the ``energy`` term plus the month-to-date imports at their
rates), i.e. minus the export credit. Tiered net-metered tariffs raise ``InputError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from core.errors import InputError
from markets.tariff import ExportMode, Tariff
from optimizer.core import assign
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.window import Window

if TYPE_CHECKING:
    from optimizer.battery import Battery

__all__ = ["ExportStream"]


def net_metering_rates(tariff: Tariff) -> tuple[np.ndarray, np.ndarray]:
    """Import and sell rate per energy period under net metering [$/kWh].

    Raises
    ------
    InputError
        Without energy charges, with tiered energy charges, or with a sell rate above the
        period's import rate (the net-metering LP is convex only then).
    """
    energy = tariff.energy
    if energy is None:
        raise InputError("Tariff.energy", None, "energy charges for net metering to offset")
    if energy.is_tiered:
        raise InputError(
            "Tariff.energy.periods",
            "tiered rates under NET_METERING",
            "untiered energy rates (the optimizer does not model tiered net metering)",
        )
    rate = np.array([tiers[0].rate_usd_per_kwh for tiers in energy.periods])
    sell = np.array([tiers[0].sell_usd_per_kwh for tiers in energy.periods])
    for p in np.flatnonzero(sell > rate):
        raise InputError(
            f"Tariff.energy.periods[{p}][0].sell_usd_per_kwh",
            float(sell[p]),
            f"at most the period's import rate {rate[p]} under net metering",
        )
    return rate, sell


class ExportStream(Stream):
    """Export credit; a negative term (revenue)."""

    name = "export"

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """Exports earn something under the tariff."""
        return tariff.export.mode is not ExportMode.NONE

    @classmethod
    def check_tariff(cls, tariff: Tariff, dt_h: float) -> None:
        """Sell rates need energy periods; net metering needs its rates per period."""
        if tariff.export.mode is ExportMode.SELL_RATE and tariff.energy is None:
            raise InputError("Tariff.energy", None, "energy periods carrying SELL_RATE sell rates")
        if tariff.export.mode is ExportMode.NET_METERING:
            net_metering_rates(tariff)

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Per-step sell prices, or net-metering groups."""
        tariff = core.tariff
        b = block
        ge = core.grid_export_kw
        b._net_metering = tariff.export.mode is ExportMode.NET_METERING
        if not b._net_metering:
            # -sell * dt: the (negative) cost of 1 kW exported over the step.
            b.export_cost_usd_per_kw = pyo.Param(core.steps, mutable=True, initialize=0.0)
            b.cost_usd = pyo.Expression(
                expr=sum(b.export_cost_usd_per_kw[t] * ge[t] for t in core.steps)
            )
            return StreamTerms(objective_usd=b.cost_usd)
        return StreamTerms(objective_usd=self._build_net_metering(b, core))

    @staticmethod
    def _build_net_metering(b: pyo.Block, core: CoreHandles) -> pyo.Expression:
        rate, sell = net_metering_rates(core.tariff)
        n_periods = len(rate)
        b._rate = rate
        b._n_periods = n_periods
        if core.calendar is None:
            pairs = [(k * n_periods + p, t) for k, t in core.slots.pairs for p in range(n_periods)]
        else:
            slot, period = core.calendar.month_slot, core.calendar.energy_period
            pairs = [(int(slot[t]) * n_periods + int(period[t]), t) for t in range(core.n_steps)]
        pair_arr = np.asarray(pairs, dtype=np.int64)
        b._pair_slot = pair_arr[:, 0] // n_periods
        b._pair_period = pair_arr[:, 0] % n_periods
        b._pair_step = pair_arr[:, 1]
        n_groups = core.slots.n_slots * n_periods
        b.groups = pyo.RangeSet(0, n_groups - 1)
        b.pairs = pyo.Set(initialize=pairs, dimen=2, ordered=True)
        # Hours of step t that count in group g: dt if t is in g, else 0.
        b.member_h = pyo.Param(b.pairs, mutable=True, initialize=0.0)
        b.minus_member_h = pyo.Param(b.pairs, mutable=True, initialize=0.0)
        b.carried_kwh = pyo.Param(b.groups, mutable=True, initialize=0.0)
        b.carried_import_usd = pyo.Param(mutable=True, initialize=0.0)
        b.billed_kwh = pyo.Var(b.groups, bounds=(0.0, None))
        gi, ge = core.grid_import_kw, core.grid_export_kw
        by_group: dict[int, list[int]] = {}
        for g, t in pairs:
            by_group.setdefault(g, []).append(t)

        def net(b, g):
            return (
                sum(
                    b.member_h[g, t] * gi[t] + b.minus_member_h[g, t] * ge[t]
                    for t in by_group.get(g, [])
                )
                + b.carried_kwh[g]
            )

        b.net_kwh = pyo.Expression(b.groups, rule=net)
        b.net_below_billed = pyo.Constraint(
            b.groups, rule=lambda b, g: b.net_kwh[g] - b.billed_kwh[g] <= 0
        )
        gross = core.model.find_component("stream_energy").cost_usd
        b.cost_usd = pyo.Expression(
            expr=sum(
                float(rate[g % n_periods] - sell[g % n_periods]) * b.billed_kwh[g]
                + float(sell[g % n_periods]) * b.net_kwh[g]
                for g in b.groups
            )
            - gross
            - b.carried_import_usd
        )
        return b.cost_usd

    def update(self, block: pyo.Block, window: Window) -> None:
        """Sell prices per step, or membership and the first month's carried volumes."""
        if not block._net_metering:
            assign(block.export_cost_usd_per_kw, -window.sell_rate_usd_per_kwh * window.dt_h)
            return
        step = block._pair_step
        member = (window.month_slot[step] == block._pair_slot) & (
            window.energy_period[step] == block._pair_period
        )
        assign(block.member_h, member.astype(float) * window.dt_h)
        assign(block.minus_member_h, -member.astype(float) * window.dt_h)
        n_periods = block._n_periods
        carried = np.zeros(len(block.groups))
        mtd = window.month_to_date
        imported = np.zeros(n_periods)
        if mtd.import_kwh_by_period:
            imported[:] = mtd.import_kwh_by_period
        exported = np.zeros(n_periods)
        if mtd.export_kwh_by_period:
            exported[:] = mtd.export_kwh_by_period
        carried[:n_periods] = imported - exported
        assign(block.carried_kwh, carried)
        block.carried_import_usd.set_value(float(imported @ block._rate))
