"""Write valuestack's built-in example site: ``python examples/make_examples.py [--out DIR]``.

Deterministic (fixed seed, no downloads): the same pvlib version writes the same bytes.

``office_load.csv``
    One calendar year (2023, local time ``America/New_York``) at 15 minutes: ``timestamp``
    (ISO 8601 interval start with its UTC offset), ``load_kw`` and ``pv_kw``, for a made-up
    medium office in Greensboro, NC. Weather is the TMY3 file for Greensboro (``723170TYA.CSV``)
    bundled with pvlib, read with :func:`pvlib.iotools.read_tmy3`; TMY3 hours are labelled at
    their end in local standard time (UTC-5), so each is moved to its start.

    Load [kW] = base + occupancy + cooling + heating + noise:

    - base 55 kW (servers, ventilation at night, refrigeration);
    - occupancy: 115 kW x an occupancy fraction: weekdays ramp 06-08, full 08-18, ramp down
      18-20; Saturdays 0.25 from 08 to 14; Sundays and US federal holidays 0;
    - cooling: 4.2 kW per degC of outdoor temperature above 15 degC (internal gains make the
      building cool from mild weather), x (0.35 + 0.65 x occupancy);
    - heating (electric reheat and heat pumps): 2.4 kW per degC below 10 degC,
      x (0.5 + 0.5 x occupancy);
    - noise: AR(1) with coefficient 0.9 per step and 4 kW innovations, seed ``SEED``;
    - the result is floored at 20 kW.

    Temperature is interpolated linearly between the hourly TMY3 readings.

    PV [kW AC]: 150 kWdc fixed array, tilt 25 deg, facing south, PVWatts DC model
    (-0.37 %/degC), 14 % system losses, PVWatts inverter of 125 kWac; irradiance transposed
    with the isotropic model at each hour's midpoint and the cell temperature from the PVsyst
    model. Each hourly energy is spread over its four 15-minute steps in proportion to the
    Haurwitz clear-sky irradiance, so the hourly energy is kept.

``office_tou_tariff.json``
    A URDB-format record written by us: a made-up TOU rate (not a real utility's) with TOU
    energy, TOU demand, flat demand, a fixed monthly charge, a 15-minute demand window and a
    sell rate for exports (net billing).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pvlib

SEED = 20230101
YEAR = 2023
TZ = "America/New_York"
PV_KWDC = 150.0
INVERTER_KWAC = 125.0
HERE = Path(__file__).resolve().parent


def read_weather() -> pd.DataFrame:
    """Greensboro TMY3 from pvlib's data folder, hourly, labelled at each interval's start."""
    path = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    weather, meta = pvlib.iotools.read_tmy3(str(path), coerce_year=YEAR, map_variables=True)
    weather = weather[["ghi", "dni", "dhi", "temp_air", "wind_speed"]].astype(float)
    weather.index = weather.index - pd.Timedelta(hours=1)  # hour-ending -> interval start
    weather.attrs.update(latitude=meta["latitude"], longitude=meta["longitude"])
    weather.attrs["altitude"] = meta["altitude"]
    return weather


def pv_hourly_kw(weather: pd.DataFrame) -> pd.Series:
    """Hourly mean AC power of the array [kW] (PVWatts), on the weather's index."""
    lat, lon = weather.attrs["latitude"], weather.attrs["longitude"]
    mid = weather.index + pd.Timedelta(minutes=30)
    solpos = pvlib.solarposition.get_solarposition(mid, lat, lon, weather.attrs["altitude"])
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt=25.0,
        surface_azimuth=180.0,
        solar_zenith=solpos["apparent_zenith"].to_numpy(),
        solar_azimuth=solpos["azimuth"].to_numpy(),
        dni=weather["dni"].to_numpy(),
        ghi=weather["ghi"].to_numpy(),
        dhi=weather["dhi"].to_numpy(),
        model="isotropic",
    )
    poa_global = np.nan_to_num(np.asarray(poa["poa_global"], dtype=float)).clip(min=0.0)
    temp_cell = pvlib.temperature.pvsyst_cell(
        poa_global, weather["temp_air"].to_numpy(), weather["wind_speed"].to_numpy()
    )
    pdc_w = pvlib.pvsystem.pvwatts_dc(poa_global, temp_cell, PV_KWDC * 1000.0, -0.0037)
    pdc_w = np.asarray(pdc_w, dtype=float) * (1.0 - 0.14)
    pac_w = pvlib.inverter.pvwatts(pdc_w, INVERTER_KWAC * 1000.0 / 0.96)
    return pd.Series(np.clip(np.asarray(pac_w) / 1000.0, 0.0, None), index=weather.index)


def quarter_hour_index() -> pd.DatetimeIndex:
    """The local calendar year at 15 minutes (35,040 steps; DST days have 92 or 100)."""
    return pd.date_range(
        f"{YEAR}-01-01", f"{YEAR + 1}-01-01", freq="15min", tz=TZ, inclusive="left"
    )


def pv_quarter_hour_kw(hourly_kw: pd.Series, index: pd.DatetimeIndex, weather) -> np.ndarray:
    """Spread each hour's energy over its 15-minute steps by clear-sky irradiance."""
    location = pvlib.location.Location(weather.attrs["latitude"], weather.attrs["longitude"])
    mid = index + pd.Timedelta(minutes=7.5)
    clear = location.get_clearsky(mid, model="haurwitz")["ghi"].to_numpy()
    hour = index.tz_convert("UTC").floor("h")
    hourly_utc = hourly_kw.copy()
    hourly_utc.index = hourly_utc.index.tz_convert("UTC")
    per_hour = hourly_utc.reindex(hour).to_numpy()
    if np.isnan(per_hour).any():
        raise RuntimeError("weather does not cover the example year")
    hour_key = pd.Series(hour.asi8)
    clear_sum = pd.Series(clear).groupby(hour_key).transform("sum").to_numpy()
    weight = np.where(clear_sum > 0, 4.0 * clear / np.where(clear_sum > 0, clear_sum, 1.0), 1.0)
    return per_hour * weight


def occupancy_fraction(index: pd.DatetimeIndex) -> np.ndarray:
    """Occupied fraction of the office at each 15-minute step (local time)."""
    hour = np.asarray(index.hour + index.minute / 60.0)
    weekday = np.asarray(index.day_of_week)
    us_holidays = holidays.country_holidays("US", years=YEAR)
    is_holiday = np.isin(np.asarray(index.date), np.array(sorted(us_holidays), dtype=object))
    ramp_up = np.clip((hour - 6.0) / 2.0, 0.0, 1.0)
    ramp_down = np.clip((20.0 - hour) / 2.0, 0.0, 1.0)
    weekday_occ = np.minimum(ramp_up, ramp_down)
    saturday_occ = np.where((hour >= 8) & (hour < 14), 0.25, 0.0)
    occ = np.where(weekday < 5, weekday_occ, np.where(weekday == 5, saturday_occ, 0.0))
    return np.where(is_holiday, 0.0, occ)


def office_load_kw(index: pd.DatetimeIndex, weather: pd.DataFrame) -> np.ndarray:
    """Modelled office load [kW] at each 15-minute step."""
    temp = weather["temp_air"].copy()
    temp.index = temp.index + pd.Timedelta(hours=1)  # readings are at the labelled hour's end
    t_ns = temp.index.tz_convert("UTC").as_unit("ns").asi8
    q_ns = index.tz_convert("UTC").as_unit("ns").asi8
    temp_c = np.interp(q_ns, t_ns, temp.to_numpy())
    occ = occupancy_fraction(index)
    cooling = 4.2 * np.clip(temp_c - 15.0, 0.0, None) * (0.35 + 0.65 * occ)
    heating = 2.4 * np.clip(10.0 - temp_c, 0.0, None) * (0.5 + 0.5 * occ)
    rng = np.random.default_rng(SEED)
    shocks = rng.normal(0.0, 4.0, len(index))
    noise = np.empty(len(index))
    level = 0.0
    for i, shock in enumerate(shocks):
        level = 0.9 * level + shock
        noise[i] = level
    load = 55.0 + 115.0 * occ + cooling + heating + noise
    return np.clip(load, 20.0, None)


def example_tariff() -> dict:
    """The made-up URDB-format TOU tariff of the example site."""
    summer = range(5, 9)  # June-September (0-based months)

    def energy_row(month: int, weekend: bool) -> list[int]:
        if month in summer:
            if weekend:
                return [0] * 24
            return [0] * 8 + [1] * 6 + [2] * 5 + [1] * 3 + [0] * 2  # peak 14-19, mid 8-14, 19-22
        if weekend:
            return [3] * 24
        return [3] * 6 + [4] * 3 + [3] * 8 + [4] * 4 + [3] * 3  # winter peak 06-09 and 17-21

    def demand_row(month: int, weekend: bool) -> list[int]:
        if weekend:
            return [0] * 24
        if month in summer:
            return [0] * 14 + [1] * 5 + [0] * 5
        return [0] * 17 + [2] * 4 + [0] * 3

    sell = 0.035
    record = {
        "label": "valuestack-example-office-tou",
        "name": "Example office TOU rate (made up for valuestack's examples; not a real "
        "utility's rate)",
        "utility": "Example Utility (fictional)",
        "sector": "Commercial",
        "description": "A made-up time-of-use rate for valuestack's example site. It is not "
        "a real utility's rate and must not be used for real bills.",
        "energyratestructure": [
            [{"rate": 0.072, "adj": 0.011, "unit": "kWh", "sell": sell}],
            [{"rate": 0.108, "adj": 0.011, "unit": "kWh", "sell": sell}],
            [{"rate": 0.176, "adj": 0.011, "unit": "kWh", "sell": sell}],
            [{"rate": 0.081, "adj": 0.011, "unit": "kWh", "sell": sell}],
            [{"rate": 0.119, "adj": 0.011, "unit": "kWh", "sell": sell}],
        ],
        "energyweekdayschedule": [energy_row(m, False) for m in range(12)],
        "energyweekendschedule": [energy_row(m, True) for m in range(12)],
        "demandrateunit": "kW",
        "demandratestructure": [[{"rate": 0.0}], [{"rate": 9.5}], [{"rate": 4.25}]],
        "demandweekdayschedule": [demand_row(m, False) for m in range(12)],
        "demandweekendschedule": [demand_row(m, True) for m in range(12)],
        "flatdemandunit": "kW",
        "flatdemandstructure": [[{"rate": 7.25}]],
        "flatdemandmonths": [0] * 12,
        "demandwindow": 15,
        "fixedchargefirstmeter": 95.0,
        "fixedchargeunits": "$/month",
        "dgrules": "Net Billing Instantaneous",
    }
    return {"items": [record]}


def write_examples(out: Path) -> tuple[Path, Path]:
    """Write ``office_load.csv`` and ``office_tou_tariff.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    weather = read_weather()
    index = quarter_hour_index()
    pv_kw = pv_quarter_hour_kw(pv_hourly_kw(weather), index, weather)
    load_kw = office_load_kw(index, weather)
    frame = pd.DataFrame(
        {
            "timestamp": [ts.isoformat() for ts in index],
            "load_kw": np.round(load_kw, 3),
            "pv_kw": np.round(pv_kw, 3),
        }
    )
    csv_path = out / "office_load.csv"
    frame.to_csv(csv_path, index=False, lineterminator="\n")
    tariff_path = out / "office_tou_tariff.json"
    tariff_path.write_text(json.dumps(example_tariff(), indent=1) + "\n")
    return csv_path, tariff_path


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = parser.parse_args()
    for path in write_examples(args.out):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
