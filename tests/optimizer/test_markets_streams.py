"""Hand-computed cases of the wholesale, capacity and demand-response streams."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from markets.iso_presets import ercot, pjm
from markets.prices import ENERGY_DA, MarketPrices
from markets.products import Direction, Product
from markets.tariff import DemandTier, FlatDemandCharges, Tariff
from optimizer.battery import Battery
from optimizer.dispatch import optimize_dispatch
from optimizer.model import DispatchModel
from optimizer.state import TerminalMode, TerminalSoc
from optimizer.streams.capacity import CapacityStream
from optimizer.streams.demand_response import (
    DemandResponseEvent,
    DemandResponseEvents,
    DemandResponseStream,
)
from optimizer.streams.wholesale import WholesaleEnergyStream

FOM = Tariff(name="front of the meter")
FIXED = TerminalSoc(mode=TerminalMode.FIXED)
TZ = "America/Chicago"


def _index(n: int, freq: str = "1h") -> pd.DatetimeIndex:
    return pd.date_range("2024-07-01", periods=n, freq=freq, tz=TZ)


def _prices(index: pd.DatetimeIndex, **columns) -> MarketPrices:
    return MarketPrices(frame=pd.DataFrame(columns, index=index))


def _product(name, direction, duration_h, fraction=0.0, energy_column=None):
    return Product(
        name=name,
        direction=direction,
        price_column=f"{name}_usd_per_kw_h",
        duration_h=duration_h,
        deployed_energy_fraction=fraction,
        deployed_energy_price_column=energy_column,
    )


def _solve(battery, index, streams, prices, *, load=0.0, tariff=FOM, terminal=FIXED, soc=0.5):
    return optimize_dispatch(
        battery=battery,
        tariff=tariff,
        load_kw=pd.Series(load, index=index),
        initial_soc_fraction=soc,
        terminal=terminal,
        streams=streams,
        stream_inputs={s.name: prices for s in streams},
    )


def test_wholesale_arbitrage_by_hand():
    # 100 kW / 100 kWh, 90 % each way, empty at the start, prices 0.02 then 0.10 $/kWh.
    # Charge c in hour 0 stores 0.9 c <= 100 (c <= 100 kW binds first); hour 1 delivers
    # 0.9 * 0.9 c = 81 kWh. Revenue = 0.10 * 81 - 0.02 * 100 = 6.1 $.
    battery = Battery(power_kw=100, energy_kwh=100, charge_efficiency=0.9, discharge_efficiency=0.9)
    index = _index(2)
    prices = _prices(index, energy_da_usd_per_kwh=[0.02, 0.10])
    result = _solve(
        battery,
        index,
        [WholesaleEnergyStream()],
        prices,
        soc=0.0,
        terminal=TerminalSoc(mode=TerminalMode.MINIMUM),
    )
    assert result.value_by_stream_usd["wholesale_energy"] == pytest.approx(-6.1, abs=1e-6)
    assert result.schedule["discharge_kw"].iloc[1] == pytest.approx(81.0, abs=1e-6)


def test_idle_battery_regulation_revenue_by_hand():
    # One hour, SOC held fixed at 50 % (200 kWh), lossless: the battery is idle (c = d = 0).
    # Up award <= 100 kW (headroom) and <= 200 kWh / 1 h; down <= 100 kW and <= 200 kWh / 1 h.
    # Revenue: 100 * 0.010 + 100 * 0.008 = 1.80 $.
    battery = Battery(power_kw=100, energy_kwh=400, charge_efficiency=1, discharge_efficiency=1)
    index = _index(1)
    up = _product("reg_up", Direction.UP, 1.0)
    down = _product("reg_down", Direction.DOWN, 1.0)
    prices = _prices(index, reg_up_usd_per_kw_h=[0.010], reg_down_usd_per_kw_h=[0.008])
    result = _solve(battery, index, [CapacityStream(up), CapacityStream(down)], prices)
    assert result.value_by_stream_usd["reg_up"] == pytest.approx(-1.0, abs=1e-9)
    assert result.value_by_stream_usd["reg_down"] == pytest.approx(-0.8, abs=1e-9)
    assert result.schedule[["charge_kw", "discharge_kw"]].abs().max().max() < 1e-9


@pytest.mark.parametrize(("duration_h", "award_kw"), [(1.0, 45.0), (4.0, 11.25), (0.25, 100.0)])
def test_duration_rule_binds(duration_h, award_kw):
    # 100 kW / 100 kWh at 50 %, discharge efficiency 0.9: 0.9 * 50 = 45 kWh deliverable.
    # Award <= min(100 kW, 45 / duration): 45 (1 h), 11.25 (4 h), 100 (15 min: power binds).
    battery = Battery(power_kw=100, energy_kwh=100, charge_efficiency=1, discharge_efficiency=0.9)
    index = _index(1)
    product = _product("ecrs", Direction.UP, duration_h)
    result = _solve(
        battery, index, [CapacityStream(product)], _prices(index, ecrs_usd_per_kw_h=[0.02])
    )
    assert -result.value_by_stream_usd["ecrs"] == pytest.approx(0.02 * award_kw, abs=1e-9)


def test_three_stacked_products_share_one_headroom():
    # 100 kW / 200 kWh at 50 % (100 kWh), lossless, one hour, idle.
    # reg_up 0.5 h at 0.010, spin 1 h at 0.012, nonspin 4 h at 0.030 [$/kW/h].
    # One headroom: a1 + a2 + a3 <= 100; one energy row: 0.5 a1 + a2 + 4 a3 <= 100.
    # LP optimum at the vertex a1 = 600/7, a3 = 100/7, a2 = 0 (checked against every other
    # vertex: a3 = 25 alone 0.75; a2 = 100 alone 1.20; a1 = 100 alone 1.00; a1 + a3 1.2857):
    # revenue = 0.010 * 600/7 + 0.030 * 100/7 = 9/7 $.
    # Each alone (its own headroom) would earn 1.00 + 1.20 + 0.75 = 2.95 $: never reached.
    battery = Battery(power_kw=100, energy_kwh=200, charge_efficiency=1, discharge_efficiency=1)
    index = _index(1)
    products = [
        _product("reg_up", Direction.UP, 0.5),
        _product("spin", Direction.UP, 1.0),
        _product("nonspin", Direction.UP, 4.0),
    ]
    prices = _prices(
        index, reg_up_usd_per_kw_h=[0.010], spin_usd_per_kw_h=[0.012], nonspin_usd_per_kw_h=[0.030]
    )
    stacked = _solve(battery, index, [CapacityStream(p) for p in products], prices)
    assert -stacked.objective_usd == pytest.approx(9 / 7, abs=1e-9)
    assert -stacked.value_by_stream_usd["reg_up"] == pytest.approx(6 / 7, abs=1e-9)
    assert -stacked.value_by_stream_usd["nonspin"] == pytest.approx(3 / 7, abs=1e-9)
    alone = sum(
        -_solve(battery, index, [CapacityStream(p)], prices).objective_usd for p in products
    )
    assert alone == pytest.approx(2.95, abs=1e-9)


def test_symmetric_award_uses_both_directions():
    # A symmetric 1 h product on 100 kW / 400 kWh at 25 % (100 kWh), lossless, idle:
    # up energy 100 kWh -> 100 kW; down room 300 kWh; headroom 100 each way: award 100.
    # Adding separate reg_up at a higher price must take kW from the symmetric award:
    # up headroom a_sym + a_up <= 100, so the optimum is a_up = 100, a_sym = 0 when
    # reg_up pays 0.02 > sym 0.015.
    battery = Battery(power_kw=100, energy_kwh=400, charge_efficiency=1, discharge_efficiency=1)
    index = _index(1)
    sym = _product("reg", Direction.SYMMETRIC, 1.0)
    up = _product("reg_up", Direction.UP, 1.0)
    prices = _prices(index, reg_usd_per_kw_h=[0.015], reg_up_usd_per_kw_h=[0.02])
    alone = _solve(battery, index, [CapacityStream(sym)], prices, soc=0.25)
    assert -alone.objective_usd == pytest.approx(1.5, abs=1e-9)
    both = _solve(battery, index, [CapacityStream(sym), CapacityStream(up)], prices, soc=0.25)
    assert -both.objective_usd == pytest.approx(2.0, abs=1e-9)


def test_deployed_energy_moves_soc_and_meter():
    # reg_down with f = 0.2, settled at 0.03 $/kWh, capacity 0.010 $/kW/h; lossless
    # 100 kW / 400 kWh at 50 %, SOC fixed over one hour. The expected deployment stores 0.2 a,
    # which a discharge d must offset: d - c = 0.2 a; headroom c - d + a <= 100 gives
    # a <= 100 + 0.2 a, a = 125 kW, d = 25 kW. The meter nets to zero (d out, 0.2 a in).
    # Revenue 125 * (0.010 - 0.2 * 0.03) = 0.5 $.
    battery = Battery(power_kw=100, energy_kwh=400, charge_efficiency=1, discharge_efficiency=1)
    index = _index(1)
    product = _product("reg_down", Direction.DOWN, 1.0, fraction=0.2, energy_column=ENERGY_DA)
    prices = _prices(index, reg_down_usd_per_kw_h=[0.010], energy_da_usd_per_kwh=[0.03])
    result = _solve(battery, index, [CapacityStream(product)], prices)
    assert -result.objective_usd == pytest.approx(0.5, abs=1e-9)
    sched = result.schedule.iloc[0]
    assert sched["discharge_kw"] == pytest.approx(25.0, abs=1e-6)
    assert sched["soc_kwh"] == pytest.approx(200.0, abs=1e-6)
    assert sched["grid_import_kw"] - sched["grid_export_kw"] == pytest.approx(0.0, abs=1e-6)


def test_behind_the_meter_reserve_cannot_set_a_new_peak():
    # 50 kW flat load, 10 $/kW monthly demand charge, idle battery (SOC fixed, one hour).
    # A deployed down award adds to the meter: peak >= 50 + a. At 0.01 $/kW/h the award
    # costs 10 $/kW of peak for 0.01 $ of revenue: a = 0; demand cost 500 $.
    # Front of the meter (no demand charge) the same product earns 100 * 0.01 = 1 $.
    battery = Battery(power_kw=100, energy_kwh=400, charge_efficiency=1, discharge_efficiency=1)
    tariff = Tariff(
        name="demand only",
        flat_demand=FlatDemandCharges(
            periods=((DemandTier(max_kw=math.inf, rate_usd_per_kw=10.0),),),
            month_periods=(0,) * 12,
        ),
    )
    index = _index(1)
    product = _product("reg_down", Direction.DOWN, 1.0)
    prices = _prices(index, reg_down_usd_per_kw_h=[0.01])
    btm = _solve(battery, index, [CapacityStream(product)], prices, load=50.0, tariff=tariff)
    assert btm.value_by_stream_usd["reg_down"] == pytest.approx(0.0, abs=1e-9)
    assert btm.objective_usd == pytest.approx(500.0, abs=1e-6)
    fom = _solve(battery, index, [CapacityStream(product)], prices, load=50.0)
    assert -fom.value_by_stream_usd["reg_down"] == pytest.approx(1.0, abs=1e-9)


def test_no_export_site_limits_up_awards_to_its_load():
    # 30 kW load, export limit 0, idle battery: fully deployed up award a puts the meter at
    # 30 - a >= 0, so a <= 30 kW: revenue 0.3 $ (100 kW, 1.0 $, with exports allowed).
    index = _index(1)
    product = _product("spin", Direction.UP, 1.0)
    prices = _prices(index, spin_usd_per_kw_h=[0.01])
    kwargs = dict(power_kw=100, energy_kwh=400, charge_efficiency=1, discharge_efficiency=1)
    no_export = Battery(export_limit_kw=0.0, **kwargs)
    capped = _solve(no_export, index, [CapacityStream(product)], prices, load=30.0)
    assert -capped.objective_usd == pytest.approx(0.3, abs=1e-9)
    free = _solve(Battery(**kwargs), index, [CapacityStream(product)], prices, load=30.0)
    assert -free.objective_usd == pytest.approx(1.0, abs=1e-9)


def _events(index, committed_kw):
    return DemandResponseEvents(
        events=(
            DemandResponseEvent(
                start=index[1],
                end=index[3],
                committed_kw=committed_kw,
                capacity_usd_per_kw=5.0,
                energy_usd_per_kwh=0.5,
                shortfall_usd_per_kwh=1.0,
            ),
        )
    )


@pytest.mark.parametrize(("committed_kw", "value_usd"), [(80.0, 480.0), (150.0, 750.0)])
def test_demand_response_event_by_hand(committed_kw, value_usd):
    # Event hours 1-2 of 4. 80 kW: delivered in full (charge free in hour 0, 160 kWh out,
    # recharge in hour 3): 5 * 80 + 0.5 * 160 = 480 $.
    # 150 kW on a 100 kW battery: 100 kW delivered; 5 * 150 + 0.5 * 200 - 1 * (300 - 200) = 750.
    battery = Battery(power_kw=100, energy_kwh=400, charge_efficiency=1, discharge_efficiency=1)
    index = _index(4)
    result = optimize_dispatch(
        battery=battery,
        tariff=FOM,
        load_kw=pd.Series(0.0, index=index),
        terminal=TerminalSoc(mode=TerminalMode.MINIMUM),
        streams=[DemandResponseStream()],
        stream_inputs={"demand_response": _events(index, committed_kw)},
    )
    assert -result.value_by_stream_usd["demand_response"] == pytest.approx(value_usd, abs=1e-6)


def test_demand_response_event_must_sit_on_the_grid():
    index = _index(4)
    bad = DemandResponseEvents(
        events=(
            DemandResponseEvent(
                start=index[1] + pd.Timedelta(minutes=30), end=index[3], committed_kw=10.0
            ),
        )
    )
    with pytest.raises(InputError, match="grid"):
        optimize_dispatch(
            battery=Battery(power_kw=100, energy_kwh=400),
            tariff=FOM,
            load_kw=pd.Series(0.0, index=index),
            streams=[DemandResponseStream()],
            stream_inputs={"demand_response": bad},
        )
    with pytest.raises(InputError, match="start"):
        DemandResponseEvents(
            events=(
                DemandResponseEvent(start=index[0], end=index[2], committed_kw=1.0),
                DemandResponseEvent(start=index[1], end=index[3], committed_kw=1.0),
            )
        )


def test_market_streams_reject_missing_or_misaligned_prices():
    battery = Battery(power_kw=100, energy_kwh=400)
    index = _index(4)
    stream = CapacityStream(ercot().product("ecrs"))
    load = pd.Series(0.0, index=index)
    with pytest.raises(InputError, match="MarketPrices"):
        optimize_dispatch(battery=battery, tariff=FOM, load_kw=load, streams=[stream])
    quarter = _prices(
        _index(16, "15min"), ecrs_usd_per_kw_h=[0.01] * 16, energy_rt_usd_per_kwh=[0.0] * 16
    )
    with pytest.raises(InputError, match="step"):
        optimize_dispatch(
            battery=battery,
            tariff=FOM,
            load_kw=load,
            streams=[stream],
            stream_inputs={"ecrs": quarter},
        )
    short = _prices(index[:2], ecrs_usd_per_kw_h=[0.01] * 2, energy_rt_usd_per_kwh=[0.0] * 2)
    with pytest.raises(InputError, match="not in the prices"):
        optimize_dispatch(
            battery=battery,
            tariff=FOM,
            load_kw=load,
            streams=[stream],
            stream_inputs={"ecrs": short},
        )
    no_rt = _prices(index, ecrs_usd_per_kw_h=[0.01] * 4)
    with pytest.raises(InputError, match="energy_rt_usd_per_kwh"):
        optimize_dispatch(
            battery=battery,
            tariff=FOM,
            load_kw=load,
            streams=[stream],
            stream_inputs={"ecrs": no_rt},
        )
    with pytest.raises(InputError):
        WholesaleEnergyStream(price_column="reg_up_usd_per_kw_h")


def test_pjm_symmetric_regulation_with_performance_by_hand():
    # PJM preset, mileage ratio 3, score 0.9; idle lossless battery 100 kW / 400 kWh at 50 %.
    # The symmetric award needs 100 kW each way (headroom) and 50 kWh each way for 0.5 h:
    # award 100 kW. Rate 0.010 * 0.9 + 0.002 * 3 * 0.9 = 0.0144 $/kW/h -> 1.44 $ in one hour.
    battery = Battery(power_kw=100, energy_kwh=400, charge_efficiency=1, discharge_efficiency=1)
    index = _index(1)
    reg = pjm(mileage_ratio=3.0, performance_score_fraction=0.9, regulation_deployed_fraction=0.0)
    product = reg.product("reg")
    prices = _prices(
        index,
        reg_usd_per_kw_h=[0.010],
        reg_mileage_usd_per_kw=[0.002],
        energy_rt_usd_per_kwh=[0.05],
    )
    result = _solve(battery, index, [CapacityStream(product)], prices)
    assert -result.value_by_stream_usd["reg"] == pytest.approx(1.44, abs=1e-9)


def test_resolving_one_model_with_new_prices_matches_a_fresh_solve():
    # Build once, solve week-day A then B: B must equal a fresh one-shot solve of B (no
    # state from A survives in the stream blocks).
    battery = Battery(power_kw=50, energy_kwh=100)
    index_a = _index(24)
    index_b = index_a + pd.Timedelta(days=1)
    rng = np.random.default_rng(7)
    product = _product("reg_up", Direction.UP, 1.0, fraction=0.1, energy_column=ENERGY_DA)

    def prices_on(index):
        return _prices(
            index,
            energy_da_usd_per_kwh=rng.uniform(-0.01, 0.2, len(index)),
            reg_up_usd_per_kw_h=rng.uniform(0, 0.03, len(index)),
        )

    prices_a, prices_b = prices_on(index_a), prices_on(index_b)
    streams = [WholesaleEnergyStream(), CapacityStream(product)]
    model = DispatchModel(battery=battery, tariff=FOM, n_steps=24, freq="1h", streams=streams)
    for index, prices in ((index_a, prices_a), (index_b, prices_b)):
        reused = model.solve(
            load_kw=pd.Series(0.0, index=index),
            stream_inputs={s.name: prices for s in streams},
        )
    fresh = optimize_dispatch(
        battery=battery,
        tariff=FOM,
        load_kw=pd.Series(0.0, index=index_b),
        streams=streams,
        stream_inputs={s.name: prices_b for s in streams},
    )
    # objective values, not schedules or per-stream splits: a MILP may have several optima
    assert reused.objective_usd == pytest.approx(fresh.objective_usd, rel=1e-6, abs=1e-6)
