"""The stream interface: a tiny test capacity stream proves the shared capacity rows work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from core.errors import InputError
from optimizer import (
    Battery,
    DispatchModel,
    Stream,
    StreamTerms,
    TerminalMode,
    TerminalSoc,
    optimize_dispatch,
)
from optimizer.core import assign
from tests.optimizer.helpers import energy_charges, flat_demand, series, tariff

FREE_END = TerminalSoc(mode=TerminalMode.VALUED, value_usd_per_kwh=0.0)
NO_CHARGES = tariff(energy=energy_charges([0.0], lambda h: 0))


class ToyReserve(Stream):
    """A capacity product paid ``price`` $/kW per hour for an award held ``duration_h``."""

    def __init__(self, name: str, direction: str, duration_h: float, *, peak: bool = False):
        self.name = name
        self.direction = direction
        self.duration_h = duration_h
        self.peak = peak

    def build(self, block, core):
        block.price_usd_per_kw_h = pyo.Param(core.steps, mutable=True, initialize=0.0)
        block.award_kw = pyo.Var(core.steps, bounds=(0.0, None))
        block.cost_usd = pyo.Expression(
            expr=-sum(
                block.price_usd_per_kw_h[t] * core.dt_h * block.award_kw[t] for t in core.steps
            )
        )
        award = block.award_kw
        if self.direction == "up":
            return StreamTerms(
                objective_usd=block.cost_usd, up_award_kw=award, up_duration_h=self.duration_h
            )
        return StreamTerms(
            objective_usd=block.cost_usd,
            down_award_kw=award,
            down_duration_h=self.duration_h,
            metered_demand_kw=award if self.peak else None,
        )

    def check(self, window):
        price = window.stream_inputs.get(self.name)
        if not isinstance(price, (int, float)) or price < 0:
            raise InputError(f"stream_inputs[{self.name!r}]", price, "a price >= 0 [$/kW/h]")

    def update(self, block, window):
        assign(
            block.price_usd_per_kw_h, np.full(len(window.index), window.stream_inputs[self.name])
        )


def awards(model_or_result_block) -> np.ndarray:
    return np.array([v.value for v in model_or_result_block.award_kw.values()])


def test_up_award_limited_by_stored_energy_over_its_duration():
    # Battery 10 kW / 40 kWh, eta 1, holds 10 kWh and cannot charge (no PV, no grid
    # charging): stored energy must cover award * 2 h at both ends of each step, so the award
    # is at most 10 / 2 = 5 kW (headroom would allow 10). Revenue 4 h * 5 kW * $3 = $60.
    battery = Battery(
        power_kw=10,
        energy_kwh=40,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        grid_charging=False,
    )
    reserve = ToyReserve("reserve_up", "up", 2.0)
    result = optimize_dispatch(
        battery=battery,
        tariff=NO_CHARGES,
        load_kw=series([0.0] * 4),
        initial_soc_fraction=0.25,
        terminal=FREE_END,
        streams=[reserve],
        stream_inputs={"reserve_up": 3.0},
    )
    assert result.value_by_stream_usd["reserve_up"] == pytest.approx(-60.0, rel=1e-7)


def test_up_award_limited_by_power_headroom():
    # Same battery full (40 kWh, enough for 40 kWh / 1 h): headroom d - c + a <= 10 caps the
    # award at 10 kW with no discharge. Revenue 4 * 10 * 3 = 120.
    battery = Battery(
        power_kw=10,
        energy_kwh=40,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        grid_charging=False,
    )
    result = optimize_dispatch(
        battery=battery,
        tariff=NO_CHARGES,
        load_kw=series([0.0] * 4),
        initial_soc_fraction=1.0,
        terminal=FREE_END,
        streams=[ToyReserve("reserve_up", "up", 1.0)],
        stream_inputs={"reserve_up": 3.0},
    )
    assert result.value_by_stream_usd["reserve_up"] == pytest.approx(-120.0, rel=1e-7)


def test_stacked_products_never_count_the_same_kw_twice():
    # Two up products on the energy-limited battery (5 kW of room, as above): together they
    # share the 5 kW, so all of it goes to the better price: 4 * 5 * 3 = 60 for A, 0 for B.
    # Counting the kW twice would have earned 60 + 40.
    battery = Battery(
        power_kw=10,
        energy_kwh=40,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        grid_charging=False,
    )
    model = DispatchModel(
        battery=battery,
        tariff=NO_CHARGES,
        n_steps=4,
        freq="1h",
        streams=[ToyReserve("a", "up", 2.0), ToyReserve("b", "up", 2.0)],
    )
    result = model.solve(
        load_kw=series([0.0] * 4),
        initial_soc_fraction=0.25,
        terminal=FREE_END,
        stream_inputs={"a": 3.0, "b": 2.0},
    )
    assert result.value_by_stream_usd["a"] == pytest.approx(-60.0, rel=1e-7)
    assert result.value_by_stream_usd["b"] == pytest.approx(0.0, abs=1e-7)
    # Prices are mutable parameters: swap them and re-solve the same model.
    swapped = model.solve(
        load_kw=series([0.0] * 4),
        initial_soc_fraction=0.25,
        terminal=FREE_END,
        stream_inputs={"a": 1.0, "b": 2.0},
    )
    assert swapped.value_by_stream_usd["b"] == pytest.approx(-40.0, rel=1e-7)
    assert swapped.value_by_stream_usd["a"] == pytest.approx(0.0, abs=1e-7)


def test_down_award_limited_by_room_to_store():
    # Down service stores energy: (S_max - s) / eta_c >= award * 1 h. Battery 10 kW / 40 kWh
    # at 34 kWh with eta_c = 0.8: room 6 kWh -> 6 / 0.8 = 7.5 kW of award (< 10 kW headroom).
    # No discharge is possible without a use (load 0, no export credit... the battery could
    # export to make room: export earns nothing and export_limit 0 forbids it).
    battery = Battery(
        power_kw=10,
        energy_kwh=40,
        charge_efficiency=0.8,
        discharge_efficiency=1.0,
        export_limit_kw=0.0,
    )
    result = optimize_dispatch(
        battery=battery,
        tariff=NO_CHARGES,
        load_kw=series([0.0] * 3),
        initial_soc_fraction=0.85,
        terminal=FREE_END,
        streams=[ToyReserve("reserve_down", "down", 1.0)],
        stream_inputs={"reserve_down": 2.0},
    )
    assert result.value_by_stream_usd["reserve_down"] == pytest.approx(-3 * 7.5 * 2.0, rel=1e-7)


def test_metered_demand_hook_puts_the_award_under_the_demand_charge():
    # Load 50 kW for 4 h, flat demand $10/kW, a down product paid $2/kW/h whose deployment
    # would raise the meter: demand sees import + award. An award of a kW earns 4 * 2 * a = 8a
    # and costs 10a of demand: not worth it. With a price of $3/kW/h it earns 12a > 10a and
    # the award goes to the headroom limit c - d + a <= 10. The battery starts empty and cannot
    # charge (no PV, no grid charging), so c = d = 0 and a = 10 kW (room 100 kWh is ample).
    # demand_flat = 10 * (50 + 10) = 600; award revenue = -12 * 10 = -120.
    battery = Battery(power_kw=10, energy_kwh=100, grid_charging=False)
    low = optimize_dispatch(
        battery=battery,
        tariff=tariff(flat=flat_demand(10.0)),
        load_kw=series([50.0] * 4),
        initial_soc_fraction=0.0,
        terminal=FREE_END,
        streams=[ToyReserve("dr", "down", 1.0, peak=True)],
        stream_inputs={"dr": 2.0},
    )
    assert low.value_by_stream_usd["dr"] == pytest.approx(0.0, abs=1e-7)
    high = optimize_dispatch(
        battery=battery,
        tariff=tariff(flat=flat_demand(10.0)),
        load_kw=series([50.0] * 4),
        initial_soc_fraction=0.0,
        terminal=FREE_END,
        streams=[ToyReserve("dr", "down", 1.0, peak=True)],
        stream_inputs={"dr": 3.0},
    )
    assert high.value_by_stream_usd["dr"] == pytest.approx(-120.0, rel=1e-7)
    assert high.value_by_stream_usd["demand_flat"] == pytest.approx(600.0, rel=1e-7)


def test_no_capacity_rows_without_capacity_streams():
    model = DispatchModel(battery=Battery(power_kw=1, energy_kwh=2), tariff=NO_CHARGES, n_steps=3)
    assert model._model.find_component("up_headroom") is None
    assert model._model.find_component("down_energy") is None


def test_stream_input_checks_run_before_solving():
    with pytest.raises(InputError) as info:
        optimize_dispatch(
            battery=Battery(power_kw=1, energy_kwh=2),
            tariff=NO_CHARGES,
            load_kw=series([0.0] * 2),
            streams=[ToyReserve("reserve_up", "up", 1.0)],
            stream_inputs={"reserve_up": -1.0},
        )
    assert info.value.field == "stream_inputs['reserve_up']"


def test_duplicate_stream_names_are_refused():
    with pytest.raises(InputError) as info:
        DispatchModel(
            battery=Battery(power_kw=1, energy_kwh=2),
            tariff=NO_CHARGES,
            n_steps=3,
            streams=[ToyReserve("energy", "up", 1.0)],
        )
    assert info.value.field == "streams[0].name"


def test_index_unused():
    # Guard for the helper: series() builds a tz-aware hourly index in the test zone,
    # starting at local midnight of 2024-03-12, with the values in order.
    s = series([1.0, 2.0, 3.0])
    assert isinstance(s.index, pd.DatetimeIndex)
    assert str(s.index.tz) == "America/Los_Angeles"
    assert s.index[0] == pd.Timestamp("2024-03-12 00:00", tz="America/Los_Angeles")
    assert (s.index[1:] - s.index[:-1] == pd.Timedelta(hours=1)).all()
    assert s.tolist() == [1.0, 2.0, 3.0]


class AllOrNothingReserve(ToyReserve):
    """An up product with a 6-kW minimum bid: award 0 or 6..10 kW (a binary per step)."""

    def build(self, block, core):
        terms = super().build(block, core)
        block.bid = pyo.Var(core.steps, domain=pyo.Binary)
        block.at_most = pyo.Constraint(
            core.steps, rule=lambda b, t: b.award_kw[t] <= 10.0 * b.bid[t]
        )
        block.at_least = pyo.Constraint(
            core.steps, rule=lambda b, t: b.award_kw[t] >= 6.0 * b.bid[t]
        )
        return terms


def test_stream_binaries_are_honoured():
    # The energy-limited battery of the first test has room for 5 kW of 2-h up award. A 6-kW
    # minimum bid makes any award infeasible: revenue 0. The LP relaxation (bid = 5/6) would
    # earn 60; the model must not accept it as the MILP optimum.
    battery = Battery(
        power_kw=10,
        energy_kwh=40,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        grid_charging=False,
    )
    args = {
        "battery": battery,
        "tariff": NO_CHARGES,
        "load_kw": series([0.0] * 4),
        "initial_soc_fraction": 0.25,
        "terminal": FREE_END,
        "streams": [AllOrNothingReserve("block_up", "up", 2.0)],
        "stream_inputs": {"block_up": 3.0},
    }
    relaxed = optimize_dispatch(relax_binaries=True, **args)
    assert relaxed.value_by_stream_usd["block_up"] == pytest.approx(-60.0, rel=1e-7)
    milp = optimize_dispatch(**args)
    assert milp.solver.relaxation_was_integral is False
    assert milp.value_by_stream_usd["block_up"] == pytest.approx(0.0, abs=1e-7)
