"""Per-ISO sets of market products, read from ONE data file: ``markets/data/iso_products.csv``.

Each row of the file is one product of one ISO (CAISO, ERCOT, PJM, NYISO, ISO-NE, MISO, SPP)
with its rules and where they come from:

``iso, product, direction`` (up | down | symmetric), ``deployment`` (regulation | reserve: which
default deployed-energy fraction applies), ``duration_h`` (how long the award must be
sustainable from stored energy) and ``duration_argument`` (the preset argument that overrides
it), ``min_size_mw`` (empty = not checked), ``pay_for_performance`` (none | mileage |
mileage_optional), ``mileage_kw_per_kw_h`` and ``mileage_argument`` (default mileage per kW of
award per hour and the argument that overrides it), ``score_applies_to_capacity`` (yes | no),
``settlement_basis``, and the rule source: ``source_document, source_section, source_date,
source_url, confirmed`` (yes | no), ``confirmed_rules`` (what a source excerpt showed) and
``note`` (what is remembered or assumed). A row is ``confirmed = yes`` when a source excerpt
states its ``duration_h`` (the value the optimizer uses); ``confirmed_rules`` lists which of its
other rules (minimum size, pay) were seen too (``docs/market_rules.md`` quotes each). Nothing is
cited that was not found.

:func:`iso_preset` reads the rows of one ISO into an :class:`IsoPreset`; the names ``caiso``,
``ercot``, ``pjm``, ``nyiso``, ``isone``, ``miso``, ``spp`` and :func:`preset` remain as thin
entry points to it. Assumption arguments (all keyword-only):

* ``performance_score_fraction`` (ISOs with mileage products; default 1.0, an upper bound:
  real battery scores are typically 0.85-0.95);
* ``regulation_deployed_fraction`` (default 0.1 kWh per kW of award per hour, ASSUMPTION: a
  planning figure for near energy-neutral signals, not an ISO rule) and
  ``reserve_deployed_fraction`` (default 0.0, ASSUMPTION: contingency deployments are rare);
* ``deployed_energy_price_column`` (default ``energy_rt_usd_per_kwh``; None leaves deployed
  energy unsettled);
* the ISO's duration and mileage arguments named in the file (e.g. CAISO
  ``regulation_duration_h``, PJM ``mileage_ratio``, NYISO ``movement_multiplier``) and, for SPP,
  ``include_mileage`` (default False).

Minimum offer sizes, telemetry and qualification tests are not modelled.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from core.errors import InputError
from core.series import read_csv_frame
from core.validation import require_fraction, require_nonnegative, require_positive
from markets.prices import ENERGY_RT
from markets.products import Direction, PayForPerformance, Product

__all__ = [
    "ISO_PRODUCTS_CSV",
    "PRESETS",
    "REQUIRED_COLUMNS",
    "IsoPreset",
    "caiso",
    "ercot",
    "iso_preset",
    "isone",
    "miso",
    "nyiso",
    "pjm",
    "preset",
    "read_iso_products",
    "spp",
]

ISO_PRODUCTS_CSV = Path(__file__).with_name("data") / "iso_products.csv"
"""The one data file of ISO products and their rule sources."""

REQUIRED_COLUMNS = (
    "iso", "product", "direction", "deployment", "duration_h", "duration_argument",
    "min_size_mw", "pay_for_performance", "mileage_kw_per_kw_h", "mileage_argument",
    "score_applies_to_capacity", "settlement_basis", "source_document", "source_section",
    "source_date", "source_url", "confirmed", "confirmed_rules", "note",
)  # fmt: skip
"""Columns of :data:`ISO_PRODUCTS_CSV`."""

REGULATION_DEPLOYED_FRACTION = 0.1
"""Default expected deployed energy of regulation [kWh per kW of award per hour] (assumption)."""
RESERVE_DEPLOYED_FRACTION = 0.0
"""Default expected deployed energy of contingency reserves (assumption)."""

_CHOICES = {
    "direction": ("up", "down", "symmetric"),
    "deployment": ("regulation", "reserve"),
    "pay_for_performance": ("none", "mileage", "mileage_optional"),
    "score_applies_to_capacity": ("yes", "no"),
    "confirmed": ("yes", "no"),
}
_COMMON = (
    "regulation_deployed_fraction",
    "reserve_deployed_fraction",
    "deployed_energy_price_column",
)


@dataclass(frozen=True, kw_only=True)
class IsoPreset:
    """The market products of one ISO.

    Parameters
    ----------
    iso : str
        ISO name, e.g. ``"CAISO"``.
    products : tuple of Product
        The products, with distinct names.
    source : str
        The governing documents.
    """

    iso: str
    products: tuple[Product, ...]
    source: str

    def __post_init__(self) -> None:
        names = [p.name for p in self.products]
        if len(set(names)) != len(names):
            raise InputError("IsoPreset.products", names, "distinct product names")

    @property
    def names(self) -> tuple[str, ...]:
        """Product names in order."""
        return tuple(p.name for p in self.products)

    def product(self, name: str) -> Product:
        """The product called ``name``."""
        for p in self.products:
            if p.name == name:
                return p
        raise InputError("product", name, f"one of {list(self.names)}")

    def subset(self, names: tuple[str, ...] | list[str]) -> tuple[Product, ...]:
        """The products called ``names``, in that order."""
        return tuple(self.product(n) for n in names)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Every price column the products read."""
        cols: list[str] = []
        for p in self.products:
            cols += p.required_columns
        return tuple(dict.fromkeys(cols))


def _check_rows(frame: pd.DataFrame, field: str) -> None:
    for k, row in frame.iterrows():
        where = f"{field}[row {k + 2}]"
        for column, allowed in _CHOICES.items():
            if row[column] not in allowed:
                raise InputError(f"{where}.{column}", row[column], f"one of {list(allowed)}")
        if not row["source_document"]:
            raise InputError(f"{where}.source_document", "", "the document the rules come from")
        if row["confirmed"] == "yes":
            for column in ("source_section", "source_date", "source_url", "confirmed_rules"):
                if not row[column]:
                    raise InputError(f"{where}.{column}", "", "a value for a confirmed row")
        elif not row["note"]:
            raise InputError(f"{where}.note", "", "what is remembered or assumed (unconfirmed)")
        try:
            require_positive(f"{where}.duration_h", float(row["duration_h"]))
            if row["pay_for_performance"] != "none":
                require_nonnegative(
                    f"{where}.mileage_kw_per_kw_h", float(row["mileage_kw_per_kw_h"])
                )
        except ValueError as exc:
            raise InputError(
                where, row.to_dict(), f"numbers where numbers belong ({exc})"
            ) from None
    dup = frame.duplicated(["iso", "product"])
    if dup.any():
        row = frame[dup].iloc[0]
        raise InputError(field, f"{row['iso']} {row['product']} twice", "one row per product")


@functools.cache
def _cached(path: str) -> pd.DataFrame:
    field = Path(path).name
    frame = read_csv_frame(
        path, field=field, required=[(f"{field}.columns", c) for c in REQUIRED_COLUMNS],
        dtype=str,
    )  # fmt: skip
    frame = frame.fillna("").apply(lambda c: c.str.strip())
    _check_rows(frame, field)
    return frame


def read_iso_products(path: str | Path = ISO_PRODUCTS_CSV) -> pd.DataFrame:
    """The ISO products table (all values as stripped strings; empty cells are ``""``).

    Raises
    ------
    InputError
        On a missing column, a value outside its choices, a row without a source document,
        a confirmed row without section, date, URL and what was confirmed, an unconfirmed row
        without a note, a non-positive duration, or a product listed twice.
    """
    return _cached(str(Path(path).resolve())).copy()


def _arguments(rows: pd.DataFrame) -> dict[str, object]:
    """The assumption arguments an ISO's rows accept, with their defaults."""
    args: dict[str, object] = {
        "regulation_deployed_fraction": REGULATION_DEPLOYED_FRACTION,
        "reserve_deployed_fraction": RESERVE_DEPLOYED_FRACTION,
        "deployed_energy_price_column": ENERGY_RT,
    }
    if (rows["pay_for_performance"] != "none").any():
        args["performance_score_fraction"] = 1.0
    if (rows["pay_for_performance"] == "mileage_optional").any():
        args["include_mileage"] = False
    for _, row in rows.iterrows():
        if row["duration_argument"]:
            args.setdefault(row["duration_argument"], None)
        if row["mileage_argument"]:
            args.setdefault(row["mileage_argument"], None)
    return args


def _product(row: pd.Series, args: dict[str, object]) -> Product:
    name = row["product"]
    duration = args.get(row["duration_argument"]) if row["duration_argument"] else None
    duration_h = float(row["duration_h"]) if duration is None else float(duration)
    require_positive(row["duration_argument"] or f"{name}.duration_h", duration_h)
    pfp = None
    mode = row["pay_for_performance"]
    if mode == "mileage" or (mode == "mileage_optional" and args.get("include_mileage")):
        given = args.get(row["mileage_argument"]) if row["mileage_argument"] else None
        mileage = float(row["mileage_kw_per_kw_h"]) if given is None else float(given)
        require_nonnegative(row["mileage_argument"] or f"{name} mileage", mileage)
        pfp = PayForPerformance(
            mileage_price_column=f"{name}_mileage_usd_per_kw",
            mileage_kw_per_kw_h=mileage,
            performance_score_fraction=float(args["performance_score_fraction"]),
            score_applies_to_capacity=row["score_applies_to_capacity"] == "yes",
        )
    fraction = args[f"{row['deployment']}_deployed_fraction"]
    status = "confirmed" if row["confirmed"] == "yes" else "UNCONFIRMED"
    source = f"{row['source_document']}, {row['source_section']} ({row['source_date']}); {status}"
    if row["note"]:
        source += f": {row['note']}"
    return Product(
        name=name,
        direction=Direction(row["direction"]),
        price_column=f"{name}_usd_per_kw_h",
        duration_h=duration_h,
        deployed_energy_fraction=float(fraction),
        pay_for_performance=pfp,
        deployed_energy_price_column=args["deployed_energy_price_column"],
        rule_source=source,
    )


def iso_preset(
    iso: str, *, path: str | Path = ISO_PRODUCTS_CSV, **assumptions: float | bool | str | None
) -> IsoPreset:
    """The products of ``iso`` from the data file, with the given assumptions.

    Parameters
    ----------
    iso : str
        ISO name as written in the file (``"CAISO"``, ``"ISO-NE"``, ...).
    path : str or Path, default :data:`ISO_PRODUCTS_CSV`
        The products table.
    **assumptions
        The assumption arguments of the module docstring that this ISO's rows accept.

    Raises
    ------
    InputError
        On an unknown ISO, an argument the ISO's rows do not accept, or a value out of range.
    """
    table = read_iso_products(path)
    rows = table[table["iso"] == iso].reset_index(drop=True)
    if rows.empty:
        raise InputError("iso", iso, f"one of {sorted(table['iso'].unique())}")
    args = _arguments(rows)
    for key, value in assumptions.items():
        if key not in args:
            raise InputError(key, value, f"an assumption of the {iso} preset: {sorted(args)}")
        args[key] = value
    for key in ("regulation_deployed_fraction", "reserve_deployed_fraction"):
        require_fraction(key, args[key])
    if "performance_score_fraction" in args:
        require_fraction("performance_score_fraction", args["performance_score_fraction"])
    if not isinstance(args.get("include_mileage", False), bool):
        raise InputError("include_mileage", args["include_mileage"], "True or False")
    products = tuple(_product(row, args) for _, row in rows.iterrows())
    documents = "; ".join(dict.fromkeys(rows["source_document"]))
    return IsoPreset(iso=iso, products=products, source=documents)


_ISO_NAMES = {
    "caiso": "CAISO", "ercot": "ERCOT", "pjm": "PJM", "nyiso": "NYISO",
    "isone": "ISO-NE", "miso": "MISO", "spp": "SPP",
}  # fmt: skip


def _entry(key: str) -> Callable[..., IsoPreset]:
    iso = _ISO_NAMES[key]

    def make(**assumptions: float | bool | str | None) -> IsoPreset:
        return iso_preset(iso, **assumptions)

    make.__name__ = make.__qualname__ = key
    make.__doc__ = f"The {iso} products of ``markets/data/iso_products.csv`` (see iso_preset)."
    return make


caiso = _entry("caiso")
ercot = _entry("ercot")
pjm = _entry("pjm")
nyiso = _entry("nyiso")
isone = _entry("isone")
miso = _entry("miso")
spp = _entry("spp")

PRESETS: Mapping[str, Callable[..., IsoPreset]] = MappingProxyType(
    {"caiso": caiso, "ercot": ercot, "pjm": pjm, "nyiso": nyiso, "isone": isone,
     "miso": miso, "spp": spp}
)  # fmt: skip
"""Preset entry points by lower-case ISO name (read-only)."""


def preset(iso: str, **assumptions: float | bool | str | None) -> IsoPreset:
    """The preset of ``iso`` (case-insensitive; ``"iso-ne"`` and ``"isone"`` both work)."""
    key = str(iso).lower().replace("-", "").replace("_", "")
    if key not in PRESETS:
        raise InputError("iso", iso, f"one of {sorted(PRESETS)}")
    return PRESETS[key](**assumptions)
