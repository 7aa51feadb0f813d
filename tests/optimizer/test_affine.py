"""Parameter expressions compiled to numpy equal Pyomo's own evaluation (second method)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import NPV_MaxExpression

from optimizer.affine import AffineMap, ParamVector


def _model():
    m = pyo.ConcreteModel()
    m.s = pyo.RangeSet(0, 2)
    m.p = pyo.Param(m.s, mutable=True, initialize=0.0)
    m.q = pyo.Param(mutable=True, initialize=0.0)
    return m


def test_affine_and_bilinear_expressions_match_pyomo_values():
    m = _model()
    exprs = [
        3.5,  # a number
        m.p[0],  # a bare parameter
        0.25 * (m.p[1] + 2.0 * m.p[2]) - 7.0,  # affine
        -m.q + m.p[0] * 4.0,  # affine in two parameters
        m.p[1] * m.q,  # bilinear: kept and evaluated by Pyomo
        NPV_MaxExpression((m.p[2], 0.1)),  # not affine either: kept
    ]
    params = ParamVector()
    compiled = AffineMap(exprs, params)
    rng = np.random.default_rng(3)
    for _ in range(5):
        for k in m.s:
            m.p[k] = float(rng.normal())
        m.q = float(rng.normal())
        got = compiled.evaluate(params.values())
        expected = [pyo.value(e) for e in exprs]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_probing_restores_parameter_values():
    m = _model()
    m.p[1] = 2.5
    m.q = -1.0
    AffineMap([m.p[1] * 3.0 + m.q, m.p[1] * m.q], ParamVector())
    assert pyo.value(m.p[1]) == 2.5
    assert pyo.value(m.q) == -1.0
