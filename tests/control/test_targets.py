"""Demand windows: the cached map equals the direct one; the window keys by brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from control.targets import WindowMap, WindowMapCache, window_map
from core.errors import InputError
from markets.tariff import DemandTier, FlatDemandCharges, Tariff
from tests.markets.tariff_builders import schedule, tou_demand

TZ = "America/New_York"


def _tariff() -> Tariff:
    """TOU demand: period 1 (priced) 12:00-18:00 on weekdays, period 0 (free) otherwise;
    flat demand priced June-September only; US holidays on the weekend schedule."""
    hours = [1 if 12 <= h < 18 else 0 for h in range(24)]
    summer = (1,) * 5 + (0,) * 4 + (1,) * 3  # month_periods: period 0 in Jun-Sep
    flat = FlatDemandCharges(
        periods=(
            (DemandTier(max_kw=float("inf"), rate_usd_per_kw=12.0),),
            (DemandTier(max_kw=float("inf"), rate_usd_per_kw=0.0),),
        ),
        month_periods=summer,
    )
    return Tariff(
        name="windows",
        tou_demand=tou_demand([0.0, 15.0], schedule(hours), schedule(period=0)),
        flat_demand=flat,
        holiday_country="US",
    )


def _same(a: WindowMap, b: WindowMap) -> None:
    np.testing.assert_array_equal(a.month_key, b.month_key)
    np.testing.assert_array_equal(a.flat, b.flat)
    assert a.periods.keys() == b.periods.keys()
    for name in a.periods:
        np.testing.assert_array_equal(a.periods[name], b.periods[name])


@pytest.mark.parametrize("step", ["15min", "1h"])
def test_the_cache_gives_the_direct_map_on_any_run_of_the_grid(step):
    tariff = _tariff()
    cache = WindowMapCache(tariff, pd.Timedelta(step), chunk_days=3)  # refreshes often
    starts = [
        "2023-03-10 00:00",  # a 48 h run over the spring DST change (a 23 h day)
        "2023-03-11 13:00",
        "2023-03-10 06:00",  # behind the cached run: recomputed
        "2023-05-31 23:00",  # a month boundary (May: flat unpriced; June: priced)
        "2023-07-03 18:00",  # over July 4 (a holiday: weekend schedule, period 0)
        "2023-11-04 00:00",  # the autumn change (a 25 h day)
        "2023-12-30 12:00",  # over the new year
    ]
    for start in starts:
        for n in (1, 7, 48 * round(pd.Timedelta("1h") / pd.Timedelta(step))):
            index = pd.date_range(start, periods=n, freq=step, tz=TZ)
            _same(cache(index), window_map(tariff, index))
    # off the grid's phase or in another zone: computed directly, still equal
    odd = [
        pd.date_range("2023-03-10 00:05", periods=9, freq=step, tz=TZ),
        pd.date_range("2023-07-03", periods=9, freq=step, tz="UTC"),
    ]
    for index in odd:
        _same(cache(index), window_map(tariff, index))
    # with a gap: rejected as window_map rejects it
    gap = pd.date_range("2023-07-03", periods=9, freq=step, tz=TZ).delete(4)
    with pytest.raises(InputError):
        cache(gap)


def test_the_cached_maps_are_read_only():
    cache = WindowMapCache(_tariff(), pd.Timedelta("1h"))
    windows = cache(pd.date_range("2023-07-03", periods=24, freq="1h", tz=TZ))
    with pytest.raises(ValueError):
        windows.periods["tou"][0] = 5


def test_all_keys_are_the_union_of_each_intervals_keys():
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 60))
        windows = WindowMap(
            month_key=np.sort(rng.integers(24277, 24280, n)),
            flat=rng.random(n) < 0.5,
            periods={"tou": rng.integers(-1, 4, n), "other": rng.integers(-1, 2, n)},
        )
        brute = {key for k in range(n) for key in windows.keys(k)}
        assert windows.all_keys() == brute


def test_all_keys_by_hand():
    windows = WindowMap(
        month_key=np.array([24278, 24278, 24279, 24279]),
        flat=np.array([True, False, False, True]),
        periods={"tou": np.array([-1, 2, 2, -1])},
    )
    assert windows.all_keys() == {
        (24278, "flat", 0),
        (24279, "flat", 0),
        (24278, "tou", 2),
        (24279, "tou", 2),
    }
    _same(
        windows[1:3],
        WindowMap(
            month_key=windows.month_key[1:3],
            flat=np.array([False, False]),
            periods={"tou": np.array([2, 2])},
        ),
    )


def test_windows_of_two_peak_charges_by_hand():
    # one month; flat priced at hour 0 only; TOU period 1 at hours 1-2; "other" period 0 at
    # hours 0-1 and period 2 at hour 3
    m = 24283
    windows = WindowMap(
        month_key=np.full(4, m),
        flat=np.array([True, False, False, False]),
        periods={"tou": np.array([-1, 1, 1, -1]), "other": np.array([0, 0, -1, 2])},
    )
    assert windows.keys(0) == ((m, "flat", 0), (m, "other", 0))
    assert windows.keys(1) == ((m, "tou", 1), (m, "other", 0))
    assert windows.keys(2) == ((m, "tou", 1),)
    assert windows.keys(3) == ((m, "other", 2),)
    targets = {(m, "flat", 0): 10.0, (m, "tou", 1): 7.0, (m, "other", 0): 8.0, (m, "other", 2): 3.0}
    # each hour the lowest target of its windows: min(10, 8), min(7, 8), 7, 3
    np.testing.assert_array_equal(windows.targets(targets), [8.0, 7.0, 7.0, 3.0])
    assert windows.peaks(np.array([5.0, 9.0, 4.0, 6.0])) == {
        (m, "flat", 0): 5.0,
        (m, "tou", 1): 9.0,  # max(9, 4)
        (m, "other", 0): 9.0,  # max(5, 9)
        (m, "other", 2): 6.0,
    }
    np.testing.assert_array_equal(windows.mask("other", 0), [True, True, False, False])
    np.testing.assert_array_equal(windows.mask("absent", 0), [False] * 4)
    none = windows.unpriced()
    assert none.all_keys() == set()
    np.testing.assert_array_equal(none.targets(targets), [np.inf] * 4)
