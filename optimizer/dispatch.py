"""One-shot dispatch: build a model for one horizon, solve it, return the result."""

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

__all__ = ["optimize_dispatch"]


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
    spec = ModelSpec.create(
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
    window = spec.window(
        load_kw, pv_kw, initial_soc_fraction, terminal, month_to_date, stream_inputs
    )
    checked_s = time.perf_counter() - started
    model = DispatchModel._from_spec(spec, calendar=window)
    result = model._solve_window(window, time.perf_counter())
    built_s = checked_s + model.build_s
    report = dataclasses.replace(result.solver, build_s=built_s + result.solver.build_s)
    return dataclasses.replace(result, solver=report)
