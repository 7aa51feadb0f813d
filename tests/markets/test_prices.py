"""MarketPrices and read_prices_csv: units, time conventions, validation, explicit re-gridding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from markets.prices import (
    ENERGY_DA,
    MarketPrices,
    PriceColumn,
    PriceKind,
    PriceUnit,
    TimeLabel,
    price_kind,
    read_prices_csv,
)

MWH = PriceUnit.USD_PER_MWH


def _prices(values, freq="1h", tz="America/Chicago", start="2024-07-01", name=ENERGY_DA):
    index = pd.date_range(start, periods=len(values), freq=freq, tz=tz)
    return MarketPrices(frame=pd.DataFrame({name: values}, index=index))


def test_price_kind_from_suffix():
    assert price_kind("energy_da_usd_per_kwh") is PriceKind.ENERGY
    assert price_kind("reg_up_usd_per_kw_h") is PriceKind.CAPACITY
    assert price_kind("reg_up_mileage_usd_per_kw") is PriceKind.MILEAGE
    for bad in ("reg_up", "Reg_up_usd_per_kw_h", "reg up_usd_per_kwh", "energy_usd_per_mwh"):
        with pytest.raises(InputError):
            price_kind(bad)


def test_read_csv_converts_per_mw_once(tmp_path):
    # $/MWh -> $/kWh is /1000: 40 $/MWh = 0.04 $/kWh; 12.5 $/MW/h = 0.0125 $/kW/h.
    path = tmp_path / "p.csv"
    path.write_text(
        "time,lmp,regup,da_kwh\n"
        "2024-07-01 00:00,40,12.5,0.03\n"
        "2024-07-01 01:00,-5,0,0.04\n"
        "2024-07-01 02:00,100,7,0.05\n"
    )
    prices = read_prices_csv(
        path,
        time_column="time",
        tz="America/Chicago",
        columns=[
            PriceColumn(source="lmp", name="energy_rt_usd_per_kwh", unit=MWH),
            PriceColumn(source="regup", name="reg_up_usd_per_kw_h", unit=MWH),
            PriceColumn(source="da_kwh", name=ENERGY_DA, unit=PriceUnit.USD_PER_KWH),
        ],
    )
    np.testing.assert_allclose(prices.series("energy_rt_usd_per_kwh"), [0.04, -0.005, 0.1])
    np.testing.assert_allclose(prices.series("reg_up_usd_per_kw_h"), [0.0125, 0.0, 0.007])
    np.testing.assert_allclose(prices.series(ENERGY_DA), [0.03, 0.04, 0.05])
    assert prices.dt_h == 1.0
    assert str(prices.index.tz) == "America/Chicago"
    assert prices.index[0] == pd.Timestamp("2024-07-01 00:00", tz="America/Chicago")


def test_hour_ending_labels_move_back_one_step_across_spring_forward(tmp_path):
    # Hour-ending labels with offsets across the 2024-03-10 spring-forward in Chicago:
    # HE 01:00 CST, HE 03:00 CDT (= 02:00 CST + 1 h of absolute time), HE 04:00 CDT.
    # Interval starts: 00:00 CST, 01:00 CST, 03:00 CDT: one hour apart in absolute time.
    path = tmp_path / "he.csv"
    path.write_text(
        "t,p\n2024-03-10 01:00-06:00,10\n2024-03-10 03:00-05:00,20\n2024-03-10 04:00-05:00,30\n"
    )
    prices = read_prices_csv(
        path,
        time_column="t",
        tz="America/Chicago",
        columns=[PriceColumn(source="p", name=ENERGY_DA, unit=MWH)],
        time_label=TimeLabel.ENDING,
    )
    expected = pd.DatetimeIndex(
        pd.to_datetime(
            ["2024-03-10 00:00-06:00", "2024-03-10 01:00-06:00", "2024-03-10 03:00-05:00"],
            utc=True,
        )
    ).tz_convert("America/Chicago")
    assert prices.index.equals(expected)
    np.testing.assert_allclose(prices.series(ENERGY_DA), [0.01, 0.02, 0.03])


def test_naive_nonexistent_label_is_rejected(tmp_path):
    path = tmp_path / "naive.csv"
    path.write_text("t,p\n2024-03-10 01:00,1\n2024-03-10 02:00,2\n2024-03-10 03:00,3\n")
    with pytest.raises(InputError, match="exist exactly once"):
        read_prices_csv(
            path,
            time_column="t",
            tz="America/Chicago",
            columns=[PriceColumn(source="p", name=ENERGY_DA, unit=MWH)],
        )


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("t,p\n2024-07-01 00:00,1\n2024-07-01 01:00,\n2024-07-01 02:00,3\n", "finite"),
        ("t,p\n2024-07-01 00:00,1\n2024-07-01 01:00,x\n2024-07-01 02:00,3\n", "finite"),
        ("t,p\n2024-07-01 00:00,1\n2024-07-01 02:00,2\n2024-07-01 03:00,3\n", "fixed step"),
        ("t,q\n2024-07-01 00:00,1\n2024-07-01 01:00,2\n", "columns including"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, body, match):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(InputError, match=match):
        read_prices_csv(
            path,
            time_column="t",
            tz="UTC",
            columns=[PriceColumn(source="p", name=ENERGY_DA, unit=MWH)],
        )


def test_market_prices_validation():
    index = pd.date_range("2024-07-01", periods=3, freq="1h")
    with pytest.raises(InputError, match="naive"):
        MarketPrices(frame=pd.DataFrame({ENERGY_DA: [1.0, 2.0, 3.0]}, index=index))
    aware = index.tz_localize("UTC")
    with pytest.raises(InputError, match="NaN"):
        MarketPrices(frame=pd.DataFrame({ENERGY_DA: [1.0, np.nan, 3.0]}, index=aware))
    with pytest.raises(InputError, match="suffix|ending"):
        MarketPrices(frame=pd.DataFrame({"energy_da": [1.0, 2.0, 3.0]}, index=aware))
    with pytest.raises(InputError, match="at least one"):
        MarketPrices(frame=pd.DataFrame(index=aware))


def test_frame_is_copied_so_later_edits_do_not_leak():
    index = pd.date_range("2024-07-01", periods=3, freq="1h", tz="UTC")
    frame = pd.DataFrame({ENERGY_DA: [1.0, 2.0, 3.0]}, index=index)
    prices = MarketPrices(frame=frame)
    frame.loc[index[0], ENERGY_DA] = 99.0
    assert prices.series(ENERGY_DA).iloc[0] == 1.0


def test_to_step_repeats_and_averages_by_hand():
    quarter = _prices([10.0, 20.0, 30.0, 40.0, 1.0, 1.0, 1.0, 5.0], freq="15min")
    hourly = quarter.to_step("1h")
    # (10+20+30+40)/4 = 25; (1+1+1+5)/4 = 2
    np.testing.assert_allclose(hourly.series(ENERGY_DA), [25.0, 2.0])
    assert hourly.dt_h == 1.0
    fine = _prices([3.0, 7.0]).to_step("15min")
    np.testing.assert_allclose(fine.series(ENERGY_DA), [3, 3, 3, 3, 7, 7, 7, 7])
    assert fine.index[4] == pd.Timestamp("2024-07-01 01:00", tz="America/Chicago")
    with pytest.raises(InputError):
        quarter.to_step("25min")
    with pytest.raises(InputError, match="fully covered"):
        _prices([1.0, 2.0, 3.0], freq="15min").to_step("1h")


def test_to_step_across_fall_back_keeps_absolute_time():
    # 2024-11-03 in Chicago has 25 hours; upsampling 25 hourly prices gives 100 quarter hours.
    index = pd.date_range("2024-11-03", "2024-11-04", freq="1h", tz="America/Chicago")[:-1]
    assert len(index) == 25
    prices = MarketPrices(frame=pd.DataFrame({ENERGY_DA: np.arange(25.0)}, index=index))
    fine = prices.to_step("15min")
    assert len(fine.index) == 100
    assert fine.index[-1] == pd.Timestamp("2024-11-03 23:45", tz="America/Chicago")


@given(st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=1, max_size=30))
def test_upsample_then_downsample_is_identity(values):
    prices = _prices(values)
    back = prices.to_step("15min").to_step("1h")
    np.testing.assert_allclose(back.series(ENERGY_DA), values, rtol=0, atol=1e-9)
    assert back.index.equals(prices.index)


def test_on_and_between():
    prices = _prices(list(range(24)))
    window = prices.between("2024-07-01 05:00", "2024-07-01 08:00")
    np.testing.assert_allclose(window.series(ENERGY_DA), [5, 6, 7])
    assert prices.on(window.index).series(ENERGY_DA).tolist() == [5, 6, 7]
    outside = pd.date_range("2024-07-02", periods=2, freq="1h", tz="America/Chicago")
    with pytest.raises(InputError, match="not in the prices"):
        prices.on(outside)
    with pytest.raises(InputError, match="columns including"):
        prices.require(["reg_up_usd_per_kw_h"])
    with pytest.raises(InputError):
        prices.series("reg_up_usd_per_kw_h")
