"""The terms of a retail tariff: what it charges, and which period applies when.

:class:`TariffTerms` holds every field of :class:`markets.tariff.Tariff`, checks them, and
looks up the per-interval periods and rates that the bill engine and the optimizer share, so
the bill and the dispatch objective can never disagree on what a tariff says. ``Tariff``
adds only the two conveniences ``Tariff.from_urdb`` and ``Tariff.bill``; the terms live apart
so that :mod:`markets.bill` and :mod:`markets.meter` can check for a tariff without importing
:mod:`markets.tariff`, which imports them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InputError
from core.holidays import check_holiday_region, holiday_mask, public_holidays
from core.timegrid import validate_index
from core.validation import require_finite
from markets.peak_charges import PeakCharges
from markets.tariff_parts import (
    DemandRatchet,
    EnergyCharges,
    ExportCompensation,
    ExportMode,
    FlatDemandCharges,
    Schedule,
)
from markets.tou_demand import TouDemandCharges

__all__ = ["PEAK_CHARGES", "TariffTerms"]

PEAK_CHARGES: tuple[type[PeakCharges], ...] = (TouDemandCharges,)
"""The peak charges (:mod:`markets.peak_charges`), in bill-column order; each is held in the
:class:`TariffTerms` field named by its ``field``. The URDB reader, the bill engine, the
month-to-date meter and the optimizer loop over this tuple."""


@dataclass(frozen=True, kw_only=True)
class TariffTerms:
    """The fields, checks and calendar lookups of a :class:`markets.tariff.Tariff`.

    Build a ``Tariff`` (same parameters, documented there); this base class exists so that
    the bill engine can check for a tariff without an import circle.
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
        for kind in PEAK_CHARGES:
            part = getattr(self, kind.field)
            if part is not None and not isinstance(part, kind):
                raise InputError(f"Tariff.{kind.field}", part, f"a {kind.__name__} or None")
        if self.ratchet is not None and self.flat_demand is None and self.tou_demand is None:
            raise InputError(
                "Tariff.ratchet", self.ratchet, "a tariff with demand charges to ratchet"
            )
        if self.holiday_country is not None:
            check_holiday_region(
                self.holiday_country,
                self.holiday_subdivision,
                country_field="Tariff.holiday_country",
                subdivision_field="Tariff.holiday_subdivision",
            )

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
        weekend = np.asarray(index.day_of_week >= 5)
        return weekend | holiday_mask(index, self._holiday_dates(index))

    def _holiday_dates(self, index: pd.DatetimeIndex) -> frozenset[dt.date]:
        if self.holiday_country is None:
            return self.extra_holidays
        first, last = int(index.year.min()), int(index.year.max())
        public = public_holidays(self.holiday_country, self.holiday_subdivision, first, last)
        return public | self.extra_holidays

    def peak_charges(self) -> tuple[PeakCharges, ...]:
        """The peak charges the tariff has, in the order of :data:`PEAK_CHARGES`."""
        parts = (getattr(self, kind.field) for kind in PEAK_CHARGES)
        return tuple(part for part in parts if part is not None)

    def schedule_period(
        self, index: pd.DatetimeIndex, weekday: Schedule, weekend: Schedule
    ) -> np.ndarray:
        """Period of each interval from 12 x 24 weekday and weekend (and holiday) schedules."""
        month = np.asarray(index.month) - 1
        hour = np.asarray(index.hour)
        wk = np.asarray(weekday, dtype=np.int64)[month, hour]
        we = np.asarray(weekend, dtype=np.int64)[month, hour]
        return np.where(self.weekend_mask(index), we, wk)

    def energy_period(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Energy period index of each interval (int array); requires ``energy``."""
        if self.energy is None:
            raise InputError("Tariff.energy", None, "energy charges to look up periods in")
        return self.schedule_period(
            index, self.energy.weekday_schedule, self.energy.weekend_schedule
        )

    def tou_demand_period(self, index: pd.DatetimeIndex) -> np.ndarray:
        """TOU demand period index of each interval (int array); requires ``tou_demand``."""
        if self.tou_demand is None:
            raise InputError("Tariff.tou_demand", None, "TOU demand charges to look up periods in")
        return self.tou_demand.period_of(self, index)

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
