"""The parts of a retail tariff: energy and flat demand charges, ratchets, export compensation.

Frozen dataclasses checked in ``__post_init__``; :class:`~markets.tariff.Tariff` holds them.
Peak charges (TOU demand, ...) live each in its own module (see :mod:`markets.peak_charges`),
which builds on the tiers, checks and :func:`tier_cost` here.
They live apart from ``Tariff`` so that the URDB reader (:mod:`markets.urdb_charges`) and the
bill engine (:mod:`markets.bill`) can use them without importing :mod:`markets.tariff`, which
imports both for its ``from_urdb`` and ``bill`` conveniences.

Conventions (as in URDB): periods are 0-indexed; a schedule is 12 months x 24 hours of period
indexes, evaluated in the site's local time on the *start* of each interval; tier limits are
cumulative upper bounds within a billing month (energy, kWh) or within the demand window's peak
(demand, kW); the last tier has ``max = inf``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.validation import require_finite, require_fraction, require_nonnegative

__all__ = [
    "DemandRatchet",
    "DemandTier",
    "EnergyCharges",
    "EnergyTier",
    "ExportCompensation",
    "ExportMode",
    "FlatDemandCharges",
    "Schedule",
    "check_schedule",
    "check_tier_limits",
    "tier_cost",
]

Schedule = tuple[tuple[int, ...], ...]
"""12 x 24 period indexes: ``schedule[month - 1][hour]``."""


def check_schedule(name: str, schedule: Schedule, n_periods: int) -> None:
    if len(schedule) != 12 or any(len(row) != 24 for row in schedule):
        shape = (len(schedule), sorted({len(r) for r in schedule}))
        raise InputError(name, f"shape {shape}", "12 rows (months) of 24 hours each")
    for m, row in enumerate(schedule):
        for h, period in enumerate(row):
            if isinstance(period, bool) or not isinstance(period, (int, np.integer)):
                raise InputError(f"{name}[{m}][{h}]", period, "an integer period index")
            if not 0 <= period < n_periods:
                raise InputError(
                    f"{name}[{m}][{h}]",
                    period,
                    f"a period index in 0..{n_periods - 1} (one with a rate)",
                )


def check_tier_limits(name: str, limits: list[float]) -> None:
    previous = 0.0
    for i, limit in enumerate(limits):
        if math.isnan(limit) or limit <= 0:
            raise InputError(f"{name}[{i}].max", limit, "a positive cumulative tier limit")
        if limit <= previous:
            raise InputError(
                f"{name}[{i}].max", limit, f"a limit above the previous tier's {previous}"
            )
        previous = limit
    if limits and not math.isinf(limits[-1]):
        raise InputError(f"{name}[{len(limits) - 1}].max", limits[-1], "inf on the last tier")


@dataclass(frozen=True, kw_only=True)
class EnergyTier:
    """One tier of an energy rate period.

    Parameters
    ----------
    max_kwh : float
        Cumulative upper bound of the tier within the billing month [kWh]; ``inf`` for the last.
    rate_usd_per_kwh : float
        Import price in this tier, URDB ``rate + adj`` [$/kWh].
    sell_usd_per_kwh : float, default 0.0
        Export credit for energy exported in this period (URDB ``sell``) [$/kWh].
    """

    max_kwh: float
    rate_usd_per_kwh: float
    sell_usd_per_kwh: float = 0.0

    def __post_init__(self) -> None:
        require_finite("EnergyTier.rate_usd_per_kwh", self.rate_usd_per_kwh)
        require_finite("EnergyTier.sell_usd_per_kwh", self.sell_usd_per_kwh)


@dataclass(frozen=True, kw_only=True)
class DemandTier:
    """One tier of a demand rate period.

    Parameters
    ----------
    max_kw : float
        Cumulative upper bound of the tier on the billed peak [kW]; ``inf`` for the last.
    rate_usd_per_kw : float
        Charge per kW of peak in this tier, URDB ``rate + adj`` [$/kW].
    """

    max_kw: float
    rate_usd_per_kw: float

    def __post_init__(self) -> None:
        require_finite("DemandTier.rate_usd_per_kw", self.rate_usd_per_kw)


def tier_cost(tiers: tuple[EnergyTier, ...] | tuple[DemandTier, ...], amount: float) -> float:
    """Cost of ``amount`` on cumulative ``tiers`` [$].

    Parameters
    ----------
    tiers : tuple of EnergyTier or DemandTier
        Tiers in order; the last is unbounded.
    amount : float
        kWh (energy tiers) or kW (demand tiers), >= 0.

    Returns
    -------
    float
        ``sum_t rate_t * clip(amount - max_{t-1}, 0, max_t - max_{t-1})``.
    """
    cost = 0.0
    lower = 0.0
    for tier in tiers:
        if isinstance(tier, EnergyTier):
            upper, rate = tier.max_kwh, tier.rate_usd_per_kwh
        else:
            upper, rate = tier.max_kw, tier.rate_usd_per_kw
        if amount <= lower:
            break
        cost += rate * (min(amount, upper) - lower)
        lower = upper
    return cost


@dataclass(frozen=True, kw_only=True)
class EnergyCharges:
    """Time-of-use, tiered energy charges.

    Parameters
    ----------
    periods : tuple of tuple of EnergyTier
        ``periods[p]`` is the tier list of period ``p``.
    weekday_schedule, weekend_schedule : Schedule
        12 x 24 period indexes for weekdays and for weekends (and billed holidays).
    """

    periods: tuple[tuple[EnergyTier, ...], ...]
    weekday_schedule: Schedule
    weekend_schedule: Schedule

    def __post_init__(self) -> None:
        if not self.periods:
            raise InputError("EnergyCharges.periods", self.periods, "at least one period")
        for p, tiers in enumerate(self.periods):
            if not tiers:
                raise InputError(f"EnergyCharges.periods[{p}]", tiers, "at least one tier")
            check_tier_limits(f"EnergyCharges.periods[{p}]", [t.max_kwh for t in tiers])
        check_schedule("EnergyCharges.weekday_schedule", self.weekday_schedule, len(self.periods))
        check_schedule("EnergyCharges.weekend_schedule", self.weekend_schedule, len(self.periods))

    @property
    def is_tiered(self) -> bool:
        """True if any period has more than one tier."""
        return any(len(tiers) > 1 for tiers in self.periods)


@dataclass(frozen=True, kw_only=True)
class FlatDemandCharges:
    """Monthly (all-hours) demand charges, billed on each month's peak.

    Parameters
    ----------
    periods : tuple of tuple of DemandTier
        ``periods[p]`` is the tier list of flat demand period ``p``.
    month_periods : tuple of int
        12 entries: the flat demand period that applies in each month (URDB ``flatdemandmonths``).
    """

    periods: tuple[tuple[DemandTier, ...], ...]
    month_periods: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.periods:
            raise InputError("FlatDemandCharges.periods", self.periods, "at least one period")
        for p, tiers in enumerate(self.periods):
            if not tiers:
                raise InputError(f"FlatDemandCharges.periods[{p}]", tiers, "at least one tier")
            check_tier_limits(f"FlatDemandCharges.periods[{p}]", [t.max_kw for t in tiers])
        if len(self.month_periods) != 12:
            raise InputError("FlatDemandCharges.month_periods", self.month_periods, "12 entries")
        for m, period in enumerate(self.month_periods):
            if not 0 <= period < len(self.periods):
                raise InputError(
                    f"FlatDemandCharges.month_periods[{m}]",
                    period,
                    f"a period index in 0..{len(self.periods) - 1}",
                )


@dataclass(frozen=True, kw_only=True)
class DemandRatchet:
    """A demand ratchet (URDB ``lookbackpercent``, ``lookbackmonths``, ``lookbackrange``).

    The billed monthly (flat) demand is at least ``lookback_fraction`` times the highest monthly
    peak among the look-back months.

    Parameters
    ----------
    lookback_fraction : float
        URDB ``lookbackpercent`` as a fraction [0-1].
    lookback_months : tuple of bool
        12 entries; True for the calendar months whose peaks count (URDB ``lookbackmonths``).
        All False when the look-back is given as a range instead.
    lookback_range_months : int, default 0
        How many preceding months count (URDB ``lookbackrange``); 0 when ``lookback_months``
        is used.
    """

    lookback_fraction: float
    lookback_months: tuple[bool, ...] = (False,) * 12
    lookback_range_months: int = 0

    def __post_init__(self) -> None:
        require_fraction("DemandRatchet.lookback_fraction", self.lookback_fraction)
        if len(self.lookback_months) != 12:
            raise InputError("DemandRatchet.lookback_months", self.lookback_months, "12 booleans")
        if self.lookback_range_months < 0:
            raise InputError(
                "DemandRatchet.lookback_range_months", self.lookback_range_months, "a count >= 0"
            )
        if not any(self.lookback_months) and self.lookback_range_months == 0:
            raise InputError(
                "DemandRatchet.lookback_months",
                self.lookback_months,
                "at least one look-back month, or lookback_range_months > 0",
            )


class ExportMode(enum.Enum):
    """How exported energy is compensated."""

    NONE = "none"
    """Exports earn nothing."""
    SELL_RATE = "sell_rate"
    """Each exported kWh earns the ``sell_usd_per_kwh`` of its energy period's first tier."""
    NET_METERING = "net_metering"
    """Within a billing month, exports offset imports at the retail rate (see markets.bill)."""
    FLAT_RATE = "flat_rate"
    """Each exported kWh earns ``ExportCompensation.flat_rate_usd_per_kwh``."""


@dataclass(frozen=True, kw_only=True)
class ExportCompensation:
    """Export compensation.

    Parameters
    ----------
    mode : ExportMode, default ExportMode.NONE
        The compensation scheme.
    flat_rate_usd_per_kwh : float, default 0.0
        Credit per exported kWh, used only by ``ExportMode.FLAT_RATE`` [$/kWh].
    """

    mode: ExportMode = ExportMode.NONE
    flat_rate_usd_per_kwh: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.mode, ExportMode):
            raise InputError("ExportCompensation.mode", self.mode, f"one of {list(ExportMode)}")
        require_nonnegative("ExportCompensation.flat_rate_usd_per_kwh", self.flat_rate_usd_per_kwh)
