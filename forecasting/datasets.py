"""Readers for the real data sets forecasts are evaluated on (the I/O edge).

Every reader returns tz-aware, fixed-step, interval-beginning frames with units in the column
names, and says what it changed: missing meter readings become NaN (counted), never filled.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.series import check_unit, numeric_values, parse_timestamps, read_csv_frame
from core.timegrid import validate_index

__all__ = [
    "CITYLEARN_TZ",
    "MeterReadings",
    "read_bedford_weather",
    "read_cambridge_building",
    "read_citylearn_home",
    "read_doe_reference_building",
    "read_load_csv",
    "read_nsrdb_tmy_weather",
    "read_tmy3_weather",
]

logger = logging.getLogger(__name__)

CITYLEARN_TZ = "Etc/GMT+8"
"""CityLearn 2022 homes (Fontana, California) are on fixed Pacific standard time (UTC-8)."""

WEATHER_COLUMNS = (
    "ghi_w_per_m2",
    "dni_w_per_m2",
    "dhi_w_per_m2",
    "temp_air_c",
    "wind_speed_m_per_s",
)


@dataclass(frozen=True, kw_only=True)
class MeterReadings:
    """A metered load series with its missing readings marked.

    Attributes
    ----------
    load_kw : pandas.Series
        Mean load per interval [kW]; NaN where the reading is missing or partial.
    zero_count : int
        Readings recorded as 0 (missing in the source).
    partial_count : int
        Readings next to a missing stretch or at the file's first hour, which the source built
        from an incomplete set of half-hours (about half the true value).
    """

    load_kw: pd.Series
    zero_count: int
    partial_count: int

    @property
    def missing_count(self) -> int:
        """All readings set to NaN."""
        return self.zero_count + self.partial_count


def read_cambridge_building(path: str | Path) -> MeterReadings:
    """Read a Cambridge Estates electricity file (``datetime,equipment load [kWh]``).

    Timestamps are UTC, hourly, interval-beginning; kWh per hour equals mean kW. The source
    replaced missing half-hourly readings by 0 before summing them into hours, so an hour of 0
    is missing, and an hour bordering a run of zeros (and the first hour of each file, whose
    first half-hour lies in the previous file) holds only part of its half-hours: both become
    NaN.
    """
    frame = pd.read_csv(path)
    if list(frame.columns) != ["datetime", "equipment load [kWh]"]:
        raise InputError(str(path), list(frame.columns), "columns datetime,equipment load [kWh]")
    index = pd.DatetimeIndex(pd.to_datetime(frame["datetime"]), name="time").tz_localize("UTC")
    validate_index(index, name=f"{path}.datetime")
    values = frame["equipment load [kWh]"].to_numpy(dtype=float)
    zero = values == 0
    partial = np.zeros(len(values), dtype=bool)
    partial[0] = not zero[0]
    partial[1:] |= zero[:-1] & ~zero[1:]
    partial[:-1] |= zero[1:] & ~zero[:-1]
    load = np.where(zero | partial, np.nan, values)
    logger.info("%s: %d zero and %d partial readings set to NaN", path, zero.sum(), partial.sum())
    return MeterReadings(
        load_kw=pd.Series(load, index=index, name="load_kw"),
        zero_count=int(zero.sum()),
        partial_count=int(partial.sum()),
    )


def read_bedford_weather(paths: list[str | Path]) -> pd.DataFrame:
    """Read Met Office Bedford hourly weather files (UTC) into one frame.

    Returns ``temp_air_c`` [degC], ``relative_humidity_percent`` and ``ghi_w_per_m2``.
    """
    frames = [pd.read_csv(p, index_col=0, parse_dates=True) for p in paths]
    frame = pd.concat(frames).sort_index()
    frame.index = pd.DatetimeIndex(frame.index, name="time").tz_localize("UTC")
    frame = frame.rename(
        columns={
            "air_temperature [degC]": "temp_air_c",
            "rltv_hum [%]": "relative_humidity_percent",
            "glbl_irad_amt [W/m2]": "ghi_w_per_m2",
        }
    )
    validate_index(frame.index, name="bedford_weather.index")
    return frame[["temp_air_c", "relative_humidity_percent", "ghi_w_per_m2"]]


def read_citylearn_home(folder: str | Path, building: str) -> pd.DataFrame:
    """Read one CityLearn 2022 home: hourly ``load_kw``, ``pv_kw`` and its weather.

    The files have no timestamps. Row 0 is ``month 7, hour 24, day_type 7`` (Sunday): the last
    hour of Sunday 31 July 2016 (1 August 2016 was a Monday), with hours numbered 1-24 as
    hour-ending on fixed standard time (``daylight_savings_status`` is 0 throughout). So row
    ``i`` is the interval starting at 2016-07-31 23:00 (UTC-8) plus ``i`` hours. PV is
    ``solar_generation`` [W per kW] times the schema's ``pv.attributes.nominal_power`` [kW].

    Returns
    -------
    pandas.DataFrame
        ``load_kw``, ``pv_kw``, ``temp_air_c``, ``dni_w_per_m2`` (the file's direct
        irradiance), ``dhi_w_per_m2`` (diffuse), on an hourly UTC-8 index.
    """
    folder = Path(folder)
    schema = json.loads((folder / "schema.json").read_text())
    if building not in schema["buildings"]:
        raise InputError("building", building, f"one of {sorted(schema['buildings'])}")
    spec = schema["buildings"][building]
    data = pd.read_csv(folder / spec["energy_simulation"])
    weather = pd.read_csv(folder / spec["weather"])
    first = data.iloc[0]
    if (int(first["month"]), int(first["hour"]), int(first["day_type"])) != (7, 24, 7):
        raise InputError(f"{building}.row0", first.to_dict(), "month 7, hour 24, day_type 7")
    index = pd.date_range("2016-07-31 23:00", periods=len(data), freq="h", tz=CITYLEARN_TZ)
    local_weekday = index.day_of_week.to_numpy() + 1  # CityLearn: 1 = Monday .. 7 = Sunday
    mismatch = data["day_type"].to_numpy() != local_weekday
    if mismatch.any():
        raise InputError(f"{building}.day_type", int(np.argmax(mismatch)), "weekdays of 2016-17")
    nominal_kw = float(spec["pv"]["attributes"]["nominal_power"])
    return pd.DataFrame(
        {
            "load_kw": data["non_shiftable_load"].to_numpy(dtype=float),
            "pv_kw": data["solar_generation"].to_numpy(dtype=float) * nominal_kw / 1000.0,
            "temp_air_c": weather["outdoor_dry_bulb_temperature"].to_numpy(dtype=float),
            "dni_w_per_m2": weather["direct_solar_irradiance"].to_numpy(dtype=float),
            "dhi_w_per_m2": weather["diffuse_solar_irradiance"].to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex(index, name="time"),
    )


def read_tmy3_weather(path: str | Path, *, year: int = 2021) -> tuple[pd.DataFrame, dict]:
    """Read a TMY3 file with pvlib, as one calendar ``year`` on interval-beginning labels.

    TMY3 rows are hour-ending (label 01:00 is the hour 00:00-01:00) on fixed standard time;
    each is relabelled to its interval start, and the months (from different source years) are
    placed in ``year`` (pvlib's ``coerce_year``).

    Returns
    -------
    (pandas.DataFrame, dict)
        ``ghi_w_per_m2``, ``dni_w_per_m2``, ``dhi_w_per_m2``, ``temp_air_c``,
        ``wind_speed_m_per_s``; and pvlib's metadata (latitude, longitude, altitude, TZ).
    """
    from pvlib.iotools import read_tmy3

    data, meta = read_tmy3(str(path), coerce_year=year, map_variables=True)
    frame = pd.DataFrame(
        {
            "ghi_w_per_m2": data["ghi"].to_numpy(dtype=float),
            "dni_w_per_m2": data["dni"].to_numpy(dtype=float),
            "dhi_w_per_m2": data["dhi"].to_numpy(dtype=float),
            "temp_air_c": data["temp_air"].to_numpy(dtype=float),
            "wind_speed_m_per_s": data["wind_speed"].to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex(data.index - pd.Timedelta(hours=1), name="time"),
    ).sort_index()
    validate_index(frame.index, name=f"{path}.index")
    return frame, meta


def read_load_csv(
    path: str | Path,
    *,
    column: str,
    tz: str,
    timestamp_column: str = "timestamp",
    temperature_column: str | None = None,
    zero_is_missing: bool = False,
) -> tuple[pd.DataFrame, int]:
    """Read a load CSV for the ``forecast-eval`` command.

    Read by the one series reader (:mod:`core.series`): timestamps are interval starts; naive
    ones are localized to ``tz`` (an ambiguous or nonexistent local time is an error), ones with
    UTC offsets (which may differ across DST) converted. Empty cells of the load column
    are missing readings (NaN); with ``zero_is_missing`` zeros are too.

    Returns
    -------
    (pandas.DataFrame, int)
        ``load_kw`` (and ``temp_air_c`` from ``temperature_column``) on a fixed-step index,
        and the count of readings marked missing.
    """
    path = Path(path)
    required = [("--timestamp-column", timestamp_column), ("--column", column)]
    if temperature_column is not None:
        required.append(("--temperature-column", temperature_column))
    frame = read_csv_frame(path, field="load", required=required, dtype={timestamp_column: str})
    check_unit(column, unit="kw", field="--column")
    index = parse_timestamps(
        frame[timestamp_column], tz=tz, field=timestamp_column, tz_field="--tz"
    )
    index = pd.DatetimeIndex(index, name="time").tz_convert(tz)
    validate_index(index, name=f"{path.name}.{timestamp_column}", min_length=2)
    load = numeric_values(frame, column, field=column, allow_missing=True)
    missing = np.isnan(load)
    if zero_is_missing:
        missing |= load == 0
    load = np.where(missing, np.nan, load)
    data = {"load_kw": load}
    if temperature_column is not None:
        data["temp_air_c"] = numeric_values(
            frame, temperature_column, field=temperature_column, allow_missing=True
        )
    return pd.DataFrame(data, index=index), int(missing.sum())


def read_nsrdb_tmy_weather(path: str | Path, *, year: int = 2021) -> tuple[pd.DataFrame, dict]:
    """Read an NSRDB PSM TMY file (SAM CSV format) with pvlib, as one calendar ``year``.

    Rows are stamped at the middle of each hour (``HH:30``) on fixed standard time; each is
    relabelled to its interval start (``HH:00``) and placed in ``year`` (a TMY's months come
    from different source years).

    Returns
    -------
    (pandas.DataFrame, dict)
        The columns of :func:`read_tmy3_weather`, and pvlib's metadata.
    """
    from pvlib.iotools import read_nsrdb_psm4

    data, meta = read_nsrdb_psm4(str(path), map_variables=True)
    offset_h = float(meta["Time Zone"])
    tz = "UTC" if offset_h == 0 else f"Etc/GMT{'-' if offset_h > 0 else '+'}{abs(int(offset_h))}"
    stamps = pd.to_datetime(
        pd.DataFrame(
            {"year": year, "month": data["Month"], "day": data["Day"], "hour": data["Hour"]}
        )
    )
    frame = pd.DataFrame(
        {
            "ghi_w_per_m2": data["ghi"].to_numpy(dtype=float),
            "dni_w_per_m2": data["dni"].to_numpy(dtype=float),
            "dhi_w_per_m2": data["dhi"].to_numpy(dtype=float),
            "temp_air_c": data["temp_air"].to_numpy(dtype=float),
            "wind_speed_m_per_s": data["wind_speed"].to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex(stamps, name="time").tz_localize(tz),
    )
    validate_index(frame.index, name=f"{path}.index")
    return frame, meta


DOE_REFERENCE_TZ = {
    "Atlanta": "Etc/GMT+5",
    "Boulder": "Etc/GMT+7",
    "Chicago": "Etc/GMT+6",
    "Houston": "Etc/GMT+6",
    "LosAngeles": "Etc/GMT+8",
    "Miami": "Etc/GMT+5",
    "Minneapolis": "Etc/GMT+6",
    "Phoenix": "Etc/GMT+7",
    "SanFrancisco": "Etc/GMT+8",
    "Seattle": "Etc/GMT+8",
}
"""Fixed standard-time zone of each DOE reference city (EnergyPlus hours are standard time)."""


def read_doe_reference_building(folder: str | Path, city: str, building: str) -> pd.Series:
    """Read a DOE commercial reference building profile as hourly ``load_kw`` for 2017.

    Each of the 8760 lines is that hour's fraction of the annual energy; kW = fraction times
    the annual kWh of ``total_electric_annual_kwh.json``. Hours are placed from 2017-01-01
    00:00 (a Sunday) on the city's fixed standard time. These are EnergyPlus MODEL outputs,
    not meter readings.
    """
    folder = Path(folder)
    if city not in DOE_REFERENCE_TZ:
        raise InputError("city", city, f"one of {sorted(DOE_REFERENCE_TZ)}")
    path = folder / f"crb8760_norm_{city}_{building}.dat"
    if not path.is_file():
        raise InputError("building", building, f"a profile file {path.name} in {folder}")
    fractions = np.loadtxt(path, dtype=float)
    if len(fractions) != 8760:
        raise InputError(str(path), f"{len(fractions)} lines", "8760 hourly fractions")
    totals = json.loads((folder / "total_electric_annual_kwh.json").read_text())
    annual_kwh = float(totals[city][building.lower()])
    index = pd.date_range("2017-01-01", periods=8760, freq="h", tz=DOE_REFERENCE_TZ[city])
    return pd.Series(
        fractions * annual_kwh, index=pd.DatetimeIndex(index, name="time"), name="load_kw"
    )
