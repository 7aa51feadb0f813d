"""Market volume caps: a binding cap limits the award and the revenue exactly as a hand LP says."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import InputError
from markets.prices import MarketPrices
from markets.products import Direction, Product
from markets.tariff import Tariff
from markets.volume_caps import VolumeCap
from optimizer.battery import Battery
from optimizer.dispatch import optimize_dispatch
from optimizer.state import TerminalMode, TerminalSoc
from optimizer.streams.capacity import CapacityStream, award_column, capacity_streams

FOM = Tariff(name="front of the meter")
INDEX = pd.date_range("2024-07-01", periods=3, freq="1h", tz="America/Los_Angeles")
# 95 % each way, SOC window 0-100 %, starts and must end at 2000 kWh. The site cannot import
# (and has no load or PV), so the battery cannot charge; with the SOC fixed at the end it
# cannot discharge either: c = d = 0 and only the awards move, which keeps the hand LP small.
BATTERY = Battery(power_kw=1000, energy_kwh=4000, import_limit_kw=0.0)


def _product(name: str, duration_h: float = 1.0) -> Product:
    return Product(
        name=name,
        direction=Direction.UP,
        price_column=f"{name}_usd_per_kw_h",
        duration_h=duration_h,
        deployed_energy_fraction=0.0,
    )


def _solve(streams, **prices):
    frame = pd.DataFrame(prices, index=INDEX)
    market = MarketPrices(frame=frame)
    return optimize_dispatch(
        battery=BATTERY,
        tariff=FOM,
        load_kw=pd.Series(0.0, index=INDEX),
        initial_soc_fraction=0.5,
        terminal=TerminalSoc(mode=TerminalMode.FIXED),
        streams=streams,
        stream_inputs={s.name: market for s in streams},
    )


def test_binding_share_of_requirement_cap_limits_award_and_revenue():
    # Hand LP per hour: max 0.02 a  s.t.  a <= P_d = 1000 (headroom),
    # 1 h x a <= 0.95 x (2000 - 0) = 1900 (energy), a <= cap.
    # Uncapped: a = 1000, revenue 3 h x 1000 x 0.02 = 60 $.
    # Cap = 0.001 x 400 MW = 400 kW: a = 400, revenue 3 x 400 x 0.02 = 24 $.
    reg = _product("reg_up")
    free = _solve([CapacityStream(reg)], reg_up_usd_per_kw_h=[0.02] * 3)
    assert free.schedule[award_column("reg_up")].tolist() == pytest.approx([1000.0] * 3)
    assert -free.value_by_stream_usd["reg_up"] == pytest.approx(60.0, abs=1e-6)
    cap = VolumeCap(requirement_share_fraction=0.001, requirement_kw=400_000.0)
    capped = _solve([CapacityStream(reg, volume_cap=cap)], reg_up_usd_per_kw_h=[0.02] * 3)
    assert capped.schedule[award_column("reg_up")].tolist() == pytest.approx([400.0] * 3)
    assert -capped.value_by_stream_usd["reg_up"] == pytest.approx(24.0, abs=1e-6)


def test_capped_product_frees_headroom_for_the_next_one():
    # Hand LP per hour: max 0.02 a + 0.01 b  s.t.  a + b <= 1000 (shared up headroom),
    # 1 h x (a + b) <= 1900 (shared energy), a <= 300 (cap).  Optimum a = 300, b = 700:
    # revenue 3 x (300 x 0.02 + 700 x 0.01) = 39 $ (reg 18, spin 21).
    streams = capacity_streams(
        [_product("reg_up"), _product("spin")],
        volume_caps={"reg_up": VolumeCap(max_award_kw=300.0)},
    )
    result = _solve(streams, reg_up_usd_per_kw_h=[0.02] * 3, spin_usd_per_kw_h=[0.01] * 3)
    assert result.schedule[award_column("reg_up")].tolist() == pytest.approx([300.0] * 3)
    assert result.schedule[award_column("spin")].tolist() == pytest.approx([700.0] * 3)
    assert -result.value_by_stream_usd["reg_up"] == pytest.approx(18.0, abs=1e-6)
    assert -result.value_by_stream_usd["spin"] == pytest.approx(21.0, abs=1e-6)


def test_a_cap_above_what_the_battery_can_hold_changes_nothing():
    # Duration 4 h: the energy row a x 4 <= 1900 binds at a = 475 kW; a cap of 600 is slack.
    reg = _product("reg_up", duration_h=4.0)
    cap = VolumeCap(max_award_kw=600.0)
    result = _solve([CapacityStream(reg, volume_cap=cap)], reg_up_usd_per_kw_h=[0.02] * 3)
    assert result.schedule[award_column("reg_up")].tolist() == pytest.approx([475.0] * 3)


def test_volume_cap_takes_the_smaller_cap_and_validates():
    both = VolumeCap(max_award_kw=250.0, requirement_share_fraction=0.01, requirement_kw=20_000.0)
    assert both.award_cap_kw == 200.0  # 0.01 x 20 MW = 200 kW < 250 kW
    with pytest.raises(InputError, match="requirement_kw"):
        VolumeCap(requirement_share_fraction=0.01)
    with pytest.raises(InputError, match="fraction"):
        VolumeCap(requirement_share_fraction=1.5, requirement_kw=1.0)
    with pytest.raises(InputError, match="max_award_kw"):
        VolumeCap()
    with pytest.raises(InputError, match="volume_caps"):
        capacity_streams([_product("reg_up")], volume_caps={"spin": VolumeCap(max_award_kw=1.0)})


def _markets_table(tmp_path, caps: dict) -> dict:
    """A ``[markets]`` table offering ERCOT's reg_up with the volume caps ``caps``."""
    (tmp_path / "p.csv").write_text("timestamp,REGUP\n2024-07-01T00:00Z,5.0\n")
    return {
        "prices_csv": "p.csv",
        "iso": "ERCOT",
        "products": ["reg_up"],
        "columns": {"REGUP": "reg_up_usd_per_kw_h"},
        "assumptions": {"deployed_energy_price_column": "none"},
        "volume_caps": caps,
    }


def test_backtest_config_converts_mw_and_carries_the_caps_into_the_streams(tmp_path):
    from sims.markets import market_streams, markets_from_table

    caps = {"reg_up": {"requirement_share_fraction": 0.5, "requirement_mw": 0.2}}
    markets = markets_from_table(_markets_table(tmp_path, caps), base_dir=tmp_path)
    assert markets.volume_caps["reg_up"].requirement_kw == pytest.approx(200.0)  # 0.2 MW
    (stream,) = market_streams(markets)
    assert stream.volume_cap.award_cap_kw == pytest.approx(100.0)  # half of 0.2 MW


@pytest.mark.parametrize(
    ("caps", "message"),
    [
        (
            {"reg_down": {"max_award_kw": 1.0}},
            "markets.volume_caps.reg_down: got 'reg_down'; "
            "expected one of the offered products ['reg_up']",
        ),
        (
            {"reg_up": {"max_mw": 1.0}},
            "markets.volume_caps.reg_up.max_mw: got 1.0; expected one of the keys "
            "['max_award_kw', 'requirement_mw', 'requirement_share_fraction']",
        ),
        (
            {"reg_up": {"requirement_share_fraction": 0.1, "requirement_mw": -4.0}},
            "markets.volume_caps.reg_up.requirement_mw: got -4.0; expected a number > 0",
        ),
        (
            {"reg_up": {"requirement_share_fraction": 0.1}},
            "markets.volume_caps.reg_up.requirement_mw: got None; expected both "
            "requirement_share_fraction and requirement_mw, or neither",
        ),
        (
            {"reg_up": {}},
            "markets.volume_caps.reg_up: got {}; expected max_award_kw, or "
            "requirement_share_fraction with requirement_mw",
        ),
        (
            {"reg_up": {"max_award_kw": "250"}},
            "markets.volume_caps.reg_up.max_award_kw: got '250'; expected a finite number",
        ),
        (
            {"reg_up": 250.0},
            "markets.volume_caps.reg_up: got 250.0; expected a table of the keys "
            "['max_award_kw', 'requirement_mw', 'requirement_share_fraction']",
        ),
    ],
)
def test_config_errors_name_the_toml_key(tmp_path, caps, message):
    from sims.markets import markets_from_table

    with pytest.raises(InputError) as caught:
        markets_from_table(_markets_table(tmp_path, caps), base_dir=tmp_path)
    assert str(caught.value) == message
