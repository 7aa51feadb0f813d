"""Plausibility checks: inputs that are well-formed but cannot be what the user meant.

A load in W read as kW, a price in $/MWh declared as $/kWh or a battery of 1e12 kW all parse
and solve, and give nonsense (an IRR of 1,474 %). These checks stop them at the I/O edge with
an :class:`~core.errors.InputError` that quotes the number which triggered it, before any
work. Every threshold lives here, in one table, with the reason for its value (also in
``docs/plausibility.md``). Absolute limits are far outside any real site; relative limits
compare the battery with its site and with itself, so a small site's load in W (a 45 kW median
read as 45,000 kW, under the absolute limit) is still caught by its battery, which is then
0.03 % of the "peak".

An *error* (exit 2 on the command line) is for what no analyst can mean; a *warning* (logged,
the run goes on) is for what is rare but real, so a real input never stops.

=================================  ==========  ================================================
threshold                          value       why
=================================  ==========  ================================================
MAX_MEDIAN_LOAD_KW                 100,000     error: a behind-the-meter site with a median
                                               load above 100 MW is a load in W read as kW
LARGE_MEDIAN_LOAD_KW               10,000      error unless allowed (``allow_large_load``):
                                               a 10-100 MW median is a data center or a mill
                                               (say so on purpose) or a 10-100 kW site in W
MAX_ENERGY_RATE_USD_PER_KWH        5.0         error: retail energy rates are cents to about
                                               $1/kWh; above $5/kWh is a $/MWh figure
MAX_DEMAND_RATE_USD_PER_KW         1,000.0     error: demand charges are about $1-$100/kW-month
MAX_MEDIAN_MARKET_PRICE_USD_PER    1.0         error: wholesale medians are $0.02-$0.2/kWh;
_KWH                                           even the ERCOT cap is $5/kWh at one interval
MAX_BATTERY_POWER_KW               1e6         error: 1 GW, larger than any battery built
MAX_BATTERY_POWER_TO_PEAK_LOAD     100.0       error: a battery 100 times the site's peak load
                                               is a unit error (battery kW given in W, a typo)
WARN_BATTERY_POWER_TO_PEAK_LOAD    10.0        warning: 10-100 x the peak is a front-of-meter
                                               battery beside a small station load (real, rare)
MIN_BATTERY_POWER_TO_PEAK_LOAD     0.001       error: a battery under 0.1 % of the peak cannot
                                               move a bill; the load is in W (x1000), or the
                                               battery in MW
MIN_BATTERY_DURATION_H             0.1         error: energy / power under 6 min is a 10C rate,
                                               beyond any storage sold for dispatch (the
                                               shortest, for frequency response, are 15 min);
                                               usually kWh given in MWh or kW in W
WARN_BATTERY_DURATION_H            24.0        warning: longer than a day is rare (iron-air
                                               systems of 100 h exist)
MAX_BATTERY_DURATION_H             500.0       error: 5 x the longest battery built; a 1-4 h
                                               battery whose kWh are in Wh reads 1,000-4,000 h
=================================  ==========  ================================================

The battery's energy relative to the site follows from the two battery rules: with power
within 0.1 %-100 x the peak load and duration within 0.1-500 h, the energy lies within
0.0001-50,000 hours of the peak load; outside that one of the two messages names the cause.

Negative energy or demand rates are errors unless the caller allows them (some tariffs credit
off-peak energy; that must be said on purpose).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = [
    "LARGE_MEDIAN_LOAD_KW",
    "MAX_BATTERY_DURATION_H",
    "MAX_BATTERY_POWER_KW",
    "MAX_BATTERY_POWER_TO_PEAK_LOAD",
    "MAX_DEMAND_RATE_USD_PER_KW",
    "MAX_ENERGY_RATE_USD_PER_KWH",
    "MAX_MEDIAN_LOAD_KW",
    "MAX_MEDIAN_MARKET_PRICE_USD_PER_KWH",
    "MIN_BATTERY_DURATION_H",
    "MIN_BATTERY_POWER_TO_PEAK_LOAD",
    "WARN_BATTERY_DURATION_H",
    "WARN_BATTERY_POWER_TO_PEAK_LOAD",
    "check_battery_duration",
    "check_battery_size",
    "check_load_kw",
    "check_market_prices",
    "check_rate",
]

logger = logging.getLogger(__name__)

MAX_MEDIAN_LOAD_KW = 100_000.0
LARGE_MEDIAN_LOAD_KW = 10_000.0
MAX_ENERGY_RATE_USD_PER_KWH = 5.0
MAX_DEMAND_RATE_USD_PER_KW = 1_000.0
MAX_MEDIAN_MARKET_PRICE_USD_PER_KWH = 1.0
MAX_BATTERY_POWER_TO_PEAK_LOAD = 100.0
MAX_BATTERY_POWER_KW = 1e6
WARN_BATTERY_POWER_TO_PEAK_LOAD = 10.0
MIN_BATTERY_POWER_TO_PEAK_LOAD = 0.001
MIN_BATTERY_DURATION_H = 0.1
WARN_BATTERY_DURATION_H = 24.0
MAX_BATTERY_DURATION_H = 500.0


def check_load_kw(
    load_kw: pd.Series | np.ndarray,
    *,
    field: str,
    allow_large: bool = False,
    allow_option: str = "site.allow_large_load",
) -> None:
    """Refuse a load whose median is beyond a site's (a load in W read as kW).

    Parameters
    ----------
    load_kw : pandas.Series or numpy.ndarray
        The load [kW]; non-finite values are ignored.
    field : str
        The load's field or column, named in the error.
    allow_large : bool, default False
        Accept a median between :data:`LARGE_MEDIAN_LOAD_KW` (10 MW) and
        :data:`MAX_MEDIAN_LOAD_KW` (100 MW): a data center or a mill, said on purpose.
    allow_option : str, default "site.allow_large_load"
        The option that sets ``allow_large``, named in the message.

    Raises
    ------
    InputError
        Median above :data:`MAX_MEDIAN_LOAD_KW`, or above :data:`LARGE_MEDIAN_LOAD_KW` unless
        ``allow_large``; the message quotes the median.
    """
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
    if median > LARGE_MEDIAN_LOAD_KW and not allow_large:
        raise InputError(
            field,
            f"median load {median:,.0f} kW",
            f"at most {LARGE_MEDIAN_LOAD_KW:,.0f} kW unless a site that large is allowed "
            f"on purpose ({allow_option}); is the column in W, not kW? (then the median is "
            f"{_num(median / 1000.0)} kW)",
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
    """Refuse a battery far larger than any built, or out of proportion to its site.

    Parameters
    ----------
    power_kw : float
        The battery's power rating [kW].
    peak_load_kw : float
        The site's metered peak load [kW]; 0 (no load: a market-only battery) skips the
        relative rules.
    field : str
        The battery power's field, named in the message.

    Raises
    ------
    InputError
        Above :data:`MAX_BATTERY_POWER_KW`; above :data:`MAX_BATTERY_POWER_TO_PEAK_LOAD` or
        under :data:`MIN_BATTERY_POWER_TO_PEAK_LOAD` times the peak load (both numbers and
        the ratio in the message). Between :data:`WARN_BATTERY_POWER_TO_PEAK_LOAD` and the
        upper limit a warning is logged instead.
    """
    if power_kw > MAX_BATTERY_POWER_KW:
        raise InputError(
            field, f"{_num(power_kw)} kW", f"at most {MAX_BATTERY_POWER_KW:,.0f} kW (1 GW)"
        )
    if not peak_load_kw > 0:
        return
    ratio = power_kw / peak_load_kw
    peak = _num(peak_load_kw)
    shown = f"{_num(power_kw)} kW ({_percent(ratio)} of the site's peak load {peak} kW)"
    if ratio > MAX_BATTERY_POWER_TO_PEAK_LOAD:
        raise InputError(
            field,
            shown,
            f"at most {MAX_BATTERY_POWER_TO_PEAK_LOAD:g} x the peak load (is the battery "
            "power in W, not kW?)",
        )
    if ratio < MIN_BATTERY_POWER_TO_PEAK_LOAD:
        raise InputError(
            field,
            shown,
            f"at least {100 * MIN_BATTERY_POWER_TO_PEAK_LOAD:g} % of the peak load: a battery "
            "that small cannot move the bill; is the load in W, not kW? (in kW its peak "
            f"would be {_num(peak_load_kw / 1000.0)} kW)",
        )
    if ratio > WARN_BATTERY_POWER_TO_PEAK_LOAD:
        logger.warning(
            "%s: %s is more than %g x the peak load: plausible only for a front-of-meter "
            "battery beside a small station load; check the units of both",
            field,
            shown,
            WARN_BATTERY_POWER_TO_PEAK_LOAD,
        )


def check_battery_duration(
    power_kw: float, energy_kwh: float, *, power_field: str, energy_field: str
) -> None:
    """Refuse a battery whose duration (energy / power) no storage has.

    Parameters
    ----------
    power_kw : float
        Power rating [kW], > 0.
    energy_kwh : float
        Energy capacity [kWh], > 0.
    power_field, energy_field : str
        The two fields, both named in the message.

    Raises
    ------
    InputError
        Duration under :data:`MIN_BATTERY_DURATION_H` (6 min) or over
        :data:`MAX_BATTERY_DURATION_H` (500 h); over :data:`WARN_BATTERY_DURATION_H` (24 h)
        a warning is logged instead.
    """
    if not (power_kw > 0 and energy_kwh > 0):
        return  # the battery's own checks refuse these
    duration_h = energy_kwh / power_kw
    shown = f"{_num(energy_kwh)} kWh / {_num(power_kw)} kW = {_duration(duration_h)}"
    if duration_h < MIN_BATTERY_DURATION_H:
        raise InputError(
            f"{energy_field}, {power_field}",
            shown,
            f"a duration of at least {MIN_BATTERY_DURATION_H:g} h (6 min; the shortest "
            "batteries sold, for frequency response, last 15 min): is the energy in MWh or "
            "the power in W?",
        )
    if duration_h > MAX_BATTERY_DURATION_H:
        raise InputError(
            f"{energy_field}, {power_field}",
            shown,
            f"a duration of at most {MAX_BATTERY_DURATION_H:g} h (the longest batteries built "
            "last about 100 h): is the energy in Wh or the power in MW?",
        )
    if duration_h > WARN_BATTERY_DURATION_H:
        logger.warning(
            "%s / %s: %s, longer than %g h: rare for a battery (check the units of both)",
            energy_field,
            power_field,
            shown,
            WARN_BATTERY_DURATION_H,
        )


def _percent(ratio: float) -> str:
    """A ratio as a percent (``0.03 %``, ``4.5 %``, ``1,000 %``)."""
    percent = 100.0 * ratio
    return f"{percent:,.0f} %" if percent >= 10 else f"{percent:.2g} %"


def _duration(hours: float) -> str:
    """Hours, with seconds or minutes beside them when short."""
    if hours < 1 / 60:
        return f"{hours:.3g} h ({hours * 3600:.3g} s)"
    if hours < 1:
        return f"{hours:.3g} h ({hours * 60:.3g} min)"
    return f"{_num(hours)} h"


def _num(value: float) -> str:
    """A number as read: whole with thousands separators from 1,000 up, else 4 digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
