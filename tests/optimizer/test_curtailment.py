"""PV curtailment keeps no-export sites feasible, is used only when needed, and infeasible
windows are diagnosed in words (hand-built cases, expected values worked out by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import SolverError
from markets.tariff import ExportMode
from optimizer import Battery, DispatchModel, TerminalMode, TerminalSoc, optimize_dispatch
from tests.optimizer.helpers import energy_charges, flat_demand, series, tariff

LOSSLESS = {"charge_efficiency": 1.0, "discharge_efficiency": 1.0}
FLAT_PRICE = energy_charges([0.10], lambda h: 0)


def test_no_export_site_with_surplus_pv_curtails_only_what_it_cannot_store():
    # 50 kW of PV for 2 h, no load, no export; a lossless 1 kW / 2 kWh battery at 1 kWh can
    # store 1 kWh more (1 kW for 1 h): 100 kWh of PV, 1 kWh stored, 99 kWh curtailed.
    battery = Battery(power_kw=1.0, energy_kwh=2.0, export_limit_kw=0.0, **LOSSLESS)
    result = optimize_dispatch(
        battery=battery,
        tariff=tariff(energy=FLAT_PRICE),
        load_kw=series([0.0, 0.0]),
        pv_kw=series([50.0, 50.0]),
    )
    s = result.schedule
    assert s["grid_export_kw"].tolist() == pytest.approx([0.0, 0.0], abs=1e-7)
    assert s["grid_import_kw"].tolist() == pytest.approx([0.0, 0.0], abs=1e-7)
    assert s["pv_curtail_kw"].sum() == pytest.approx(99.0, abs=1e-6)
    assert s["charge_kw"].sum() == pytest.approx(1.0, abs=1e-6)
    assert (s["pv_curtail_kw"] >= -1e-9).all() and (s["pv_curtail_kw"] <= 50.0 + 1e-9).all()
    assert result.objective_usd == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "export, sell, expected_export_usd",
    [
        # 20 kW surplus for 2 h = 40 kWh exported at 0.10 (net metering credits the import
        # rate) or at the 0.04 sell rate; with no compensation exports earn nothing, and
        # exporting is still preferred to curtailing.
        (ExportMode.NET_METERING, 0.10, -4.0),
        (ExportMode.SELL_RATE, 0.04, -1.6),
        (ExportMode.NONE, 0.0, None),
    ],
)
def test_surplus_pv_is_exported_not_curtailed(export, sell, expected_export_usd):
    battery = Battery(power_kw=10.0, energy_kwh=20.0, **LOSSLESS)
    result = optimize_dispatch(
        battery=battery,
        tariff=tariff(energy=energy_charges([0.10], lambda h: 0, sells=[sell]), export=export),
        load_kw=series([10.0, 10.0]),
        pv_kw=series([30.0, 30.0]),
        initial_soc_fraction=1.0,  # full, and must end full: nothing to store
    )
    s = result.schedule
    assert s["pv_curtail_kw"].tolist() == pytest.approx([0.0, 0.0], abs=1e-7)
    assert s["grid_export_kw"].sum() == pytest.approx(40.0, abs=1e-6)
    if expected_export_usd is None:
        assert "export" not in result.value_by_stream_usd
    else:
        assert result.value_by_stream_usd["export"] == pytest.approx(expected_export_usd, abs=1e-6)


def test_curtailed_pv_cannot_charge_a_pv_only_battery():
    # Without grid charging the battery charges from PV only: charge + curtailed <= PV.
    # 3 kW of PV, no load, no export, a lossless 2 kW / 10 kWh battery at 0 that must end
    # with at least 2 kWh: it charges 2 kW and curtails 1 kW in the hour.
    battery = Battery(
        power_kw=2.0, energy_kwh=10.0, export_limit_kw=0.0, grid_charging=False, **LOSSLESS
    )
    result = optimize_dispatch(
        battery=battery,
        tariff=tariff(energy=FLAT_PRICE),
        load_kw=series([0.0]),
        pv_kw=series([3.0]),
        initial_soc_fraction=0.0,
        terminal=TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.2),
    )
    s = result.schedule
    assert s["charge_kw"].iloc[0] == pytest.approx(2.0, abs=1e-7)
    assert s["pv_curtail_kw"].iloc[0] == pytest.approx(1.0, abs=1e-7)


def test_import_limit_below_the_load_names_the_limit_and_the_interval():
    # Load 40, 70, 80 kW; a 10 kW battery can cover at most 10 kW: at 01:00 70 - 10 = 60 kW
    # must be imported through a 50 kW limit.
    battery = Battery(power_kw=10.0, energy_kwh=40.0, import_limit_kw=50.0, **LOSSLESS)
    load = series([40.0, 70.0, 80.0])
    model = DispatchModel(battery=battery, tariff=tariff(energy=FLAT_PRICE), n_steps=3, freq="1h")
    with pytest.raises(SolverError) as info:
        model.solve(load_kw=load)
    message = str(info.value)
    assert "import limit of 50 kW" in message
    assert str(load.index[1]) in message
    assert "60 kW" in message


def test_stored_energy_running_out_under_the_import_limit_is_named():
    # Load 55 kW for 6 h through a 50 kW limit: 5 kWh/h from a lossless battery holding 10 kWh
    # (of 20): 5 kWh left after 00:00, 0 after 01:00, short at 02:00.
    battery = Battery(power_kw=10.0, energy_kwh=20.0, import_limit_kw=50.0, **LOSSLESS)
    load = series([55.0] * 6)
    with pytest.raises(SolverError) as info:
        optimize_dispatch(
            battery=battery,
            tariff=tariff(energy=FLAT_PRICE),
            load_kw=load,
            terminal=TerminalSoc(mode=TerminalMode.VALUED, value_usd_per_kwh=0.0),
        )
    message = str(info.value)
    assert "needs more energy than the battery holds" in message
    assert str(load.index[2]) in message


def test_unreachable_terminal_soc_is_named():
    # From empty, 1 kW for 2 h stores 2 kWh; a fixed end at 50 % of 20 kWh needs 10 kWh.
    battery = Battery(power_kw=1.0, energy_kwh=20.0, **LOSSLESS)
    load = series([0.0, 0.0])
    with pytest.raises(SolverError) as info:
        optimize_dispatch(
            battery=battery,
            tariff=tariff(energy=FLAT_PRICE),
            load_kw=load,
            initial_soc_fraction=0.0,
            terminal=TerminalSoc(mode=TerminalMode.FIXED, soc_fraction=0.5),
        )
    message = str(info.value)
    assert "terminal SOC of at least 10 kWh" in message
    assert str(load.index[-1]) in message
    assert "at most 2 kWh" in message


def test_resolve_sequence_prints_nothing(capfd):
    # Windows crossing a month end change the demand charge's month membership (matrix
    # coefficients) between solves; neither HiGHS nor the model may print anything.
    battery = Battery(power_kw=10.0, energy_kwh=20.0, export_limit_kw=0.0)
    t = tariff(energy=FLAT_PRICE, flat=flat_demand(5.0))
    model = DispatchModel(battery=battery, tariff=t, n_steps=48, freq="1h")
    capfd.readouterr()
    for day in range(4):
        start = pd.Timestamp("2024-03-30", tz="America/Los_Angeles") + pd.Timedelta(days=day)
        index = pd.date_range(start, periods=48, freq="1h")
        load = pd.Series(5.0 + (index.hour >= 17) * 10.0, index=index)
        pv = pd.Series(30.0 * ((index.hour >= 10) & (index.hour < 15)), index=index)
        model.solve(load_kw=load, pv_kw=pv)
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""
