"""The time grid: what a valid index is, and dt_h across DST."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import InputError
from core.timegrid import TimeGrid, step_hours, validate_index


def _index(start="2023-01-01", periods=8, freq="15min", tz="America/New_York"):
    return pd.date_range(start, periods=periods, freq=freq, tz=tz)


def test_valid_index_is_returned_unchanged():
    index = _index()
    assert validate_index(index, name="load_kw.index") is index


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda i: list(i), "a pandas.DatetimeIndex"),
        (lambda i: i.tz_localize(None), "a tz-aware index (localize it to the site's zone)"),
        (lambda i: i.append(i[-1:]), "unique labels"),
        (lambda i: i[[0, 2, 1, 3]], "strictly increasing labels"),
        (lambda i: i.delete(4), "a fixed step with no gaps"),
        (lambda i: i[:0], "at least 1 labels"),
    ],
    ids=["not-an-index", "naive", "duplicated", "unsorted", "gapped", "empty"],
)
def test_bad_index_rejected_with_its_name(make, expected):
    with pytest.raises(InputError) as err:
        validate_index(make(_index()), name="pv_kw.index")
    assert err.value.field == "pv_kw.index"
    assert err.value.expected == expected


def test_single_label_needs_a_freq():
    one = _index(periods=1)
    assert step_hours(one) == 0.25  # date_range keeps freq=15min
    with pytest.raises(InputError):
        validate_index(pd.DatetimeIndex([one[0]]), name="x")


@pytest.mark.parametrize(
    ("start", "end", "freq", "count", "dt_h", "hours"),
    [
        # spring forward: 23 local hours = 92 quarter-hours of 0.25 h
        ("2023-03-12", "2023-03-13", "15min", 92, 0.25, 23),
        # fall back: 25 local hours
        ("2023-11-05", "2023-11-06", "1h", 25, 1.0, 25),
        ("2023-11-05", "2023-11-06", "5min", 300, 5 / 60, 25),
    ],
)
def test_dt_h_across_dst(start, end, freq, count, dt_h, hours):
    index = pd.date_range(start, end, freq=freq, tz="America/New_York", inclusive="left")
    assert len(index) == count
    assert step_hours(index) == pytest.approx(dt_h)
    assert TimeGrid(index=index).dt_h == pytest.approx(dt_h)
    # 1 kW over the local day is as many kWh as the day has hours
    assert count * step_hours(index) == pytest.approx(hours)


def test_timegrid_from_range():
    grid = TimeGrid.from_range(start="2024-02-28", periods=96 * 2, freq="15min", tz="Europe/Berlin")
    assert len(grid) == 192
    assert grid.index[-1] == pd.Timestamp("2024-02-29 23:45", tz="Europe/Berlin")
    with pytest.raises(InputError) as err:
        TimeGrid.from_range(start="2024-01-01", periods=0, freq="1h", tz="UTC")
    assert err.value.field == "periods"
    with pytest.raises(InputError) as err:
        TimeGrid(index=_index().tz_localize(None))
    assert err.value.field == "TimeGrid.index"
