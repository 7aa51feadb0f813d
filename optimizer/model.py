"""The dispatch model: built once per site and horizon length, re-solved with new data.

:class:`DispatchModel` builds the core (:mod:`optimizer.core`) and one Pyomo block per value
stream (:mod:`optimizer.streams`), hands the model to a persistent HiGHS instance once, and on
every :meth:`DispatchModel.solve` only writes mutable parameters (load, PV, prices, initial
SOC, terminal bounds, month-to-date floors, month-slot and TOU-period membership) and
re-solves. See :mod:`optimizer.window` for how billing months become fixed slots.

MILP strategy: the only integer variables forbid charging and discharging in the same step.
Each solve first solves the LP relaxation; if its optimum never charges and discharges in the
same step it is feasible for the MILP with the binaries set accordingly, so it is the MILP's
optimum (the relaxation is a lower bound) and the solve ends there
(``SolverReport.relaxation_was_integral``), provided any integer variables of the streams came
out integral too. Otherwise the MILP is solved by HiGHS's branch and bound to ``mip_rel_gap``.
Streams must therefore never use the core's binaries (they may have their own).

Re-solves warm-start HiGHS from the previous solve's basis. The optimum is the same as a fresh
:func:`~optimizer.dispatch.optimize_dispatch` of the same data (tested to 1e-7 relative); where
several schedules are optimal the one returned may differ. A sequence of re-solves is
reproducible: the same inputs in the same order give the same outputs.

Each stream's block is the model component ``stream_<name>``; its term is the expression its
``build`` returned.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from core.errors import SolverError, ValuestackError
from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.core import build_core, curtailment_cost, finish_core, update_core
from optimizer.diagnose import diagnose_infeasibility
from optimizer.inputs import ModelSpec
from optimizer.results import SCHEDULE_COLUMNS as _CORE_COLUMNS
from optimizer.results import DispatchResult, SolverReport, Termination
from optimizer.solver import LinearTerms, PersistentHighs
from optimizer.state import MonthToDate, TerminalSoc
from optimizer.streams import Stream
from optimizer.window import SlotLayout, Window

__all__ = ["DEFAULT_MIP_REL_GAP", "DispatchModel"]

logger = logging.getLogger(__name__)

DEFAULT_MIP_REL_GAP = 1e-4
"""Default relative MIP gap [fraction] (HiGHS's own default)."""


class DispatchModel:
    """A dispatch MILP for one site and horizon length, re-solved with new data.

    Parameters
    ----------
    battery : Battery
        Battery and site-connection limits.
    tariff : Tariff
        Retail tariff; its parts switch the retail streams on.
    n_steps : int
        Steps per horizon.
    freq : str or pandas.Timedelta, default "15min"
        Step length; every solve's index must have this step.
    relax_binaries : bool, default False
        Solve the LP relaxation only: charging and discharging in one step are then allowed,
        and any integer variables of streams are relaxed too.
    mip_rel_gap : float, default DEFAULT_MIP_REL_GAP
        Relative MIP gap at which HiGHS stops [fraction].
    streams : sequence of Stream, default ()
        Further (market) streams, built after the retail ones.
    time_limit_s : float or None, default None
        HiGHS time limit per run [s]; reaching it raises ``SolverError``.
    relaxation_first : bool, default True
        Settle the MILP by its LP relaxation when that is integral (see the module
        docstring); False always runs HiGHS's branch and bound.

    Attributes
    ----------
    build_s : float
        Wall time of building the model and handing it to HiGHS [s].
    stream_names : tuple of str
        Names of the streams in the model, in reporting order.
    """

    def __init__(
        self,
        *,
        battery: Battery,
        tariff: Tariff,
        n_steps: int,
        freq: str | pd.Timedelta = "15min",
        relax_binaries: bool = False,
        mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
        streams: Sequence[Stream] = (),
        time_limit_s: float | None = None,
        relaxation_first: bool = True,
    ) -> None:
        spec = ModelSpec.create(
            battery=battery,
            tariff=tariff,
            n_steps=n_steps,
            freq=freq,
            relax_binaries=relax_binaries,
            mip_rel_gap=mip_rel_gap,
            streams=streams,
            time_limit_s=time_limit_s,
            relaxation_first=relaxation_first,
        )
        self._init_from(spec)

    @classmethod
    def _from_spec(cls, spec: ModelSpec, calendar: Window | None = None) -> DispatchModel:
        """Build from already validated arguments.

        With ``calendar`` (one-shot solves) the model is built for that window only: each
        step gets membership in its actual groups alone, which makes a long horizon's model
        several times smaller. Such a model refuses any other calendar.
        """
        model = cls.__new__(cls)
        model._init_from(spec, calendar)
        return model

    def _init_from(self, spec: ModelSpec, calendar: Window | None = None) -> None:
        started = time.perf_counter()
        self._calendar = calendar
        self._spec = spec
        self._battery = spec.battery
        self._tariff = spec.tariff
        self._n_steps = spec.n_steps
        self._dt_h = spec.dt_h
        self._relax = spec.relax_binaries
        self._relaxation_first = spec.relaxation_first
        self._streams = spec.streams
        self.stream_names: tuple[str, ...] = spec.stream_names
        self._slots = spec.slots if calendar is None else SlotLayout.exact(calendar.month_slot)
        # The build makes hundreds of thousands of long-lived objects: the cyclic garbage
        # collector would scan them again and again while they are made (as Pyomo's writers
        # do, it is paused meanwhile; nothing made here is garbage yet).
        with PauseGC():
            self._model, self._blocks = self._build()
            if calendar is not None:
                # A one-shot model gets its data before the hand-over: nothing to push later.
                self._write(calendar)
            self._solver = PersistentHighs(
                self._model,
                mip_rel_gap=spec.mip_rel_gap,
                time_limit_s=spec.time_limit_s,
                symbolic=calendar is None,
            )
            self._index_columns()
        self.build_s = time.perf_counter() - started
        logger.debug("built %d-step model in %.3f s", self._n_steps, self.build_s)

    def _index_columns(self) -> None:
        """HiGHS columns of the core's variables and the streams' terms, computed once."""
        m = self._model
        solver = self._solver
        self._cols = {
            name: solver.columns(getattr(m, name).values())
            for name in (*_CORE_COLUMNS, "is_charging")
        }
        self._stream_integer_cols = solver.columns(self._stream_integers)
        self._term_values = LinearTerms([self._terms[s.name] for s in self._streams], solver)
        solver.p = solver.params.values()  # now including the terms' parameters
        # Streams that read solved values from Pyomo need them loaded into the variables.
        self._needs_load = any(
            type(s).schedule_columns is not Stream.schedule_columns
            or type(s).settle is not Stream.settle
            for s in self._streams
        )
        if self._needs_load:
            variables = list(m.component_data_objects(pyo.Var, descend_into=True))
            self._all_vars = (variables, solver.columns(variables))

    def _write(self, window: Window) -> None:
        """Check the streams' data and write ``window`` into the model's parameters."""
        for stream in self._streams:
            stream.check(window)
        update_core(self._model, self._battery, window)
        for stream in self._streams:
            stream.update(self._blocks[stream.name], window)

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> tuple[pyo.ConcreteModel, dict[str, pyo.Block]]:
        m = pyo.ConcreteModel(name="dispatch")
        core = build_core(
            m,
            battery=self._battery,
            tariff=self._tariff,
            n_steps=self._n_steps,
            dt_h=self._dt_h,
            slots=self._slots,
            relax_binaries=self._relax,
            calendar=self._calendar,
        )
        blocks: dict[str, pyo.Block] = {}
        terms = []
        for stream in self._streams:
            block = pyo.Block(concrete=True)
            m.add_component(f"stream_{stream.name}", block)
            blocks[stream.name] = block
            terms.append(stream.build(block, core))
        self._terms = {s.name: t.objective_usd for s, t in zip(self._streams, terms, strict=True)}
        # Integer variables of streams (if any) must come out integral for the LP relaxation
        # to settle the MILP; the core's binaries are handled by the simultaneity check.
        self._stream_integers = [
            v
            for block in blocks.values()
            for v in block.component_data_objects(pyo.Var, descend_into=True)
            if v.is_integer() or v.is_binary()
        ]
        finish_core(core, terms)
        m.objective = pyo.Objective(
            expr=sum(t.objective_usd for t in terms) + curtailment_cost(core), sense=pyo.minimize
        )
        return m, blocks

    # -- solving ---------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """Steps per horizon."""
        return self._n_steps

    @property
    def dt_h(self) -> float:
        """Step length [h]."""
        return self._dt_h

    def solve(
        self,
        *,
        load_kw: pd.Series,
        pv_kw: pd.Series | None = None,
        initial_soc_fraction: float = 0.5,
        terminal: TerminalSoc = TerminalSoc(),  # noqa: B008 - frozen dataclass
        month_to_date: MonthToDate = MonthToDate(),  # noqa: B008 - frozen dataclass
        stream_inputs: Mapping[str, Any] | None = None,
    ) -> DispatchResult:
        """Solve one horizon; the index comes from ``load_kw``.

        Parameters
        ----------
        load_kw : pandas.Series
            Site load [kW], >= 0, on a tz-aware index in the site's zone with ``n_steps``
            labels of the model's step.
        pv_kw : pandas.Series or None, default None
            PV output [kW], >= 0, on the same index; None means no PV.
        initial_soc_fraction : float, default 0.5
            Stored energy before the first step as a fraction of ``energy_kwh``, within the
            battery's SOC window.
        terminal : TerminalSoc, default TerminalSoc()
            End condition (default: end at least at the initial SOC).
        month_to_date : MonthToDate, default MonthToDate()
            Billing state already set in the first step's billing month.
        stream_inputs : Mapping of str to Any or None, default None
            Per-solve data of market streams, keyed by stream name.

        Returns
        -------
        DispatchResult

        Raises
        ------
        InputError
            On bad input, before any parameter is changed.
        SolverError
            If HiGHS ends without a proven optimum (carries the ``Termination``).
        """
        started = time.perf_counter()
        window = self._spec.window(
            load_kw, pv_kw, initial_soc_fraction, terminal, month_to_date, stream_inputs
        )
        return self._solve_window(window, started)

    def _solve_window(self, window: Window, started: float) -> DispatchResult:
        """Write a validated window into the parameters, solve and extract."""
        if self._calendar is not None:
            if window is not self._calendar:
                raise ValuestackError("internal: a one-shot model is solved once, for its window")
        else:
            self._write(window)
            self._solver.push_parameters()
        build_s = time.perf_counter() - started
        return self._solve_and_extract(window, build_s)

    def _run(self) -> tuple[Termination, float, np.ndarray | None, bool]:
        """Relaxation first where it settles the MILP, else branch and bound."""
        if self._relax:
            return (*self._solver.run(relaxation=True), False)
        if self._relaxation_first:
            termination, gap, x = self._solver.run(relaxation=True)
            if (
                termination is Termination.OPTIMAL
                and not self._simultaneous(x)
                and self._stream_integers_integral(x)
            ):
                return termination, gap, x, True
        return (*self._solver.run(relaxation=False), False)

    def _solve_and_extract(self, window: Window, build_s: float) -> DispatchResult:
        started = time.perf_counter()
        termination, gap, x, integral = self._run()
        solve_s = time.perf_counter() - started
        if termination is not Termination.OPTIMAL or x is None:
            message = f"dispatch of {self._n_steps} steps from {window.index[0]} has no optimum"
            if termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
                message += ": " + diagnose_infeasibility(self._battery, window)
            raise SolverError(message, termination)
        started = time.perf_counter()
        cols = self._cols
        schedule = pd.DataFrame(
            np.column_stack([x[cols[name]] for name in _CORE_COLUMNS]),
            index=window.index,
            columns=list(_CORE_COLUMNS),
            copy=False,
        )
        if self._needs_load:
            variables, var_cols = self._all_vars
            for var, val in zip(variables, x[var_cols].tolist(), strict=True):
                var.set_value(val, skip_validation=True)
        for s in self._streams:
            for column, column_values in s.schedule_columns(self._blocks[s.name]).items():
                if column in schedule.columns:
                    raise ValuestackError(f"internal: two schedule columns named {column!r}")
                schedule[column] = np.asarray(column_values, dtype=float)
        term_values = self._term_values.values(x).tolist()
        value_by_stream = {
            s.name: v for s, v in zip(self._streams, term_values, strict=True) if s.reported(window)
        }
        for s in self._streams:
            s.settle(self._blocks[s.name], window, value_by_stream)
        objective = math.fsum(value_by_stream.values())
        extract_s = time.perf_counter() - started
        report = SolverReport(
            termination=termination,
            mip_gap=gap,
            build_s=build_s,
            solve_s=solve_s,
            extract_s=extract_s,
            relaxation_was_integral=integral,
        )
        return DispatchResult(
            schedule=schedule,
            value_by_stream_usd=value_by_stream,
            objective_usd=objective,
            solver=report,
        )

    def _stream_integers_integral(self, x: np.ndarray) -> bool:
        """True if every integer variable of a stream is integral in the solution ``x``."""
        values = x[self._stream_integer_cols]
        return bool((np.abs(values - np.round(values)) <= 1e-6).all())

    def _simultaneous(self, x: np.ndarray) -> bool:
        """True if the relaxed solution ``x`` charges and discharges in one step."""
        b = self._battery
        charge = x[self._cols["charge_kw"]]
        discharge = x[self._cols["discharge_kw"]]
        tol = 1e-6 * max(b.charge_rating_kw, b.discharge_rating_kw, 1.0)
        return bool(((charge > tol) & (discharge > tol)).any())
