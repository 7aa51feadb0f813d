"""Month-to-date usage: what the simulator hands the optimizer mid-month."""

from __future__ import annotations

import pandas as pd
import pytest

from markets.bill import compute_bill, month_to_date
from markets.tariff import DemandRatchet, Tariff
from tests.markets.tariff_builders import energy, flat_demand, schedule, series, tou_demand

HALF_DAY = schedule([0] * 12 + [1] * 12)


def _tariff(**extra) -> Tariff:
    return Tariff(
        name="mtd",
        energy=energy([0.1, 0.3], HALF_DAY),
        tou_demand=tou_demand([1.0, 5.0], HALF_DAY),
        flat_demand=flat_demand(2.0),
        **extra,
    )


def test_month_to_date_of_a_partial_day():
    # Wed 2024-01-03 00:00-13:59 local: 10 kW except 40 kW at 09:00 and 25 kW at 13:00,
    # then -5 kW (export) at 12:00.
    # Period 0 (00-11): 11 x 10 + 40 = 150 kWh imported; period 1 (12-13): 25 imported, 5 exported.
    values = [10.0] * 14
    values[9], values[12], values[13] = 40.0, -5.0, 25.0
    usage = month_to_date(_tariff(), series("2024-01-03", values))
    assert usage.month == pd.Period("2024-01", freq="M")
    assert usage.flat_peak_kw == 40.0
    assert usage.tou_peak_kw == (40.0, 25.0)
    assert usage.import_kwh_by_period == pytest.approx((150.0, 25.0))
    assert usage.export_kwh_by_period == pytest.approx((0.0, 5.0))
    assert usage.ratchet_peak_kw == 0.0


def test_month_to_date_is_the_last_month_and_ratchet_looks_back():
    # January peak 90 kW, then February 1-2 at 10 kW: February's state is 10 kW with a
    # ratchet reference of 90 kW (January is within an 11-month look-back).
    load = pd.concat(
        [
            series("2024-01-30", [90.0] + [10.0] * 47),
            series("2024-02-01", [10.0] * 48),
        ]
    )
    tariff = _tariff(ratchet=DemandRatchet(lookback_fraction=0.5, lookback_range_months=11))
    usage = month_to_date(tariff, load)
    assert usage.month == pd.Period("2024-02", freq="M")
    assert usage.flat_peak_kw == 10.0
    assert usage.ratchet_peak_kw == 90.0
    assert sum(usage.import_kwh_by_period) == pytest.approx(480.0)


def test_month_to_date_matches_the_bill_columns():
    load = series("2024-03-01", [float(h % 17) for h in range(24 * 9)], freq="1h")
    tariff = _tariff()
    usage = month_to_date(tariff, load)
    row = compute_bill(tariff, load).monthly.iloc[-1]
    assert usage.flat_peak_kw == row["peak_flat_kw"] == 16.0
    assert usage.tou_peak_kw == (row["peak_tou_period_0_kw"], row["peak_tou_period_1_kw"])
    assert usage.import_kwh_by_period == (row["import_period_0_kwh"], row["import_period_1_kwh"])


def test_month_to_date_without_energy_charges_has_one_bucket():
    tariff = Tariff(name="demand only", flat_demand=flat_demand(1.0))
    usage = month_to_date(tariff, series("2024-01-03", [3.0, -1.0]))
    assert usage.import_kwh_by_period == (3.0,)
    assert usage.export_kwh_by_period == (1.0,)
    assert usage.tou_peak_kw == ()
