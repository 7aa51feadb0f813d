"""The sizing LP against the simulated prescient bound on a real building and tariff."""

from __future__ import annotations

import pytest

from sims.backtest import run_prescient
from sims.config import load_config
from sims.reference import read_crb_load, write_series_csv
from sims.sitedata import load_site_data
from sims.sizing import candidate_config, lp_check

E19 = "pge_e19_secondary_5cef0a415457a33576f60fe2.json"


def test_lp_at_a_fixed_size_matches_the_prescient_run(shared_data, tmp_path) -> None:
    """SF medium office on PG&E E-19 (TOU energy, flat and TOU demand), July 2017, hourly.

    Two methods, one question: the prescient bound (the controller's month-long MILP, then the
    plant and the bill engine) and the sizing LP holding the same 60 kW / 120 kWh fixed (its own
    Pyomo model, first-tier bill) must find the same yearly savings; the LP allows charging and
    discharging at once, so it may save a little more, never less.
    """
    load = read_crb_load(
        shared_data / "reopt" / "load_profiles_crb_normalized",
        city="SanFrancisco",
        building="MediumOffice",
        timezone="America/Los_Angeles",
    )
    write_series_csv(load.to_frame(), tmp_path / "load.csv")
    (tmp_path / "sf.toml").write_text(
        f"""[site]
name = "sf"
timezone = "America/Los_Angeles"
load_csv = "load.csv"
start = "2017-07-01"
end = "2017-08-01"

[tariff]
urdb_json = "{shared_data / "reopt" / "urdb" / E19}"

[battery]
power_kw = 60.0
energy_kwh = 120.0
soc_min_fraction = 0.1
"""
    )
    config = load_config(tmp_path / "sf.toml")
    data = load_site_data(config)
    run = run_prescient(candidate_config(config, 60.0, 120.0), data=data, progress=False)
    s = run.summary
    simulated = s.total_savings_usd * 8766 / (31 * 24)
    lp = lp_check(config, data, start=s.start, end=s.end, fixed_size=(60.0, 120.0))
    assert simulated > 0
    assert lp.first_year_savings_usd >= simulated * (1 - 1e-4)
    assert lp.first_year_savings_usd == pytest.approx(simulated, rel=0.01)
