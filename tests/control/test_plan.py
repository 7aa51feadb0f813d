"""Plan helpers: the steps at the lowest import rate ahead."""

from __future__ import annotations

import numpy as np

from control.plan import cheapest_ahead


def test_cheapest_ahead_by_hand():
    # windows of 3 steps: [.2 .1 .1] -> .2 is not the lowest; [.1 .1 .3] -> ties count;
    # [.1 .3 .05] -> a cheaper step comes; [.3 .05] and [.05] at the end of the plan
    rate = np.array([0.2, 0.1, 0.1, 0.3, 0.05])
    assert cheapest_ahead(rate, 3).tolist() == [False, True, False, False, True]


def test_a_flat_rate_is_cheapest_everywhere():
    assert cheapest_ahead(np.full(5, 0.12), 96).all()
