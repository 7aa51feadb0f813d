"""The battery and site-connection specification."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import InputError
from core.validation import require_finite, require_fraction, require_nonnegative, require_positive

__all__ = ["Battery"]


@dataclass(frozen=True, kw_only=True)
class Battery:
    """A battery behind (or in front of) one meter, with the site's grid limits.

    Parameters
    ----------
    power_kw : float
        Discharge rating at the battery terminals [kW]; also the charge rating unless
        ``charge_power_kw`` is given.
    energy_kwh : float
        Nameplate energy capacity [kWh].
    charge_power_kw : float or None, default None
        Charge rating [kW]; None means equal to ``power_kw``.
    charge_efficiency : float, default 0.95
        Fraction of charged energy that reaches storage [0-1].
    discharge_efficiency : float, default 0.95
        Fraction of stored energy that reaches the terminals when discharged [0-1].
    soc_min_fraction, soc_max_fraction : float, default 0.0 and 1.0
        Usable state-of-charge window as fractions of ``energy_kwh``.
    self_discharge_fraction_per_h : float, default 0.0
        Fraction of stored energy lost per hour; over a step of ``dt_h`` hours the stored
        energy is multiplied by ``(1 - self_discharge_fraction_per_h) ** dt_h``.
    degradation_cost_usd_per_kwh : float, default 0.0
        Wear cost per kWh *discharged* at the terminals [$/kWh].
    grid_charging : bool, default True
        If False the battery charges only from on-site PV (``charge_kw <= pv_kw``), as the
        US investment tax credit requires.
    import_limit_kw : float, default inf
        Site import limit at the meter [kW].
    export_limit_kw : float, default inf
        Site export limit at the meter [kW]; 0 for a no-export site.
    """

    power_kw: float
    energy_kwh: float
    charge_power_kw: float | None = None
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min_fraction: float = 0.0
    soc_max_fraction: float = 1.0
    self_discharge_fraction_per_h: float = 0.0
    degradation_cost_usd_per_kwh: float = 0.0
    grid_charging: bool = True
    import_limit_kw: float = math.inf
    export_limit_kw: float = math.inf

    def __post_init__(self) -> None:
        require_positive("Battery.power_kw", self.power_kw)
        require_positive("Battery.energy_kwh", self.energy_kwh)
        if self.charge_power_kw is not None:
            require_positive("Battery.charge_power_kw", self.charge_power_kw)
        require_fraction("Battery.charge_efficiency", self.charge_efficiency, allow_zero=False)
        require_fraction(
            "Battery.discharge_efficiency", self.discharge_efficiency, allow_zero=False
        )
        require_fraction("Battery.soc_min_fraction", self.soc_min_fraction)
        require_fraction("Battery.soc_max_fraction", self.soc_max_fraction)
        if self.soc_min_fraction >= self.soc_max_fraction:
            raise InputError(
                "Battery.soc_min_fraction",
                self.soc_min_fraction,
                f"less than soc_max_fraction={self.soc_max_fraction}",
            )
        self_discharge = self.self_discharge_fraction_per_h
        require_fraction("Battery.self_discharge_fraction_per_h", self_discharge)
        if self_discharge >= 1:
            raise InputError(
                "Battery.self_discharge_fraction_per_h", self_discharge, "a fraction < 1"
            )
        require_nonnegative(
            "Battery.degradation_cost_usd_per_kwh", self.degradation_cost_usd_per_kwh
        )
        if not isinstance(self.grid_charging, bool):
            raise InputError("Battery.grid_charging", self.grid_charging, "True or False")
        for name in ("import_limit_kw", "export_limit_kw"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise InputError(f"Battery.{name}", value, "a number >= 0 (inf for no limit)")
            if value < 0:
                raise InputError(f"Battery.{name}", value, "a number >= 0 (inf for no limit)")
        require_finite("Battery.energy_kwh", self.energy_kwh)

    @property
    def charge_rating_kw(self) -> float:
        """Charge rating [kW]."""
        return self.power_kw if self.charge_power_kw is None else self.charge_power_kw

    @property
    def discharge_rating_kw(self) -> float:
        """Discharge rating [kW]."""
        return self.power_kw

    @property
    def soc_min_kwh(self) -> float:
        """Lowest allowed stored energy [kWh]."""
        return self.soc_min_fraction * self.energy_kwh

    @property
    def soc_max_kwh(self) -> float:
        """Highest allowed stored energy [kWh]."""
        return self.soc_max_fraction * self.energy_kwh

    def retention(self, dt_h: float) -> float:
        """Fraction of stored energy kept over one step of ``dt_h`` hours."""
        return (1.0 - self.self_discharge_fraction_per_h) ** dt_h
