"""Metrics against hand-computed values on tiny arrays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from forecasting import metrics
from forecasting.conformal import ResidualCalibrator, conformal_quantile

A = np.array([10.0, 20.0, 40.0, np.nan])
F = np.array([12.0, 17.0, 40.0, 99.0])


def test_point_metrics_by_hand():
    # errors on the three observed points: +2, -3, 0
    assert metrics.mae(A, F) == pytest.approx(5 / 3)
    assert metrics.rmse(A, F) == pytest.approx(math.sqrt(13 / 3))
    assert metrics.cv_rmse(A, F) == pytest.approx(math.sqrt(13 / 3) / (70 / 3))
    assert metrics.mape(A, F) == pytest.approx((0.2 + 0.15 + 0.0) / 3)
    assert metrics.nmae(A, F, normaliser=10.0) == pytest.approx(1 / 6)
    assert metrics.skill(0.5, 2.0) == pytest.approx(0.75)
    # pinball at 0.9: diffs a - q = -2, 3, 0 -> losses 0.1*2, 0.9*3, 0 -> mean 2.9/3
    assert metrics.pinball_loss(A, F, 0.9) == pytest.approx(2.9 / 3)
    assert metrics.coverage(A, F - 1, F + 1) == pytest.approx(1 / 3)


def test_mape_refuses_loads_near_zero():
    with pytest.raises(InputError, match="MAPE"):
        metrics.mape([100.0, 0.1], [100.0, 1.0])


def test_daily_peaks_on_a_dst_day():
    # 2021-03-28 in London has 23 hours; give it a peak at 14:00 local (13:00 UTC)
    index = pd.date_range("2021-03-28 00:00", "2021-03-29 23:00", freq="h", tz="Europe/London")
    values = np.ones(len(index))
    values[index.get_loc(pd.Timestamp("2021-03-28 14:00", tz="Europe/London"))] = 5.0
    values[index.get_loc(pd.Timestamp("2021-03-29 07:00", tz="Europe/London"))] = 3.0
    peaks = metrics.daily_peaks(pd.Series(values, index=index), tz="Europe/London")
    assert len(index) == 23 + 24
    assert peaks["peak_kw"].tolist() == [5.0, 3.0]
    assert peaks["peak_hour_h"].tolist() == [14.0, 7.0]


def test_incomplete_days_are_not_scored():
    index = pd.date_range("2021-06-01 05:00", periods=30, freq="h", tz="UTC")
    peaks = metrics.daily_peaks(pd.Series(np.arange(30.0), index=index), tz="UTC")
    assert len(peaks) == 0  # 19 hours of day 1 and 11 of day 2
    # the same ramp over 60 hours from 05:00 holds one complete day, June 2 (values 19..42):
    # its peak is 42 at 23:00; June 1 (19 h) and June 3 (17 h) are dropped
    index = pd.date_range("2021-06-01 05:00", periods=60, freq="h", tz="UTC")
    peaks = metrics.daily_peaks(pd.Series(np.arange(60.0), index=index), tz="UTC")
    assert len(peaks) == 1
    assert peaks.index[0] == pd.Timestamp("2021-06-02", tz="UTC")
    assert peaks["peak_kw"].iloc[0] == 42.0 and peaks["peak_hour_h"].iloc[0] == 23.0


def test_conformal_quantile_ranks():
    r = np.arange(1.0, 10.0)  # m = 9
    # upper: ceil(0.9 * 10) = 9th smallest = 9; lower: floor(0.1 * 10) = 1st = 1
    assert conformal_quantile(r, 0.9) == 9.0
    assert conformal_quantile(r, 0.1) == 1.0
    # median: ceil(0.5 * 10) = 5th = 5
    assert conformal_quantile(r, 0.5) == 5.0
    assert math.isnan(conformal_quantile(np.array([np.nan]), 0.5))


@given(st.lists(st.floats(-100, 100), min_size=30, max_size=300), st.integers(0, 2**31))
def test_conformal_interval_covers_at_least_its_level_on_exchangeable_data(values, seed):
    # a new draw from the same residual list falls within [q10, q90] with probability
    # >= 0.8 - 1/(m+1) by the conformal guarantee; check on the empirical distribution itself
    r = np.asarray(values)
    lo, hi = conformal_quantile(r, 0.1), conformal_quantile(r, 0.9)
    inside = np.mean((r >= lo) & (r <= hi))
    assert inside >= 0.8 - 1.0 / (len(r) + 1)


def test_calibrator_uses_only_rows_known_by_the_issue():
    cal = ResidualCalibrator(levels=(0.1, 0.9), window=10)
    t0 = pd.Timestamp("2021-01-01", tz="UTC")
    for i in range(5):
        cal.add(np.full(3, float(i)), known_at=t0 + pd.Timedelta(days=i))
    # known by day 1: rows 0 and 1, so each step holds {0, 1} (m = 2): q90 rank ceil(0.9 * 3)
    # = 3, capped at 2 -> 1.0; q10 rank floor(0.1 * 3) = 0, at least 1 -> 0.0
    offsets = cal.offsets(3, known_by=t0 + pd.Timedelta(days=1))
    assert offsets[1].tolist() == [1.0, 1.0, 1.0]
    assert offsets[0].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(InputError):
        cal.offsets(3, known_by=t0 - pd.Timedelta(days=1))
