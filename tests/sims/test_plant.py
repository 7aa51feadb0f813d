"""Plant model: a hand-worked case and physical properties on random inputs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from optimizer.battery import Battery
from sims.plant import Plant

TOL = 1e-7


def _series(values, freq="1h"):
    index = pd.date_range("2024-03-09", periods=len(values), freq=freq, tz="America/Los_Angeles")
    return pd.Series(np.asarray(values, dtype=float), index=index)


def test_hand_case_limits_and_curtailment():
    battery = Battery(
        power_kw=10.0,
        energy_kwh=20.0,
        charge_efficiency=0.9,
        discharge_efficiency=0.9,
        export_limit_kw=0.0,
    )
    load = _series([5, 5, 3, 2])
    pv = _series([0, 0, 0, 8])
    charge = _series([15, 10, 0, 0])
    discharge = _series([0, 0, 10, 0])
    result = Plant(battery=battery).run(
        load_kw=load,
        pv_kw=pv,
        charge_setpoint_kw=charge,
        discharge_setpoint_kw=discharge,
        initial_soc_kwh=10.0,
    )
    f = result.intervals
    # t0: 15 kW asked, rating 10 kW; room (20 - 10) / 0.9 = 11.1 kW -> 10 kW; soc 10 + 9 = 19
    # t1: room (20 - 19) / 0.9 = 1.111 kW -> soc 20
    # t2: 10 kW asked, no export allowed, load 3 -> 3 kW; soc 20 - 3 / 0.9 = 16.667
    # t3: PV 8 on a 2 kW load, no export -> 6 kW curtailed, grid 0
    np.testing.assert_allclose(f["charge_kw"], [10, 1 / 0.9, 0, 0])
    np.testing.assert_allclose(f["discharge_kw"], [0, 0, 3, 0])
    np.testing.assert_allclose(f["soc_end_kwh"], [19, 20, 20 - 3 / 0.9, 20 - 3 / 0.9])
    np.testing.assert_allclose(f["pv_curtailed_kw"], [0, 0, 0, 6])
    np.testing.assert_allclose(f["grid_kw"], [15, 5 + 1 / 0.9, 0, 0])
    assert result.final_soc_kwh == pytest.approx(20 - 3 / 0.9)


def test_self_discharge_is_held_at_soc_min_by_a_maintenance_charge():
    # 10 %/h self-discharge from soc_min = 2 kWh: 0.2 kWh lost, recharged at eta 1 -> 0.2 kW
    battery = Battery(
        power_kw=5.0,
        energy_kwh=10.0,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        soc_min_fraction=0.2,
        self_discharge_fraction_per_h=0.1,
    )
    zero = _series([0, 0])
    f = (
        Plant(battery=battery)
        .run(
            load_kw=_series([1, 1]),
            pv_kw=None,
            charge_setpoint_kw=zero,
            discharge_setpoint_kw=_series([3, 3]),
            initial_soc_kwh=2.0,
        )
        .intervals
    )
    np.testing.assert_allclose(f["charge_kw"], [0.2, 0.2])
    np.testing.assert_allclose(f["soc_end_kwh"], [2.0, 2.0])


def test_bad_inputs_are_rejected():
    battery = Battery(power_kw=1.0, energy_kwh=2.0)
    load = _series([1, 1])
    with pytest.raises(InputError, match="initial_soc_kwh"):
        Plant(battery=battery).run(
            load_kw=load,
            pv_kw=None,
            charge_setpoint_kw=load,
            discharge_setpoint_kw=load,
            initial_soc_kwh=3.0,
        )
    with pytest.raises(InputError, match="charge_setpoint_kw"):
        Plant(battery=battery).run(
            load_kw=load,
            pv_kw=None,
            charge_setpoint_kw=-load,
            discharge_setpoint_kw=load,
            initial_soc_kwh=1.0,
        )
    with pytest.raises(InputError, match="pv_kw.index"):
        Plant(battery=battery).run(
            load_kw=load,
            pv_kw=_series([1, 1], freq="15min"),
            charge_setpoint_kw=load,
            discharge_setpoint_kw=load,
            initial_soc_kwh=1.0,
        )


finite = st.floats(min_value=0.0, max_value=200.0, allow_nan=False)


@st.composite
def cases(draw):
    n = draw(st.integers(min_value=1, max_value=30))
    power = draw(st.floats(min_value=1.0, max_value=100.0))
    energy = draw(st.floats(min_value=1.0, max_value=400.0))
    soc_min = draw(st.floats(min_value=0.0, max_value=0.4))
    soc_max = draw(st.floats(min_value=0.6, max_value=1.0))
    grid_charging = draw(st.booleans())
    battery = Battery(
        power_kw=power,
        energy_kwh=energy,
        charge_power_kw=draw(st.none() | st.floats(min_value=1.0, max_value=100.0)),
        charge_efficiency=draw(st.floats(min_value=0.7, max_value=1.0)),
        discharge_efficiency=draw(st.floats(min_value=0.7, max_value=1.0)),
        soc_min_fraction=soc_min,
        soc_max_fraction=soc_max,
        self_discharge_fraction_per_h=draw(st.sampled_from([0.0, 0.001, 0.05]))
        if grid_charging
        else 0.0,
        grid_charging=grid_charging,
        import_limit_kw=draw(st.sampled_from([math.inf, 50.0, 150.0])),
        export_limit_kw=draw(st.sampled_from([math.inf, 0.0, 20.0])),
    )
    freq = draw(st.sampled_from(["15min", "1h"]))
    arrays = [draw(st.lists(finite, min_size=n, max_size=n)) for _ in range(4)]
    soc0 = soc_min * energy + draw(st.floats(0.0, 1.0)) * (soc_max - soc_min) * energy
    return battery, freq, arrays, soc0


@given(cases())
def test_conservation_and_limits_hold_for_any_setpoint(case):
    battery, freq, (load, pv, charge, discharge), soc0 = case
    result = Plant(battery=battery).run(
        load_kw=_series(load, freq),
        pv_kw=_series(pv, freq),
        charge_setpoint_kw=_series(charge, freq),
        discharge_setpoint_kw=_series(discharge, freq),
        initial_soc_kwh=soc0,
    )
    f = result.intervals
    dt_h = 0.25 if freq == "15min" else 1.0
    # conservation at the meter, every interval
    np.testing.assert_allclose(
        f["load_kw"], f["pv_kw"] + f["discharge_kw"] - f["charge_kw"] + f["grid_kw"], atol=TOL
    )
    # power ratings, no simultaneous charge and discharge
    assert (f["charge_kw"] <= battery.charge_rating_kw + TOL).all()
    assert (f["discharge_kw"] <= battery.discharge_rating_kw + TOL).all()
    assert ((f["charge_kw"] < TOL) | (f["discharge_kw"] < TOL)).all()
    assert (f[["charge_kw", "discharge_kw", "pv_kw", "pv_curtailed_kw"]] >= -TOL).all().all()
    # SOC window and SOC recursion
    # below soc_min only by self-discharge when no charge could be taken (e.g. at the import
    # limit), and then never by discharging
    kept = f["soc_start_kwh"] * battery.retention(dt_h)
    assert (f["soc_end_kwh"] >= np.minimum(battery.soc_min_kwh, kept) - TOL).all()
    assert ((f["soc_end_kwh"] >= battery.soc_min_kwh - TOL) | (f["discharge_kw"] < TOL)).all()
    assert (f["soc_end_kwh"] <= battery.soc_max_kwh + TOL).all()
    expected_end = (
        f["soc_start_kwh"] * battery.retention(dt_h)
        + f["charge_kw"] * battery.charge_efficiency * dt_h
        - f["discharge_kw"] / battery.discharge_efficiency * dt_h
    )
    np.testing.assert_allclose(f["soc_end_kwh"], expected_end, atol=1e-6)
    np.testing.assert_allclose(f["soc_start_kwh"].iloc[1:], f["soc_end_kwh"].iloc[:-1])
    # the site never exports past its limit; PV delivered never exceeds PV available
    assert (f["grid_export_kw"] <= battery.export_limit_kw + TOL).all()
    assert (f["pv_kw"] <= f["pv_available_kw"] + TOL).all()
    # the battery never raises imports past the import limit (the load alone may)
    residual = f["load_kw"] - f["pv_available_kw"]
    assert (f["grid_kw"] <= np.maximum(battery.import_limit_kw, residual) + TOL).all()
    # the battery never discharges into a forbidden export
    assert ((f["discharge_kw"] < TOL) | (f["grid_kw"] >= -battery.export_limit_kw - TOL)).all()
    if not battery.grid_charging:
        assert (f["charge_kw"] <= f["pv_kw"] + TOL).all()


@given(cases())
def test_plant_follows_a_feasible_setpoint_exactly(case):
    # A setpoint of half the allowed power that the SOC window can absorb is applied unchanged.
    drawn, freq, (load, _pv, _charge, _discharge), _soc0 = case
    battery = dataclasses.replace(
        drawn, grid_charging=True, import_limit_kw=math.inf, self_discharge_fraction_per_h=0.0
    )
    dt_h = 0.25 if freq == "15min" else 1.0
    mid = (battery.soc_min_kwh + battery.soc_max_kwh) / 2
    room = (battery.soc_max_kwh - mid) / 2
    charge_kw = min(battery.charge_rating_kw, room / (battery.charge_efficiency * dt_h))
    n = len(load)
    charge = [charge_kw if t == 0 else 0.0 for t in range(n)]
    result = Plant(battery=battery).run(
        load_kw=_series(load, freq),
        pv_kw=None,
        charge_setpoint_kw=_series(charge, freq),
        discharge_setpoint_kw=_series([0.0] * n, freq),
        initial_soc_kwh=mid,
    )
    np.testing.assert_allclose(result.intervals["charge_kw"], charge, atol=1e-12)
