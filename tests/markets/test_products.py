"""Products as data and the ISO presets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from markets.iso_presets import PRESETS, IsoPreset, ercot, pjm, preset, spp
from markets.prices import ENERGY_RT, MarketPrices
from markets.products import Direction, PayForPerformance, Product, check_products


def _prices(**columns):
    n = len(next(iter(columns.values())))
    index = pd.date_range("2024-07-01", periods=n, freq="1h", tz="America/New_York")
    return MarketPrices(frame=pd.DataFrame(columns, index=index))


def test_direction_coverage():
    assert Direction.UP.covers_up and not Direction.UP.covers_down
    assert Direction.DOWN.covers_down and not Direction.DOWN.covers_up
    assert Direction.SYMMETRIC.covers_up and Direction.SYMMETRIC.covers_down


def test_pjm_style_revenue_rate_by_hand():
    # PJM M28: credit per MW-h = RMCCP x score + RMPCP x mileage ratio x score.
    # RMCCP 10 $/MW/h = 0.010 $/kW/h; RMPCP 2 $/dMW = 0.002 $/kW; ratio 3; score 0.9:
    # 0.010 x 0.9 + 0.002 x 3 x 0.9 = 0.009 + 0.0054 = 0.0144 $/kW/h.
    product = Product(
        name="reg",
        direction=Direction.SYMMETRIC,
        price_column="reg_usd_per_kw_h",
        duration_h=0.5,
        deployed_energy_fraction=0.1,
        pay_for_performance=PayForPerformance(
            mileage_price_column="reg_mileage_usd_per_kw",
            mileage_kw_per_kw_h=3.0,
            performance_score_fraction=0.9,
            score_applies_to_capacity=True,
        ),
    )
    prices = _prices(reg_usd_per_kw_h=[0.010, 0.0], reg_mileage_usd_per_kw=[0.002, 0.001])
    rate = product.revenue_rate_usd_per_kw_h(prices)
    # second hour: 0 + 0.001 x 3 x 0.9 = 0.0027
    np.testing.assert_allclose(rate, [0.0144, 0.0027])


def test_caiso_style_score_only_on_mileage_by_hand():
    # capacity 0.010 unscaled + mileage 0.002 x multiplier 1.5 x accuracy 0.8 = 0.0124.
    product = Product(
        name="reg_up",
        direction=Direction.UP,
        price_column="reg_up_usd_per_kw_h",
        duration_h=1.0,
        deployed_energy_fraction=0.1,
        pay_for_performance=PayForPerformance(
            mileage_price_column="reg_up_mileage_usd_per_kw",
            mileage_kw_per_kw_h=1.5,
            performance_score_fraction=0.8,
        ),
    )
    prices = _prices(reg_up_usd_per_kw_h=[0.010], reg_up_mileage_usd_per_kw=[0.002])
    np.testing.assert_allclose(product.revenue_rate_usd_per_kw_h(prices), [0.0124])


def test_capacity_only_rate_is_the_price_column():
    product = ercot().product("ecrs")
    prices = _prices(ecrs_usd_per_kw_h=[0.005, 0.25], energy_rt_usd_per_kwh=[0.02, 0.03])
    np.testing.assert_allclose(product.revenue_rate_usd_per_kw_h(prices), [0.005, 0.25])
    with pytest.raises(InputError, match="ecrs"):
        product.revenue_rate_usd_per_kw_h(_prices(energy_rt_usd_per_kwh=[0.02]))


@given(
    cap=st.floats(0, 1),
    mileage=st.floats(0, 1),
    ratio=st.floats(0, 20),
    score=st.floats(0, 1),
)
def test_rate_is_monotone_in_score_and_bounded_by_unscored(cap, mileage, ratio, score):
    def make(s: float) -> Product:
        return Product(
            name="reg",
            direction=Direction.SYMMETRIC,
            price_column="reg_usd_per_kw_h",
            duration_h=1.0,
            deployed_energy_fraction=0.0,
            pay_for_performance=PayForPerformance(
                mileage_price_column="reg_mileage_usd_per_kw",
                mileage_kw_per_kw_h=ratio,
                performance_score_fraction=s,
                score_applies_to_capacity=True,
            ),
        )

    prices = _prices(reg_usd_per_kw_h=[cap], reg_mileage_usd_per_kw=[mileage])
    scored = make(score).revenue_rate_usd_per_kw_h(prices).iloc[0]
    perfect = make(1.0).revenue_rate_usd_per_kw_h(prices).iloc[0]
    # With the score on both parts the rate is exactly score x the perfect-score rate.
    assert scored == pytest.approx(score * (cap + mileage * ratio), rel=1e-12, abs=1e-15)
    assert scored <= perfect + 1e-15


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "Reg Up"}, "Product.name"),
        ({"price_column": "reg_up_usd_per_kwh"}, "Product.price_column"),
        ({"duration_h": 0.0}, "Product.duration_h"),
        ({"deployed_energy_fraction": 1.5}, "Product.deployed_energy_fraction"),
        ({"direction": "up"}, "Product.direction"),
        ({"deployed_energy_price_column": "reg_up_usd_per_kw_h"}, "deployed_energy_price"),
    ],
)
def test_product_validation_names_the_field(kwargs, field):
    base = {
        "name": "reg_up",
        "direction": Direction.UP,
        "price_column": "reg_up_usd_per_kw_h",
        "duration_h": 1.0,
        "deployed_energy_fraction": 0.1,
    }
    with pytest.raises(InputError) as err:
        Product(**{**base, **kwargs})
    assert field in err.value.field or field in str(err.value)


def test_pay_for_performance_validation():
    with pytest.raises(InputError, match="mileage"):
        PayForPerformance(mileage_price_column="reg_usd_per_kw_h", mileage_kw_per_kw_h=1.0)
    with pytest.raises(InputError):
        PayForPerformance(
            mileage_price_column="reg_mileage_usd_per_kw",
            mileage_kw_per_kw_h=1.0,
            performance_score_fraction=1.2,
        )


def test_check_products_rejects_repeats_and_missing_prices():
    p = ercot().product("reg_up")
    with pytest.raises(InputError, match="only once"):
        check_products([p, p])
    with pytest.raises(InputError, match="reg_up_usd_per_kw_h"):
        check_products([p], _prices(energy_rt_usd_per_kwh=[0.01]))
    check_products([p], _prices(reg_up_usd_per_kw_h=[0.01], energy_rt_usd_per_kwh=[0.01]))


def test_every_preset_builds_with_sources():
    for name, make in PRESETS.items():
        iso = make()
        assert isinstance(iso, IsoPreset)
        assert iso.products, name
        for product in iso.products:
            assert product.rule_source, (name, product.name)
            assert product.price_column == f"{product.name}_usd_per_kw_h"


def test_ercot_rules():
    iso = preset("ERCOT")
    durations = {p.name: p.duration_h for p in iso.products}
    # NPRR1096: Non-Spin 4 h; NPRR1282/1339: ECRS 1 h; Reg and RRS 30 min under RTC+B.
    assert durations == {"reg_up": 0.5, "reg_down": 0.5, "rrs": 0.5, "ecrs": 1.0, "nonspin": 4.0}
    # capacity-only regulation: no mileage anywhere in ERCOT
    assert all(p.pay_for_performance is None for p in iso.products)
    assert iso.product("reg_up").direction is Direction.UP
    assert iso.product("reg_down").direction is Direction.DOWN


def test_caiso_separate_regulation_with_mileage():
    iso = preset("caiso")
    up, down = iso.product("reg_up"), iso.product("reg_down")
    assert (up.direction, down.direction) == (Direction.UP, Direction.DOWN)
    assert up.pay_for_performance.mileage_price_column == "reg_up_mileage_usd_per_kw"
    assert down.pay_for_performance.mileage_price_column == "reg_down_mileage_usd_per_kw"
    assert not up.pay_for_performance.score_applies_to_capacity
    assert iso.product("spin").duration_h == 0.5
    assert preset("caiso", regulation_duration_h=0.5).product("reg_up").duration_h == 0.5


def test_pjm_symmetric_regulation_scores_both_parts():
    iso = pjm(mileage_ratio=2.5, performance_score_fraction=0.92)
    reg = iso.product("reg")
    assert reg.direction is Direction.SYMMETRIC
    assert reg.pay_for_performance.score_applies_to_capacity
    assert reg.pay_for_performance.mileage_kw_per_kw_h == 2.5
    assert reg.pay_for_performance.performance_score_fraction == 0.92
    assert [p.direction for p in iso.products].count(Direction.SYMMETRIC) == 1


def test_other_presets_and_lookup():
    # RTO Insider, NYISO BIC briefs 2021-05-10: the Regulation Movement Multiplier went 13 -> 8
    assert preset("nyiso").product("reg").pay_for_performance.mileage_kw_per_kw_h == 8.0
    assert preset("ISO-NE").iso == "ISO-NE"
    assert preset("miso").product("reg").direction is Direction.SYMMETRIC
    assert spp().product("reg_up").pay_for_performance is None
    # with mileage: the documented defaults, 1.0 kW of mileage per kW-h and a score of 1.0,
    # on both regulation products; an explicit mileage is carried through as given
    for name in ("reg_up", "reg_down"):
        pfp = spp(include_mileage=True).product(name).pay_for_performance
        assert pfp is not None
        assert pfp.mileage_kw_per_kw_h == 1.0 and pfp.performance_score_fraction == 1.0
    pfp = spp(include_mileage=True, mileage_kw_per_kw_h=3.0).product("reg_down").pay_for_performance
    assert pfp.mileage_kw_per_kw_h == 3.0
    assert spp(mileage_kw_per_kw_h=3.0).product("reg_down").pay_for_performance is None
    assert spp(deployed_energy_price_column=None).required_columns == (
        "reg_up_usd_per_kw_h",
        "reg_down_usd_per_kw_h",
        "spin_usd_per_kw_h",
        "supp_usd_per_kw_h",
    )
    assert ENERGY_RT in spp().required_columns
    with pytest.raises(InputError, match="one of"):
        preset("aemo")
    with pytest.raises(InputError):
        preset("pjm", performance_score_fraction=1.5)
    with pytest.raises(InputError, match="one of"):
        ercot().product("fast_frequency")
