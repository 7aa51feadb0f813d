"""History scenarios: the holdable level and the time-of-day reserve, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from control.history import DayHistory, holdable_level_kw
from markets.tariff import Tariff
from optimizer.battery import Battery
from tests.markets.tariff_builders import flat_demand

TZ = "America/New_York"


def _battery() -> Battery:
    return Battery(
        power_kw=100.0, energy_kwh=100.0, charge_efficiency=1.0, discharge_efficiency=1.0
    )


def _day() -> np.ndarray:
    net = np.full(24, 100.0)
    net[10:12] = 200.0  # two hours at 200 kW
    return net


def test_holdable_level_by_hand():
    # two hours above L with 100 kWh: 2 x (200 - L) = 100 -> L = 150
    level = holdable_level_kw(_day(), np.ones(24, dtype=bool), _battery(), 1.0, 100.0)
    assert 150.0 <= level <= 150.05


def test_holdable_level_is_bounded_by_power():
    # one hour at 300 kW with a 100 kW rating: nothing below 200 can be held
    net = np.full(24, 50.0)
    net[12] = 300.0
    level = holdable_level_kw(net, np.ones(24, dtype=bool), _battery(), 1.0, 100.0)
    assert level == pytest.approx(200.0)


def test_only_the_windows_intervals_count():
    # window = hours 0-9 at 100 kW (the 200 kW hours are outside it): 10 x (100 - L) = 100
    in_window = np.zeros(24, dtype=bool)
    in_window[:10] = True
    level = holdable_level_kw(_day(), in_window, _battery(), 1.0, 100.0)
    assert 90.0 <= level <= 90.05


def test_reserve_after_each_slot_by_hand():
    # a flat-demand tariff, two identical stored days; target 150: holding it through the two
    # 200 kW hours needs 100 kWh at 10:00 and 50 at 11:00; the hour before refills 50 kW
    # (150 - 100), so 50 at 09:00. Kept at the END of a slot: 08 -> 50, 09 -> 100, 10 -> 50
    history = DayHistory(
        tariff=Tariff(name="flat", flat_demand=flat_demand(10.0)),
        battery=_battery(),
        step=pd.Timedelta(hours=1),
        days=7,
    )
    index = pd.date_range("2024-03-04", periods=24 * 3, freq="1h", tz=TZ)
    net = np.tile(_day(), 3)
    new_days = [history.add(t, v) for t, v in zip(index, net, strict=True)]
    assert sum(new_days) == 2 and len(history) == 2  # the third day is still open
    assert 150.0 <= history.holdable_kw()[("flat", 0)] <= 150.05
    reserve = history.reserve_after_kwh({("flat", 0): 150.0})
    expected = np.zeros(24)
    expected[8], expected[9], expected[10] = 50.0, 100.0, 50.0
    np.testing.assert_allclose(reserve, expected)


def test_the_month_floor_uses_only_that_months_days_and_the_last_ones():
    # 2024-02-28 (a 300 kW hour: 100 kW rating -> level 200), then Feb 29 and Mar 1 (level 150,
    # as above); Mar 2 is still open
    history = DayHistory(
        tariff=Tariff(name="flat", flat_demand=flat_demand(10.0)),
        battery=_battery(),
        step=pd.Timedelta(hours=1),
        days=7,
    )
    hot = np.full(24, 50.0)
    hot[12] = 300.0
    index = pd.date_range("2024-02-28", periods=24 * 4, freq="1h", tz=TZ)
    net = np.concatenate([hot, _day(), _day(), _day()])
    for t, v in zip(index, net, strict=True):
        history.add(t, v)
    assert len(history) == 3
    assert history.holdable_kw()[("flat", 0)] == pytest.approx(200.0)
    march = 2024 * 12 + 3
    assert 150.0 <= history.holdable_kw(month_key=march)[("flat", 0)] <= 150.05  # Mar 1 only
    assert 150.0 <= history.holdable_kw(last_days=2)[("flat", 0)] <= 150.05
    assert history.holdable_kw(month_key=2024 * 12 + 4) == {}
