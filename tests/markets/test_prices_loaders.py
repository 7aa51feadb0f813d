"""Loaders: gridstatus exports (small files written here), DST wall clocks, and the real files."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from markets.loaders import (
    read_dervet_hourly,
    read_ercot_interval_csv,
    read_gridstatus_csv,
    read_spp_da_mcp_csv,
    wall_clock_positions,
)
from markets.prices import ENERGY_DA, ENERGY_RT, PriceColumn, PriceUnit

MWH = PriceUnit.USD_PER_MWH

GRIDSTATUS_LMP = """\
Time,Interval Start,Interval End,Market,Location,Location Type,LMP,Energy,Congestion,Loss
2024-01-01 00:00:00-06:00,2024-01-01 00:00:00-06:00,2024-01-01 01:00:00-06:00,DAY_AHEAD_HOURLY,HB_SOUTH,Trading Hub,20.5,20.0,0.3,0.2
2024-01-01 00:00:00-06:00,2024-01-01 00:00:00-06:00,2024-01-01 01:00:00-06:00,DAY_AHEAD_HOURLY,HB_NORTH,Trading Hub,19.0,20.0,-1.2,0.2
2024-01-01 01:00:00-06:00,2024-01-01 01:00:00-06:00,2024-01-01 02:00:00-06:00,DAY_AHEAD_HOURLY,HB_SOUTH,Trading Hub,18.25,18.0,0.1,0.15
2024-01-01 01:00:00-06:00,2024-01-01 01:00:00-06:00,2024-01-01 02:00:00-06:00,DAY_AHEAD_HOURLY,HB_NORTH,Trading Hub,17.0,18.0,-1.1,0.1
"""

GRIDSTATUS_AS = """\
Time,Interval Start,Interval End,Region,Market,Non-Spinning Reserves,Regulation Down,Regulation Mileage Down,Regulation Mileage Up,Regulation Up,Spinning Reserves
2022-10-15 00:00:00-07:00,2022-10-15 00:00:00-07:00,2022-10-15 01:00:00-07:00,AS_CAISO_EXP,DAM,0.5,8.0,0.1,0.2,6.0,3.0
2022-10-15 01:00:00-07:00,2022-10-15 01:00:00-07:00,2022-10-15 02:00:00-07:00,AS_CAISO_EXP,DAM,0.4,9.0,0.1,0.3,5.0,2.5
"""


def test_gridstatus_lmp_one_location(tmp_path):
    path = tmp_path / "lmp.csv"
    path.write_text(GRIDSTATUS_LMP)
    column = PriceColumn(source="LMP", name=ENERGY_DA, unit=MWH)
    prices = read_gridstatus_csv(path, columns=[column], tz="America/Chicago", location="HB_SOUTH")
    # 20.5 $/MWh = 0.0205 $/kWh; 18.25 $/MWh = 0.01825 $/kWh
    np.testing.assert_allclose(prices.series(ENERGY_DA), [0.0205, 0.01825])
    assert prices.index[0] == pd.Timestamp("2024-01-01 00:00", tz="America/Chicago")
    with pytest.raises(InputError, match="HB_NORTH"):
        read_gridstatus_csv(path, columns=[column], tz="America/Chicago")
    with pytest.raises(InputError, match="location"):
        read_gridstatus_csv(path, columns=[column], tz="America/Chicago", location="HB_WEST")


def test_gridstatus_as_prices_with_mileage(tmp_path):
    path = tmp_path / "as.csv"
    path.write_text(GRIDSTATUS_AS)
    cols = [
        PriceColumn(source="Regulation Up", name="reg_up_usd_per_kw_h", unit=MWH),
        PriceColumn(source="Regulation Mileage Up", name="reg_up_mileage_usd_per_kw", unit=MWH),
        PriceColumn(source="Spinning Reserves", name="spin_usd_per_kw_h", unit=MWH),
    ]
    prices = read_gridstatus_csv(path, columns=cols, tz="America/Los_Angeles", market="DAM")
    np.testing.assert_allclose(prices.series("reg_up_usd_per_kw_h"), [0.006, 0.005])
    np.testing.assert_allclose(prices.series("reg_up_mileage_usd_per_kw"), [0.0002, 0.0003])
    np.testing.assert_allclose(prices.series("spin_usd_per_kw_h"), [0.003, 0.0025])
    assert prices.dt_h == 1.0


def test_gridstatus_interval_end_must_match_step(tmp_path):
    path = tmp_path / "as.csv"
    path.write_text(GRIDSTATUS_AS.replace("2022-10-15 02:00:00-07:00", "2022-10-15 01:30:00-07:00"))
    col = PriceColumn(source="Regulation Up", name="reg_up_usd_per_kw_h", unit=MWH)
    with pytest.raises(InputError, match="Interval End"):
        read_gridstatus_csv(path, columns=[col], tz="America/Los_Angeles")


def test_wall_clock_fall_back_needs_explicit_repair():
    # Wall clock 00:00..03:00 every 15 min on 2024-11-03 (13 labels). In Chicago that span is
    # 4 hours of absolute time (01:00-01:59 happens twice): 17 quarter hours.
    naive = pd.date_range("2024-11-03 00:00", "2024-11-03 03:00", freq="15min")
    with pytest.raises(InputError, match="repair_dst"):
        wall_clock_positions(naive, tz="America/Chicago", repair_dst=False, field="t")
    index, pos = wall_clock_positions(naive, tz="America/Chicago", repair_dst=True, field="t")
    assert len(index) == 17
    # rows 4..7 (01:00..01:45) serve both the CDT and the CST occurrence
    assert pos.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert index[4].utcoffset() == pd.Timedelta(hours=-5)
    assert index[8].utcoffset() == pd.Timedelta(hours=-6)


def test_wall_clock_spring_forward_drops_nonexistent_and_gaps_raise():
    # 01:00..04:00 on 2025-03-09 is 13 wall labels but 2 h of absolute time: 9 quarter hours;
    # the four labels 02:00..02:45 do not exist in Chicago.
    naive = pd.date_range("2025-03-09 01:00", "2025-03-09 04:00", freq="15min")
    index, pos = wall_clock_positions(naive, tz="America/Chicago", repair_dst=True, field="t")
    assert len(index) == 9
    assert pos.tolist() == [0, 1, 2, 3, 8, 9, 10, 11, 12]
    gap = naive.delete(10)  # 03:30 missing: a real gap, never filled
    with pytest.raises(InputError, match="missing wall-clock"):
        wall_clock_positions(gap, tz="America/Chicago", repair_dst=True, field="t")
    # A UTC wall clock needs no repair at all
    index, pos = wall_clock_positions(naive, tz="UTC", repair_dst=False, field="t")
    assert pos.tolist() == list(range(13))


def _write_dervet_like(path, rows):
    header = [
        "Datetime (he)",
        "PV Gen (kW/rated kW)",
        "System Load (kW)",
        "Site Load (kW)",
        "DA Price ($/kWh)",
        "Reg Up Price ($/kW)",
        "Reg Down Price ($/kW)",
        "NSR Price ($/kW)",
        "SR Price ($/kW)",
    ]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def test_dervet_layout_small_file(tmp_path):
    path = tmp_path / "hourly.csv"
    _write_dervet_like(
        path,
        [
            ["1/1/17 1:00", 0, 4000, 0, 0.03, 30, 31, 0, 0],
            ["1/1/17 2:00", 0.5, 3900, 0, 0.02, 20, 21, 0, 0],
            ["1/1/17 3:00", 1, 3800, 0, 0.05, 50, 51, 0, 0],
        ],
    )
    year = read_dervet_hourly(path, tz="Etc/GMT+8")
    # hour-ending 01:00 -> interval 00:00-01:00 (PST, UTC-8)
    assert year.prices.index[0] == pd.Timestamp("2017-01-01 00:00", tz="Etc/GMT+8")
    np.testing.assert_allclose(year.prices.series(ENERGY_DA), [0.03, 0.02, 0.05])
    np.testing.assert_allclose(year.prices.series("reg_down_usd_per_kw_h"), [0.031, 0.021, 0.051])
    np.testing.assert_allclose(year.pv_kw_per_kw, [0, 0.5, 1])
    _write_dervet_like(path, [["1/1/17 1:00", 1.2, 1, 0, 0.03, 30, 31, 0, 0]] * 1)
    with pytest.raises(InputError):
        read_dervet_hourly(path, tz="Etc/GMT+8")


def test_dervet_real_year(shared_data):
    year = read_dervet_hourly(shared_data / "dervet" / "hourly_timeseries.csv", tz="Etc/GMT+8")
    prices = year.prices
    assert len(prices.index) == 8760 and prices.dt_h == 1.0
    assert prices.index[0] == pd.Timestamp("2017-01-01 00:00", tz="Etc/GMT+8")
    assert prices.index[-1] == pd.Timestamp("2017-12-31 23:00", tz="Etc/GMT+8")
    # first row of the file: DA 0.032141 $/kWh, Reg Up 32.141 ($/MW/h) -> 0.032141 $/kW/h
    assert prices.series(ENERGY_DA).iloc[0] == pytest.approx(0.032141)
    assert prices.series("reg_up_usd_per_kw_h").iloc[0] == pytest.approx(0.032141)
    # last row (HE 1/1/18 0:00): DA 0.03422128
    assert prices.series(ENERGY_DA).iloc[-1] == pytest.approx(0.03422128)
    assert (prices.series("spin_usd_per_kw_h") == 0).all()
    assert year.system_load_kw.between(2000, 19000).all()
    # a DST zone cannot hold this clock: 3/12/17 2:00 is listed but does not exist in LA
    with pytest.raises(InputError, match="nonexistent|exist"):
        read_dervet_hourly(
            shared_data / "dervet" / "hourly_timeseries.csv", tz="America/Los_Angeles"
        )


def test_ercot_real_file(shared_data):
    path = shared_data / "markets" / "ercot_hb_south_2024_2025" / "interval_analysis_20240601.csv"
    with pytest.raises(InputError, match="repair_dst"):
        read_ercot_interval_csv(path)
    prices = read_ercot_interval_csv(path, repair_dst=True)
    # 28,800 rows: -4 nonexistent spring-forward quarter hours, +4 for the repeated hour
    assert len(prices.index) == 28800 and prices.dt_h == 0.25
    # first row: DAM 24.57, RTM 17.69 $/MWh
    assert prices.series(ENERGY_DA).iloc[0] == pytest.approx(0.02457)
    assert prices.series(ENERGY_RT).iloc[0] == pytest.approx(0.01769)
    first_cdt = pd.Timestamp("2024-11-03 01:00-05:00")
    first_cst = pd.Timestamp("2024-11-03 01:00-06:00")
    frame = prices.frame
    assert frame.loc[first_cdt, ENERGY_RT] == frame.loc[first_cst, ENERGY_RT]
    # mean over the file's own rows, computed with the csv module: the repair adds the
    # repeated hour's rows once more and drops the four nonexistent ones.
    with path.open() as f:
        rows = list(csv.DictReader(f))
    rtm = {r[""]: float(r["HB_SOUTH_RTM"]) for r in rows}
    drop = sum(rtm[f"2025-03-09 02:{m:02d}:00"] for m in (0, 15, 30, 45))
    add = sum(rtm[f"2024-11-03 01:{m:02d}:00"] for m in (0, 15, 30, 45))
    expected = (sum(rtm.values()) - drop + add) / 1000 / 28800
    assert prices.series(ENERGY_RT).mean() == pytest.approx(expected, rel=1e-12)


def test_spp_real_file(shared_data):
    path = shared_data / "markets" / "spp_ancillary_2022" / "SPP_DA_MCP_2022-02_2022-03.csv"
    prices = read_spp_da_mcp_csv(path, reserve_zone="1")
    # 2022-02-01 00:00 CST to 2022-03-31 23:00 CDT: 59 days x 24 h - 1 (spring forward) = 1415
    assert len(prices.index) == 1415
    assert prices.index[0] == pd.Timestamp("2022-02-01 00:00", tz="America/Chicago")
    # first zone-1 row: RegUP 4.0558, RegDN 9.9886, Spin 2.0003, Supp 0.148 $/MW/h
    np.testing.assert_allclose(
        prices.frame.iloc[0].to_numpy(), [0.0040558, 0.0099886, 0.0020003, 0.000148]
    )
    with pytest.raises(InputError, match="reserve_zone"):
        read_spp_da_mcp_csv(path, reserve_zone="9")
    with pytest.raises(InputError, match="finite"):
        read_spp_da_mcp_csv(path, reserve_zone="1", products=("RampUP",))
