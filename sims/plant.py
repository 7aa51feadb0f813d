"""The plant: a battery behind the meter, driven by setpoints, fed the ACTUAL load and PV.

The optimizer plans on forecasts; the plant is what really happens. Each interval it takes the
requested charge and discharge power and applies them to the actual load and PV within the
battery's physical limits, whatever the schedule says:

* the two setpoints are netted (one inverter cannot charge and discharge at once):
  ``net = charge_setpoint_kw - discharge_setpoint_kw``;
* charge is limited by the charge rating, by the room left below ``soc_max_kwh``, by the site
  import limit and, when ``grid_charging`` is False, by the PV available in that interval;
* discharge is limited by the discharge rating, by the energy above ``soc_min_kwh`` and by the
  site export limit (the battery never pushes the site past ``export_limit_kw``);
* if PV alone would still push the site past the export limit, the PV is curtailed
  (``pv_curtailed_kw``), so the site never exports more than it may;
* if self-discharge would take the stored energy below ``soc_min_kwh``, the plant charges just
  enough to hold it there (a maintenance charge, within the charge limits).

State of charge follows the optimizer's convention::

    soc_end_kwh = soc_start_kwh * retention(dt_h)
                  + charge_kw * charge_efficiency * dt_h
                  - discharge_kw / discharge_efficiency * dt_h

and every interval conserves power at the meter::

    load_kw = pv_kw + discharge_kw - charge_kw + grid_kw      (pv_kw is the PV delivered)
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import step_hours
from core.validation import require_finite, validate_series
from optimizer.battery import Battery

__all__ = ["PLANT_COLUMNS", "Plant", "PlantResult", "plant_step"]

logger = logging.getLogger(__name__)

PLANT_COLUMNS: tuple[str, ...] = (
    "load_kw",
    "pv_available_kw",
    "pv_kw",
    "pv_curtailed_kw",
    "charge_setpoint_kw",
    "discharge_setpoint_kw",
    "charge_kw",
    "discharge_kw",
    "grid_kw",
    "grid_import_kw",
    "grid_export_kw",
    "soc_start_kwh",
    "soc_end_kwh",
)
"""Columns of :attr:`PlantResult.intervals`, in order."""

_SOC_TOL_KWH = 1e-9


@dataclass(frozen=True, kw_only=True)
class PlantResult:
    """What the plant did over a run of intervals.

    Parameters
    ----------
    intervals : pandas.DataFrame
        One row per interval with :data:`PLANT_COLUMNS` (powers [kW] are interval means,
        ``soc_*_kwh`` the stored energy at the start and end of the interval [kWh]).
    final_soc_kwh : float
        Stored energy at the end of the last interval [kWh].
    """

    intervals: pd.DataFrame
    final_soc_kwh: float


@dataclass(frozen=True, kw_only=True)
class Plant:
    """Applies battery setpoints to actual load and PV within physical limits.

    Parameters
    ----------
    battery : Battery
        The battery and the site's import and export limits.
    """

    battery: Battery

    def __post_init__(self) -> None:
        if not isinstance(self.battery, Battery):
            raise InputError("Plant.battery", type(self.battery).__name__, "an optimizer Battery")

    def run(
        self,
        *,
        load_kw: pd.Series,
        pv_kw: pd.Series | None,
        charge_setpoint_kw: pd.Series,
        discharge_setpoint_kw: pd.Series,
        initial_soc_kwh: float,
    ) -> PlantResult:
        """Apply the setpoints interval by interval.

        Parameters
        ----------
        load_kw : pandas.Series
            Actual site load [kW], >= 0, on a valid time index.
        pv_kw : pandas.Series or None
            Actual PV available [kW], >= 0, on the same index; None for no PV.
        charge_setpoint_kw, discharge_setpoint_kw : pandas.Series
            Requested battery charge and discharge power [kW], >= 0, on the same index.
        initial_soc_kwh : float
            Stored energy at the start of the first interval [kWh], within the SOC window.

        Returns
        -------
        PlantResult
        """
        load = validate_series(load_kw, name="load_kw", nonnegative=True)
        index = load.index
        dt_h = step_hours(index, name="load_kw.index")
        if pv_kw is None:
            pv = np.zeros(len(index))
        else:
            pv = validate_series(pv_kw, name="pv_kw", index=index, nonnegative=True).to_numpy(
                dtype=float
            )
        c_sp = validate_series(
            charge_setpoint_kw, name="charge_setpoint_kw", index=index, nonnegative=True
        ).to_numpy(dtype=float)
        d_sp = validate_series(
            discharge_setpoint_kw, name="discharge_setpoint_kw", index=index, nonnegative=True
        ).to_numpy(dtype=float)
        b = self.battery
        require_finite("initial_soc_kwh", initial_soc_kwh)
        if not b.soc_min_kwh - _SOC_TOL_KWH <= initial_soc_kwh <= b.soc_max_kwh + _SOC_TOL_KWH:
            raise InputError(
                "initial_soc_kwh",
                initial_soc_kwh,
                f"stored energy within [{b.soc_min_kwh}, {b.soc_max_kwh}] kWh",
            )
        columns = _simulate(
            battery=b,
            dt_h=dt_h,
            load=load.to_numpy(dtype=float),
            pv=pv,
            c_sp=c_sp,
            d_sp=d_sp,
            soc0=float(initial_soc_kwh),
        )
        frame = pd.DataFrame(columns, index=index, columns=list(PLANT_COLUMNS))
        return PlantResult(intervals=frame, final_soc_kwh=float(columns["soc_end_kwh"][-1]))


def _simulate(
    *,
    battery: Battery,
    dt_h: float,
    load: np.ndarray,
    pv: np.ndarray,
    c_sp: np.ndarray,
    d_sp: np.ndarray,
    soc0: float,
) -> dict[str, np.ndarray]:
    n = len(load)
    soc_min = battery.soc_min_kwh
    soc_max = battery.soc_max_kwh
    out = {name: np.zeros(n) for name in PLANT_COLUMNS}
    soc = min(max(soc0, soc_min), soc_max)
    for t in range(n):
        charge, discharge, curtailed, grid, soc_end = plant_step(
            battery, dt_h, load=load[t], pv=pv[t], charge_sp=c_sp[t], discharge_sp=d_sp[t], soc=soc
        )
        out["load_kw"][t] = load[t]
        out["pv_available_kw"][t] = pv[t]
        out["pv_kw"][t] = pv[t] - curtailed
        out["pv_curtailed_kw"][t] = curtailed
        out["charge_setpoint_kw"][t] = c_sp[t]
        out["discharge_setpoint_kw"][t] = d_sp[t]
        out["charge_kw"][t] = charge
        out["discharge_kw"][t] = discharge
        out["grid_kw"][t] = grid
        out["grid_import_kw"][t] = max(grid, 0.0)
        out["grid_export_kw"][t] = max(-grid, 0.0)
        out["soc_start_kwh"][t] = soc
        out["soc_end_kwh"][t] = soc_end
        soc = soc_end
    return out


def plant_step(
    battery: Battery,
    dt_h: float,
    *,
    load: float,
    pv: float,
    charge_sp: float,
    discharge_sp: float,
    soc: float,
) -> tuple[float, float, float, float, float]:
    """Apply one interval's setpoints to the actual load and PV (the rules of :class:`Plant`).

    Parameters
    ----------
    battery : Battery
        The battery and the site's limits.
    dt_h : float
        Interval length [h].
    load, pv : float
        Actual load and available PV of the interval [kW].
    charge_sp, discharge_sp : float
        Requested charge and discharge power [kW], >= 0.
    soc : float
        Stored energy at the start of the interval [kWh].

    Returns
    -------
    tuple of float
        ``(charge_kw, discharge_kw, pv_curtailed_kw, grid_kw, soc_end_kwh)``.
    """
    kept = soc * battery.retention(dt_h)
    eta_c = battery.charge_efficiency
    eta_d = battery.discharge_efficiency
    soc_min = battery.soc_min_kwh
    soc_max = battery.soc_max_kwh
    imp_lim = battery.import_limit_kw
    exp_lim = battery.export_limit_kw
    net_sp = charge_sp - discharge_sp
    residual = load - pv  # the meter without the battery
    # the most the battery may charge this interval
    c_max = min(battery.charge_rating_kw, max(0.0, (soc_max - kept) / (eta_c * dt_h)))
    if not battery.grid_charging:
        c_max = min(c_max, pv)
    if math.isfinite(imp_lim):
        c_max = min(c_max, max(0.0, imp_lim - residual))
    # the least it must charge to hold soc_min against self-discharge
    c_min = min(c_max, max(0.0, (soc_min - kept) / (eta_c * dt_h)))
    d_max = min(battery.discharge_rating_kw, max(0.0, (kept - soc_min) * eta_d / dt_h))
    if math.isfinite(exp_lim):
        d_max = min(d_max, max(0.0, residual + exp_lim))
    if c_min > 0.0:
        charge, discharge = max(c_min, min(max(net_sp, 0.0), c_max)), 0.0
    elif net_sp >= 0.0:
        charge, discharge = min(net_sp, c_max), 0.0
    else:
        charge, discharge = 0.0, min(-net_sp, d_max)
    curtailed = 0.0
    if math.isfinite(exp_lim):
        # discharge never exceeds residual + exp_lim, so PV alone can cause this
        curtailed = min(pv, max(0.0, -exp_lim - (residual + charge - discharge)))
    grid = load - (pv - curtailed) + charge - discharge
    soc_end = kept + charge * eta_c * dt_h - discharge / eta_d * dt_h
    # round-off only: the limits above keep soc_end inside the window
    soc_end = min(max(soc_end, min(soc_min, kept)), soc_max)
    return charge, discharge, curtailed, grid, soc_end
