"""TOU demand charges: a charge on each month's peak within each time-of-use demand window.

A peak charge (:mod:`markets.peak_charges`): this module owns the part's data, its URDB reader
and its periods; the bill, the month-to-date meter and the optimizer's ``demand_tou`` stream
price, track and model it through the peak-charge interface.

URDB fields: ``demandratestructure`` (periods of tiers, ``rate + adj`` [$/kW]),
``demandweekdayschedule`` / ``demandweekendschedule`` (12 x 24 period indexes; holidays of the
tariff take the weekend schedule) and the units ``demandrateunit(s)`` / ``demandunits`` (kW).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from core.errors import InputError
from markets import urdb_charges
from markets.peak_charges import PeakCharges
from markets.tariff_parts import Schedule, check_schedule

if TYPE_CHECKING:  # markets.tariff_terms imports this module for its fields
    from markets.tariff_terms import TariffTerms

__all__ = ["TouDemandCharges"]


@dataclass(frozen=True, kw_only=True)
class TouDemandCharges(PeakCharges):
    """Demand charges per time-of-use demand window, billed on each window's monthly peak.

    Parameters
    ----------
    periods : tuple of tuple of DemandTier
        ``periods[p]`` is the tier list of demand period ``p``.
    weekday_schedule, weekend_schedule : Schedule
        12 x 24 demand period indexes.
    """

    name: ClassVar[str] = "tou"
    field: ClassVar[str] = "tou_demand"
    urdb_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "demandratestructure",
            "demandweekdayschedule",
            "demandweekendschedule",
            "demandrateunit",
            "demandrateunits",
            "demandunits",
        }
    )
    urdb_structure: ClassVar[str] = "demandratestructure"

    weekday_schedule: Schedule
    weekend_schedule: Schedule

    def __post_init__(self) -> None:
        super().__post_init__()
        check_schedule(
            "TouDemandCharges.weekday_schedule", self.weekday_schedule, len(self.periods)
        )
        check_schedule(
            "TouDemandCharges.weekend_schedule", self.weekend_schedule, len(self.periods)
        )

    @classmethod
    def from_urdb(cls, rec: Mapping[str, Any]) -> TouDemandCharges | None:
        """The TOU demand charges of a URDB record (lower-cased keys); None if it has none."""
        if not rec.get("demandratestructure"):
            for field in ("demandweekdayschedule", "demandweekendschedule"):
                if rec.get(field):
                    raise InputError("demandratestructure", None, f"rates for {field}")
            return None
        urdb_charges.check_demand_units(rec, ("demandrateunit", "demandrateunits", "demandunits"))
        periods = urdb_charges.demand_periods(rec, "demandratestructure")
        n = len(periods)
        return cls(
            periods=periods,
            weekday_schedule=urdb_charges.schedule(
                rec, "demandweekdayschedule", n, "demandratestructure"
            ),
            weekend_schedule=urdb_charges.schedule(
                rec, "demandweekendschedule", n, "demandratestructure"
            ),
        )

    def period_of(self, tariff: TariffTerms, index: pd.DatetimeIndex) -> np.ndarray:
        """The weekday or weekend (and holiday) schedule's period of each interval."""
        return tariff.schedule_period(index, self.weekday_schedule, self.weekend_schedule)
