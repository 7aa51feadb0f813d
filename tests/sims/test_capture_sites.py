"""The logic of the capture measurement (sims.capture, scripts/capture_sites.py) on hand-made
inputs: pairing rule, gap fill, UK meter on a US clock, run period, table statistics, config."""

from __future__ import annotations

import importlib.util
import math
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from sims.capture import (
    BuildingStats,
    TariffClass,
    capture_stats,
    fill_week_before,
    markdown_table,
    pair_buildings,
    period_end,
    toml_text,
    uk_meter_on_us_clock,
)
from sims.config import load_config
from sims.reference import battery_power_kw

LA = "America/Los_Angeles"
SMALL = TariffClass("small", "s.json", LA, 500.0, 999.0)
LARGE = TariffClass("large", "l.json", LA, 1000.0)
ANY = TariffClass("any", "a.json", LA, 500.0)


def _b(name: str, peak: float, missing: int = 0) -> BuildingStats:
    return BuildingStats(name, peak, missing, 1000)


def test_pairing_by_size_class_in_tariff_order():
    buildings = [_b("big", 1500.0), _b("mid", 800.0), _b("mid2", 700.0), _b("tiny", 100.0)]
    pairs = pair_buildings(buildings, [SMALL, LARGE, ANY])
    # SMALL takes the smaller of the two fitting buildings (700 < 800), LARGE the only one
    # >= 1000, ANY the first left (800); the 100 kW building fits none.
    assert [(b.name, t.key) for b, t in pairs] == [
        ("mid2", "small"),
        ("big", "large"),
        ("mid", "any"),
    ]


def test_pairing_prefers_complete_buildings_and_excludes_gappy_ones():
    buildings = [_b("gappy", 600.0, missing=11), _b("few", 650.0, missing=5), _b("full", 900.0)]
    # 1 % of 1000 hours = 10: "gappy" (11) is out; "full" (0 missing) comes before "few".
    pairs = pair_buildings(buildings, [SMALL, SMALL, SMALL], max_missing_fraction=0.01)
    assert [b.name for b, _ in pairs] == ["full", "few"]


def test_pairing_leaves_out_a_tariff_nothing_fits():
    assert pair_buildings([_b("mid", 800.0)], [LARGE]) == []
    with pytest.raises(InputError, match="max_missing_fraction"):
        pair_buildings([], [LARGE], max_missing_fraction=1.0)


def test_fill_week_before_earlier_weeks_then_later():
    index = pd.date_range("2019-01-01", periods=3 * 168, freq="h")
    values = np.arange(3 * 168, dtype=float)
    values[[5, 172, 340, 400]] = np.nan
    filled, count = fill_week_before(pd.Series(values, index=index))
    assert count == 4
    assert filled.iloc[5] == 173.0  # first week: one week later
    assert filled.iloc[172] == 4.0  # one week earlier
    assert filled.iloc[340] == 4.0  # one week earlier is missing too: two weeks earlier
    assert filled.iloc[400] == 232.0
    assert filled.iloc[6] == 6.0  # readings are untouched


def test_fill_week_before_fails_without_any_reading_of_that_hour():
    values = np.ones(2 * 168)
    values[[3, 171]] = np.nan
    with pytest.raises(InputError, match="a reading in some week"):
        fill_week_before(pd.Series(values, index=pd.RangeIndex(2 * 168), name="load_kw"))


def _utc_hours(year: int) -> pd.Series:
    index = pd.date_range(
        f"{year}-01-01", f"{year + 1}-01-01", freq="h", tz="UTC", inclusive="left"
    )
    # the value of each hour is its UTC hour count since the start, so every reading is traceable
    return pd.Series(np.arange(len(index), dtype=float), index=index, name="load_kw")


def _utc_count(stamp: str) -> float:
    return (pd.Timestamp(stamp, tz="UTC") - pd.Timestamp("2019-01-01", tz="UTC")) / pd.Timedelta(
        hours=1
    )


def test_uk_meter_on_us_clock_by_wall_clock_hour():
    load, filled = uk_meter_on_us_clock(_utc_hours(2019), LA, 2019)
    at = {t.isoformat(): v for t, v in load.items()}
    assert len(load) == 8760 and load.index[0] == pd.Timestamp("2019-01-01", tz=LA)
    assert filled == 1  # London's missing spring-forward hour only
    # Winter: London 08:00 GMT = 08:00 UTC -> Los Angeles 08:00 PST.
    assert at["2019-01-07T08:00:00-08:00"] == _utc_count("2019-01-07 08:00")
    # Summer: London 08:00 BST = 07:00 UTC -> Los Angeles 08:00 PDT.
    assert at["2019-06-03T08:00:00-07:00"] == _utc_count("2019-06-03 07:00")
    # Between the two spring changes (US on DST, UK not): London 08:00 GMT = 08:00 UTC.
    assert at["2019-03-20T08:00:00-07:00"] == _utc_count("2019-03-20 08:00")
    # London has no 2019-03-31 01:00: filled with London 2019-03-24 01:00 GMT = 01:00 UTC.
    assert at["2019-03-31T01:00:00-07:00"] == _utc_count("2019-03-24 01:00")
    # London's doubled 2019-10-27 01:00: the first (BST, 00:00 UTC) is kept.
    assert at["2019-10-27T01:00:00-07:00"] == _utc_count("2019-10-27 00:00")
    # Los Angeles's doubled 2019-11-03 01:00: both get London 01:00 GMT = 01:00 UTC.
    assert at["2019-11-03T01:00:00-07:00"] == _utc_count("2019-11-03 01:00")
    assert at["2019-11-03T01:00:00-08:00"] == _utc_count("2019-11-03 01:00")
    assert not load.isna().any()


def test_uk_meter_on_us_clock_counts_missing_readings():
    series = _utc_hours(2019)
    series.iloc[[100, 101]] = np.nan
    _, filled = uk_meter_on_us_clock(series, LA, 2019)
    assert filled == 3
    with pytest.raises(InputError, match="UTC"):
        uk_meter_on_us_clock(series.tz_convert(LA), LA, 2019)


def test_period_end_whole_months_after_the_warm_up_month():
    first = pd.Timestamp("2019-02-26", tz=LA)
    assert period_end(first, 2) == pd.Timestamp("2019-05-01", tz=LA)
    assert period_end(pd.Timestamp("2019-03-01", tz=LA), 2) == pd.Timestamp("2019-05-01", tz=LA)
    with pytest.raises(InputError, match="--months"):
        period_end(first, 0)


def test_capture_stats_median_and_minimum_ignore_missing():
    table = pd.DataFrame(
        {
            "capture_of_prescient": [0.9, 0.7, math.nan, 0.8],
            "demand_capture_of_prescient": [math.nan] * 4,
            "rolling_pf_capture": [0.2, 0.4, 0.1, 0.3],
        }
    )
    stats = capture_stats(table)
    assert stats.loc["median", "capture_of_prescient"] == pytest.approx(0.8)
    assert stats.loc["minimum", "capture_of_prescient"] == pytest.approx(0.7)
    assert stats.loc["median", "rolling_pf_capture"] == pytest.approx(0.25)
    assert stats.loc["minimum", "rolling_pf_capture"] == pytest.approx(0.1)
    assert math.isnan(stats.loc["median", "demand_capture_of_prescient"])
    with pytest.raises(InputError, match="columns"):
        capture_stats(table.drop(columns="rolling_pf_capture"))


def test_toml_text_round_trips_and_markdown_shape():
    tables = {"site": {"name": 'a "b"', "n": 3, "x": 0.5, "on": True}, "battery": {"kw": 5.0}}
    assert tomllib.loads(toml_text(tables)) == tables
    with pytest.raises(InputError, match="site.x"):
        toml_text({"site": {"x": math.nan}})
    text = markdown_table(pd.DataFrame({"a": [1.0, math.nan], "b": ["x", "y"]}))
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 1 | x |", "| n/a | y |"]


def test_battery_power_rule():
    assert battery_power_kw(790.4) == 160.0  # 158.08 kW rounds to 160
    assert battery_power_kw(10.0) == 5.0  # at least one 5 kW step
    with pytest.raises(InputError, match="peak_kw"):
        battery_power_kw(0.0)


def _script():
    path = Path(__file__).resolve().parents[2] / "scripts" / "capture_sites.py"
    spec = importlib.util.spec_from_file_location("capture_sites", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("capture_sites", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_written_site_config_loads(tmp_path, shared_data):
    script = _script()
    index = pd.date_range("2019-01-01", periods=24 * 120, freq="h", tz=LA)
    load = pd.Series(100.0, index=index, name="load_kw")
    assert script.forecaster_for(load.index) == "gradient_boosting"  # 120 days >= 56 + 31
    assert script.forecaster_for(load.index[: 24 * 60]) == "seasonal_naive_week"
    tariff = shared_data / "reopt" / "urdb" / "pge_e19_secondary_5cef0a415457a33576f60fe2.json"
    tables = script.site_tables(
        name="s1",
        timezone=LA,
        tariff_json=tariff,
        power_kw=20.0,
        forecaster="gradient_boosting",
        end=pd.Timestamp("2019-05-01", tz=LA),
    )
    config = load_config(script._write(tmp_path / "s1", load, tables))
    assert config.forecast.load == "gradient_boosting"
    assert config.forecast.load_quantile == 0.9
    assert config.dispatch.cadence.value == "daily"
    assert config.battery.energy_kwh == 40.0
    assert config.site.end == pd.Timestamp("2019-05-01", tz=LA)


def test_the_example_gets_the_forecaster_of_every_site(tmp_path):
    # the example's year of 15-min data covers the ML forecaster's 56-day warm-up and a month
    # more, so it is measured with it like the other sites; the rest of its file is unchanged
    script = _script()
    site = script.example_site(tmp_path, months=2)
    written = load_config(site.config)
    example = load_config(script.EXAMPLE)
    assert example.forecast.load == "seasonal_naive_week"
    assert written.forecast.load == "gradient_boosting"
    assert written.forecast.pv == example.forecast.pv
    assert written.battery == example.battery
    # two whole months after the month of the first decision (2023-01-01 + 56 days: February)
    assert written.site.end == pd.Timestamp("2023-05-01", tz="America/New_York")
