"""One-shot dispatch: build a model for one horizon, solve it, return the result.

:func:`optimize_dispatch` solves one horizon. :class:`OneShotDispatch` has the construction
arguments and the ``solve`` of :class:`~optimizer.model.DispatchModel` but builds a model for
each solve's own window: each step gets its actual month slot and tariff periods only, its
per-step rows are Pyomo templates and the whole model goes to HiGHS in one call
(:mod:`optimizer.compile`). For horizons solved only a few times each (a month-long bound
plans twelve times a year over up to five month lengths) that is cheaper than building a
re-solvable model, whose persistent hand-over costs several one-shot builds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.inputs import ModelSpec, horizon_step
from optimizer.model import DEFAULT_MIP_REL_GAP, DispatchModel
from optimizer.results import DispatchResult
from optimizer.state import MonthToDate, TerminalSoc
from optimizer.streams import Stream

__all__ = ["OneShotDispatch", "optimize_dispatch"]


class OneShotDispatch:
    """``DispatchModel``'s interface, with a one-shot model built for every solve.

    Parameters are those of :class:`~optimizer.model.DispatchModel` (validated here, once).
    ``solve`` takes the same arguments and returns the same optimum as
    ``DispatchModel.solve``; its ``solver.build_s`` includes the build of that solve's model.
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
        self._spec = ModelSpec.create(
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
        self.stream_names: tuple[str, ...] = self._spec.stream_names

    @property
    def n_steps(self) -> int:
        """Steps per horizon."""
        return self._spec.n_steps

    @property
    def dt_h(self) -> float:
        """Step length [h]."""
        return self._spec.dt_h

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
        """Build and solve the model of this window (see ``DispatchModel.solve``)."""
        started = time.perf_counter()
        window = self._spec.window(
            load_kw, pv_kw, initial_soc_fraction, terminal, month_to_date, stream_inputs
        )
        checked_s = time.perf_counter() - started
        model = DispatchModel._from_spec(self._spec, calendar=window)
        result = model._solve_window(window, time.perf_counter())
        build_s = checked_s + model.build_s + result.solver.build_s
        return dataclasses.replace(
            result, solver=dataclasses.replace(result.solver, build_s=build_s)
        )


def optimize_dispatch(
    *,
    battery: Battery,
    tariff: Tariff,
    load_kw: pd.Series,
    pv_kw: pd.Series | None = None,
    initial_soc_fraction: float = 0.5,
    terminal: TerminalSoc = TerminalSoc(),  # noqa: B008 - frozen dataclass
    month_to_date: MonthToDate = MonthToDate(),  # noqa: B008 - frozen dataclass
    relax_binaries: bool = False,
    mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
    streams: Sequence[Stream] = (),
    stream_inputs: Mapping[str, Any] | None = None,
    time_limit_s: float | None = None,
    relaxation_first: bool = True,
) -> DispatchResult:
    """Build and solve the dispatch of one horizon (the index comes from ``load_kw``).

    Parameters are those of :class:`~optimizer.model.DispatchModel` and its ``solve``; the
    step and length come from ``load_kw``. For many horizons of one length, build a
    ``DispatchModel`` once and call ``solve`` instead.

    Returns
    -------
    DispatchResult
        ``solver.build_s`` includes the model build.
    """
    step = horizon_step(load_kw)
    started = time.perf_counter()
    one_shot = OneShotDispatch(
        battery=battery,
        tariff=tariff,
        n_steps=len(load_kw),
        freq=step,
        relax_binaries=relax_binaries,
        mip_rel_gap=mip_rel_gap,
        streams=streams,
        time_limit_s=time_limit_s,
        relaxation_first=relaxation_first,
    )
    spec_s = time.perf_counter() - started
    result = one_shot.solve(
        load_kw=load_kw,
        pv_kw=pv_kw,
        initial_soc_fraction=initial_soc_fraction,
        terminal=terminal,
        month_to_date=month_to_date,
        stream_inputs=stream_inputs,
    )
    report = dataclasses.replace(result.solver, build_s=spec_s + result.solver.build_s)
    return dataclasses.replace(result, solver=report)
