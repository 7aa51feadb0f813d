"""Hand-computed bills, one tariff part at a time (arithmetic in the comments)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from markets.bill import compute_bill
from markets.tariff import (
    DemandRatchet,
    ExportCompensation,
    ExportMode,
    Tariff,
)
from tests.markets.tariff_builders import (
    constant,
    energy,
    flat_demand,
    schedule,
    series,
    tou_demand,
)

# Weekdays: hours 0-11 period 0, hours 12-23 period 1.
HALF_DAY = schedule([0] * 12 + [1] * 12)


def test_tou_energy_one_weekday():
    # Wed 2024-01-03, 10 kW for 24 h: 12 h x 10 kWh x $0.10 + 12 h x 10 kWh x $0.30
    # = 12 + 36 = $48.
    tariff = Tariff(name="tou", energy=energy([0.10, 0.30], HALF_DAY))
    bill = compute_bill(tariff, constant("2024-01-03", "2024-01-04", 10.0))
    assert bill.monthly["energy_usd"].iloc[0] == pytest.approx(48.0, abs=1e-9)
    assert bill.monthly["import_period_0_kwh"].iloc[0] == pytest.approx(120.0)
    assert bill.monthly["import_period_1_kwh"].iloc[0] == pytest.approx(120.0)
    assert bill.total_usd == pytest.approx(48.0, abs=1e-9)


def test_tiers_cross_within_month():
    # January 2023, 2 kW x 744 h = 1488 kWh; tier 1 up to 1000 kWh at $0.10, above at $0.20:
    # 1000 x 0.10 + 488 x 0.20 = 100 + 97.6 = $197.60.
    tariff = Tariff(name="tiers", energy=energy([[(1000.0, 0.10), (float("inf"), 0.20)]]))
    bill = compute_bill(tariff, constant("2023-01-01", "2023-02-01", 2.0))
    assert bill.monthly["import_kwh"].iloc[0] == pytest.approx(1488.0)
    assert bill.monthly["energy_usd"].iloc[0] == pytest.approx(197.6, abs=1e-9)


def test_tiers_restart_each_billing_month():
    # 2 kW over January and February 2023: Jan 1488 kWh -> $197.60 (above);
    # Feb 2 x 672 = 1344 kWh -> 100 + 344 x 0.20 = $168.80. Tiers do not carry over.
    tariff = Tariff(name="tiers", energy=energy([[(1000.0, 0.10), (float("inf"), 0.20)]]))
    bill = compute_bill(tariff, constant("2023-01-01", "2023-03-01", 2.0))
    assert bill.monthly["energy_usd"].tolist() == pytest.approx([197.6, 168.8])


def test_tiers_apply_to_monthly_total_across_periods():
    # SAM semantics: tiers on the month's total, each period pays its share.
    # Period 0 (hours 0-11): tiers 0.10 up to 1000 kWh, 0.20 above; period 1: flat 0.30.
    # January 2023 at 2 kW: E = 1488 kWh, E_0 = E_1 = 744 kWh.
    # Period 0: 744/1488 x (1000 x 0.10 + 488 x 0.20) = 0.5 x 197.6 = 98.8
    # Period 1: 744 x 0.30 = 223.2. Total $322.00.
    tariff = Tariff(
        name="tiers",
        energy=energy([[(1000.0, 0.10), (float("inf"), 0.20)], 0.30], HALF_DAY),
    )
    bill = compute_bill(tariff, constant("2023-01-01", "2023-02-01", 2.0))
    assert bill.monthly["energy_usd"].iloc[0] == pytest.approx(322.0, abs=1e-9)


def test_flat_demand_is_the_month_peak():
    # 5 kW all of Jan 2023 except one hour at 50 kW: peak 50 kW x $10/kW = $500.
    load = constant("2023-01-01", "2023-02-01", 5.0)
    load.iloc[100] = 50.0
    tariff = Tariff(name="flat", flat_demand=flat_demand(10.0))
    bill = compute_bill(tariff, load)
    assert bill.monthly["peak_flat_kw"].iloc[0] == 50.0
    assert bill.monthly["demand_flat_usd"].iloc[0] == pytest.approx(500.0)


def test_demand_tiers():
    # Tiers: first 50 kW free, above at $12/kW; peak 80 kW -> (80 - 50) x 12 = $360.
    tariff = Tariff(name="tiers", flat_demand=flat_demand([(50.0, 0.0), (float("inf"), 12.0)]))
    bill = compute_bill(tariff, constant("2023-01-01", "2023-01-02", 80.0))
    assert bill.monthly["demand_flat_usd"].iloc[0] == pytest.approx(360.0)


def test_tou_demand_per_period():
    # Period 0 (hours 0-13) $2/kW, period 1 (hours 14-19) $10/kW, hours 20-23 period 0.
    # Wed 2024-01-03: 20 kW, except 100 kW at 10:00 and 60 kW at 15:00.
    # Peaks: period 0 100 kW, period 1 60 kW -> 100 x 2 + 60 x 10 = $800.
    weekday = schedule([0] * 14 + [1] * 6 + [0] * 4)
    tariff = Tariff(name="tou-d", tou_demand=tou_demand([2.0, 10.0], weekday))
    load = [20.0] * 24
    load[10], load[15] = 100.0, 60.0
    bill = compute_bill(tariff, series("2024-01-03", load))
    row = bill.monthly.iloc[0]
    assert row["peak_tou_period_0_kw"] == 100.0
    assert row["peak_tou_period_1_kw"] == 60.0
    assert row["demand_tou_usd"] == pytest.approx(800.0)


def test_exports_are_not_demand():
    # Net load -30 kW all day: no import, so no demand charge.
    tariff = Tariff(name="flat", flat_demand=flat_demand(10.0))
    bill = compute_bill(tariff, constant("2023-01-01", "2023-01-02", -30.0))
    assert bill.monthly["peak_flat_kw"].iloc[0] == 0.0
    assert bill.total_usd == 0.0


def _ratchet_load():
    # January 2023 peak 100 kW, February 2023 peak 50 kW (10 kW otherwise).
    load = constant("2023-01-01", "2023-03-01", 10.0)
    load.loc["2023-01-10 12:00"] = 100.0
    load.loc["2023-02-10 12:00"] = 50.0
    return load


def test_ratchet_with_lookback_range():
    # 80 % of the highest peak of the 11 preceding months: February billed at
    # max(50, 0.8 x 100) = 80 kW x $10 = $800; January has no history: 100 kW -> $1000.
    tariff = Tariff(
        name="ratchet",
        flat_demand=flat_demand(10.0),
        ratchet=DemandRatchet(lookback_fraction=0.8, lookback_range_months=11),
    )
    bill = compute_bill(tariff, _ratchet_load())
    assert bill.monthly["billed_flat_kw"].tolist() == pytest.approx([100.0, 80.0])
    assert bill.monthly["demand_flat_usd"].tolist() == pytest.approx([1000.0, 800.0])


def test_ratchet_with_lookback_month_flags_and_history():
    # Only December counts. December is not in the data, so February is billed on its own
    # 50 kW ($500) ... unless a December peak of 200 kW is given as history:
    # max(50, 0.8 x 200) = 160 kW -> $1600; January: max(100, 160) = 160 -> $1600.
    flags = (False,) * 11 + (True,)
    tariff = Tariff(
        name="ratchet",
        flat_demand=flat_demand(10.0),
        ratchet=DemandRatchet(lookback_fraction=0.8, lookback_months=flags),
    )
    assert compute_bill(tariff, _ratchet_load()).monthly["demand_flat_usd"].tolist() == (
        pytest.approx([1000.0, 500.0])
    )
    bill = compute_bill(tariff, _ratchet_load(), ratchet_history_kw=200.0)
    assert bill.monthly["demand_flat_usd"].tolist() == pytest.approx([1600.0, 1600.0])


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2023-01-01", "2023-02-01", 31),
        ("2023-02-01", "2023-03-01", 28),
        ("2024-02-01", "2024-03-01", 29),
        ("2023-04-01", "2023-05-01", 30),
    ],
)
def test_fixed_daily_charge_by_days_in_month(start, end, days):
    # $2/day: 31 days -> $62, 28 -> $56, 29 (leap) -> $58, 30 -> $60.
    tariff = Tariff(name="daily", fixed_daily_usd=2.0)
    bill = compute_bill(tariff, constant(start, end, 1.0, freq="15min"))
    assert bill.monthly["days_present"].iloc[0] == days
    assert bill.monthly["fixed_usd"].iloc[0] == pytest.approx(2.0 * days)


def test_partial_month_prorates_fixed_monthly_charge():
    # Data from Jan 10 to Jan 20 (10 local days): $31/month x 10/31 = $10; $1/day x 10 = $10.
    tariff = Tariff(name="fixed", fixed_monthly_usd=31.0, fixed_daily_usd=1.0)
    bill = compute_bill(tariff, constant("2023-01-10", "2023-01-20", 1.0))
    assert bill.monthly["fixed_usd"].iloc[0] == pytest.approx(20.0)


def test_full_months_pay_the_whole_monthly_charge():
    # A full year: 12 x $95 = $1140.
    tariff = Tariff(name="fixed", fixed_monthly_usd=95.0)
    bill = compute_bill(tariff, constant("2023-01-01", "2024-01-01", 1.0))
    assert bill.monthly["fixed_usd"].tolist() == pytest.approx([95.0] * 12)
    assert bill.total_usd == pytest.approx(1140.0)


# -- exports ---------------------------------------------------------------------------------
def _import_export_day():
    # 10 kW for 5 h (50 kWh imported), then -4 kW for 5 h (20 kWh exported).
    return series("2023-01-04", [10.0] * 5 + [-4.0] * 5)


def test_sell_rate_credit():
    # Energy 50 x 0.20 = $10; credit 20 x 0.05 = $1; total 10 - 1 = $9.
    tariff = Tariff(
        name="sell",
        energy=energy([0.20], sells=[0.05]),
        export=ExportCompensation(mode=ExportMode.SELL_RATE),
    )
    bill = compute_bill(tariff, _import_export_day())
    row = bill.monthly.iloc[0]
    assert (row["import_kwh"], row["export_kwh"]) == pytest.approx((50.0, 20.0))
    assert row["energy_usd"] == pytest.approx(10.0)
    assert row["export_credit_usd"] == pytest.approx(1.0)
    assert bill.total_usd == pytest.approx(9.0)


def test_flat_export_rate():
    # Credit 20 kWh x $0.04 = $0.80; total 10 - 0.8 = $9.20.
    tariff = Tariff(
        name="flat-export",
        energy=energy([0.20]),
        export=ExportCompensation(mode=ExportMode.FLAT_RATE, flat_rate_usd_per_kwh=0.04),
    )
    bill = compute_bill(tariff, _import_export_day())
    assert bill.monthly["export_credit_usd"].iloc[0] == pytest.approx(0.8)
    assert bill.total_usd == pytest.approx(9.2)


def test_net_metering_within_month():
    # Net 50 - 20 = 30 kWh billed at 0.20 = $6. Gross energy $10, credit 10 - 6 = $4.
    tariff = Tariff(
        name="nem",
        energy=energy([0.20], sells=[0.05]),
        export=ExportCompensation(mode=ExportMode.NET_METERING),
    )
    bill = compute_bill(tariff, _import_export_day())
    row = bill.monthly.iloc[0]
    assert row["energy_usd"] == pytest.approx(10.0)
    assert row["export_credit_usd"] == pytest.approx(4.0)
    assert bill.total_usd == pytest.approx(6.0)


def test_net_metering_surplus_earns_sell_rate():
    # Import 10 kWh, export 30 kWh: net surplus 20 kWh. Gross energy 10 x 0.2 = $2,
    # net billed $0, surplus 20 x 0.05 = $1: credit 2 - 0 + 1 = $3, total 2 - 3 = -$1.
    tariff = Tariff(
        name="nem",
        energy=energy([0.20], sells=[0.05]),
        export=ExportCompensation(mode=ExportMode.NET_METERING),
    )
    bill = compute_bill(tariff, series("2023-01-04", [10.0] + [-30.0]))
    assert bill.monthly["export_credit_usd"].iloc[0] == pytest.approx(3.0)
    assert bill.total_usd == pytest.approx(-1.0)


def test_net_metering_nets_per_period():
    # Exports at 08:00-09:59 (period 0: $0.10, sell $0.02), imports at 13:00-13:59 (period 1: $0.30).
    # 5 kW x 2 h = 10 kWh exported in period 0; 10 kWh imported in period 1.
    # Period 1 net 10 kWh -> $3 (gross = net); period 0 surplus 10 kWh x 0.02 = $0.20 credit.
    # Total 3 - 0.2 = $2.80 (a monthly netting across periods would give $0).
    load = [0.0] * 24
    load[8] = load[9] = -5.0
    load[13] = 10.0
    tariff = Tariff(
        name="nem",
        energy=energy([0.10, 0.30], HALF_DAY, sells=[0.02, 0.02]),
        export=ExportCompensation(mode=ExportMode.NET_METERING),
    )
    bill = compute_bill(tariff, series("2023-01-04", load))
    assert bill.monthly["energy_usd"].iloc[0] == pytest.approx(3.0)
    assert bill.monthly["export_credit_usd"].iloc[0] == pytest.approx(0.2)
    assert bill.total_usd == pytest.approx(2.8)


# -- calendar --------------------------------------------------------------------------------
# Weekend schedule: hour 1 in period 1 ($0.50), every other hour period 0 ($0.10).
ONE_AM = schedule([0, 1] + [0] * 22)


def test_spring_forward_day_has_23_hours():
    # Sun 2023-03-12 in New York: 23 hourly intervals at 1 kW; hour 1 occurs once:
    # 1 x 0.50 + 22 x 0.10 = $2.70.
    tariff = Tariff(name="dst", energy=energy([0.10, 0.50], schedule(), ONE_AM))
    load = constant("2023-03-12", "2023-03-13", 1.0)
    assert len(load) == 23
    bill = compute_bill(tariff, load)
    assert bill.monthly["import_kwh"].iloc[0] == pytest.approx(23.0)
    assert bill.monthly["energy_usd"].iloc[0] == pytest.approx(2.7)


def test_fall_back_day_has_25_hours():
    # Sun 2023-11-05: 25 hourly intervals; hour 1 occurs twice: 2 x 0.50 + 23 x 0.10 = $3.30.
    tariff = Tariff(name="dst", energy=energy([0.10, 0.50], schedule(), ONE_AM))
    load = constant("2023-11-05", "2023-11-06", 1.0)
    assert len(load) == 25
    bill = compute_bill(tariff, load)
    assert bill.monthly["import_kwh"].iloc[0] == pytest.approx(25.0)
    assert bill.monthly["energy_usd"].iloc[0] == pytest.approx(3.3)


def test_fall_back_day_at_15_minutes():
    # 100 quarter-hours of 4 kW (1 kWh each) on 2023-11-05: 25 kWh; 8 of them in hour 1:
    # 8 x 0.50 + 92 x 0.10 = 4 + 9.2 = $13.20.
    tariff = Tariff(name="dst", energy=energy([0.10, 0.50], schedule(), ONE_AM))
    load = constant("2023-11-05", "2023-11-06", 4.0, freq="15min")
    assert len(load) == 100
    assert compute_bill(tariff, load).monthly["energy_usd"].iloc[0] == pytest.approx(13.2)


def test_holidays_on_weekend_schedule():
    # Tue 2023-07-04 (US Independence Day), 10 kW for 24 h. Weekday rate $0.30,
    # weekend rate $0.10: billed as a holiday 240 x 0.10 = $24, as a weekday 240 x 0.30 = $72.
    charges = energy([0.30, 0.10], schedule(period=0), schedule(period=1))
    load = constant("2023-07-04", "2023-07-05", 10.0)
    plain = Tariff(name="no holidays", energy=charges)
    us = Tariff(name="US holidays", energy=charges, holiday_country="US")
    extra = Tariff(name="extra", energy=charges, extra_holidays=frozenset({dt.date(2023, 7, 4)}))
    assert compute_bill(plain, load).total_usd == pytest.approx(72.0)
    assert compute_bill(us, load).total_usd == pytest.approx(24.0)
    assert compute_bill(extra, load).total_usd == pytest.approx(24.0)


# -- demand window ---------------------------------------------------------------------------
def test_demand_window_averages_fixed_blocks():
    # 15-minute window on 5-minute data: blocks [0, 30, 60] and [40, 40, 40] average 30
    # and 40 kW: peak 40 kW x $10 = $400. Without the window the peak is 60 kW ($600).
    load = series("2023-01-04", [0, 30, 60, 40, 40, 40], freq="5min")
    windowed = Tariff(name="w", flat_demand=flat_demand(10.0), demand_window_minutes=15.0)
    plain = Tariff(name="p", flat_demand=flat_demand(10.0))
    assert compute_bill(windowed, load).monthly["peak_flat_kw"].iloc[0] == pytest.approx(40.0)
    assert compute_bill(windowed, load).total_usd == pytest.approx(400.0)
    assert compute_bill(plain, load).total_usd == pytest.approx(600.0)


def test_demand_window_blocks_are_clock_aligned_not_rolling():
    # 60-minute window on 15-minute data from 00:00: blocks [0, 0, 80, 80] and [80, 80, 0, 0]
    # both average 40 kW. A rolling hour (00:30-01:30) would see 80 kW.
    load = series("2023-01-04", [0, 0, 80, 80, 80, 80, 0, 0], freq="15min")
    tariff = Tariff(name="w", flat_demand=flat_demand(1.0), demand_window_minutes=60.0)
    assert compute_bill(tariff, load).monthly["peak_flat_kw"].iloc[0] == pytest.approx(40.0)


def test_demand_window_not_a_multiple_of_step_is_rejected():
    load = series("2023-01-04", [1.0] * 12, freq="10min")
    tariff = Tariff(name="w", flat_demand=flat_demand(1.0), demand_window_minutes=15.0)
    with pytest.raises(InputError) as err:
        compute_bill(tariff, load)
    assert err.value.field == "net_load_kw.index"


def test_window_shorter_than_step_uses_the_step():
    # 15-minute window on hourly data: demand is the hourly average, 70 kW -> $70.
    tariff = Tariff(name="w", flat_demand=flat_demand(1.0), demand_window_minutes=15.0)
    assert compute_bill(tariff, series("2023-01-04", [10, 70, 20])).total_usd == 70.0


# -- minimum charges -------------------------------------------------------------------------
def test_monthly_minimum_tops_up():
    # 100 kWh x $0.10 = $10 + $5 fixed = $15 < $40 minimum: minimum_usd = 25, total $40.
    tariff = Tariff(
        name="min", energy=energy([0.10]), fixed_monthly_usd=5.0, minimum_monthly_usd=40.0
    )
    load = constant("2023-01-01", "2023-02-01", 100.0 / 744.0)
    bill = compute_bill(tariff, load)
    assert bill.monthly["minimum_usd"].iloc[0] == pytest.approx(25.0)
    assert bill.total_usd == pytest.approx(40.0)


def test_annual_minimum_tops_up_the_year():
    # A full 2023 of 0.1 kW at $0.10/kWh: 876 kWh -> $87.60 < $120 annual minimum:
    # $32.40 booked in December.
    tariff = Tariff(name="min", energy=energy([0.10]), minimum_annual_usd=120.0)
    bill = compute_bill(tariff, constant("2023-01-01", "2024-01-01", 0.1))
    assert bill.monthly["minimum_usd"].iloc[-1] == pytest.approx(32.4)
    assert bill.monthly["minimum_usd"].iloc[:-1].sum() == 0.0
    assert bill.total_usd == pytest.approx(120.0)


# -- REopt reference figures ------------------------------------------------------------------
def test_reopt_no_techs_blended_rates():
    # REopt test no_techs.json: flat 10,000 kWh/yr, $0.10/kWh and $10/kW-month:
    # energy 10,000 x 0.1 = $1000; demand 12 x 10 x 10,000/8760 = $136.99.
    tariff = Tariff(name="blended", energy=energy([0.10]), flat_demand=flat_demand(10.0))
    bill = compute_bill(tariff, constant("2017-01-01", "2018-01-01", 10_000 / 8760))
    assert bill.monthly["energy_usd"].sum() == pytest.approx(1000.0)
    assert round(bill.monthly["demand_flat_usd"].sum(), 2) == 136.99


def test_load_validation_errors_name_the_series():
    tariff = Tariff(name="t", energy=energy([0.1]))
    bad = constant("2023-01-01", "2023-01-02", 1.0)
    bad.iloc[3] = np.nan
    with pytest.raises(InputError) as err:
        compute_bill(tariff, bad)
    assert err.value.field == "net_load_kw"
    with pytest.raises(InputError) as err:
        compute_bill(tariff, bad.tz_localize(None).fillna(1.0))
    assert err.value.field == "net_load_kw.index"
    with pytest.raises(InputError) as err:
        compute_bill(tariff, constant("2023-01-01", "2023-01-02", 1.0), ratchet_history_kw=-1.0)
    assert err.value.field == "ratchet_history_kw"


def test_bill_is_reproducible():
    tariff = Tariff(name="t", energy=energy([0.1, 0.3], HALF_DAY), flat_demand=flat_demand(5.0))
    load = pd.Series(
        np.random.default_rng(3).uniform(0, 50, 24 * 40),
        index=pd.date_range("2023-01-15", periods=24 * 40, freq="1h", tz="America/Chicago"),
    )
    first, second = compute_bill(tariff, load), compute_bill(tariff, load)
    pd.testing.assert_frame_equal(first.monthly, second.monthly)
    # ... and the repeated bill is the right one, priced here by a second method: the same
    # 24-hour schedule every day (weekends included), so each hourly kWh costs $0.10 before
    # local noon and $0.30 from noon; flat demand is $5 x the month's peak kW. The 40 days
    # from Jan 15 cover January 15-31 (408 h) and February 1-23 (552 h).
    kw = load.to_numpy()
    rate = np.where(load.index.hour < 12, 0.10, 0.30)
    months = load.index.month.to_numpy()
    expected_energy = [float((kw * rate)[months == m].sum()) for m in (1, 2)]
    expected_demand = [5.0 * float(kw[months == m].max()) for m in (1, 2)]
    assert [int((months == m).sum()) for m in (1, 2)] == [408, 552]
    np.testing.assert_allclose(first.monthly["energy_usd"], expected_energy, rtol=1e-12)
    np.testing.assert_allclose(first.monthly["demand_flat_usd"], expected_demand, rtol=1e-12)
    np.testing.assert_allclose(
        first.monthly["total_usd"],
        np.add(expected_energy, expected_demand),
        rtol=1e-12,
    )
