"""Bad input raises InputError naming the field, before any model is built or solved."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError, SolverError
from markets.tariff import DemandTier, EnergyTier, ExportMode, FlatDemandCharges
from optimizer import (
    Battery,
    DispatchModel,
    MonthToDate,
    TerminalMode,
    TerminalSoc,
    Termination,
    optimize_dispatch,
)
from optimizer import model as model_module
from tests.optimizer.helpers import energy_charges, flat_demand, series, tariff, tou_demand

BATTERY = Battery(power_kw=10, energy_kwh=20)
TARIFF = tariff(energy=energy_charges([0.1, 0.3], lambda h: 1 if h >= 16 else 0))


@pytest.fixture
def no_build(monkeypatch):
    """Fail the test if a model would be built."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was built for bad input")

    monkeypatch.setattr(model_module, "build_core", refuse)


def test_battery_contract_rejects_inverted_soc_window_and_efficiency_above_one():
    with pytest.raises(InputError) as info:
        Battery(power_kw=10, energy_kwh=20, soc_min_fraction=0.9, soc_max_fraction=0.1)
    assert info.value.field == "Battery.soc_min_fraction"
    with pytest.raises(InputError) as info:
        Battery(power_kw=10, energy_kwh=20, charge_efficiency=1.05)
    assert info.value.field == "Battery.charge_efficiency"
    with pytest.raises(InputError) as info:
        Battery(power_kw=-5, energy_kwh=20)
    assert info.value.field == "Battery.power_kw"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"load_kw": series([1.0, -2.0, 3.0])}, "load_kw"),
        ({"load_kw": series([1.0, np.nan, 3.0])}, "load_kw"),
        ({"load_kw": pd.Series([1.0, 2.0, 3.0])}, "load_kw.index"),
        ({"pv_kw": series([1.0, 2.0, 3.0], start="2024-03-13")}, "pv_kw.index"),
        ({"pv_kw": series([1.0, -1.0, 3.0])}, "pv_kw"),
        ({"initial_soc_fraction": 1.2}, "initial_soc_fraction"),
        (
            {
                "terminal": TerminalSoc(mode=TerminalMode.FIXED, soc_fraction=0.95),
                "battery": Battery(power_kw=10, energy_kwh=20, soc_max_fraction=0.9),
            },
            "terminal.soc_fraction",
        ),
        ({"month_to_date": MonthToDate(tou_peak_kw=(1.0, 2.0))}, "month_to_date.tou_peak_kw"),
        (
            {"month_to_date": MonthToDate(import_kwh_by_period=(1.0, 2.0, 3.0))},
            "month_to_date.import_kwh_by_period",
        ),
        ({"mip_rel_gap": 1.5}, "mip_rel_gap"),
        ({"battery": {"power_kw": 10}}, "battery"),
        ({"stream_inputs": {"wholesale": None}}, "stream_inputs"),
    ],
)
def test_optimize_dispatch_bad_input(kwargs, field, no_build):
    args = {"battery": BATTERY, "tariff": TARIFF, "load_kw": series([1.0, 2.0, 3.0])}
    args.update(kwargs)
    with pytest.raises(InputError) as info:
        optimize_dispatch(**args)
    assert info.value.field == field


def test_initial_soc_outside_window_names_the_field():
    battery = Battery(power_kw=10, energy_kwh=20, soc_min_fraction=0.2)
    with pytest.raises(InputError) as info:
        optimize_dispatch(
            battery=battery, tariff=TARIFF, load_kw=series([1.0]), initial_soc_fraction=0.1
        )
    assert info.value.field == "initial_soc_fraction"
    assert "0.2" in info.value.expected


def test_model_solve_rejects_wrong_length_and_step_before_touching_parameters():
    model = DispatchModel(battery=BATTERY, tariff=TARIFF, n_steps=4, freq="1h")
    good = model.solve(load_kw=series([5.0, 5.0, 5.0, 5.0]))
    with pytest.raises(InputError) as info:
        model.solve(load_kw=series([5.0, 5.0, 5.0]))
    assert info.value.field == "load_kw"
    with pytest.raises(InputError) as info:
        model.solve(load_kw=series([5.0] * 4, freq="15min"))
    assert info.value.field == "load_kw.index"
    with pytest.raises(InputError) as info:
        model.solve(load_kw=series([50.0] * 4), initial_soc_fraction=-0.1)
    assert info.value.field == "initial_soc_fraction"
    # The failed calls changed nothing: the model still holds the good data's parameters.
    assert model._model.net_load_kw[0].value == 5.0
    again = model.solve(load_kw=series([5.0, 5.0, 5.0, 5.0]))
    assert again.objective_usd == pytest.approx(good.objective_usd, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_steps": 0}, "n_steps"),
        ({"n_steps": 2.5}, "n_steps"),
        ({"freq": "monthly-ish"}, "freq"),
        ({"relax_binaries": "yes"}, "relax_binaries"),
        ({"time_limit_s": -1.0}, "time_limit_s"),
        ({"streams": ["energy"]}, "streams[0]"),
    ],
)
def test_model_construction_bad_input(kwargs, field, no_build):
    args = {"battery": BATTERY, "tariff": TARIFF, "n_steps": 4, "freq": "1h"}
    args.update(kwargs)
    with pytest.raises(InputError) as info:
        DispatchModel(**args)
    assert info.value.field == field


def test_non_convex_demand_tiers_are_refused(no_build):
    # A demand rate that falls with the tier would be filled backwards by an LP.
    declining = FlatDemandCharges(
        periods=(
            (
                DemandTier(max_kw=100.0, rate_usd_per_kw=12.0),
                DemandTier(max_kw=math.inf, rate_usd_per_kw=8.0),
            ),
        ),
        month_periods=(0,) * 12,
    )
    with pytest.raises(InputError) as info:
        DispatchModel(battery=BATTERY, tariff=tariff(flat=declining), n_steps=4, freq="1h")
    assert info.value.field == "Tariff.flat_demand.periods[0][1].rate"


def test_declining_energy_blocks_are_refused():
    energy = energy_charges([0.2], lambda h: 0)
    declining = type(energy)(
        periods=(
            (
                EnergyTier(max_kwh=500.0, rate_usd_per_kwh=0.20),
                EnergyTier(max_kwh=math.inf, rate_usd_per_kwh=0.15),
            ),
        ),
        weekday_schedule=energy.weekday_schedule,
        weekend_schedule=energy.weekend_schedule,
    )
    with pytest.raises(InputError) as info:
        DispatchModel(battery=BATTERY, tariff=tariff(energy=declining), n_steps=4, freq="1h")
    assert info.value.field == "Tariff.energy.periods[0][1].rate"


def test_demand_window_longer_than_the_step_is_refused():
    t = tariff(flat=flat_demand(10.0), demand_window_minutes=30.0)
    with pytest.raises(InputError) as info:
        DispatchModel(battery=BATTERY, tariff=t, n_steps=4, freq="15min")
    assert info.value.field == "Tariff.demand_window_minutes"
    # The same window at 30-min or hourly steps is fine (the bill uses the step then).
    DispatchModel(battery=BATTERY, tariff=t, n_steps=4, freq="30min")


def test_net_metering_sell_above_rate_is_refused():
    t = tariff(
        energy=energy_charges([0.10], lambda h: 0, sells=[0.12]), export=ExportMode.NET_METERING
    )
    with pytest.raises(InputError) as info:
        DispatchModel(battery=BATTERY, tariff=t, n_steps=4, freq="1h")
    assert info.value.field == "Tariff.energy.periods[0][0].sell_usd_per_kwh"


def test_infeasible_problem_raises_solver_error_with_termination():
    # An import limit of 10 kW below a 50 kW load that a 1 kW battery cannot bridge has no
    # feasible balance. (Surplus PV on a no-export site no longer does: PV is curtailed.)
    battery = Battery(power_kw=1, energy_kwh=2, import_limit_kw=10.0)
    with pytest.raises(SolverError) as info:
        optimize_dispatch(
            battery=battery,
            tariff=tariff(tou=tou_demand([1.0], lambda h: 0)),
            load_kw=series([50.0, 50.0]),
        )
    assert info.value.termination in (
        Termination.INFEASIBLE,
        Termination.INFEASIBLE_OR_UNBOUNDED,
    )
