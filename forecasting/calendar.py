"""Local calendar of a site: hour of day, weekday and public holidays (``holidays`` package)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import cached_property

import holidays
import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = ["SiteCalendar"]


@dataclass(frozen=True, kw_only=True)
class SiteCalendar:
    """Where a site's clock and holidays come from.

    Parameters
    ----------
    tz : str
        IANA zone of the site (e.g. ``"Europe/London"``); hours and days are local.
    country : str or None, default None
        ISO country code for public holidays (``holidays.country_holidays``); None for none.
    subdiv : str or None, default None
        Subdivision for holidays (e.g. ``"ENG"`` for England, ``"CA"`` for California).
    """

    tz: str
    country: str | None = None
    subdiv: str | None = None

    def __post_init__(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            raise InputError("tz", self.tz, "an IANA time zone such as 'Europe/London'") from None
        if self.country is None:
            if self.subdiv is not None:
                raise InputError("subdiv", self.subdiv, "None when country is None")
            return
        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise InputError("country", self.country, "an ISO code the holidays package supports")
        if self.subdiv is not None and self.subdiv not in supported[self.country]:
            raise InputError("subdiv", self.subdiv, f"one of {supported[self.country]}")

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        if self.country is None:
            return None
        return holidays.country_holidays(self.country, subdiv=self.subdiv)

    def local(self, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """``index`` converted to the site's zone."""
        return index.tz_convert(self.tz)

    def is_holiday(self, index: pd.DatetimeIndex) -> np.ndarray:
        """True where the local date is a public holiday."""
        table = self._holidays
        dates = self.local(index).normalize()
        if table is None:
            return np.zeros(len(index), dtype=bool)
        unique = dates.unique()
        flags = {d: (d.date() in table) for d in unique}
        return np.fromiter((flags[d] for d in dates), dtype=bool, count=len(dates))

    def features(self, index: pd.DatetimeIndex) -> pd.DataFrame:
        """Calendar features on ``index``.

        Returns
        -------
        pandas.DataFrame
            ``hour_of_day_h`` (local clock [h], fractional for sub-hourly steps), ``weekday``
            (0 = Monday), ``is_holiday``, ``is_working_day`` (a weekday that is no holiday),
            ``day_of_year``.
        """
        local = self.local(index)
        hour = local.hour.to_numpy() + local.minute.to_numpy() / 60.0
        weekday = local.day_of_week.to_numpy()
        holiday = self.is_holiday(index)
        return pd.DataFrame(
            {
                "hour_of_day_h": hour,
                "weekday": weekday,
                "is_holiday": holiday.astype(float),
                "is_working_day": ((weekday < 5) & ~holiday).astype(float),
                "day_of_year": local.day_of_year.to_numpy(),
            },
            index=index,
        )

    def day_type(self, index: pd.DatetimeIndex) -> np.ndarray:
        """0 for a working day, 1 for Saturday, 2 for Sunday or a public holiday."""
        local = self.local(index)
        weekday = local.day_of_week.to_numpy()
        holiday = self.is_holiday(index)
        kind = np.zeros(len(index), dtype=int)
        kind[weekday == 5] = 1
        kind[(weekday == 6) | holiday] = 2
        return kind
