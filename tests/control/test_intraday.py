"""The intraday guard (control/intraday.py): hand cases on the corrected rest of the day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from control.intraday import ErrorMemory, guard_today, lowered_targets
from control.plan import Plan, day_ends, rest_of_day_max
from control.targets import WindowMap
from optimizer.battery import Battery


def _battery(energy_kwh: float = 200.0) -> Battery:
    return Battery(
        power_kw=100.0,
        energy_kwh=energy_kwh,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        soc_min_fraction=0.0,
    )


def _plan(load, high, pv=None, day_end=None) -> Plan:
    n = len(load)
    zeros = np.zeros(n)
    return Plan(
        start_ns=0,
        number=0,
        windows=WindowMap(
            month_key=np.zeros(n, dtype=np.int64),
            flat=np.ones(n, dtype=bool),
        ),
        charge=zeros,
        discharge=zeros,
        soc=zeros,
        need=np.zeros(n + 1),
        import_kw=zeros,
        load=np.asarray(load, dtype=float),
        pv=zeros if pv is None else np.asarray(pv, dtype=float),
        awards={},
        high_net=np.asarray(high, dtype=float),
        ceiling=np.full(n, np.inf),
        day_end=np.full(n, n) if day_end is None else np.asarray(day_end),
        high_rest_max=rest_of_day_max(
            np.asarray(high, dtype=float),
            np.full(n, n) if day_end is None else np.asarray(day_end),
        ),
        fill=np.zeros(n, dtype=bool),
    )


def _guard(plan, *, target_kw, n_today, correction_kw, net_kw, available_kwh):
    """The guard at the plan's first step, one flat target over today's ``n_today`` hours."""
    return guard_today(
        plan,
        0,
        targets_kw=np.full(n_today, target_kw),
        correction_kw=correction_kw,
        net_kw=net_kw,
        available_kwh=available_kwh,
        battery=_battery(),
        dt_h=1.0,
    )


def test_a_day_above_its_forecast_raises_the_target_to_what_the_energy_can_hold():
    # forecast 100 kW for 4 h, target 90; the load runs 20 kW above it and stays. Holding 90
    # over 4 h of 120 needs 120 kWh, only 20 are stored: 4 h x (120 - T) = 20 -> T = 115 (+25).
    # The reserve after this hour holds 115 over the 3 h left of the corrected high scenario
    # (also 120): 3 x 5 = 15 kWh.
    plan = _plan([100.0] * 4, [100.0] * 4)
    result = _guard(
        plan,
        target_kw=90.0,
        n_today=4,
        correction_kw=np.full(4, 20.0),
        net_kw=120.0,
        available_kwh=20.0,
    )
    assert result.raise_kw == pytest.approx(25.0, abs=0.05)
    assert result.reserve_kwh == pytest.approx(15.0, abs=0.2)


def test_enough_energy_no_raise_and_the_reserve_covers_the_corrected_high_scenario():
    # high scenario 110 kW, corrected by the +10 kW error: 120 for the 2 h left
    # after this step: reserve (120 - 90) x 2 = 60 kWh; 200 kWh stored: no raise
    plan = _plan([100.0] * 3, [110.0] * 3)
    result = _guard(
        plan,
        target_kw=90.0,
        n_today=3,
        correction_kw=np.full(3, 10.0),
        net_kw=95.0,
        available_kwh=200.0,
    )
    assert result.raise_kw == 0.0
    assert result.reserve_kwh == pytest.approx(60.0)


def test_the_guard_looks_only_to_the_end_of_the_day():
    # two steps today, then a 300 kW step tomorrow that today's energy need not cover
    plan = _plan([100.0, 100.0, 300.0], [100.0, 100.0, 300.0], day_end=[2, 2, 3])
    result = _guard(
        plan, target_kw=90.0, n_today=2, correction_kw=np.zeros(3), net_kw=100.0, available_kwh=50.0
    )
    assert result.raise_kw == 0.0
    assert result.reserve_kwh == pytest.approx(10.0)  # the one step left today: 100 - 90


def test_error_memory_estimates_the_persistence_of_an_ar1_error():
    # errors e[t] = 0.8 e[t-1] + noise: the slope of e[t+j] on e[t] is 0.8**j (closed form),
    # and the correction is the last error times those slopes
    rng = np.random.default_rng(7)
    memory = ErrorMemory(steps=5000, refresh=5000, lags=4)
    e = 0.0
    for _ in range(5000):
        e = 0.8 * e + rng.normal(0.0, 10.0)
        memory.observe(100.0 + e, 100.0)
    np.testing.assert_allclose(memory.beta, 0.8 ** np.arange(4), atol=0.04)
    np.testing.assert_allclose(memory.correction_kw(6)[:4], e * memory.beta)
    assert memory.correction_kw(6)[4:].tolist() == [0.0, 0.0]  # beyond the lags: none


def test_a_day_long_bias_keeps_its_weight_through_the_day():
    # a bias of +20 kW with small noise: the error now says the error later is about the
    # same, at every lag (an AR(1) fitted to the demeaned errors would say about nothing)
    rng = np.random.default_rng(3)
    memory = ErrorMemory(steps=2000, refresh=2000, lags=24)
    for _ in range(2000):
        memory.observe(120.0 + rng.normal(0.0, 2.0), 100.0)
    assert memory.beta.min() > 0.97


def test_error_memory_never_flips_the_sign_of_an_error():
    # alternating errors: the next step's slope is -1, clipped to 0; two steps ahead it is +1
    memory = ErrorMemory(steps=10, refresh=1, lags=3)
    for k in range(10):
        memory.observe(100.0 + (10.0 if k % 2 else -10.0), 100.0)
    np.testing.assert_allclose(memory.correction_kw(3), [10.0, 0.0, 10.0])


def test_day_ends_follow_the_local_calendar_across_a_dst_change():
    # US spring forward: 2024-03-10 has 23 local hours
    index = pd.date_range("2024-03-09 22:00", periods=30, freq="1h", tz="America/New_York")
    ends = day_ends(index)
    assert ends[0] == 2 and ends[1] == 2  # 22:00 and 23:00 on the 9th end at the 10th
    assert ends[2] == 2 + 23  # the 10th: 23 steps
    assert ends[-1] == 30


def test_rest_of_day_max_restarts_at_each_midnight():
    values = np.array([1.0, 5.0, 2.0, 9.0, 3.0, 4.0])
    np.testing.assert_array_equal(
        rest_of_day_max(values, np.array([3, 3, 3, 6, 6, 6])), [5.0, 5.0, 2.0, 9.0, 4.0, 4.0]
    )


def _windows(tou: list[int]) -> WindowMap:
    n = len(tou)
    month = 2024 * 12 + 3
    return WindowMap(
        month_key=np.full(n, month), flat=np.ones(n, dtype=bool), periods={"tou": np.array(tou)}
    )


FLAT, PEAK = (2024 * 12 + 3, "flat", 0), (2024 * 12 + 3, "tou", 1)


def _lowered(point, targets, floors, *, power_kw=100.0, available_kwh=100.0, tou=None):
    battery = Battery(
        power_kw=power_kw, energy_kwh=200.0, charge_efficiency=1.0, discharge_efficiency=1.0
    )
    point = np.array(point, dtype=float)
    return lowered_targets(
        _windows(tou or [-1] * len(point)),
        targets,
        floors,
        point,
        available_kwh=available_kwh,
        battery=battery,
        dt_h=1.0,
        ceiling_kw=point.copy(),  # no room to recharge: the need is the excess summed
    )


def test_a_provisional_target_is_lowered_to_the_least_level_the_energy_holds():
    # 4 h of 50 kW, 100 kWh stored: holding L takes 4 x (50 - L) kWh, so L = 25 kW
    lowered = _lowered([50.0] * 4, {FLAT: 50.0}, {FLAT: 0.0})
    assert lowered == pytest.approx([25.0] * 4, abs=0.05)
    assert np.all(lowered >= 25.0)  # never a level the energy cannot hold


def test_the_lowering_stops_at_the_peak_already_paid_and_at_the_discharge_rating():
    # paid 40 kW: no lower, although 100 kWh would hold 25
    assert _lowered([50.0] * 4, {FLAT: 50.0}, {FLAT: 40.0}) == pytest.approx([40.0] * 4)
    # a 10 kW battery shaves a 50 kW load to 40 at best, whatever it stores
    lowered = _lowered([50.0] * 4, {FLAT: 50.0}, {FLAT: 0.0}, power_kw=10.0)
    assert lowered == pytest.approx([40.0] * 4, abs=0.05)
    # nothing to lower: the target is the paid peak already
    assert _lowered([50.0] * 4, {FLAT: 40.0}, {FLAT: 40.0}) is None


def test_a_window_with_a_floor_keeps_its_target():
    # the flat window (every hour) is floored at 45 kW and not lowered; the on-peak TOU window
    # (hours 2-3) is provisional (paid 0). Holding 45 in hours 0-1 takes 10 kWh; the other
    # 90 kWh hold the on-peak hours at L: 2 x (50 - L) = 90, L = 5 kW
    lowered = _lowered([50.0] * 4, {FLAT: 45.0, PEAK: 50.0}, {PEAK: 0.0}, tou=[-1, -1, 1, 1])
    assert lowered[:2] == pytest.approx([45.0, 45.0])
    assert lowered[2:] == pytest.approx([5.0, 5.0], abs=0.05)
