"""The forecasters' History: rows appended part by part read as one frame, labels and arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from forecasting.base import History

TZ = "America/New_York"


def _frame(start: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=n, freq="15min", tz=TZ)
    load = rng.uniform(0, 100, n)
    load[rng.random(n) < 0.1] = np.nan  # missing readings stay missing
    return pd.DataFrame({"load_kw": load, "temp_air_c": rng.normal(15, 5, n)}, index=index)


def test_a_history_extended_in_parts_equals_the_whole_frame():
    # over the autumn DST change; second method: the frame cut from one whole frame
    whole = _frame("2023-11-03", 400, 1)
    cuts = [0, 96, 97, 150, 151, 260, 400]
    history = History(frame=whole.iloc[: cuts[1]], target="load_kw", columns=("temp_air_c",))
    np.testing.assert_array_equal(
        history.visible_array("load_kw", whole.index[-1]),
        np.concatenate([whole["load_kw"].to_numpy()[:96], np.full(303, np.nan)]),
    )
    for i, (a, b) in enumerate(zip(cuts[1:-1], cuts[2:], strict=True)):
        history = history.extend(whole.iloc[a:b])
        assert history.end == whole.index[b - 1]
        assert history.start == whole.index[0] and history.step == pd.Timedelta("15min")
        if i == 2:  # read the frame midway: later parts join onto it
            pd.testing.assert_frame_equal(history.frame, whole.iloc[:b])
    pd.testing.assert_frame_equal(history.frame, whole)
    issue = whole.index[300]  # rows before 300 are known at its start
    visible = history.visible_array("load_kw", issue)
    np.testing.assert_array_equal(visible, whole["load_kw"].to_numpy()[:300])
    with pytest.raises(ValueError):
        visible[0] = 1.0  # a view of the kept array: read only


def test_an_extension_off_the_grid_is_rejected_and_leaves_the_history_as_it_was():
    whole = _frame("2023-06-01", 200, 2)
    history = History(frame=whole.iloc[:100], target="load_kw")
    with pytest.raises(InputError, match="one step after"):
        history.extend(whole.iloc[101:120])  # a row skipped
    with pytest.raises(InputError, match="step"):
        history.extend(whole.iloc[100:120:2])  # 30-min rows
    with pytest.raises(InputError, match="values >= 0"):
        history.extend(whole.iloc[100:101].assign(load_kw=-1.0))
    longer = history.extend(whole.iloc[100:150])
    pd.testing.assert_frame_equal(history.frame, whole.iloc[:100])  # as given
    pd.testing.assert_frame_equal(longer.frame, whole.iloc[:150][["load_kw"]])  # its columns
