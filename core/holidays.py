"""Public holiday calendars: the one wrapper around the ``holidays`` package.

Used by the retail tariff (holidays billed on the weekend schedules, :mod:`markets.tariff_terms`)
and by the forecasters' site calendar (:mod:`forecasting.calendar`), so both agree on which
local dates are holidays.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays
import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = ["check_holiday_region", "holiday_mask", "public_holidays"]

_EPOCH = dt.date(1970, 1, 1)
_NS_PER_DAY = 86_400 * 10**9


def check_holiday_region(
    country: str | None,
    subdivision: str | None,
    *,
    country_field: str = "country",
    subdivision_field: str = "subdivision",
) -> None:
    """Raise unless ``holidays`` knows the country (and subdivision).

    Parameters
    ----------
    country : str or None
        ISO country code (e.g. ``"US"``, ``"GB"``); None means no public holidays.
    subdivision : str or None
        State, province or nation within ``country`` (e.g. ``"CA"``, ``"ENG"``); None for the
        national holidays only. Must be None when ``country`` is None.
    country_field, subdivision_field : str
        Names of the caller's fields, used in the error.

    Raises
    ------
    InputError
        Naming the field whose value the ``holidays`` package does not support.
    """
    if country is None:
        if subdivision is not None:
            raise InputError(subdivision_field, subdivision, f"None when {country_field} is None")
        return
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        supported = holidays.list_supported_countries()
        if country not in supported:
            raise InputError(
                country_field, country, "an ISO code the holidays package supports"
            ) from None
        raise InputError(subdivision_field, subdivision, f"one of {supported[country]}") from None


@functools.lru_cache(maxsize=64)
def public_holidays(
    country: str, subdivision: str | None, first_year: int, last_year: int
) -> frozenset[dt.date]:
    """Public holidays of a country (and subdivision) in a range of years.

    Cached: the ``holidays`` package rebuilds its calendar on every call, which dominated the
    calendar lookups of a rolling-horizon re-solve. The result is immutable, so sharing it
    between tariffs, calendars and backtests in one process is safe.

    Parameters
    ----------
    country : str
        ISO country code known to ``holidays`` (see :func:`check_holiday_region`).
    subdivision : str or None
        Subdivision of ``country``, or None for national holidays only.
    first_year, last_year : int
        Inclusive range of calendar years.

    Returns
    -------
    frozenset of datetime.date
    """
    years = range(first_year, last_year + 1)
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=years).keys())


def holiday_mask(
    local_index: pd.DatetimeIndex, dates: frozenset[dt.date] | set[dt.date]
) -> np.ndarray:
    """True where the local calendar date of a label is one of ``dates``.

    Parameters
    ----------
    local_index : pandas.DatetimeIndex
        Labels in the zone whose wall-clock dates count (the site's local zone), or naive
        local wall-clock labels.
    dates : set of datetime.date
        The holiday dates.

    Returns
    -------
    numpy.ndarray of bool
    """
    if not dates:
        return np.zeros(len(local_index), dtype=bool)
    # Compare local calendar days as integers (days since 1970-01-01 of the local wall-clock
    # date): exact across DST changes, and far faster than building datetime.date objects.
    wall = local_index.tz_localize(None) if local_index.tz is not None else local_index
    local_day = wall.as_unit("ns").asi8 // _NS_PER_DAY
    days = np.array(sorted((d - _EPOCH).days for d in dates), dtype=np.int64)
    return np.isin(local_day, days)
