"""Plausibility checks: inputs that are well-formed but cannot be what the user meant.

A load in W read as kW, a price in $/MWh declared as $/kWh or a battery of 1e12 kW all parse
and solve, and give nonsense (an IRR of 1,474 %). These checks stop them at the I/O edge with
an :class:`~core.errors.InputError` that quotes the number which triggered it. Every threshold
lives here, in one table, with the reason for its value; they are far outside any real site,
so a real input never trips them.

================================  =========  =================================================
threshold                         value      why
================================  =========  =================================================
MAX_MEDIAN_LOAD_KW                100,000    a behind-the-meter site with a median load above
                                             100 MW is a load in W (x1000) read as kW
MAX_ENERGY_RATE_USD_PER_KWH       5.0        retail energy rates are cents to about $1/kWh;
                                             above $5/kWh is a $/MWh figure declared $/kWh
MAX_DEMAND_RATE_USD_PER_KW        1,000.0    demand charges are about $1-$100/kW-month
MAX_MEDIAN_MARKET_PRICE_USD_PER   1.0        wholesale medians are $0.02-$0.2/kWh; even the
_KWH                                         ERCOT cap is $5/kWh at a single interval
MAX_BATTERY_POWER_TO_PEAK_LOAD    100.0      a battery 100 times the site's peak load is a
                                             unit error (kW given in W, or a typo)
MAX_BATTERY_POWER_KW              1e6        1 GW: larger than any battery built
================================  =========  =================================================

Negative energy or demand rates are errors unless the caller allows them (some tariffs credit
off-peak energy; that must be said on purpose).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = [
    "MAX_BATTERY_POWER_KW",
    "MAX_BATTERY_POWER_TO_PEAK_LOAD",
    "MAX_DEMAND_RATE_USD_PER_KW",
    "MAX_ENERGY_RATE_USD_PER_KWH",
    "MAX_MEDIAN_LOAD_KW",
    "MAX_MEDIAN_MARKET_PRICE_USD_PER_KWH",
    "check_battery_size",
    "check_load_kw",
    "check_market_prices",
    "check_rate",
]

logger = logging.getLogger(__name__)

MAX_MEDIAN_LOAD_KW = 100_000.0
MAX_ENERGY_RATE_USD_PER_KWH = 5.0
MAX_DEMAND_RATE_USD_PER_KW = 1_000.0
MAX_MEDIAN_MARKET_PRICE_USD_PER_KWH = 1.0
MAX_BATTERY_POWER_TO_PEAK_LOAD = 100.0
MAX_BATTERY_POWER_KW = 1e6


def check_load_kw(load_kw: pd.Series | np.ndarray, *, field: str) -> None:
    """Refuse a load whose median exceeds :data:`MAX_MEDIAN_LOAD_KW` (a load in W read as kW)."""
    values = np.asarray(load_kw, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return
    median = float(np.median(values))
    if median > MAX_MEDIAN_LOAD_KW:
        raise InputError(
            field,
            f"median load {median:,.0f} kW",
            f"at most {MAX_MEDIAN_LOAD_KW:,.0f} kW for a site (is the column in W, not kW?)",
        )


def check_rate(field: str, rate: float, *, unit: str, allow_negative: bool = False) -> None:
    """Refuse a retail rate [$/kWh or $/kW] too large, or negative unless allowed.

    Parameters
    ----------
    field : str
        The rate's field (e.g. ``"energyratestructure[0][1]"``).
    rate : float
        The rate [$ per ``unit``].
    unit : {"kWh", "kW"}
        Energy or demand rate.
    allow_negative : bool, default False
        Accept a negative rate (a credit).
    """
    limit = MAX_ENERGY_RATE_USD_PER_KWH if unit == "kWh" else MAX_DEMAND_RATE_USD_PER_KW
    if rate > limit:
        hint = " (a $/MWh figure declared as $/kWh?)" if unit == "kWh" else ""
        raise InputError(field, f"{rate:g} $/{unit}", f"at most {limit:g} $/{unit}{hint}")
    if rate < 0 and not allow_negative:
        raise InputError(
            field, f"{rate:g} $/{unit}", "a rate >= 0 (allow negative rates explicitly)"
        )


def check_market_prices(frame: pd.DataFrame, *, field: str) -> None:
    """Refuse a price column whose median magnitude exceeds the $/kWh limit ($/MWh as $/kWh)."""
    for column in frame.columns:
        values = frame[column].to_numpy(dtype=float)
        if not len(values):
            continue
        median = float(np.median(np.abs(values)))
        if median > MAX_MEDIAN_MARKET_PRICE_USD_PER_KWH:
            raise InputError(
                f"{field}.{column}",
                f"median {median:,.4g} $/kWh",
                f"at most {MAX_MEDIAN_MARKET_PRICE_USD_PER_KWH:g} $/kWh after conversion "
                "(a $/MWh column declared in $/kWh?)",
            )


def check_battery_size(power_kw: float, *, peak_load_kw: float, field: str) -> None:
    """Refuse a battery far larger than any built, or than its site's peak load allows."""
    if power_kw > MAX_BATTERY_POWER_KW:
        raise InputError(
            field, f"{power_kw:,.4g} kW", f"at most {MAX_BATTERY_POWER_KW:,.0f} kW (1 GW)"
        )
    if peak_load_kw > 0 and power_kw > MAX_BATTERY_POWER_TO_PEAK_LOAD * peak_load_kw:
        ratio = power_kw / peak_load_kw
        raise InputError(
            field,
            f"{power_kw:,.4g} kW ({ratio:,.0f} x the site's peak load {peak_load_kw:,.4g} kW)",
            f"at most {MAX_BATTERY_POWER_TO_PEAK_LOAD:g} x the peak load",
        )
