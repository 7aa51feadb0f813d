"""One generic stream for any capacity product (regulation, reserves): :class:`CapacityStream`.

A :class:`~markets.products.Product` is data; this stream turns one product into an award
variable ``a_t >= 0`` [kW] per step and declares it to the core, which adds the ONE shared
headroom row and the ONE shared energy-sufficiency row per direction (see
:mod:`optimizer.streams`), so stacked products never count the same kW or kWh twice. A
symmetric product's single award is declared in both directions.

Terms (product with deployed-energy fraction ``f``, step ``dt``, efficiencies ``eta_c``,
``eta_d``; ``[up]``/``[down]`` are 1 when the product covers that direction):

.. math::

    \\text{revenue} = \\sum_t a_t\\, dt\\, \\big(r_t + f\\, p_t ([up] - [down])\\big)

    \\text{stored}_t = a_t\\, f\\, dt\\, (\\eta_c [down] - [up] / \\eta_d), \\qquad
    \\text{grid}_t = a_t\\, f\\, ([down] - [up])

where ``r`` is the capacity plus mileage rate of :meth:`Product.revenue_rate_usd_per_kw_h`
[$/kW/h] and ``p`` the price at which deployed energy is settled (0 if the product settles
none). The SOC therefore moves by the expected deployed energy and the meter carries it.

Behind the meter the site meter must also hold when an award is fully deployed instead of at
its expectation. Relative to the expected meter flow, full deployment of the down part moves
the meter by ``+(1 - f) a`` and no deployment of the up part by ``+f a``; full up deployment
by ``-(1 - f) a`` and no down deployment by ``-f a``. Hence:

* every demand charge sees ``metered_demand_t + (1 - f) a [down] + f a [up]`` (the monthly
  peak covers net import plus deployed down awards; declared through
  ``StreamTerms.metered_demand_kw``);
* with a finite site export limit ``E`` (0 for a no-export site), the shared row
  ``gi_t - ge_t - \\sum_s ((1 - f_s) a_s [up] + f_s a_s [down]) >= -E`` keeps the site from
  exporting when the up awards are deployed; with a finite import limit ``I``, the mirror
  ``gi_t - ge_t + \\sum_s ((1 - f_s) a_s [down] + f_s a_s [up]) <= I``. These two rows are ONE
  per step for all products together, held in the block ``capacity_meter`` of the model.

Per-solve data: ``stream_inputs[product.name]`` is a :class:`MarketPrices` with the product's
:attr:`~markets.products.Product.required_columns`.

After a solve the award per step is the schedule column ``<product>_award_kw``
(:func:`award_column`) of ``DispatchResult.schedule``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pyomo.environ as pyo

from core.errors import InputError
from core.validation import require_positive
from markets.products import Product
from markets.volume_caps import VolumeCap
from optimizer.core import assign
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.streams.wholesale import window_prices
from optimizer.window import Window

__all__ = ["METER_BLOCK", "CapacityStream", "award_column", "capacity_streams"]

METER_BLOCK = "capacity_meter"
"""Name of the model-level block holding the shared deployed-meter rows."""


def award_column(product_name: str) -> str:
    """The schedule column of a product's award: ``<product>_award_kw`` [kW]."""
    return f"{product_name}_award_kw"


class CapacityStream(Stream):
    """Capacity held for one market product.

    Parameters
    ----------
    product : Product
        The product (see :mod:`markets.iso_presets` for per-ISO sets).
    max_award_kw : float or None, default None
        Upper bound on the award, e.g. the qualified capacity [kW]; None means only the shared
        headroom and energy rows limit it.
    volume_cap : VolumeCap or None, default None
        The market's volume limit for this product (:mod:`markets.volume_caps`): an absolute
        cap or a share of the ISO requirement. The award's upper bound is the smallest of
        the battery's full swing, ``max_award_kw`` and ``volume_cap.award_cap_kw``.
    """

    def __init__(
        self,
        product: Product,
        *,
        max_award_kw: float | None = None,
        volume_cap: VolumeCap | None = None,
    ) -> None:
        if not isinstance(product, Product):
            raise InputError("product", product, "a markets.products.Product")
        if max_award_kw is not None:
            require_positive("max_award_kw", max_award_kw)
        if volume_cap is not None and not isinstance(volume_cap, VolumeCap):
            raise InputError("volume_cap", volume_cap, "a markets.volume_caps.VolumeCap or None")
        self.product = product
        self.max_award_kw = max_award_kw
        self.volume_cap = volume_cap
        self.name = product.name

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Award variable, rate parameters, revenue, and the terms declared to the core."""
        p = self.product
        bat = core.battery
        dt = core.dt_h
        f = p.deployed_energy_fraction
        up = 1.0 if p.direction.covers_up else 0.0
        down = 1.0 if p.direction.covers_down else 0.0
        # No award can exceed the full swing of the battery (the shared rows are tighter).
        bound = bat.discharge_rating_kw + bat.charge_rating_kw
        if self.max_award_kw is not None:
            bound = min(bound, self.max_award_kw)
        if self.volume_cap is not None:
            bound = min(bound, self.volume_cap.award_cap_kw)
        b = block
        b.award_kw = pyo.Var(core.steps, bounds=(0.0, bound))
        b.rate_usd_per_kw_h = pyo.Param(core.steps, mutable=True, initialize=0.0, within=pyo.Any)
        b.energy_price_usd_per_kwh = pyo.Param(
            core.steps, mutable=True, initialize=0.0, within=pyo.Any
        )
        settle = f * (up - down)
        b.revenue_usd = pyo.Expression(
            expr=sum(
                b.award_kw[t]
                * dt
                * (b.rate_usd_per_kw_h[t] + settle * b.energy_price_usd_per_kwh[t])
                if settle
                else b.award_kw[t] * dt * b.rate_usd_per_kw_h[t]
                for t in core.steps
            )
        )
        b.cost_usd = pyo.Expression(expr=-b.revenue_usd)
        eta_c, eta_d = bat.charge_efficiency, bat.discharge_efficiency
        stored_coef = f * dt * (eta_c * down - up / eta_d)
        grid_coef = f * (down - up)
        award = b.award_kw
        stored = {t: stored_coef * award[t] for t in core.steps} if stored_coef else None
        grid = {t: grid_coef * award[t] for t in core.steps} if grid_coef else None
        peak_coef = (1.0 - f) * down + f * up
        demand = {t: peak_coef * award[t] for t in core.steps} if peak_coef else None
        _add_to_meter_rows(
            core,
            export_coef=(1.0 - f) * up + f * down,
            import_coef=(1.0 - f) * down + f * up,
            award=award,
        )
        return StreamTerms(
            objective_usd=b.cost_usd,
            up_award_kw=award if up else None,
            up_duration_h=p.duration_h if up else 0.0,
            down_award_kw=award if down else None,
            down_duration_h=p.duration_h if down else 0.0,
            metered_demand_kw=demand,
            stored_energy_kwh=stored,
            grid_kw=grid,
        )

    def schedule_columns(self, block: pyo.Block) -> dict[str, list[float]]:
        """The award per step as ``<product>_award_kw`` [kW] (floored at zero)."""
        values = [max(float(v.value or 0.0), 0.0) for v in block.award_kw.values()]
        return {award_column(self.name): values}

    def check(self, window: Window) -> None:
        """The window's prices hold the product's columns on the window's step."""
        window_prices(self.name, window, self.product.required_columns)

    def update(self, block: pyo.Block, window: Window) -> None:
        """Write the capacity + mileage rate and the deployed-energy price."""
        p = self.product
        prices = window_prices(self.name, window, p.required_columns)
        assign(block.rate_usd_per_kw_h, p.revenue_rate_usd_per_kw_h(prices).to_numpy(dtype=float))
        if p.deployed_energy_price_column is None:
            energy = np.zeros(len(window.index))
        else:
            energy = prices.series(p.deployed_energy_price_column).to_numpy(dtype=float)
        assign(block.energy_price_usd_per_kwh, energy)


def _add_to_meter_rows(core: CoreHandles, *, export_coef: float, import_coef: float, award) -> None:
    """Add one product's worst-case meter shifts to the shared deployed-meter rows."""
    bat = core.battery
    has_export = not math.isinf(bat.export_limit_kw)
    has_import = not math.isinf(bat.import_limit_kw)
    if not (has_export or has_import):
        return
    m = core.model
    rows = getattr(m, METER_BLOCK, None)
    if rows is None:
        rows = pyo.Block()
        m.add_component(METER_BLOCK, rows)
        rows.export_shift_kw = pyo.Expression(core.steps, rule=lambda r, t: 0.0)
        rows.import_shift_kw = pyo.Expression(core.steps, rule=lambda r, t: 0.0)
        gi, ge = core.grid_import_kw, core.grid_export_kw
        if has_export:
            rows.no_export_when_up_deployed = pyo.Constraint(
                core.steps,
                rule=lambda r, t: gi[t] - ge[t] - r.export_shift_kw[t] >= -bat.export_limit_kw,
            )
        if has_import:
            rows.import_limit_when_down_deployed = pyo.Constraint(
                core.steps,
                rule=lambda r, t: gi[t] - ge[t] + r.import_shift_kw[t] <= bat.import_limit_kw,
            )
    for t in core.steps:
        if export_coef:
            rows.export_shift_kw[t].set_value(rows.export_shift_kw[t].expr + export_coef * award[t])
        if import_coef:
            rows.import_shift_kw[t].set_value(rows.import_shift_kw[t].expr + import_coef * award[t])


def capacity_streams(
    products: tuple[Product, ...] | list[Product],
    *,
    max_award_kw: float | None = None,
    volume_caps: Mapping[str, VolumeCap] | None = None,
) -> list[CapacityStream]:
    """One :class:`CapacityStream` per product (names must be distinct).

    ``volume_caps`` maps product names to their :class:`VolumeCap` (products without one are
    uncapped); a name that is not a product is an error.
    """
    names = [p.name for p in products]
    if len(set(names)) != len(names):
        raise InputError("products", names, "distinct product names")
    caps = dict(volume_caps or {})
    unknown = sorted(set(caps) - set(names))
    if unknown:
        raise InputError("volume_caps", unknown, f"names of the products {names}")
    return [
        CapacityStream(p, max_award_kw=max_award_kw, volume_cap=caps.get(p.name)) for p in products
    ]
