"""Two-settlement energy: a day-ahead position, real-time deviations at real-time prices.

A resource sells a day-ahead position ``q_DA`` [kW, net output, + = discharge/export] at the
day-ahead price and, in real time, delivers ``q`` [kW]. The deviation ``q - q_DA`` is settled
at the real-time price (the usual two-settlement rule of US ISOs: e.g. ERCOT's day-ahead
market settles at DAM settlement point prices and real-time imbalances at RTM prices;
CAISO's IFM / RTM the same way)::

    DA revenue        = sum_t p_DA,t * q_DA,t * dt
    RT deviation      = sum_t p_RT,t * (q_t - q_DA,t) * dt
    total             = DA revenue + RT deviation

When ``p_DA = p_RT`` the total equals ``sum_t p_RT,t q_t dt``, the real-time revenue of the
delivered energy (the identity tests check). Prices are in $/kWh, powers in kW, ``dt`` from
the index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from core.timegrid import step_hours
from core.validation import validate_series

__all__ = ["TwoSettlement", "settle_two"]


@dataclass(frozen=True, kw_only=True)
class TwoSettlement:
    """A two-settlement result.

    Parameters
    ----------
    da_revenue_usd, rt_deviation_usd, total_usd : float
        Day-ahead revenue, real-time deviation revenue and their sum [$].
    intervals : pandas.DataFrame
        ``da_position_kw``, ``delivered_kw``, ``deviation_kw``, ``da_usd``, ``rt_deviation_usd``
        per interval.
    """

    da_revenue_usd: float
    rt_deviation_usd: float
    total_usd: float
    intervals: pd.DataFrame


def settle_two(
    *,
    da_position_kw: pd.Series,
    delivered_kw: pd.Series,
    da_price_usd_per_kwh: pd.Series,
    rt_price_usd_per_kwh: pd.Series,
) -> TwoSettlement:
    """Settle a day-ahead position and the real-time deviations from it.

    Parameters
    ----------
    da_position_kw : pandas.Series
        Day-ahead net output per interval [kW] (+ = sold), on a valid time index.
    delivered_kw : pandas.Series
        Delivered net output per interval [kW], same index.
    da_price_usd_per_kwh, rt_price_usd_per_kwh : pandas.Series
        Day-ahead and real-time prices on the same index [$/kWh] (an hourly DA price on a
        15-min index repeats for each quarter hour).

    Returns
    -------
    TwoSettlement
    """
    q_da = validate_series(da_position_kw, name="da_position_kw")
    index = q_da.index
    dt_h = step_hours(index, name="da_position_kw.index")
    q = validate_series(delivered_kw, name="delivered_kw", index=index).to_numpy(dtype=float)
    p_da = validate_series(da_price_usd_per_kwh, name="da_price_usd_per_kwh", index=index)
    p_rt = validate_series(rt_price_usd_per_kwh, name="rt_price_usd_per_kwh", index=index)
    position = q_da.to_numpy(dtype=float)
    deviation = q - position
    da = p_da.to_numpy(dtype=float) * position * dt_h
    rt = p_rt.to_numpy(dtype=float) * deviation * dt_h
    frame = pd.DataFrame(
        {
            "da_position_kw": position,
            "delivered_kw": q,
            "deviation_kw": deviation,
            "da_usd": da,
            "rt_deviation_usd": rt,
        },
        index=index,
    )
    da_total, rt_total = math.fsum(da), math.fsum(rt)
    return TwoSettlement(
        da_revenue_usd=da_total,
        rt_deviation_usd=rt_total,
        total_usd=da_total + rt_total,
        intervals=frame,
    )
