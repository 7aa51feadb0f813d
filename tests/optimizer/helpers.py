"""Small tariff and series builders for the optimizer tests."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from markets.tariff import (
    DemandTier,
    EnergyCharges,
    EnergyTier,
    ExportCompensation,
    ExportMode,
    FlatDemandCharges,
    Tariff,
    TouDemandCharges,
)

TZ = "America/Los_Angeles"
INF = math.inf


def schedule(period_of_hour: Callable[[int], int]) -> tuple[tuple[int, ...], ...]:
    """12 x 24 schedule with the same hour pattern every month."""
    return tuple(tuple(period_of_hour(h) for h in range(24)) for _ in range(12))


def energy_charges(
    rates: Sequence[float],
    period_of_hour: Callable[[int], int],
    *,
    sells: Sequence[float] | None = None,
) -> EnergyCharges:
    """Untiered TOU energy charges, same schedule on weekdays and weekends."""
    sells = [0.0] * len(rates) if sells is None else sells
    periods = tuple(
        (EnergyTier(max_kwh=INF, rate_usd_per_kwh=r, sell_usd_per_kwh=s),)
        for r, s in zip(rates, sells, strict=True)
    )
    sched = schedule(period_of_hour)
    return EnergyCharges(periods=periods, weekday_schedule=sched, weekend_schedule=sched)


def flat_demand(rate_usd_per_kw: float) -> FlatDemandCharges:
    """One single-tier flat demand charge for every month."""
    return FlatDemandCharges(
        periods=((DemandTier(max_kw=INF, rate_usd_per_kw=rate_usd_per_kw),),),
        month_periods=(0,) * 12,
    )


def tou_demand(rates: Sequence[float], period_of_hour: Callable[[int], int]) -> TouDemandCharges:
    """Single-tier TOU demand charges, same schedule every day."""
    sched = schedule(period_of_hour)
    return TouDemandCharges(
        periods=tuple((DemandTier(max_kw=INF, rate_usd_per_kw=r),) for r in rates),
        weekday_schedule=sched,
        weekend_schedule=sched,
    )


def tariff(
    *,
    energy: EnergyCharges | None = None,
    flat: FlatDemandCharges | None = None,
    tou: TouDemandCharges | None = None,
    export: ExportMode = ExportMode.NONE,
    flat_export_usd_per_kwh: float = 0.0,
    **kwargs,
) -> Tariff:
    """A test tariff."""
    return Tariff(
        name="test",
        energy=energy,
        flat_demand=flat,
        tou_demand=tou,
        export=ExportCompensation(mode=export, flat_rate_usd_per_kwh=flat_export_usd_per_kwh),
        **kwargs,
    )


def series(values: Sequence[float], *, start: str = "2024-03-12", freq: str = "1h") -> pd.Series:
    """A tz-aware series in the test zone (2024-03-12 is a Tuesday after the DST change)."""
    index = pd.date_range(pd.Timestamp(start, tz=TZ), periods=len(values), freq=freq)
    return pd.Series(np.asarray(values, dtype=float), index=index)


def recompute_soc(schedule_frame: pd.DataFrame, battery, dt_h: float, soc0_kwh: float):
    """SOC at the end of each step from the charge/discharge columns (second method)."""
    retention = (1 - battery.self_discharge_fraction_per_h) ** dt_h
    soc = []
    level = soc0_kwh
    for c, d in zip(schedule_frame["charge_kw"], schedule_frame["discharge_kw"], strict=True):
        level = (
            retention * level
            + battery.charge_efficiency * c * dt_h
            - d * dt_h / battery.discharge_efficiency
        )
        soc.append(level)
    return np.array(soc)
