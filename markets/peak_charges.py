"""Peak charges: the kind of tariff part billed on each month's highest demand per period.

A peak charge (TOU demand, :mod:`markets.tou_demand`) assigns every interval a period and
bills, per billing month and period, the highest (window-averaged) import on the period's
cumulative demand tiers. Its subclass module owns all of its knowledge: the dataclass (its
fields and checks), the URDB reader (:meth:`PeakCharges.from_urdb`) and the period of each
interval (:meth:`PeakCharges.period_of`). Everything else is shared and iterates over
:data:`markets.tariff_terms.PEAK_CHARGES`:

- the bill engine (:mod:`markets.bill`) measures the peaks and prices them with
  :meth:`PeakCharges.cost_usd` into the column ``demand_<name>_usd`` (and the measured peaks
  into ``peak_<name>_period_<p>_kw``);
- the month-to-date meter (:mod:`markets.meter`) keeps the peaks interval by interval
  (``MonthToDateUsage.demand_peaks_kw[name]``);
- the optimizer's demand stream (``optimizer.streams.demand.PeakDemandStream``) models each
  present peak charge as the stream ``demand_<name>``.

Adding a peak charge is one module with a subclass, one field of
:class:`~markets.tariff_terms.TariffTerms` and its entry in ``PEAK_CHARGES`` (see
``docs/tariff_parts.md``).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from core.errors import InputError
from markets.tariff_parts import DemandTier, check_tier_limits, tier_cost

if TYPE_CHECKING:  # markets.tariff_terms imports the peak charges for its fields
    from markets.tariff_terms import TariffTerms

__all__ = ["PeakCharges"]


@dataclass(frozen=True, kw_only=True)
class PeakCharges(abc.ABC):
    """Demand charges billed on the monthly peak of each period (abstract base).

    Parameters
    ----------
    periods : tuple of tuple of DemandTier
        ``periods[p]`` is the tier list of period ``p``.

    Class attributes
    ----------------
    name : str
        Short name: bill column ``demand_<name>_usd``, optimizer stream ``demand_<name>``,
        key of the month-to-date peaks.
    field : str
        The :class:`~markets.tariff.Tariff` field that holds the part.
    urdb_fields : frozenset of str
        URDB keys the reader prices or checks (lower case).
    urdb_structure : str
        The URDB rate structure, for messages naming a period's tiers.
    """

    name: ClassVar[str]
    field: ClassVar[str]
    urdb_fields: ClassVar[frozenset[str]]
    urdb_structure: ClassVar[str]

    periods: tuple[tuple[DemandTier, ...], ...]

    def __post_init__(self) -> None:
        kind = type(self).__name__
        if not self.periods:
            raise InputError(f"{kind}.periods", self.periods, "at least one period")
        for p, tiers in enumerate(self.periods):
            if not tiers:
                raise InputError(f"{kind}.periods[{p}]", tiers, "at least one tier")
            check_tier_limits(f"{kind}.periods[{p}]", [t.max_kw for t in tiers])

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return len(self.periods)

    def cost_usd(self, peaks_kw: np.ndarray) -> float:
        """Charge of one billing month [$] given its peak in each period [kW]."""
        usd = 0.0
        for p, tiers in enumerate(self.periods):
            usd += tier_cost(tiers, float(peaks_kw[p]))
        return usd

    @classmethod
    @abc.abstractmethod
    def from_urdb(cls, rec: Mapping[str, Any]) -> PeakCharges | None:
        """The part of a URDB record (lower-cased keys); None if the record has none."""

    @abc.abstractmethod
    def period_of(self, tariff: TariffTerms, index: pd.DatetimeIndex) -> np.ndarray:
        """Period index of each interval of ``index`` (tz-aware, local; int array)."""
