"""The retail tariff as data: energy, demand, fixed, minimum and export parts.

A :class:`Tariff` is a frozen tree of dataclasses, parsed from a URDB record at the I/O edge by
:meth:`Tariff.from_urdb` (see :mod:`markets.urdb`) and priced by :meth:`Tariff.bill` (see
:mod:`markets.bill`). The optimizer reads the same objects, so the bill and the dispatch
objective can never disagree on what a tariff says.

Conventions (as in URDB): periods are 0-indexed; a schedule is 12 months x 24 hours of period
indexes, evaluated in the site's local time on the *start* of each interval; tier limits are
cumulative upper bounds within a billing month (energy, kWh) or within the demand window's peak
(demand, kW); the last tier has ``max = inf``.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index
from core.validation import require_finite, require_fraction, require_nonnegative

if TYPE_CHECKING:
    from markets.bill import Bill

__all__ = [
    "DemandRatchet",
    "DemandTier",
    "EnergyCharges",
    "EnergyTier",
    "ExportCompensation",
    "ExportMode",
    "FlatDemandCharges",
    "Schedule",
    "Tariff",
    "TouDemandCharges",
]

Schedule = tuple[tuple[int, ...], ...]
"""12 x 24 period indexes: ``schedule[month - 1][hour]``."""


def _check_schedule(name: str, schedule: Schedule, n_periods: int) -> None:
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


def _check_tier_limits(name: str, limits: list[float]) -> None:
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


@functools.lru_cache(maxsize=64)
def _public_holidays(
    country: str, subdivision: str | None, first_year: int, last_year: int
) -> frozenset[dt.date]:
    """Public holidays of a country (and subdivision) in a range of years.

    Cached: the ``holidays`` package rebuilds its calendar on every call, which dominated the
    calendar lookups of a rolling-horizon re-solve. The result is immutable, so sharing it
    between tariffs and backtests in one process is safe.
    """
    import holidays

    years = range(first_year, last_year + 1)
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=years).keys())


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
            _check_tier_limits(f"EnergyCharges.periods[{p}]", [t.max_kwh for t in tiers])
        _check_schedule("EnergyCharges.weekday_schedule", self.weekday_schedule, len(self.periods))
        _check_schedule("EnergyCharges.weekend_schedule", self.weekend_schedule, len(self.periods))

    @property
    def is_tiered(self) -> bool:
        """True if any period has more than one tier."""
        return any(len(tiers) > 1 for tiers in self.periods)


@dataclass(frozen=True, kw_only=True)
class TouDemandCharges:
    """Demand charges per time-of-use demand window, billed on each window's monthly peak.

    Parameters
    ----------
    periods : tuple of tuple of DemandTier
        ``periods[p]`` is the tier list of demand period ``p``.
    weekday_schedule, weekend_schedule : Schedule
        12 x 24 demand period indexes.
    """

    periods: tuple[tuple[DemandTier, ...], ...]
    weekday_schedule: Schedule
    weekend_schedule: Schedule

    def __post_init__(self) -> None:
        if not self.periods:
            raise InputError("TouDemandCharges.periods", self.periods, "at least one period")
        for p, tiers in enumerate(self.periods):
            if not tiers:
                raise InputError(f"TouDemandCharges.periods[{p}]", tiers, "at least one tier")
            _check_tier_limits(f"TouDemandCharges.periods[{p}]", [t.max_kw for t in tiers])
        _check_schedule(
            "TouDemandCharges.weekday_schedule", self.weekday_schedule, len(self.periods)
        )
        _check_schedule(
            "TouDemandCharges.weekend_schedule", self.weekend_schedule, len(self.periods)
        )


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
            _check_tier_limits(f"FlatDemandCharges.periods[{p}]", [t.max_kw for t in tiers])
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


@dataclass(frozen=True, kw_only=True)
class Tariff:
    """A retail electricity tariff.

    Parameters
    ----------
    name : str
        Human-readable name (URDB ``name``).
    utility : str, default ""
        URDB ``utility``.
    label : str, default ""
        URDB ``label`` (record id).
    energy : EnergyCharges or None
        TOU/tiered energy charges; None if the tariff has none.
    tou_demand : TouDemandCharges or None
        Demand charges per TOU window; None if none.
    flat_demand : FlatDemandCharges or None
        Monthly all-hours demand charges; None if none.
    ratchet : DemandRatchet or None
        Demand ratchet on the flat monthly demand; None if none.
    demand_window_minutes : float or None, default None
        Averaging window for demand [min] (URDB ``demandwindow``); None means the data's own
        interval.
    fixed_monthly_usd : float, default 0.0
        Fixed charge per billing month [$].
    fixed_daily_usd : float, default 0.0
        Fixed charge per day of the billing month [$/day].
    minimum_monthly_usd : float, default 0.0
        Minimum bill per month [$]: the month's energy + demand + fixed charges less export
        credit are raised to it (see :mod:`markets.bill` for partial months).
    minimum_daily_usd : float, default 0.0
        Minimum bill per day of the billing month [$/day] (URDB ``mincharge`` in ``$/day``),
        applied like ``minimum_monthly_usd``.
    minimum_annual_usd : float, default 0.0
        Minimum bill per year [$] (URDB ``annualmincharge``).
    export : ExportCompensation
        Export compensation.
    holiday_country : str or None, default None
        If set (e.g. ``"US"``), the public holidays of this country from the ``holidays``
        package are billed on the weekend schedules.
    holiday_subdivision : str or None, default None
        State or province for ``holiday_country`` (e.g. ``"CA"``).
    extra_holidays : frozenset of datetime.date, default empty
        Further dates billed on the weekend schedules.
    unsupported : tuple of str, default ()
        Names of URDB fields present in the source record that this model does not price
        (e.g. ``"coincidentratestructure"``); :func:`markets.urdb.tariff_from_urdb` logs a
        warning for each. A bill of such a tariff leaves those charges out.
    """

    name: str
    utility: str = ""
    label: str = ""
    energy: EnergyCharges | None = None
    tou_demand: TouDemandCharges | None = None
    flat_demand: FlatDemandCharges | None = None
    ratchet: DemandRatchet | None = None
    demand_window_minutes: float | None = None
    fixed_monthly_usd: float = 0.0
    fixed_daily_usd: float = 0.0
    minimum_monthly_usd: float = 0.0
    minimum_daily_usd: float = 0.0
    minimum_annual_usd: float = 0.0
    export: ExportCompensation = field(default_factory=ExportCompensation)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    extra_holidays: frozenset[dt.date] = frozenset()
    unsupported: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "fixed_monthly_usd",
            "fixed_daily_usd",
            "minimum_monthly_usd",
            "minimum_daily_usd",
            "minimum_annual_usd",
        ):
            require_finite(f"Tariff.{name}", getattr(self, name))
        for day in self.extra_holidays:
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise InputError("Tariff.extra_holidays", day, "datetime.date objects")
        if not isinstance(self.unsupported, tuple) or not all(
            isinstance(name, str) for name in self.unsupported
        ):
            raise InputError("Tariff.unsupported", self.unsupported, "a tuple of field names")
        if self.demand_window_minutes is not None and self.demand_window_minutes <= 0:
            raise InputError(
                "Tariff.demand_window_minutes",
                self.demand_window_minutes,
                "a positive number of minutes",
            )
        if self.ratchet is not None and self.flat_demand is None and self.tou_demand is None:
            raise InputError(
                "Tariff.ratchet", self.ratchet, "a tariff with demand charges to ratchet"
            )
        if self.holiday_country is not None:
            import holidays

            try:
                holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)
            except NotImplementedError as exc:
                raise InputError(
                    "Tariff.holiday_country",
                    (self.holiday_country, self.holiday_subdivision),
                    "a country (and subdivision) known to the holidays package",
                ) from exc

    # -- I/O edge -------------------------------------------------------------------------
    @classmethod
    def from_urdb(cls, source: str | Path | dict[str, Any], **options: Any) -> Tariff:
        """Parse a URDB rate record (see :func:`markets.urdb.tariff_from_urdb`)."""
        from markets.urdb import tariff_from_urdb

        return tariff_from_urdb(source, **options)

    # -- billing --------------------------------------------------------------------------
    def bill(self, net_load_kw: pd.Series, **options: Any) -> Bill:
        """Price a net-load series (see :func:`markets.bill.compute_bill`)."""
        from markets.bill import compute_bill

        return compute_bill(self, net_load_kw, **options)

    # -- calendar lookups shared by the bill engine and the optimizer ---------------------
    def weekend_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        """True where an interval is billed on the weekend schedule (weekend or holiday).

        Parameters
        ----------
        index : pandas.DatetimeIndex
            tz-aware interval-start labels in the site's local zone.

        Returns
        -------
        numpy.ndarray of bool
        """
        validate_index(index, name="index")
        mask = np.asarray(index.day_of_week >= 5)
        dates = self._holiday_dates(index)
        if dates:
            # Compare local calendar days as integers (days since 1970-01-01 of the local
            # wall-clock date): exact, and far faster than building datetime.date objects.
            local_day = index.tz_localize(None).as_unit("ns").asi8 // (86_400 * 10**9)
            epoch = dt.date(1970, 1, 1)
            holiday_days = np.array(sorted((d - epoch).days for d in dates), dtype=np.int64)
            mask = mask | np.isin(local_day, holiday_days)
        return mask

    def _holiday_dates(self, index: pd.DatetimeIndex) -> set[dt.date]:
        dates: set[dt.date] = set(self.extra_holidays)
        if self.holiday_country is not None:
            first, last = int(index.year.min()), int(index.year.max())
            dates |= _public_holidays(self.holiday_country, self.holiday_subdivision, first, last)
        return dates

    def _lookup(self, index: pd.DatetimeIndex, weekday: Schedule, weekend: Schedule) -> np.ndarray:
        month = np.asarray(index.month) - 1
        hour = np.asarray(index.hour)
        wk = np.asarray(weekday, dtype=np.int64)[month, hour]
        we = np.asarray(weekend, dtype=np.int64)[month, hour]
        return np.where(self.weekend_mask(index), we, wk)

    def energy_period(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Energy period index of each interval (int array); requires ``energy``."""
        if self.energy is None:
            raise InputError("Tariff.energy", None, "energy charges to look up periods in")
        return self._lookup(index, self.energy.weekday_schedule, self.energy.weekend_schedule)

    def tou_demand_period(self, index: pd.DatetimeIndex) -> np.ndarray:
        """TOU demand period index of each interval (int array); requires ``tou_demand``."""
        if self.tou_demand is None:
            raise InputError("Tariff.tou_demand", None, "TOU demand charges to look up periods in")
        return self._lookup(
            index, self.tou_demand.weekday_schedule, self.tou_demand.weekend_schedule
        )

    def flat_demand_period(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Flat demand period index of each interval (by month); requires ``flat_demand``."""
        if self.flat_demand is None:
            raise InputError(
                "Tariff.flat_demand", None, "flat demand charges to look up periods in"
            )
        validate_index(index, name="index")
        return np.asarray(self.flat_demand.month_periods, dtype=np.int64)[
            np.asarray(index.month) - 1
        ]

    def import_rate_usd_per_kwh(self, index: pd.DatetimeIndex) -> np.ndarray:
        """First-tier import price of each interval [$/kWh] (zeros if no energy charges)."""
        if self.energy is None:
            validate_index(index, name="index")
            return np.zeros(len(index))
        first = np.array([tiers[0].rate_usd_per_kwh for tiers in self.energy.periods])
        return first[self.energy_period(index)]

    def sell_rate_usd_per_kwh(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Export credit of each interval under ``SELL_RATE`` / ``FLAT_RATE`` [$/kWh].

        Zeros for ``NONE``; for ``NET_METERING`` the first-tier import price (the marginal value
        of an exported kWh while the month's net import stays positive).
        """
        mode = self.export.mode
        if mode is ExportMode.NONE:
            validate_index(index, name="index")
            return np.zeros(len(index))
        if mode is ExportMode.FLAT_RATE:
            validate_index(index, name="index")
            return np.full(len(index), self.export.flat_rate_usd_per_kwh)
        if mode is ExportMode.NET_METERING:
            return self.import_rate_usd_per_kwh(index)
        if self.energy is None:
            raise InputError("Tariff.energy", None, "energy periods carrying sell rates")
        sell = np.array([tiers[0].sell_usd_per_kwh for tiers in self.energy.periods])
        return sell[self.energy_period(index)]
