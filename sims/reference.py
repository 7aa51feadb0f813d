"""DOE commercial reference buildings as backtest sites (for real-data runs and tests).

The DOE Commercial Reference Building load profiles shipped with NREL REopt
(``load_profiles_crb_normalized/crb8760_norm_<City>_<Building>.dat``) are 8760 hourly fractions
of the annual electricity use of calendar 2017, with the annual kWh per city and building in
``total_electric_annual_kwh.json``. kW of hour ``k`` = fraction ``k`` x annual kWh (an hour's
kWh is its mean kW).

The files carry no timestamps. EnergyPlus reports hour ``k`` of the year in local STANDARD time
(no DST shift), so hour ``k`` starts ``k`` hours after 2017-01-01 00:00 standard time; the
series is put on those instants and shown in the site's zone (summer labels then read one hour
later on the wall clock, as a meter's would). A year of 8760 standard hours is exactly a year of
local wall-clock intervals, so nothing is filled or dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = [
    "DOE_SITES",
    "STANDARD_OFFSET_H",
    "DoeSite",
    "battery_power_kw",
    "read_crb_load",
    "write_series_csv",
]

STANDARD_OFFSET_H: dict[str, int] = {
    "America/Los_Angeles": -8,
    "America/Denver": -7,
    "America/Phoenix": -7,
    "America/Chicago": -6,
    "America/New_York": -5,
}
"""UTC offset of local standard time [h] for the zones of the reference buildings."""


@dataclass(frozen=True)
class DoeSite:
    """A DOE reference building placed on a real URDB tariff (file in ``reopt/urdb``)."""

    name: str
    city: str
    building: str
    timezone: str
    tariff_file: str

    def read_load(self, data: str | Path) -> pd.Series:
        """The building's hourly 2017 load [kW] from the shared data folder ``data``
        (:func:`read_crb_load` on ``reopt/load_profiles_crb_normalized``)."""
        return read_crb_load(
            Path(data) / "reopt" / "load_profiles_crb_normalized",
            city=self.city,
            building=self.building,
            timezone=self.timezone,
        )


DOE_SITES: tuple[DoeSite, ...] = (
    DoeSite(
        "sf_medium_office",
        "SanFrancisco",
        "MediumOffice",
        "America/Los_Angeles",
        "pge_e19_secondary_5cef0a415457a33576f60fe2.json",
    ),
    DoeSite(
        "la_retail_store",
        "LosAngeles",
        "RetailStore",
        "America/Los_Angeles",
        "sce_gs2_tou_optionB_55fc81d7682bea28da64f9ae.json",
    ),
    DoeSite(
        "houston_hospital",
        "Houston",
        "Hospital",
        "America/Chicago",
        "entergy_ar_lps_tou_5a592c995457a3371c423a7d.json",
    ),
)
"""The reference sites of ``scripts/run_reference_sites.py`` and ``scripts/capture_sites.py``:
SF medium office / PG&E E-19, LA retail / SCE GS-2 TOU-B, Houston hospital / Entergy LPS-TOU."""


def battery_power_kw(peak_kw: float, *, fraction: float = 0.2, round_kw: float = 5.0) -> float:
    """Battery power [kW]: ``fraction`` of the annual peak, rounded to ``round_kw`` (at least one
    ``round_kw``)."""
    if not peak_kw > 0:
        raise InputError("peak_kw", peak_kw, "a positive annual peak [kW]")
    return max(round_kw, round(fraction * peak_kw / round_kw) * round_kw)


def read_crb_load(folder: str | Path, *, city: str, building: str, timezone: str) -> pd.Series:
    """Hourly load [kW] of a DOE reference building for calendar 2017.

    Parameters
    ----------
    folder : str or pathlib.Path
        ``reopt/load_profiles_crb_normalized`` of the shared data.
    city : str
        City as in the file names, e.g. ``"SanFrancisco"``.
    building : str
        Building as in the file names, e.g. ``"MediumOffice"``.
    timezone : str
        The site's zone; one of :data:`STANDARD_OFFSET_H`.

    Returns
    -------
    pandas.Series
        ``load_kw`` on 8760 hourly labels in ``timezone``.
    """
    folder = Path(folder)
    path = folder / f"crb8760_norm_{city}_{building}.dat"
    if not path.is_file():
        raise InputError("building", f"{city}_{building}", f"a profile in {folder}")
    if timezone not in STANDARD_OFFSET_H:
        raise InputError("timezone", timezone, f"one of {tuple(STANDARD_OFFSET_H)}")
    fractions = np.loadtxt(path, dtype=float)
    if fractions.shape != (8760,):
        raise InputError(str(path), fractions.shape, "8760 hourly values")
    totals = json.loads((folder / "total_electric_annual_kwh.json").read_text())
    annual_kwh = totals.get(city, {}).get(building.lower())
    if annual_kwh is None:
        raise InputError("building", f"{city}/{building.lower()}", "an entry of the annual kWh")
    start_utc = pd.Timestamp("2017-01-01") - pd.Timedelta(hours=STANDARD_OFFSET_H[timezone])
    index = pd.date_range(start_utc.tz_localize("UTC"), periods=8760, freq="1h")
    return pd.Series(fractions * annual_kwh, index=index.tz_convert(timezone), name="load_kw")


def write_series_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write kW columns with ISO 8601 interval-start timestamps carrying their UTC offset."""
    path = Path(path)
    out = frame.copy()
    out.insert(0, "timestamp", [t.isoformat() for t in frame.index])
    out.to_csv(path, index=False)
    return path
