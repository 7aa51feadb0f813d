"""Per-ISO sets of market products (CAISO, ERCOT, PJM, NYISO, ISO-NE, MISO, SPP).

Each preset is a function returning an :class:`IsoPreset`: a tuple of
:class:`~markets.products.Product` data plus the sources. Every product records in its
``rule_source`` the tariff / manual section its rules come from and which numbers are
assumptions. The rules that shape the optimization are:

* direction: separate up / down regulation (CAISO, ERCOT, SPP) or one symmetric award
  (PJM, NYISO, ISO-NE, MISO);
* the duration an award must be sustainable from stored energy;
* the payment: capacity only (ERCOT) or capacity plus mileage (pay for performance, FERC
  Order 755: CAISO, PJM, NYISO, ISO-NE, MISO, SPP);
* the expected deployed energy, which moves the state of charge.

Conventions and assumptions shared by all presets (override through the arguments):

* Price columns are ``<product>_usd_per_kw_h`` and mileage prices
  ``<product>_mileage_usd_per_kw`` (see :mod:`markets.prices`).
* ``deployed_energy_fraction`` for regulation defaults to 0.1 kWh per kW of award per hour
  (ASSUMPTION: regulation signals are close to energy-neutral; a tenth of the award's energy
  per hour each way is a typical planning figure, not an ISO rule). Contingency reserves
  default to 0.0 (ASSUMPTION: deployments are rare and short; the duration rule still
  guarantees they could be delivered).
* Deployed energy is settled at the real-time energy price ``energy_rt_usd_per_kwh`` unless
  ``deployed_energy_price_column`` is given (None: not settled).
* The performance score defaults to 1.0 (an upper bound: real scores of batteries are
  typically 0.85-0.95).
* Minimum offer sizes, telemetry and qualification tests are out of scope.

Rules were checked where public sources were at hand: ERCOT Non-Spin 4 h and ECRS 2 h
(NPRR1096, ERCOT notice of 2022-09-30), ECRS cut to 1 h for RTC+B (NPRR1282, corrected by
NPRR1339), Reg and RRS 30 min under RTC+B (NPRR1282 discussion). Other durations are marked
ASSUMPTION in each product's ``rule_source``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from core.errors import InputError
from core.validation import require_fraction, require_nonnegative, require_positive
from markets.prices import ENERGY_RT
from markets.products import Direction, PayForPerformance, Product

__all__ = [
    "PRESETS",
    "IsoPreset",
    "caiso",
    "ercot",
    "isone",
    "miso",
    "nyiso",
    "pjm",
    "preset",
    "spp",
]

REGULATION_DEPLOYED_FRACTION = 0.1
"""Default expected deployed energy of regulation [kWh per kW of award per hour] (assumption)."""
RESERVE_DEPLOYED_FRACTION = 0.0
"""Default expected deployed energy of contingency reserves (assumption)."""


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


def _check_common(reg_fraction: float, reserve_fraction: float, score: float) -> None:
    require_fraction("regulation_deployed_fraction", reg_fraction)
    require_fraction("reserve_deployed_fraction", reserve_fraction)
    require_fraction("performance_score_fraction", score)


def _pfp(
    name: str, mileage: float, score: float, *, score_on_capacity: bool = False
) -> PayForPerformance:
    require_nonnegative(f"{name} mileage_kw_per_kw_h", mileage)
    return PayForPerformance(
        mileage_price_column=f"{name}_mileage_usd_per_kw",
        mileage_kw_per_kw_h=mileage,
        performance_score_fraction=score,
        score_applies_to_capacity=score_on_capacity,
    )


def _product(
    name: str,
    direction: Direction,
    duration_h: float,
    fraction: float,
    energy_column: str | None,
    source: str,
    pfp: PayForPerformance | None = None,
) -> Product:
    return Product(
        name=name,
        direction=direction,
        price_column=f"{name}_usd_per_kw_h",
        duration_h=duration_h,
        deployed_energy_fraction=fraction,
        pay_for_performance=pfp,
        deployed_energy_price_column=energy_column,
        rule_source=source,
    )


def caiso(
    *,
    regulation_duration_h: float = 1.0,
    mileage_kw_per_kw_h: float = 1.0,
    performance_score_fraction: float = 1.0,
    regulation_deployed_fraction: float = REGULATION_DEPLOYED_FRACTION,
    reserve_deployed_fraction: float = RESERVE_DEPLOYED_FRACTION,
    deployed_energy_price_column: str | None = ENERGY_RT,
) -> IsoPreset:
    """CAISO: separate Regulation Up / Down, each paid capacity plus its own mileage; Spin, Non-Spin.

    Sources: CAISO Tariff Section 8 (Ancillary Services; 8.4 technical requirements incl. the
    continuous-energy requirement), Section 11.10.1 (AS settlement, regulation mileage per FERC
    Order 755); BPM for Market Operations Section 4 (AS procurement). Regulation must be
    sustainable for 60 minutes when awarded in the day-ahead market and 30 minutes in real time
    (storage under Regulation Energy Management: 15 minutes); spinning and non-spinning reserve
    for 30 minutes. Mileage is paid on instructed mileage times the mileage price, with an
    accuracy score.

    Parameters
    ----------
    regulation_duration_h : float, default 1.0
        1.0 for day-ahead awards, 0.5 for real-time, 0.25 under REM [h].
    mileage_kw_per_kw_h : float, default 1.0
        Expected mileage per kW of award per hour (ASSUMPTION: CAISO publishes system mileage
        multipliers; use the ones for the period studied).
    performance_score_fraction, regulation_deployed_fraction, reserve_deployed_fraction,
    deployed_energy_price_column
        See the module docstring.
    """
    _check_common(
        regulation_deployed_fraction, reserve_deployed_fraction, performance_score_fraction
    )
    require_positive("regulation_duration_h", regulation_duration_h)
    src = "CAISO Tariff 8.4 (continuous energy: Reg 60 min DAM / 30 min RTM; Spin/Non-Spin 30 min)"
    score = performance_score_fraction
    reg = regulation_deployed_fraction
    res = reserve_deployed_fraction
    e = deployed_energy_price_column
    products = (
        _product("reg_up", Direction.UP, regulation_duration_h, reg, e,
                 f"{src}; mileage: Tariff 11.10.1 (Order 755); mileage multiplier ASSUMPTION",
                 _pfp("reg_up", mileage_kw_per_kw_h, score)),
        _product("reg_down", Direction.DOWN, regulation_duration_h, reg, e,
                 f"{src}; mileage: Tariff 11.10.1 (Order 755); mileage multiplier ASSUMPTION",
                 _pfp("reg_down", mileage_kw_per_kw_h, score)),
        _product("spin", Direction.UP, 0.5, res, e, src),
        _product("nonspin", Direction.UP, 0.5, res, e, src),
    )  # fmt: skip
    return IsoPreset(
        iso="CAISO",
        products=products,
        source="CAISO Tariff Section 8, 11.10; BPM Market Operations",
    )


def ercot(
    *,
    regulation_deployed_fraction: float = REGULATION_DEPLOYED_FRACTION,
    reserve_deployed_fraction: float = RESERVE_DEPLOYED_FRACTION,
    deployed_energy_price_column: str | None = ENERGY_RT,
) -> IsoPreset:
    """ERCOT: capacity-only Reg-Up / Reg-Down (no mileage), RRS, ECRS (1 h), Non-Spin (4 h).

    Sources: ERCOT Nodal Protocols Section 3.16 (AS requirements), 6.5.7.x (deployment),
    NPRR863 (creation of ECRS), NPRR1096 (Non-Spin 4 h; ECRS 2 h), NPRR1282 (durations under
    Real-Time Co-optimization plus Batteries, live 2025-12-05: ECRS 1 h; Reg-Up, Reg-Down and
    RRS 30 min) and NPRR1339 (corrections to the ECRS 1 h references). ERCOT is not
    FERC-jurisdictional and pays regulation on capacity only; deployed regulation energy is
    settled at the real-time settlement point price.
    """
    _check_common(regulation_deployed_fraction, reserve_deployed_fraction, 1.0)
    reg = regulation_deployed_fraction
    res = reserve_deployed_fraction
    e = deployed_energy_price_column
    products = (
        _product("reg_up", Direction.UP, 0.5, reg, e, "ERCOT NP 3.16; NPRR1282 (30 min)"),
        _product("reg_down", Direction.DOWN, 0.5, reg, e, "ERCOT NP 3.16; NPRR1282 (30 min)"),
        _product("rrs", Direction.UP, 0.5, res, e,
                 "ERCOT NP 3.16, 6.5.7.6.2.2; NPRR1282 (30 min; FFR portion 15 min not modelled)"),
        _product("ecrs", Direction.UP, 1.0, res, e,
                 "ERCOT NP 3.16, 6.5.7.6.2.4; NPRR863; NPRR1282/NPRR1339 (1 h)"),
        _product("nonspin", Direction.UP, 4.0, res, e, "ERCOT NP 3.16; NPRR1096 (4 h)"),
    )  # fmt: skip
    return IsoPreset(
        iso="ERCOT",
        products=products,
        source="ERCOT Nodal Protocols 3.16, 6.5.7; NPRR863/1096/1282/1339",
    )


def pjm(
    *,
    mileage_ratio: float = 3.0,
    performance_score_fraction: float = 1.0,
    regulation_duration_h: float = 0.5,
    reserve_duration_h: float = 0.5,
    regulation_deployed_fraction: float = REGULATION_DEPLOYED_FRACTION,
    reserve_deployed_fraction: float = RESERVE_DEPLOYED_FRACTION,
    deployed_energy_price_column: str | None = ENERGY_RT,
) -> IsoPreset:
    """PJM: one symmetric Regulation product paid capability plus performance; three reserves.

    Sources: PJM Manual 11 Section 3 (Regulation Market) and Section 4 (Synchronized, Primary and
    30-minute reserves); Manual 28 Section 4 (Regulation credits): credit = MW x RMCCP x
    performance score + MW x mileage ratio x RMPCP x performance score, i.e. the score scales
    both parts (``score_applies_to_capacity=True``).

    Parameters
    ----------
    mileage_ratio : float, default 3.0
        RegD-to-RegA mileage ratio (ASSUMPTION: historically about 3 for the dynamic RegD
        signal that batteries follow; 1.0 for RegA).
    regulation_duration_h, reserve_duration_h : float, default 0.5
        Energy the award must be backed by [h] (ASSUMPTION: PJM states response times, 5 min for
        regulation and 10 / 30 min for reserves, rather than durations; 30 min is a
        conservative planning value for a battery).
    """
    _check_common(
        regulation_deployed_fraction, reserve_deployed_fraction, performance_score_fraction
    )
    require_positive("regulation_duration_h", regulation_duration_h)
    require_positive("reserve_duration_h", reserve_duration_h)
    reg = regulation_deployed_fraction
    res = reserve_deployed_fraction
    e = deployed_energy_price_column
    products = (
        _product("reg", Direction.SYMMETRIC, regulation_duration_h, reg, e,
                 "PJM M11 s3, M28 s4 (RMCCP + RMPCP x mileage ratio, x score); duration ASSUMPTION",
                 _pfp("reg", mileage_ratio, performance_score_fraction, score_on_capacity=True)),
        _product("sync_reserve", Direction.UP, reserve_duration_h, res, e,
                 "PJM M11 s4 (10-min synchronized reserve); duration ASSUMPTION"),
        _product("nonsync_reserve", Direction.UP, reserve_duration_h, res, e,
                 "PJM M11 s4 (10-min non-synchronized / primary reserve); duration ASSUMPTION"),
        _product("secondary_reserve", Direction.UP, reserve_duration_h, res, e,
                 "PJM M11 s4 (30-minute reserve); duration ASSUMPTION"),
    )  # fmt: skip
    return IsoPreset(iso="PJM", products=products, source="PJM Manual 11 s3-4; Manual 28 s4")


def nyiso(
    *,
    movement_multiplier: float = 13.0,
    performance_score_fraction: float = 1.0,
    duration_h: float = 1.0,
    regulation_deployed_fraction: float = REGULATION_DEPLOYED_FRACTION,
    reserve_deployed_fraction: float = RESERVE_DEPLOYED_FRACTION,
    deployed_energy_price_column: str | None = ENERGY_RT,
) -> IsoPreset:
    """NYISO: symmetric Regulation (capacity + movement), 10-min spin, 10-min non-sync, 30-min.

    Sources: NYISO Market Services Tariff Section 15.3 (Rate Schedule 3, Regulation Service:
    capacity payment plus a movement payment; the Regulation Movement Multiplier of 13 MW of
    movement per MW of capacity per hour is the one used in clearing) and Section 15.4 (Rate
    Schedule 4, Operating Reserves); Ancillary Services Manual Sections 4 and 6.

    Parameters
    ----------
    movement_multiplier : float, default 13.0
        Expected movement per kW of regulation per hour [kW/kW/h] (the tariff multiplier; the
        movement actually instructed varies).
    duration_h : float, default 1.0
        Duration for all products [h] (ASSUMPTION: one hour of sustained output for Energy
        Storage Resources providing reserves or regulation).
    """
    _check_common(
        regulation_deployed_fraction, reserve_deployed_fraction, performance_score_fraction
    )
    require_positive("duration_h", duration_h)
    reg = regulation_deployed_fraction
    res = reserve_deployed_fraction
    e = deployed_energy_price_column
    products = (
        _product("reg", Direction.SYMMETRIC, duration_h, reg, e,
                 "NYISO MST 15.3 (capacity + movement x multiplier 13); duration ASSUMPTION",
                 _pfp("reg", movement_multiplier, performance_score_fraction)),
        _product("spin_10", Direction.UP, duration_h, res, e, "NYISO MST 15.4 (10-min spinning); duration ASSUMPTION"),
        _product("nonsync_10", Direction.UP, duration_h, res, e, "NYISO MST 15.4 (10-min non-synchronized); duration ASSUMPTION"),
        _product("reserve_30", Direction.UP, duration_h, res, e, "NYISO MST 15.4 (30-min reserve); duration ASSUMPTION"),
    )  # fmt: skip
    return IsoPreset(
        iso="NYISO", products=products, source="NYISO MST 15.3, 15.4; Ancillary Services Manual"
    )


def isone(
    *,
    mileage_kw_per_kw_h: float = 1.0,
    performance_score_fraction: float = 1.0,
    duration_h: float = 1.0,
    regulation_deployed_fraction: float = REGULATION_DEPLOYED_FRACTION,
    reserve_deployed_fraction: float = RESERVE_DEPLOYED_FRACTION,
    deployed_energy_price_column: str | None = ENERGY_RT,
) -> IsoPreset:
    """ISO-NE: symmetric Regulation (capacity + service/mileage), TMSR, TMNSR, TMOR.

    Sources: ISO-NE Market Rule 1 Section III.14 (Regulation: capacity payment plus service
    payment on mileage), Section III.10 / III.1.7.19 (Real-Time Reserve: ten-minute spinning
    TMSR, ten-minute non-spinning TMNSR, thirty-minute operating reserve TMOR); day-ahead
    ancillary services (DASI, 2025) add day-ahead awards of the same three reserves.

    Parameters
    ----------
    mileage_kw_per_kw_h : float, default 1.0
        Expected mileage per kW of award per hour (ASSUMPTION).
    duration_h : float, default 1.0
        Duration for all products [h] (ASSUMPTION).
    """
    _check_common(
        regulation_deployed_fraction, reserve_deployed_fraction, performance_score_fraction
    )
    require_positive("duration_h", duration_h)
    reg = regulation_deployed_fraction
    res = reserve_deployed_fraction
    e = deployed_energy_price_column
    products = (
        _product("reg", Direction.SYMMETRIC, duration_h, reg, e,
                 "ISO-NE MR1 III.14 (capacity + service payment); mileage and duration ASSUMPTION",
                 _pfp("reg", mileage_kw_per_kw_h, performance_score_fraction)),
        _product("tmsr", Direction.UP, duration_h, res, e, "ISO-NE MR1 III.10 (TMSR); duration ASSUMPTION"),
        _product("tmnsr", Direction.UP, duration_h, res, e, "ISO-NE MR1 III.10 (TMNSR); duration ASSUMPTION"),
        _product("tmor", Direction.UP, duration_h, res, e, "ISO-NE MR1 III.10 (TMOR); duration ASSUMPTION"),
    )  # fmt: skip
    return IsoPreset(iso="ISO-NE", products=products, source="ISO-NE Market Rule 1 III.10, III.14")


def miso(
    *,
    mileage_kw_per_kw_h: float = 1.0,
    performance_score_fraction: float = 1.0,
    duration_h: float = 1.0,
    regulation_deployed_fraction: float = REGULATION_DEPLOYED_FRACTION,
    reserve_deployed_fraction: float = RESERVE_DEPLOYED_FRACTION,
    deployed_energy_price_column: str | None = ENERGY_RT,
) -> IsoPreset:
    """MISO: symmetric Regulating Reserve (capacity + mileage), Spinning, Supplemental, Short-Term.

    Sources: MISO BPM-002 Energy and Operating Reserve Markets (Section 4: Regulating,
    Spinning, Supplemental and, since 2021, 30-minute Short-Term Reserve); Tariff Schedules 3
    and 5-6; regulation mileage under FERC Order 755 compliance. Ramp Capability products are
    not modelled.

    Parameters
    ----------
    mileage_kw_per_kw_h : float, default 1.0
        Expected mileage per kW of award per hour (ASSUMPTION).
    duration_h : float, default 1.0
        Duration for all products [h] (ASSUMPTION).
    """
    _check_common(
        regulation_deployed_fraction, reserve_deployed_fraction, performance_score_fraction
    )
    require_positive("duration_h", duration_h)
    reg = regulation_deployed_fraction
    res = reserve_deployed_fraction
    e = deployed_energy_price_column
    products = (
        _product("reg", Direction.SYMMETRIC, duration_h, reg, e,
                 "MISO BPM-002 s4 (Regulating Reserve, mileage); mileage and duration ASSUMPTION",
                 _pfp("reg", mileage_kw_per_kw_h, performance_score_fraction)),
        _product("spin", Direction.UP, duration_h, res, e, "MISO BPM-002 s4 (Spinning Reserve); duration ASSUMPTION"),
        _product("supp", Direction.UP, duration_h, res, e, "MISO BPM-002 s4 (Supplemental Reserve); duration ASSUMPTION"),
        _product("short_term_reserve", Direction.UP, duration_h, res, e, "MISO BPM-002 s4 (Short-Term Reserve, 30 min); duration ASSUMPTION"),
    )  # fmt: skip
    return IsoPreset(iso="MISO", products=products, source="MISO BPM-002; Tariff Schedules 3, 5, 6")


def spp(
    *,
    include_mileage: bool = False,
    mileage_kw_per_kw_h: float = 1.0,
    performance_score_fraction: float = 1.0,
    duration_h: float = 1.0,
    regulation_deployed_fraction: float = REGULATION_DEPLOYED_FRACTION,
    reserve_deployed_fraction: float = RESERVE_DEPLOYED_FRACTION,
    deployed_energy_price_column: str | None = ENERGY_RT,
) -> IsoPreset:
    """SPP: separate Regulation-Up / Regulation-Down, Spinning and Supplemental reserve.

    Sources: SPP Integrated Marketplace Protocols Section 4 (Day-Ahead Market, Operating
    Reserve clearing) and Section 8 / Tariff Attachment AE (Operating Reserve settlement);
    regulation mileage under FERC Order 755 compliance. Ramp Capability and Uncertainty
    products (2022) are not modelled.

    Parameters
    ----------
    include_mileage : bool, default False
        Add mileage payments to regulation. Off by default because SPP's public day-ahead
        MCP files (as in ``shared/data/markets/spp_ancillary_2022``) carry no mileage prices.
    mileage_kw_per_kw_h : float, default 1.0
        Expected mileage per kW of award per hour, when included (ASSUMPTION).
    duration_h : float, default 1.0
        Duration for all products [h] (ASSUMPTION: one hour, the clearing interval of the
        day-ahead market).
    """
    _check_common(
        regulation_deployed_fraction, reserve_deployed_fraction, performance_score_fraction
    )
    require_positive("duration_h", duration_h)
    if not isinstance(include_mileage, bool):
        raise InputError("include_mileage", include_mileage, "True or False")
    reg = regulation_deployed_fraction
    res = reserve_deployed_fraction
    e = deployed_energy_price_column
    score = performance_score_fraction

    def reg_pfp(name: str) -> PayForPerformance | None:
        return _pfp(name, mileage_kw_per_kw_h, score) if include_mileage else None

    src = "SPP IM Protocols s4, s8; Tariff Att. AE; duration ASSUMPTION"
    products = (
        _product("reg_up", Direction.UP, duration_h, reg, e, src, reg_pfp("reg_up")),
        _product("reg_down", Direction.DOWN, duration_h, reg, e, src, reg_pfp("reg_down")),
        _product("spin", Direction.UP, duration_h, res, e, src),
        _product("supp", Direction.UP, duration_h, res, e, src),
    )
    return IsoPreset(
        iso="SPP", products=products, source="SPP Integrated Marketplace Protocols s4, s8"
    )


PRESETS: Mapping[str, Callable[..., IsoPreset]] = MappingProxyType(
    {
        "caiso": caiso,
        "ercot": ercot,
        "pjm": pjm,
        "nyiso": nyiso,
        "isone": isone,
        "miso": miso,
        "spp": spp,
    }
)
"""Preset functions by lower-case ISO name (read-only)."""


def preset(iso: str, **assumptions: float | bool | str | None) -> IsoPreset:
    """The preset of ``iso`` (case-insensitive; ``"iso-ne"`` and ``"isone"`` both work).

    Keyword arguments are passed to the preset function (its documented assumptions).
    """
    key = str(iso).lower().replace("-", "").replace("_", "")
    if key not in PRESETS:
        raise InputError("iso", iso, f"one of {sorted(PRESETS)}")
    return PRESETS[key](**assumptions)
