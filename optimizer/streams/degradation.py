"""Battery wear cost (``degradation``): a cost per kWh discharged at the terminals.

.. math:: \\text{degradation} = \\sum_t k_{deg}\\, d_t\\, dt

with :math:`k_{deg}` = ``Battery.degradation_cost_usd_per_kwh``. Built only when it is > 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from optimizer.streams import CoreHandles, Stream, StreamTerms

if TYPE_CHECKING:
    from markets.tariff import Tariff
    from optimizer.battery import Battery

__all__ = ["DegradationStream"]


class DegradationStream(Stream):
    """Wear cost of discharged energy."""

    name = "degradation"

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """The battery has a positive wear cost."""
        return battery.degradation_cost_usd_per_kwh > 0

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """A constant cost per discharged kWh."""
        cost_per_kwh = core.battery.degradation_cost_usd_per_kwh
        d = core.discharge_kw
        block.cost_usd = pyo.Expression(
            expr=cost_per_kwh * core.dt_h * sum(d[t] for t in core.steps)
        )
        return StreamTerms(objective_usd=block.cost_usd)
