"""A finished Pyomo model compiled once to arrays and handed to HiGHS in one call.

For a model solved once (:func:`~optimizer.dispatch.optimize_dispatch`) nothing needs to be
pushed later, so the model is compiled with Pyomo's own array compiler
(``LinearStandardFormCompiler`` in mixed form: each row keeps its sense) and passed to HiGHS
as one compressed-column ``HighsLp``, instead of being added row by row through the
persistent interface. Variables that appear in no row and no objective get a column of their
own (bounds only) so that every variable has one.

Such a model may also build its per-step constraint families as Pyomo *templates*
(:func:`templated`): the rule is called once with a symbolic step instead of once per step,
and the compiler expands the template into every row in generated code. The rows are the
ones the rule would have built element by element (tested on a medium case); a rule that
cannot be templated (it branches on the step) is built element by element as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.numeric_types import native_numeric_types, value
from pyomo.common.tee import capture_output
from pyomo.core.base import constraint as _constraint
from pyomo.core.base.objective import ObjectiveSense
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

__all__ = ["compile_to_highs", "new_highs", "templated"]


@contextmanager
def templated(enabled: bool = True) -> Iterator[None]:
    """Constraints constructed inside are Pyomo templates when ``enabled`` (see module doc).

    Only for models compiled by :func:`compile_to_highs` (Pyomo's standard-form compiler
    expands templates; the persistent interface would rebuild each row's expression). The
    rules inside must index components by the step only through arithmetic (``x[t]``,
    ``x[t - 1]``, ``p[g[t]]``) and must not branch on it. Pyomo reads a module flag at
    construction; it is set for the block only and restored on exit (one model is built at
    a time per process: fleets run processes, not threads).
    """
    if not enabled:
        yield
        return
    saved = _constraint.TEMPLATIZE_CONSTRAINTS
    _constraint.TEMPLATIZE_CONSTRAINTS = True
    try:
        yield
    finally:
        _constraint.TEMPLATIZE_CONSTRAINTS = saved


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with its output off (its banner, printed once per process, is
    swallowed)."""
    with capture_output(capture_fd=True):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h


def _column_data(variables: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds (+-inf for none) and integrality of each variable.

    As ``VarData.bounds`` and ``is_integer() or is_binary()``, with each domain's bounds and
    integrality looked up once per domain object rather than once per variable.
    """
    n = len(variables)
    lower = np.empty(n)
    upper = np.empty(n)
    integer = np.zeros(n, dtype=bool)
    by_domain: dict[int, tuple[float, float, bool]] = {}
    for k, v in enumerate(variables):
        domain = v.domain
        known = by_domain.get(id(domain))
        if known is None:
            d_lb, d_ub = domain.bounds()
            known = (
                -np.inf if d_lb is None else float(d_lb),
                np.inf if d_ub is None else float(d_ub),
                v.is_integer() or v.is_binary(),
            )
            by_domain[id(domain)] = known
        d_lb, d_ub, integer[k] = known
        lb, ub = v._lb, v._ub
        if lb is None:
            lower[k] = d_lb
        else:
            lb = lb if lb.__class__ in native_numeric_types else value(lb)
            lower[k] = max(float(lb), d_lb)
        if ub is None:
            upper[k] = d_ub
        else:
            ub = ub if ub.__class__ in native_numeric_types else value(ub)
            upper[k] = min(float(ub), d_ub)
    return lower, upper, integer


def compile_to_highs(model: pyo.ConcreteModel) -> tuple[highspy.Highs, dict[int, int]]:
    """HiGHS holding ``model`` at its current parameter values, and the column of each variable.

    Returns
    -------
    tuple
        The ``highspy.Highs`` object and a map from ``id(VarData)`` to its column.
    """
    info = LinearStandardFormCompiler().write(
        model, mixed_form=True, set_sense=ObjectiveSense.minimize
    )
    columns = list(info.columns)
    var_col = {id(v): k for k, v in enumerate(columns)}
    n_vars = sum(len(c) for c in model.component_objects(pyo.Var, descend_into=True))
    if len(var_col) < n_vars:  # some variable is in no row and no objective
        for v in model.component_data_objects(pyo.Var, descend_into=True):
            if id(v) not in var_col:
                var_col[id(v)] = len(columns)
                columns.append(v)
    n_cols = len(columns)
    a = info.A.tocsc()
    start = np.concatenate([a.indptr, np.full(n_cols - a.shape[1], a.indptr[-1])])
    cost = np.zeros(n_cols)
    cost[: a.shape[1]] = np.asarray(info.c.todense()).ravel()[: a.shape[1]]
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.fromiter((row.bound_type for row in info.rows), dtype=np.int64, count=len(rhs))
    row_lower = np.where(sense <= 0, rhs, -np.inf)
    row_upper = np.where(sense >= 0, rhs, np.inf)
    col_lower, col_upper, integer = _column_data(columns)

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = len(rhs)
    lp.col_cost_ = cost
    lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = len(rhs)
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in integer
        ]
    h = new_highs()
    h.passModel(lp)
    return h, var_col
