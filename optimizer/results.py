"""What a dispatch solve returns: the schedule, the value of each stream and the solver report."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["SCHEDULE_COLUMNS", "DispatchResult", "SolverReport", "Termination"]

SCHEDULE_COLUMNS: tuple[str, ...] = (
    "charge_kw",
    "discharge_kw",
    "soc_kwh",
    "grid_import_kw",
    "grid_export_kw",
    "pv_curtail_kw",
)
"""Columns of :attr:`DispatchResult.schedule`, in order."""


class Termination(enum.Enum):
    """How a solve ended (HiGHS model status, in solver-neutral words)."""

    OPTIMAL = "optimal"
    """Proven optimal (within ``mip_rel_gap`` for a MILP)."""
    INFEASIBLE = "infeasible"
    """No schedule satisfies the constraints."""
    UNBOUNDED = "unbounded"
    """The objective can decrease without bound (e.g. an export credit above the import price
    with no import or export limit)."""
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    """The solver proved one of the two without telling which."""
    TIME_LIMIT = "time_limit"
    """The time limit was reached."""
    ITERATION_LIMIT = "iteration_limit"
    """An iteration, node or solution limit was reached."""
    ERROR = "error"
    """The solver reported an error (load, presolve, solve or postsolve)."""
    UNKNOWN = "unknown"
    """Any other status."""


@dataclass(frozen=True, kw_only=True)
class SolverReport:
    """How one solve went.

    Parameters
    ----------
    termination : Termination
        How the solve ended (always ``OPTIMAL`` in a returned result; other endings raise
        :class:`core.errors.SolverError`).
    mip_gap : float
        Relative gap between the incumbent and the best bound when the solve ended [fraction];
        0.0 for an LP, and for a MILP whose LP relaxation was already integral.
    build_s : float
        Wall time preparing this solve [s]: for :func:`optimize_dispatch` the model build
        and the hand-over to HiGHS; for :meth:`DispatchModel.solve` the parameter updates
        pushed to the persistent solver.
    solve_s : float
        Wall time in the solver call(s) [s].
    extract_s : float
        Wall time reading the solution into the result [s].
    relaxation_was_integral : bool, default False
        True when the MILP was settled by its LP relaxation: the relaxed optimum never charged
        and discharged in the same step, so it is feasible, hence optimal, for the MILP.
    """

    termination: Termination
    mip_gap: float
    build_s: float
    solve_s: float
    extract_s: float
    relaxation_was_integral: bool = False


@dataclass(frozen=True, kw_only=True)
class DispatchResult:
    """The optimal schedule of one horizon.

    Parameters
    ----------
    schedule : pandas.DataFrame
        On the horizon's index, columns ``charge_kw``, ``discharge_kw`` (battery terminals,
        both >= 0), ``soc_kwh`` (stored energy at the END of each step), ``grid_import_kw``
        and ``grid_export_kw`` (meter, both >= 0), ``pv_curtail_kw`` (PV output curtailed,
        0 <= curtailed <= PV); then any columns the streams add, e.g.
        ``<product>_award_kw`` per capacity product (see ``Stream.schedule_columns``).
    value_by_stream_usd : dict of str to float
        Objective term of each stream [$]: cost positive, revenue negative.
    objective_usd : float
        Sum of ``value_by_stream_usd`` [$].
    solver : SolverReport
        Termination, gap and timings.
    """

    schedule: pd.DataFrame
    value_by_stream_usd: dict[str, float]
    objective_usd: float
    solver: SolverReport

    def __post_init__(self) -> None:
        present = set(self.schedule.columns.tolist())
        missing = [c for c in SCHEDULE_COLUMNS if c not in present]
        if missing:
            raise ValueError(f"schedule lacks columns {missing}")
        total = math.fsum(self.value_by_stream_usd.values())
        if not math.isclose(total, self.objective_usd, rel_tol=1e-9, abs_tol=1e-6):
            raise ValueError(
                f"objective_usd {self.objective_usd} is not the sum of the streams {total}"
            )
