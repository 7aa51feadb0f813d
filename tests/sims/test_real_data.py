"""A real building on a real tariff: DOE medium office (San Francisco) on PG&E E-19, July 2017."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import MonthToDate, TerminalSoc, optimize_dispatch
from sims.backtest import run_backtest
from sims.config import load_config
from sims.reference import read_crb_load, write_series_csv
from sims.sitedata import load_site_data

E19 = "pge_e19_secondary_5cef0a415457a33576f60fe2.json"


@pytest.fixture(scope="module")
def sf_office(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sf")
    load = read_crb_load(
        shared_data / "reopt" / "load_profiles_crb_normalized",
        city="SanFrancisco",
        building="MediumOffice",
        timezone="America/Los_Angeles",
    )
    write_series_csv(load.to_frame(), folder / "load.csv")
    return folder, load


def _config(folder, shared_data, name, *, start, forecast, dispatch):
    text = f"""[site]
name = "{name}"
timezone = "America/Los_Angeles"
load_csv = "load.csv"
start = "{start}"
end = "2017-08-01"

[tariff]
urdb_json = "{shared_data / "reopt" / "urdb" / E19}"

[battery]
power_kw = 60.0
energy_kwh = 120.0
soc_min_fraction = 0.1

[forecast]
{forecast}
[dispatch]
{dispatch}"""
    path = folder / f"{name}.toml"
    path.write_text(text)
    return load_config(path)


def test_reference_load_is_scaled_to_the_annual_energy(sf_office, shared_data):
    _, load = sf_office
    # hourly kW sum to kWh: the annual total of the SF medium office in REopt's table
    assert load.sum() == pytest.approx(792199.0, rel=1e-9)
    assert len(load) == 8760 and str(load.index[0]) == "2017-01-01 00:00:00-08:00"


@pytest.mark.slow
def test_month_with_perfect_foresight_equals_the_optimum(sf_office, shared_data):
    folder, _ = sf_office
    config = _config(
        folder,
        shared_data,
        "sf_pf",
        start="2017-07-01",
        forecast='load = "perfect"\n',
        dispatch='cadence = "monthly"\nlookahead_h = 744\n',
    )
    result = run_backtest(config, progress=False)
    data = load_site_data(config)
    direct = optimize_dispatch(
        battery=config.battery,
        tariff=data.tariff,
        load_kw=data.load_kw,
        initial_soc_fraction=0.5,
        terminal=TerminalSoc(),
        month_to_date=MonthToDate(),
    )
    monthly = result.monthly.iloc[0]
    # E-19's fixed charge (19.71 $/day) is not a decision: the rest of the bill is the optimum
    assert monthly["battery_fixed_usd"] == pytest.approx(31 * data.tariff.fixed_daily_usd)
    # both solves stop within the default 1e-4 MIP gap of the same optimum
    assert result.summary.battery_bill_usd - monthly["battery_fixed_usd"] == pytest.approx(
        direct.objective_usd, rel=2e-4
    )
    assert result.summary.bill_savings_usd > 0


@pytest.mark.slow
def test_forecast_driven_month_conserves_and_settles(sf_office, shared_data):
    folder, load = sf_office
    config = _config(
        folder,
        shared_data,
        "sf_fc",
        start="2017-06-17",
        forecast='load = "seasonal_naive_week"\nwarmup_days = 14\n',
        dispatch='cadence = "daily"\nlookahead_h = 48\nfallback = "peak_guard"\n',
    )
    result = run_backtest(config, progress=False)
    f = result.intervals
    assert f.index[0].isoformat() == "2017-07-01T00:00:00-07:00" and len(f) == 744
    np.testing.assert_allclose(f["load_kw"], load.loc[f.index], rtol=0, atol=0)
    np.testing.assert_allclose(
        f["load_kw"], f["pv_kw"] + f["discharge_kw"] - f["charge_kw"] + f["grid_kw"], atol=1e-9
    )
    s = result.summary
    scheduled = result.windows["reason"].isin(["start", "schedule"])
    assert scheduled.sum() == 31 and s.n_fallback_windows == 0  # one plan a day, + events
    assert sum(s.savings_by_stream_usd.values()) == pytest.approx(s.total_savings_usd)
    # the perfect-foresight run covers the same month with the same rolling structure
    pf = result.perfect_foresight
    assert pf is not None and pf.windows["reason"].isin(["start", "schedule"]).sum() == 31
    assert pf.summary.total_savings_usd > 0
    assert s.capture_ratio == pytest.approx(s.total_savings_usd / pf.summary.total_savings_usd)
