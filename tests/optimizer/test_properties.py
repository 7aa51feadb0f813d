"""Properties of optimal schedules on random batteries, loads and prices (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from markets.tariff import ExportMode
from optimizer import Battery, TerminalMode, TerminalSoc, optimize_dispatch
from tests.optimizer.helpers import (
    TZ,
    energy_charges,
    flat_demand,
    recompute_soc,
    tariff,
    tou_demand,
)

N_HOURS = 24
ON_PEAK = staticmethod(lambda h: 1 if 16 <= h <= 20 else 0)


@st.composite
def batteries(draw, *, self_discharge: bool = True) -> Battery:
    power = draw(st.floats(5, 100))
    decay = draw(st.floats(0, 0.01)) if self_discharge else 0.0
    # A battery losing charge at the bottom of a window above 0 would be pushed below it.
    soc_min = 0.0 if decay > 0 else draw(st.floats(0.0, 0.2))
    return Battery(
        power_kw=power,
        energy_kwh=power * draw(st.floats(0.5, 6)),
        charge_power_kw=power * draw(st.floats(0.5, 1.5)),
        charge_efficiency=draw(st.floats(0.8, 1.0)),
        discharge_efficiency=draw(st.floats(0.8, 1.0)),
        soc_min_fraction=soc_min,
        soc_max_fraction=draw(st.floats(0.8, 1.0)),
        self_discharge_fraction_per_h=decay,
        degradation_cost_usd_per_kwh=draw(st.sampled_from([0.0, 0.02])),
        grid_charging=draw(st.booleans()),
    )


@st.composite
def problems(draw):
    battery = draw(batteries())
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    index = pd.date_range(pd.Timestamp("2024-06-03", tz=TZ), periods=N_HOURS, freq="1h")
    load = pd.Series(rng.uniform(0, 150, N_HOURS), index=index)
    pv = pd.Series(
        np.clip(np.sin((index.hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0, 120), index=index
    )
    low = draw(st.floats(0.02, 0.3))
    high = low + draw(st.floats(0.0, 0.5))
    sell = draw(st.floats(0.0, 1.0)) * low
    t = tariff(
        energy=energy_charges([low, high], ON_PEAK, sells=[sell, sell]),
        flat=flat_demand(draw(st.floats(0, 25))),
        tou=tou_demand([0.0, draw(st.floats(0, 20))], ON_PEAK),
        export=ExportMode.SELL_RATE,
    )
    soc0 = draw(st.floats(battery.soc_min_fraction, battery.soc_max_fraction))
    return battery, t, load, pv, soc0


@settings(max_examples=25)
@given(problems())
def test_schedule_respects_physics(problem):
    battery, t, load, pv, soc0 = problem
    # End at least at 0.6 of the initial stored energy (always reachable: self-discharge is
    # under 1 %/h, so 24 h keep more than 0.99**24 = 0.79 of it).
    end = TerminalSoc(
        mode=TerminalMode.MINIMUM, soc_fraction=max(battery.soc_min_fraction, 0.6 * soc0)
    )
    result = optimize_dispatch(
        battery=battery, tariff=t, load_kw=load, pv_kw=pv, initial_soc_fraction=soc0, terminal=end
    )
    s = result.schedule
    tol = 1e-6 * max(1.0, battery.power_kw, battery.energy_kwh)
    # Ratings and SOC window.
    assert (s["charge_kw"] >= -tol).all() and (
        s["charge_kw"] <= battery.charge_rating_kw + tol
    ).all()
    assert (s["discharge_kw"] >= -tol).all()
    assert (s["discharge_kw"] <= battery.discharge_rating_kw + tol).all()
    assert (s["soc_kwh"] >= battery.soc_min_kwh - tol).all()
    assert (s["soc_kwh"] <= battery.soc_max_kwh + tol).all()
    assert (s["grid_import_kw"] >= -tol).all() and (s["grid_export_kw"] >= -tol).all()
    # Energy balance at the meter at every step.
    net = load - pv + s["charge_kw"] - s["discharge_kw"]
    np.testing.assert_allclose(s["grid_import_kw"] - s["grid_export_kw"], net, atol=tol)
    # SOC recomputed from the schedule (second method).
    soc = recompute_soc(s, battery, 1.0, soc0 * battery.energy_kwh)
    np.testing.assert_allclose(s["soc_kwh"], soc, atol=10 * tol)
    # Never charging and discharging in the same step (MILP).
    assert not ((s["charge_kw"] > tol) & (s["discharge_kw"] > tol)).any()
    # No grid charging: charge only from PV.
    if not battery.grid_charging:
        assert (s["charge_kw"] <= pv + tol).all()
    # The terminal condition.
    assert s["soc_kwh"].iloc[-1] >= end.soc_fraction * battery.energy_kwh - tol


@settings(max_examples=20)
@given(problems())
def test_export_credit_never_raises_the_optimum(problem):
    # Enabling a non-negative export credit only adds a revenue term: the old optimum stays
    # feasible with a cost that can only fall, so the new optimum is never higher.
    battery, t, load, pv, soc0 = problem
    without = type(t)(
        name=t.name, energy=t.energy, flat_demand=t.flat_demand, tou_demand=t.tou_demand
    )
    args = {"battery": battery, "load_kw": load, "pv_kw": pv, "initial_soc_fraction": soc0}
    with_credit = optimize_dispatch(tariff=t, mip_rel_gap=1e-9, **args)
    without_credit = optimize_dispatch(tariff=without, mip_rel_gap=1e-9, **args)
    scale = max(1.0, abs(without_credit.objective_usd))
    assert with_credit.objective_usd <= without_credit.objective_usd + 1e-7 * scale


@settings(max_examples=20)
@given(problems())
def test_battery_never_raises_the_bill(problem):
    # A battery that may idle never costs more than no battery: idling is feasible when the
    # terminal condition asks for at least the initial SOC and there is no self-discharge
    # ... with self-discharge idling is not feasible, so compare the VALUED end at value 0.
    battery, t, load, pv, soc0 = problem
    result = optimize_dispatch(
        battery=battery,
        tariff=t,
        load_kw=load,
        pv_kw=pv,
        initial_soc_fraction=soc0,
        terminal=TerminalSoc(mode=TerminalMode.VALUED, value_usd_per_kwh=0.0),
        mip_rel_gap=1e-9,
    )
    net = (load - pv).to_numpy()
    imports, exports = np.clip(net, 0, None), np.clip(-net, 0, None)
    price = t.import_rate_usd_per_kwh(load.index)
    sell = t.sell_rate_usd_per_kwh(load.index)
    on_peak = t.tou_demand_period(load.index) == 1
    baseline = (
        price @ imports
        - sell @ exports
        + t.flat_demand.periods[0][0].rate_usd_per_kw * imports.max()
        + t.tou_demand.periods[1][0].rate_usd_per_kw * imports[on_peak].max()
    )
    assert result.objective_usd <= baseline + 1e-7 * max(1.0, abs(baseline))


@settings(max_examples=15)
@given(batteries(self_discharge=False), st.integers(0, 2**16), st.floats(1, 30))
def test_demand_charge_same_at_15_min_and_hourly_steps(battery, seed, rate):
    # Load constant within each hour, demand-only tariff: any hourly schedule repeated four
    # times is a 15-min schedule with the same peak, and averaging a 15-min schedule within
    # each hour gives an hourly one whose peak is no higher; so both optima are equal.
    rng = np.random.default_rng(seed)
    hourly = rng.uniform(10, 200, 12)
    start = pd.Timestamp("2024-06-03 08:00", tz=TZ)
    load_h = pd.Series(hourly, index=pd.date_range(start, periods=12, freq="1h"))
    load_q = pd.Series(np.repeat(hourly, 4), index=pd.date_range(start, periods=48, freq="15min"))
    t = tariff(flat=flat_demand(rate))
    end = TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=battery.soc_min_fraction)
    args = {"battery": battery, "tariff": t, "initial_soc_fraction": battery.soc_max_fraction}
    h = optimize_dispatch(load_kw=load_h, terminal=end, mip_rel_gap=1e-9, **args)
    q = optimize_dispatch(load_kw=load_q, terminal=end, mip_rel_gap=1e-9, **args)
    assert q.value_by_stream_usd["demand_flat"] == pytest.approx(
        h.value_by_stream_usd["demand_flat"], rel=1e-6
    )


@settings(max_examples=15)
@given(problems())
def test_relaxed_binaries_bound_the_milp_from_below(problem):
    # The LP relaxation allows everything the MILP allows (and more), so its optimum is
    # never higher.
    battery, t, load, pv, soc0 = problem
    end = TerminalSoc(mode=TerminalMode.VALUED, value_usd_per_kwh=0.0)
    args = {
        "battery": battery,
        "tariff": t,
        "load_kw": load,
        "pv_kw": pv,
        "initial_soc_fraction": soc0,
        "terminal": end,
        "mip_rel_gap": 1e-9,
    }
    relaxed = optimize_dispatch(relax_binaries=True, **args)
    milp = optimize_dispatch(**args)
    assert relaxed.objective_usd <= milp.objective_usd + 1e-7 * max(1.0, abs(milp.objective_usd))
