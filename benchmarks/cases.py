"""Dispatch problems shared by the tests and the benchmarks.

Two kinds of problem, both as :class:`DispatchCase` (everything ``optimize_dispatch`` and the
direct-highspy reference take, see :meth:`DispatchCase.problem_kwargs`):

- :func:`random_case`: a seeded random site (battery, load, PV, a TOU tariff with flat and TOU
  demand charges and tiers, export rules, month-to-date peaks, a terminal condition) on a
  horizon of 96-192 steps that often crosses a month boundary or a DST change. Every random
  case is feasible by construction (the idle battery meets every limit, and any terminal target
  can be reached by charging from the grid within the horizon).
- :func:`standard_case`: the realistic case of the benchmarks: the DOE reference large office
  in San Francisco (REopt's 8760-hour kW series, a year of 2017) on PG&E's E-19 (Secondary)
  tariff from URDB with a 500 kW / 2000 kWh battery.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
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
from optimizer.battery import Battery
from optimizer.state import MonthToDate, TerminalMode, TerminalSoc

__all__ = [
    "E19_RECORD",
    "OFFICE_LOAD_FILE",
    "DispatchCase",
    "e19_tariff",
    "office_load_kw",
    "random_case",
    "shared_data_dir",
    "standard_battery",
    "standard_case",
]

E19_RECORD = Path("reopt/urdb/pge_e19_secondary_5cef0a415457a33576f60fe2.json")
"""PG&E E-19 Medium General Demand TOU (Secondary), relative to ``shared/data``."""
OFFICE_LOAD_FILE = Path("reopt/loads_kw/loads_kw_largeoffice_sanfran.csv")
"""REopt's 8760-hour kW series of the DOE reference large office in San Francisco."""
SITE_TZ = "America/Los_Angeles"
LOAD_YEAR = 2017


@dataclass(frozen=True, kw_only=True)
class DispatchCase:
    """One dispatch problem: the inputs of ``optimize_dispatch`` and ``solve_direct``.

    Parameters
    ----------
    name : str
        A label for tables and test ids.
    battery : Battery
        Battery and site limits.
    tariff : Tariff
        Retail tariff.
    load_kw : pandas.Series
        Site load [kW]; its index is the horizon.
    pv_kw : pandas.Series or None
        On-site PV [kW] on the same index, or None.
    initial_soc_fraction : float
        Stored energy before the first step [fraction of ``energy_kwh``].
    terminal : TerminalSoc
        End-of-horizon condition.
    month_to_date : MonthToDate
        Peaks already set in the first billing month.
    """

    name: str
    battery: Battery
    tariff: Tariff
    load_kw: pd.Series
    pv_kw: pd.Series | None
    initial_soc_fraction: float
    terminal: TerminalSoc
    month_to_date: MonthToDate

    def problem_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by ``optimize_dispatch`` and ``solve_direct``."""
        return {
            "battery": self.battery,
            "tariff": self.tariff,
            "load_kw": self.load_kw,
            "pv_kw": self.pv_kw,
            "initial_soc_fraction": self.initial_soc_fraction,
            "terminal": self.terminal,
            "month_to_date": self.month_to_date,
        }


# -- random cases ---------------------------------------------------------------------------


def _random_schedule(rng: np.random.Generator, n_periods: int) -> tuple[tuple[int, ...], ...]:
    """12 x 24 periods: two seasons, each a few random blocks of hours."""
    seasons = []
    for _ in range(2):
        cuts = np.sort(rng.choice(np.arange(1, 24), size=int(rng.integers(1, 5)), replace=False))
        blocks = np.split(np.arange(24), cuts)
        row = np.empty(24, dtype=int)
        for block in blocks:
            row[block] = rng.integers(0, n_periods)
        seasons.append(tuple(int(p) for p in row))
    summer = set(range(5, 9)) if rng.random() < 0.8 else set()
    return tuple(seasons[1] if m in summer else seasons[0] for m in range(12))


def _random_demand_tiers(
    rng: np.random.Generator, scale_kw: float, max_tiers: int
) -> tuple[DemandTier, ...]:
    n = int(rng.integers(1, max_tiers + 1))
    limits = np.cumsum(rng.uniform(0.2, 0.8, size=n - 1) * scale_kw).tolist() + [math.inf]
    rates = np.sort(rng.uniform(0.0, 25.0, size=n))
    if rng.random() < 0.15:
        rates[0] = 0.0
    return tuple(
        DemandTier(max_kw=lim, rate_usd_per_kw=float(rate))
        for lim, rate in zip(limits, rates, strict=True)
    )


def _random_tariff(rng: np.random.Generator, peak_kw: float, negative_price: bool | None) -> Tariff:
    n_energy = int(rng.integers(2, 5))
    rates = np.sort(rng.uniform(0.06, 0.45, size=n_energy))
    mode = rng.choice([ExportMode.NONE, ExportMode.SELL_RATE, ExportMode.FLAT_RATE])
    draw = rng.random()
    if negative_price or (negative_price is None and draw < 0.2):
        # a negative off-peak price (paid to consume): the relaxed model then gains by charging
        # and discharging at once, so the MILP and the LP differ; exports earn nothing here
        # and the caller bounds them, else importing to export would be unbounded
        rates[0] = -rng.uniform(0.005, 0.05)
        mode = ExportMode.NONE
    rng.shuffle(rates)
    # a kWh exported never earns more than a kWh imported in the same step costs, so the meter
    # has no reason to import and export at once
    sell = (
        rates * rng.uniform(0.0, 0.9, size=n_energy) if mode is ExportMode.SELL_RATE else 0 * rates
    )
    weekday = _random_schedule(rng, n_energy)
    weekend = weekday if rng.random() < 0.3 else _random_schedule(rng, n_energy)
    energy = EnergyCharges(
        periods=tuple(
            (EnergyTier(max_kwh=math.inf, rate_usd_per_kwh=float(r), sell_usd_per_kwh=float(s)),)
            for r, s in zip(rates, sell, strict=True)
        ),
        weekday_schedule=weekday,
        weekend_schedule=weekend,
    )
    flat = None
    if rng.random() < 0.8:
        n_flat = int(rng.integers(1, 3))
        flat = FlatDemandCharges(
            periods=tuple(_random_demand_tiers(rng, peak_kw, 3) for _ in range(n_flat)),
            month_periods=tuple(int(p) for p in rng.integers(0, n_flat, size=12)),
        )
    tou = None
    if rng.random() < 0.7:
        n_tou = int(rng.integers(2, 4))
        tou_weekday = _random_schedule(rng, n_tou)
        tou = TouDemandCharges(
            periods=tuple(_random_demand_tiers(rng, peak_kw, 2) for _ in range(n_tou)),
            weekday_schedule=tou_weekday,
            weekend_schedule=tuple((0,) * 24 for _ in range(12))
            if rng.random() < 0.5
            else tou_weekday,
        )
    flat_export = float(rates.min() * rng.uniform(0.0, 0.9))
    holidays = rng.random() < 0.2
    return Tariff(
        name="random",
        energy=energy,
        flat_demand=flat,
        tou_demand=tou,
        export=ExportCompensation(
            mode=mode,
            flat_rate_usd_per_kwh=flat_export if mode is ExportMode.FLAT_RATE else 0.0,
        ),
        holiday_country="US" if holidays else None,
    )


def _random_index(rng: np.random.Generator, n_steps: int, freq: str) -> pd.DatetimeIndex:
    tz = str(rng.choice(["America/Los_Angeles", "America/New_York", "America/Chicago"]))
    step = pd.Timedelta(freq)
    year, month = int(rng.integers(2022, 2026)), int(rng.integers(1, 13))
    draw = rng.random()
    if draw < 0.5:  # cross a month boundary, 20-80 % of the way in
        boundary = pd.Timestamp(year=year, month=month, day=1, tz=tz) + pd.offsets.MonthBegin(1)
        start = boundary - step * int(rng.integers(int(0.2 * n_steps), int(0.8 * n_steps)))
    elif draw < 0.65:  # the day before a DST change (second Sunday of March, first of November)
        first = pd.Timestamp(year=year, month=3 if rng.random() < 0.5 else 11, day=1)
        sunday = first + pd.Timedelta(days=(6 - first.day_of_week) % 7)
        if first.month == 3:
            sunday += pd.Timedelta(days=7)
        start = (sunday - pd.Timedelta(days=1)).tz_localize(tz)
    else:
        start = pd.Timestamp(year=year, month=month, day=int(rng.integers(1, 26)), tz=tz)
        start += step * int(rng.integers(0, int(pd.Timedelta("1D") / step)))
    return pd.date_range(start=start, periods=n_steps, freq=freq)


def random_case(
    seed: int,
    *,
    n_steps: int | None = None,
    freq: str | None = None,
    negative_price: bool | None = None,
) -> DispatchCase:
    """A random, feasible dispatch problem (see the module docstring).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same case.
    n_steps : int, optional
        Horizon length; drawn from 96-192 if None.
    freq : str, optional
        ``"15min"`` or ``"1h"``; drawn (mostly 15 min) if None.
    negative_price : bool, optional
        Give the cheapest energy period a negative price (and no export credit): the relaxed
        model then gains by charging and discharging at once, so binaries matter. Drawn
        (one case in five) if None.

    Returns
    -------
    DispatchCase
    """
    rng = np.random.default_rng(seed)
    freq = freq or str(rng.choice(["15min", "1h"], p=[0.7, 0.3]))
    n_steps = n_steps or int(rng.integers(96, 193))
    if n_steps < 1:
        raise InputError("n_steps", n_steps, "a positive number of steps")
    index = _random_index(rng, n_steps, freq)
    hour = np.asarray(index.hour + index.minute / 60.0)

    power = float(rng.uniform(50.0, 400.0))
    energy = power * float(rng.uniform(1.0, 4.0))
    base = power * float(rng.uniform(0.8, 3.0))
    day_shape = 0.55 + 0.45 * np.exp(-(((hour - rng.uniform(11, 17)) / rng.uniform(2, 5)) ** 2))
    load = base * day_shape * rng.lognormal(0.0, 0.12, size=n_steps)
    load_kw = pd.Series(load, index=index, name="load_kw")
    pv_kw = None
    if rng.random() < 0.6:
        sun = np.clip(np.sin(np.pi * (hour - 6.0) / 12.0), 0.0, None)
        pv = base * rng.uniform(0.3, 1.5) * sun * rng.uniform(0.5, 1.0, size=n_steps)
        pv_kw = pd.Series(pv, index=index, name="pv_kw")
    net = load - (0.0 if pv_kw is None else pv_kw.to_numpy())

    soc_min = 0.0 if rng.random() < 0.5 else float(rng.uniform(0.0, 0.2))
    soc_max = 1.0 if rng.random() < 0.5 else float(rng.uniform(0.8, 1.0))
    self_discharge = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 0.003))
    # without grid charging only PV can recharge: keep the idle battery able to meet a target
    grid_charging = not (pv_kw is not None and self_discharge == 0.0 and rng.random() < 0.3)
    charge_power = None if rng.random() < 0.6 else power * float(rng.uniform(0.5, 1.0))
    charge_rating = power if charge_power is None else charge_power
    import_limit = math.inf
    if rng.random() < 0.3:
        import_limit = float(net.max() + rng.uniform(0.5, 1.5) * charge_rating)
    tariff = _random_tariff(rng, float(load.max()), negative_price)
    export_limit = math.inf
    if rng.random() < 0.4 or min(tariff.import_rate_usd_per_kwh(index)) < 0:
        export_limit = float(max(0.0, (-net).max()) + rng.uniform(0.0, 1.0) * power)
    battery = Battery(
        power_kw=power,
        energy_kwh=energy,
        charge_power_kw=charge_power,
        charge_efficiency=float(rng.uniform(0.85, 0.99)),
        discharge_efficiency=float(rng.uniform(0.85, 0.99)),
        soc_min_fraction=soc_min,
        soc_max_fraction=soc_max,
        self_discharge_fraction_per_h=self_discharge,
        degradation_cost_usd_per_kwh=0.0 if rng.random() < 0.5 else float(rng.uniform(0.005, 0.05)),
        grid_charging=grid_charging,
        import_limit_kw=import_limit,
        export_limit_kw=export_limit,
    )
    initial = float(rng.uniform(soc_min, soc_max))
    mode = rng.choice(list(TerminalMode))
    target = None
    if grid_charging and rng.random() < 0.5:
        target = float(rng.uniform(soc_min, soc_max))
    terminal = TerminalSoc(
        mode=mode,
        soc_fraction=target,
        value_usd_per_kwh=float(rng.uniform(0.0, 0.3)) if mode is TerminalMode.VALUED else 0.0,
    )

    n_tou = 0 if tariff.tou_demand is None else len(tariff.tou_demand.periods)
    peak = float(load.max())
    month_to_date = MonthToDate(
        flat_peak_kw=0.0 if rng.random() < 0.3 else float(rng.uniform(0.0, 1.3) * peak),
        tou_peak_kw=tuple(float(v) for v in rng.uniform(0.0, 1.2, size=n_tou) * peak)
        if rng.random() < 0.6
        else (),
    )
    return DispatchCase(
        name=f"random-{seed}",
        battery=battery,
        tariff=tariff,
        load_kw=load_kw,
        pv_kw=pv_kw,
        initial_soc_fraction=initial,
        terminal=terminal,
        month_to_date=month_to_date,
    )


# -- the standard (real-data) case ----------------------------------------------------------


def shared_data_dir() -> Path:
    """``shared/data`` beside the project, or ``$VALUESTACK_SHARED_DATA`` (as the tests use)."""
    override = os.environ.get("VALUESTACK_SHARED_DATA")
    path = Path(override) if override else Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (path / "MANIFEST.md").is_file():
        raise FileNotFoundError(
            f"real data not found at {path}: put shared/ beside the project "
            "or set VALUESTACK_SHARED_DATA"
        )
    return path


def e19_tariff(data_dir: Path) -> Tariff:
    """PG&E E-19 (Secondary) from its URDB record, for a battery-only site.

    The record's ``dgrules`` is net metering, which applies to on-site generation; a battery
    without PV earns nothing for exports, so export compensation is set to ``NONE``. US
    federal holidays are billed on the weekend (off-peak) schedules.

    Parameters
    ----------
    data_dir : pathlib.Path
        The ``shared/data`` folder.
    """
    return Tariff.from_urdb(
        Path(data_dir) / E19_RECORD,
        holiday_country="US",
        export=ExportCompensation(mode=ExportMode.NONE),
    )


def office_load_kw(data_dir: Path, *, freq: str = "15min", extra_days: int = 0) -> pd.Series:
    """The San Francisco large office's load for 2017 in local time, at ``freq`` steps.

    The 8760 hourly values (mean kW of each hour, from 2017-01-01 00:00 local, one value per
    absolute hour) are held constant within each hour for sub-hourly steps, so the energy of
    every hour is kept. ``extra_days`` days after the year repeat the year's first days, for
    horizons that run past New Year's Eve.

    Parameters
    ----------
    data_dir : pathlib.Path
        The ``shared/data`` folder.
    freq : str, default "15min"
        ``"15min"``, ``"30min"`` or ``"1h"``.
    extra_days : int, default 0
        Days appended after the year (0 to 31).

    Returns
    -------
    pandas.Series
        Load [kW] on a tz-aware ``America/Los_Angeles`` index.
    """
    per_hour = pd.Timedelta("1h") / pd.Timedelta(freq)
    if per_hour < 1 or per_hour != int(per_hour):
        raise InputError("freq", freq, "a step that divides one hour (15min, 30min, 1h)")
    if not 0 <= extra_days <= 31:
        raise InputError("extra_days", extra_days, "0 to 31 days")
    hourly = np.loadtxt(Path(data_dir) / OFFICE_LOAD_FILE, dtype=float)
    if hourly.shape != (8760,):
        raise InputError(str(OFFICE_LOAD_FILE), hourly.shape, "8760 hourly values")
    hourly = np.concatenate([hourly, hourly[: 24 * extra_days]])
    values = np.repeat(hourly, int(per_hour))
    start = pd.Timestamp(year=LOAD_YEAR, month=1, day=1, tz=SITE_TZ)
    index = pd.date_range(start=start, periods=len(values), freq=freq)
    return pd.Series(values, index=index, name="load_kw")


def standard_battery() -> Battery:
    """The benchmark battery: 500 kW / 2000 kWh, 95 % each way, 5-100 % SOC window."""
    return Battery(power_kw=500.0, energy_kwh=2000.0, soc_min_fraction=0.05)


def standard_case(
    data_dir: Path,
    *,
    n_steps: int,
    freq: str = "15min",
    start: str = "2017-07-05",
    tariff: Tariff | None = None,
    load_kw: pd.Series | None = None,
) -> DispatchCase:
    """The office on E-19 with the standard battery, over ``n_steps`` steps from ``start``.

    Parameters
    ----------
    data_dir : pathlib.Path
        The ``shared/data`` folder.
    n_steps : int
        Horizon length.
    freq : str, default "15min"
        Step length.
    start : str, default "2017-07-05"
        Local start of the horizon (a summer Wednesday).
    tariff, load_kw : optional
        Already loaded E-19 tariff / office load at ``freq`` (to avoid re-reading files).

    Returns
    -------
    DispatchCase
        Starting half full, ending at least half full, with no peaks yet this month.
    """
    tariff = e19_tariff(data_dir) if tariff is None else tariff
    load = office_load_kw(data_dir, freq=freq) if load_kw is None else load_kw
    first = load.index.get_indexer([pd.Timestamp(start, tz=SITE_TZ)])[0]
    if first < 0 or first + n_steps > len(load):
        raise InputError("start", start, f"a label of the load with {n_steps} steps after it")
    return DispatchCase(
        name=f"e19-office-{n_steps}x{freq}",
        battery=standard_battery(),
        tariff=tariff,
        load_kw=load.iloc[first : first + n_steps],
        pv_kw=None,
        initial_soc_fraction=0.5,
        terminal=TerminalSoc(),
        month_to_date=MonthToDate(),
    )
