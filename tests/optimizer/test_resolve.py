"""Re-solving one DispatchModel: same results as fresh solves, no rebuild, no shared state."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from pyomo.contrib.solver.solvers.highs import Highs

from markets.tariff import DemandRatchet, EnergyCharges, EnergyTier, ExportMode
from optimizer import (
    Battery,
    DispatchModel,
    MonthToDate,
    TerminalMode,
    TerminalSoc,
    optimize_dispatch,
)
from tests.optimizer.helpers import TZ, energy_charges, flat_demand, tariff, tou_demand

BATTERY = Battery(power_kw=40, energy_kwh=120, degradation_cost_usd_per_kwh=0.01)
TARIFF = tariff(
    energy=energy_charges([0.12, 0.35], lambda h: 1 if 16 <= h <= 20 else 0, sells=[0.03, 0.05]),
    flat=flat_demand(14.0),
    tou=tou_demand([0.0, 9.0], lambda h: 1 if 16 <= h <= 20 else 0),
    export=ExportMode.SELL_RATE,
)
N = 96  # 24 h at 15 min


def window(start: str, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    index = pd.date_range(pd.Timestamp(start, tz=TZ), periods=N, freq="15min")
    hours = index.hour + index.minute / 60
    load = 60 + 30 * np.sin(hours / 24 * 2 * np.pi) + rng.uniform(0, 25, N)
    pv = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None) * rng.uniform(40, 90)
    return {
        "load_kw": pd.Series(load, index=index),
        "pv_kw": pd.Series(pv, index=index),
        "initial_soc_fraction": float(rng.uniform(0.1, 0.9)),
        "month_to_date": MonthToDate(
            flat_peak_kw=float(rng.uniform(0, 90)), tou_peak_kw=(0.0, float(rng.uniform(0, 80)))
        ),
    }


# Windows in different months, one crossing a month boundary, one across the DST change.
CASES = [("2024-05-07 00:00", 1), ("2024-05-31 12:00", 2), ("2024-11-02 06:00", 3)]


@pytest.fixture(scope="module")
def fresh_results():
    return [
        optimize_dispatch(battery=BATTERY, tariff=TARIFF, mip_rel_gap=1e-9, **window(s, k))
        for s, k in CASES
    ]


def test_resolves_match_fresh_solves(fresh_results):
    model = DispatchModel(battery=BATTERY, tariff=TARIFF, n_steps=N, freq="15min", mip_rel_gap=1e-9)
    for (start, seed), fresh in zip(CASES * 2, fresh_results * 2, strict=True):
        again = model.solve(**window(start, seed))
        assert again.objective_usd == pytest.approx(fresh.objective_usd, rel=1e-7)
        for name, value in fresh.value_by_stream_usd.items():
            # Per stream too: these cases have a unique optimal split between the streams
            # (a MILP with several optimal schedules could differ here, not in the total).
            assert again.value_by_stream_usd[name] == pytest.approx(value, rel=1e-6, abs=1e-6)


def test_resolve_pushes_parameters_without_rebuilding(monkeypatch):
    model = DispatchModel(battery=BATTERY, tariff=TARIFF, n_steps=N, freq="15min")
    calls = []
    original = Highs.set_instance

    def counting(self, m):
        calls.append(m)
        return original(self, m)

    monkeypatch.setattr(Highs, "set_instance", counting)
    highs = model._solver.highs
    n_rows, n_cols = highs.getNumRow(), highs.getNumCol()
    for start, seed in CASES:
        model.solve(**window(start, seed))
    assert calls == []
    assert (highs.getNumRow(), highs.getNumCol()) == (n_rows, n_cols)
    assert model._solver.highs is highs


def test_two_instances_never_share_state(fresh_results):
    first = DispatchModel(battery=BATTERY, tariff=TARIFF, n_steps=N, freq="15min", mip_rel_gap=1e-9)
    second = DispatchModel(
        battery=BATTERY, tariff=TARIFF, n_steps=N, freq="15min", mip_rel_gap=1e-9
    )
    a = first.solve(**window(*CASES[0]))
    b = second.solve(**window(*CASES[1]))
    a_again = first.solve(**window(*CASES[0]))
    assert a.objective_usd == pytest.approx(fresh_results[0].objective_usd, rel=1e-7)
    assert b.objective_usd == pytest.approx(fresh_results[1].objective_usd, rel=1e-7)
    assert a_again.objective_usd == pytest.approx(a.objective_usd, rel=1e-7)
    assert first._model is not second._model


def test_terminal_mode_can_change_between_solves():
    # FIXED, then VALUED, then MINIMUM on the same model: each matches a fresh solve.
    model = DispatchModel(battery=BATTERY, tariff=TARIFF, n_steps=N, freq="15min", mip_rel_gap=1e-9)
    data = window(*CASES[0])
    for terminal in (
        TerminalSoc(mode=TerminalMode.FIXED, soc_fraction=0.9),
        TerminalSoc(mode=TerminalMode.VALUED, value_usd_per_kwh=0.2),
        TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.3),
    ):
        again = model.solve(terminal=terminal, **data)
        fresh = optimize_dispatch(
            battery=BATTERY, tariff=TARIFF, terminal=terminal, mip_rel_gap=1e-9, **data
        )
        assert again.objective_usd == pytest.approx(fresh.objective_usd, rel=1e-7)
        if terminal.mode is TerminalMode.FIXED:
            assert again.schedule["soc_kwh"].iloc[-1] == pytest.approx(108.0, rel=1e-7)


def _tiered_tou_energy():
    base = energy_charges([0.10, 0.25], lambda h: 1 if 16 <= h <= 20 else 0)
    periods = tuple(
        (
            EnergyTier(max_kwh=1500.0, rate_usd_per_kwh=tiers[0].rate_usd_per_kwh),
            EnergyTier(max_kwh=math.inf, rate_usd_per_kwh=tiers[0].rate_usd_per_kwh + 0.04),
        )
        for tiers in base.periods
    )
    return EnergyCharges(
        periods=periods,
        weekday_schedule=base.weekday_schedule,
        weekend_schedule=base.weekend_schedule,
    )


OTHER_TARIFFS = {
    # Net metering with a ratcheted flat demand charge.
    "net_metering_ratchet": tariff(
        energy=energy_charges(
            [0.12, 0.35], lambda h: 1 if 16 <= h <= 20 else 0, sells=[0.02, 0.04]
        ),
        flat=flat_demand(11.0),
        export=ExportMode.NET_METERING,
        ratchet=DemandRatchet(lookback_fraction=0.75, lookback_range_months=11),
    ),
    # Tiered TOU energy (common adder) with TOU demand.
    "tiered_energy_tou_demand": tariff(
        energy=_tiered_tou_energy(),
        tou=tou_demand([2.0, 9.0], lambda h: 1 if 16 <= h <= 20 else 0),
    ),
}


@pytest.mark.parametrize("name", sorted(OTHER_TARIFFS))
def test_resolves_match_fresh_solves_for_other_tariff_parts(name):
    # The re-solvable model (candidate slots, all periods) and the one-shot model (each step's
    # own groups only) are built differently; both must reach the same optimum.
    t = OTHER_TARIFFS[name]
    model = DispatchModel(battery=BATTERY, tariff=t, n_steps=N, freq="15min", mip_rel_gap=1e-9)
    for start, seed in CASES:
        data = window(start, seed)
        data["month_to_date"] = MonthToDate(
            flat_peak_kw=50.0,
            ratchet_peak_kw=120.0,
            tou_peak_kw=(10.0, 40.0) if t.tou_demand is not None else (),
            import_kwh_by_period=(800.0, 300.0),
            export_kwh_by_period=(100.0, 0.0),
        )
        if t.flat_demand is None:
            data["month_to_date"] = dataclasses.replace(
                data["month_to_date"], flat_peak_kw=0.0, ratchet_peak_kw=0.0
            )
        again = model.solve(**data)
        fresh = optimize_dispatch(battery=BATTERY, tariff=t, mip_rel_gap=1e-9, **data)
        assert again.objective_usd == pytest.approx(fresh.objective_usd, rel=1e-7)


def test_relaxation_first_equals_branch_and_bound(fresh_results):
    # The LP-relaxation shortcut must give the MILP optimum found by branch and bound.
    for (start, seed), fresh in zip(CASES, fresh_results, strict=True):
        bnb = optimize_dispatch(
            battery=BATTERY,
            tariff=TARIFF,
            mip_rel_gap=1e-9,
            relaxation_first=False,
            **window(start, seed),
        )
        assert bnb.solver.relaxation_was_integral is False
        assert fresh.objective_usd == pytest.approx(bnb.objective_usd, rel=1e-7)
