"""OneShotDispatch: DispatchModel's interface with a model built per solve, same optima."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import InputError
from optimizer import DispatchModel, OneShotDispatch
from tests.optimizer.test_resolve import BATTERY, CASES, TARIFF, N, window


def test_one_shot_solves_equal_a_re_solved_model():
    # the second method: one re-solvable model solved for the same windows in turn
    kwargs = dict(battery=BATTERY, tariff=TARIFF, n_steps=N, freq="15min", mip_rel_gap=1e-9)
    one_shot = OneShotDispatch(**kwargs)
    persistent = DispatchModel(**kwargs)
    assert one_shot.n_steps == N and one_shot.dt_h == 0.25
    assert one_shot.stream_names == persistent.stream_names
    for start, seed in CASES:
        inputs = window(start, seed)
        got = one_shot.solve(**inputs)
        want = persistent.solve(**inputs)
        assert got.objective_usd == pytest.approx(want.objective_usd, rel=1e-7, abs=1e-6)
        assert got.value_by_stream_usd.keys() == want.value_by_stream_usd.keys()
        assert list(got.schedule.index) == list(inputs["load_kw"].index)
        assert got.solver.build_s > 0


def test_one_shot_rejects_a_window_of_another_length():
    model = OneShotDispatch(battery=BATTERY, tariff=TARIFF, n_steps=N, freq="15min")
    inputs = window(*CASES[0])
    short = inputs["load_kw"].iloc[:-4]
    with pytest.raises(InputError, match="load_kw"):
        model.solve(load_kw=short)
    with pytest.raises(InputError, match="n_steps"):
        OneShotDispatch(battery=BATTERY, tariff=TARIFF, n_steps=0, freq=pd.Timedelta("15min"))
