"""The persistent HiGHS interface (``pyomo.contrib.solver``'s ``Highs``), set up for re-solves.

The model is handed to HiGHS once (``set_instance``). Before every re-solve only parameter
values are pushed (``update_parameters``: changed right-hand sides, bounds and coefficients go
to HiGHS through ``changeRowBounds``/``changeColBounds``/``changeCoeff``/``changeColCost``);
every automatic structure check of the interface is switched off, so nothing is rebuilt or
re-scanned. HiGHS runs with ``threads=1``, a fixed random seed and no output, so the same
inputs give the same outputs.
"""

from __future__ import annotations

import logging

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import Results, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from optimizer.results import Termination

__all__ = ["PersistentHighs"]

logger = logging.getLogger(__name__)

_TERMINATION = {
    TerminationCondition.convergenceCriteriaSatisfied: Termination.OPTIMAL,
    TerminationCondition.provenInfeasible: Termination.INFEASIBLE,
    TerminationCondition.locallyInfeasible: Termination.INFEASIBLE,
    TerminationCondition.unbounded: Termination.UNBOUNDED,
    TerminationCondition.infeasibleOrUnbounded: Termination.INFEASIBLE_OR_UNBOUNDED,
    TerminationCondition.maxTimeLimit: Termination.TIME_LIMIT,
    TerminationCondition.iterationLimit: Termination.ITERATION_LIMIT,
    TerminationCondition.objectiveLimit: Termination.ITERATION_LIMIT,
    TerminationCondition.error: Termination.ERROR,
}

_AUTO_UPDATES = (
    "check_for_new_or_removed_constraints",
    "check_for_new_or_removed_vars",
    "check_for_new_or_removed_params",
    "check_for_new_objective",
    "update_constraints",
    "update_vars",
    "update_parameters",
    "update_named_expressions",
    "update_objective",
)


class _BatchedHighs(Highs):
    """``Highs`` that hands every variable to HiGHS in one batch before the constraints.

    The stock ``add_block`` discovers variables constraint by constraint and calls HiGHS's
    ``addVars``/``changeColsIntegrality`` once per constraint; for a year of steps that is
    tens of thousands of calls. Adding all variables first makes those calls empty.
    """

    def add_block(self, block):
        self.add_variables(list(block.component_data_objects(pyo.Var, descend_into=True)))
        super().add_block(block)

    def _check_for_new_vars(self, variables):
        new = [v for v in variables if id(v) not in self._referenced_variables]
        if new:
            self.add_variables(new)


class PersistentHighs:
    """One HiGHS instance holding one model for its lifetime.

    Parameters
    ----------
    model : pyomo.environ.ConcreteModel
        The finished model (structure never changes afterwards).
    mip_rel_gap : float
        HiGHS ``mip_rel_gap`` [fraction].
    time_limit_s : float or None
        HiGHS ``time_limit`` per run [s]; None for none.
    """

    def __init__(
        self, model: pyo.ConcreteModel, *, mip_rel_gap: float, time_limit_s: float | None
    ) -> None:
        self._model = model
        opt = _BatchedHighs()
        config = opt.config
        for flag in _AUTO_UPDATES:
            setattr(config.auto_updates, flag, False)
        config.threads = 1
        config.rel_gap = mip_rel_gap
        config.time_limit = time_limit_s
        config.load_solutions = False
        config.raise_exception_on_nonoptimal_result = False
        self._options = {"output_flag": False, "random_seed": 0}
        opt.set_instance(model)
        self._opt = opt

    def push_parameters(self) -> None:
        """Send the current values of every mutable parameter to HiGHS."""
        self._opt.update_parameters()

    def run(self, *, relaxation: bool) -> tuple[Termination, float, Results]:
        """Solve (the LP relaxation if ``relaxation``); load the solution if there is one.

        Returns
        -------
        tuple
            The termination, the relative MIP gap (0.0 for an LP or a relaxation) and pyomo's
            results object.
        """
        options = dict(self._options, solve_relaxation=relaxation)
        results = self._opt.solve(self._model, solver_options=options)
        termination = _TERMINATION.get(results.termination_condition, Termination.UNKNOWN)
        gap = 0.0
        incumbent, bound = results.incumbent_objective, results.objective_bound
        if not relaxation and incumbent is not None and bound is not None:
            gap = abs(incumbent - bound) / max(abs(incumbent), 1e-10)
        if termination is Termination.OPTIMAL:
            results.solution_loader.load_vars()
        logger.debug(
            "HiGHS %s: %s in %.4f s",
            "LP" if relaxation else "MILP",
            termination.value,
            results.timing_info.wall_time,
        )
        return termination, gap, results
