"""Plausibility checks: well-formed nonsense is refused, quoting the number that tripped it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import plausibility as p
from core.errors import InputError
from markets.prices import PriceColumn, PriceUnit, read_prices_csv
from markets.tariff import Tariff
from sims.config import load_config
from sims.sitedata import load_site_data
from tests.sims.helpers import urdb_record, write_site


# -- loads in W, batteries out of scale (through the site reader) ----------------------------
def test_load_in_watts_is_refused_with_its_median(tmp_path):
    site = write_site(tmp_path, days=2)
    csv = tmp_path / "site.csv"
    frame = pd.read_csv(csv)
    frame["load_kw"] *= 10.0 * 1000.0  # a ~500 kW-median site (x10) written in W (x1000)
    frame.to_csv(csv, index=False)
    median = float(np.median(frame["load_kw"]))
    assert median > p.MAX_MEDIAN_LOAD_KW
    with pytest.raises(InputError, match=r"site.load_csv.load_kw.*median load") as info:
        load_site_data(load_config(site))
    assert f"{median:,.0f}" in str(info.value)


@pytest.mark.parametrize("power", ["1e12", "1e5"], ids=["absolute", "relative-to-peak"])
def test_absurd_battery_is_refused(tmp_path, power):
    energy = 2 * float(power)  # a 2 h battery: the size, not the duration, is wrong
    site = write_site(tmp_path, days=2, battery=f"power_kw = {power}\nenergy_kwh = {energy}\n")
    with pytest.raises(InputError, match="battery.power_kw") as info:
        load_site_data(load_config(site))
    # the synthetic site peaks near 100 kW (helpers.office_load): 1e5 kW is ~1000 x that
    assert f"{float(power):,.0f} kW" in str(info.value)  # 1,000,000,000,000 or 100,000


def test_a_battery_the_size_of_the_site_is_accepted(tmp_path):
    site = write_site(tmp_path, days=2, battery="power_kw = 100.0\nenergy_kwh = 400.0\n")
    assert load_site_data(load_config(site)).load_kw.max() < 200


# -- tariffs ---------------------------------------------------------------------------------
def _tariff(**changes) -> dict:
    record = urdb_record()
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("record", "match"),
    [
        ({}, "at least one energy, demand, fixed"),
        ({"name": "only metadata", "utility": "X"}, "at least one energy"),
        ({"error": {"code": "API_KEY_INVALID"}}, "API error"),
        ({"errors": ["bad request"]}, "API error"),
    ],
    ids=["empty", "metadata-only", "api-error", "api-errors"],
)
def test_empty_or_error_tariffs_are_refused(record, match):
    with pytest.raises(InputError, match=match):
        Tariff.from_urdb(record)


def test_mwh_prices_declared_per_kwh_are_refused_with_the_rate():
    # 45 $/MWh written in the $/kWh field: 45 > 5 $/kWh
    record = _tariff(energyratestructure=[[{"rate": 45.0, "unit": "kWh"}], [{"rate": 0.3}]])
    with pytest.raises(InputError, match=r"energyratestructure\[0\]\[0\].*45 \$/kWh"):
        Tariff.from_urdb(record)


def test_demand_rates_x1000_are_refused():
    record = _tariff(flatdemandstructure=[[{"rate": 10_000.0}]])
    with pytest.raises(InputError, match=r"flatdemandstructure\[0\]\[0\].*10000 \$/kW"):
        Tariff.from_urdb(record)


def test_negative_rates_need_to_be_allowed():
    record = _tariff(energyratestructure=[[{"rate": -0.02}], [{"rate": 0.3}]])
    with pytest.raises(InputError, match=r"-0.02 \$/kWh.*allow negative"):
        Tariff.from_urdb(record)
    tariff = Tariff.from_urdb(record, allow_negative_rates=True)
    assert tariff.energy.periods[0][0].rate_usd_per_kwh == pytest.approx(-0.02)


def test_rate_plus_adjustment_is_what_is_checked():
    # a negative adjustment on a positive rate is a plain positive price: 0.10 - 0.03
    record = _tariff(energyratestructure=[[{"rate": 0.10, "adj": -0.03}], [{"rate": 0.3}]])
    tariff = Tariff.from_urdb(record)
    assert tariff.energy.periods[0][0].rate_usd_per_kwh == pytest.approx(0.07)


def test_negative_rates_allowed_from_the_config(tmp_path):
    site = write_site(tmp_path, days=2, extra="")
    tariff = tmp_path / "tariff.json"
    tariff.write_text(json.dumps(_tariff(energyratestructure=[[{"rate": -0.01}], [{"rate": 0.3}]])))
    with pytest.raises(InputError, match=r"tariff.urdb_json \(tariff.json\)"):
        load_site_data(load_config(site))
    text = site.read_text().replace(
        'urdb_json = "tariff.json"\n', 'urdb_json = "tariff.json"\nallow_negative_rates = true\n'
    )
    site.write_text(text)
    assert load_site_data(load_config(site)).tariff.energy.periods[0][0].rate_usd_per_kwh < 0


# -- market prices -----------------------------------------------------------------------
def test_mwh_market_prices_declared_per_kwh_are_refused(tmp_path):
    index = pd.date_range("2024-01-01", periods=24, freq="1h", tz="UTC")
    path = tmp_path / "lmp.csv"
    lmp_usd_per_mwh = 30.0 + np.arange(24.0)  # median 41.5 $/MWh
    pd.DataFrame({"t": [t.isoformat() for t in index], "lmp": lmp_usd_per_mwh}).to_csv(
        path, index=False
    )

    def read(unit):
        column = PriceColumn(source="lmp", name="energy_usd_per_kwh", unit=unit)
        return read_prices_csv(path, time_column="t", tz="UTC", columns=[column])

    with pytest.raises(InputError, match=r"median 41.5 \$/kWh"):
        read(PriceUnit.USD_PER_KWH)
    prices = read(PriceUnit.USD_PER_MWH)  # declared right: converted once, accepted
    assert prices.frame["energy_usd_per_kwh"].median() == pytest.approx(0.0415)
