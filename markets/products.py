"""Market products as data: one :class:`Product` instance per ancillary service.

A product is never a class of its own. Its rules are fields: the direction of the capacity it
holds, the price column it earns, how long its award must be sustainable from stored energy,
the energy it is expected to deploy, and optional pay-for-performance (mileage) terms. The
optimizer reads these fields into ONE shared headroom constraint and ONE shared energy-
sufficiency constraint per direction, so stacked products never count the same kW or kWh twice.
ISO presets live in :mod:`markets.iso_presets`.

Revenue of an award of ``a`` kW over one step of ``dt_h`` hours (see
:meth:`Product.revenue_rate_usd_per_kw_h`)::

    a * dt_h * ( capacity_price * (score if score_applies_to_capacity else 1)
               + mileage_price * mileage_kw_per_kw_h * score )

where the capacity price is in $/kW/h, the mileage price in $/kW of mileage, ``score`` the
performance score. Expected deployed energy per step is ``a * dt_h *
deployed_energy_fraction`` in each direction the product covers; it moves the state of charge
and, if ``deployed_energy_price_column`` is set, is settled at that energy price.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from core.errors import InputError
from core.validation import require_fraction, require_nonnegative, require_positive
from markets.prices import MarketPrices, PriceKind, price_kind

__all__ = ["Direction", "PayForPerformance", "Product", "check_products"]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Direction(enum.Enum):
    """Which way a product's award moves the battery when deployed."""

    UP = "up"
    """More discharge / less charge (regulation up, spinning, non-spinning reserves)."""
    DOWN = "down"
    """More charge / less discharge (regulation down)."""
    SYMMETRIC = "symmetric"
    """One award held both ways at once (PJM, NYISO, ISO-NE, MISO regulation): it counts in
    the up and in the down headroom and energy constraints."""

    @property
    def covers_up(self) -> bool:
        """True if the award must be held as upward capacity."""
        return self in (Direction.UP, Direction.SYMMETRIC)

    @property
    def covers_down(self) -> bool:
        """True if the award must be held as downward capacity."""
        return self in (Direction.DOWN, Direction.SYMMETRIC)


@dataclass(frozen=True, kw_only=True)
class PayForPerformance:
    """Mileage (pay-for-performance) terms of a regulation product (FERC Order 755).

    Parameters
    ----------
    mileage_price_column : str
        Price column of mileage, a ``*_mileage_usd_per_kw`` name [$/kW of mileage].
    mileage_kw_per_kw_h : float
        Expected instructed mileage per kW of award per hour held [kW/kW/h]: CAISO's mileage
        multiplier, PJM's mileage ratio, NYISO's regulation movement multiplier.
    performance_score_fraction : float, default 1.0
        Accuracy / performance score in [0, 1] applied to the mileage payment.
    score_applies_to_capacity : bool, default False
        True where the score also scales the capacity payment (PJM: both the RMCCP and the
        RMPCP credits are multiplied by the performance score).
    """

    mileage_price_column: str
    mileage_kw_per_kw_h: float
    performance_score_fraction: float = 1.0
    score_applies_to_capacity: bool = False

    def __post_init__(self) -> None:
        if price_kind(self.mileage_price_column) is not PriceKind.MILEAGE:
            raise InputError(
                "PayForPerformance.mileage_price_column",
                self.mileage_price_column,
                "a mileage price column ending in '_mileage_usd_per_kw'",
            )
        require_nonnegative("PayForPerformance.mileage_kw_per_kw_h", self.mileage_kw_per_kw_h)
        require_fraction(
            "PayForPerformance.performance_score_fraction", self.performance_score_fraction
        )
        if not isinstance(self.score_applies_to_capacity, bool):
            raise InputError(
                "PayForPerformance.score_applies_to_capacity",
                self.score_applies_to_capacity,
                "True or False",
            )


@dataclass(frozen=True, kw_only=True)
class Product:
    """One market product (regulation, a reserve, ...), as data.

    Parameters
    ----------
    name : str
        Identifier used in model components and result columns, e.g. ``"reg_up"``.
    direction : Direction
        UP, DOWN or SYMMETRIC.
    price_column : str
        Capacity price column it earns, a ``*_usd_per_kw_h`` name [$/kW/h].
    duration_h : float
        How long a full award must be sustainable from stored energy (up) or storable headroom
        (down) [h]; enforced at both ends of every step.
    deployed_energy_fraction : float
        Expected energy deployed per kWh of award-hours in each direction covered [0-1]
        (e.g. 0.1: an award of 100 kW held one hour moves 10 kWh at the terminals).
    pay_for_performance : PayForPerformance or None, default None
        Mileage terms, for products paid for performance.
    deployed_energy_price_column : str or None, default None
        Energy price (``*_usd_per_kwh``) at which deployed energy is settled; None leaves
        deployed energy unsettled (its SOC effect is still modelled).
    rule_source : str, default ""
        Where the rules come from (tariff / manual section) and which values are assumptions.
    """

    name: str
    direction: Direction
    price_column: str
    duration_h: float
    deployed_energy_fraction: float
    pay_for_performance: PayForPerformance | None = None
    deployed_energy_price_column: str | None = None
    rule_source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise InputError("Product.name", self.name, "a lower-case snake_case identifier")
        if not isinstance(self.direction, Direction):
            raise InputError("Product.direction", self.direction, f"one of {list(Direction)}")
        if price_kind(self.price_column) is not PriceKind.CAPACITY:
            raise InputError(
                "Product.price_column",
                self.price_column,
                "a capacity price column ending in '_usd_per_kw_h'",
            )
        require_positive("Product.duration_h", self.duration_h)
        require_fraction("Product.deployed_energy_fraction", self.deployed_energy_fraction)
        if self.pay_for_performance is not None and not isinstance(
            self.pay_for_performance, PayForPerformance
        ):
            raise InputError(
                "Product.pay_for_performance",
                self.pay_for_performance,
                "a PayForPerformance or None",
            )
        if self.deployed_energy_price_column is not None and (
            price_kind(self.deployed_energy_price_column) is not PriceKind.ENERGY
        ):
            raise InputError(
                "Product.deployed_energy_price_column",
                self.deployed_energy_price_column,
                "an energy price column ending in '_usd_per_kwh' or None",
            )
        if not isinstance(self.rule_source, str):
            raise InputError("Product.rule_source", self.rule_source, "a string")

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Every price column this product reads."""
        names = [self.price_column]
        if self.pay_for_performance is not None:
            names.append(self.pay_for_performance.mileage_price_column)
        if self.deployed_energy_price_column is not None:
            names.append(self.deployed_energy_price_column)
        return tuple(dict.fromkeys(names))

    def revenue_rate_usd_per_kw_h(self, prices: MarketPrices) -> pd.Series:
        """Capacity plus mileage revenue per kW of award per hour held [$/kW/h].

        Excludes the settlement of deployed energy (which depends on the direction actually
        deployed); see the module docstring for the formula.

        Parameters
        ----------
        prices : MarketPrices
            Must hold :attr:`required_columns`.
        """
        prices.require(self.required_columns, field=f"prices for product {self.name!r}")
        rate = prices.series(self.price_column)
        pfp = self.pay_for_performance
        if pfp is None:
            return rate.rename(f"{self.name}_usd_per_kw_h")
        score = pfp.performance_score_fraction
        capacity = rate * score if pfp.score_applies_to_capacity else rate
        mileage = prices.series(pfp.mileage_price_column) * (pfp.mileage_kw_per_kw_h * score)
        return (capacity + mileage).rename(f"{self.name}_usd_per_kw_h")


def check_products(products: Sequence[Product], prices: MarketPrices | None = None) -> None:
    """Check a set of products for distinct names and, if given, that ``prices`` covers them.

    Raises
    ------
    InputError
        On a non-Product item, a repeated name, or a missing price column.
    """
    seen: set[str] = set()
    for i, product in enumerate(products):
        if not isinstance(product, Product):
            raise InputError(f"products[{i}]", product, "a markets.products.Product")
        if product.name in seen:
            raise InputError(f"products[{i}].name", product.name, "a name used only once")
        seen.add(product.name)
        if prices is not None:
            prices.require(product.required_columns, field=f"prices for product {product.name!r}")
