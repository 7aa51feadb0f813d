"""The Tariff data model: validation and calendar lookups."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from markets.tariff import (
    DemandRatchet,
    EnergyCharges,
    EnergyTier,
    ExportCompensation,
    ExportMode,
    Tariff,
)
from tests.markets.tariff_builders import INF, energy, flat_demand, schedule

HALF_DAY = schedule([0] * 12 + [1] * 12)


def test_schedule_shape_and_period_checked():
    tier = (EnergyTier(max_kwh=INF, rate_usd_per_kwh=0.1),)
    with pytest.raises(InputError) as err:
        EnergyCharges(
            periods=(tier,), weekday_schedule=schedule()[:11], weekend_schedule=schedule()
        )
    assert err.value.field == "EnergyCharges.weekday_schedule"
    with pytest.raises(InputError) as err:
        EnergyCharges(periods=(tier,), weekday_schedule=HALF_DAY, weekend_schedule=schedule())
    assert err.value.field == "EnergyCharges.weekday_schedule[0][12]"


def test_tier_limits_checked():
    with pytest.raises(InputError) as err:
        energy([[(100.0, 0.1), (50.0, 0.2), (INF, 0.3)]])
    assert err.value.field == "EnergyCharges.periods[0][1].max"
    with pytest.raises(InputError) as err:
        energy([[(100.0, 0.1), (200.0, 0.2)]])
    assert err.value.field == "EnergyCharges.periods[0][1].max"


def test_tariff_fields_checked():
    with pytest.raises(InputError) as err:
        Tariff(name="t", fixed_monthly_usd=float("nan"))
    assert err.value.field == "Tariff.fixed_monthly_usd"
    with pytest.raises(InputError) as err:
        Tariff(name="t", ratchet=DemandRatchet(lookback_fraction=0.5, lookback_range_months=3))
    assert err.value.field == "Tariff.ratchet"
    with pytest.raises(InputError) as err:
        Tariff(name="t", holiday_country="XX")
    assert err.value.field == "Tariff.holiday_country"
    with pytest.raises(InputError) as err:
        Tariff(name="t", extra_holidays=frozenset({"2023-07-04"}))
    assert err.value.field == "Tariff.extra_holidays"
    with pytest.raises(InputError) as err:
        Tariff(name="t", unsupported=["coincidentratestructure"])
    assert err.value.field == "Tariff.unsupported"
    with pytest.raises(InputError) as err:
        ExportCompensation(mode="net_metering")
    assert err.value.field == "ExportCompensation.mode"


def test_weekend_mask_with_holidays():
    # 2023-07-01 Sat, 07-02 Sun, 07-03 Mon, 07-04 Tue (Independence Day), 07-05 Wed.
    index = pd.date_range("2023-07-01", periods=5 * 24, freq="1h", tz="America/Denver")
    plain = Tariff(name="t").weekend_mask(index).reshape(5, 24)
    assert plain[:, 0].tolist() == [True, True, False, False, False]
    us = Tariff(name="t", holiday_country="US").weekend_mask(index).reshape(5, 24)
    assert us[:, 0].tolist() == [True, True, False, True, False]
    assert us.all(axis=1).tolist() == us[:, 0].tolist()  # whole local days
    extra = Tariff(name="t", extra_holidays=frozenset({dt.date(2023, 7, 5)}))
    assert extra.weekend_mask(index).reshape(5, 24)[:, 0].tolist() == [
        True,
        True,
        False,
        False,
        True,
    ]


def test_holiday_mask_follows_local_days_across_dst():
    # 2023-11-05 fall back: 25 local hours of Sunday; extra holiday Mon 11-06 covers exactly
    # the 24 hours from local midnight.
    index = pd.date_range(
        "2023-11-05", "2023-11-08", freq="1h", tz="America/New_York", inclusive="left"
    )
    tariff = Tariff(name="t", extra_holidays=frozenset({dt.date(2023, 11, 6)}))
    mask = tariff.weekend_mask(index)
    assert mask.sum() == 25 + 24
    assert mask[:49].all() and not mask[49:].any()


def test_period_lookups_use_local_hour():
    tariff = Tariff(name="t", energy=energy([0.1, 0.3], HALF_DAY), flat_demand=flat_demand(1.0))
    index = pd.date_range("2024-01-03", periods=24, freq="1h", tz="Asia/Kolkata")
    assert tariff.energy_period(index).tolist() == [0] * 12 + [1] * 12
    assert tariff.import_rate_usd_per_kwh(index).tolist() == [0.1] * 12 + [0.3] * 12
    assert tariff.flat_demand_period(index).tolist() == [0] * 24


def test_sell_rate_by_mode():
    index = pd.date_range("2024-01-03", periods=24, freq="1h", tz="UTC")
    charges = energy([0.1, 0.3], HALF_DAY, sells=[0.02, 0.04])
    by_mode = {
        mode: Tariff(
            name="t",
            energy=charges,
            export=ExportCompensation(mode=mode, flat_rate_usd_per_kwh=0.05),
        ).sell_rate_usd_per_kwh(index)
        for mode in ExportMode
    }
    np.testing.assert_array_equal(by_mode[ExportMode.NONE], np.zeros(24))
    np.testing.assert_array_equal(by_mode[ExportMode.FLAT_RATE], np.full(24, 0.05))
    np.testing.assert_array_equal(by_mode[ExportMode.SELL_RATE], [0.02] * 12 + [0.04] * 12)
    np.testing.assert_array_equal(by_mode[ExportMode.NET_METERING], [0.1] * 12 + [0.3] * 12)
