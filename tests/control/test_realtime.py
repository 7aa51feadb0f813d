"""The real-time layer: hand cases and properties (hypothesis) on the plant's own rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from control.realtime import energy_need_kwh, energy_need_rows_kwh, realtime_setpoint
from optimizer.battery import Battery
from sims.plant import plant_step

TOL = 1e-7


def _battery(**kwargs) -> Battery:
    base = dict(
        power_kw=100.0,
        energy_kwh=200.0,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        soc_min_fraction=0.0,
    )
    return Battery(**{**base, **kwargs})


def test_energy_need_by_hand():
    # T = 120 kW, 1-h steps, lossless: the last hour needs 30 kWh, the hour before it refills
    # 20 (120 - 100), the second hour adds 30, the first another 30: 30, 10, 40, 70
    b = _battery()
    need = energy_need_kwh(np.array([150.0, 150.0, 100.0, 150.0]), np.full(4, 120.0), b, 1.0)
    np.testing.assert_allclose(need, [70.0, 40.0, 10.0, 30.0, 0.0])


def test_energy_need_with_losses_power_limit_and_charging_ceiling():
    # excess above the discharge rating cannot be held: only 100 kW counts, / 0.9;
    # the refill under the target is capped by the ceiling (110 - 100 = 10 kW) x 0.8
    b = _battery(charge_efficiency=0.8, discharge_efficiency=0.9)
    net = np.array([100.0, 250.0])
    need = energy_need_kwh(net, np.full(2, 120.0), b, 0.5, ceiling_kw=np.full(2, 110.0))
    drained = 100.0 * 0.5 / 0.9
    assert need[1] == pytest.approx(drained)
    assert need[0] == pytest.approx(drained - 10.0 * 0.8 * 0.5)


def test_no_target_means_no_need():
    b = _battery()
    need = energy_need_kwh(np.array([500.0, 50.0]), np.full(2, math.inf), b, 1.0)
    np.testing.assert_array_equal(need, 0.0)


def test_hold_discharges_exactly_the_excess_whatever_the_plan():
    b = _battery()
    charge, discharge = realtime_setpoint(
        net_kw=180.0,
        plan_charge_kw=50.0,
        plan_discharge_kw=0.0,
        target_kw=150.0,
        soc_kwh=100.0,
        reserve_kwh=0.0,
        battery=b,
        dt_h=0.25,
    )
    assert (charge, discharge) == (0.0, pytest.approx(30.0))


def test_arbitrage_discharge_stops_at_the_reserve():
    # the plan asks 80 kW for 1 h; only 30 kWh are above the 70 kWh reserve
    b = _battery()
    charge, discharge = realtime_setpoint(
        net_kw=50.0,
        plan_charge_kw=0.0,
        plan_discharge_kw=80.0,
        target_kw=150.0,
        soc_kwh=100.0,
        reserve_kwh=70.0,
        battery=b,
        dt_h=1.0,
    )
    assert charge == 0.0 and discharge == pytest.approx(30.0)


def test_below_the_reserve_the_layer_tops_up_under_the_ceiling():
    # 40 kWh short of the reserve; room under the 120 kW ceiling is 20 kW for an hour
    b = _battery()
    charge, discharge = realtime_setpoint(
        net_kw=100.0,
        plan_charge_kw=0.0,
        plan_discharge_kw=0.0,
        target_kw=150.0,
        soc_kwh=60.0,
        reserve_kwh=100.0,
        battery=b,
        dt_h=1.0,
        ceiling_kw=120.0,
    )
    assert discharge == 0.0 and charge == pytest.approx(20.0)


def test_a_fill_level_charges_with_the_room_but_holds_nothing_back():
    # reserve met (60 >= 50) but the fill level asks for 100: charge with the 20 kW of room
    b = _battery()
    kwargs = dict(plan_charge_kw=0.0, target_kw=150.0, reserve_kwh=50.0, battery=b, dt_h=1.0)
    charge, _ = realtime_setpoint(
        net_kw=100.0,
        plan_discharge_kw=0.0,
        soc_kwh=60.0,
        ceiling_kw=120.0,
        fill_kwh=100.0,
        **kwargs,
    )
    assert charge == pytest.approx(20.0)
    # the plan's arbitrage still uses everything above the reserve (60 - 50 = 10 kWh), not
    # only what lies above the fill level
    _, discharge = realtime_setpoint(
        net_kw=100.0,
        plan_discharge_kw=30.0,
        soc_kwh=60.0,
        ceiling_kw=120.0,
        fill_kwh=100.0,
        **kwargs,
    )
    assert discharge == pytest.approx(10.0)  # lossless


def test_planned_charging_never_lifts_the_meter_above_the_ceiling():
    b = _battery()
    charge, _ = realtime_setpoint(
        net_kw=140.0,
        plan_charge_kw=50.0,
        plan_discharge_kw=0.0,
        target_kw=170.0,
        soc_kwh=50.0,
        reserve_kwh=0.0,
        battery=b,
        dt_h=1.0,
        ceiling_kw=160.0,
    )
    assert charge == pytest.approx(20.0)


@settings(max_examples=400, deadline=None)
@given(
    net=st.floats(-50, 400),
    plan_charge=st.floats(0, 150),
    plan_discharge=st.floats(0, 150),
    target=st.floats(0, 300),
    ceiling=st.floats(0, 300),
    soc_fraction=st.floats(0, 1),
    reserve_fraction=st.floats(0, 1),
    fill_fraction=st.one_of(st.none(), st.floats(0, 1)),
    power=st.floats(10, 200),
    eta=st.floats(0.8, 1.0),
    dt_h=st.sampled_from([0.25, 1.0]),
)
def test_the_meter_never_exceeds_the_target_while_energy_and_power_allow(
    net,
    plan_charge,
    plan_discharge,
    target,
    ceiling,
    soc_fraction,
    reserve_fraction,
    fill_fraction,
    power,
    eta,
    dt_h,
):
    b = Battery(
        power_kw=power,
        energy_kwh=2 * power,
        charge_efficiency=eta,
        discharge_efficiency=eta,
        soc_min_fraction=0.1,
    )
    soc = b.soc_min_kwh + soc_fraction * (b.soc_max_kwh - b.soc_min_kwh)
    reserve = b.soc_min_kwh + reserve_fraction * (b.soc_max_kwh - b.soc_min_kwh)
    fill = None if fill_fraction is None else b.soc_max_kwh * fill_fraction
    charge_sp, discharge_sp = realtime_setpoint(
        net_kw=net,
        plan_charge_kw=plan_charge,
        plan_discharge_kw=plan_discharge,
        target_kw=target,
        soc_kwh=soc,
        reserve_kwh=reserve,
        battery=b,
        dt_h=dt_h,
        ceiling_kw=ceiling,
        fill_kwh=fill,
    )
    assert charge_sp >= 0 and discharge_sp >= 0 and charge_sp * discharge_sp == 0
    charge, discharge, _, grid, soc_end = plant_step(
        b,
        dt_h,
        load=max(net, 0.0),
        pv=max(-net, 0.0),
        charge_sp=charge_sp,
        discharge_sp=discharge_sp,
        soc=soc,
    )
    # physics: SOC within bounds, powers within ratings, energy balanced
    assert b.soc_min_kwh - TOL <= soc_end <= b.soc_max_kwh + TOL
    assert charge <= b.charge_rating_kw + TOL and discharge <= b.discharge_rating_kw + TOL
    assert soc_end == pytest.approx(soc + (charge * eta - discharge / eta) * dt_h, abs=1e-6)
    # holding: with the power and the stored energy to do it, the meter stays at the target
    can_discharge = min(b.discharge_rating_kw, (soc - b.soc_min_kwh) * eta / dt_h)
    if net - target <= can_discharge - TOL:
        assert grid <= max(target, net - can_discharge) + 1e-6
    # charging never lifts the meter above the lower of ceiling and target
    if charge > TOL:
        assert grid <= max(min(ceiling, target), net) + 1e-6


def _need_by_loop(net, target, battery, dt_h, ceiling):
    """The backward recursion of the docstring, step by step (the second method)."""
    need = [0.0]
    for k in range(len(net) - 1, -1, -1):
        if net[k] > target[k]:
            drain = min(net[k] - target[k], battery.discharge_rating_kw) * dt_h
            need.append(need[-1] + drain / battery.discharge_efficiency)
        else:
            room = min(ceiling[k], target[k]) - net[k]
            room = battery.charge_rating_kw if math.isinf(room) else room
            refill = min(max(room, 0.0), battery.charge_rating_kw)
            need.append(max(0.0, need[-1] - refill * battery.charge_efficiency * dt_h))
    return np.array(need[::-1])


@settings(max_examples=60, deadline=None)
@given(
    net=st.lists(st.floats(-50, 250), min_size=1, max_size=40),
    target=st.sampled_from([80.0, 120.0, math.inf]),
    ceiling_gap=st.floats(-30, 30),
    eta=st.floats(0.8, 1.0),
)
def test_energy_need_equals_the_step_by_step_recursion(net, target, ceiling_gap, eta):
    b = _battery(charge_efficiency=eta, discharge_efficiency=eta)
    net_kw = np.array(net)
    target_kw = np.full(len(net), target)
    ceiling_kw = target_kw + ceiling_gap
    need = energy_need_kwh(net_kw, target_kw, b, 0.25, ceiling_kw=ceiling_kw)
    expected = _need_by_loop(net_kw, target_kw, b, 0.25, ceiling_kw)
    np.testing.assert_allclose(need, expected, rtol=0, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.lists(st.floats(-50, 250), min_size=1, max_size=30), min_size=1, max_size=5),
    target=st.sampled_from([80.0, 120.0, math.inf]),
    eta=st.floats(0.8, 1.0),
)
def test_energy_need_of_rows_is_that_of_each_row(rows, target, eta):
    # rows of different lengths, padded at the end: each row's need is exactly the one-row
    # function's, zero past the row's end
    b = _battery(charge_efficiency=eta, discharge_efficiency=eta)
    width = max(len(r) for r in rows)
    net = np.zeros((len(rows), width))
    valid = np.zeros((len(rows), width), dtype=bool)
    targets = np.full((len(rows), width), target)
    for i, r in enumerate(rows):
        net[i, : len(r)], valid[i, : len(r)] = r, True
        targets[i, len(r) :] = np.inf if i % 2 else 0.0  # padding of any value counts for nothing
    need = energy_need_rows_kwh(net, targets, valid, b, 0.25)
    for i, r in enumerate(rows):
        alone = energy_need_kwh(net[i, : len(r)], targets[i, : len(r)], b, 0.25)
        np.testing.assert_array_equal(need[i, : len(r) + 1], alone)
        np.testing.assert_array_equal(need[i, len(r) + 1 :], 0.0)
