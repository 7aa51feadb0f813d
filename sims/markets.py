"""Market streams in the backtest: the ``[markets]`` table, its prices, streams and settlement.

Configuration (``[markets]`` in the backtest TOML; relative paths from the TOML's folder)::

    [markets]
    prices_csv = "prices.csv"          # one row per interval
    time_column = "timestamp"          # ISO 8601 with offsets, or wall clock in site.timezone
    price_unit = "usd_per_mwh"         # or "usd_per_kwh"; one unit for every column
    time_label = "beginning"           # or "ending" (hour-ending files)
    iso = "ERCOT"                      # preset of markets.iso_presets (needed for products)
    products = ["reg_up", "reg_down"]  # names of the preset's products
    wholesale_energy = true            # arbitrage on the battery's net output
    wholesale_price_column = "energy_da_usd_per_kwh"
    max_award_kw = 100.0               # optional cap on every award [kW]

    [markets.volume_caps.reg_up]       # optional market volume per product (markets.volume_caps)
    requirement_share_fraction = 0.01  # share of the ISO requirement ...
    requirement_mw = 400.0             # ... of this many MW (and/or max_award_kw = ...)

    [markets.columns]                  # CSV column -> MarketPrices column
    "DA LMP" = "energy_da_usd_per_kwh"
    REGUP = "reg_up_usd_per_kw_h"

    [markets.assumptions]              # keyword arguments of the ISO preset function
    regulation_deployed_fraction = 0.0 # (a string "none" gives None)

Semantics in the backtest (:mod:`sims.backtest`):

* Prices: read once in the site's zone, re-expressed on the simulation step by
  :meth:`MarketPrices.to_step` (an hourly price holds for each of its quarter hours; 15-min
  prices simulated hourly are averaged); the file must span the simulated period.
* Gaps (missing rows or empty cells inside the file's span; the policy of
  :mod:`markets.price_gaps`, nothing filled): in an unpriced interval the markets are not
  offered. Planning sees a capacity rate of :data:`NOT_OFFERED_RATE_USD_PER_KW_H` (negative,
  so no award is optimal) and zero energy and mileage prices (no wholesale position);
  settlement pays nothing there. The intervals table marks them (``market_priced`` False),
  the summary notes list them and the log warns; energy moved across a gap is valued only
  where it is priced. A file with no priced simulated interval is refused.
* Planning: every window is solved on the prices of that window from the prices file
  (perfect price foresight: acceptable for day-ahead prices published before the operating
  day, optimistic for real-time prices).
* Wholesale settlement: ``sum_t p_t (d_t - c_t) dt`` on the plant's ACTUAL charge and
  discharge (after the demand guard and the plant's limits) at the file's prices.
* Capacity settlement: an award planned for an executed step is a commitment. It is paid
  (``award * dt * (capacity + mileage rate)``, plus the expected deployed energy
  ``f * award * dt * p_deployed * (up - down)`` as in the model) only for the part the plant
  could honour on its actual behaviour: per direction, the shared headroom row
  (``d - c + sum(up awards) <= P_d``; ``c - d + sum(down awards) <= P_c``) and the shared
  energy row at both ends of the step (``eta_d (soc - S_min) >= sum(up award * h)``;
  ``(S_max - soc) / eta_c >= sum(down award * h)``). Where a direction's awards do not fit,
  every award in it is honoured in the same proportion (the largest factor that fits); a
  symmetric product takes the smaller factor of its two directions. The rest is the step's
  shortfall (``<product>_shortfall_kw``) and earns nothing (no penalty is modelled). A window
  that fell back to the safe dispatch holds no award.
* Not simulated: regulation signals (the plant follows the charge/discharge setpoints only,
  so the deployed energy's effect on the state of charge is planned but not executed) and
  the site's import/export limits under a deployed award (not re-checked at settlement).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from core.errors import InputError
from markets.iso_presets import preset
from markets.price_gaps import on_grid, read_prices_csv_with_gaps
from markets.prices import (
    ENERGY_DA,
    MarketPrices,
    PriceColumn,
    PriceKind,
    PriceUnit,
    TimeLabel,
    price_kind,
)
from markets.products import Product
from markets.volume_caps import VolumeCap
from optimizer.streams.capacity import award_column
from sims.toml_tables import (
    FINITE,
    FieldKind,
    TableSpec,
    enum_kind,
    list_of,
    parse_table,
    table_of,
    table_spec,
)

__all__ = [
    "MARKETS_TABLE",
    "NOT_OFFERED_RATE_USD_PER_KW_H",
    "PRICE_UNIT",
    "BacktestPrices",
    "MarketsConfig",
    "VOLUME_CAP_TABLE",
    "award_column",
    "load_market_prices",
    "market_streams",
    "markets_from_table",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class MarketsConfig:
    """Wholesale and ancillary market participation of a backtest.

    Parameters
    ----------
    prices_csv : pathlib.Path
        CSV of prices, one row per interval.
    columns : tuple of PriceColumn
        Which CSV columns become which :class:`~markets.prices.MarketPrices` columns; in the
        TOML, CSV column = price column name, e.g. ``LMP = "energy_da_usd_per_kwh"`` (the name
        ends in its unit, see :mod:`markets.prices`).
    time_column : str, default "timestamp"
        The timestamp column of the CSV.
    time_label : TimeLabel, default TimeLabel.BEGINNING
        Which end of its interval a CSV timestamp labels.
    iso : str or None, default None
        ISO preset the products come from (a name of :data:`markets.iso_presets.PRESETS`, any
        case, e.g. ``"ERCOT"``).
    products : tuple of Product, default ()
        Capacity products to offer; in the TOML, names of products of the ``iso`` preset,
        e.g. ``["reg_up", "reg_down"]``.
    wholesale_energy : bool, default False
        Arbitrage the battery's net output at ``wholesale_price_column``.
    wholesale_price_column : str, default "energy_da_usd_per_kwh"
        Energy price column of the wholesale stream.
    max_award_kw : float or None, default None
        Cap on every capacity award [kW]; None leaves only the battery's rows.
    volume_caps : mapping of str to VolumeCap, default {}
        Market volume cap per product name (absolute or a share of the ISO requirement); in
        the TOML, one table ``[markets.volume_caps.<product>]`` per product.
    """

    prices_csv: Path
    columns: tuple[PriceColumn, ...]
    time_column: str = "timestamp"
    time_label: TimeLabel = TimeLabel.BEGINNING
    iso: str | None = None
    products: tuple[Product, ...] = ()
    wholesale_energy: bool = False
    wholesale_price_column: str = ENERGY_DA
    max_award_kw: float | None = None
    volume_caps: Mapping[str, VolumeCap] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not Path(self.prices_csv).is_file():
            raise InputError("markets.prices_csv", str(self.prices_csv), "an existing CSV file")
        if not self.columns:
            raise InputError("markets.columns", {}, "at least one CSV column = price column name")
        if not all(isinstance(c, PriceColumn) for c in self.columns):
            raise InputError("markets.columns", self.columns, "PriceColumn objects")
        if not isinstance(self.time_column, str) or not self.time_column:
            raise InputError("markets.time_column", self.time_column, "a column name")
        if not isinstance(self.time_label, TimeLabel):
            raise InputError(
                "markets.time_label", self.time_label, f"one of {[t.value for t in TimeLabel]}"
            )
        if not isinstance(self.wholesale_energy, bool):
            raise InputError("markets.wholesale_energy", self.wholesale_energy, "true or false")
        if not self.wholesale_energy and not self.products:
            raise InputError(
                "markets.products", list(self.products), "products, or wholesale_energy = true"
            )
        if self.products and self.iso is None:
            raise InputError("markets.iso", None, "the ISO preset the products come from")
        names = [p.name for p in self.products]
        for k, product in enumerate(self.products):
            if not isinstance(product, Product):
                raise InputError(f"markets.products[{k}]", product, "a Product")
            if names.index(product.name) != k:
                raise InputError(f"markets.products[{k}]", product.name, "a name used only once")
        if self.max_award_kw is not None and (
            not math.isfinite(self.max_award_kw) or self.max_award_kw <= 0
        ):
            raise InputError("markets.max_award_kw", self.max_award_kw, "a number > 0")
        for name, cap in dict(self.volume_caps).items():
            if name not in names:
                raise InputError(
                    f"markets.volume_caps.{name}", name, f"one of the offered products {names}"
                )
            if not isinstance(cap, VolumeCap):
                raise InputError(f"markets.volume_caps.{name}", cap, "a VolumeCap")
        have = {c.name for c in self.columns}
        if self.wholesale_energy:
            try:
                kind = price_kind(self.wholesale_price_column)
            except InputError:
                kind = None
            if kind is not PriceKind.ENERGY:
                raise InputError(
                    "markets.wholesale_price_column",
                    self.wholesale_price_column,
                    "an energy price column ending in '_usd_per_kwh'",
                )
            if self.wholesale_price_column not in have:
                raise InputError(
                    "markets.wholesale_price_column",
                    self.wholesale_price_column,
                    f"a column mapped in [markets.columns] (mapped: {sorted(have)})",
                )
        for k, product in enumerate(self.products):
            missing = [c for c in product.required_columns if c not in have]
            if missing:
                raise InputError(
                    "markets.columns",
                    sorted(have),
                    f"a mapping to {missing} (read by markets.products[{k}] {product.name!r})",
                )

    @property
    def stream_names(self) -> tuple[str, ...]:
        """Names of the market streams, in reporting order (wholesale first)."""
        wholesale = ("wholesale_energy",) if self.wholesale_energy else ()
        return wholesale + tuple(p.name for p in self.products)


PRICE_UNIT = PriceUnit.USD_PER_MWH
"""The unit of the ``[markets]`` prices when ``price_unit`` is not given."""

_REQUIREMENT_KW, _REQUIREMENT_MW = "requirement_kw", "requirement_mw"
"""The :class:`VolumeCap` field given in MW in the TOML (x 1000 on read), and its key."""

VOLUME_CAP_TABLE: TableSpec = table_spec(
    "markets.volume_caps.<product>",
    VolumeCap,
    exclude=(_REQUIREMENT_KW,),
    kinds={"max_award_kw": FINITE, "requirement_share_fraction": FINITE},
    extra={
        _REQUIREMENT_MW: (
            FINITE,
            None,
            "The ISO requirement of the product [MW]; needed with `requirement_share_fraction`.",
        )
    },
)
"""One ``[markets.volume_caps.<product>]`` table."""

MARKETS_TABLE: TableSpec = table_spec(
    "markets",
    MarketsConfig,
    kinds={
        "columns": table_of(
            FieldKind(StrictStr, 'a price column name, e.g. "energy_da_usd_per_kwh"'),
            "a table of CSV column = price column name",
        ),
        "products": list_of(FieldKind(StrictStr, "a product name"), "a list of product names"),
        "max_award_kw": FINITE,
        "volume_caps": table_of(VOLUME_CAP_TABLE, "a table of product name = {max_award_kw = ...}"),
    },
    extra={
        "price_unit": (
            enum_kind(PriceUnit),
            PRICE_UNIT,
            "The unit of every price column of the CSV (per-MW prices are divided by 1000).",
        ),
        "assumptions": (
            table_of(
                FieldKind(
                    StrictBool | StrictInt | StrictFloat | StrictStr, "a number, bool or string"
                ),
                "a table of preset argument = value",
            ),
            {},
            "Keyword arguments of the ISO preset (`markets.iso_presets`); the string "
            '`"none"` gives None.',
        ),
    },
    missing={
        "prices_csv": "the path of a CSV of prices",
        "columns": "a [markets.columns] table of CSV column = price column name",
    },
)
"""The ``[markets]`` table: the fields of MarketsConfig as TOML values, plus ``price_unit``
and ``assumptions``."""


def _price_columns(table: dict[str, str], unit: PriceUnit) -> tuple[PriceColumn, ...]:
    """``[markets.columns]``: CSV column = price column name, each name mapped once."""
    columns = []
    for source, name in table.items():
        try:
            columns.append(PriceColumn(source=source, name=name, unit=unit))
        except InputError as exc:
            raise InputError(f"markets.columns.{source}", name, exc.expected) from exc
    targets = list(table.values())
    for source, name in table.items():
        if targets.count(name) > 1:
            raise InputError(f"markets.columns.{source}", name, "a name mapped only once")
    return tuple(columns)


def _products(
    iso: str | None, names: tuple[str, ...], assumptions: dict[str, Any]
) -> tuple[Product, ...]:
    """``markets.products`` from the ISO preset ``markets.iso`` under ``[markets.assumptions]``."""
    if iso is None:
        if names or assumptions:
            raise InputError("markets.iso", None, "the ISO preset the products come from")
        return ()
    arguments = {
        k: None if isinstance(v, str) and v.lower() == "none" else v for k, v in assumptions.items()
    }
    try:
        preset(iso)
    except InputError as exc:
        raise InputError("markets.iso", iso, exc.expected) from exc
    for key, value in arguments.items():
        try:
            preset(iso, **{key: value})
        except InputError as exc:
            raise InputError(f"markets.assumptions.{key}", value, exc.expected) from exc
    try:
        iso_preset = preset(iso, **arguments)
    except InputError as exc:
        raise InputError("markets.assumptions", assumptions, exc.expected) from exc
    for k, name in enumerate(names):
        if name not in iso_preset.names:
            raise InputError(
                f"markets.products[{k}]", name, f"one of {list(iso_preset.names)} ({iso})"
            )
    return tuple(iso_preset.product(name) for name in names)


def _volume_cap(product: str, table: dict[str, float]) -> VolumeCap:
    """One ``[markets.volume_caps.<product>]`` table; its errors name the TOML key."""
    key = f"markets.volume_caps.{product}"
    mw = table.get(_REQUIREMENT_MW)
    try:
        return VolumeCap(
            max_award_kw=table.get("max_award_kw"),
            requirement_share_fraction=table.get("requirement_share_fraction"),
            requirement_kw=None if mw is None else mw * 1e3,
        )
    except InputError as exc:
        expected = exc.expected.replace(_REQUIREMENT_KW, _REQUIREMENT_MW)
        field = exc.field.removeprefix("VolumeCap").removeprefix(".")
        if not field:  # the table as a whole
            raise InputError(key, table, expected) from exc
        name = _REQUIREMENT_MW if field == _REQUIREMENT_KW else field
        raise InputError(f"{key}.{name}", table.get(name), expected) from exc


def markets_from_table(raw: Any, *, base_dir: Path) -> MarketsConfig:
    """Build a :class:`MarketsConfig` from the parsed ``[markets]`` table (the I/O edge).

    Keys and types are checked by :data:`MARKETS_TABLE`; the ISO preset resolves the
    products; ranges and cross-field rules are :class:`MarketsConfig`'s.

    Raises
    ------
    InputError
        Naming the TOML key (e.g. ``markets.products[1]``) of the first bad value.
    """
    values = parse_table(MARKETS_TABLE, raw)
    unit = values.pop("price_unit", PRICE_UNIT)
    assumptions = values.pop("assumptions", {})
    values["prices_csv"] = base_dir / values["prices_csv"]  # an absolute path stays itself
    values["columns"] = _price_columns(values["columns"], unit)
    values["products"] = _products(values.get("iso"), values.get("products", ()), assumptions)
    caps = values.get("volume_caps", {})
    values["volume_caps"] = MappingProxyType({p: _volume_cap(p, t) for p, t in caps.items()})
    return MarketsConfig(**values)


NOT_OFFERED_RATE_USD_PER_KW_H = -1.0
"""Capacity rate the planner sees in an unpriced interval [$/kW per hour of award]: negative,
so holding any award there only lowers the objective (awards have no other benefit) and the
plan awards nothing. Never paid: settlement pays nothing in an unpriced interval."""


@dataclass(frozen=True, kw_only=True)
class BacktestPrices(MarketPrices):
    """The backtest's market prices on the simulated grid and which intervals had prices.

    Parameters
    ----------
    frame : pandas.DataFrame
        As :class:`~markets.prices.MarketPrices`; in unpriced intervals the planning values of
        the gap policy (module docstring), not prices.
    priced : pandas.Series of bool
        On ``frame``'s index: True where the file priced every column.
    """

    priced: pd.Series

    def __post_init__(self) -> None:
        super().__post_init__()
        priced = self.priced
        if not isinstance(priced, pd.Series) or priced.dtype != bool:
            raise InputError("BacktestPrices.priced", type(priced).__name__, "a bool Series")
        if not priced.index.equals(self.frame.index):
            raise InputError("BacktestPrices.priced.index", len(priced), "the frame's index")
        if not priced.any():
            raise InputError("BacktestPrices.priced", "no priced interval", "some prices")

    def skipped(self) -> pd.DataFrame:
        """Runs of unpriced intervals: ``first``, ``last`` (interval-beginning), ``intervals``."""
        flags = ~self.priced.to_numpy()
        edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
        index = self.frame.index
        rows = [
            {"first": index[a], "last": index[b - 1], "intervals": int(b - a)}
            for a, b in zip(edges[::2], edges[1::2], strict=True)
        ]
        return pd.DataFrame(rows, columns=["first", "last", "intervals"])


def _not_offered(grid: pd.DataFrame) -> BacktestPrices:
    """The gap policy: planning values in the NaN rows of ``grid`` (module docstring)."""
    priced = pd.Series(~grid.isna().any(axis=1).to_numpy(), index=grid.index)
    frame = grid.copy()
    for column in frame.columns:
        fill = NOT_OFFERED_RATE_USD_PER_KW_H if price_kind(column) is PriceKind.CAPACITY else 0.0
        frame.loc[~priced.to_numpy(), column] = fill
    return BacktestPrices(frame=frame, priced=priced)


def load_market_prices(
    markets: MarketsConfig, *, tz: str, index: pd.DatetimeIndex
) -> BacktestPrices:
    """The market prices on ``index``: read, re-gridded, cut, gaps per the policy above.

    Raises
    ------
    InputError
        Naming ``markets.prices_csv`` if the file is unusable (a missing column, no row with
        every price, data errors), does not span every label of ``index``, or prices none of
        them.
    """
    field = "markets.prices_csv"
    try:
        gapped = read_prices_csv_with_gaps(
            markets.prices_csv,
            time_column=markets.time_column,
            tz=tz,
            columns=markets.columns,
            time_label=markets.time_label,
        )
    except InputError as exc:
        raise InputError(field, exc.value, f"{exc.expected} ({exc.field})") from exc
    step = index[1] - index[0]
    if pd.Timedelta(hours=gapped.dt_h) != step:
        logger.info("market prices re-expressed from %g h to %s steps", gapped.dt_h, step)
    grid = on_grid(gapped, index, field=field)
    if grid.isna().any(axis=1).all():
        raise InputError(
            field,
            f"{markets.prices_csv} ({len(gapped.gaps)} gaps)",
            f"prices for some simulated interval ({index[0]} to {index[-1]})",
        )
    grid = grid.set_axis(pd.DatetimeIndex(index, freq=step), axis=0)
    prices = _not_offered(grid)
    skipped = prices.skipped()
    if len(skipped):
        logger.warning(
            "%s: %d simulated intervals unpriced in %d runs (first %s .. %s): markets not "
            "offered there",
            markets.prices_csv.name,
            int(skipped["intervals"].sum()),
            len(skipped),
            skipped["first"].iloc[0],
            skipped["last"].iloc[0],
        )
    return prices


def market_streams(markets: MarketsConfig) -> list[Any]:
    """The optimizer streams of ``markets`` (wholesale first, then one per product)."""
    from optimizer.streams.capacity import capacity_streams
    from optimizer.streams.wholesale import WholesaleEnergyStream

    streams: list[Any] = []
    if markets.wholesale_energy:
        streams.append(WholesaleEnergyStream(price_column=markets.wholesale_price_column))
    streams += capacity_streams(
        markets.products, max_award_kw=markets.max_award_kw, volume_caps=markets.volume_caps
    )
    return streams
