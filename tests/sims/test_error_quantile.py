"""The per-hour error quantile that raises the planner's load: against numpy, hour by hour."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sims.forecasts import hourly_error_quantile


def _by_hour(errors, hours, target_hours, quantile, min_samples):
    out = np.zeros(len(target_hours))
    for i, hour in enumerate(target_hours):
        mine = errors[(hours == hour) & np.isfinite(errors)]
        if len(mine) >= min_samples:
            out[i] = max(float(np.quantile(mine, quantile)), 0.0)
    return out


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 300),
    quantile=st.floats(0.05, 0.99),
    min_samples=st.integers(1, 8),
    nan_share=st.floats(0.0, 0.5),
)
def test_equals_numpy_quantile_of_each_hour(seed, n, quantile, min_samples, nan_share):
    rng = np.random.default_rng(seed)
    errors = rng.normal(5.0, 20.0, n)
    errors[rng.random(n) < nan_share] = np.nan
    hours = rng.integers(0, 24, n)
    target_hours = np.arange(24).repeat(2)
    got = hourly_error_quantile(errors, hours, target_hours, quantile, min_samples)
    want = _by_hour(errors, hours, target_hours, quantile, min_samples)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_hand_case_two_hours():
    # hour 7: errors 0, 10, 20, 30, 40 -> the 0.9 quantile (linear) is 36; hour 8 has 2 < 5
    errors = np.array([0.0, 10.0, 20.0, 30.0, 40.0, -5.0, 99.0])
    hours = np.array([7, 7, 7, 7, 7, 8, 8])
    got = hourly_error_quantile(errors, hours, np.array([7, 8, 9]), 0.9)
    np.testing.assert_allclose(got, [36.0, 0.0, 0.0])
