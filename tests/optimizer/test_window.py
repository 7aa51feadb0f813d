"""Month slots: every step's real billing month lies within its candidate slots."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from markets.tariff import ExportMode
from optimizer.calendar import CalendarCache, direct_lookups
from optimizer.calendar import energy_lookups as _energy_lookups
from optimizer.window import Window, month_slot_layout
from tests.optimizer.helpers import TZ, energy_charges, schedule, tariff, tou_demand


@pytest.mark.parametrize(
    "n_steps, freq, tz",
    [
        (192, "15min", "America/Los_Angeles"),
        (2976, "15min", "Australia/Sydney"),
        (1500, "1h", "Europe/London"),
        (8760, "1h", "America/New_York"),
    ],
)
def test_candidate_slots_cover_every_start(n_steps, freq, tz):
    # Second method: count billing months directly from local labels for windows starting at
    # every step around each month boundary of two years (one a leap year), plus a sweep.
    layout = month_slot_layout(n_steps, pd.Timedelta(freq) / pd.Timedelta(hours=1))
    step = pd.Timedelta(freq)
    starts = []
    for boundary in pd.date_range("2023-01-01", "2025-01-01", freq="MS", tz=tz):
        starts += [boundary - k * step for k in range(1, 4)] + [boundary]
    starts += list(pd.date_range("2023-01-01", "2024-12-31", freq="97h", tz=tz))
    for start in starts:
        index = pd.date_range(start, periods=n_steps, freq=freq)
        slot, firsts = Window.month_slots_of(index, layout)
        months = np.asarray(index.year) * 12 + np.asarray(index.month)
        expected = months - months[0]
        np.testing.assert_array_equal(slot, expected)
        assert len(firsts) == expected[-1] + 1
        assert (layout.lo <= slot).all() and (slot <= layout.hi).all()


def test_slot_counts_by_hand():
    # 48 h can touch 2 months; a year of hours 13 (Dec 31 23:00 + 8759 h reaches Dec 31
    # 22:00 of the next year... or Jan 1 of the year after in a leap year: 13 at most).
    assert month_slot_layout(192, 0.25).n_slots == 2
    assert month_slot_layout(8760, 1.0).n_slots == 13
    assert month_slot_layout(1, 1.0).n_slots == 1
    # A step is never a candidate for more than 3 slots (2 for short horizons).
    layout = month_slot_layout(8760, 1.0)
    assert int((layout.hi - layout.lo).max()) + 1 <= 3
    assert int((month_slot_layout(192, 0.25).hi - month_slot_layout(192, 0.25).lo).max()) <= 1


@pytest.mark.parametrize("mode", list(ExportMode))
def test_energy_lookups_match_the_tariff_methods(mode):
    # Second method: the tariff's own lookups (each computing the calendar again).
    sells = [0.03, 0.07]
    t = tariff(
        energy=energy_charges([0.1, 0.3], lambda h: 1 if h >= 16 else 0, sells=sells),
        export=mode,
        flat_export_usd_per_kwh=0.04,
        holiday_country="US",
    )
    index = pd.date_range(pd.Timestamp("2024-07-03", tz=TZ), periods=96, freq="1h")
    period, rate, sell = _energy_lookups(t, index)
    np.testing.assert_array_equal(period, t.energy_period(index))
    np.testing.assert_array_equal(rate, t.import_rate_usd_per_kwh(index))
    np.testing.assert_array_equal(sell, t.sell_rate_usd_per_kwh(index))


@pytest.mark.parametrize("freq, tz", [("15min", "America/Los_Angeles"), ("1h", "Australia/Sydney")])
def test_calendar_cache_matches_the_tariff_lookups(freq, tz):
    # Second method: the tariff's own lookups on each window; windows cross DST changes,
    # holidays (US), month and year ends, and start off the hour.
    off_peak = schedule(lambda h: 0)  # weekends and holidays
    energy = energy_charges([0.1, 0.3], lambda h: 1 if h >= 16 else 0, sells=[0.03, 0.07])
    tou = tou_demand([5.0, 9.0], lambda h: 1 if 12 <= h < 18 else 0)
    t = tariff(
        energy=dataclasses.replace(energy, weekend_schedule=off_peak),
        tou=dataclasses.replace(tou, weekend_schedule=off_peak),
        export=ExportMode.SELL_RATE,
        holiday_country="US",
    )
    cache = CalendarCache(t, pd.Timedelta(freq))
    index = pd.date_range("2023-12-20", "2025-01-05", freq=freq, tz=tz)
    for start in range(0, len(index) - 200, 997):
        window = index[start : start + 192]
        got = cache.lookups(window)
        months = np.asarray(window.year) * 12 + np.asarray(window.month) - 1
        np.testing.assert_array_equal(got.month_id, months)
        np.testing.assert_array_equal(got.energy_period, t.energy_period(window))
        np.testing.assert_array_equal(
            got.import_rate_usd_per_kwh, t.import_rate_usd_per_kwh(window)
        )
        np.testing.assert_array_equal(got.sell_rate_usd_per_kwh, t.sell_rate_usd_per_kwh(window))
        np.testing.assert_array_equal(got.demand_periods["tou"], t.tou_demand_period(window))
        direct = direct_lookups(t, window)
        np.testing.assert_array_equal(got.energy_period, direct.energy_period)
