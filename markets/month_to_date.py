"""The month-to-date state of a billing month, and the ratchet's look-back rule.

:class:`MonthToDateUsage` is what :func:`markets.bill.month_to_date` and
:class:`markets.meter.MonthToDateMeter` report (and the optimizer's ``MonthToDate`` carries);
:func:`ratchet_reference_kw` is the one look-back rule of the bill engine and the meter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from markets.tariff_parts import DemandRatchet
from markets.tou_demand import TouDemandCharges

__all__ = ["MonthToDateUsage", "ratchet_reference_kw"]


@dataclass(frozen=True, kw_only=True)
class MonthToDateUsage:
    """What a billing month has set so far: the state the optimizer's ``MonthToDate`` carries.

    Parameters
    ----------
    month : pandas.Period
        The billing month (for :func:`markets.bill.month_to_date`, the month of the series'
        last interval).
    flat_peak_kw : float
        Highest (window-averaged) import this month [kW].
    tou_peak_kw : tuple of float
        Highest import this month in each TOU demand period [kW]; empty without TOU demand.
    ratchet_peak_kw : float
        Highest flat peak among the ratchet's look-back months before this month that are in
        the series [kW]; 0 without a ratchet.
    import_kwh_by_period, export_kwh_by_period : tuple of float
        Energy imported / exported this month in each energy period [kWh]; one entry (all
        hours) when the tariff has no energy charges.
    demand_peaks_kw : Mapping of str to tuple of float, default empty
        The same as ``tou_peak_kw`` for each further peak charge of
        :data:`markets.tariff_terms.PEAK_CHARGES` the tariff has, by its ``name`` (see
        :meth:`peak_kw`).
    """

    month: pd.Period
    flat_peak_kw: float
    tou_peak_kw: tuple[float, ...]
    ratchet_peak_kw: float
    import_kwh_by_period: tuple[float, ...]
    export_kwh_by_period: tuple[float, ...]
    demand_peaks_kw: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @classmethod
    def with_peaks(
        cls, peaks_kw: Mapping[str, tuple[float, ...]], **fields: object
    ) -> MonthToDateUsage:
        """The usage with the peaks of each peak charge (by ``name``) in its field."""
        tou = TouDemandCharges.name
        others = {name: tuple(kw) for name, kw in peaks_kw.items() if name != tou and len(kw)}
        return cls(tou_peak_kw=tuple(peaks_kw.get(tou, ())), demand_peaks_kw=others, **fields)

    def peak_kw(self, name: str) -> tuple[float, ...]:
        """The month's peaks of the peak charge ``name`` [kW] (``tou_peak_kw`` for ``"tou"``)."""
        if name == TouDemandCharges.name:
            return self.tou_peak_kw
        return tuple(self.demand_peaks_kw.get(name, ()))


def ratchet_reference_kw(
    ratchet: DemandRatchet | None,
    month: tuple[int, int],
    earlier: Iterable[tuple[tuple[int, int], float]],
    history_kw: float = 0.0,
) -> float:
    """Highest flat peak among a ratchet's look-back months before ``month`` [kW].

    Parameters
    ----------
    ratchet : DemandRatchet or None
        The tariff's ratchet; without one the reference is 0.
    month : tuple of int
        ``(year, month)`` of the billing month being billed.
    earlier : iterable of ((int, int), float)
        ``((year, month), flat_peak_kw)`` of months measured before ``month``; months that are
        not in the look-back are ignored.
    history_kw : float, default 0.0
        Highest flat peak among look-back months before the data [kW].

    Returns
    -------
    float
        ``max(history_kw, peaks of the months 1..lookback_range_months before)``, or with
        ``lookback_range_months == 0`` of the flagged ``lookback_months`` among the 11 months
        before; 0.0 without a ratchet.
    """
    if ratchet is None:
        return 0.0
    year, mon = month
    best = history_kw
    for (y_j, m_j), peak_kw in earlier:
        back = (year - y_j) * 12 + (mon - m_j)
        if ratchet.lookback_range_months > 0:
            counts = 1 <= back <= ratchet.lookback_range_months
        else:
            counts = 1 <= back <= 11 and ratchet.lookback_months[m_j - 1]
        if counts:
            best = max(best, float(peak_kw))
    return best
