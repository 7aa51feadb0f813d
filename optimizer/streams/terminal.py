"""Value of the energy left in storage at the end (``terminal``), for ``TerminalMode.VALUED``.

.. math:: \\text{terminal} = -v\\, s_{T-1}

with :math:`v` = ``TerminalSoc.value_usd_per_kwh`` (a mutable parameter, 0 in the other
modes, whose bounds the core applies). Reported only when the mode is ``VALUED``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from optimizer.state import TerminalMode
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.window import Window

if TYPE_CHECKING:
    from markets.tariff import Tariff
    from optimizer.battery import Battery

__all__ = ["TerminalValueStream"]


class TerminalValueStream(Stream):
    """Worth of the stored energy at the end of the horizon (negative: a value)."""

    name = "terminal"

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """Always (reported only when the terminal condition values stored energy)."""
        return True

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """One mutable objective coefficient on the last SOC."""
        block.value_usd_per_kwh = pyo.Param(mutable=True, initialize=0.0)
        last = core.n_steps - 1
        block.cost_usd = pyo.Expression(expr=-block.value_usd_per_kwh * core.soc_kwh[last])
        return StreamTerms(objective_usd=block.cost_usd)

    def update(self, block: pyo.Block, window: Window) -> None:
        """The value per kWh in VALUED mode, else 0."""
        terminal = window.terminal
        valued = terminal.mode is TerminalMode.VALUED
        block.value_usd_per_kwh.set_value(terminal.value_usd_per_kwh if valued else 0.0)

    def reported(self, window: Window) -> bool:
        """Only in VALUED mode."""
        return window.terminal.mode is TerminalMode.VALUED
