"""One holiday calendar (core.holidays) behind the tariff and the forecasters' site calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.holidays import check_holiday_region, holiday_mask
from forecasting.calendar import SiteCalendar
from markets.tariff import Tariff

# Weekday public holidays of 2023 looked up by hand in the official lists (usa.gov federal
# holidays + California state holidays; gov.uk bank holidays for England and Wales), and one
# weekday that is a holiday elsewhere but not here.
CASES = {
    "US-CA": (
        "America/Los_Angeles",
        "US",
        "CA",
        [
            dt.date(2023, 1, 2),  # New Year's Day observed (Jan 1 is a Sunday)
            dt.date(2023, 3, 31),  # Cesar Chavez Day (California)
            dt.date(2023, 7, 4),
            dt.date(2023, 11, 10),  # Veterans Day observed (Nov 11 is a Saturday)
            dt.date(2023, 11, 23),  # Thanksgiving
            dt.date(2023, 11, 24),  # day after Thanksgiving (California)
        ],
        dt.date(2023, 12, 26),  # Boxing Day: not a US holiday
    ),
    "GB-ENG": (
        "Europe/London",
        "GB",
        "ENG",
        [
            dt.date(2023, 4, 7),  # Good Friday
            dt.date(2023, 4, 10),  # Easter Monday
            dt.date(2023, 5, 8),  # coronation bank holiday
            dt.date(2023, 8, 28),  # summer bank holiday (England)
            dt.date(2023, 12, 26),
        ],
        dt.date(2023, 8, 7),  # Scotland's summer bank holiday, a working day in England
    ),
}


def _weekday_holidays(index: pd.DatetimeIndex, flags: np.ndarray) -> set[dt.date]:
    weekday = np.asarray(index.day_of_week < 5)
    return {ts.date() for ts in index[flags & weekday]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tariff_and_site_calendar_agree_on_holidays(case):
    tz, country, subdivision, known, not_holiday = CASES[case]
    index = pd.date_range("2023-01-01", "2024-01-01", freq="1h", tz=tz, inclusive="left")
    tariff = Tariff(name="t", holiday_country=country, holiday_subdivision=subdivision)
    calendar = SiteCalendar(tz=tz, country=country, subdiv=subdivision)

    # on weekdays the tariff bills exactly the holidays on the weekend schedule
    from_tariff = _weekday_holidays(index, tariff.weekend_mask(index))
    from_calendar = _weekday_holidays(index, calendar.is_holiday(index))
    assert from_tariff == from_calendar
    assert set(known) <= from_calendar
    assert not_holiday not in from_calendar
    # whole local days: 24 flagged hours per holiday (no DST change on these dates)
    assert calendar.is_holiday(index).sum() % 24 == 0


def test_holiday_mask_uses_the_local_date():
    # 2023-07-04 00:30 in Los Angeles is 07:30 UTC; 2023-07-03 23:30 local is 06:30 UTC on the 4th
    index = pd.DatetimeIndex(
        ["2023-07-03 23:30", "2023-07-04 00:30", "2023-07-04 23:30", "2023-07-05 00:30"]
    ).tz_localize("America/Los_Angeles")
    mask = holiday_mask(index, frozenset({dt.date(2023, 7, 4)}))
    assert mask.tolist() == [False, True, True, False]
    assert not holiday_mask(index, frozenset()).any()


def test_unknown_region_names_the_callers_field():
    with pytest.raises(InputError) as err:
        check_holiday_region("XX", None, country_field="Tariff.holiday_country")
    assert err.value.field == "Tariff.holiday_country"
    with pytest.raises(InputError) as err:
        SiteCalendar(tz="Europe/London", country="GB", subdiv="XYZ")
    assert err.value.field == "subdiv"
    with pytest.raises(InputError) as err:
        Tariff(name="t", holiday_country="US", holiday_subdivision="XYZ")
    assert err.value.field == "Tariff.holiday_subdivision"
