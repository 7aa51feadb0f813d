"""forecast.pv = "pvlib": the [pv_system] table, its errors, and the forecaster in the backtest."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pvlib
import pytest

from core.errors import InputError
from forecasting.calendar import SiteCalendar
from forecasting.pv import PVSystemSpec
from sims.backtest import load_site_data, run_backtest
from sims.config import load_config
from sims.forecasts import WARMUP_DAYS, make_forecaster, warmup_days
from sims.pv_config import pv_system_from_table
from tests.sims.helpers import TZ, write_site

# A 100 kWdc / 80 kWac array in Los Angeles (the helpers' zone), tilted 20 deg, facing south.
LAT, LON, ALT = 34.05, -118.25, 90.0
TILT, AZIMUTH, DC_KW, AC_KW, LOSSES = 20.0, 180.0, 100.0, 80.0, 0.14
PV_TABLE = (
    f"\n[pv_system]\nlatitude_deg = {LAT}\nlongitude_deg = {LON}\naltitude_m = {ALT}\n"
    f"tilt_deg = {TILT}\nazimuth_deg = {AZIMUTH}\ndc_capacity_kw = {DC_KW}\n"
    f"ac_capacity_kw = {AC_KW}\nlosses_fraction = {LOSSES}\n"
)
PVLIB = 'load = "perfect"\npv = "pvlib"\ncompare_perfect_foresight = false\nwarmup_days = 2\n'


def clear_sky_pv_kw(index: pd.DatetimeIndex) -> np.ndarray:
    """AC power [kW] of the array under Ineichen clear sky, from pvlib's functions directly.

    Written out step by step (not through forecasting.pv or a ModelChain): solar position and
    clear sky at each interval's midpoint, Perez transposition, Fresnel (physical) incidence
    losses on the beam, SAPM cell temperature at 20 degC air and 1 m/s wind, PVWatts DC
    (-0.37 %/degC), 14 % losses, PVWatts inverter of 80 kWac at 96 % nominal efficiency.
    """
    mid = (index + (index[1] - index[0]) / 2).tz_convert("UTC")
    location = pvlib.location.Location(LAT, LON, altitude=ALT)
    sun = location.get_solarposition(mid)
    clear = location.get_clearsky(mid, model="ineichen", solar_position=sun)
    up = sun["apparent_zenith"].to_numpy() < 90
    ghi, dni, dhi = (np.where(up, clear[c].to_numpy(), 0.0) for c in ("ghi", "dni", "dhi"))
    airmass = location.get_airmass(mid, solar_position=sun)["airmass_relative"].to_numpy()
    poa = pvlib.irradiance.get_total_irradiance(
        TILT,
        AZIMUTH,
        sun["apparent_zenith"].to_numpy(),
        sun["azimuth"].to_numpy(),
        dni,
        ghi,
        dhi,
        dni_extra=pvlib.irradiance.get_extra_radiation(mid).to_numpy(),
        airmass=airmass,
        model="perez",
    )
    aoi = pvlib.irradiance.aoi(TILT, AZIMUTH, sun["apparent_zenith"], sun["azimuth"]).to_numpy()
    iam = pvlib.iam.physical(aoi)
    effective = np.nan_to_num(np.asarray(poa["poa_direct"]) * iam + np.asarray(poa["poa_diffuse"]))
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]
    cell_c = pvlib.temperature.sapm_cell(np.asarray(poa["poa_global"]), 20.0, 1.0, **params)
    dc_w = pvlib.pvsystem.pvwatts_dc(effective, cell_c, DC_KW * 1000.0, -0.0037) * (1 - LOSSES)
    ac_w = pvlib.inverter.pvwatts(dc_w, AC_KW * 1000.0 / 0.96, eta_inv_nom=0.96)
    return np.clip(np.nan_to_num(np.asarray(ac_w, dtype=float)), 0.0, None) / 1000.0


def _clear_site(tmp_path, *, days: int, forecast: str = PVLIB) -> tuple:
    """A site whose measured PV is the clear-sky output of the array every day."""
    path = write_site(tmp_path, days=days, freq="1h", forecast=forecast, extra=PV_TABLE)
    csv = tmp_path / "site.csv"
    frame = pd.read_csv(csv)
    index = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True)).tz_convert(TZ)
    frame["pv_kw"] = np.round(clear_sky_pv_kw(index), 6)
    frame.to_csv(csv, index=False)
    config = load_config(path)
    return config, load_site_data(config)


# -- the [pv_system] table ------------------------------------------------------------------


def test_pv_system_table_is_parsed_with_its_units(tmp_path):
    path = write_site(
        tmp_path, forecast=PVLIB, extra=PV_TABLE + 'temperature_model = "close_mount_glass_glass"\n'
    )
    config = load_config(path)
    assert config.forecast.pv == "pvlib"
    assert config.pv_system == PVSystemSpec(
        latitude_deg=34.05,
        longitude_deg=-118.25,
        altitude_m=90.0,
        tilt_deg=20.0,
        azimuth_deg=180.0,
        dc_capacity_kw=100.0,
        ac_capacity_kw=80.0,
        losses_fraction=0.14,
        temperature_model="close_mount_glass_glass",
    )
    # the defaults of the keys the table leaves out are PVSystemSpec's own
    assert config.pv_system.gamma_pdc_per_c == -0.0037
    assert config.pv_system.inverter_efficiency == 0.96


def test_pv_system_table_is_optional_for_other_forecasters(tmp_path):
    plain = load_config(write_site(tmp_path / "a"))
    assert plain.pv_system is None
    described = load_config(write_site(tmp_path / "b", extra=PV_TABLE))
    assert described.forecast.pv == "perfect" and described.pv_system.tilt_deg == 20.0


def _replace_line(table: str, key: str, line: str | None) -> str:
    kept = [x for x in table.splitlines() if not x.startswith(f"{key} =")]
    return "\n".join(kept + ([line] if line else [])) + "\n"


@pytest.mark.parametrize(
    ("table", "field"),
    [
        (None, "pv_system"),  # pvlib without the table
        (_replace_line(PV_TABLE, "tilt_deg", "tilt_deg = 95.0"), "pv_system.tilt_deg"),
        (_replace_line(PV_TABLE, "azimuth_deg", "azimuth_deg = 360"), "pv_system.azimuth_deg"),
        (_replace_line(PV_TABLE, "latitude_deg", "latitude_deg = 91"), "pv_system.latitude_deg"),
        (_replace_line(PV_TABLE, "ac_capacity_kw", None), "pv_system.ac_capacity_kw"),
        (
            _replace_line(PV_TABLE, "dc_capacity_kw", "dc_capacity_kw = 0"),
            "pv_system.dc_capacity_kw",
        ),
        (
            _replace_line(PV_TABLE, "dc_capacity_kw", 'dc_capacity_kw = "150"'),
            "pv_system.dc_capacity_kw",
        ),
        (
            _replace_line(PV_TABLE, "losses_fraction", "losses_fraction = 1.0"),
            "pv_system.losses_fraction",
        ),
        (_replace_line(PV_TABLE, "tilt_deg", "tilt_deg = true"), "pv_system.tilt_deg"),
        (_replace_line(PV_TABLE, "tilt_deg", "tilt_deg = nan"), "pv_system.tilt_deg"),
        (PV_TABLE + 'temperature_model = "glued"\n', "pv_system.temperature_model"),
        (PV_TABLE + "temperature_model = 3\n", "pv_system.temperature_model"),
        (PV_TABLE + "tilt = 20.0\n", "pv_system.tilt"),
    ],
)
def test_pv_system_errors_name_the_toml_key(tmp_path, table, field):
    path = write_site(tmp_path, forecast=PVLIB, extra=table or "")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.field == field


def test_pvlib_needs_measured_pv_data(tmp_path):
    path = write_site(tmp_path, forecast=PVLIB, with_pv=False, extra=PV_TABLE)
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.field == "site.pv_csv"


def test_pv_system_from_table_rejects_a_non_table():
    with pytest.raises(InputError) as err:
        pv_system_from_table([1, 2])
    assert err.value.field == "pv_system"


def test_make_forecaster_pvlib_needs_a_system_and_the_pv_target():
    index = pd.date_range("2024-03-01", periods=48, freq="1h", tz=TZ)
    actuals = pd.Series(0.0, index=index)
    calendar = SiteCalendar(tz=TZ)
    with pytest.raises(InputError) as err:
        make_forecaster("pvlib", target="pv_kw", actuals=actuals, calendar=calendar)
    assert err.value.field == "pv_system"
    spec = pv_system_from_table(
        {
            "latitude_deg": LAT,
            "longitude_deg": LON,
            "tilt_deg": TILT,
            "dc_capacity_kw": DC_KW,
            "ac_capacity_kw": AC_KW,
        }
    )
    with pytest.raises(InputError):
        make_forecaster(
            "pvlib", target="load_kw", actuals=actuals, calendar=calendar, pv_system=spec
        )
    # two weeks of history by default: its time-of-day calibration window
    assert WARMUP_DAYS["pvlib"] == 14 and warmup_days("perfect", "pvlib") == 14


# -- in the backtest -------------------------------------------------------------------------


def test_pvlib_forecast_of_a_clear_day_matches_the_clear_sky_model(tmp_path):
    # Five clear days in March; the first two are history only. Every measured day equals the
    # clear-sky model, so the calibration (measured / modelled per time of day) and the recent
    # clearness are both 1 up to the small differences between this file's chain and pvlib's
    # ModelChain, and the day-ahead forecast must be the clear-sky output itself. This file's
    # chain uses the same models as PVWatts' ModelChain (differences are float-level: about
    # 1 W), so the tolerance is 10 W per hour (0.0125 % of the AC rating) and 1e-4 of each
    # day's energy; a time shift, a wrong tilt or a missed loss would break it by kilowatts.
    config, data = _clear_site(tmp_path, days=5)
    result = run_backtest(config, data=data, progress=False)
    intervals = result.intervals
    expected = clear_sky_pv_kw(intervals.index)
    forecast = intervals["pv_forecast_kw"].to_numpy()
    assert np.isfinite(forecast).all()
    np.testing.assert_allclose(forecast, expected, rtol=0, atol=0.010)
    days = intervals.index.normalize()
    for day in np.unique(days):
        sel = days == day
        assert forecast[sel].sum() == pytest.approx(expected[sel].sum(), rel=1e-4)
    # sanity of the reference itself: a clear early-March day at 34 deg N gives about 6.5-7.5
    # kWh/m2 on a 20 deg south tilt; x 0.86 losses x ~0.96 inverter x ~0.95 heat and incidence
    # losses = about 5-6 kWh per kWdc, so between 4 and 7 kWh per kWdc
    daily_kwh = expected[days == days[0]].sum()  # hourly steps: kW x 1 h
    assert 4.0 * DC_KW < daily_kwh < 7.0 * DC_KW
    # the dispatch planned on the forecast: the plant used the actual PV, which here is the same
    np.testing.assert_allclose(intervals["pv_kw"].to_numpy(), expected, atol=1e-5)


def test_pvlib_forecast_cannot_see_the_future(tmp_path):
    config, data = _clear_site(tmp_path, days=6)
    # plans on the daily schedule only: an event plan after the change would (rightly) see it
    config = dataclasses.replace(
        config, dispatch=dataclasses.replace(config.dispatch, replan_on_events=False)
    )
    decision = pd.Timestamp("2024-03-04 00:00", tz=TZ)
    later = data.pv_kw.index >= decision
    clouded = dataclasses.replace(data, pv_kw=data.pv_kw.where(~later, data.pv_kw * 0.3))
    base = run_backtest(config, data=data, progress=False)
    moved = run_backtest(config, data=clouded, progress=False)
    # every decision issued at or before the change plans on the same PV forecast
    planned = base.intervals.index < decision + pd.Timedelta(days=1)
    np.testing.assert_array_equal(
        base.intervals.loc[planned, "pv_forecast_kw"].to_numpy(),
        moved.intervals.loc[planned, "pv_forecast_kw"].to_numpy(),
    )
    # the next decision (03-05 00:00) has seen a whole day at 30 %: its recent clearness is
    # 0.3 and its time-of-day calibration stays 1 (each day's measured / modelled energy is
    # divided by that day's own clearness), so it forecasts 0.3 x the clear-sky output of
    # 03-05 (same 10 W tolerance as above): the future did reach the later decision
    nxt = (moved.intervals.index >= decision + pd.Timedelta(days=1)) & (
        moved.intervals.index < decision + pd.Timedelta(days=2)
    )
    np.testing.assert_allclose(
        moved.intervals.loc[nxt, "pv_forecast_kw"].to_numpy(),
        0.3 * clear_sky_pv_kw(moved.intervals.index[nxt]),
        rtol=0,
        atol=0.010,
    )
