"""Continuous battery sizing on perfect foresight: an LP with power and energy as variables.

The cross-check of the sizing grid (:mod:`sims.sizing`), in the style of REopt: one linear
program over the simulated period with the battery's power ``P`` [kW] and energy ``E`` [kWh] as
decision variables next to the dispatch, and the capital cost annualized into the objective.

Dispatch (step ``t``, ``dt`` hours; ``c``, ``d`` charge and discharge, ``s`` stored energy)::

    0 <= c_t <= P,  0 <= d_t <= P,  soc_min E <= s_t <= soc_max E,
    s_{t+1} = r s_t + (eta_c c_t - d_t / eta_d) dt,  s_0 = init E,  s_T >= s_0,
    imp_t - exp_t = load_t - (pv_t - curt_t) + c_t - d_t,  imp, exp >= 0,  0 <= curt_t <= pv_t

Bill (the tariff's first tiers): energy ``sum rate_t imp_t dt - sell_t exp_t dt``; a peak
variable per billing month (flat demand) and per month and TOU demand period, each ``>=`` the
import of its intervals, priced at the period's first-tier rate.

Finance (:class:`sims.finance.FinanceInputs`, no fade): with the discount rate ``i``, ``n``
years, the present-worth factor ``PWF(g) = sum_{y=1..n} (1+g)^(y-1) / (1+i)^y``, the tax rate
``tau``, the ITC and MACRS, the project NPV is linear in the first-year savings ``S``, ``P`` and
``E``::

    NPV = (1 - tau) PWF(g_s) S - k (c_kw P + c_kwh E + c_fixed)
          - (1 - tau) PWF(g_om) (om_kw P + om_kwh E)
    k = 1 - itc / (1 + i) - tau (1 - itc / 2) sum_y macrs_y / (1 + i)^y   (MACRS only)

so maximizing NPV is minimizing ``annual bill + a_kw P + a_kwh E`` with the annualized costs
``a_kw = (k c_kw + (1 - tau) PWF(g_om) om_kw) / ((1 - tau) PWF(g_s))`` (and ``a_kwh`` alike).
With no tax, ITC or escalation, ``1 / PWF(0)`` is the capital recovery factor
``i / (1 - (1 + i)^-n)``: REopt's annualization. The LP lacks capacity fade, replacement and
augmentation, tiered rates, ratchets and the fixed capex (a fixed cost makes the choice
"no battery vs. some" non-convex); :class:`LPSizing` lists what applied to the case.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from core.errors import InputError, SolverError
from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.compile import compile_to_highs
from sims.finance import MACRS_5_YEAR_FRACTIONS, FinanceInputs

__all__ = ["AnnualizedCosts", "LPSizing", "annualized_costs", "capital_recovery_factor", "size_lp"]

logger = logging.getLogger(__name__)

_HOURS_PER_YEAR = 8766.0


def capital_recovery_factor(rate_fraction: float, years: int) -> float:
    """``i / (1 - (1 + i)^-n)``; ``1 / n`` at ``i = 0`` [1/yr]."""
    if rate_fraction == 0:
        return 1.0 / years
    return rate_fraction / (1.0 - (1.0 + rate_fraction) ** -years)


def _pwf(rate: float, escalation: float, years: int) -> float:
    y = np.arange(1, years + 1)
    return float(np.sum((1 + escalation) ** (y - 1) / (1 + rate) ** y))


@dataclass(frozen=True, kw_only=True)
class AnnualizedCosts:
    """The finance of the LP (see the module docstring).

    Parameters
    ----------
    usd_per_kw_year, usd_per_kwh_year : float
        Annualized capex plus O&M per kW and per kWh [$/kW-yr], [$/kWh-yr].
    savings_value_factor : float
        ``(1 - tau) PWF(g_s)``: NPV of $1 of first-year savings [-].
    capex_factor : float
        ``k``: after ITC and the MACRS tax shield, per $ of capex [-].
    om_value_factor : float
        ``(1 - tau) PWF(g_om)`` [-].
    crf : float
        The plain capital recovery factor at the discount rate and life [1/yr].
    """

    usd_per_kw_year: float
    usd_per_kwh_year: float
    savings_value_factor: float
    capex_factor: float
    om_value_factor: float
    crf: float

    def npv_usd(
        self, fin: FinanceInputs, *, power_kw: float, energy_kwh: float, savings_usd: float
    ) -> float:
        """NPV of a size with first-year savings ``savings_usd``, as the LP prices it [$]."""
        capex = fin.capex_usd_per_kw * power_kw + fin.capex_usd_per_kwh * energy_kwh
        if power_kw > 0 or energy_kwh > 0:
            capex += fin.capex_fixed_usd
        om = fin.om_usd_per_kw_year * power_kw + fin.om_usd_per_kwh_year * energy_kwh
        return (
            self.savings_value_factor * savings_usd
            - self.capex_factor * capex
            - self.om_value_factor * om
        )


def annualized_costs(fin: FinanceInputs) -> AnnualizedCosts:
    """Annualized cost per kW and per kWh of a battery under ``fin`` (no fade)."""
    i, n, tau = fin.discount_rate_fraction, fin.analysis_years, fin.tax_rate_fraction
    savings_value = (1 - tau) * _pwf(i, fin.savings_escalation_fraction, n)
    om_value = (1 - tau) * _pwf(i, fin.om_escalation_fraction, n)
    k = 1.0 - fin.itc_fraction / (1 + i)
    if fin.macrs:
        shield = sum(f / (1 + i) ** (y + 1) for y, f in enumerate(MACRS_5_YEAR_FRACTIONS[:n]))
        k -= tau * (1 - fin.itc_fraction / 2) * shield
    if savings_value <= 0:
        raise InputError("finance.tax_rate_fraction", tau, "a tax rate below 1")
    return AnnualizedCosts(
        usd_per_kw_year=(k * fin.capex_usd_per_kw + om_value * fin.om_usd_per_kw_year)
        / savings_value,
        usd_per_kwh_year=(k * fin.capex_usd_per_kwh + om_value * fin.om_usd_per_kwh_year)
        / savings_value,
        savings_value_factor=savings_value,
        capex_factor=k,
        om_value_factor=om_value,
        crf=capital_recovery_factor(i, n),
    )


@dataclass(frozen=True, kw_only=True)
class LPSizing:
    """The LP's optimal size and what it is worth.

    Parameters
    ----------
    power_kw, energy_kwh : float
        Optimal power [kW] and energy [kWh] (0 when no battery pays).
    duration_h : float
        ``energy_kwh / power_kw`` [h] (NaN at zero power).
    baseline_cost_usd, battery_cost_usd : float
        The LP's bill (energy and demand, first tiers) of the period without and with the
        optimal battery [$].
    first_year_savings_usd : float
        ``(baseline - battery) x 8766 / simulated hours`` [$/yr].
    npv_usd : float
        The LP's NPV of the optimal size (:meth:`AnnualizedCosts.npv_usd`) [$].
    costs : AnnualizedCosts
        The annualization used.
    n_steps : int
        Steps of the LP.
    step_h : float
        Its step [h].
    build_s, solve_s : float
        Wall time of the Pyomo build (and compile) and of the HiGHS solve [s].
    notes : tuple of str
        Where the LP differs from the backtest's settlement and finance.
    """

    power_kw: float
    energy_kwh: float
    duration_h: float
    baseline_cost_usd: float
    battery_cost_usd: float
    first_year_savings_usd: float
    npv_usd: float
    costs: AnnualizedCosts
    n_steps: int
    step_h: float
    build_s: float
    solve_s: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Bill:
    """Per-step prices and the demand groups of the LP's bill."""

    import_rate: np.ndarray
    sell_rate: np.ndarray
    groups: list[tuple[float, np.ndarray]]  # (rate $/kW, step indexes) per peak variable


def _first_rate(tiers) -> float:
    return float(tiers[0].rate_usd_per_kw)


def lp_bill(tariff: Tariff, index: pd.DatetimeIndex) -> tuple[_Bill, list[str]]:
    """The tariff's first-tier prices on ``index`` and its demand groups, with notes."""
    notes: list[str] = []
    month = np.asarray(index.year, dtype=np.int64) * 12 + np.asarray(index.month) - 1
    groups: list[tuple[float, np.ndarray]] = []
    if tariff.flat_demand is not None:
        period = tariff.flat_demand_period(index)
        for m in np.unique(month):
            steps = np.flatnonzero(month == m)
            rate = _first_rate(tariff.flat_demand.periods[int(period[steps[0]])])
            if rate:
                groups.append((rate, steps))
        if any(len(t) > 1 for t in tariff.flat_demand.periods):
            notes.append("flat demand tiers: first-tier rate only")
    for charge in tariff.peak_charges():
        period = charge.period_of(tariff, index)
        for m in np.unique(month):
            for p in np.unique(period[month == m]):
                rate = _first_rate(charge.periods[int(p)])
                if rate:
                    groups.append((rate, np.flatnonzero((month == m) & (period == p))))
        if any(len(t) > 1 for t in charge.periods):
            notes.append(f"{charge.name} demand tiers: first-tier rate only")
    if tariff.energy is not None and tariff.energy.is_tiered:
        notes.append("energy tiers: first-tier rate only")
    if tariff.ratchet is not None:
        notes.append("demand ratchet not modelled")
    bill = _Bill(
        import_rate=tariff.import_rate_usd_per_kwh(index),
        sell_rate=tariff.sell_rate_usd_per_kwh(index),
        groups=groups,
    )
    return bill, notes


def bill_cost_usd(bill: _Bill, grid_kw: np.ndarray, dt_h: float) -> float:
    """The LP's bill of a metered import (positive) / export (negative) series [$]."""
    imp = np.maximum(grid_kw, 0.0)
    exp = np.maximum(-grid_kw, 0.0)
    energy = float(np.sum(bill.import_rate * imp - bill.sell_rate * exp) * dt_h)
    demand = sum(rate * float(imp[steps].max()) for rate, steps in bill.groups)
    return energy + demand


def _build(
    battery: Battery,
    bill: _Bill,
    load: np.ndarray,
    pv: np.ndarray,
    dt_h: float,
    scale: float,
    costs: AnnualizedCosts,
    initial_soc_fraction: float,
) -> pyo.ConcreteModel:
    n = len(load)
    m = pyo.ConcreteModel()
    m.T = pyo.RangeSet(0, n - 1)
    m.S = pyo.RangeSet(0, n)
    m.power = pyo.Var(within=pyo.NonNegativeReals)
    m.energy = pyo.Var(within=pyo.NonNegativeReals)
    m.c = pyo.Var(m.T, within=pyo.NonNegativeReals)
    m.d = pyo.Var(m.T, within=pyo.NonNegativeReals)
    m.s = pyo.Var(m.S, within=pyo.NonNegativeReals)
    imp_ub = battery.import_limit_kw if math.isfinite(battery.import_limit_kw) else None
    exp_ub = battery.export_limit_kw if math.isfinite(battery.export_limit_kw) else None
    m.imp = pyo.Var(m.T, bounds=(0, imp_ub))
    m.exp = pyo.Var(m.T, bounds=(0, exp_ub))
    m.curt = pyo.Var(m.T, bounds=lambda _, t: (0, float(pv[t])))
    m.peak = pyo.Var(range(len(bill.groups)), within=pyo.NonNegativeReals)
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    keep = battery.retention(dt_h)
    m.c_max = pyo.Constraint(m.T, rule=lambda m, t: m.c[t] <= m.power)
    m.d_max = pyo.Constraint(m.T, rule=lambda m, t: m.d[t] <= m.power)
    m.s_max = pyo.Constraint(m.S, rule=lambda m, t: m.s[t] <= battery.soc_max_fraction * m.energy)
    m.s_min = pyo.Constraint(m.S, rule=lambda m, t: m.s[t] >= battery.soc_min_fraction * m.energy)
    m.soc = pyo.Constraint(
        m.T,
        rule=lambda m, t: m.s[t + 1] == keep * m.s[t] + (eta_c * m.c[t] - m.d[t] / eta_d) * dt_h,
    )
    m.s_start = pyo.Constraint(expr=m.s[0] == initial_soc_fraction * m.energy)
    m.s_end = pyo.Constraint(expr=m.s[n] >= m.s[0])
    m.balance = pyo.Constraint(
        m.T,
        rule=lambda m, t: (
            m.imp[t] - m.exp[t] == float(load[t] - pv[t]) + m.curt[t] + m.c[t] - m.d[t]
        ),
    )
    if not battery.grid_charging:
        m.pv_only = pyo.Constraint(m.T, rule=lambda m, t: m.c[t] <= float(pv[t]) - m.curt[t])
    pairs = [(g, int(t)) for g, (_, steps) in enumerate(bill.groups) for t in steps]
    m.peak_set = pyo.Set(initialize=pairs, dimen=2)
    m.peak_min = pyo.Constraint(m.peak_set, rule=lambda m, g, t: m.peak[g] >= m.imp[t])
    wear = battery.degradation_cost_usd_per_kwh
    energy_cost = sum(
        float(bill.import_rate[t] * dt_h) * m.imp[t]
        - float(bill.sell_rate[t] * dt_h) * m.exp[t]
        + wear * dt_h * m.d[t]
        for t in range(n)
    )
    demand_cost = sum(rate * m.peak[g] for g, (rate, _) in enumerate(bill.groups))
    m.objective = pyo.Objective(
        expr=scale * (energy_cost + demand_cost)
        + costs.usd_per_kw_year * m.power
        + costs.usd_per_kwh_year * m.energy,
        sense=pyo.minimize,
    )
    return m


def _hourly(series: pd.Series) -> pd.Series:
    return series.resample("1h").mean()


def size_lp(
    *,
    battery: Battery,
    tariff: Tariff,
    finance: FinanceInputs,
    load_kw: pd.Series,
    pv_kw: pd.Series | None = None,
    initial_soc_fraction: float = 0.5,
    hourly: bool = True,
    fixed_size: tuple[float, float] | None = None,
) -> LPSizing:
    """Solve the continuous sizing LP on perfect foresight over ``load_kw``'s period.

    Parameters
    ----------
    battery : Battery
        Template: efficiencies, SOC window, self-discharge, grid limits (its ``power_kw`` and
        ``energy_kwh`` are not used; they are the variables).
    tariff : Tariff
        The retail tariff (first tiers).
    finance : FinanceInputs
        Capex, O&M, discount rate, life, escalation, ITC, MACRS, tax (see the module docstring).
    load_kw, pv_kw : pandas.Series
        Actual load and PV [kW] on the site's tz-aware fixed-step index.
    initial_soc_fraction : float, default 0.5
        Stored energy at the start as a fraction of ``E``; the end holds at least as much.
    hourly : bool, default True
        Solve on hourly means (a 15-min year is four times the LP); demand peaks of hourly
        means can be lower than the 15-min peaks the bill prices.
    fixed_size : tuple of float, optional
        ``(power_kw, energy_kwh)`` to hold fixed: the LP then only dispatches that size (its
        savings compare with a simulated candidate's).

    Returns
    -------
    LPSizing

    Raises
    ------
    SolverError
        If HiGHS does not end optimal.
    """
    if not isinstance(load_kw, pd.Series) or not isinstance(load_kw.index, pd.DatetimeIndex):
        raise InputError("load_kw", type(load_kw).__name__, "a pandas Series on a DatetimeIndex")
    pv = pv_kw if pv_kw is not None else pd.Series(0.0, index=load_kw.index)
    notes: list[str] = []
    step_h = (load_kw.index[1] - load_kw.index[0]) / pd.Timedelta(hours=1)
    hours = len(load_kw) * step_h
    if hourly and step_h < 1:
        load_kw, pv = _hourly(load_kw), _hourly(pv)
        notes.append(f"solved on hourly means of the {step_h * 60:g}-min data")
        step_h = 1.0
    index = pd.DatetimeIndex(load_kw.index)
    bill, bill_notes = lp_bill(tariff, index)
    notes += bill_notes
    costs = annualized_costs(finance)
    scale = _HOURS_PER_YEAR / hours
    load = load_kw.to_numpy(dtype=float)
    pv_arr = pv.to_numpy(dtype=float)
    started = time.perf_counter()
    model = _build(battery, bill, load, pv_arr, step_h, scale, costs, initial_soc_fraction)
    if fixed_size is not None:
        model.power.fix(float(fixed_size[0]))
        model.energy.fix(float(fixed_size[1]))
    h, columns = compile_to_highs(model)
    built = time.perf_counter()
    h.run()
    status = h.getModelStatus()
    solved = time.perf_counter()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"sizing LP ended {h.modelStatusToString(status)}", status)
    timing = {"build_s": built - started, "solve_s": solved - built}
    inputs = {"bill": bill, "load": load, "pv": pv_arr, "step_h": step_h, "scale": scale}
    x = np.asarray(h.getSolution().col_value)
    return _result(
        model, columns, x, fixed_size, finance=finance, costs=costs, notes=notes, **inputs, **timing
    )


def _result(
    model,
    columns,
    x,
    fixed_size,
    *,
    bill,
    load,
    pv,
    step_h,
    scale,
    finance,
    costs,
    notes,
    build_s,
    solve_s,
) -> LPSizing:
    """The solved LP's size, its bill with and without the battery, and its NPV."""
    pv_arr = pv
    notes = list(notes)

    def value(var) -> float:
        return float(x[columns[id(var)]])

    if fixed_size is None:
        power, energy = max(value(model.power), 0.0), max(value(model.energy), 0.0)
    else:  # fixed variables are constants in the compiled model, not columns
        power, energy = float(fixed_size[0]), float(fixed_size[1])
    charge = np.array([value(model.c[t]) for t in model.T])
    discharge = np.array([value(model.d[t]) for t in model.T])
    curtail = np.array([value(model.curt[t]) for t in model.T])
    baseline_cost = bill_cost_usd(bill, load - pv_arr, step_h)
    battery_cost = bill_cost_usd(bill, load - pv_arr + curtail + charge - discharge, step_h)
    savings = (baseline_cost - battery_cost) * scale
    if finance.capex_fixed_usd:
        notes.append("fixed capex left out of the LP (added to its NPV)")
    if finance.fade_fraction_per_year or finance.fade_fraction_per_cycle:
        notes.append("capacity fade, replacement and augmentation not in the LP")
    return LPSizing(
        power_kw=power,
        energy_kwh=energy,
        duration_h=energy / power if power > 1e-9 else math.nan,
        baseline_cost_usd=baseline_cost,
        battery_cost_usd=battery_cost,
        first_year_savings_usd=savings,
        npv_usd=costs.npv_usd(finance, power_kw=power, energy_kwh=energy, savings_usd=savings),
        costs=costs,
        n_steps=len(load),
        step_h=step_h,
        build_s=build_s,
        solve_s=solve_s,
        notes=tuple(notes),
    )
