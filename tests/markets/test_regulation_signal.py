"""Regulation signals: hand cases, the real PJM RegA sample, the block bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from markets.regulation_signal import (
    RegulationSignal,
    read_isone_agc_csv,
    read_pjm_rega_csv,
    signal_statistics,
    synthetic_signal,
)

REGA = "markets/pjm_rega_signal_2017_08/pjm_rega_2s_2017-08-01_02_1600-2400.csv"
AGC = "markets/isone_agc_test_signal/isone_agc_setpoints_4s_10MW.csv"


def _square(n_cycles: int, step_s: float = 900.0) -> RegulationSignal:
    return RegulationSignal(
        values_fraction=np.tile([1.0, 1.0, -1.0, -1.0], n_cycles), step_s=step_s, source="hand"
    )


def test_statistics_of_a_square_wave_by_hand():
    # 15-min steps, +1 for 30 min then -1 for 30 min: mean 0, std 1, up = down = 0.5 kWh/kW/h,
    # neutral; cumulative energy peaks at 0.5 kWh/kW after 30 min; one move of 2 per 30 min
    # (the first step has no move before it): 2 cycles = 2 h, moves 2+2+2 = 6 -> 3 per hour.
    stats = signal_statistics(_square(2), lags_s=(900.0, 1800.0))
    assert stats.duration_h == 2.0
    assert stats.mean_fraction == 0.0
    assert stats.std_fraction == 1.0
    assert stats.up_energy_h == 0.5 and stats.down_energy_h == 0.5
    assert stats.neutrality_fraction == 0.0
    assert stats.max_drift_h == pytest.approx(0.5)
    assert stats.max_drift_1h_h == pytest.approx(0.5)
    assert stats.mileage_per_h == pytest.approx(3.0)
    # lag of two steps flips the sign exactly
    assert stats.autocorrelation[1800.0] == pytest.approx(-1.0)


def test_resample_keeps_block_energy_and_per_interval_wraps():
    sig = RegulationSignal(values_fraction=np.array([1.0, -1.0, 0.5, 0.5]), step_s=2.0, source="x")
    coarse = sig.resample(4.0)
    assert coarse.values_fraction.tolist() == [0.0, 0.5]
    assert coarse.step_s == 4.0
    # 4-s intervals of two 2-s steps; 3 intervals from offset 2 wrap to the start
    rows = sig.per_interval(dt_h=4.0 / 3600.0, n_intervals=3, offset=2)
    assert rows.tolist() == [[0.5, 0.5], [1.0, -1.0], [0.5, 0.5]]
    with pytest.raises(InputError, match="step_s"):
        sig.resample(3.0)
    with pytest.raises(InputError, match="dt_h"):
        sig.per_interval(dt_h=3.0 / 3600.0, n_intervals=1)


def test_bad_signal_is_refused():
    with pytest.raises(InputError, match="values_fraction"):
        RegulationSignal(values_fraction=np.array([0.0, 1.5]), step_s=2.0, source="x")
    with pytest.raises(InputError, match="values_fraction"):
        RegulationSignal(values_fraction=np.array([0.0, np.nan]), step_s=2.0, source="x")
    with pytest.raises(InputError, match="step_s"):
        RegulationSignal(values_fraction=np.array([0.0, 0.1]), step_s=0.0, source="x")


def test_synthetic_is_made_of_real_blocks_and_reproducible():
    rng = np.random.default_rng(3)
    real = RegulationSignal(
        values_fraction=np.clip(np.cumsum(rng.normal(0, 0.05, 3600)) * 0.1, -1, 1),
        step_s=2.0,
        source="random walk",
    )
    a = synthetic_signal(real, hours=1.5, block_min=10.0, seed=7, flip_sign=False)
    b = synthetic_signal(real, hours=1.5, block_min=10.0, seed=7, flip_sign=False)
    assert np.array_equal(a.values_fraction, b.values_fraction)
    assert len(a.values_fraction) == 2700
    k = 300  # 10 min of 2-s steps
    text = real.values_fraction.tobytes()
    for start in range(0, 2700, k):
        block = a.values_fraction[start : start + k]
        assert block.tobytes() in text  # a contiguous piece of the real signal
    flipped = synthetic_signal(real, hours=1.5, block_min=10.0, seed=7, flip_sign=True)
    for start in range(0, 2700, k):
        block = flipped.values_fraction[start : start + k]
        assert block.tobytes() in text or (-block).tobytes() in text


def test_real_pjm_rega_sample(shared_data):
    sig = read_pjm_rega_csv(shared_data / REGA)
    v = sig.values_fraction
    assert sig.step_s == 2.0
    assert len(v) == 2 * 14401
    assert v.min() >= -1.0 and v.max() <= 1.0
    # the data README states the mileage of each 8-h day: 40.2 (Aug 1) and 34.1 (Aug 2)
    assert np.abs(np.diff(v[:14401])).sum() == pytest.approx(40.2, abs=0.05)
    assert np.abs(np.diff(v[14401:])).sum() == pytest.approx(34.1, abs=0.05)
    stats = signal_statistics(sig)
    # summer evenings: regulation mostly down (the real sample is far from energy-neutral)
    assert stats.mean_fraction < -0.4
    # a year resampled from it with sign flips is close to neutral and keeps its mileage
    year = synthetic_signal(sig, hours=24 * 30, seed=1)
    ystats = signal_statistics(year)
    assert abs(ystats.mean_fraction) < 0.05
    assert ystats.mileage_per_h == pytest.approx(stats.mileage_per_h, rel=0.15)


def test_isone_agc_test_signal(shared_data):
    sig = read_isone_agc_csv(shared_data / AGC)
    assert sig.step_s == 4.0
    # 24 h at 4 s is 21,601 stamps; the last 15 rows of this column are empty and dropped
    assert len(sig.values_fraction) == 21601 - 15
    assert abs(signal_statistics(sig).mean_fraction) < 0.02  # "energy-neutral" by design
