"""Wholesale energy (``wholesale_energy``): the battery's net output sold at a market price.

.. math:: \\text{revenue} = \\sum_t p_t\\, (d_t - c_t)\\, dt

with ``p`` one energy price column of :class:`~markets.prices.MarketPrices` (day-ahead or
real-time LMP) [$/kWh], ``d``/``c`` the battery's discharge and charge at its terminals.
The stream settles the battery's own net output, as an ISO settles a storage resource behind
its own revenue meter. Front of the meter, give the model zero load and PV and a tariff with no
charges (``Tariff(name=...)``): the battery's output is then the site's net export. Behind the
meter, the retail streams still price the site meter while this stream prices the battery as
a separately metered wholesale resource; the two are different settlements of different
quantities and are not netted against each other (check that the program you model allows
both).

Energy deployed by capacity products (regulation, reserves) is settled by their own streams
(:mod:`optimizer.streams.capacity`), not here, so no kWh is paid twice.

Per-solve data: ``stream_inputs[name]`` is a :class:`MarketPrices` covering the window.
"""

from __future__ import annotations

import pyomo.environ as pyo

from core.errors import InputError
from markets.prices import ENERGY_DA, MarketPrices, PriceKind, price_kind
from optimizer.core import assign
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.window import Window

__all__ = ["WholesaleEnergyStream", "window_prices"]


def window_prices(stream_name: str, window: Window, columns: tuple[str, ...]) -> MarketPrices:
    """The :class:`MarketPrices` a market stream was given, on exactly the window's index.

    Raises
    ------
    InputError
        If no prices were given for ``stream_name``, they are not a ``MarketPrices``, do not
        cover the window on its step, or lack one of ``columns``.
    """
    field = f"stream_inputs[{stream_name!r}]"
    prices = window.stream_inputs.get(stream_name)
    if prices is None:
        raise InputError(field, None, "MarketPrices for this market stream")
    if not isinstance(prices, MarketPrices):
        raise InputError(field, type(prices).__name__, "a markets.prices.MarketPrices")
    prices.require(columns, field=field)
    if prices.dt_h != window.dt_h:
        raise InputError(
            f"{field}.dt_h",
            prices.dt_h,
            f"the horizon's step {window.dt_h} h (re-grid with MarketPrices.to_step)",
        )
    return prices.on(window.index)


class WholesaleEnergyStream(Stream):
    """Energy arbitrage at a wholesale price.

    Parameters
    ----------
    price_column : str, default "energy_da_usd_per_kwh"
        The energy price column to settle at.
    name : str, default "wholesale_energy"
        Stream name (and key of its prices in ``stream_inputs``); give two streams different
        names to report day-ahead and real-time settlement separately.
    """

    def __init__(self, *, price_column: str = ENERGY_DA, name: str = "wholesale_energy") -> None:
        if price_kind(price_column) is not PriceKind.ENERGY:
            raise InputError("price_column", price_column, "an energy price column (_usd_per_kwh)")
        if not isinstance(name, str) or not name:
            raise InputError("name", name, "a non-empty stream name")
        self.price_column = price_column
        self.name = name

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Price parameter per step; revenue on net battery output."""
        b = block
        dt = core.dt_h
        b.price_usd_per_kwh = pyo.Param(core.steps, mutable=True, initialize=0.0, within=pyo.Any)
        b.revenue_usd = pyo.Expression(
            expr=sum(
                b.price_usd_per_kwh[t] * dt * (core.discharge_kw[t] - core.charge_kw[t])
                for t in core.steps
            )
        )
        b.cost_usd = pyo.Expression(expr=-b.revenue_usd)
        return StreamTerms(objective_usd=b.cost_usd)

    def check(self, window: Window) -> None:
        """The window's prices exist, cover it on its step and hold the price column."""
        window_prices(self.name, window, (self.price_column,))

    def update(self, block: pyo.Block, window: Window) -> None:
        """Write the window's prices."""
        prices = window_prices(self.name, window, (self.price_column,))
        assign(block.price_usd_per_kwh, prices.series(self.price_column).to_numpy(dtype=float))
