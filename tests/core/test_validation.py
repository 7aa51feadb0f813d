"""Validation helpers: bad series and numbers are rejected with their names."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.validation import (
    require_finite,
    require_fraction,
    require_in,
    require_nonnegative,
    require_positive,
    validate_frame,
    validate_series,
)


def _series(values=(1.0, 2.0, 3.0, 4.0), tz="America/Chicago"):
    index = pd.date_range("2023-06-01", periods=len(values), freq="1h", tz=tz)
    return pd.Series(values, index=index, dtype=float)


def test_good_series_is_returned_unchanged():
    s = _series()
    assert validate_series(s, name="load_kw", nonnegative=True) is s


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda s: s.to_numpy(), "load_kw"),
        (lambda s: s.tz_localize(None), "load_kw.index"),
        (lambda s: pd.concat([s, s.iloc[-1:]]), "load_kw.index"),
        (lambda s: s.iloc[[1, 0, 2, 3]], "load_kw.index"),
        (lambda s: s.drop(s.index[2]), "load_kw.index"),
        (lambda s: s.where(s != 3.0), "load_kw"),
        (lambda s: s.replace(2.0, math.inf), "load_kw"),
        (lambda s: s.astype(str), "load_kw"),
        (lambda s: s > 2, "load_kw"),
    ],
    ids=["array", "naive", "duplicated", "unsorted", "gapped", "nan", "inf", "strings", "bool"],
)
def test_bad_series_rejected_with_its_name(make, field):
    with pytest.raises(InputError) as err:
        validate_series(make(_series()), name="load_kw")
    assert err.value.field == field


def test_negative_and_wrong_index():
    with pytest.raises(InputError) as err:
        validate_series(_series((1.0, -2.0)), name="pv_kw", nonnegative=True)
    assert err.value.field == "pv_kw" and "-2.0" in str(err.value)
    other = _series().index.shift(1)
    with pytest.raises(InputError) as err:
        validate_series(_series(), name="pv_kw", index=other)
    assert err.value.field == "pv_kw.index"


def test_validate_frame_names_the_column():
    frame = pd.DataFrame({"load_kw": _series(), "pv_kw": _series((0.0, np.nan, 1.0, 2.0))})
    with pytest.raises(InputError) as err:
        validate_frame(frame, name="site", columns=["load_kw", "pv_kw"])
    assert err.value.field == "site.pv_kw"
    with pytest.raises(InputError) as err:
        validate_frame(frame, name="site", columns=["price_usd_per_kwh"])
    assert err.value.field == "site.columns"


def test_scalar_checks():
    assert require_finite("x", 1.5) == 1.5
    assert require_positive("x", 2) == 2
    assert require_nonnegative("x", 0.0) == 0.0
    assert require_fraction("x", 1.0) == 1.0
    assert require_in("x", "a", ["a", "b"]) == "a"
    for func, value in [
        (require_finite, math.nan),
        (require_finite, True),
        (require_positive, 0.0),
        (require_nonnegative, -1e-9),
        (require_fraction, 1.01),
    ]:
        with pytest.raises(InputError) as err:
            func("Battery.x", value)
        assert err.value.field == "Battery.x"
    with pytest.raises(InputError):
        require_fraction("x", 0.0, allow_zero=False)
    with pytest.raises(InputError):
        require_in("x", "c", ["a", "b"])


def test_errors_survive_pickling_across_processes():
    # Process pools and Dask pickle exceptions raised in workers; a lost field name would
    # leave a fleet report unable to say what was wrong.
    import pickle

    from core.errors import SolverError

    error = pickle.loads(pickle.dumps(InputError("battery.power_kw", -5.0, "a number > 0")))
    assert isinstance(error, InputError)
    assert (error.field, error.value, error.expected) == ("battery.power_kw", -5.0, "a number > 0")
    solver_error = pickle.loads(pickle.dumps(SolverError("window 3", "infeasible")))
    assert solver_error.termination == "infeasible"
    assert str(solver_error) == "window 3 (termination: infeasible)"
