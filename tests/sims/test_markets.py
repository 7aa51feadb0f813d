"""Market streams in the backtest: config edge, planning on prices, settlement on actuals."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from markets.iso_presets import preset
from markets.prices import MarketPrices, PriceColumn, PriceUnit
from markets.products import Direction, Product
from optimizer import Battery
from sims.backtest import run_backtest
from sims.config import load_config
from sims.market_settlement import settle_markets
from sims.markets import MarketsConfig, markets_from_table

TZ = "America/Los_Angeles"
LOAD_KW = 50.0  # constant site load: far above the battery's 10 kW, so the site never exports
DAYS = 3


def _write(
    folder: Path,
    *,
    energy_rate_usd_per_kwh: float,
    prices: dict[str, np.ndarray],
    markets: str,
    step: str = "1h",
) -> Path:
    """A 3-day hourly site with a flat-rate tariff, a price CSV and a TOML; return the TOML."""
    index = pd.date_range("2024-03-01", periods=DAYS * 24, freq="1h", tz=TZ)
    stamps = [t.isoformat() for t in index]
    pd.DataFrame({"timestamp": stamps, "load_kw": LOAD_KW}).to_csv(folder / "site.csv", index=False)
    pd.DataFrame({"time": stamps, **prices}).to_csv(folder / "prices.csv", index=False)
    zeros = [[0] * 24] * 12
    urdb = {
        "name": "flat energy only",
        "energyratestructure": [[{"rate": energy_rate_usd_per_kwh, "unit": "kWh"}]],
        "energyweekdayschedule": zeros,
        "energyweekendschedule": zeros,
    }
    (folder / "tariff.json").write_text(json.dumps(urdb))
    text = (
        f'[site]\nname = "mkt"\ntimezone = "{TZ}"\nload_csv = "site.csv"\n'
        '\n[tariff]\nurdb_json = "tariff.json"\n'
        "\n[battery]\npower_kw = 10.0\nenergy_kwh = 20.0\ninitial_soc_fraction = 0.5\n"
        f'\n[dispatch]\nstep = "{step}"\ncadence = "daily"\nlookahead_h = 24\n'
        f"\n[markets]\n{markets}"
    )
    path = folder / "site.toml"
    path.write_text(text)
    return path


def _two_price_day() -> np.ndarray:
    """120 $/MWh from 00:00 to 12:00, 20 $/MWh from 12:00 to 24:00, every day."""
    hour = np.arange(DAYS * 24) % 24
    return np.where(hour < 12, 120.0, 20.0)


WHOLESALE = (
    'prices_csv = "prices.csv"\ntime_column = "time"\nprice_unit = "usd_per_mwh"\n'
    "wholesale_energy = true\n"
    '\n[markets.columns]\nlmp = "energy_da_usd_per_kwh"\n'
)


@pytest.mark.parametrize("step", ["1h", "15min"])
def test_two_price_day_arbitrage_profit_is_the_hand_computed_cycle(tmp_path, step):
    # Retail energy is free (0 $/kWh) and there is no demand charge, so only the wholesale
    # price matters. Each day is its own 24-h window starting at the stored energy s0 and
    # ending at >= s0 (the terminal rule). Expensive hours come first: the best plan sells
    # everything above S_min (0 kWh) while the price is high and buys it back at the low
    # price. Per day, stored energy falls by s0 - S_min = 10 kWh (0.5 x 20 kWh):
    #   sold at the terminals   10 x 0.95        = 9.5 kWh    at 0.12 $/kWh = 1.14 $
    #   bought at the terminals 10 / 0.95        = 10.526 kWh at 0.02 $/kWh = 0.210526 $
    #   profit per day          1.14 - 0.2/0.95  = 0.929474 $; three days = 2.788421 $
    # (10 kWh in 12 h is far within 10 kW, so power never binds.) Simulated at 15 min, the
    # hourly prices hold for each quarter hour and the profit is the same.
    config = load_config(
        _write(
            tmp_path,
            energy_rate_usd_per_kwh=0.0,
            prices={"lmp": _two_price_day()},
            markets=WHOLESALE,
            step=step,
        )
    )
    result = run_backtest(config, progress=False)
    per_day = 10 * 0.95 * 0.12 - 10 / 0.95 * 0.02
    s = result.summary
    assert s.market_revenue_usd == pytest.approx(DAYS * per_day, rel=1e-6)
    assert s.savings_by_stream_usd["market_wholesale_energy"] == pytest.approx(
        DAYS * per_day, rel=1e-6
    )
    assert s.bill_savings_usd == pytest.approx(0.0, abs=1e-9)  # free retail energy
    assert s.total_savings_usd == pytest.approx(DAYS * per_day, rel=1e-6)
    # the revenue is settled on the plant's actual output: recompute it from the intervals
    iv = result.intervals
    price = np.where(iv.index.hour < 12, 0.12, 0.02)
    dt_h = 1.0 if step == "1h" else 0.25
    own = float((price * (iv["discharge_kw"] - iv["charge_kw"])).sum() * dt_h)
    assert own == pytest.approx(s.market_revenue_usd, rel=1e-9)
    assert not any("no market streams" in n for n in s.notes)
    assert any("perfect foresight of its prices" in n for n in s.notes)


REGULATION = (
    'prices_csv = "prices.csv"\ntime_column = "time"\niso = "ERCOT"\nproducts = ["reg_up"]\n'
    "max_award_kw = 10.0\n"
    '\n[markets.columns]\nregup = "reg_up_usd_per_kw_h"\n'
    "\n[markets.assumptions]\n"
    'regulation_deployed_fraction = 0.0\ndeployed_energy_price_column = "none"\n'
)


def test_constant_regulation_price_pays_price_times_award_times_hours(tmp_path):
    # Reg-Up at a constant 10 $/MW/h = 0.01 $/kW/h, award capped at 10 kW = the discharge
    # rating. Retail energy costs 0.10 $/kWh, so cycling only loses (round trip 0.9025) and
    # the battery stays idle; an idle battery holds the full 10 kW (headroom 10 - 0 = 10;
    # energy 0.95 x 10 kWh = 9.5 kWh >= 10 kW x 0.5 h = 5 kWh) in every one of the 72 hours:
    #   revenue = 0.01 $/kW/h x 10 kW x 72 h = 7.20 $
    config = load_config(
        _write(
            tmp_path,
            energy_rate_usd_per_kwh=0.10,
            prices={"regup": np.full(DAYS * 24, 10.0)},
            markets=REGULATION,
        )
    )
    result = run_backtest(config, progress=False)
    iv = result.intervals
    np.testing.assert_allclose(iv["reg_up_award_kw"], 10.0, atol=1e-6)
    np.testing.assert_allclose(iv["discharge_kw"], 0.0, atol=1e-6)
    np.testing.assert_allclose(iv["reg_up_shortfall_kw"], 0.0, atol=1e-6)
    s = result.summary
    assert s.savings_by_stream_usd["market_reg_up"] == pytest.approx(7.20, rel=1e-6)
    assert s.market_revenue_usd == pytest.approx(7.20, rel=1e-6)
    assert s.bill_savings_usd == pytest.approx(0.0, abs=1e-6)


def test_an_award_the_plant_cannot_honour_is_not_paid():
    # Two hours of a 10 kW Reg-Up award (duration 0.5 h), battery 10 kW / 20 kWh, eta 0.95.
    # Hour 0: the plant discharged 6 kW, so only 10 - 6 = 4 kW of up headroom was left:
    #   honoured 4 kW, shortfall 6 kW, paid 4 x 0.01 = 0.04 $.
    # Hour 1: idle, but the stored energy is 2 kWh at both ends: 0.95 x 2 = 1.9 kWh can back
    #   1.9 / 0.5 = 3.8 kW: honoured 3.8 kW, shortfall 6.2 kW, paid 0.038 $.
    product = preset("ERCOT", regulation_deployed_fraction=0.0).product("reg_up")
    index = pd.date_range("2024-03-01", periods=2, freq="1h", tz=TZ)
    intervals = pd.DataFrame(
        {
            "charge_kw": [0.0, 0.0],
            "discharge_kw": [6.0, 0.0],
            "soc_start_kwh": [10.0, 2.0],
            "soc_end_kwh": [10.0 - 6.0 / 0.95, 2.0],
            "reg_up_award_kw": [10.0, 10.0],
        },
        index=index,
    )
    prices = MarketPrices(
        frame=pd.DataFrame(
            {"reg_up_usd_per_kw_h": [0.01, 0.01], "energy_rt_usd_per_kwh": [0.0, 0.0]},
            index=index,
        )
    )
    markets = MarketsConfig(
        prices_csv=Path(__file__),  # any existing file: only settlement is exercised
        columns=(
            PriceColumn(source="a", name="reg_up_usd_per_kw_h", unit=PriceUnit.USD_PER_KWH),
            PriceColumn(source="b", name="energy_rt_usd_per_kwh", unit=PriceUnit.USD_PER_KWH),
        ),
        iso="ERCOT",
        products=(product,),
    )
    revenue, columns = settle_markets(
        intervals=intervals,
        prices=prices,
        markets=markets,
        battery=Battery(power_kw=10.0, energy_kwh=20.0),
    )
    np.testing.assert_allclose(columns["reg_up_honoured_kw"], [4.0, 3.8], rtol=1e-12)
    np.testing.assert_allclose(columns["reg_up_shortfall_kw"], [6.0, 6.2], rtol=1e-12)
    assert revenue["reg_up"] == pytest.approx(0.04 + 0.038, rel=1e-12)


@pytest.mark.parametrize(
    ("markets", "key"),
    [
        (REGULATION.replace('["reg_up"]', '["reg_up", "reg_sideways"]'), "markets.products[1]"),
        (REGULATION.replace('"ERCOT"', '"NOWHERE"'), "markets.iso"),
        (
            REGULATION.replace('"reg_up_usd_per_kw_h"', '"reg_down_usd_per_kw_h"'),
            "markets.columns",
        ),
        (
            REGULATION.replace('"reg_up_usd_per_kw_h"', '"reg up"'),
            "markets.columns.regup",
        ),
        (REGULATION.replace("max_award_kw = 10.0", "max_award_kw = -1.0"), "markets.max_award_kw"),
        (
            REGULATION.replace("regulation_deployed_fraction", "bogus"),
            "markets.assumptions.bogus",
        ),
        (
            WHOLESALE.replace("wholesale_energy = true", 'wholesale_energy = "yes"'),
            "markets.wholesale_energy",
        ),
        (
            WHOLESALE.replace(
                "wholesale_energy = true",
                'wholesale_energy = true\nwholesale_price_column = "energy_rt_usd_per_kwh"',
            ),
            "markets.wholesale_price_column",
        ),
        (
            WHOLESALE.replace('price_unit = "usd_per_mwh"', 'price_unit = "eur"'),
            "markets.price_unit",
        ),
        (WHOLESALE.replace('time_column = "time"', 'colour = "red"'), "markets.colour"),
        (WHOLESALE.replace("wholesale_energy = true", ""), "markets.products"),
    ],
)
def test_config_errors_name_the_toml_key(tmp_path, markets, key):
    path = _write(
        tmp_path,
        energy_rate_usd_per_kwh=0.1,
        prices={"lmp": _two_price_day(), "regup": np.full(DAYS * 24, 10.0)},
        markets=markets,
    )
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.field == key


MARKETS_KEYS = (
    "['assumptions', 'columns', 'iso', 'max_award_kw', 'price_unit', 'prices_csv', "
    "'products', 'time_column', 'time_label', 'volume_caps', 'wholesale_energy', "
    "'wholesale_price_column']"
)


@pytest.mark.parametrize(
    ("markets", "message"),
    [
        (
            REGULATION.replace('["reg_up"]', '["reg_up", 3]'),
            "markets.products[1]: got 3; expected a product name",
        ),
        (
            REGULATION.replace('["reg_up"]', '"reg_up"'),
            "markets.products: got 'reg_up'; expected a list of product names",
        ),
        (
            REGULATION.replace('["reg_up"]', '["reg_up", "reg_sideways"]'),
            "markets.products[1]: got 'reg_sideways'; expected one of "
            "['reg_up', 'reg_down', 'rrs', 'ecrs', 'nonspin'] (ERCOT)",
        ),
        (
            REGULATION.replace('"reg_up_usd_per_kw_h"', "5"),
            'markets.columns.regup: got 5; expected a price column name, e.g. "energy_da_usd_per_kwh"',
        ),
        (
            REGULATION.replace("max_award_kw = 10.0", 'max_award_kw = "10"'),
            "markets.max_award_kw: got '10'; expected a finite number",
        ),
        (
            REGULATION.replace(
                "regulation_deployed_fraction = 0.0", "regulation_deployed_fraction = [0.0]"
            ),
            "markets.assumptions.regulation_deployed_fraction: got [0.0]; expected a number, bool "
            "or string",
        ),
        (
            WHOLESALE.replace(
                "wholesale_energy = true", 'wholesale_energy = true\ntime_label = "middle"'
            ),
            "markets.time_label: got 'middle'; expected one of ['beginning', 'ending']",
        ),
        (
            WHOLESALE.replace('time_column = "time"', 'colour = "red"'),
            f"markets.colour: got 'red'; expected one of the keys {MARKETS_KEYS}",
        ),
        (
            WHOLESALE.replace('prices_csv = "prices.csv"', ""),
            "markets.prices_csv: got None; expected the path of a CSV of prices",
        ),
        (
            WHOLESALE.replace('[markets.columns]\nlmp = "energy_da_usd_per_kwh"', ""),
            "markets.columns: got None; expected a [markets.columns] table of CSV column = "
            "price column name",
        ),
        (
            WHOLESALE.replace('lmp = "energy_da_usd_per_kwh"', ""),
            "markets.columns: got {}; expected at least one CSV column = price column name",
        ),
        (
            WHOLESALE.replace(
                'lmp = "energy_da_usd_per_kwh"',
                'a = "energy_da_usd_per_kwh"\nb = "energy_da_usd_per_kwh"',
            ),
            "markets.columns.a: got 'energy_da_usd_per_kwh'; expected a name mapped only once",
        ),
    ],
)
def test_config_errors_say_key_value_and_what_was_expected(tmp_path, markets, message):
    """Each message written out by hand: the converter's (types, unknown and missing keys)
    and the reader's and MarketsConfig's (presets, ranges, cross-field rules)."""
    (tmp_path / "prices.csv").write_text("time,lmp\n2024-03-01T00:00-08:00,20.0\n")
    raw = tomllib.loads("[markets]\n" + markets)["markets"]
    with pytest.raises(InputError) as err:
        markets_from_table(raw, base_dir=tmp_path)
    assert str(err.value) == message


def test_prices_that_do_not_cover_the_period_are_refused_before_any_solve(tmp_path):
    path = _write(
        tmp_path, energy_rate_usd_per_kwh=0.0, prices={"lmp": _two_price_day()}, markets=WHOLESALE
    )
    frame = pd.read_csv(tmp_path / "prices.csv")
    frame.iloc[:-1].to_csv(tmp_path / "prices.csv", index=False)  # the last hour is missing
    with pytest.raises(InputError) as err:
        run_backtest(load_config(path), progress=False)
    assert err.value.field == "markets.prices_csv"
    assert "2024-03-03 23:00:00-08:00" in err.value.expected
    frame.rename(columns={"lmp": "price"}).to_csv(tmp_path / "prices.csv", index=False)
    with pytest.raises(InputError) as err:
        run_backtest(load_config(path), progress=False)
    assert err.value.field == "markets.prices_csv"
    assert "lmp" in err.value.expected


def _product(name: str, direction: Direction, duration_h: float) -> Product:
    return Product(
        name=name,
        direction=direction,
        price_column=f"{name}_usd_per_kw_h",
        duration_h=duration_h,
        deployed_energy_fraction=0.0,
    )


PRODUCTS = (
    _product("up", Direction.UP, 0.5),
    _product("down", Direction.DOWN, 0.5),
    _product("sym", Direction.SYMMETRIC, 1.0),
)
BATTERY = Battery(power_kw=10.0, energy_kwh=20.0, soc_min_fraction=0.1, soc_max_fraction=0.9)


@settings(max_examples=30)
@given(
    power_kw=st.floats(-10.0, 10.0),
    soc_kwh=st.tuples(st.floats(2.0, 18.0), st.floats(2.0, 18.0)),
    awards_kw=st.tuples(*[st.floats(0.0, 25.0)] * 3),
    price=st.floats(0.0, 0.05),
)
def test_honoured_awards_fit_the_actual_plant_and_are_withheld_only_if_needed(
    power_kw, soc_kwh, awards_kw, price
):
    # One 15-min interval; the plant charged (power < 0) or discharged (power > 0).
    index = pd.date_range("2024-03-01", periods=2, freq="15min", tz=TZ)
    charge, discharge = max(-power_kw, 0.0), max(power_kw, 0.0)
    intervals = pd.DataFrame(
        {
            "charge_kw": [charge] * 2,
            "discharge_kw": [discharge] * 2,
            "soc_start_kwh": [soc_kwh[0]] * 2,
            "soc_end_kwh": [soc_kwh[1]] * 2,
            **{f"{p.name}_award_kw": [a] * 2 for p, a in zip(PRODUCTS, awards_kw, strict=True)},
        },
        index=index,
    )
    prices = MarketPrices(
        frame=pd.DataFrame({p.price_column: price for p in PRODUCTS}, index=index)
    )
    markets = MarketsConfig(
        prices_csv=Path(__file__),  # any existing file: only settlement is exercised
        columns=tuple(
            PriceColumn(source=p.name, name=p.price_column, unit=PriceUnit.USD_PER_KWH)
            for p in PRODUCTS
        ),
        iso="test",
        products=PRODUCTS,
    )
    revenue, columns = settle_markets(
        intervals=intervals, prices=prices, markets=markets, battery=BATTERY
    )
    up, down, sym = (columns[f"{p.name}_honoured_kw"].iloc[0] for p in PRODUCTS)
    tol = 1e-9
    # the shared rows (module docstring of sims.markets) hold for what is honoured
    assert discharge - charge + up + sym <= 10.0 + 1e-6
    assert charge - discharge + down + sym <= 10.0 + 1e-6
    for soc in soc_kwh:
        assert 0.95 * (soc - 2.0) >= 0.5 * up + 1.0 * sym - 1e-6
        assert (18.0 - soc) / 0.95 >= 0.5 * down + 1.0 * sym - 1e-6
    for p, award in zip(PRODUCTS, awards_kw, strict=True):
        honoured = columns[f"{p.name}_honoured_kw"].to_numpy()
        assert np.all(honoured >= -tol) and np.all(honoured <= award + tol)
        np.testing.assert_allclose(honoured + columns[f"{p.name}_shortfall_kw"], award)
        # paid on what is honoured: price x kW x 0.25 h, two intervals
        assert revenue[p.name] == pytest.approx(2 * 0.25 * price * honoured[0], abs=1e-12)
    # nothing is withheld when the awards as planned already fit
    a_up, a_down, a_sym = awards_kw
    fits = (
        discharge - charge + a_up + a_sym <= 10.0
        and charge - discharge + a_down + a_sym <= 10.0
        and all(0.95 * (s - 2.0) >= 0.5 * a_up + a_sym for s in soc_kwh)
        and all((18.0 - s) / 0.95 >= 0.5 * a_down + a_sym for s in soc_kwh)
    )
    if fits:
        assert (up, down, sym) == pytest.approx(awards_kw, abs=1e-9)
