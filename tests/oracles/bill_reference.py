"""A plain per-interval loop that prices the same bill as :func:`markets.bill.compute_bill`.

Written independently of the vectorized engine (own calendar lookups from Python datetimes,
own holiday set, own block averaging with dicts), with the semantics stated in
:mod:`markets.bill`. It is a second method for tests and the baseline of the bill benchmark,
not for production use: it is slow by design.
"""

from __future__ import annotations

import calendar
import datetime as dt

import holidays
import pandas as pd

from markets.tariff import ExportMode, Tariff

__all__ = ["bill_by_loop"]


def _tiered(tiers: list[tuple[float, float]], amount: float) -> float:
    """Cost of ``amount`` on ``[(upper, rate), ...]`` cumulative tiers."""
    cost = 0.0
    lower = 0.0
    for upper, rate in tiers:
        if amount > lower:
            cost += rate * (min(amount, upper) - lower)
        lower = upper
    return cost


def bill_by_loop(
    tariff: Tariff, net_load_kw: pd.Series, *, ratchet_history_kw: float = 0.0
) -> pd.DataFrame:
    """Monthly charges of ``net_load_kw`` computed interval by interval.

    Parameters
    ----------
    tariff : Tariff
        The tariff.
    net_load_kw : pandas.Series
        Net load [kW] on a tz-aware fixed-step index (not validated here).
    ratchet_history_kw : float, default 0.0
        Look-back peak from before the series [kW].

    Returns
    -------
    pandas.DataFrame
        One row per billing month (index ``month``), the money columns of
        :attr:`markets.bill.Bill.monthly` [$].
    """
    stamps = list(net_load_kw.index)
    values = [float(v) for v in net_load_kw.to_numpy()]
    step_s = (
        (stamps[1] - stamps[0]).total_seconds()
        if len(stamps) > 1
        else pd.Timedelta(net_load_kw.index.freq).total_seconds()
    )
    dt_h = step_s / 3600.0

    holiday_dates: set[dt.date] = set(tariff.extra_holidays)
    if tariff.holiday_country is not None:
        years = sorted({ts.year for ts in stamps})
        holiday_dates |= set(
            holidays.country_holidays(
                tariff.holiday_country, subdiv=tariff.holiday_subdivision, years=years
            )
        )

    def weekend(ts: pd.Timestamp) -> bool:
        return ts.weekday() >= 5 or ts.date() in holiday_dates

    def period(ts: pd.Timestamp, weekday_schedule, weekend_schedule) -> int:
        schedule = weekend_schedule if weekend(ts) else weekday_schedule
        return schedule[ts.month - 1][ts.hour]

    months: list[tuple[int, int]] = []
    days: dict[tuple[int, int], set[dt.date]] = {}
    imports: dict[tuple[int, int], dict[int, float]] = {}
    exports: dict[tuple[int, int], dict[int, float]] = {}
    # demand blocks: key -> [sum_kw, count, month, tou period of first interval]
    window_s = tariff.demand_window_minutes * 60 if tariff.demand_window_minutes else None
    use_blocks = window_s is not None and window_s > step_s
    blocks: dict[int, list] = {}
    for i, (ts, kw) in enumerate(zip(stamps, values, strict=True)):
        month = (ts.year, ts.month)
        if month not in days:
            months.append(month)
            days[month] = set()
            imports[month] = {}
            exports[month] = {}
        days[month].add(ts.date())
        e_period = (
            period(ts, tariff.energy.weekday_schedule, tariff.energy.weekend_schedule)
            if tariff.energy is not None
            else 0
        )
        if kw > 0:
            imports[month][e_period] = imports[month].get(e_period, 0.0) + kw * dt_h
        elif kw < 0:
            exports[month][e_period] = exports[month].get(e_period, 0.0) - kw * dt_h
        block = int(ts.timestamp()) // int(window_s) if use_blocks else i
        if block not in blocks:
            d_period = (
                period(ts, tariff.tou_demand.weekday_schedule, tariff.tou_demand.weekend_schedule)
                if tariff.tou_demand is not None
                else 0
            )
            blocks[block] = [0.0, 0, month, d_period]
        blocks[block][0] += kw
        blocks[block][1] += 1

    flat_peak = {m: 0.0 for m in months}
    tou_peak: dict[tuple[int, int], dict[int, float]] = {m: {} for m in months}
    for total, count, month, d_period in blocks.values():
        demand = total / count
        if demand > flat_peak[month]:
            flat_peak[month] = demand
        if demand > tou_peak[month].get(d_period, 0.0):
            tou_peak[month][d_period] = demand

    def energy_charge(kwh: dict[int, float]) -> float:
        if tariff.energy is None:
            return 0.0
        total = sum(kwh.values())
        if total <= 0:
            return 0.0
        charge = 0.0
        for p, e_p in kwh.items():
            tiers = [(t.max_kwh, t.rate_usd_per_kwh) for t in tariff.energy.periods[p]]
            charge += e_p / total * _tiered(tiers, total)
        return charge

    def sell(p: int) -> float:
        return tariff.energy.periods[p][0].sell_usd_per_kwh if tariff.energy is not None else 0.0

    rows = []
    for i, (year, month_no) in enumerate(months):
        month = (year, month_no)
        energy_usd = energy_charge(imports[month])
        mode = tariff.export.mode
        if mode is ExportMode.SELL_RATE:
            credit = float(sum(kwh * sell(p) for p, kwh in exports[month].items()))
        elif mode is ExportMode.FLAT_RATE:
            credit = float(sum(exports[month].values())) * tariff.export.flat_rate_usd_per_kwh
        elif mode is ExportMode.NET_METERING:
            net_billed: dict[int, float] = {}
            surplus_credit = 0.0
            for p in set(imports[month]) | set(exports[month]):
                net = imports[month].get(p, 0.0) - exports[month].get(p, 0.0)
                if net > 0:
                    net_billed[p] = net
                else:
                    surplus_credit += -net * sell(p)
            credit = energy_usd - energy_charge(net_billed) + surplus_credit
        else:
            credit = 0.0

        tou_usd = 0.0
        if tariff.tou_demand is not None:
            for p, peak in tou_peak[month].items():
                tiers = [(t.max_kw, t.rate_usd_per_kw) for t in tariff.tou_demand.periods[p]]
                tou_usd += _tiered(tiers, peak)
        flat_usd = 0.0
        if tariff.flat_demand is not None:
            billed = flat_peak[month]
            ratchet = tariff.ratchet
            if ratchet is not None:
                reference = ratchet_history_kw
                for y_j, m_j in months[:i]:
                    back = (year - y_j) * 12 + month_no - m_j
                    if ratchet.lookback_range_months > 0:
                        counts = back <= ratchet.lookback_range_months
                    else:
                        counts = back <= 11 and ratchet.lookback_months[m_j - 1]
                    if counts:
                        reference = max(reference, flat_peak[(y_j, m_j)])
                billed = max(billed, ratchet.lookback_fraction * reference)
            period_no = tariff.flat_demand.month_periods[month_no - 1]
            tiers = [(t.max_kw, t.rate_usd_per_kw) for t in tariff.flat_demand.periods[period_no]]
            flat_usd = _tiered(tiers, billed)

        n_days = len(days[month])
        month_days = calendar.monthrange(year, month_no)[1]
        fixed_usd = tariff.fixed_monthly_usd * n_days / month_days
        fixed_usd += tariff.fixed_daily_usd * n_days
        floor_usd = tariff.minimum_monthly_usd * n_days / month_days
        floor_usd += tariff.minimum_daily_usd * n_days
        subtotal = energy_usd + flat_usd + tou_usd + fixed_usd - credit
        minimum_usd = max(0.0, floor_usd - subtotal) if floor_usd > 0 else 0.0
        rows.append(
            {
                "month": pd.Period(year=year, month=month_no, freq="M"),
                "energy_usd": energy_usd,
                "demand_flat_usd": flat_usd,
                "demand_tou_usd": tou_usd,
                "fixed_usd": fixed_usd,
                "minimum_usd": minimum_usd,
                "export_credit_usd": credit,
                "total_usd": subtotal + minimum_usd,
                "days": n_days,
            }
        )
    # annual minimum per calendar year, booked in the year's last month present
    if tariff.minimum_annual_usd > 0:
        for year in sorted({row["month"].year for row in rows}):
            of_year = [row for row in rows if row["month"].year == year]
            year_days = 366 if calendar.isleap(year) else 365
            floor_usd = tariff.minimum_annual_usd * sum(r["days"] for r in of_year) / year_days
            shortfall = floor_usd - sum(r["total_usd"] for r in of_year)
            if shortfall > 0:
                of_year[-1]["minimum_usd"] += shortfall
                of_year[-1]["total_usd"] += shortfall
    for row in rows:
        del row["days"]
    return pd.DataFrame(rows).set_index("month")
