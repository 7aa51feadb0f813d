"""Hand-solvable dispatch cases; every expected figure is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from markets.tariff import ExportMode
from optimizer import (
    Battery,
    MonthToDate,
    TerminalMode,
    TerminalSoc,
    Termination,
    optimize_dispatch,
)
from tests.optimizer.helpers import (
    energy_charges,
    flat_demand,
    recompute_soc,
    series,
    tariff,
    tou_demand,
)

REL = 1e-7
EMPTY_END = TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.0)


def test_two_price_arbitrage_closed_form():
    # 4 hourly steps, price 0.10 in hours 0-1 and 0.50 in hours 2-3, load 20 kW throughout.
    # Battery 10 kW / 20 kWh, eta_c = eta_d = 0.9, starts and may end empty.
    # Charge 10 kW for 2 h: 20 kWh bought, 18 kWh stored (fits in 20 kWh).
    # Discharge it in hours 2-3: 18 * 0.9 = 16.2 kWh at the terminals (8.1 kW per hour < 10).
    # A kWh bought at 0.10 saves 0.9 * 0.9 * 0.50 = 0.405 later, so filling up is optimal.
    # Cost = 0.10 * (2 * 20 + 20) + 0.50 * (2 * 20 - 16.2) = 6.0 + 11.9 = 17.9.
    battery = Battery(power_kw=10, energy_kwh=20, charge_efficiency=0.9, discharge_efficiency=0.9)
    t = tariff(energy=energy_charges([0.10, 0.50], lambda h: 1 if h in (2, 3) else 0))
    result = optimize_dispatch(
        battery=battery,
        tariff=t,
        load_kw=series([20, 20, 20, 20], start="2024-03-12 00:00"),
        initial_soc_fraction=0.0,
        terminal=EMPTY_END,
    )
    assert result.solver.termination is Termination.OPTIMAL
    assert result.value_by_stream_usd == pytest.approx({"energy": 17.9}, rel=REL)
    assert result.objective_usd == pytest.approx(17.9, rel=REL)
    np.testing.assert_allclose(result.schedule["charge_kw"].iloc[:2], [10, 10], atol=1e-6)
    assert result.schedule["discharge_kw"].iloc[2:].sum() == pytest.approx(16.2, rel=REL)
    assert result.schedule["soc_kwh"].iloc[-1] == pytest.approx(0.0, abs=1e-6)


def test_arbitrage_not_worth_the_losses():
    # Prices 0.10 and 0.12 with a round trip of 0.81: a stored kWh bought at 0.10 saves only
    # 0.81 * 0.12 = 0.0972 < 0.10, so the battery stays idle; cost = 0.10*40 + 0.12*40 = 8.8.
    battery = Battery(power_kw=10, energy_kwh=20, charge_efficiency=0.9, discharge_efficiency=0.9)
    t = tariff(energy=energy_charges([0.10, 0.12], lambda h: 1 if h in (2, 3) else 0))
    result = optimize_dispatch(
        battery=battery,
        tariff=t,
        load_kw=series([20, 20, 20, 20], start="2024-03-12 00:00"),
        initial_soc_fraction=0.0,
        terminal=EMPTY_END,
    )
    assert result.objective_usd == pytest.approx(8.8, rel=REL)
    assert result.schedule["charge_kw"].sum() == pytest.approx(0.0, abs=1e-6)


def test_single_peak_shaved_by_exactly_the_battery_power():
    # Flat demand $10/kW; load 50 kW for 24 h except 80 kW at 12:00. Battery 30 kW / 100 kWh
    # starting half full (50 kWh), allowed to end empty. The peak hour can drop by at most the
    # power, to 80 - 30 = 50 kW = every other hour, using 30 / 0.95 = 31.6 kWh < 50 kWh.
    # Demand charge = 10 * 50 = 500.
    load = [50.0] * 24
    load[12] = 80.0
    result = optimize_dispatch(
        battery=Battery(power_kw=30, energy_kwh=100),
        tariff=tariff(flat=flat_demand(10.0)),
        load_kw=series(load, start="2024-03-12 00:00"),
        initial_soc_fraction=0.5,
        terminal=EMPTY_END,
    )
    assert result.value_by_stream_usd == pytest.approx({"demand_flat": 500.0}, rel=REL)
    assert result.schedule["grid_import_kw"].max() == pytest.approx(50.0, rel=REL)
    assert result.schedule["discharge_kw"].iloc[12] == pytest.approx(30.0, rel=REL)


def test_month_boundary_gives_two_separately_charged_peaks():
    # 48 hourly steps from 2024-01-31 00:00 (local): 24 h of January at 40 kW with a 60 kW
    # hour, 24 h of February at 30 kW with a 70 kW hour. Battery 10 kW / 50 kWh starting
    # full, may end empty: each spike drops by 10 kW (10/0.95 kWh each, plenty of energy).
    # January demand = 50, February = 60; at $15/kW: 15 * (50 + 60) = 1650 (one merged peak
    # would have cost 15 * 60 = 900).
    load = [40.0] * 24 + [30.0] * 24
    load[10] = 60.0
    load[24 + 10] = 70.0
    result = optimize_dispatch(
        battery=Battery(power_kw=10, energy_kwh=50),
        tariff=tariff(flat=flat_demand(15.0)),
        load_kw=series(load, start="2024-01-31 00:00"),
        initial_soc_fraction=1.0,
        terminal=EMPTY_END,
    )
    assert result.value_by_stream_usd["demand_flat"] == pytest.approx(1650.0, rel=REL)
    imports = result.schedule["grid_import_kw"]
    assert imports.iloc[:24].max() == pytest.approx(50.0, rel=REL)
    assert imports.iloc[24:].max() == pytest.approx(60.0, rel=REL)


def test_tou_demand_groups_by_period_and_month():
    # TOU demand: period 1 (16:00-20:59) at $20/kW, period 0 (other hours) at $5/kW. Load 10
    # kW, with 30 kW at 03:00 (period 0) and 40 kW at 17:00 (period 1), over one day.
    # Battery 1 kW / 1 kWh (eta 0.95/0.95) starting and ending empty: it can fill up in the
    # 10-kW hours (11 kW stays below both peaks) and deliver at most 1 * 0.95 = 0.95 kWh,
    # i.e. 0.95 kW, in a spike hour, then refill and do it again: both peaks drop by 0.95.
    # Cost = 5 * (30 - 0.95) + 20 * (40 - 0.95) = 145.25 + 781 = 926.25.
    load = [10.0] * 24
    load[3] = 30.0
    load[17] = 40.0
    result = optimize_dispatch(
        battery=Battery(power_kw=1, energy_kwh=1),
        tariff=tariff(tou=tou_demand([5.0, 20.0], lambda h: 1 if 16 <= h <= 20 else 0)),
        load_kw=series(load, start="2024-03-12 00:00"),
        initial_soc_fraction=0.0,
        terminal=TerminalSoc(mode=TerminalMode.FIXED, soc_fraction=0.0),
    )
    assert result.value_by_stream_usd == pytest.approx({"demand_tou": 926.25}, rel=REL)
    assert result.schedule["grid_import_kw"].iloc[3] == pytest.approx(29.05, rel=REL)
    assert result.schedule["grid_import_kw"].iloc[17] == pytest.approx(39.05, rel=REL)


@pytest.mark.parametrize("carried_kw, expected_usd", [(0.0, 500.0), (75.0, 750.0), (90.0, 900.0)])
def test_carried_month_to_date_peak(carried_kw, expected_usd):
    # The single-peak case above with a peak already set this month: demand = max(carried,
    # shaved peak 50). With 75 kW carried, shaving below 75 is worthless: 10 * 75 = 750;
    # with 90 kW (above every hour, even unshaved 80) the battery changes nothing: 900.
    load = [50.0] * 24
    load[12] = 80.0
    result = optimize_dispatch(
        battery=Battery(power_kw=30, energy_kwh=100),
        tariff=tariff(flat=flat_demand(10.0)),
        load_kw=series(load, start="2024-03-12 00:00"),
        initial_soc_fraction=0.5,
        terminal=EMPTY_END,
        month_to_date=MonthToDate(flat_peak_kw=carried_kw),
    )
    assert result.objective_usd == pytest.approx(expected_usd, rel=REL)


def test_terminal_fixed_ends_exactly_at_target():
    # No charges at all: any schedule is optimal, but FIXED forces s_end = 0.8 * 100 = 80.
    result = optimize_dispatch(
        battery=Battery(power_kw=25, energy_kwh=100),
        tariff=tariff(energy=energy_charges([0.0], lambda h: 0)),
        load_kw=series([5.0] * 6),
        initial_soc_fraction=0.2,
        terminal=TerminalSoc(mode=TerminalMode.FIXED, soc_fraction=0.8),
    )
    assert result.schedule["soc_kwh"].iloc[-1] == pytest.approx(80.0, rel=REL)


def test_terminal_minimum_defaults_to_initial_soc():
    # Energy 0.30 all day with 10 kW load: discharging saves money, but MINIMUM with no
    # fraction keeps s_end >= initial 0.5 * 40 = 20 kWh. Starting at 20 kWh and having to end
    # there, any discharge must be bought back with losses, so the battery idles:
    # cost = 0.30 * 10 * 4 = 12.
    result = optimize_dispatch(
        battery=Battery(power_kw=10, energy_kwh=40),
        tariff=tariff(energy=energy_charges([0.30], lambda h: 0)),
        load_kw=series([10.0] * 4),
        initial_soc_fraction=0.5,
    )
    assert result.schedule["soc_kwh"].iloc[-1] >= 20.0 - 1e-6
    assert result.objective_usd == pytest.approx(12.0, rel=REL)


@pytest.mark.parametrize("value_usd_per_kwh", [0.20, 0.05])
def test_terminal_valued(value_usd_per_kwh):
    # Flat price 0.10, load 10 kW for 4 h, battery 10 kW / 20 kWh, eta 0.95/0.95, starts at
    # 10 kWh. A stored kWh at the end is worth v.
    # v = 0.20: buying 1 kWh (0.10) stores 0.95 kWh worth 0.19 > 0.10 -> fill to 20 kWh
    #   (10/0.95 = 10.526 kWh bought), and discharging stored energy (0.95 * 0.10 = 0.095 < v)
    #   is not worth it. energy = 0.10 * (40 + 10/0.95); terminal = -0.20 * 20.
    # v = 0.05: a stored kWh saves 0.95 * 0.10 = 0.095 > 0.05 when discharged, buying costs
    #   more than it is worth -> empty the battery: 10 kWh stored -> 9.5 kWh delivered.
    #   energy = 0.10 * (40 - 9.5); terminal = 0.
    battery = Battery(power_kw=10, energy_kwh=20)
    result = optimize_dispatch(
        battery=battery,
        tariff=tariff(energy=energy_charges([0.10], lambda h: 0)),
        load_kw=series([10.0] * 4),
        initial_soc_fraction=0.5,
        terminal=TerminalSoc(mode=TerminalMode.VALUED, value_usd_per_kwh=value_usd_per_kwh),
    )
    if value_usd_per_kwh == 0.20:
        expected = {"energy": 0.10 * (40 + 10 / 0.95), "terminal": -0.20 * 20}
    else:
        expected = {"energy": 0.10 * (40 - 9.5), "terminal": 0.0}
    assert result.value_by_stream_usd["energy"] == pytest.approx(expected["energy"], rel=REL)
    assert result.value_by_stream_usd["terminal"] == pytest.approx(
        expected["terminal"], rel=REL, abs=1e-7
    )


def test_terminal_not_reported_unless_valued():
    result = optimize_dispatch(
        battery=Battery(power_kw=10, energy_kwh=20),
        tariff=tariff(energy=energy_charges([0.10], lambda h: 0)),
        load_kw=series([10.0] * 4),
    )
    assert set(result.value_by_stream_usd) == {"energy"}


def test_no_grid_charging_charges_only_from_pv():
    # Arbitrage 0.10 -> 0.50 would fill the battery in hours 0-1, but without grid charging
    # it may only take PV: 3 kW in hour 0, none in hour 1. Stored 3 * 0.95 = 2.85 kWh,
    # delivered 2.85 * 0.95 = 2.7075 kWh at 0.50. Load 20 kW, PV 3 kW in hour 0:
    # cost = 0.10 * (17 + 3 + 20) + 0.50 * (40 - 2.7075) = 4.0 + 18.64625 = 22.64625.
    battery = Battery(power_kw=10, energy_kwh=20, grid_charging=False)
    t = tariff(energy=energy_charges([0.10, 0.50], lambda h: 1 if h in (2, 3) else 0))
    result = optimize_dispatch(
        battery=battery,
        tariff=t,
        load_kw=series([20, 20, 20, 20], start="2024-03-12 00:00"),
        pv_kw=series([3, 0, 0, 0], start="2024-03-12 00:00"),
        initial_soc_fraction=0.0,
        terminal=EMPTY_END,
    )
    assert result.schedule["charge_kw"].iloc[0] == pytest.approx(3.0, rel=REL)
    assert result.schedule["charge_kw"].iloc[1] == pytest.approx(0.0, abs=1e-7)
    assert result.objective_usd == pytest.approx(22.64625, rel=REL)


def test_self_discharge_decays_an_idle_battery():
    # 1 %/h self-discharge, 10 idle hours (no PV, no grid charging, no load to serve worth
    # anything), each stored kWh at the end worth $1: keep everything, which decays to
    # 30 * 0.99**10 kWh. terminal = -30 * 0.99**10.
    battery = Battery(
        power_kw=10, energy_kwh=30, self_discharge_fraction_per_h=0.01, grid_charging=False
    )
    result = optimize_dispatch(
        battery=battery,
        tariff=tariff(energy=energy_charges([0.0], lambda h: 0)),
        load_kw=series([0.0] * 10),
        initial_soc_fraction=1.0,
        terminal=TerminalSoc(mode=TerminalMode.VALUED, value_usd_per_kwh=1.0),
    )
    assert result.schedule["soc_kwh"].iloc[-1] == pytest.approx(30 * 0.99**10, rel=REL)
    assert result.value_by_stream_usd["terminal"] == pytest.approx(-30 * 0.99**10, rel=REL)
    # SOC recomputed from the schedule (second method) matches step by step.
    np.testing.assert_allclose(
        result.schedule["soc_kwh"], recompute_soc(result.schedule, battery, 1.0, 30.0), rtol=1e-9
    )


def test_export_sell_rate_and_degradation():
    # PV 30 kW for 2 h, no load: export at sell 0.04 (period 0). The battery (10 kW / 10 kWh,
    # empty, free end) could store PV and export it later at the same sell rate only with
    # losses, and each discharged kWh costs 0.02 of wear: it stays idle.
    # export = -0.04 * 60 = -2.4; degradation = 0 (reported because the cost is > 0).
    battery = Battery(power_kw=10, energy_kwh=10, degradation_cost_usd_per_kwh=0.02)
    t = tariff(energy=energy_charges([0.2], lambda h: 0, sells=[0.04]), export=ExportMode.SELL_RATE)
    result = optimize_dispatch(
        battery=battery,
        tariff=t,
        load_kw=series([0.0, 0.0]),
        pv_kw=series([30.0, 30.0]),
        initial_soc_fraction=0.0,
        terminal=EMPTY_END,
    )
    assert result.value_by_stream_usd["export"] == pytest.approx(-2.4, rel=REL)
    assert result.value_by_stream_usd["degradation"] == pytest.approx(0.0, abs=1e-9)
    assert result.value_by_stream_usd["energy"] == pytest.approx(0.0, abs=1e-9)


def test_degradation_cost_stops_marginal_arbitrage():
    # The closed-form arbitrage above earns 0.405 - 0.10 per kWh bought; a wear cost per
    # discharged kWh of k makes a bought kWh earn 0.81 * 0.50 - 0.10 - 0.81 * k.
    # k = 0.40: 0.405 - 0.10 - 0.324 = -0.019 < 0 -> idle; cost = 0.10*40 + 0.50*40 = 24.
    battery = Battery(
        power_kw=10,
        energy_kwh=20,
        charge_efficiency=0.9,
        discharge_efficiency=0.9,
        degradation_cost_usd_per_kwh=0.40,
    )
    t = tariff(energy=energy_charges([0.10, 0.50], lambda h: 1 if h in (2, 3) else 0))
    result = optimize_dispatch(
        battery=battery,
        tariff=t,
        load_kw=series([20, 20, 20, 20], start="2024-03-12 00:00"),
        initial_soc_fraction=0.0,
        terminal=EMPTY_END,
    )
    assert result.objective_usd == pytest.approx(24.0, rel=REL)


def test_negative_price_needs_the_binaries():
    # One hour at -0.10 $/kWh, no load, no export (limit 0), battery 10 kW / 20 kWh full,
    # eta 0.9/0.9, free end. Relaxed (u in [0, 1]: c + d <= 10), the battery can burn imports
    # by charging and discharging at once with no net SOC change: 0.9 c = d / 0.9 -> d = 0.81 c,
    # c + d = 10 -> c = 10 / 1.81, import c - d = 0.19 c = 1.0497 kW -> cost -0.104972.
    # With the binaries it cannot charge (full) nor discharge (nowhere to go): cost 0.
    battery = Battery(
        power_kw=10,
        energy_kwh=20,
        charge_efficiency=0.9,
        discharge_efficiency=0.9,
        export_limit_kw=0.0,
    )
    args = {
        "battery": battery,
        "tariff": tariff(energy=energy_charges([-0.10], lambda h: 0)),
        "load_kw": series([0.0]),
        "initial_soc_fraction": 1.0,
        "terminal": TerminalSoc(mode=TerminalMode.VALUED),
    }
    relaxed = optimize_dispatch(relax_binaries=True, **args)
    assert relaxed.objective_usd == pytest.approx(-0.1 * 0.19 * 10 / 1.81, rel=1e-6)
    milp = optimize_dispatch(**args)
    assert milp.solver.relaxation_was_integral is False
    assert milp.objective_usd == pytest.approx(0.0, abs=1e-9)
    assert milp.schedule["charge_kw"].iloc[0] == pytest.approx(0.0, abs=1e-9)
