"""The peak-charge registry: each charge's field, names and month-to-date peaks line up."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from core.errors import InputError
from markets.bill import CHARGE_COLUMNS, DEMAND_COLUMNS
from markets.month_to_date import MonthToDateUsage
from markets.tariff import DemandTier, Tariff, TouDemandCharges
from markets.tariff_terms import PEAK_CHARGES

FLAT = tuple(tuple(0 for _ in range(24)) for _ in range(12))


def test_every_peak_charge_has_its_tariff_field_and_bill_column():
    fields = {f.name: f for f in dataclasses.fields(Tariff)}
    names = [kind.name for kind in PEAK_CHARGES]
    assert len(set(names)) == len(names)
    for kind in PEAK_CHARGES:
        assert fields[kind.field].default is None
        assert f"demand_{kind.name}_usd" in CHARGE_COLUMNS
    assert PEAK_CHARGES[0] is TouDemandCharges  # demand_tou_usd keeps its column


def test_a_peak_field_holds_its_own_kind():
    with pytest.raises(InputError, match="Tariff.tou_demand"):
        Tariff(name="t", tou_demand="not charges")


def test_peak_charge_checks_name_the_class():
    with pytest.raises(InputError, match=r"TouDemandCharges.periods\[0\]"):
        TouDemandCharges(periods=((),), weekday_schedule=FLAT, weekend_schedule=FLAT)


def test_cost_prices_each_period_on_its_tiers():
    charges = TouDemandCharges(
        periods=(
            (
                DemandTier(max_kw=10.0, rate_usd_per_kw=1.0),
                DemandTier(max_kw=float("inf"), rate_usd_per_kw=3.0),
            ),
            (DemandTier(max_kw=float("inf"), rate_usd_per_kw=5.0),),
        ),
        weekday_schedule=FLAT,
        weekend_schedule=FLAT,
    )
    # period 0: 10 kW at $1 + 5 kW at $3 = 25; period 1: 2 kW at $5 = 10
    assert charges.cost_usd([15.0, 2.0]) == pytest.approx(35.0)


def test_usage_keeps_tou_in_its_field_and_other_charges_by_name():
    usage = MonthToDateUsage.with_peaks(
        {"tou": (1.0, 2.0), "other": (3.0,), "absent": ()},
        month=pd.Period("2024-07", freq="M"),
        flat_peak_kw=4.0,
        ratchet_peak_kw=0.0,
        import_kwh_by_period=(0.0,),
        export_kwh_by_period=(0.0,),
    )
    assert usage.tou_peak_kw == (1.0, 2.0)
    assert dict(usage.demand_peaks_kw) == {"other": (3.0,)}
    assert usage.peak_kw("tou") == (1.0, 2.0)
    assert usage.peak_kw("other") == (3.0,)
    assert usage.peak_kw("absent") == ()


def test_demand_columns_are_the_bills_demand_charges():
    assert DEMAND_COLUMNS[0] == "demand_flat_usd"
    assert set(DEMAND_COLUMNS) == {c for c in CHARGE_COLUMNS if c.startswith("demand_")}
    assert "demand_tou_usd" in DEMAND_COLUMNS
