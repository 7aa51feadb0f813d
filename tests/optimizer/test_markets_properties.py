"""Properties of the market streams: adding a product never lowers the optimum; awards never
exceed what power and stored energy can deliver."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from markets.prices import ENERGY_DA, MarketPrices
from markets.products import Direction, Product
from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.model import DispatchModel
from optimizer.state import TerminalMode, TerminalSoc
from optimizer.streams.capacity import CapacityStream
from optimizer.streams.wholesale import WholesaleEnergyStream

FOM = Tariff(name="front of the meter")
N = 6
INDEX = pd.date_range("2024-07-01", periods=N, freq="1h", tz="America/New_York")
TOL = 1e-6

prices_st = st.lists(st.floats(0.0, 0.05), min_size=N, max_size=N)
energy_st = st.lists(st.floats(-0.02, 0.3), min_size=N, max_size=N)
battery_st = st.builds(
    lambda p, hours, eff, soc_min: Battery(
        power_kw=p,
        energy_kwh=p * hours,
        charge_efficiency=eff,
        discharge_efficiency=eff,
        soc_min_fraction=soc_min,
    ),
    st.floats(10, 200),
    st.floats(0.5, 4),
    st.floats(0.8, 1.0),
    st.floats(0.0, 0.2),
)


def _product(name, direction, duration_h, fraction):
    return Product(
        name=name,
        direction=direction,
        price_column=f"{name}_usd_per_kw_h",
        duration_h=duration_h,
        deployed_energy_fraction=fraction,
        deployed_energy_price_column=ENERGY_DA,
    )


def _solve(battery, streams, prices):
    model = DispatchModel(
        battery=battery, tariff=FOM, n_steps=N, freq="1h", streams=streams, mip_rel_gap=0.0
    )
    result = model.solve(
        load_kw=pd.Series(0.0, index=INDEX),
        initial_soc_fraction=0.5,
        terminal=TerminalSoc(mode=TerminalMode.MINIMUM),
        stream_inputs={s.name: prices for s in streams},
    )
    return model, result


def _awards(model, name):
    # The award variable of a capacity stream's block (read after the solve).
    block = model._blocks[name]
    return np.array([v.value for v in block.award_kw.values()], dtype=float)


@settings(max_examples=12)
@given(
    battery=battery_st,
    energy=energy_st,
    reg=prices_st,
    spin=prices_st,
    fraction=st.floats(0.0, 0.3),
    duration=st.sampled_from([0.25, 0.5, 1.0, 4.0]),
)
def test_adding_a_product_never_lowers_the_optimum(battery, energy, reg, spin, fraction, duration):
    prices = MarketPrices(
        frame=pd.DataFrame(
            {ENERGY_DA: energy, "reg_up_usd_per_kw_h": reg, "spin_usd_per_kw_h": spin},
            index=INDEX,
        )
    )
    base = [
        WholesaleEnergyStream(),
        CapacityStream(_product("reg_up", Direction.UP, 1.0, fraction)),
    ]
    extra = CapacityStream(_product("spin", Direction.UP, duration, 0.0))
    _, without = _solve(battery, base, prices)
    _, with_spin = _solve(battery, [*base, extra], prices)
    # the objective is a cost: more products can only lower (or keep) it
    assert with_spin.objective_usd <= without.objective_usd + TOL * (1 + abs(without.objective_usd))


@settings(max_examples=12)
@given(
    battery=battery_st,
    energy=energy_st,
    up=prices_st,
    down=prices_st,
    sym=prices_st,
    reserve=prices_st,
    fraction=st.floats(0.0, 0.3),
    duration=st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0]),
)
def test_awards_never_exceed_power_and_energy(
    battery, energy, up, down, sym, reserve, fraction, duration
):
    prices = MarketPrices(
        frame=pd.DataFrame(
            {
                ENERGY_DA: energy,
                "reg_up_usd_per_kw_h": up,
                "reg_down_usd_per_kw_h": down,
                "reg_usd_per_kw_h": sym,
                "nonspin_usd_per_kw_h": reserve,
            },
            index=INDEX,
        )
    )
    products = [
        _product("reg_up", Direction.UP, 1.0, fraction),
        _product("reg_down", Direction.DOWN, 1.0, fraction),
        _product("reg", Direction.SYMMETRIC, 0.5, fraction),
        _product("nonspin", Direction.UP, duration, 0.0),
    ]
    streams = [WholesaleEnergyStream()] + [CapacityStream(p) for p in products]
    model, result = _solve(battery, streams, prices)
    sched = result.schedule
    c = sched["charge_kw"].to_numpy()
    d = sched["discharge_kw"].to_numpy()
    soc_end = sched["soc_kwh"].to_numpy()
    soc_start = np.concatenate([[0.5 * battery.energy_kwh], soc_end[:-1]])
    awards = {p.name: _awards(model, p.name) for p in products}
    assert all((a >= -TOL).all() for a in awards.values())
    up_kw = sum(awards[p.name] for p in products if p.direction.covers_up)
    down_kw = sum(awards[p.name] for p in products if p.direction.covers_down)
    up_kwh = sum(awards[p.name] * p.duration_h for p in products if p.direction.covers_up)
    down_kwh = sum(awards[p.name] * p.duration_h for p in products if p.direction.covers_down)
    scale = TOL * (1 + battery.power_kw)
    # power: what is left of the rating after the schedule, in each direction
    assert (d - c + up_kw <= battery.discharge_rating_kw + scale).all()
    assert (c - d + down_kw <= battery.charge_rating_kw + scale).all()
    # energy, at both ends of every step
    for soc in (soc_start, soc_end):
        deliverable = battery.discharge_efficiency * (soc - battery.soc_min_kwh)
        storable = (battery.soc_max_kwh - soc) / battery.charge_efficiency
        assert (up_kwh <= deliverable + scale).all()
        assert (down_kwh <= storable + scale).all()
    # the SOC moved by the expected deployed energy (checked from the schedule alone)
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    deployed = sum(
        awards[p.name]
        * fraction
        * (
            (eta_c if p.direction.covers_down else 0.0)
            - (1 / eta_d if p.direction.covers_up else 0.0)
        )
        for p in products[:3]
    )
    np.testing.assert_allclose(
        soc_end - soc_start, eta_c * c - d / eta_d + deployed, atol=1e-5 * (1 + battery.energy_kwh)
    )
