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

import logging
from typing import Any

from forecasting.pv import PVSystemSpec
from sims.toml_tables import FINITE, TableSpec, build, parse_table, table_spec

__all__ = ["PV_SYSTEM_REQUIRED", "PV_SYSTEM_TABLE", "pv_system_from_table"]

logger = logging.getLogger(__name__)

PV_SYSTEM_TABLE: TableSpec = table_spec(
    "pv_system",
    PVSystemSpec,
    kinds={
        name: FINITE
        for name, kind in PVSystemSpec.__annotations__.items()
        if kind in ("float", float)
    },
)
"""The ``[pv_system]`` table: the fields of PVSystemSpec, numbers finite."""

PV_SYSTEM_REQUIRED: tuple[str, ...] = tuple(
    name for name, f in PV_SYSTEM_TABLE.model.model_fields.items() if f.is_required()
)
"""Keys the ``[pv_system]`` table must give (the others have PVSystemSpec's defaults)."""


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
    return build("pv_system", PVSystemSpec, **parse_table(PV_SYSTEM_TABLE, raw))
