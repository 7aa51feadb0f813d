"""A backtest's market prices file with a gap: markets not offered there, the gap reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from sims.backtest import run_backtest
from sims.config import load_config
from sims.markets import NOT_OFFERED_RATE_USD_PER_KW_H, load_market_prices
from tests.sims.test_markets import DAYS, REGULATION, TZ, WHOLESALE, _two_price_day, _write

GAP_HOURS = [30, 31, 32]  # 2024-03-02 06:00, 07:00, 08:00 (PST)


def _punch_gap(folder, how: str) -> None:
    """Remove the 3 gap hours from prices.csv: whole rows, or only their price cells."""
    frame = pd.read_csv(folder / "prices.csv")
    if how == "rows":
        frame = frame.drop(index=GAP_HOURS)
    else:
        frame.loc[GAP_HOURS, [c for c in frame.columns if c != "time"]] = np.nan
    frame.to_csv(folder / "prices.csv", index=False)


@pytest.mark.parametrize("how", ["rows", "cells"])
def test_no_award_in_a_three_hour_gap_and_the_gap_is_reported(tmp_path, how):
    # The case of test_constant_regulation_price_pays_price_times_award_times_hours: Reg-Up at
    # 10 $/MW/h = 0.01 $/kW/h, award capped at 10 kW, idle battery holding the full 10 kW.
    # With 3 of the 72 hours unpriced the product is offered in 69 hours only:
    #   revenue = 0.01 $/kW/h x 10 kW x 69 h = 6.90 $
    path = _write(
        tmp_path,
        energy_rate_usd_per_kwh=0.10,
        prices={"regup": np.full(DAYS * 24, 10.0)},
        markets=REGULATION,
    )
    _punch_gap(tmp_path, how)
    result = run_backtest(load_config(path), progress=False)
    iv = result.intervals
    gap = iv.index[GAP_HOURS]
    assert str(gap[0]) == "2024-03-02 06:00:00-08:00"
    np.testing.assert_allclose(iv.loc[gap, "reg_up_award_kw"], 0.0, atol=1e-9)
    np.testing.assert_allclose(iv.loc[gap, "market_reg_up_usd"], 0.0, atol=0.0)
    np.testing.assert_allclose(iv.drop(index=gap)["reg_up_award_kw"], 10.0, atol=1e-6)
    assert list(iv.index[~iv["market_priced"]]) == list(gap)
    assert result.summary.savings_by_stream_usd["market_reg_up"] == pytest.approx(6.90, rel=1e-6)
    note = [n for n in result.summary.notes if n.startswith("market prices missing")]
    assert note == [
        "market prices missing in 3 intervals (2024-03-02T06:00:00-08:00 .. "
        "2024-03-02T09:00:00-08:00): markets not offered there (no award, no wholesale "
        "position, no revenue); intervals.market_priced marks them"
    ]


def test_wholesale_revenue_is_settled_only_where_priced(tmp_path):
    path = _write(
        tmp_path,
        energy_rate_usd_per_kwh=0.0,
        prices={"lmp": _two_price_day()},
        markets=WHOLESALE,
    )
    _punch_gap(tmp_path, "rows")
    result = run_backtest(load_config(path), progress=False)
    iv = result.intervals
    gap = iv.index[GAP_HOURS]
    np.testing.assert_allclose(iv.loc[gap, "market_wholesale_energy_usd"], 0.0, atol=0.0)
    # a second computation: the file's price on the plant's actual net output, gap excluded
    price = np.where(iv.index.hour < 12, 0.12, 0.02)
    own = (price * (iv["discharge_kw"] - iv["charge_kw"])).drop(index=gap).sum()
    assert result.summary.market_revenue_usd == pytest.approx(own, rel=1e-9, abs=1e-12)


def test_planning_values_in_the_gap_and_unusable_files(tmp_path):
    path = _write(
        tmp_path,
        energy_rate_usd_per_kwh=0.10,
        prices={"regup": np.full(DAYS * 24, 10.0), "lmp": _two_price_day()},
        markets=REGULATION.replace(
            "[markets.columns]\n", '[markets.columns]\nlmp = "energy_rt_usd_per_kwh"\n'
        ),
    )
    _punch_gap(tmp_path, "cells")
    config = load_config(path)
    index = pd.date_range("2024-03-01", periods=DAYS * 24, freq="1h", tz=TZ)
    prices = load_market_prices(config.markets, tz=TZ, index=index)
    gap = index[GAP_HOURS]
    assert prices.frame.loc[gap, "reg_up_usd_per_kw_h"].eq(NOT_OFFERED_RATE_USD_PER_KW_H).all()
    assert prices.frame.loc[gap, "energy_rt_usd_per_kwh"].eq(0.0).all()
    assert prices.frame.drop(index=gap)["reg_up_usd_per_kw_h"].eq(0.01).all()  # 10 $/MW/h
    skipped = prices.skipped()
    assert skipped.to_dict("records") == [{"first": gap[0], "last": gap[-1], "intervals": 3}]
    # a file with no price in the simulated period is unusable
    frame = pd.read_csv(tmp_path / "prices.csv")
    frame.loc[:, ["regup", "lmp"]] = np.nan
    frame.loc[len(frame)] = {"time": "2024-03-04T00:00:00-08:00", "regup": 10.0, "lmp": 20.0}
    frame.loc[len(frame)] = {"time": "2024-03-04T01:00:00-08:00", "regup": 10.0, "lmp": 20.0}
    frame.to_csv(tmp_path / "prices.csv", index=False)
    with pytest.raises(InputError) as err:
        load_market_prices(config.markets, tz=TZ, index=index)
    assert err.value.field == "markets.prices_csv"
    assert "prices for some simulated interval" in err.value.expected
