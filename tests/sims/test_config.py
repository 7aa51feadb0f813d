"""Configuration and site data at the I/O edge: valid files load; bad ones name the TOML key."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from sims.config import Cadence, Fallback, load_config
from sims.finance import FadeResponse
from sims.sitedata import change_step, load_site_data
from tests.conftest import REPO_ROOT
from tests.sims.helpers import TZ, write_site


def test_example_config_loads_with_its_data():
    config = load_config(REPO_ROOT / "examples" / "site.toml")
    assert config.site.timezone == "America/New_York"
    assert config.battery.power_kw == 100.0 and config.battery.energy_kwh == 200.0
    assert config.dispatch.cadence is Cadence.DAILY
    assert config.dispatch.fallback is Fallback.PEAK_GUARD
    assert config.finance.fade_response is FadeResponse.REPLACE
    assert config.finance.macrs is True
    data = load_site_data(config)
    # a calendar year at 15 min: 365 * 96 intervals
    assert len(data.index) == 365 * 96
    assert str(data.index.tz) == "America/New_York"
    assert data.pv_kw is not None and data.pv_kw.index.equals(data.load_kw.index)


def test_written_site_round_trips(tmp_path):
    path = write_site(tmp_path, days=3, freq="1h")
    config = load_config(path)
    data = load_site_data(config)
    assert len(data.index) == 72
    assert data.index[0] == pd.Timestamp("2024-03-01", tz=TZ)
    assert config.battery.export_limit_kw == math.inf


@pytest.mark.parametrize(
    ("section", "text", "key"),
    [
        ("battery", "power_kw = 30.0\nenergy_kwh = 60.0\npowr_kw = 3\n", "battery.powr_kw"),
        ("battery", "power_kw = -30.0\nenergy_kwh = 60.0\n", "battery.power_kw"),
        ("battery", 'power_kw = "big"\nenergy_kwh = 60.0\n', "battery.power_kw"),
        ("battery", "energy_kwh = 60.0\n", "battery.power_kw"),
        (
            "battery",
            "power_kw = 30.0\nenergy_kwh = 60.0\nsoc_min_fraction = 0.2\n"
            "initial_soc_fraction = 0.1\n",
            "battery.initial_soc_fraction",
        ),
        ("dispatch", 'cadence = "weekly"\n', "dispatch.cadence"),
        ("dispatch", 'step = "5min"\n', "dispatch.step"),
        ("dispatch", 'step = "1h"\nlookahead_h = 1.5\n', "dispatch.lookahead_h"),
        ("dispatch", 'cadence = "daily"\nlookahead_h = 12\n', "dispatch.lookahead_h"),
        ("forecast", 'load = "crystal_ball"\n', "forecast.load"),
        ("forecast", "warmup_days = -1\n", "forecast.warmup_days"),
    ],
)
def test_bad_keys_are_named(tmp_path, section, text, key):
    kwargs = {section: text}
    path = write_site(tmp_path, **kwargs)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.field == key


def test_bad_finance_and_tables_are_named(tmp_path):
    path = write_site(tmp_path, extra='\n[finance]\nfade_response = "pray"\n')
    with pytest.raises(InputError, match="finance.fade_response"):
        load_config(path)
    path = write_site(tmp_path, extra="\n[finance]\nanalysis_years = 0\n")
    with pytest.raises(InputError, match="finance.analysis_years"):
        load_config(path)
    path = write_site(tmp_path, extra="\n[weather]\nfoo = 1\n")
    with pytest.raises(InputError, match="config.weather"):
        load_config(path)


def test_missing_files_and_bad_timestamps(tmp_path):
    path = write_site(tmp_path)
    text = path.read_text().replace('load_csv = "site.csv"', 'load_csv = "nope.csv"')
    path.write_text(text)
    with pytest.raises(InputError, match="site.load_csv"):
        load_config(path)
    path = write_site(tmp_path)
    csv = tmp_path / "site.csv"
    frame = pd.read_csv(csv)
    aware = load_site_data(load_config(path)).load_kw
    # naive labels are wall-clock time in the site's zone: the same instants as with offsets
    frame["timestamp"] = frame["timestamp"].str.slice(0, 19)  # drop the UTC offsets
    frame.to_csv(csv, index=False)
    naive = load_site_data(load_config(path)).load_kw
    assert naive.index.equals(aware.index)
    # 02:30 on 2024-03-10 does not exist in Los Angeles (spring forward): refused, not guessed
    frame.loc[1, "timestamp"] = "2024-03-10T02:30:00"
    frame.to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"site.load_csv.timestamp.*exist exactly once"):
        load_site_data(load_config(path))


def test_gaps_and_negative_loads_are_rejected(tmp_path):
    path = write_site(tmp_path)
    csv = tmp_path / "site.csv"
    frame = pd.read_csv(csv)
    frame.drop(index=5).to_csv(csv, index=False)
    with pytest.raises(InputError, match="site.load_csv.timestamp"):
        load_site_data(load_config(path))
    frame.loc[3, "load_kw"] = -1.0
    frame.to_csv(csv, index=False)
    with pytest.raises(InputError, match="site.load_csv.load_kw"):
        load_site_data(load_config(path))


def test_start_and_end_cut_the_period(tmp_path):
    path = write_site(tmp_path, days=4, extra="")
    text = path.read_text().replace(
        "[tariff]", 'start = "2024-03-02"\nend = "2024-03-03 12:00"\n\n[tariff]'
    )
    path.write_text(text)
    data = load_site_data(load_config(path))
    # 2024-03-02 00:00 to 2024-03-03 12:00 local: 36 hourly intervals
    assert len(data.index) == 36
    assert data.index[0] == pd.Timestamp("2024-03-02", tz=TZ)


def test_change_step_keeps_energy():
    hourly = pd.Series([4.0, 8.0], index=pd.date_range("2024-01-01", periods=2, freq="1h", tz=TZ))
    quarter = change_step(hourly, pd.Timedelta(minutes=15), name="x")
    # each hour's mean power held over its four quarters
    np.testing.assert_allclose(quarter.to_numpy(), [4, 4, 4, 4, 8, 8, 8, 8])
    back = change_step(quarter, pd.Timedelta(hours=1), name="x")
    np.testing.assert_allclose(back.to_numpy(), [4.0, 8.0])
    ragged = quarter.iloc[1:]
    with pytest.raises(InputError, match="x.index"):
        change_step(ragged, pd.Timedelta(hours=1), name="x")


def test_hourly_data_at_15_minutes(tmp_path):
    path = write_site(tmp_path, days=2, freq="1h", dispatch='step = "15min"\n')
    config = load_config(path)
    data = load_site_data(config)
    assert len(data.index) == 2 * 96
    raw = pd.read_csv(Path(tmp_path) / "site.csv")
    # energy of the first hour is kept: mean of its four quarters equals the hourly value
    assert data.load_kw.iloc[:4].mean() == pytest.approx(raw["load_kw"].iloc[0])
