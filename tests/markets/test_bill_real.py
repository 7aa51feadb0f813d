"""Real URDB records: every one loads and bills a year; REopt's reference figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from markets.bill import CHARGE_COLUMNS, DEMAND_COLUMNS, compute_bill
from markets.tariff import Tariff
from tests.conftest import shared_data_dir
from tests.oracles.bill_reference import bill_by_loop

DATA = shared_data_dir()
RECORDS = sorted(
    [p for p in (DATA / "reopt" / "urdb").glob("*.json") if p.name != "MANIFEST.json"]
    + list((DATA / "urdb_more").glob("*.json")),
    key=lambda p: p.name,
)


def crb_load(city: str, building: str, tz: str, year: int = 2017) -> pd.Series:
    """A DOE commercial reference building, hourly kW = fraction x annual kWh."""
    folder = DATA / "reopt" / "load_profiles_crb_normalized"
    fractions = np.loadtxt(folder / f"crb8760_norm_{city}_{building}.dat")
    annual_kwh = json.loads((folder / "total_electric_annual_kwh.json").read_text())[city][
        building.lower()
    ]
    index = pd.date_range(f"{year}-01-01", periods=8760, freq="1h", tz=tz)
    return pd.Series(fractions * annual_kwh, index=index, name="load_kw"), float(annual_kwh)


def test_all_records_found():
    # 11 in reopt/urdb (MANIFEST.json lists them) + 4 in urdb_more.
    manifest = json.loads((DATA / "reopt" / "urdb" / "MANIFEST.json").read_text())
    assert len(RECORDS) == len(manifest) + 4 == 15


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem[:40])
def test_every_record_bills_a_year(path):
    load, annual_kwh = crb_load("SanFrancisco", "MediumOffice", "America/Los_Angeles")
    tariff = Tariff.from_urdb(path, holiday_country="US")
    bill = compute_bill(tariff, load)
    monthly = bill.monthly
    assert len(monthly) == 12
    # every kWh of the profile is billed (the fractions sum to 1)
    assert monthly["import_kwh"].sum() == pytest.approx(annual_kwh, rel=1e-9)
    assert all(math.isfinite(v) for v in monthly[list(CHARGE_COLUMNS)].to_numpy().ravel())
    parts = (
        monthly["energy_usd"]
        + sum(monthly[column] for column in DEMAND_COLUMNS)
        + monthly["fixed_usd"]
        + monthly["minimum_usd"]
        - monthly["export_credit_usd"]
    )
    np.testing.assert_allclose(parts, monthly["total_usd"], rtol=1e-12)
    assert bill.total_usd > 0
    # the per-interval loop prices the same bill
    reference = bill_by_loop(tariff, load)
    pd.testing.assert_frame_equal(
        monthly[list(CHARGE_COLUMNS)], reference, check_exact=False, rtol=1e-9, atol=1e-6
    )


def test_peco_coincident_demand_is_reported_unsupported():
    tariff = Tariff.from_urdb(DATA / "reopt" / "urdb" / "peco_gs_ht_53ac8daa5257a3406ac32a35.json")
    assert "coincidentratestructure" in tariff.unsupported
    bill = tariff.bill(crb_load("Chicago", "LargeOffice", "America/New_York")[0])
    assert "coincidentratestructure" in bill.unsupported


def test_reopt_tiered_tou_demand_reference():
    # REopt test tiered_tou_demand.json: a flat 1,000,000 kWh/yr load (114.155 kW) on a rate
    # whose demand tiers are $0 up to 50 kW and $12/kW above: REopt expects $9,238.36
    # = 12 x (1e6/8760 - 50) x 12.
    path = DATA / "reopt" / "urdb" / "custom_tiered_energy_tiered_tou_demand_B.json"
    tariff = Tariff.from_urdb(path)
    kw = 1_000_000 / 8760
    index = pd.date_range("2017-01-01", periods=8760, freq="1h", tz="America/Los_Angeles")
    bill = compute_bill(tariff, pd.Series(kw, index=index))
    assert round(bill.monthly["demand_tou_usd"].sum(), 2) == 9238.36
    # Energy tiers: $0.10 up to 40,000 kWh a month, $0.12 above. A month of h local hours
    # uses kw x h kWh: 40000 x 0.1 + (kw x h - 40000) x 0.12 (every month is above 40 MWh).
    # Local hours per month in 2017 Pacific time (DST: March 743, November 721).
    hours = [744, 672, 743, 720, 744, 720, 744, 744, 720, 744, 721, 744]
    expected = [40000 * 0.1 + (kw * h - 40000) * 0.12 for h in hours]
    np.testing.assert_allclose(bill.monthly["energy_usd"], expected, rtol=1e-12)


@pytest.mark.parametrize("stamp", ["2024-12-31 15:00", "2024-02-29 15:00"])
def test_reopt_leap_year_reference(stamp):
    # REopt test leap_year.json (2024): 10 kW for one weekday on-peak hour. Energy period 2
    # ($0.36) -> 10 x 0.36 = $3.60; TOU demand period 2 ($10/kW) and the month's flat demand
    # ($18.05/kW) -> 100 + 180.5 = $280.50. A calendar that counted 8760 hours would put the
    # last day of 2024 (or Feb 29) in the wrong place. Fixed: $24.878/day x 366 days.
    path = DATA / "reopt" / "urdb" / "custom_leap_year_tou_energy_tou_demand_flat_demand.json"
    tariff = Tariff.from_urdb(path)
    index = pd.date_range("2024-01-01", periods=8784, freq="1h", tz="America/Los_Angeles")
    load = pd.Series(0.0, index=index)
    load.loc[pd.Timestamp(stamp, tz="America/Los_Angeles")] = 10.0
    bill = compute_bill(tariff, load)
    assert bill.monthly["energy_usd"].sum() == pytest.approx(3.6)
    demand = bill.monthly["demand_flat_usd"].sum() + bill.monthly["demand_tou_usd"].sum()
    assert demand == pytest.approx(280.5)
    assert bill.monthly["days_present"].sum() == 366
    assert bill.monthly["fixed_usd"].sum() == pytest.approx(24.878 * 366)
