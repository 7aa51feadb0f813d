"""Regulation deployment: a hand-worked 6-step signal, physical properties, pay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from optimizer.battery import Battery
from sims.deployment import _run, deploy_regulation, regulation_pay

TOL = 1e-9


def _series(values, freq="1h"):
    index = pd.date_range("2024-03-09", periods=len(values), freq=freq, tz="America/Los_Angeles")
    return pd.Series(np.asarray(values, dtype=float), index=index)


def _deploy(battery, *, charge, discharge, up, down, signal, soc0):
    return deploy_regulation(
        battery=battery,
        charge_kw=_series(charge),
        discharge_kw=_series(discharge),
        up_award_kw=_series(up),
        down_award_kw=_series(down),
        signal=np.asarray(signal, dtype=float),
        initial_soc_kwh=soc0,
    )


BATTERY = Battery(power_kw=10.0, energy_kwh=10.0, charge_efficiency=0.9, discharge_efficiency=0.9)


def test_hand_case_six_step_signal():
    # Two 1-h intervals of six 10-min sub-steps (h = 1/6 h); eta = 0.9 both ways.
    # Interval 1: base 0, up = down = 6 kW, signal [1, 1, .5, -.5, -1, 0], stored 1 kWh.
    #  step 1: asks 6 kW up; the energy allows 1 * 0.9 * 6 = 5.4 kW -> 0.1 kWh short, SOC 0
    #  steps 2, 3: asks 6 and 3 kW up with an empty battery -> 1.0 + 0.5 kWh short
    #  step 4: 3 kW down -> SOC 0.45; step 5: 6 kW down -> SOC 1.35; step 6: nothing.
    #  requested up (6+6+3)/6 = 2.5, delivered 0.9; requested down 1.5, delivered 1.5
    #  score (0.9 + 1.5) / 4.0 = 0.6; net reg energy 0.9, .9, .9, .4, -.6, -.6 -> peaks .9, .6
    #  mileage up |1-1|+|1-.5|+|.5-0| = 1.0; down |0-.5|+|.5-1|+|1-0| = 2.0
    # Interval 2: base charge 2 kW, down 9 kW, signal -1 all along: asks 11 kW charge.
    #  steps 1-5: rating 10 kW -> 1 kW short each, SOC +1.5 each: 2.85 ... 8.85
    #  step 6: room (10 - 8.85) / (0.9 / 6) = 7.6667 kW -> 3.3333 kW short, SOC 10
    #  shortfall (5 + 3.3333) / 6 = 1.38889 kWh; delivered down 9 - 1.38889 = 7.61111 kWh
    #  charge (50 + 7.6667) / 6 = 9.61111 kW
    result = _deploy(
        BATTERY,
        charge=[0, 2],
        discharge=[0, 0],
        up=[6, 0],
        down=[6, 9],
        signal=[[1, 1, 0.5, -0.5, -1, 0], [-1] * 6],
        soc0=1.0,
    )
    one, two = (row for _, row in result.intervals.iterrows())
    assert one["reg_requested_up_kwh"] == pytest.approx(2.5, abs=TOL)
    assert one["reg_delivered_up_kwh"] == pytest.approx(0.9, abs=TOL)
    assert one["reg_requested_down_kwh"] == pytest.approx(1.5, abs=TOL)
    assert one["reg_delivered_down_kwh"] == pytest.approx(1.5, abs=TOL)
    assert one["reg_shortfall_kwh"] == pytest.approx(1.6, abs=TOL)
    assert one["base_shortfall_kwh"] == pytest.approx(0.0, abs=TOL)
    assert one["score_fraction"] == pytest.approx(0.6, abs=TOL)
    assert one["discharge_kw"] == pytest.approx(0.9, abs=TOL)
    assert one["charge_kw"] == pytest.approx(1.5, abs=TOL)
    assert one["soc_end_kwh"] == pytest.approx(1.35, abs=TOL)
    assert one["max_up_drawn_kwh"] == pytest.approx(0.9, abs=TOL)
    assert one["max_down_drawn_kwh"] == pytest.approx(0.6, abs=TOL)
    assert one["up_mileage_kw_per_kw"] == pytest.approx(1.0, abs=TOL)
    assert one["down_mileage_kw_per_kw"] == pytest.approx(2.0, abs=TOL)
    assert two["reg_shortfall_kwh"] == pytest.approx(25 / 18, abs=1e-9)
    assert two["reg_delivered_down_kwh"] == pytest.approx(9 - 25 / 18, abs=1e-9)
    assert two["score_fraction"] == pytest.approx((9 - 25 / 18) / 9, abs=1e-9)
    assert two["charge_kw"] == pytest.approx((50 + 23 / 3) / 6, abs=1e-9)
    assert two["soc_end_kwh"] == pytest.approx(10.0, abs=1e-9)
    assert two["base_shortfall_kwh"] == pytest.approx(0.0, abs=TOL)
    assert result.final_soc_kwh == pytest.approx(10.0, abs=1e-9)


def test_base_schedule_short_when_the_battery_is_empty():
    # No regulation; the base asks 6 kW for 1 h from 1 kWh at eta_d 0.9: 0.9 kWh delivered
    # in the first 10-min sub-step (5.4 kW), then nothing: base shortfall 6 - 0.9 = 5.1 kWh.
    result = _deploy(
        BATTERY, charge=[0], discharge=[6], up=[0], down=[0], signal=[[0.3] * 6], soc0=1.0
    )
    row = result.intervals.iloc[0]
    assert row["base_shortfall_kwh"] == pytest.approx(5.1, abs=TOL)
    assert row["reg_shortfall_kwh"] == 0.0
    assert row["score_fraction"] == 1.0


@st.composite
def _cases(draw):
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 8))
    power = draw(st.floats(1.0, 20.0))
    energy = draw(st.floats(1.0, 40.0))
    lo = draw(st.floats(0.0, 0.4))
    hi = draw(st.floats(0.6, 1.0))
    battery = Battery(
        power_kw=power,
        energy_kwh=energy,
        charge_efficiency=draw(st.floats(0.7, 1.0)),
        discharge_efficiency=draw(st.floats(0.7, 1.0)),
        soc_min_fraction=lo,
        soc_max_fraction=hi,
        self_discharge_fraction_per_h=draw(st.sampled_from([0.0, 0.01])),
    )
    kw = st.floats(0.0, 30.0)
    lists = {
        name: draw(st.lists(kw, min_size=n, max_size=n))
        for name in ("charge", "discharge", "up", "down")
    }
    signal = draw(
        st.lists(st.lists(st.floats(-1.0, 1.0), min_size=k, max_size=k), min_size=n, max_size=n)
    )
    soc0 = draw(st.floats(lo, hi)) * energy
    return battery, lists, signal, soc0


@given(_cases())
def test_properties_bounds_ratings_balance_and_shortfall(case):
    battery, lists, signal, soc0 = case
    result = _deploy(battery, signal=signal, soc0=soc0, **lists)
    df = result.intervals
    dt_h = 1.0
    # SOC inside its window, power within its ratings (interval means bound the sub-steps)
    assert (df["soc_end_kwh"] >= battery.soc_min_kwh - 1e-9).all()
    assert (df["soc_end_kwh"] <= battery.soc_max_kwh + 1e-9).all()
    assert (df["discharge_kw"] <= battery.discharge_rating_kw + 1e-9).all()
    assert (df["charge_kw"] <= battery.charge_rating_kw + 1e-9).all()
    assert (df["charge_kw"] + df["discharge_kw"] <= max(battery.power_kw, 0) + 1e-9).all()
    # energy balance of each interval (without self-discharge it is exact)
    if battery.self_discharge_fraction_per_h == 0.0:
        change = df["soc_end_kwh"] - df["soc_start_kwh"]
        flows = (
            df["charge_kw"] * battery.charge_efficiency
            - df["discharge_kw"] / battery.discharge_efficiency
        ) * dt_h
        assert np.allclose(change, flows, atol=1e-7)
    # continuity between intervals
    assert np.allclose(df["soc_start_kwh"].iloc[1:], df["soc_end_kwh"].iloc[:-1], atol=1e-12)
    # every unfollowed request is recorded as shortfall; the score says the same
    requested = df["reg_requested_up_kwh"] + df["reg_requested_down_kwh"]
    delivered = df["reg_delivered_up_kwh"] + df["reg_delivered_down_kwh"]
    assert np.allclose(requested - delivered, df["reg_shortfall_kwh"], atol=1e-9)
    assert (df["reg_shortfall_kwh"] >= -1e-12).all()
    assert ((df["score_fraction"] >= 0) & (df["score_fraction"] <= 1 + 1e-12)).all()
    full = requested > 0
    assert np.allclose(df.loc[full, "score_fraction"], delivered[full] / requested[full], atol=1e-9)
    # where the base schedule was followed, the battery's net energy is the base plus the
    # regulation delivered (a check of the shortfall accounting against the power flows)
    base = np.asarray(lists["discharge"]) - np.asarray(lists["charge"])
    net = (df["discharge_kw"] - df["charge_kw"]).to_numpy() * dt_h
    reg = (df["reg_delivered_up_kwh"] - df["reg_delivered_down_kwh"]).to_numpy()
    followed = df["base_shortfall_kwh"].to_numpy() <= 1e-12
    assert np.allclose(net[followed], base[followed] * dt_h + reg[followed], atol=1e-7)
    # requested energy is the awards times the signal's parts, independently of the battery
    sig = np.asarray(signal, dtype=float)
    k = sig.shape[1]
    up_req = np.asarray(lists["up"]) * np.clip(sig, 0, None).sum(axis=1) / k
    assert np.allclose(df["reg_requested_up_kwh"], up_req, atol=1e-9)


@given(_cases())
def test_whole_array_path_equals_the_sub_step_loop(case):
    # The fast path (whole arrays, used when no SOC limit can bind) must give what the loop
    # gives on every interval, whichever path each interval took.
    battery, lists, signal, soc0 = case
    base = np.asarray(lists["discharge"]) - np.asarray(lists["charge"])
    sig = np.asarray(signal, dtype=float)
    request = np.asarray(lists["up"])[:, None] * np.clip(sig, 0, None) - np.asarray(lists["down"])[
        :, None
    ] * np.clip(-sig, 0, None)
    fast, soc_fast = _run(battery, 1.0, base, request, soc0, fast=True)
    slow, soc_slow = _run(battery, 1.0, base, request, soc0, fast=False)
    assert soc_fast == pytest.approx(soc_slow, abs=1e-7)
    for name, values in slow.items():
        assert np.allclose(fast[name], values, atol=1e-7), name


def test_full_following_scores_one_and_matches_the_request():
    # Plenty of room: 10 kWh stored of 40, 20 kW ratings, awards 3 kW: nothing is short.
    battery = Battery(power_kw=20.0, energy_kwh=40.0)
    result = _deploy(
        battery, charge=[0], discharge=[0], up=[3], down=[3], signal=[[0.5, -0.5]], soc0=10.0
    )
    row = result.intervals.iloc[0]
    assert row["score_fraction"] == 1.0
    assert row["reg_shortfall_kwh"] == 0.0
    # 0.5 h at 1.5 kW out then 0.5 h at 1.5 kW in, eta 0.95 both ways
    expected = 10.0 - 0.75 / 0.95 + 0.75 * 0.95
    assert row["soc_end_kwh"] == pytest.approx(expected, abs=1e-12)


def test_regulation_pay_hand_values():
    # 1 MW award for 1 h at $10/MW-h capacity and $0.5/MW mileage, mileage 4 MW/MW, score 0.8
    pay = regulation_pay(
        award_kw=np.array([1000.0]),
        dt_h=1.0,
        capacity_usd_per_kw_h=np.array([0.010]),
        score_fraction=np.array([0.8]),
        mileage_usd_per_kw=np.array([0.0005]),
        mileage_kw_per_kw=np.array([4.0]),
    )
    assert pay[0] == pytest.approx(10 * 0.8 + 0.5 * 4 * 0.8)
    unscored = regulation_pay(
        award_kw=np.array([1000.0]),
        dt_h=1.0,
        capacity_usd_per_kw_h=np.array([0.010]),
        score_fraction=np.array([0.8]),
        score_applies_to_capacity=False,
    )
    assert unscored[0] == pytest.approx(10.0)


def test_bad_input_is_named():
    with pytest.raises(InputError, match="signal"):
        _deploy(BATTERY, charge=[0], discharge=[0], up=[1], down=[1], signal=[[2.0]], soc0=1.0)
    with pytest.raises(InputError, match="signal"):
        _deploy(BATTERY, charge=[0, 0], discharge=[0, 0], up=[1, 1], down=[1, 1],
                signal=[[0.0]], soc0=1.0)  # fmt: skip
    with pytest.raises(InputError, match="initial_soc_kwh"):
        _deploy(BATTERY, charge=[0], discharge=[0], up=[1], down=[1], signal=[[0.0]], soc0=11.0)
    with pytest.raises(InputError, match="up_award_kw"):
        _deploy(BATTERY, charge=[0], discharge=[0], up=[-1], down=[1], signal=[[0.0]], soc0=1.0)
