"""Tiered energy, tiered and seasonal demand, ratchets and net metering, by hand."""

from __future__ import annotations

import math

import pytest

from core.errors import InputError
from markets.tariff import (
    DemandRatchet,
    DemandTier,
    EnergyCharges,
    EnergyTier,
    ExportMode,
    FlatDemandCharges,
)
from optimizer import (
    Battery,
    DispatchModel,
    MonthToDate,
    TerminalMode,
    TerminalSoc,
    optimize_dispatch,
)
from tests.optimizer.helpers import energy_charges, flat_demand, schedule, series, tariff

REL = 1e-7
INF = math.inf
# A battery that can do nothing: empty, and unable to charge (no grid charging, no PV).
IDLE = Battery(power_kw=1, energy_kwh=1, grid_charging=False)
PINNED = {"initial_soc_fraction": 0.0, "terminal": TerminalSoc(mode=TerminalMode.FIXED)}
ON_PEAK = staticmethod(lambda h: 1 if 16 <= h <= 20 else 0)


def tiered_energy(base_rates, limit_kwh, adder):
    periods = tuple(
        (
            EnergyTier(max_kwh=limit_kwh, rate_usd_per_kwh=r),
            EnergyTier(max_kwh=INF, rate_usd_per_kwh=r + adder),
        )
        for r in base_rates
    )
    sched = schedule(ON_PEAK if len(base_rates) > 1 else (lambda h: 0))
    return EnergyCharges(periods=periods, weekday_schedule=sched, weekend_schedule=sched)


@pytest.mark.parametrize(
    "carried_kwh, expected",
    [
        # 10 kW for 24 h = 240 kWh; first 100 kWh of the month at 0.10, the rest at 0.20.
        (0.0, 100 * 0.10 + 140 * 0.20),  # 38
        (50.0, 50 * 0.10 + 190 * 0.20),  # 43: only 50 kWh left in the first tier
        (150.0, 240 * 0.20),  # 48: first tier used up before the horizon
    ],
)
def test_tiered_energy_uses_month_to_date_import(carried_kwh, expected):
    result = optimize_dispatch(
        battery=IDLE,
        tariff=tariff(energy=tiered_energy([0.10], 100.0, 0.10)),
        load_kw=series([10.0] * 24),
        month_to_date=MonthToDate(import_kwh_by_period=(carried_kwh,)),
        **PINNED,
    )
    assert result.value_by_stream_usd["energy"] == pytest.approx(expected, rel=REL)


def test_tiered_tou_energy_prices_tiers_on_the_monthly_total():
    # Periods 0 (0.10) and 1 (16-20 h, 0.15), both +0.05 above 100 kWh of the month's total.
    # 10 kW for 24 h: E_on = 50, E_off = 190, E = 240.
    # SAM semantics: off pays 190/240 * (0.10*100 + 0.15*140) = 24.5417, on pays
    # 50/240 * (0.15*100 + 0.20*140) = 8.9583; total 33.5 = 0.10*190 + 0.15*50 + 0.05*140.
    result = optimize_dispatch(
        battery=IDLE,
        tariff=tariff(energy=tiered_energy([0.10, 0.15], 100.0, 0.05)),
        load_kw=series([10.0] * 24, start="2024-03-12 00:00"),
        **PINNED,
    )
    assert result.value_by_stream_usd["energy"] == pytest.approx(33.5, rel=REL)


def test_tiered_energy_with_different_adders_is_refused():
    periods = (
        (
            EnergyTier(max_kwh=100.0, rate_usd_per_kwh=0.10),
            EnergyTier(max_kwh=INF, rate_usd_per_kwh=0.15),
        ),
        (
            EnergyTier(max_kwh=100.0, rate_usd_per_kwh=0.20),
            EnergyTier(max_kwh=INF, rate_usd_per_kwh=0.40),
        ),
    )
    sched = schedule(ON_PEAK)
    energy = EnergyCharges(periods=periods, weekday_schedule=sched, weekend_schedule=sched)
    with pytest.raises(InputError) as info:
        DispatchModel(battery=IDLE, tariff=tariff(energy=energy), n_steps=4, freq="1h")
    assert info.value.field == "Tariff.energy.periods[1]"


def tiered_flat(first_kw=50.0, low=10.0, high=15.0):
    return FlatDemandCharges(
        periods=(
            (
                DemandTier(max_kw=first_kw, rate_usd_per_kw=low),
                DemandTier(max_kw=INF, rate_usd_per_kw=high),
            ),
        ),
        month_periods=(0,) * 12,
    )


@pytest.mark.parametrize(
    "carried_kw, expected",
    [
        (0.0, 50 * 10 + 30 * 15),  # peak 80: 950
        (100.0, 50 * 10 + 50 * 15),  # carried 100 kW is billed: 1250
    ],
)
def test_tiered_flat_demand(carried_kw, expected):
    result = optimize_dispatch(
        battery=IDLE,
        tariff=tariff(flat=tiered_flat()),
        load_kw=series([80.0] * 24),
        month_to_date=MonthToDate(flat_peak_kw=carried_kw),
        **PINNED,
    )
    assert result.value_by_stream_usd["demand_flat"] == pytest.approx(expected, rel=REL)


def test_tiered_flat_demand_shaved_by_a_battery():
    # 80 kW flat for 24 h; battery 30 kW / 1000 kWh full with a free end shaves every hour by
    # 30 kW (30 * 24 / 0.95 = 758 kWh < 1000): peak 50, all in the first tier: 50 * 10 = 500.
    result = optimize_dispatch(
        battery=Battery(power_kw=30, energy_kwh=1000),
        tariff=tariff(flat=tiered_flat()),
        load_kw=series([80.0] * 24),
        initial_soc_fraction=1.0,
        terminal=TerminalSoc(mode=TerminalMode.VALUED),
    )
    assert result.value_by_stream_usd["demand_flat"] == pytest.approx(500.0, rel=REL)


def test_seasonal_flat_demand_follows_each_month_across_a_boundary():
    # January bills flat period 0 at $10/kW, February period 1 at $20/kW. 48 h from Jan 31:
    # 40 kW in January, 30 kW in February -> 10 * 40 + 20 * 30 = 1000.
    seasonal = FlatDemandCharges(
        periods=(
            (DemandTier(max_kw=INF, rate_usd_per_kw=10.0),),
            (DemandTier(max_kw=INF, rate_usd_per_kw=20.0),),
        ),
        month_periods=(0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    )
    result = optimize_dispatch(
        battery=IDLE,
        tariff=tariff(flat=seasonal),
        load_kw=series([40.0] * 24 + [30.0] * 24, start="2024-01-31 00:00"),
        **PINNED,
    )
    assert result.value_by_stream_usd["demand_flat"] == pytest.approx(1000.0, rel=REL)


def ratchet_tariff(range_months=11):
    return tariff(
        flat=flat_demand(10.0),
        ratchet=DemandRatchet(lookback_fraction=0.8, lookback_range_months=range_months),
    )


@pytest.mark.parametrize(
    "load_kw, expected_ratchet",
    [
        # Carried look-back peak 100 kW: billed demand >= 80 kW. A 50-kW month pays the
        # ratchet on 80 - 50 = 30 kW -> 300; a 90-kW month is above it -> 0.
        (50.0, 300.0),
        (90.0, 0.0),
    ],
)
def test_ratchet_from_a_carried_peak(load_kw, expected_ratchet):
    result = optimize_dispatch(
        battery=IDLE,
        tariff=ratchet_tariff(),
        load_kw=series([load_kw] * 24),
        month_to_date=MonthToDate(ratchet_peak_kw=100.0),
        **PINNED,
    )
    assert result.value_by_stream_usd["ratchet"] == pytest.approx(expected_ratchet, abs=1e-7)
    assert result.value_by_stream_usd["demand_flat"] == pytest.approx(10 * load_kw, rel=REL)


def test_ratchet_from_an_earlier_month_in_the_horizon():
    # 48 h from Jan 31. January already peaked at 120 kW (month to date); February runs at
    # 50 kW and looks back at January: billed >= 0.8 * 120 = 96 -> ratchet 10 * (96 - 50) = 460.
    # demand_flat = 10 * 120 (January, floor included) + 10 * 50 (February) = 1700.
    result = optimize_dispatch(
        battery=IDLE,
        tariff=ratchet_tariff(),
        load_kw=series([50.0] * 48, start="2024-01-31 00:00"),
        month_to_date=MonthToDate(flat_peak_kw=120.0),
        **PINNED,
    )
    assert result.value_by_stream_usd["ratchet"] == pytest.approx(460.0, rel=REL)
    assert result.value_by_stream_usd["demand_flat"] == pytest.approx(1700.0, rel=REL)


def test_ratchet_makes_shaving_below_it_worthless():
    # Carried look-back peak 100 kW at 0.8: billed >= 80 kW. Load 90 kW with a 40-kW battery
    # able to shave 24 h (full, 1000 kWh, free end): shaving to 80 is worth 10/kW, below 80
    # the ratchet takes over -> demand_flat + ratchet = 10 * 80 = 800 whatever the shave.
    result = optimize_dispatch(
        battery=Battery(power_kw=40, energy_kwh=1000),
        tariff=ratchet_tariff(),
        load_kw=series([90.0] * 24),
        initial_soc_fraction=1.0,
        terminal=TerminalSoc(mode=TerminalMode.VALUED),
        month_to_date=MonthToDate(ratchet_peak_kw=100.0),
    )
    total = result.value_by_stream_usd["demand_flat"] + result.value_by_stream_usd["ratchet"]
    assert total == pytest.approx(800.0, rel=REL)


def net_metering_tariff():
    return tariff(
        energy=energy_charges([0.20], lambda h: 0, sells=[0.05]), export=ExportMode.NET_METERING
    )


def test_net_metering_surplus_earns_the_sell_rate():
    # Hourly: PV 30 kW for 2 h (no load), then 10 kW load for 4 h. Month: 40 kWh imported,
    # 60 exported -> net surplus 20 kWh at 0.05: net bill = -1.0.
    # energy (gross imports) = 40 * 0.20 = 8.0; export = -1.0 - 8.0 = -9.0.
    result = optimize_dispatch(
        battery=IDLE,
        tariff=net_metering_tariff(),
        load_kw=series([0, 0, 10, 10, 10, 10]),
        pv_kw=series([30, 30, 0, 0, 0, 0]),
        **PINNED,
    )
    assert result.value_by_stream_usd["energy"] == pytest.approx(8.0, rel=REL)
    assert result.value_by_stream_usd["export"] == pytest.approx(-9.0, rel=REL)
    assert result.objective_usd == pytest.approx(-1.0, rel=REL)


def test_net_metering_with_month_to_date_import():
    # Same horizon after 100 kWh imported this month: net = 100 + 40 - 60 = 80 kWh billed at
    # 0.20 = 16; the month-to-date import alone would have cost 20, so the horizon's terms sum
    # to 16 - 20 = -4 (= 20 kWh net export offsetting retail kWh at 0.20).
    result = optimize_dispatch(
        battery=IDLE,
        tariff=net_metering_tariff(),
        load_kw=series([0, 0, 10, 10, 10, 10]),
        pv_kw=series([30, 30, 0, 0, 0, 0]),
        month_to_date=MonthToDate(import_kwh_by_period=(100.0,)),
        **PINNED,
    )
    assert result.objective_usd == pytest.approx(-4.0, rel=REL)


def test_net_metering_makes_storing_pv_worthless():
    # Under net metering an exported kWh is worth the retail rate while the month's net stays
    # positive, so storing PV for later only loses energy: the battery stays idle and the
    # result equals the idle battery's -4.0 (previous case) even with a big battery.
    result = optimize_dispatch(
        battery=Battery(power_kw=30, energy_kwh=60),
        tariff=net_metering_tariff(),
        load_kw=series([0, 0, 10, 10, 10, 10]),
        pv_kw=series([30, 30, 0, 0, 0, 0]),
        month_to_date=MonthToDate(import_kwh_by_period=(100.0,)),
        initial_soc_fraction=0.0,
        terminal=TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.0),
    )
    assert result.objective_usd == pytest.approx(-4.0, rel=REL)
