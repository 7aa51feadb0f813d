"""History scenarios: the holdable level and the time-of-day reserve, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from control.history import DayHistory, holdable_level_kw
from control.realtime import energy_need_kwh
from control.targets import window_map
from markets.tariff import Tariff
from optimizer.battery import Battery
from tests.markets.tariff_builders import flat_demand, schedule, tou_demand

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


def test_reserve_over_days_of_23_24_and_25_hours_is_the_highest_need_of_each_day():
    # a week around each DST change at 15-min steps, a TOU + flat tariff; second method: each
    # stored day on its own (its windows from window_map, energy_need_kwh, slot by slot max)
    tariff = Tariff(
        name="tou",
        flat_demand=flat_demand(5.0),
        tou_demand=tou_demand([0.0, 15.0], schedule([1 if 12 <= h < 18 else 0 for h in range(24)])),
    )
    battery = Battery(
        power_kw=50.0, energy_kwh=100.0, charge_efficiency=0.95, discharge_efficiency=0.9
    )
    rng = np.random.default_rng(3)
    for start in ("2024-03-07", "2024-10-30"):
        index = pd.date_range(
            start,
            f"{pd.Timestamp(start) + pd.Timedelta(days=8):%Y-%m-%d}",
            freq="15min",
            tz=TZ,
            inclusive="left",
        )
        net = 100.0 + 60.0 * np.sin(np.arange(len(index)) / 20.0) + rng.normal(0, 15, len(index))
        history = DayHistory(tariff=tariff, battery=battery, step=pd.Timedelta("15min"), days=6)
        for t, v in zip(index, net, strict=True):
            history.add(t, v)
        assert len(history) == 6
        targets = {("flat", 0): 150.0, ("tou", 1): 130.0}
        dates = np.asarray(index.date)
        kept = sorted(set(dates))[-7:-1]  # the last six complete days
        expected = np.zeros(history.slots_per_day)
        lengths = set()
        for day in kept:
            stamps = index[dates == day]
            lengths.add(len(stamps))
            windows = window_map(tariff, stamps)
            target = np.where(windows.flat, 150.0, np.inf)
            target = np.where(windows.periods["tou"] == 1, np.minimum(target, 130.0), target)
            need = energy_need_kwh(net[dates == day], target, battery, 0.25)
            slots = np.minimum((stamps.hour * 4 + stamps.minute // 15).to_numpy(), 95)
            np.maximum.at(expected, slots, need[1:])
        assert lengths == {92, 96} or lengths == {96, 100}
        np.testing.assert_array_equal(history.reserve_after_kwh(targets), expected)
        assert expected.max() > 0  # the case does need a reserve
