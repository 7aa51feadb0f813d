"""The ``[pv_system]`` table of a backtest configuration: the site's PV array for pvlib.

``forecast.pv = "pvlib"`` forecasts the site's PV with :class:`forecasting.pv.PVForecaster`
(pvlib ModelChain, PVWatts; clear-sky scaled by the recent clearness, calibrated on the measured
PV history), which needs the site and the array. They are given in this table with the names
and units of :class:`forecasting.pv.PVSystemSpec`::

    [pv_system]
    latitude_deg = 36.1              # north positive [deg]
    longitude_deg = -79.95           # east positive [deg]
    altitude_m = 273.0               # optional, default 0 [m]
    tilt_deg = 25.0                  # from horizontal [deg]
    azimuth_deg = 180.0              # optional, clockwise from north, default 180 (south)
    dc_capacity_kw = 150.0           # DC nameplate at STC [kW]
    ac_capacity_kw = 125.0           # inverter AC rating [kW]
    losses_fraction = 0.14           # optional, default 0.14
    gamma_pdc_per_c = -0.0037        # optional [1/degC]
    inverter_efficiency = 0.96       # optional [fraction]
    temperature_model = "open_rack_glass_polymer"  # optional, pvlib SAPM parameter set

Errors name the TOML key (e.g. ``pv_system.tilt_deg``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

from core.errors import InputError
from forecasting.pv import PVSystemSpec

__all__ = ["PV_SYSTEM_REQUIRED", "pv_system_from_table"]

logger = logging.getLogger(__name__)

PV_SYSTEM_REQUIRED: tuple[str, ...] = (
    "latitude_deg",
    "longitude_deg",
    "tilt_deg",
    "dc_capacity_kw",
    "ac_capacity_kw",
)
"""Keys the ``[pv_system]`` table must give (the others have PVSystemSpec's defaults)."""

_TEXT_KEYS = ("temperature_model",)


def pv_system_from_table(raw: Any) -> PVSystemSpec:
    """Build a :class:`~forecasting.pv.PVSystemSpec` from the parsed ``[pv_system]`` table.

    Parameters
    ----------
    raw : dict
        The table: every key a field of PVSystemSpec (numbers [deg, m, kW, fraction, 1/degC];
        ``temperature_model`` a string).

    Returns
    -------
    PVSystemSpec

    Raises
    ------
    InputError
        If the table is not a table, a key is unknown, missing, mistyped or out of range; the
        error names the key as ``pv_system.<key>``.
    """
    if not isinstance(raw, dict):
        raise InputError("pv_system", raw, "a [pv_system] table")
    allowed = {f.name for f in dataclasses.fields(PVSystemSpec)}
    for key, value in raw.items():
        if key not in allowed:
            raise InputError(f"pv_system.{key}", value, f"one of the keys {sorted(allowed)}")
    for key in PV_SYSTEM_REQUIRED:
        if key not in raw:
            raise InputError(f"pv_system.{key}", None, "a value")
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _TEXT_KEYS:
            if not isinstance(value, str):
                raise InputError(f"pv_system.{key}", value, "a string")
            kwargs[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"pv_system.{key}", value, "a number")
            if not math.isfinite(value):
                raise InputError(f"pv_system.{key}", value, "a finite number")
            kwargs[key] = float(value)
    try:
        return PVSystemSpec(**kwargs)
    except InputError as exc:
        name = exc.field.rsplit(".", 1)[-1]
        raise InputError(f"pv_system.{name}", exc.value, exc.expected) from exc
