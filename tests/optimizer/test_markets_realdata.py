"""Reduced real-data market runs (one week each), checked against independent figures.

* DER-VET 2017: with no deployed energy, an idle 1 MW / 4 MWh battery can hold 1 MW of
  regulation up and 1 MW down every hour (energy: 1 MWh each way fits in 2 MWh stored and 2 MWh
  of room), and the shared headroom caps up + down at 2 MW; the file's regulation-up and
  -down prices are equal, so the optimum is exactly 1000 kW x the sum of both price columns,
  summed here straight from the CSV.
* ERCOT and SPP: the optimum equals that of a second, independent formulation written below
  directly as a HiGHS MILP from the equations in the streams' docstrings.
"""

from __future__ import annotations

import csv

import highspy
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from markets.iso_presets import spp
from markets.loaders import read_dervet_hourly, read_ercot_interval_csv, read_spp_da_mcp_csv
from markets.prices import ENERGY_DA, ENERGY_RT, MarketPrices
from markets.products import Direction, Product
from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.dispatch import optimize_dispatch
from optimizer.state import TerminalMode, TerminalSoc
from optimizer.streams.capacity import CapacityStream
from optimizer.streams.wholesale import WholesaleEnergyStream

FOM = Tariff(name="front of the meter")
TERMINAL = TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.5)


def _dispatch(battery, prices, streams):
    return optimize_dispatch(
        battery=battery,
        tariff=FOM,
        load_kw=pd.Series(0.0, index=prices.index),
        initial_soc_fraction=0.5,
        terminal=TERMINAL,
        streams=streams,
        stream_inputs={s.name: prices for s in streams},
        mip_rel_gap=0.0,
    )


def reference_objective(battery, prices, energy_column, products):
    """Independent MILP: columns c, d, s, u per step, then one award column per product/step.

    Solves the LP relaxation first and the MILP only if the relaxed optimum charges and
    discharges in the same step.
    """
    n = len(prices.index)
    dt = prices.dt_h
    pc, pd_ = battery.charge_rating_kw, battery.discharge_rating_kw
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    smin, smax, s0 = battery.soc_min_kwh, battery.soc_max_kwh, 0.5 * battery.energy_kwh
    k = len(products)
    col = {name: i * n for i, name in enumerate(["c", "d", "s", "u"])}
    award_col = [(4 + j) * n for j in range(k)]
    n_cols = (4 + k) * n
    cost = np.zeros(n_cols)
    lower = np.zeros(n_cols)
    upper = np.concatenate(
        [np.full(n, pc), np.full(n, pd_), np.full(n, smax), np.ones(n)] + [np.full(n, pc + pd_)] * k
    )
    lower[col["s"] : col["s"] + n] = smin
    steps = np.arange(n)
    if energy_column is not None:
        p = prices.series(energy_column).to_numpy()
        cost[col["c"] + steps] += p * dt
        cost[col["d"] + steps] -= p * dt
    rows, cols, vals, lo, hi = [], [], [], [], []

    def row(entries, low, high):
        r = len(lo)
        for c_, v in entries:
            rows.append(r)
            cols.append(c_)
            vals.append(v)
        lo.append(low)
        hi.append(high)

    for j, prod in enumerate(products):
        rate = prod.revenue_rate_usd_per_kw_h(prices).to_numpy()
        f = prod.deployed_energy_fraction
        up = prod.direction.covers_up
        down = prod.direction.covers_down
        settle = np.zeros(n)
        if prod.deployed_energy_price_column is not None:
            settle = prices.series(prod.deployed_energy_price_column).to_numpy() * f * (up - down)
        cost[award_col[j] + steps] -= dt * (rate + settle)
    for t in steps:
        # s_t - s_{t-1} - eta_c dt c_t + dt/eta_d d_t - deployed = 0
        entries = [(col["s"] + t, 1.0), (col["c"] + t, -eta_c * dt), (col["d"] + t, dt / eta_d)]
        if t:
            entries.append((col["s"] + t - 1, -1.0))
        for j, prod in enumerate(products):
            f = prod.deployed_energy_fraction
            coef = f * dt * (eta_c * prod.direction.covers_down - prod.direction.covers_up / eta_d)
            if coef:
                entries.append((award_col[j] + t, -coef))
        rhs = 0.0 if t else s0
        row(entries, rhs, rhs)
        row([(col["c"] + t, 1.0), (col["u"] + t, -pc)], -np.inf, 0.0)
        row([(col["d"] + t, 1.0), (col["u"] + t, pd_)], -np.inf, pd_)
        ups = [j for j, p in enumerate(products) if p.direction.covers_up]
        downs = [j for j, p in enumerate(products) if p.direction.covers_down]
        if ups:
            row(
                [(col["d"] + t, 1.0), (col["c"] + t, -1.0)]
                + [(award_col[j] + t, 1.0) for j in ups],
                -np.inf,
                pd_,
            )
            for end in (0, 1):
                need = [(award_col[j] + t, -products[j].duration_h) for j in ups]
                if end or t:
                    s_col = col["s"] + (t if end else t - 1)
                    row([(s_col, eta_d)] + need, eta_d * smin, np.inf)
                else:
                    row(need, -eta_d * (s0 - smin), np.inf)
        if downs:
            row(
                [(col["c"] + t, 1.0), (col["d"] + t, -1.0)]
                + [(award_col[j] + t, 1.0) for j in downs],
                -np.inf,
                pc,
            )
            for end in (0, 1):
                need = [(award_col[j] + t, -products[j].duration_h) for j in downs]
                if end or t:
                    s_col = col["s"] + (t if end else t - 1)
                    row([(s_col, -1.0 / eta_c)] + need, -smax / eta_c, np.inf)
                else:
                    row(need, -(smax - s0) / eta_c, np.inf)
    row([(col["s"] + n - 1, 1.0)], s0, np.inf)
    matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(len(lo), n_cols))
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = len(lo)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.array(lo)
    lp.row_upper_ = np.array(hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    x = np.asarray(h.getSolution().col_value)
    c_val, d_val = x[col["c"] : col["c"] + n], x[col["d"] : col["d"] + n]
    if ((c_val > 1e-6) & (d_val > 1e-6)).any():
        # the relaxation charges and discharges at once: solve the MILP
        for t in steps:
            h.changeColIntegrality(int(col["u"] + t), highspy.HighsVarType.kInteger)
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    # else the relaxed optimum is feasible for the MILP (set u_t = 1 where c_t > 0), so optimal
    return h.getInfo().objective_function_value


def test_dervet_week_regulation_hits_its_bound(shared_data):
    path = shared_data / "dervet" / "hourly_timeseries.csv"
    prices = read_dervet_hourly(path, tz="Etc/GMT+8").prices
    week = prices.on(prices.index[:168])
    battery = Battery(power_kw=1000, energy_kwh=4000)
    products = [
        Product(name=name, direction=direction, price_column=f"{name}_usd_per_kw_h",
                duration_h=1.0, deployed_energy_fraction=0.0)
        for name, direction in (("reg_up", Direction.UP), ("reg_down", Direction.DOWN))
    ]  # fmt: skip
    result = _dispatch(battery, week, [CapacityStream(p) for p in products])
    with path.open() as f:
        rows = list(csv.DictReader(f))[:168]
    # $/MW/h in the file -> x 1000 kW / 1000 = the file's number per hour, for each direction
    bound = sum(float(r["Reg Up Price ($/kW)"]) + float(r["Reg Down Price ($/kW)"]) for r in rows)
    assert -result.objective_usd == pytest.approx(bound, rel=1e-9)


def test_ercot_week_arbitrage_matches_reference(shared_data):
    path = shared_data / "markets" / "ercot_hb_south_2024_2025" / "interval_analysis_20240601.csv"
    prices = read_ercot_interval_csv(path, repair_dst=True)
    week = prices.on(prices.index[: 7 * 96])
    battery = Battery(power_kw=1000, energy_kwh=2000)
    for column in (ENERGY_DA, ENERGY_RT):
        result = _dispatch(battery, week, [WholesaleEnergyStream(price_column=column)])
        expected = reference_objective(battery, week, column, [])
        assert result.objective_usd == pytest.approx(expected, rel=1e-7, abs=1e-4)
        # arbitrage earns something, and never more than a full cycle a day at the week's
        # highest minus lowest price (a loose, independent upper bound)
        spread = week.series(column).max() - week.series(column).min()
        assert 0 < -result.objective_usd < 7 * 2000 * spread


def test_spp_week_ancillary_matches_reference(shared_data):
    path = shared_data / "markets" / "spp_ancillary_2022" / "SPP_DA_MCP_2022-02_2022-03.csv"
    prices = read_spp_da_mcp_csv(path, reserve_zone="1")
    frame = prices.frame.iloc[:168].copy()
    frame[ENERGY_DA] = 0.030  # flat assumed energy price (no SPP energy prices in the data)
    week = MarketPrices(frame=frame)
    battery = Battery(power_kw=1000, energy_kwh=2000)
    products = spp(deployed_energy_price_column=ENERGY_DA).products
    streams = [WholesaleEnergyStream()] + [CapacityStream(p) for p in products]
    result = _dispatch(battery, week, streams)
    expected = reference_objective(battery, week, ENERGY_DA, list(products))
    assert result.objective_usd == pytest.approx(expected, rel=1e-7, abs=1e-4)
    assert -result.value_by_stream_usd["reg_up"] > 0
