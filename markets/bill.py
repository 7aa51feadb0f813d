"""The bill engine: price a net-load series under a :class:`~markets.tariff.Tariff`.

Vectorized over intervals (numpy), looping only over billing months, periods and tiers, so a
year of 5-minute data bills in milliseconds. :mod:`tests.oracles.bill_reference` prices the same bill
with a plain per-interval loop, as a second method for tests and benchmarks.

Semantics (NREL SAM's utility-rate model is the reference where URDB is silent):

Time
    Schedules and billing months are read from the index's own wall clock, so pass the series
    in the site's local zone: DST days then have 23 or 25 hours and leap days are ordinary
    days. A billing month is a calendar month in local time; each interval belongs to the
    month (and TOU period) of its start.
Energy [kWh]
    ``import_kwh = max(net_load_kw, 0) * dt_h`` and ``export_kwh = max(-net_load_kw, 0) * dt_h``
    per interval, netted within the interval only.
Tiers
    Energy tiers are cumulative over the billing month's total across all periods, as in SAM:
    with ``E`` the month's billed kWh and ``E_p`` the part in period ``p``, period ``p`` pays
    ``(E_p / E) * cost_p(E)``, where ``cost_p`` prices ``E`` on period ``p``'s tiers. Without
    tiers this is ``E_p * rate_p``. Demand tiers apply to the billed peak of each period.
Demand [kW]
    Demand is the highest interval-average import of the month (flat) or of the month's
    intervals in each period of a peak charge (TOU demand); exports count as zero demand. If
    the tariff has a ``demand_window_minutes`` longer than the data step, demand is averaged
    over fixed, clock-aligned blocks of that length (blocks aligned to the UTC epoch, which is
    the local clock for windows that divide an hour), the common utility practice and what an
    interval meter records; not a rolling window. A block takes the month and period of its first
    interval; a block cut by the start or end of the data averages the intervals present. The
    window must be a whole number of data steps; a window shorter than the step uses the step.
Ratchet
    The billed flat demand of a month is ``max(peak, fraction * reference)``, where the
    reference is the highest flat peak among the look-back months *before* it that are in the
    data (``lookback_range_months`` preceding months, or the flagged ``lookback_months`` among
    the 11 preceding months) and ``ratchet_history_kw`` (peaks from before the data).
Export compensation, credited as a positive ``export_credit_usd`` that is *subtracted*
    ``SELL_RATE``: each exported kWh earns its energy period's first-tier ``sell`` rate
    (sell rates of higher tiers are not used; URDB "Net Billing Hourly" is netted per data
    interval, not per hour, and tiers are prorated as above where SAM's hourly net billing
    fills them chronologically).
    ``FLAT_RATE``: each exported kWh earns the flat rate. ``NET_METERING``: within each billing
    month and energy period, exports offset imports kWh for kWh; the net import is billed
    (through the tiers) and a net surplus earns the period's sell rate (0 if none); nothing
    rolls over to the next month. ``energy_usd`` is always the charge on gross imports, and for
    net metering ``export_credit_usd`` is that charge minus the charge on net imports, plus
    the surplus credit, so ``energy_usd - export_credit_usd`` is the net-metered energy bill.
Fixed and minimum charges; partial months
    ``fixed_usd = fixed_monthly_usd * days / days_in_month + fixed_daily_usd * days`` where
    ``days`` counts the local calendar days with data in the month, so a partial first or last
    month pays a prorated monthly charge and the daily charge for the days present. The month's
    minimum (``minimum_monthly_usd`` prorated the same way, plus ``minimum_daily_usd * days``)
    raises ``energy + demand + fixed - export credit``; ``minimum_usd`` is the top-up (a month
    without a minimum charge keeps a negative total when its credit exceeds its charges). The
    annual minimum (prorated by days present over the days of that year) tops up a calendar
    year's total, booked in its last month in the data.
Total
    ``total_usd = energy_usd + demand_flat_usd + demand_tou_usd + fixed_usd + minimum_usd
    - export_credit_usd``, with one ``demand_<name>_usd`` per peak charge (TOU demand is
    ``demand_tou_usd``; see :mod:`markets.peak_charges`), each summed after the flat demand.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.errors import InputError
from core.validation import require_nonnegative, validate_series
from markets.meter import MonthToDateUsage, ratchet_reference_kw
from markets.tariff_parts import ExportMode, tier_cost
from markets.tariff_terms import PEAK_CHARGES, TariffTerms

if TYPE_CHECKING:  # markets.tariff imports this module for Tariff.bill
    from markets.tariff import Tariff

__all__ = ["Bill", "MonthToDateUsage", "compute_bill", "month_to_date", "tier_cost"]

logger = logging.getLogger(__name__)

_NS_PER_H = 3_600 * 10**9
_NS_PER_DAY = 24 * _NS_PER_H

DEMAND_COLUMNS = ("demand_flat_usd", *(f"demand_{kind.name}_usd" for kind in PEAK_CHARGES))
"""The demand-charge columns of :attr:`Bill.monthly`: flat demand, then one per peak charge of
:data:`markets.tariff_terms.PEAK_CHARGES` (e.g. ``demand_tou_usd``)."""

CHARGE_COLUMNS = (
    "energy_usd",
    *DEMAND_COLUMNS,
    "fixed_usd",
    "minimum_usd",
    "export_credit_usd",
    "total_usd",
)
"""The money columns of :attr:`Bill.monthly`, in order (one ``demand_<name>_usd`` per peak
charge of :data:`markets.tariff_terms.PEAK_CHARGES`, e.g. ``demand_tou_usd``)."""


@dataclass(frozen=True, kw_only=True)
class Bill:
    """A priced bill.

    Parameters
    ----------
    monthly : pandas.DataFrame
        One row per billing month (index ``month``, a monthly ``Period``), columns
        ``energy_usd``, ``demand_flat_usd``, ``demand_tou_usd``, ``fixed_usd``,
        ``minimum_usd``, ``export_credit_usd`` (a positive credit, subtracted), ``total_usd``
        [$]; ``import_kwh``, ``export_kwh`` [kWh]; ``peak_flat_kw`` (measured),
        ``billed_flat_kw`` (after the ratchet) [kW]; ``peak_<name>_period_<p>_kw`` per period
        of each peak charge the tariff has (``peak_tou_period_<p>_kw`` for TOU demand) [kW];
        ``import_period_<p>_kwh`` and ``export_period_<p>_kwh`` per energy period [kWh];
        ``days_present`` (local calendar days with data).
    total_usd : float
        Sum of ``monthly.total_usd`` [$].
    tariff_name : str
        Name of the tariff priced.
    unsupported : tuple of str
        URDB fields of the tariff that were not priced (see ``Tariff.unsupported``).
    """

    monthly: pd.DataFrame
    total_usd: float
    tariff_name: str
    unsupported: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Usage:
    """Measured quantities per billing month (internal)."""

    months: list[tuple[int, int]]
    days_present: np.ndarray  # (M,)
    import_kwh: np.ndarray  # (M, P_energy)
    export_kwh: np.ndarray  # (M, P_energy)
    flat_peak_kw: np.ndarray  # (M,)
    peaks_kw: dict[str, np.ndarray]  # per peak charge name: (M, P) (P = 0 without the part)


# -- public API -------------------------------------------------------------------------------
def compute_bill(
    tariff: Tariff, net_load_kw: pd.Series, *, ratchet_history_kw: float = 0.0
) -> Bill:
    """Price a net-load series.

    Parameters
    ----------
    tariff : Tariff
        The tariff.
    net_load_kw : pandas.Series
        Net load at the meter [kW], import positive, export negative, on a tz-aware, fixed-step,
        interval-beginning index in the site's local zone (any step: 5 min, 15 min, 1 h).
    ratchet_history_kw : float, default 0.0
        Highest flat peak among look-back months before the series starts [kW], for a ratchet.

    Returns
    -------
    Bill
        Monthly charges and the total; ``total_usd`` subtracts ``export_credit_usd``. See the
        module docstring for the exact semantics of tiers, demand windows, ratchets, export
        compensation and partial months.

    Raises
    ------
    InputError
        On a naive, gapped, duplicated or unsorted index, NaN values, or a step that does not
        divide the tariff's demand window.
    """
    if not isinstance(tariff, TariffTerms):
        raise InputError("tariff", type(tariff).__name__, "a markets.Tariff")
    require_nonnegative("ratchet_history_kw", ratchet_history_kw)
    usage = _measure(tariff, net_load_kw)
    monthly = _price(tariff, usage, ratchet_history_kw)
    return Bill(
        monthly=monthly,
        total_usd=float(monthly["total_usd"].sum()),
        tariff_name=tariff.name,
        unsupported=tariff.unsupported,
    )


def month_to_date(tariff: Tariff, net_load_kw: pd.Series) -> MonthToDateUsage:
    """Peaks and energy already set in the billing month of the series' last interval.

    Parameters
    ----------
    tariff : Tariff
        The tariff.
    net_load_kw : pandas.Series
        Net load so far [kW] (as for :func:`compute_bill`). Intervals of earlier months are
        used only for the ratchet's look-back peak.

    Returns
    -------
    MonthToDateUsage
    """
    if not isinstance(tariff, TariffTerms):
        raise InputError("tariff", type(tariff).__name__, "a markets.Tariff")
    usage = _measure(tariff, net_load_kw)
    last = len(usage.months) - 1
    year, month = usage.months[last]
    return MonthToDateUsage.with_peaks(
        {name: tuple(float(v) for v in peaks[last]) for name, peaks in usage.peaks_kw.items()},
        month=pd.Period(year=year, month=month, freq="M"),
        flat_peak_kw=float(usage.flat_peak_kw[last]),
        ratchet_peak_kw=_ratchet_reference_kw(tariff, usage, last, 0.0),
        import_kwh_by_period=tuple(float(v) for v in usage.import_kwh[last]),
        export_kwh_by_period=tuple(float(v) for v in usage.export_kwh[last]),
    )


# -- measurement ------------------------------------------------------------------------------
def _measure(tariff: Tariff, net_load_kw: pd.Series) -> _Usage:
    validate_series(net_load_kw, name="net_load_kw")
    index = net_load_kw.index
    tz = str(index.tz)
    if tz in ("UTC", "UTC+00:00", "Etc/UTC", "GMT"):
        logger.warning(
            "net_load_kw is indexed in %s: schedules and billing months are read on that clock; "
            "convert the series to the site's local zone if the site is elsewhere",
            tz,
        )
    x = net_load_kw.to_numpy(dtype=float)
    n = len(x)
    ns = index.as_unit("ns").asi8
    step_ns = int(ns[1] - ns[0]) if n >= 2 else int(pd.Timedelta(index.freq).value)
    dt_h = step_ns / _NS_PER_H

    # billing months: contiguous runs of local (year, month)
    year = np.asarray(index.year, dtype=np.int64)
    month = np.asarray(index.month, dtype=np.int64)
    key = year * 12 + (month - 1)
    new_month = np.empty(n, dtype=bool)
    new_month[0] = True
    new_month[1:] = key[1:] != key[:-1]
    month_id = np.cumsum(new_month) - 1
    starts = np.flatnonzero(new_month)
    months = [(int(year[s]), int(month[s])) for s in starts]
    n_months = len(months)

    local_day = index.tz_localize(None).as_unit("ns").asi8 // _NS_PER_DAY
    new_day = np.empty(n, dtype=bool)
    new_day[0] = True
    new_day[1:] = local_day[1:] != local_day[:-1]
    days_present = np.bincount(month_id, weights=new_day, minlength=n_months)

    # energy per (month, energy period)
    imp = np.maximum(x, 0.0) * dt_h
    exp = np.maximum(-x, 0.0) * dt_h
    if tariff.energy is not None:
        n_ep = len(tariff.energy.periods)
        cell = month_id * n_ep + tariff.energy_period(index)
    else:
        n_ep = 1
        cell = month_id
    size = n_months * n_ep
    import_kwh = np.bincount(cell, weights=imp, minlength=size).reshape(n_months, n_ep)
    export_kwh = np.bincount(cell, weights=exp, minlength=size).reshape(n_months, n_ep)

    # demand: interval or block averages
    demand_kw, first = _demand_blocks(tariff, x, ns, step_ns)
    block_month = month_id[first]
    flat_peak = np.zeros(n_months)
    np.maximum.at(flat_peak, block_month, demand_kw)
    peaks_kw = {}
    for kind in PEAK_CHARGES:
        part = getattr(tariff, kind.field)
        n_periods = 0 if part is None else part.n_periods
        peak = np.zeros(n_months * n_periods)
        if part is not None:
            period = part.period_of(tariff, index)[first]
            np.maximum.at(peak, block_month * n_periods + period, demand_kw)
        peaks_kw[kind.name] = peak.reshape(n_months, n_periods)
    return _Usage(
        months=months,
        days_present=days_present,
        import_kwh=import_kwh,
        export_kwh=export_kwh,
        flat_peak_kw=flat_peak,
        peaks_kw=peaks_kw,
    )


def _demand_blocks(
    tariff: Tariff, x: np.ndarray, ns: np.ndarray, step_ns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Demand values [kW] and the position of each block's first interval."""
    window = tariff.demand_window_minutes
    window_ns = None if window is None else round(window * 60 * 10**9)
    if window_ns is None or window_ns <= step_ns:
        if window_ns is not None and window_ns < step_ns:
            logger.info(
                "demand window of %s min is shorter than the %s data step: demand is the "
                "step average",
                window,
                pd.Timedelta(step_ns),
            )
        return x, np.arange(len(x))
    if window_ns % step_ns:
        raise InputError(
            "net_load_kw.index",
            f"step of {pd.Timedelta(step_ns)}",
            f"a step that divides the tariff's demand window of {window:g} min",
        )
    block = ns // window_ns
    new_block = np.empty(len(x), dtype=bool)
    new_block[0] = True
    new_block[1:] = block[1:] != block[:-1]
    first = np.flatnonzero(new_block)
    sums = np.add.reduceat(x, first)
    counts = np.diff(np.append(first, len(x)))
    return sums / counts, first


# -- pricing ----------------------------------------------------------------------------------
def _energy_charge(tariff: Tariff, kwh_by_period: np.ndarray) -> float:
    """Energy charge of one month's kWh per period, tiers on the monthly total."""
    energy = tariff.energy
    if energy is None:
        return 0.0
    total = float(kwh_by_period.sum())
    if total <= 0:
        return 0.0
    charge = 0.0
    for p, tiers in enumerate(energy.periods):
        e_p = float(kwh_by_period[p])
        if e_p == 0:
            continue
        if len(tiers) == 1:
            charge += e_p * tiers[0].rate_usd_per_kwh
        else:
            charge += e_p / total * tier_cost(tiers, total)
    return charge


def _ratchet_reference_kw(tariff: Tariff, usage: _Usage, i: int, history_kw: float) -> float:
    """Highest flat peak among the look-back months before month ``i`` (and history)."""
    earlier = zip(usage.months[:i], usage.flat_peak_kw[:i].tolist(), strict=True)
    return ratchet_reference_kw(tariff.ratchet, usage.months[i], earlier, history_kw)


def _peak_charges_usd(tariff: Tariff, usage: _Usage, i: int) -> dict[str, float]:
    """Month ``i``'s charge of each peak charge by name [$] (0 for those the tariff lacks)."""
    usd = {}
    for kind in PEAK_CHARGES:
        part = getattr(tariff, kind.field)
        usd[kind.name] = 0.0 if part is None else part.cost_usd(usage.peaks_kw[kind.name][i])
    return usd


def _price(tariff: Tariff, usage: _Usage, history_kw: float) -> pd.DataFrame:
    rows = []
    energy = tariff.energy
    mode = tariff.export.mode
    first_sell = (
        np.array([tiers[0].sell_usd_per_kwh for tiers in energy.periods])
        if energy is not None
        else np.zeros(1)
    )
    for i, (year, month) in enumerate(usage.months):
        imp = usage.import_kwh[i]
        exp = usage.export_kwh[i]
        energy_usd = _energy_charge(tariff, imp)
        if mode is ExportMode.SELL_RATE:
            credit = float(exp @ first_sell)
        elif mode is ExportMode.FLAT_RATE:
            credit = float(exp.sum()) * tariff.export.flat_rate_usd_per_kwh
        elif mode is ExportMode.NET_METERING:
            net = imp - exp
            billed = np.maximum(net, 0.0)
            surplus = np.maximum(-net, 0.0)
            credit = energy_usd - _energy_charge(tariff, billed) + float(surplus @ first_sell)
        else:
            credit = 0.0

        peak_usd = _peak_charges_usd(tariff, usage, i)
        peak = float(usage.flat_peak_kw[i])
        billed_flat = peak
        flat_usd = 0.0
        if tariff.flat_demand is not None:
            if tariff.ratchet is not None:
                reference = _ratchet_reference_kw(tariff, usage, i, history_kw)
                billed_flat = max(peak, tariff.ratchet.lookback_fraction * reference)
            tiers = tariff.flat_demand.periods[tariff.flat_demand.month_periods[month - 1]]
            flat_usd = tier_cost(tiers, billed_flat)

        days = float(usage.days_present[i])
        days_in_month = calendar.monthrange(year, month)[1]
        fixed_usd = tariff.fixed_monthly_usd * days / days_in_month + tariff.fixed_daily_usd * days
        floor_usd = tariff.minimum_monthly_usd * days / days_in_month
        floor_usd += tariff.minimum_daily_usd * days
        before_minimum = energy_usd + flat_usd
        for usd in peak_usd.values():
            before_minimum += usd
        before_minimum = before_minimum + fixed_usd - credit
        # No minimum charge, no top-up: a month whose export credit exceeds its charges keeps
        # its negative total (as in SAM), it is not raised to $0 by a minimum of $0.
        minimum_usd = max(0.0, floor_usd - before_minimum) if floor_usd > 0 else 0.0

        row = {
            "month": pd.Period(year=year, month=month, freq="M"),
            "energy_usd": energy_usd,
            "demand_flat_usd": flat_usd,
            **{f"demand_{name}_usd": usd for name, usd in peak_usd.items()},
            "fixed_usd": fixed_usd,
            "minimum_usd": minimum_usd,
            "export_credit_usd": credit,
            "total_usd": before_minimum + minimum_usd,
            "import_kwh": float(imp.sum()),
            "export_kwh": float(exp.sum()),
            "peak_flat_kw": peak,
            "billed_flat_kw": billed_flat,
        }
        for name, peaks in usage.peaks_kw.items():
            for p in range(peaks.shape[1]):
                row[f"peak_{name}_period_{p}_kw"] = float(peaks[i, p])
        if energy is not None:
            for p in range(len(imp)):
                row[f"import_period_{p}_kwh"] = float(imp[p])
            for p in range(len(exp)):
                row[f"export_period_{p}_kwh"] = float(exp[p])
        row["days_present"] = days
        rows.append(row)
    monthly = pd.DataFrame(rows).set_index("month")
    if tariff.minimum_annual_usd > 0:
        _apply_annual_minimum(tariff, monthly)
    return monthly


def _apply_annual_minimum(tariff: Tariff, monthly: pd.DataFrame) -> None:
    years = monthly.index.year
    for year in np.unique(years):
        rows = np.flatnonzero(years == year)
        days_in_year = 366 if calendar.isleap(int(year)) else 365
        days = float(monthly["days_present"].iloc[rows].sum())
        floor_usd = tariff.minimum_annual_usd * days / days_in_year
        shortfall = floor_usd - float(monthly["total_usd"].iloc[rows].sum())
        if shortfall > 0:
            last = monthly.index[rows[-1]]
            monthly.loc[last, "minimum_usd"] += shortfall
            monthly.loc[last, "total_usd"] += shortfall
