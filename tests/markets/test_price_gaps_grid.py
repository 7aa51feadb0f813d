"""markets.price_gaps.on_grid: gapped prices on a simulation grid, NaN where unpriced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from markets.price_gaps import on_grid, split_at_gaps

TZ = "America/Chicago"


def _gapped(freq: str, periods: int, drop: list[int], start: str = "2024-06-01"):
    index = pd.date_range(start, periods=periods, freq=freq, tz=TZ)
    frame = pd.DataFrame({"energy_da_usd_per_kwh": np.arange(periods, dtype=float)}, index=index)
    return split_at_gaps(frame.drop(index=index[drop]), field="test")


def test_a_finer_grid_repeats_prices_and_leaves_each_missing_hour_missing():
    prices = _gapped("1h", 6, drop=[2, 3])  # 02:00 and 03:00 missing
    index = pd.date_range("2024-06-01", periods=24, freq="15min", tz=TZ)
    grid = on_grid(prices, index, field="f")["energy_da_usd_per_kwh"].to_numpy()
    expected = np.repeat([0.0, 1.0, np.nan, np.nan, 4.0, 5.0], 4)
    np.testing.assert_array_equal(grid, expected)


def test_a_coarser_grid_averages_and_one_missing_quarter_leaves_its_hour_missing():
    prices = _gapped("15min", 12, drop=[5])  # 01:15 missing
    index = pd.date_range("2024-06-01", periods=3, freq="1h", tz=TZ)
    grid = on_grid(prices, index, field="f")["energy_da_usd_per_kwh"].to_numpy()
    # hour 0: mean(0, 1, 2, 3) = 1.5; hour 1: one quarter missing; hour 2: mean(8..11) = 9.5
    np.testing.assert_array_equal(grid, [1.5, np.nan, 9.5])


def test_leading_empty_rows_belong_to_the_span_and_labels_outside_it_are_refused():
    index = pd.date_range("2024-06-01", periods=4, freq="1h", tz=TZ)
    frame = pd.DataFrame({"energy_da_usd_per_kwh": [np.nan, np.nan, 2.0, 3.0]}, index=index)
    grid = on_grid(split_at_gaps(frame, field="test"), index, field="f")
    np.testing.assert_array_equal(grid["energy_da_usd_per_kwh"], [np.nan, np.nan, 2.0, 3.0])
    later = pd.date_range("2024-06-01 02:00", periods=3, freq="1h", tz=TZ)
    with pytest.raises(InputError, match="first outside 2024-06-01 04:00"):
        on_grid(split_at_gaps(frame, field="test"), later, field="f")
