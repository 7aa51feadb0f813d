"""Pyomo parameter expressions compiled to numpy: ``y = J @ p + b``.

Every number the persistent HiGHS model takes from a mutable parameter (a cost, a bound, a
right-hand side, a matrix coefficient) is an expression of the model's mutable ``Param``
values. The dispatch model's expressions are affine in those values, so they are compiled
once, at build, into a sparse matrix ``J`` and an offset ``b`` over one vector ``p`` of every
parameter involved; each solve then reads ``p`` from Pyomo in one pass and evaluates all of
them with one sparse product. An expression that is not affine in its parameters (e.g. the
product of two parameters) is kept and evaluated by Pyomo on every solve.

Compilation probes each expression built of sums, products, quotients and negations only:
with its parameters at zero (the offset), one at a time at one (the coefficients), and all at
distinct values (the check of affinity). Parameter values are restored afterwards. Any other
node (max, min, abs, functions) makes the expression a fallback.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np
from pyomo.core.base.param import ParamData
from pyomo.core.expr import numeric_expr as ne
from pyomo.core.expr.numvalue import native_numeric_types, value
from pyomo.core.expr.visitor import identify_mutable_parameters

__all__ = ["AffineMap", "ParamVector"]

_get_value = attrgetter("_value")

_ARITHMETIC = (
    ne.SumExpression,
    ne.NPV_SumExpression,
    ne.ProductExpression,
    ne.NPV_ProductExpression,
    ne.NegationExpression,
    ne.NPV_NegationExpression,
    ne.DivisionExpression,
    ne.NPV_DivisionExpression,
    ne.MonomialTermExpression,
    ne.LinearExpression,
)
"""Expression nodes the probe may treat as affine (sums, products, quotients, negation);
anything else (max, min, abs, functions, conditionals) is kept and evaluated by Pyomo."""


def _arithmetic_only(expr: Any) -> bool:
    """True if ``expr`` is built of numbers, parameters and :data:`_ARITHMETIC` nodes."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if node.__class__ in native_numeric_types or isinstance(node, ParamData):
            continue
        if isinstance(node, _ARITHMETIC):
            stack.extend(node.args)
        elif getattr(node, "is_named_expression_type", lambda: False)():
            stack.append(node.expr)
        else:
            return False
    return True


class ParamVector:
    """The mutable parameters seen so far, each with a fixed position in ``p``."""

    def __init__(self) -> None:
        self._index: dict[int, int] = {}
        self._datas: list[ParamData] = []

    def position(self, param: ParamData) -> int:
        """Position of ``param`` in ``p`` (added on first sight)."""
        key = id(param)
        pos = self._index.get(key)
        if pos is None:
            pos = len(self._datas)
            self._index[key] = pos
            self._datas.append(param)
        return pos

    def __len__(self) -> int:
        return len(self._datas)

    def values(self) -> np.ndarray:
        """Current values of every parameter, in position order."""
        return np.fromiter(map(_get_value, self._datas), dtype=float, count=len(self._datas))


class AffineMap:
    """A list of Pyomo expressions evaluated together as ``J @ p + b`` (see module docstring).

    Parameters
    ----------
    exprs : sequence
        Numbers, ``ParamData`` or Pyomo expressions of mutable parameters (no variables).
    params : ParamVector
        The shared parameter vector the positions refer to.
    """

    def __init__(self, exprs: Sequence[Any], params: ParamVector) -> None:
        n = len(exprs)
        self._params = params
        offset = np.zeros(n)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        self._fallback: list[tuple[int, Any]] = []
        for i, expr in enumerate(exprs):
            if expr.__class__ in native_numeric_types:
                offset[i] = float(expr)
            elif isinstance(expr, ParamData):
                rows.append(i)
                cols.append(params.position(expr))
                vals.append(1.0)
            else:
                terms = _probe(expr)
                if terms is None:
                    self._fallback.append((i, expr))
                    continue
                offset[i], coefs = terms
                for param, coef in coefs:
                    if coef:
                        rows.append(i)
                        cols.append(params.position(param))
                        vals.append(coef)
        self._rows = np.asarray(rows, dtype=np.int64)
        self._cols = np.asarray(cols, dtype=np.int64)
        self._vals = np.asarray(vals, dtype=float)
        self._offset = offset

    def __len__(self) -> int:
        return len(self._offset)

    def evaluate(self, p: np.ndarray) -> np.ndarray:
        """All expressions at the parameter values ``p`` (from :meth:`ParamVector.values`)."""
        n = len(self._offset)
        out = self._offset + np.bincount(
            self._rows, weights=self._vals * p[self._cols], minlength=n
        )
        for i, expr in self._fallback:
            out[i] = value(expr)
        return out


def _probe(expr: Any) -> tuple[float, list[tuple[ParamData, float]]] | None:
    """Offset and per-parameter coefficients of ``expr``, or None if it is not affine."""
    params = [q for q in identify_mutable_parameters(expr) if isinstance(q, ParamData)]
    if not params:
        return float(value(expr)), []
    if not _arithmetic_only(expr):
        return None
    saved = [q._value for q in params]
    try:
        for q in params:
            q._value = 0.0
        base = float(value(expr))
        coefs = []
        for q in params:
            q._value = 1.0
            coefs.append(float(value(expr)) - base)
            q._value = 0.0
        for k, q in enumerate(params):
            q._value = 2.0 + k
        check = float(value(expr))
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    finally:
        for q, v in zip(params, saved, strict=True):
            q._value = v
    predicted = base + sum(c * (2.0 + k) for k, c in enumerate(coefs))
    if not math.isclose(check, predicted, rel_tol=1e-12, abs_tol=1e-12):
        return None
    return base, list(zip(params, coefs, strict=True))
