"""scripts/market_deployment.py: its CAISO reader on the real file and its deployed settlement."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from markets.prices import ENERGY_DA, MarketPrices
from sims.deployment import deploy_regulation

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "market_deployment.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("market_deployment", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["market_deployment"] = module
    spec.loader.exec_module(module)
    return module


def test_caiso_reader_matches_the_data_readme(script, shared_data):
    prices = script.read_caiso_prices(shared_data, year=2024, hub="TH_SP15", extra_days=7)
    # leap year 2024 in local time: 8784 hours, plus 7 days of look-ahead
    assert len(prices.index) == 8784 + 7 * 24
    year = prices.frame.loc[prices.frame.index.year == 2024]
    # annual means in $/MW per hour stated by the data README for 2024 (UTC year there,
    # local year here: 8 hours differ): reg_up 4.65, reg_down 6.59, spin 2.59, nonspin 2.29
    for column, mean in (("reg_up", 4.65), ("reg_down", 6.59), ("spin", 2.59), ("nonspin", 2.29)):
        assert 1000 * year[f"{column}_usd_per_kw_h"].mean() == pytest.approx(mean, abs=0.05)


def test_deployed_settlement_by_hand(script):
    # One hour: reg_up award 100 kW, nothing else. The battery (1 MW / 4 MWh, half full)
    # follows a signal of +0.3 for the hour: 30 kWh requested up and delivered; score 1.
    # Pay: 100 kW x $0.01/kW-h = $1.00 (mileage 0: the signal does not move).
    # Deployed energy 30 kWh at $0.05/kWh = $1.50 under regulation_energy; wholesale 0.
    index = pd.date_range("2024-01-01", periods=1, freq="1h", tz="America/Los_Angeles")
    index = pd.DatetimeIndex(index, freq="1h")
    day = pd.DataFrame(
        {
            "charge_kw": [0.0],
            "discharge_kw": [0.0],
            "reg_up_award_kw": [100.0],
            "reg_down_award_kw": [0.0],
            "spin_award_kw": [0.0],
            "nonspin_award_kw": [0.0],
        },
        index=index,
    )
    frame = pd.DataFrame(
        {
            ENERGY_DA: [0.05],
            "reg_up_usd_per_kw_h": [0.01],
            "reg_down_usd_per_kw_h": [0.02],
            "spin_usd_per_kw_h": [0.0],
            "nonspin_usd_per_kw_h": [0.0],
            "reg_up_mileage_usd_per_kw": [0.0],
            "reg_down_mileage_usd_per_kw": [0.0],
        },
        index=index,
    )
    dep = deploy_regulation(
        battery=script.BATTERY,
        charge_kw=day["charge_kw"],
        discharge_kw=day["discharge_kw"],
        up_award_kw=day["reg_up_award_kw"],
        down_award_kw=day["reg_down_award_kw"],
        signal=np.full((1, 1800), 0.3),
        initial_soc_kwh=2000.0,
    )
    products, _ = script._streams(0.1)
    parts = script._settle_deployed(day, dep, MarketPrices(frame=frame), products)
    assert parts["reg_up"][0] == pytest.approx(1.0)
    assert parts["reg_down"][0] == pytest.approx(0.0)
    assert parts["regulation_energy"][0] == pytest.approx(1.5)
    assert parts["wholesale_energy"][0] == pytest.approx(0.0, abs=1e-9)
