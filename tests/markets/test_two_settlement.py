"""Two-settlement energy: the identity at equal prices, a hand case, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from markets.two_settlement import settle_two


def _series(values, freq="15min"):
    index = pd.date_range("2024-06-01", periods=len(values), freq=freq, tz="America/Chicago")
    return pd.Series(np.asarray(values, dtype=float), index=index)


@given(
    st.lists(
        st.tuples(st.floats(-1000, 1000), st.floats(-1000, 1000), st.floats(-0.5, 5.0)),
        min_size=1,
        max_size=30,
    )
)
def test_identity_when_day_ahead_equals_real_time_prices(rows):
    position, delivered, price = (list(c) for c in zip(*rows, strict=True))
    result = settle_two(
        da_position_kw=_series(position),
        delivered_kw=_series(delivered),
        da_price_usd_per_kwh=_series(price),
        rt_price_usd_per_kwh=_series(price),
    )
    # real-time revenue of the delivered energy, computed directly
    rt_of_delivered = sum(p * q * 0.25 for p, q in zip(price, delivered, strict=True))
    scale = 1.0 + sum(
        abs(p) * (abs(a) + abs(b)) for p, a, b in zip(price, position, delivered, strict=True)
    )
    assert result.total_usd == pytest.approx(rt_of_delivered, abs=1e-9 * scale)


def test_hand_case_with_different_prices():
    # Two hours (hourly index). Hour 1: sold 1,000 kW DA at $30/MWh, delivered 800 kW,
    # RT $100/MWh: DA 1,000 * 0.030 = $30; deviation -200 kW * 0.100 = -$20.
    # Hour 2: bought 500 kW DA (position -500) at $20/MWh, delivered -500 (as planned),
    # RT -$10/MWh: DA -500 * 0.020 = -$10; deviation 0.
    # DA total $20, RT deviation -$20, total $0.
    result = settle_two(
        da_position_kw=_series([1000, -500], freq="1h"),
        delivered_kw=_series([800, -500], freq="1h"),
        da_price_usd_per_kwh=_series([0.030, 0.020], freq="1h"),
        rt_price_usd_per_kwh=_series([0.100, -0.010], freq="1h"),
    )
    assert result.da_revenue_usd == pytest.approx(20.0)
    assert result.rt_deviation_usd == pytest.approx(-20.0)
    assert result.total_usd == pytest.approx(0.0, abs=1e-12)
    assert result.intervals["deviation_kw"].tolist() == [-200.0, 0.0]


def test_misaligned_input_is_named():
    with pytest.raises(InputError, match="delivered_kw"):
        settle_two(
            da_position_kw=_series([1.0, 2.0]),
            delivered_kw=_series([1.0]),
            da_price_usd_per_kwh=_series([1.0, 1.0]),
            rt_price_usd_per_kwh=_series([1.0, 1.0]),
        )
    with pytest.raises(InputError, match="rt_price_usd_per_kwh"):
        settle_two(
            da_position_kw=_series([1.0, 2.0]),
            delivered_kw=_series([1.0, 2.0]),
            da_price_usd_per_kwh=_series([1.0, 1.0]),
            rt_price_usd_per_kwh=_series([1.0, np.nan]),
        )
