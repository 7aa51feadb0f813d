"""An independent reference of the dispatch problem, built as sparse arrays for highspy.

This module is the *second method* that the Pyomo model in :mod:`optimizer` is checked against
(``tests/optimizer/test_reference_highspy.py``) and timed against (``benchmarks/bench_dispatch``).
It shares nothing with the Pyomo model but the input dataclasses (:class:`Battery`,
:class:`TerminalSoc`, :class:`MonthToDate`) and the tariff's calendar lookups: the constraint
matrix is written here from the formulation, vectorized in numpy, in compressed-column form, and
passed to HiGHS in one :class:`highspy.HighsLp`.

The formulation (steps ``t = 0..T-1``, step length ``dt`` [h])::

    columns   c_t in [0, Pc] (0 <= c_t <= V_t without grid charging), d_t in [0, Pd],
              s_t in [S_min, S_max], gi_t in [0, I_max], ge_t in [0, X_max],
              u_t in {0, 1} (or [0, 1] relaxed), v_t in [0, V_t] (PV curtailed),
              D_g >= floor_g per demand group g, x_{g,k} in [0, width_k] per tier k (>1 tier)
    rows      gi_t - ge_t - c_t + d_t - v_t      = L_t - V_t             (balance)
              s_t - r s_{t-1} - eta_c dt c_t + dt / eta_d d_t = 0  (r s_init for t = 0)
              c_t - Pc u_t <= 0,   d_t + Pd u_t <= Pd                   (no charge + discharge)
              c_t + v_t <= V_t                          (only without grid charging)
              gi_t - D_g(t) <= 0                                        (demand, per kind)
              D_g - sum_k x_{g,k} = 0                                   (tiered groups only)
    objective sum_t (p_t gi_t - q_t ge_t + deg d_t) dt + sum_g cost_g - w s_{T-1}
              + eps sum_t v_t dt

``eps`` (:data:`CURTAIL_TIE_BREAK_USD_PER_KWH`, 1e-5 $/kWh) only breaks ties in favour of using
PV; it belongs to no stream, and ``objective_usd`` is reported without it (the sum of the
streams).

Demand groups are billing months (flat demand) or (billing month, TOU demand period) pairs,
each over the steps of the horizon in it. The first month's groups start from the month-to-date
peaks (``floor_g``) and the floor is part of the cost, so the objective is the whole demand
charge of every month the horizon touches: a TOU period with a month-to-date peak is billed in
the first month even if the horizon has no step in it (a constant term). Unsupported tariff parts (tiered energy, net
metering, ratchets, non-convex demand tiers, a demand window other than the step) raise
:class:`~core.errors.InputError` before anything is built.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd

from core.errors import InputError, SolverError
from core.timegrid import step_hours
from core.validation import require_finite, require_fraction, validate_series
from markets.tariff import ExportMode, Tariff
from optimizer.battery import Battery
from optimizer.state import MonthToDate, TerminalMode, TerminalSoc

__all__ = ["DirectProblem", "DirectResult", "build_direct", "solve_direct"]

logger = logging.getLogger(__name__)

DEFAULT_TERMINAL = TerminalSoc()
"""The default terminal condition: end at least at the initial state of charge."""
NO_MONTH_TO_DATE = MonthToDate()
"""The default billing state: no peaks set yet this month."""

SCHEDULE_COLUMNS = ("charge_kw", "discharge_kw", "soc_kwh", "grid_import_kw", "grid_export_kw")
"""Columns of :attr:`DirectResult.schedule`, in this order (then ``pv_curtail_kw``)."""
CURTAIL_TIE_BREAK_USD_PER_KWH = 1e-5
"""Solver-only cost per curtailed kWh that prefers using PV over curtailing it [$/kWh]."""


@dataclass(frozen=True, kw_only=True)
class _DemandBlock:
    """The demand groups of one kind (flat or TOU), laid out in the column vector."""

    stream: str
    group_of_step: np.ndarray  # group index of each step
    group_col: np.ndarray  # column of D_g for each group
    group_cost_cols: tuple[np.ndarray, ...]  # per group: the columns that carry its cost
    group_cost_usd_per_kw: tuple[np.ndarray, ...]  # per group: the rate of each of them


@dataclass(frozen=True, kw_only=True)
class DirectProblem:
    """A dispatch problem laid out as one HiGHS LP/MILP (returned by :func:`build_direct`).

    ``lp`` holds costs, bounds, the compressed-column matrix and integrality; the per-step
    columns are ``c, d, s, gi, ge, u`` in blocks of ``n_steps``, then the demand groups. The
    other fields (prices [$/kWh], wear and terminal values [$/kWh], demand layout, stream
    names) price a solution into streams; ``build_s`` is the build's wall time [s].
    """

    lp: highspy.HighsLp
    index: pd.DatetimeIndex
    dt_h: float
    n_steps: int
    import_price_usd_per_kwh: np.ndarray
    sell_price_usd_per_kwh: np.ndarray
    degradation_usd_per_kwh: float
    terminal_value_usd_per_kwh: float
    demand: tuple[_DemandBlock, ...]
    streams: tuple[str, ...]
    build_s: float


@dataclass(frozen=True, kw_only=True)
class DirectResult:
    """The optimum found by :func:`solve_direct`.

    Parameters
    ----------
    objective_usd : float
        Optimal objective [$] (costs positive, revenue negative).
    schedule : pandas.DataFrame
        On the horizon's index, columns ``charge_kw``, ``discharge_kw``, ``soc_kwh`` (stored
        energy at the end of each step), ``grid_import_kw``, ``grid_export_kw``.
    value_by_stream_usd : dict of str to float
        Each objective term [$]; their sum is ``objective_usd`` (to solver tolerance).
    termination : str
        HiGHS model status, e.g. ``"Optimal"``.
    mip_gap : float
        Relative MIP gap reported by HiGHS (0 for an LP; inf if not reported).
    build_s, solve_s, extract_s : float
        Wall time to build the arrays and the model, to run HiGHS, and to read the solution
        back into the schedule and stream values [s].
    n_columns, n_rows, n_nonzeros : int
        Size of the model passed to HiGHS.
    """

    objective_usd: float
    schedule: pd.DataFrame
    value_by_stream_usd: dict[str, float]
    termination: str
    mip_gap: float
    build_s: float
    solve_s: float
    extract_s: float
    n_columns: int
    n_rows: int
    n_nonzeros: int


# -- validation -----------------------------------------------------------------------------


def _demand_tier_arrays(name: str, tiers: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Widths [kW] and rates [$/kW] of a convex demand tier list (rates >= 0, nondecreasing)."""
    limits = np.array([t.max_kw for t in tiers], dtype=float)
    rates = np.array([t.rate_usd_per_kw for t in tiers], dtype=float)
    if (rates < 0).any():
        k = int(np.argmax(rates < 0))
        raise InputError(f"{name}[{k}].rate_usd_per_kw", rates[k], "a demand rate >= 0")
    if (np.diff(rates) < 0).any():
        k = int(np.argmax(np.diff(rates) < 0)) + 1
        raise InputError(
            f"{name}[{k}].rate_usd_per_kw",
            rates[k],
            f"a rate >= the previous tier's {rates[k - 1]} (convex tiers; the reference "
            "has no binaries for decreasing block rates)",
        )
    widths = np.diff(np.concatenate([[0.0], limits]))
    return widths, rates


def _check_tariff(tariff: Tariff, dt_h: float) -> None:
    if not isinstance(tariff, Tariff):
        raise InputError("tariff", type(tariff).__name__, "a markets.tariff.Tariff")
    if tariff.energy is not None and tariff.energy.is_tiered:
        raise InputError(
            "tariff.energy.periods",
            [len(tiers) for tiers in tariff.energy.periods],
            "one tier per energy period (the reference does not model tiered energy)",
        )
    if tariff.export.mode is ExportMode.NET_METERING:
        raise InputError(
            "tariff.export.mode",
            tariff.export.mode,
            "NONE, SELL_RATE or FLAT_RATE (the reference does not model net metering)",
        )
    if tariff.ratchet is not None:
        raise InputError(
            "tariff.ratchet", tariff.ratchet, "None (the reference does not model ratchets)"
        )
    window = tariff.demand_window_minutes
    if window is not None and not math.isclose(window, dt_h * 60.0):
        raise InputError(
            "tariff.demand_window_minutes",
            window,
            f"None or the step length ({dt_h * 60.0:g} min): demand is the per-step average",
        )
    for kind in ("flat_demand", "tou_demand"):
        charges = getattr(tariff, kind)
        if charges is not None:
            for p, tiers in enumerate(charges.periods):
                _demand_tier_arrays(f"tariff.{kind}.periods[{p}]", tiers)


def _terminal_bounds(
    battery: Battery, terminal: TerminalSoc, initial_soc_fraction: float
) -> tuple[float, float, float]:
    """Bounds [kWh] of the last stored energy and the terminal value [$/kWh]."""
    if not isinstance(terminal, TerminalSoc):
        raise InputError("terminal", type(terminal).__name__, "an optimizer.TerminalSoc")
    lower, upper = battery.soc_min_kwh, battery.soc_max_kwh
    if terminal.mode is TerminalMode.VALUED:
        return lower, upper, terminal.value_usd_per_kwh
    fraction = initial_soc_fraction if terminal.soc_fraction is None else terminal.soc_fraction
    target = fraction * battery.energy_kwh
    window = (battery.soc_min_fraction, battery.soc_max_fraction)
    if terminal.mode is TerminalMode.FIXED:
        if not window[0] <= fraction <= window[1]:
            raise InputError(
                "terminal.soc_fraction", fraction, f"a FIXED target in the SOC window {window}"
            )
        return target, target, 0.0
    if fraction > window[1]:
        raise InputError(
            "terminal.soc_fraction", fraction, f"a MINIMUM target <= soc_max_fraction {window[1]}"
        )
    return max(lower, target), upper, 0.0


# -- construction ---------------------------------------------------------------------------


def _demand_block(
    *,
    stream: str,
    key_of_step: np.ndarray,
    tiers_of_key: dict[int, tuple[np.ndarray, np.ndarray]],
    floor_of_key: dict[int, float],
    first_col: int,
) -> tuple[_DemandBlock, np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Lay out the demand groups of one kind.

    Returns the block, the new columns' costs, lower and upper bounds, and for each tiered group
    the columns ``[D_g, x_g0, x_g1, ...]`` of its link row.
    """
    keys = np.unique(np.concatenate([key_of_step, list(floor_of_key)]).astype(np.int64))
    group_of_step = np.searchsorted(keys, key_of_step)
    costs: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    group_col = np.empty(len(keys), dtype=np.int64)
    cost_cols: list[np.ndarray] = []
    cost_rates: list[np.ndarray] = []
    links: list[np.ndarray] = []
    col = first_col
    for g, key in enumerate(keys.tolist()):  # one pass per group (months x periods), not per step
        widths, rates = tiers_of_key[key]
        group_col[g] = col
        single = len(rates) == 1  # then D_g itself carries the rate: no x, no link row
        costs += [float(rates[0])] if single else [0.0, *rates.tolist()]
        lower += [floor_of_key.get(key, 0.0)] + ([] if single else [0.0] * len(rates))
        upper += [math.inf] + ([] if single else widths.tolist())
        cols = np.arange(col, col + (1 if single else 1 + len(rates)))
        if not single:
            links.append(cols)
        cost_cols.append(cols if single else cols[1:])
        cost_rates.append(rates.copy())
        col = int(cols[-1]) + 1
    block = _DemandBlock(
        stream=stream,
        group_of_step=group_of_step,
        group_col=group_col,
        group_cost_cols=tuple(cost_cols),
        group_cost_usd_per_kw=tuple(cost_rates),
    )
    return block, np.array(costs), np.array(lower), np.array(upper), links


def build_direct(
    *,
    battery: Battery,
    tariff: Tariff,
    load_kw: pd.Series,
    pv_kw: pd.Series | None = None,
    initial_soc_fraction: float = 0.5,
    terminal: TerminalSoc = DEFAULT_TERMINAL,
    month_to_date: MonthToDate = NO_MONTH_TO_DATE,
    relax_binaries: bool = False,
) -> DirectProblem:
    """Build the dispatch problem as one :class:`highspy.HighsLp` (see the module docstring).

    Parameters
    ----------
    battery : Battery
        Battery and site limits.
    tariff : Tariff
        Retail tariff: non-tiered TOU energy, convex flat/TOU demand, NONE/SELL_RATE/FLAT_RATE
        export.
    load_kw : pandas.Series
        Site load [kW] (>= 0) on a tz-aware, fixed-step index in the site's local zone; its
        index is the horizon.
    pv_kw : pandas.Series, optional
        On-site PV [kW] (>= 0) on the same index; zero if None.
    initial_soc_fraction : float, default 0.5
        Stored energy before the first step, as a fraction of ``battery.energy_kwh``.
    terminal : TerminalSoc, default TerminalSoc()
        End-of-horizon condition (default: end at least at the initial SOC).
    month_to_date : MonthToDate, default MonthToDate()
        Peaks already set in the first billing month (default: none).
    relax_binaries : bool, default False
        Make the charge/discharge indicator continuous in [0, 1] (an LP).

    Returns
    -------
    DirectProblem

    Raises
    ------
    InputError
        On malformed input or a tariff part the reference does not model.
    """
    started = time.perf_counter()
    if not isinstance(battery, Battery):
        raise InputError("battery", type(battery).__name__, "an optimizer.Battery")
    if not isinstance(month_to_date, MonthToDate):
        raise InputError("month_to_date", type(month_to_date).__name__, "an optimizer.MonthToDate")
    if not isinstance(relax_binaries, bool):
        raise InputError("relax_binaries", relax_binaries, "True or False")
    validate_series(load_kw, name="load_kw", nonnegative=True)
    index = load_kw.index
    if pv_kw is not None:
        validate_series(pv_kw, name="pv_kw", index=index, nonnegative=True)
    require_fraction("initial_soc_fraction", initial_soc_fraction)
    dt = step_hours(index, name="load_kw.index")
    _check_tariff(tariff, dt)
    s_last_lower, s_last_upper, terminal_value = _terminal_bounds(
        battery, terminal, initial_soc_fraction
    )
    tou_floors = month_to_date.tou_peak_kw
    if (
        tariff.tou_demand is not None
        and tou_floors
        and len(tou_floors) != len(tariff.tou_demand.periods)
    ):
        raise InputError(
            "month_to_date.tou_peak_kw",
            tou_floors,
            f"empty or one peak per TOU demand period ({len(tariff.tou_demand.periods)})",
        )

    T = len(index)
    load = load_kw.to_numpy(dtype=float)
    pv = np.zeros(T) if pv_kw is None else pv_kw.to_numpy(dtype=float)
    price = tariff.import_rate_usd_per_kwh(index)
    sell = tariff.sell_rate_usd_per_kwh(index)
    pc, pd_ = battery.charge_rating_kw, battery.discharge_rating_kw
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    r = battery.retention(dt)
    s_init = initial_soc_fraction * battery.energy_kwh
    deg = battery.degradation_cost_usd_per_kwh

    t = np.arange(T)
    C, Dc, S, GI, GE, U, V = (k * T + t for k in range(7))
    zeros, ones = np.zeros(T), np.ones(T)

    # per-step columns: c, d, s, gi, ge, u
    cost = [zeros, deg * dt * ones, zeros, price * dt, -sell * dt, zeros]
    c_upper = np.full(T, pc) if battery.grid_charging else np.minimum(pc, pv)
    s_lower = np.full(T, battery.soc_min_kwh)
    s_upper = np.full(T, battery.soc_max_kwh)
    s_lower[-1], s_upper[-1] = s_last_lower, s_last_upper
    cost[2] = np.r_[np.zeros(T - 1), -terminal_value]
    lower = [zeros, zeros, s_lower, zeros, zeros, zeros, zeros]
    cost.append(np.full(T, CURTAIL_TIE_BREAK_USD_PER_KWH * dt))
    upper = [
        c_upper,
        np.full(T, pd_),
        s_upper,
        np.full(T, float(battery.import_limit_kw)),
        np.full(T, float(battery.export_limit_kw)),
        ones,
        pv,
    ]

    # rows: balance [0, T), SOC [T, 2T), charge mode [2T, 3T), discharge mode [3T, 4T)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def add(row: np.ndarray, col: np.ndarray, val: float | np.ndarray) -> None:
        rows.append(row)
        cols.append(col)
        vals.append(np.broadcast_to(np.asarray(val, dtype=float), row.shape))

    add(t, GI, 1.0)
    add(t, GE, -1.0)
    add(t, C, -1.0)
    add(t, Dc, 1.0)
    add(t, V, -1.0)
    add(T + t, S, 1.0)
    add(T + t[1:], S[:-1], -r)
    add(T + t, C, -eta_c * dt)
    add(T + t, Dc, dt / eta_d)
    add(2 * T + t, C, 1.0)
    add(2 * T + t, U, -pc)
    add(3 * T + t, Dc, 1.0)
    add(3 * T + t, U, pd_)
    net = load - pv
    soc_rhs = np.zeros(T)
    soc_rhs[0] = r * s_init
    row_lower = [net, soc_rhs, np.full(T, -math.inf), np.full(T, -math.inf)]
    row_upper = [net, soc_rhs, zeros, np.full(T, pd_)]
    n_rows = 4 * T
    n_cols = 7 * T
    if not battery.grid_charging:  # c_t + v_t <= V_t: curtailed PV cannot charge
        add(n_rows + t, C, 1.0)
        add(n_rows + t, V, 1.0)
        row_lower.append(np.full(T, -math.inf))
        row_upper.append(pv)
        n_rows += T

    # demand groups: billing month (flat) or (billing month, TOU period) (TOU)
    month_key = np.asarray(index.year * 12 + index.month - 1, dtype=np.int64)
    first_month = int(month_key[0])
    specs = []
    if tariff.flat_demand is not None:
        flat = tariff.flat_demand
        flat_period = tariff.flat_demand_period(index)
        tiers = {}
        for key in np.unique(month_key).tolist():
            p = int(flat_period[np.argmax(month_key == key)])
            tiers[key] = _demand_tier_arrays(f"tariff.flat_demand.periods[{p}]", flat.periods[p])
        specs.append(("demand_flat", month_key, tiers, {first_month: month_to_date.flat_peak_kw}))
    if tariff.tou_demand is not None:
        n_periods = len(tariff.tou_demand.periods)
        period = tariff.tou_demand_period(index)
        key_of_step = month_key * n_periods + period
        # every period's month-to-date peak is billed in the first month, even for a period
        # the horizon does not reach: the objective is then the whole month's demand charge
        floors = {
            first_month * n_periods + p: float(peak)
            for p, peak in enumerate(tou_floors)
            if peak > 0
        }
        tiers = {}
        for key in np.unique(np.r_[key_of_step, list(floors)].astype(np.int64)).tolist():
            p = key % n_periods
            tiers[key] = _demand_tier_arrays(
                f"tariff.tou_demand.periods[{p}]", tariff.tou_demand.periods[p]
            )
        specs.append(("demand_tou", key_of_step, tiers, floors))
    blocks = []
    for stream, key_of_step, tiers, floors in specs:
        block, b_cost, b_lower, b_upper, links = _demand_block(
            stream=stream,
            key_of_step=key_of_step,
            tiers_of_key=tiers,
            floor_of_key=floors,
            first_col=n_cols,
        )
        n_cols += len(b_cost)
        cost.append(b_cost)
        lower.append(b_lower)
        upper.append(b_upper)
        add(n_rows + t, GI, 1.0)  # gi_t - D_g(t) <= 0
        add(n_rows + t, block.group_col[block.group_of_step], -1.0)
        row_lower.append(np.full(T, -math.inf))
        row_upper.append(zeros)
        n_rows += T
        for link in links:  # D_g - sum_k x_gk = 0, one row per tiered group
            add(np.full(len(link), n_rows), link, np.r_[1.0, -np.ones(len(link) - 1)])
            row_lower.append(np.zeros(1))
            row_upper.append(np.zeros(1))
            n_rows += 1
        blocks.append(block)

    # compressed-column matrix: sort the triplets by column, then row
    row_arr = np.concatenate(rows)
    col_arr = np.concatenate(cols)
    val_arr = np.concatenate(vals)
    order = np.lexsort((row_arr, col_arr))
    start = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(col_arr, minlength=n_cols), out=start[1:])

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.concatenate(cost)
    lp.col_lower_ = np.concatenate(lower)
    lp.col_upper_ = np.concatenate(upper)
    lp.row_lower_ = np.concatenate(row_lower)
    lp.row_upper_ = np.concatenate(row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = row_arr[order].astype(np.int32)
    lp.a_matrix_.value_ = val_arr[order]
    if not relax_binaries:
        integrality = [highspy.HighsVarType.kContinuous] * n_cols
        integrality[5 * T : 6 * T] = [highspy.HighsVarType.kInteger] * T
        lp.integrality_ = integrality

    streams = []
    if tariff.energy is not None:
        streams.append("energy")
    if tariff.export.mode is not ExportMode.NONE:
        streams.append("export")
    streams += [b.stream for b in blocks]
    if deg > 0:
        streams.append("degradation")
    if terminal.mode is TerminalMode.VALUED:
        streams.append("terminal")
    return DirectProblem(
        lp=lp,
        index=index,
        dt_h=dt,
        n_steps=T,
        import_price_usd_per_kwh=price,
        sell_price_usd_per_kwh=sell,
        degradation_usd_per_kwh=deg,
        terminal_value_usd_per_kwh=terminal_value,
        demand=tuple(blocks),
        streams=tuple(streams),
        build_s=time.perf_counter() - started,
    )


# -- solving --------------------------------------------------------------------------------


def _streams_usd(problem: DirectProblem, x: np.ndarray) -> dict[str, float]:
    T, dt = problem.n_steps, problem.dt_h
    values = {
        "energy": float(problem.import_price_usd_per_kwh @ x[3 * T : 4 * T]) * dt,
        "export": -float(problem.sell_price_usd_per_kwh @ x[4 * T : 5 * T]) * dt,
        "degradation": problem.degradation_usd_per_kwh * float(x[T : 2 * T].sum()) * dt,
        "terminal": -problem.terminal_value_usd_per_kwh * float(x[3 * T - 1]),
    }
    for block in problem.demand:
        values[block.stream] = float(
            sum(
                rates @ x[cols]
                for cols, rates in zip(
                    block.group_cost_cols, block.group_cost_usd_per_kw, strict=True
                )
            )
        )
    return {name: values[name] for name in problem.streams}


def solve_direct(
    *,
    battery: Battery,
    tariff: Tariff,
    load_kw: pd.Series,
    pv_kw: pd.Series | None = None,
    initial_soc_fraction: float = 0.5,
    terminal: TerminalSoc = DEFAULT_TERMINAL,
    month_to_date: MonthToDate = NO_MONTH_TO_DATE,
    relax_binaries: bool = False,
    mip_rel_gap: float = 1e-9,
) -> DirectResult:
    """Build and solve the dispatch problem directly with highspy (one thread, no output).

    Parameters are those of :func:`build_direct`, plus

    mip_rel_gap : float, default 1e-9
        HiGHS ``mip_rel_gap`` (relative optimality gap at which the MILP search stops).

    Returns
    -------
    DirectResult

    Raises
    ------
    InputError
        On malformed input or a tariff part the reference does not model.
    SolverError
        If HiGHS does not end with a proven optimum (its model status is the termination).
    """
    require_finite("mip_rel_gap", mip_rel_gap)
    if not 0 <= mip_rel_gap < 1:
        raise InputError("mip_rel_gap", mip_rel_gap, "a fraction in [0, 1)")
    problem = build_direct(
        battery=battery,
        tariff=tariff,
        load_kw=load_kw,
        pv_kw=pv_kw,
        initial_soc_fraction=initial_soc_fraction,
        terminal=terminal,
        month_to_date=month_to_date,
        relax_binaries=relax_binaries,
    )
    started = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    status = h.passModel(problem.lp)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model", highspy.HighsModelStatus.kModelError)
    build_s = problem.build_s + (time.perf_counter() - started)

    started = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - started
    model_status = h.getModelStatus()
    if model_status != highspy.HighsModelStatus.kOptimal:
        raise SolverError("the direct-highspy reference found no optimum", model_status)

    started = time.perf_counter()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value)
    T = problem.n_steps
    schedule = pd.DataFrame(
        {name: x[k * T : (k + 1) * T] for k, name in enumerate(SCHEDULE_COLUMNS)},
        index=problem.index,
    )
    curtailed = x[6 * T : 7 * T]
    schedule["pv_curtail_kw"] = curtailed
    streams = _streams_usd(problem, x)
    mip_gap = float(info.mip_gap) if problem.lp.integrality_ else 0.0
    extract_s = time.perf_counter() - started
    logger.debug("direct highspy: %d steps, build %.4f s, solve %.4f s", T, build_s, solve_s)
    return DirectResult(
        objective_usd=float(info.objective_function_value)
        - CURTAIL_TIE_BREAK_USD_PER_KWH * problem.dt_h * float(curtailed.sum()),
        schedule=schedule,
        value_by_stream_usd=streams,
        termination=h.modelStatusToString(model_status),
        mip_gap=mip_gap,
        build_s=build_s,
        solve_s=solve_s,
        extract_s=extract_s,
        n_columns=problem.lp.num_col_,
        n_rows=problem.lp.num_row_,
        n_nonzeros=len(problem.lp.a_matrix_.value_),
    )
