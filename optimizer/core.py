"""The core model: battery and site balance, built once per horizon length.

Equations (steps ``t = 0..T-1``, step ``dt`` [h], battery ``b``):

.. math::

    0 \\le c_t \\le P_c u_t, \\quad 0 \\le d_t \\le P_d (1 - u_t), \\quad u_t \\in \\{0, 1\\}
    \\text{ (or } [0, 1] \\text{ relaxed)}

    S_{min} \\le s_t \\le S_{max}, \\quad 0 \\le gi_t \\le G_{imp}, \\quad 0 \\le ge_t \\le G_{exp}

    gi_t - ge_t = L_t - (V_t - v_t) + c_t - d_t + \\sum_s grid_{s,t},
    \\quad 0 \\le v_t \\le V_t \\text{ (PV curtailed)}

    s_t = r\\, s_{t-1} + \\eta_c c_t dt - d_t dt / \\eta_d + \\sum_s stored_{s,t},
    \\quad s_{-1} = f_0 E, \\quad r = (1 - \\text{self-discharge})^{dt}

    c_t + v_t \\le V_t \\text{ (no grid charging)}, \\qquad
    S^{end}_{lo} \\le s_{T-1} \\le S^{end}_{hi} \\text{ (terminal)}

Net load ``L - V`` (one parameter per step), PV ``V`` (the curtailment bound and, without grid
charging, the charging limit), ``s_{-1}`` and the terminal bounds are mutable parameters.

PV curtailment ``v`` keeps a site feasible whatever its PV (a no-export site with surplus PV
curtails it). It earns nothing and costs nothing in any stream; the model's objective carries
a tie-break cost of ``CURTAIL_TIE_BREAK_USD_PER_KWH`` per curtailed kWh so that PV is curtailed
only when exporting, charging or serving load cannot use it at zero or positive value (at an
export credit of 0 exporting is preferred). That cost is not part of any stream's value; it
can move the reported optimum by at most that rate times the curtailed energy. The terminal
modes map onto the two bounds (FIXED: both at the target; MINIMUM: the lower one; VALUED: the
SOC window, with the value in the ``terminal`` stream's objective term).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.param import ParamData

from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.compile import templated
from optimizer.state import TerminalMode
from optimizer.streams import CoreHandles, StreamTerms
from optimizer.window import SlotLayout, Window

__all__ = [
    "CURTAIL_TIE_BREAK_USD_PER_KWH",
    "add_param",
    "assign",
    "build_core",
    "curtailment_cost",
    "finish_core",
    "update_core",
]

CURTAIL_TIE_BREAK_USD_PER_KWH = 1e-5
"""Cost per curtailed kWh in the solver's objective only (see the module docstring) [$/kWh]."""


def assign(param: pyo.Param, values: Sequence[float] | np.ndarray) -> None:
    """Write ``values`` into the elements of a mutable indexed ``param``, in index order.

    The values are validated finite floats by then, so Pyomo's per-element checks are
    skipped: the parameter's data objects are listed once (kept on the component) and their
    values set directly, which is what ``store_values(..., check=False)`` does per element.
    """
    floats = np.asarray(values, dtype=float).tolist()
    datas = getattr(param, "_valuestack_datas", None)
    if datas is None:
        datas = [param[key] for key in param.keys()]
        param._valuestack_datas = datas
    if len(floats) != len(datas):
        raise ValueError(f"{param.name}: {len(floats)} values for {len(datas)} elements")
    for data, value in zip(datas, floats, strict=True):
        data._value = value


def add_param(
    block: pyo.Block, name: str, *index: Any, values: Sequence[float] | None = None
) -> pyo.Param:
    """Add a mutable parameter over ``index`` to ``block``; return it.

    The same component as ``pyo.Param(*index, mutable=True, initialize=0.0)`` (or with
    ``values``, one float per index in index order), but its data objects are created in one
    pass, without Pyomo's per-element rule call and validation (values come validated).
    """
    param = pyo.Param(*index, mutable=True, within=pyo.Any, default=0.0)
    block.add_component(name, param)
    keys = list(param.index_set())
    floats = [0.0] * len(keys) if values is None else [float(v) for v in values]
    if len(floats) != len(keys):
        raise ValueError(f"{param.name}: {len(floats)} values for {len(keys)} elements")
    data = param._data
    owner = weakref.ref(param)  # what ParamData(param) sets, without its call per element
    new = ParamData.__new__
    for key, value in zip(keys, floats, strict=True):
        item = new(ParamData)
        item._component = owner
        item._index = key
        item._value = value
        data[key] = item
    return param


def _bound(limit: float) -> float | None:
    return None if math.isinf(limit) else float(limit)


def build_core(
    model: pyo.ConcreteModel,
    *,
    battery: Battery,
    tariff: Tariff,
    n_steps: int,
    dt_h: float,
    slots: SlotLayout,
    relax_binaries: bool,
    calendar: Window | None = None,
) -> CoreHandles:
    """Add the core's parameters and variables to ``model``; return the handles streams use."""
    m = model
    b = battery
    m.steps = pyo.RangeSet(0, n_steps - 1)
    add_param(m, "net_load_kw", m.steps)
    add_param(m, "pv_kw", m.steps)
    m.soc_initial_kwh = pyo.Param(mutable=True, initialize=b.soc_min_kwh)
    m.terminal_min_kwh = pyo.Param(mutable=True, initialize=b.soc_min_kwh)
    m.terminal_max_kwh = pyo.Param(mutable=True, initialize=b.soc_max_kwh)

    m.charge_kw = pyo.Var(m.steps, bounds=(0.0, b.charge_rating_kw))
    m.discharge_kw = pyo.Var(m.steps, bounds=(0.0, b.discharge_rating_kw))
    m.soc_kwh = pyo.Var(m.steps, bounds=(b.soc_min_kwh, b.soc_max_kwh))
    m.grid_import_kw = pyo.Var(m.steps, bounds=(0.0, _bound(b.import_limit_kw)))
    m.grid_export_kw = pyo.Var(m.steps, bounds=(0.0, _bound(b.export_limit_kw)))
    m.pv_curtail_kw = pyo.Var(m.steps, bounds=lambda m, t: (0.0, m.pv_kw[t]))
    domain = pyo.UnitInterval if relax_binaries else pyo.Binary
    m.is_charging = pyo.Var(m.steps, domain=domain)
    # Filled in by finish_core once every stream has declared its extra demand terms.
    m.metered_demand_kw = pyo.Expression(m.steps, rule=lambda m, t: m.grid_import_kw[t])
    return CoreHandles(
        model=m,
        steps=m.steps,
        n_steps=n_steps,
        dt_h=dt_h,
        battery=b,
        tariff=tariff,
        slots=slots,
        charge_kw=m.charge_kw,
        discharge_kw=m.discharge_kw,
        soc_kwh=m.soc_kwh,
        grid_import_kw=m.grid_import_kw,
        grid_export_kw=m.grid_export_kw,
        soc_initial_kwh=m.soc_initial_kwh,
        metered_demand_kw=m.metered_demand_kw,
        calendar=calendar,
    )


def _sum_terms(terms: Sequence[StreamTerms], attr: str) -> dict[int, list]:
    out: dict[int, list] = {}
    for term in terms:
        per_step = getattr(term, attr)
        if per_step is None:
            continue
        for t in range(len(per_step)):
            out.setdefault(t, []).append(per_step[t])
    return out


def finish_core(core: CoreHandles, terms: Sequence[StreamTerms]) -> None:
    """Add the core's constraints, including every stream's hooks and the shared capacity rows."""
    m = core.model
    b = core.battery
    dt = core.dt_h
    last = core.n_steps - 1
    retention = b.retention(dt)
    eta_c, eta_d = b.charge_efficiency, b.discharge_efficiency
    grid_extra = _sum_terms(terms, "grid_kw")
    stored_extra = _sum_terms(terms, "stored_energy_kwh")
    demand_extra = _sum_terms(terms, "metered_demand_kw")

    for t, extra in demand_extra.items():
        m.metered_demand_kw[t].set_value(m.grid_import_kw[t] + sum(extra))
    if demand_extra:
        for rows, rule in core.demand_rows:
            block = rows.parent_block()
            for t, row in rows.items():
                row.set_value(rule(block, t))

    # A one-shot model builds the step families as templates where no stream adds terms
    # to them (optimizer.compile.templated): one rule call per family instead of per step.
    one_shot = core.calendar is not None

    def flows(m, t):
        return (
            m.grid_import_kw[t]
            - m.grid_export_kw[t]
            - m.charge_kw[t]
            + m.discharge_kw[t]
            - m.pv_curtail_kw[t]
        )

    if grid_extra:
        rule = lambda m, t: flows(m, t) - sum(grid_extra.get(t, ())) == m.net_load_kw[t]  # noqa: E731
    else:
        rule = lambda m, t: flows(m, t) == m.net_load_kw[t]  # noqa: E731
    with templated(one_shot and not grid_extra):
        m.balance = pyo.Constraint(m.steps, rule=rule)

    def flow(m, t):
        energy = eta_c * dt * m.charge_kw[t] - (dt / eta_d) * m.discharge_kw[t]
        if stored_extra:
            return energy + sum(stored_extra.get(t, ()))
        return energy

    m.soc_first = pyo.Constraint(expr=m.soc_kwh[0] - flow(m, 0) == retention * m.soc_initial_kwh)
    m.later_steps = pyo.RangeSet(1, last)
    with templated(one_shot and not stored_extra):
        m.soc_balance = pyo.Constraint(
            m.later_steps,
            rule=lambda m, t: m.soc_kwh[t] - retention * m.soc_kwh[t - 1] - flow(m, t) == 0,
        )
    with templated(one_shot):
        m.charge_if_charging = pyo.Constraint(
            m.steps, rule=lambda m, t: m.charge_kw[t] <= b.charge_rating_kw * m.is_charging[t]
        )
        m.discharge_if_not_charging = pyo.Constraint(
            m.steps,
            rule=lambda m, t: m.discharge_kw[t] <= b.discharge_rating_kw * (1 - m.is_charging[t]),
        )
        if not b.grid_charging:
            m.charge_from_pv = pyo.Constraint(
                m.steps, rule=lambda m, t: m.charge_kw[t] + m.pv_curtail_kw[t] <= m.pv_kw[t]
            )
    m.terminal_soc = pyo.Constraint(
        expr=pyo.inequality(m.terminal_min_kwh, m.soc_kwh[last], m.terminal_max_kwh)
    )
    _add_capacity_rows(core, terms)


def _add_capacity_rows(core: CoreHandles, terms: Sequence[StreamTerms]) -> None:
    """ONE headroom row per direction and step, ONE energy-sufficiency row per direction/end."""
    m = core.model
    b = core.battery
    ups = [(s.up_award_kw, s.up_duration_h) for s in terms if s.up_award_kw is not None]
    downs = [(s.down_award_kw, s.down_duration_h) for s in terms if s.down_award_kw is not None]
    eta_c, eta_d = b.charge_efficiency, b.discharge_efficiency

    def soc_before(t):
        return m.soc_initial_kwh if t == 0 else m.soc_kwh[t - 1]

    if ups:
        m.up_headroom = pyo.Constraint(
            m.steps,
            rule=lambda m, t: (
                m.discharge_kw[t] - m.charge_kw[t] + sum(a[t] for a, _ in ups)
                <= b.discharge_rating_kw
            ),
        )
        m.up_energy = pyo.Constraint(
            m.steps,
            [0, 1],
            rule=lambda m, t, end: (
                eta_d * ((m.soc_kwh[t] if end else soc_before(t)) - b.soc_min_kwh)
                >= sum(a[t] * h for a, h in ups)
            ),
        )
    if downs:
        m.down_headroom = pyo.Constraint(
            m.steps,
            rule=lambda m, t: (
                m.charge_kw[t] - m.discharge_kw[t] + sum(a[t] for a, _ in downs)
                <= b.charge_rating_kw
            ),
        )
        m.down_energy = pyo.Constraint(
            m.steps,
            [0, 1],
            rule=lambda m, t, end: (
                (b.soc_max_kwh - (m.soc_kwh[t] if end else soc_before(t))) / eta_c
                >= sum(a[t] * h for a, h in downs)
            ),
        )


def curtailment_cost(core: CoreHandles) -> pyo.Expression:
    """The tie-break cost of curtailed PV (not a stream; see the module docstring)."""
    m = core.model
    rate = CURTAIL_TIE_BREAK_USD_PER_KWH * core.dt_h
    return rate * sum(m.pv_curtail_kw[t] for t in core.steps)


def update_core(model: pyo.ConcreteModel, battery: Battery, window: Window) -> None:
    """Write a window's load, PV, initial SOC and terminal bounds into the core's parameters."""
    m = model
    b = battery
    assign(m.net_load_kw, window.load_kw - window.pv_kw)
    assign(m.pv_kw, window.pv_kw)
    m.soc_initial_kwh.set_value(window.initial_soc_fraction * b.energy_kwh)
    terminal = window.terminal
    fraction = (
        window.initial_soc_fraction if terminal.soc_fraction is None else terminal.soc_fraction
    )
    target = fraction * b.energy_kwh
    if terminal.mode is TerminalMode.FIXED:
        low, high = target, target
    elif terminal.mode is TerminalMode.MINIMUM:
        low, high = target, b.soc_max_kwh
    else:
        low, high = b.soc_min_kwh, b.soc_max_kwh
    m.terminal_min_kwh.set_value(low)
    m.terminal_max_kwh.set_value(high)
