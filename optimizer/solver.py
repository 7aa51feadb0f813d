"""The persistent HiGHS model of a dispatch model, fed and read as numpy vectors.

Pyomo is the model's single source of truth: the finished model is handed to HiGHS once
through ``pyomo.contrib.solver``'s ``Highs`` interface (``set_instance``; a model solved once
is compiled to arrays instead, :mod:`optimizer.compile`), which also yields
the map from Pyomo variables and constraints to HiGHS columns and rows and the list of every
cost, bound, right-hand side and coefficient that depends on a mutable parameter. Those are
compiled once into :class:`~optimizer.affine.AffineMap` s. Before a re-solve,
:meth:`PersistentHighs.push_parameters` reads every parameter value in one pass, evaluates the
maps with numpy and writes whole vectors to the ``highspy.Highs`` object
(``changeColsCost``, ``changeColsBounds``, ``changeRowsBounds``; ``changeCoeff`` only for the
coefficients whose value changed since the last push). The solution comes back as one numpy
array (:meth:`PersistentHighs.run`); Pyomo's solve wrapper is not used on the hot path, and
HiGHS keeps its basis between solves (warm start). A MILP's LP relaxation is solved by making
the integer columns continuous (``changeColsIntegrality``), which keeps that warm basis; they
are made integer again before a branch and bound. Changed coefficients are few per re-solve
(month and period membership), so ``changeCoeff`` is called for them one by one; a
coefficient that becomes 0 stays in the matrix as an explicit zero or is dropped by HiGHS,
silently (HiGHS's warning is off with its output).

HiGHS runs with ``threads=1``, a fixed random seed and no output, so the same inputs give the
same outputs and nothing is printed; with the ``optimizer`` logger at DEBUG its log goes to the
console.
"""

from __future__ import annotations

import logging
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import (
    Highs,
    _MutableConstraintBounds,
    _MutableLinearCoefficient,
)
from pyomo.repn import generate_standard_repn

from optimizer.affine import AffineMap, ParamVector
from optimizer.compile import compile_to_highs
from optimizer.results import Termination

__all__ = ["LinearTerms", "PersistentHighs"]

logger = logging.getLogger(__name__)

_STATUS = highspy.HighsModelStatus
_TERMINATION = {
    _STATUS.kOptimal: Termination.OPTIMAL,
    _STATUS.kInfeasible: Termination.INFEASIBLE,
    _STATUS.kUnbounded: Termination.UNBOUNDED,
    _STATUS.kUnboundedOrInfeasible: Termination.INFEASIBLE_OR_UNBOUNDED,
    _STATUS.kTimeLimit: Termination.TIME_LIMIT,
    _STATUS.kIterationLimit: Termination.ITERATION_LIMIT,
    _STATUS.kSolutionLimit: Termination.ITERATION_LIMIT,
    _STATUS.kObjectiveBound: Termination.ITERATION_LIMIT,
    _STATUS.kObjectiveTarget: Termination.ITERATION_LIMIT,
    _STATUS.kSolveError: Termination.ERROR,
    _STATUS.kLoadError: Termination.ERROR,
    _STATUS.kModelError: Termination.ERROR,
    _STATUS.kPresolveError: Termination.ERROR,
    _STATUS.kPostsolveError: Termination.ERROR,
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
    """One HiGHS instance holding one model for its lifetime (see the module docstring).

    Parameters
    ----------
    model : pyomo.environ.ConcreteModel
        The finished model (structure never changes afterwards).
    mip_rel_gap : float
        HiGHS ``mip_rel_gap`` [fraction].
    time_limit_s : float or None
        HiGHS ``time_limit`` per run [s]; None for none.
    symbolic : bool, default True
        Compile the parameter-dependent numbers for re-solves. False for a model solved once
        with the parameter values it had when handed over (nothing to push later).
    """

    def __init__(
        self,
        model: pyo.ConcreteModel,
        *,
        mip_rel_gap: float,
        time_limit_s: float | None,
        symbolic: bool = True,
    ) -> None:
        if symbolic:
            opt = _BatchedHighs()
            for flag in _AUTO_UPDATES:
                setattr(opt.config.auto_updates, flag, False)
            opt.set_instance(model)
            h = opt._solver_model
            var_col = dict(opt._pyomo_var_to_solver_var_map)
        else:
            h, var_col = compile_to_highs(model)
        self._h = h
        self._verbose: bool | None = None
        self._sync_output()
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        if time_limit_s is not None:
            h.setOptionValue("time_limit", float(time_limit_s))
        # No HandleKeyboardInterrupt: with ``run`` it only adds a Python callback per HiGHS
        # iteration (about 1 ms a solve); Ctrl-C is seen when ``run`` returns.
        self._var_col: dict[int, int] = var_col
        self.n_cols = int(h.getNumCol())
        integrality = np.asarray(h.getLp().integrality_, dtype=object)
        kinds = [int(k) for k in integrality.tolist()] if len(integrality) else []
        self._integer_cols = np.flatnonzero(np.asarray(kinds, dtype=np.int64) != 0).astype(np.int32)
        self._integer_kinds = [integrality[k] for k in self._integer_cols.tolist()]
        self._relaxed = False
        self.params = ParamVector()
        self._symbolic = symbolic
        if symbolic:
            self._compile(opt)
        self.p = self.params.values()
        if symbolic:
            self._coef_now = self._coef.evaluate(self.p)

    # -- structure -------------------------------------------------------------------------
    @property
    def highs(self) -> highspy.Highs:
        """The ``highspy.Highs`` object holding the model."""
        return self._h

    def column(self, var: Any) -> int:
        """HiGHS column of a Pyomo ``VarData``."""
        return self._var_col[id(var)]

    def columns(self, variables: Any) -> np.ndarray:
        """HiGHS columns of Pyomo ``VarData`` objects, in order."""
        return np.fromiter((self._var_col[id(v)] for v in variables), dtype=np.int64)

    def _compile(self, opt: _BatchedHighs) -> None:
        """Affine maps of every parameter-dependent cost, bound, rhs and coefficient."""
        var_col, con_row = self._var_col, opt._pyomo_con_to_solver_con_map
        coef_rc, coef_exprs, row_idx, row_lo, row_hi = [], [], [], [], []
        for con, helpers in opt._mutable_helpers.items():
            row = con_row[con]
            for helper in helpers:
                if isinstance(helper, _MutableLinearCoefficient):
                    coef_rc.append((row, var_col[helper.pyomo_var_id]))
                    coef_exprs.append(helper.expr)
                elif isinstance(helper, _MutableConstraintBounds):
                    row_idx.append(row)
                    row_lo.append(helper.lower_expr)
                    row_hi.append(helper.upper_expr)
        col_idx, col_lo, col_hi, dom_lo, dom_hi = [], [], [], [], []
        for var_id, (_, helper) in opt._mutable_bounds.items():
            col_idx.append(var_col[var_id])
            inner_lo, outer_lo = helper.lower_expr.args
            inner_hi, outer_hi = helper.upper_expr.args
            col_lo.append(inner_lo)
            col_hi.append(inner_hi)
            dom_lo.append(float(outer_lo))
            dom_hi.append(float(outer_hi))
        objective = opt._mutable_objective
        params = self.params
        self._coef_rc = np.asarray(coef_rc, dtype=np.int64).reshape(-1, 2)
        self._coef = AffineMap(coef_exprs, params)
        self._row_idx = np.asarray(row_idx, dtype=np.int32)
        self._row_lo, self._row_hi = AffineMap(row_lo, params), AffineMap(row_hi, params)
        self._col_idx = np.asarray(col_idx, dtype=np.int32)
        self._col_lo, self._col_hi = AffineMap(col_lo, params), AffineMap(col_hi, params)
        self._dom_lo, self._dom_hi = np.asarray(dom_lo), np.asarray(dom_hi)
        self._cost_idx = np.asarray(
            [var_col[c.pyomo_var_id] for c in objective.linear_coefs], dtype=np.int32
        )
        self._cost = AffineMap([c.expr for c in objective.linear_coefs], params)
        self._offset = AffineMap([objective.constant.expr], params)

    # -- per solve ---------------------------------------------------------------------------
    def push_parameters(self) -> None:
        """Send the current values of every mutable parameter to HiGHS as whole vectors."""
        if not self._symbolic:
            raise RuntimeError("internal: this HiGHS model was built for one solve only")
        h = self._h
        p = self.p = self.params.values()
        if len(self._cost_idx):
            h.changeColsCost(len(self._cost_idx), self._cost_idx, self._cost.evaluate(p))
        if len(self._col_idx):
            low = np.maximum(self._col_lo.evaluate(p), self._dom_lo)
            high = np.minimum(self._col_hi.evaluate(p), self._dom_hi)
            h.changeColsBounds(len(self._col_idx), self._col_idx, low, high)
        if len(self._row_idx):
            low, high = self._row_lo.evaluate(p), self._row_hi.evaluate(p)
            h.changeRowsBounds(len(self._row_idx), self._row_idx, low, high)
        coef = self._coef.evaluate(p)
        changed = np.flatnonzero(coef != self._coef_now)
        if len(changed):
            rc = self._coef_rc
            for k in changed.tolist():
                h.changeCoeff(int(rc[k, 0]), int(rc[k, 1]), float(coef[k]))
            self._coef_now = coef
        h.changeObjectiveOffset(float(self._offset.evaluate(p)[0]))

    def _sync_output(self) -> None:
        """HiGHS's log on the console only while the ``optimizer`` logger is at DEBUG."""
        verbose = logger.isEnabledFor(logging.DEBUG)
        if verbose is not self._verbose:
            self._h.setOptionValue("output_flag", verbose)
            self._h.setOptionValue("log_to_console", verbose)
            self._verbose = verbose

    def _set_relaxed(self, relaxed: bool) -> None:
        """Make the integer columns continuous (or integer again).

        Relaxing by integrality rather than HiGHS's ``solve_relaxation`` option keeps the LP
        basis of the previous solve, so the relaxation is warm-started like a pure LP.
        """
        n = len(self._integer_cols)
        if not n or relaxed is self._relaxed:
            return
        if relaxed:
            kinds = [highspy.HighsVarType.kContinuous] * n
        else:
            kinds = self._integer_kinds
        self._h.changeColsIntegrality(n, self._integer_cols, np.asarray(kinds))
        self._relaxed = relaxed

    def run(self, *, relaxation: bool) -> tuple[Termination, float, np.ndarray | None]:
        """Solve (the LP relaxation if ``relaxation``).

        Returns
        -------
        tuple
            The termination, the relative MIP gap (0.0 for an LP or a relaxation) and the
            column values (None without an optimum).
        """
        h = self._h
        self._sync_output()
        self._set_relaxed(relaxation)
        h.run()
        termination = _TERMINATION.get(h.getModelStatus(), Termination.UNKNOWN)
        gap = 0.0
        if not relaxation and termination is Termination.OPTIMAL:
            info = h.getInfo()
            incumbent, bound = info.objective_function_value, info.mip_dual_bound
            if np.isfinite(bound) and abs(bound) < highspy.kHighsInf:
                gap = abs(incumbent - bound) / max(abs(incumbent), 1e-10)
        x = None
        if termination is Termination.OPTIMAL:
            x = np.asarray(h.getSolution().col_value, dtype=float)
        logger.debug(
            "HiGHS %s: %s in %.4f s",
            "LP" if relaxation else "MILP",
            termination.value,
            h.getRunTime(),
        )
        return termination, gap, x


class LinearTerms:
    """Values of linear Pyomo expressions (objective terms) computed from a solution vector.

    Each expression is compiled once into per-column coefficients and a constant, both affine
    in the solver's parameter vector; :meth:`values` is then two sparse sums in numpy.

    Parameters
    ----------
    exprs : sequence
        Linear Pyomo expressions of the model's variables.
    solver : PersistentHighs
        The solver holding the model (column map and parameter vector).
    """

    def __init__(self, exprs: list[Any], solver: PersistentHighs) -> None:
        symbolic = solver._symbolic
        which, cols, coefs, constants = [], [], [], []
        for i, expr in enumerate(exprs):
            repn = generate_standard_repn(expr, quadratic=False, compute_values=not symbolic)
            if repn.nonlinear_expr is not None:
                raise ValueError(f"objective term {i} is not linear")
            for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
                which.append(i)
                cols.append(solver.column(var))
                coefs.append(coef)
            constants.append(repn.constant)
        self._solver = solver
        self._n = len(exprs)
        self._which = np.asarray(which, dtype=np.int64)
        self._cols = np.asarray(cols, dtype=np.int64)
        self._coef = AffineMap(coefs, solver.params)
        self._const = AffineMap(constants, solver.params)

    def values(self, x: np.ndarray) -> np.ndarray:
        """Value of every expression at the column values ``x`` and the pushed parameters."""
        p = self._solver.p
        weights = self._coef.evaluate(p) * x[self._cols]
        return np.bincount(self._which, weights=weights, minlength=self._n) + self._const.evaluate(
            p
        )
