"""Battery wear cost (``degradation``): a cost per kWh discharged at the terminals.

.. math:: \\text{degradation} = \\sum_t k_{deg}\\, d_t\\, dt

with :math:`k_{deg}` = ``Battery.degradation_cost_usd_per_kwh``. Built only when it is > 0.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.streams.base import CoreHandles, Stream, StreamTerms

__all__ = ["DegradationStream"]


class DegradationStream(Stream):
    """Wear cost of discharged energy."""

    name = "degradation"

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """A constant cost per discharged kWh."""
        cost_per_kwh = core.battery.degradation_cost_usd_per_kwh
        d = core.discharge_kw
        block.cost_usd = pyo.Expression(
            expr=cost_per_kwh * core.dt_h * sum(d[t] for t in core.steps)
        )
        return StreamTerms(objective_usd=block.cost_usd)
