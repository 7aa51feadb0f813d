"""Properties of the bill engine (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from markets.bill import CHARGE_COLUMNS, compute_bill
from markets.tariff import ExportCompensation, ExportMode, Tariff
from tests.conftest import shared_data_dir
from tests.oracles.bill_reference import bill_by_loop

URDB = shared_data_dir() / "reopt" / "urdb"
MORE = shared_data_dir() / "urdb_more"
NAMES = [
    URDB / "pge_e19_secondary_5cef0a415457a33576f60fe2.json",
    URDB / "custom_multi_tier_energy_demand_seasonal.json",
    URDB / "custom_rate_2tier_energy_4period_tou_demand.json",
    URDB / "entergy_ar_lps_tou_5a592c995457a3371c423a7d.json",
    URDB / "custom_subhourly_test_rate.json",
    MORE / "SDGE_AL-TOU_Secondary_above500kW.json",
]
IMPORT_ONLY = {
    path.stem: Tariff.from_urdb(path, export=ExportCompensation(mode=ExportMode.NONE))
    for path in NAMES
}
AS_READ = {path.stem: Tariff.from_urdb(path, holiday_country="US") for path in NAMES}

starts = st.datetimes(
    min_value=pd.Timestamp("2023-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2024-12-20").to_pydatetime(),
).map(lambda d: pd.Timestamp(d).floor("h"))


def _series(start: pd.Timestamp, values, freq: str, tz: str = "America/Los_Angeles"):
    # built in UTC and converted, so a start in a DST gap cannot occur
    index = pd.date_range(start, periods=len(values), freq=freq, tz="UTC").tz_convert(tz)
    return pd.Series(np.asarray(values, dtype=float), index=index)


@settings(max_examples=30)
@given(
    name=st.sampled_from(sorted(IMPORT_ONLY)),
    start=starts,
    base=st.lists(st.floats(0, 2000), min_size=24, max_size=24 * 10),
    seed=st.integers(0, 2**32 - 1),
    scale=st.floats(0, 500),
)
def test_import_only_bill_never_decreases_when_load_rises(name, start, base, seed, scale):
    tariff = IMPORT_ONLY[name]
    values = np.asarray(base)
    extra = np.random.default_rng(seed).uniform(0, 1, len(values)) * scale
    low = compute_bill(tariff, _series(start, values, "1h")).total_usd
    high = compute_bill(tariff, _series(start, values + extra, "1h")).total_usd
    assert high >= low - 1e-9 * max(1.0, abs(low))


@settings(max_examples=30)
@given(
    name=st.sampled_from(sorted(AS_READ)),
    start=starts,
    hourly=st.lists(st.floats(-300, 1500), min_size=24, max_size=24 * 8),
)
def test_hourly_equals_four_equal_quarter_hours(name, start, hourly):
    # Each hour split into four 15-minute steps of the same kW carries the same kWh in the
    # same period, so energy charges, credits and (without a longer demand window) demand
    # charges are identical.
    tariff = AS_READ[name]
    hourly_bill = compute_bill(tariff, _series(start, hourly, "1h")).monthly
    quarter_bill = compute_bill(tariff, _series(start, np.repeat(hourly, 4), "15min")).monthly
    for column in ("energy_usd", "export_credit_usd", "import_kwh", "export_kwh"):
        np.testing.assert_allclose(quarter_bill[column], hourly_bill[column], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(
        quarter_bill["total_usd"] - quarter_bill["fixed_usd"],
        hourly_bill["total_usd"] - hourly_bill["fixed_usd"],
        rtol=1e-12,
        atol=1e-9,
    )


@settings(max_examples=25)
@given(
    name=st.sampled_from(sorted(AS_READ)),
    start=starts,
    freq=st.sampled_from(["5min", "15min", "1h"]),
    values=st.lists(st.floats(-400, 1200), min_size=1, max_size=600),
    tz=st.sampled_from(["America/Los_Angeles", "America/New_York", "America/Chicago"]),
    history=st.floats(0, 1000),
)
def test_vectorized_equals_loop_reference(name, start, freq, values, tz, history):
    tariff = AS_READ[name]
    load = _series(start, values, freq, tz)
    bill = compute_bill(tariff, load, ratchet_history_kw=history)
    reference = bill_by_loop(tariff, load, ratchet_history_kw=history)
    pd.testing.assert_frame_equal(
        bill.monthly[list(CHARGE_COLUMNS)], reference, check_exact=False, rtol=1e-9, atol=1e-6
    )


@pytest.mark.parametrize("mode", list(ExportMode))
def test_export_modes_agree_with_loop_on_a_year(mode):
    # A PV-like year with exports under every export mode, at 15 minutes.
    tariff = Tariff.from_urdb(
        NAMES[0], export=ExportCompensation(mode=mode, flat_rate_usd_per_kwh=0.03)
    )
    index = pd.date_range(
        "2023-01-01", "2024-01-01", freq="15min", tz="America/Los_Angeles", inclusive="left"
    )
    hour = index.hour + index.minute / 60
    pv = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * 400
    load = pd.Series(250 + 50 * np.cos(hour / 24 * 2 * np.pi) - pv, index=index)
    bill = compute_bill(tariff, load)
    assert bill.monthly["export_kwh"].sum() > 0
    pd.testing.assert_frame_equal(
        bill.monthly[list(CHARGE_COLUMNS)],
        bill_by_loop(tariff, load),
        check_exact=False,
        rtol=1e-9,
        atol=1e-6,
    )
