"""Small builders of hand-made tariffs and load series for the bill tests."""

from __future__ import annotations

import pandas as pd

from markets.tariff import (
    DemandTier,
    EnergyCharges,
    EnergyTier,
    FlatDemandCharges,
    TouDemandCharges,
)

INF = float("inf")


def schedule(hour_periods: list[int] | None = None, *, period: int = 0):
    """12 x 24 schedule: the same 24-hour row (or one period all day) every month."""
    row = tuple(hour_periods) if hour_periods is not None else (period,) * 24
    assert len(row) == 24
    return (row,) * 12


def energy(rates, weekday=None, weekend=None, *, sells=None) -> EnergyCharges:
    """Single-tier energy periods with ``rates`` [$/kWh] (a rate may be a list of (max, rate))."""
    periods = []
    for p, rate in enumerate(rates):
        sell = 0.0 if sells is None else sells[p]
        if isinstance(rate, list):
            periods.append(
                tuple(
                    EnergyTier(max_kwh=m, rate_usd_per_kwh=r, sell_usd_per_kwh=sell)
                    for m, r in rate
                )
            )
        else:
            periods.append((EnergyTier(max_kwh=INF, rate_usd_per_kwh=rate, sell_usd_per_kwh=sell),))
    return EnergyCharges(
        periods=tuple(periods),
        weekday_schedule=weekday or schedule(),
        weekend_schedule=weekend or weekday or schedule(),
    )


def tou_demand(rates, weekday, weekend=None) -> TouDemandCharges:
    """Single-tier TOU demand periods with ``rates`` [$/kW]."""
    return TouDemandCharges(
        periods=tuple((DemandTier(max_kw=INF, rate_usd_per_kw=r),) for r in rates),
        weekday_schedule=weekday,
        weekend_schedule=weekend or weekday,
    )


def flat_demand(rate: float | list[tuple[float, float]]) -> FlatDemandCharges:
    """One flat demand period for every month, at ``rate`` [$/kW] or (max, rate) tiers."""
    if isinstance(rate, list):
        tiers = tuple(DemandTier(max_kw=m, rate_usd_per_kw=r) for m, r in rate)
    else:
        tiers = (DemandTier(max_kw=INF, rate_usd_per_kw=rate),)
    return FlatDemandCharges(periods=(tiers,), month_periods=(0,) * 12)


def series(start: str, values, *, freq: str = "1h", tz: str = "America/New_York") -> pd.Series:
    """A kW series of ``values`` from local ``start`` at ``freq``."""
    values = list(values)
    index = pd.date_range(start, periods=len(values), freq=freq, tz=tz)
    return pd.Series([float(v) for v in values], index=index, name="net_load_kw")


def constant(start: str, end: str, kw: float, *, freq: str = "1h", tz: str = "America/New_York"):
    """``kw`` on every interval from local ``start`` (inclusive) to ``end`` (exclusive)."""
    index = pd.date_range(start, end, freq=freq, tz=tz, inclusive="left")
    return pd.Series(kw, index=index, dtype=float, name="net_load_kw")
