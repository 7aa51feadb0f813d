"""Local calendar of a site: hour of day, weekday and public holidays (:mod:`core.holidays`)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.holidays import check_holiday_region, holiday_mask, public_holidays

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
        check_holiday_region(
            self.country, self.subdiv, country_field="country", subdivision_field="subdiv"
        )

    def local(self, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """``index`` converted to the site's zone."""
        return index.tz_convert(self.tz)

    def is_holiday(self, index: pd.DatetimeIndex) -> np.ndarray:
        """True where the local date is a public holiday."""
        local = self.local(index)
        if self.country is None or len(local) == 0:
            return np.zeros(len(index), dtype=bool)
        first, last = int(local.year.min()), int(local.year.max())
        return holiday_mask(local, public_holidays(self.country, self.subdiv, first, last))

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
