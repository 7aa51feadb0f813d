"""The CAISO market-year runner (scripts/caiso_year.py): settlement, forecast, gaps, spread."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from markets.iso_files import read_caiso_da_market
from markets.price_gaps import split_at_gaps
from markets.prices import ENERGY_DA, MarketPrices
from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.dispatch import optimize_dispatch
from optimizer.state import TerminalMode, TerminalSoc
from optimizer.streams.capacity import capacity_streams
from optimizer.streams.wholesale import WholesaleEnergyStream

LA = "America/Los_Angeles"
_SPEC = importlib.util.spec_from_file_location(
    "caiso_year", Path(__file__).resolve().parents[2] / "scripts" / "caiso_year.py"
)
caiso_year = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("caiso_year", caiso_year)  # dataclasses look their module up there
_SPEC.loader.exec_module(caiso_year)


def test_settlement_recomputes_the_models_own_revenue_on_real_prices(shared_data):
    # Second method: the runner settles a schedule with its own arithmetic; on the prices the
    # plan was made with (perfect foresight) it must equal the model's objective terms.
    prices = read_caiso_da_market(
        shared_data / "markets", start="2024-08-05", end="2024-08-07"
    ).only()
    products = caiso_year.caiso_products()
    streams = [WholesaleEnergyStream(price_column=ENERGY_DA), *capacity_streams(products)]
    result = optimize_dispatch(
        battery=Battery(power_kw=1000, energy_kwh=4000),
        tariff=Tariff(name="fom"),
        load_kw=pd.Series(0.0, index=prices.index),
        initial_soc_fraction=0.5,
        terminal=TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.5),
        streams=streams,
        stream_inputs={s.name: prices for s in streams},
    )
    settled = caiso_year.settle(result.schedule, prices, products)
    assert set(settled) == set(result.value_by_stream_usd)
    for name, value in settled.items():
        assert value == pytest.approx(-result.value_by_stream_usd[name], abs=1e-6, rel=1e-9)
    assert math.fsum(settled.values()) > 0


def _hourly(start: str, values, name: str = ENERGY_DA) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="1h", tz=LA)
    return pd.DataFrame({name: np.asarray(values, dtype=float)}, index=index)


def test_forecast_is_the_price_24_hours_earlier():
    history = _hourly("2024-03-01", np.arange(48.0))
    day2 = MarketPrices(frame=history.iloc[24:])
    forecast = caiso_year._forecast(day2, history)
    assert forecast.series(ENERGY_DA).tolist() == list(np.arange(24.0))
    assert forecast.index.equals(day2.index)
    day1 = MarketPrices(frame=history.iloc[:24])
    assert caiso_year._forecast(day1, history) is None  # nothing 24 h before day 1


def test_runs_stop_at_a_gap_and_write_what_they_skipped(tmp_path):
    # Three days of energy prices with hours 30-34 (day 2, 06:00-10:00) missing: the weekly
    # window is cut in two pieces around the gap.
    frame = _hourly("2024-03-04", 0.02 + 0.08 * (np.arange(72) % 24 >= 17))
    frame = frame.drop(frame.index[30:35])
    prices = split_at_gaps(frame, field="t", source="t.csv")
    weekly = caiso_year.run_case(
        caiso_year.CaisoCase(year=2024, mode="pf_weekly", energy_only=True), prices, tmp_path
    )
    assert weekly["priced_hours"] == 67.0 and weekly["skipped_hours"] == 5.0
    assert weekly["windows"] == 2  # one piece before and one after the gap
    skipped = pd.read_csv(tmp_path / f"skipped_{weekly['case']}.csv")
    assert skipped["missing_intervals"].tolist() == [5]
    forecast = caiso_year.run_case(
        caiso_year.CaisoCase(year=2024, mode="forecast_daily", energy_only=True), prices, tmp_path
    )
    skipped = pd.read_csv(tmp_path / f"skipped_{forecast['case']}.csv")
    # the gap (5 h), day 1 (no previous day) and day 3 (its hours 06-10 look back into the gap)
    assert sorted(skipped["missing_intervals"].tolist()) == [5, 24, 24]
    # what is left: day 2's 6 hours before and 13 hours after the gap
    assert forecast["priced_hours"] == 72 - 5 - 24 - 24 == 6 + 13


def test_top_bottom_spread_by_hand():
    frame = _hourly("2024-03-04", np.arange(1.0, 25.0))  # one day, prices 1..24 $/kWh
    spread = caiso_year.top_bottom_spread(split_at_gaps(frame, field="t"), hours=4)
    # (21 + 22 + 23 + 24) - (1 + 2 + 3 + 4) = 80 $ per kW of a 4-hour battery
    assert spread["tb_spread_usd_per_kw"].tolist() == [80.0]
    assert spread["days"].tolist() == [1]
