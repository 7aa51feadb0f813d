"""The controller on hand-built cases: a stub plan and a stub forecast, so every number is known.

The stub model returns a fixed schedule (the powers the test chooses, the import they imply on
the forecast it was given), so the targets, reserves and setpoints below follow from the
controller's rules alone and are computed by hand in each test.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from control import Cadence, Controller, ControlSettings, Forecast, Horizon
from markets.tariff import Tariff
from optimizer.battery import Battery
from sims.plant import plant_step
from tests.markets.tariff_builders import flat_demand

TZ = "America/New_York"


class StubModel:
    """Schedules ``charge - discharge`` given per issue time; import = forecast + battery."""

    def __init__(self, powers: dict[pd.Timestamp, tuple[list[float], list[float]]]):
        self.powers = powers
        self.calls: list[dict] = []

    def solve(self, *, load_kw, pv_kw, initial_soc_fraction, terminal, month_to_date):
        self.calls.append({"start": load_kw.index[0], "mtd": month_to_date})
        n = len(load_kw)
        charge, discharge = self.powers.get(load_kw.index[0], ([0.0] * n, [0.0] * n))
        charge, discharge = np.asarray(charge[:n]), np.asarray(discharge[:n])
        pv = 0.0 if pv_kw is None else pv_kw.to_numpy()
        grid = load_kw.to_numpy() - pv + charge - discharge
        schedule = pd.DataFrame(
            {
                "charge_kw": charge,
                "discharge_kw": discharge,
                "soc_kwh": np.zeros(n),
                "grid_import_kw": np.maximum(grid, 0.0),
                "grid_export_kw": np.maximum(-grid, 0.0),
            },
            index=load_kw.index,
        )
        return SimpleNamespace(schedule=schedule, objective_usd=0.0, solver=None)


class StubForecast:
    """Point and high load forecasts from two series on the grid (no PV)."""

    def __init__(self, point: pd.Series, high: pd.Series):
        self.point, self.high = point, high

    def forecast(self, now, horizon):
        steps = horizon[horizon <= self.point.index[-1]]
        return Forecast(
            index=steps,
            load_kw=self.point.loc[steps].to_numpy(),
            load_high_kw=self.high.loc[steps].to_numpy(),
        )


def _controller(battery, index, point, high, powers, **settings):
    model = StubModel(powers)
    controller = Controller(
        battery=battery,
        tariff=Tariff(name="flat demand", flat_demand=flat_demand(10.0)),
        step=index[1] - index[0],
        forecast=StubForecast(pd.Series(point, index=index), pd.Series(high, index=index)),
        model_factory=lambda n: model,
        settings=ControlSettings(**{"replan_on_events": False, **settings}),
    )
    return controller, model


def _lossless(power_kw: float, energy_kwh: float) -> Battery:
    return Battery(
        power_kw=power_kw, energy_kwh=energy_kwh, charge_efficiency=1.0, discharge_efficiency=1.0
    )


def test_the_target_rises_to_what_the_stored_energy_can_hold():
    # the plan discharges 30 kW for two hours on a 130 kW forecast: its peak is 100 kW.
    # Holding 100 needs 60 kWh but only 10 are stored. The least target it can hold:
    # 2 h x (130 - T) = 10 kWh -> T = 125 kW.
    index = pd.date_range("2024-03-05 00:00", periods=2, freq="1h", tz=TZ)
    controller, _ = _controller(
        _lossless(100, 40),
        index,
        [130.0, 130.0],
        [130.0, 130.0],
        {index[0]: ([0.0, 0.0], [30.0, 30.0])},
        lookahead_h=2,
        plan_on_high=False,
    )
    setpoint = controller.step(index[0], load_kw=130.0, soc_kwh=10.0)
    target = setpoint.target_kw
    assert 125.0 <= target <= 125.05  # bisection to 0.05 kW, on the feasible side
    # the raise is today's only: the month's target stays the plan's peak
    assert controller.targets_kw == {(2024 * 12 + 3, "flat", 0): pytest.approx(100.0)}
    # held, and the plan's arbitrage only from what the next hour's 130 - T kWh leaves
    assert setpoint.discharge_kw >= 130.0 - target
    assert setpoint.discharge_kw == pytest.approx(10.0 - (130.0 - target))


def test_the_reserve_is_held_against_the_plans_arbitrage():
    # 4 h, 100 kWh stored. The plan sells 80 kW in hour 0 (arbitrage) on a flat 50 kW forecast
    # (so its peak, the target, is 50, which the point forecast needs no energy to hold). The
    # high scenario has 190 kW in hour 3: holding 50 there takes the whole 100 kW rating for
    # the hour, 100 kWh, and nothing refills in between (the charging ceiling is the plan's own
    # 50 kW import): all 100 kWh are the reserve and the arbitrage is not done. When 190 kW
    # comes, the battery discharges its 100 kW: the meter reads 90.
    index = pd.date_range("2024-03-05 00:00", periods=4, freq="1h", tz=TZ)
    point, high = [50.0] * 4, [50.0, 50.0, 50.0, 190.0]
    powers = {index[0]: ([0.0] * 4, [80.0, 0.0, 0.0, 0.0])}
    battery = _lossless(100, 100)
    controller, _ = _controller(
        battery,
        index,
        point,
        high,
        powers,
        lookahead_h=4,
        plan_on_high=False,
        lower_provisional=False,
    )
    actual = [50.0, 50.0, 50.0, 190.0]
    soc, grid = 100.0, []
    for k, now in enumerate(index):
        sp = controller.step(now, load_kw=actual[k], soc_kwh=soc)
        if k == 0:
            assert sp.target_kw == 50.0
            assert sp.reserve_kwh == pytest.approx(100.0)
            assert sp.discharge_kw == 0.0
        c, d, _, g, soc = plant_step(
            battery,
            1.0,
            load=actual[k],
            pv=0.0,
            charge_sp=sp.charge_kw,
            discharge_sp=sp.discharge_kw,
            soc=soc,
        )
        controller.record(now, grid_kw=g)
        grid.append(g)
    assert max(grid) == pytest.approx(90.0)


def test_a_peak_above_the_target_raises_it_and_asks_for_a_plan():
    index = pd.date_range("2024-03-05 00:00", periods=8, freq="15min", tz=TZ)
    battery = _lossless(10, 10)
    controller, model = _controller(
        battery,
        index,
        [50.0] * 8,
        [50.0] * 8,
        {},
        lookahead_h=2,
        replan_on_events=True,
        intraday_guard=False,  # the guard would give 50 up for the day (tests/control/test_intraday)
    )
    sp = controller.step(index[0], load_kw=80.0, soc_kwh=0.0)  # empty: cannot hold 50
    assert sp.target_kw == 50.0 and sp.discharge_kw == 0.0
    controller.record(index[0], grid_kw=80.0)
    assert controller.targets_kw[(2024 * 12 + 3, "flat", 0)] == 80.0  # paid for now
    for k in (1, 2, 3):  # within the event gap (an hour): no plan
        controller.step(index[k], load_kw=50.0, soc_kwh=0.0)
        controller.record(index[k], grid_kw=50.0)
    assert len(model.calls) == 1
    controller.step(index[4], load_kw=50.0, soc_kwh=0.0)  # an hour on: the event plan
    assert [row["reason"] for row in controller.plans] == ["start", "peak"]
    assert model.calls[-1]["mtd"].flat_peak_kw == 80.0


def test_a_new_billing_month_starts_from_zero_and_forgets_the_old_targets():
    index = pd.date_range("2024-03-31 22:00", periods=4, freq="1h", tz=TZ)
    battery = _lossless(10, 10)
    controller, model = _controller(
        battery,
        index,
        [60.0, 60.0, 40.0, 40.0],
        [60.0] * 2 + [40.0] * 2,
        {},
        lookahead_h=4,
        cadence=Cadence.DAILY,
    )
    soc = 5.0
    for k, now in enumerate(index):
        sp = controller.step(now, load_kw=[70.0, 60.0, 40.0, 40.0][k], soc_kwh=soc)
        controller.record(now, grid_kw=[70.0, 60.0, 40.0, 40.0][k] - sp.discharge_kw)
    march, april = 2024 * 12 + 3, 2024 * 12 + 4
    # the plan at local midnight of April 1 (the daily cadence) measured an empty month
    assert [c["start"] for c in model.calls] == [index[0], index[2]]
    assert model.calls[1]["mtd"].flat_peak_kw == 0.0
    assert set(controller.targets_kw) == {(april, "flat", 0)}
    assert controller.targets_kw[(april, "flat", 0)] == 40.0
    assert march not in {key[0] for key in controller.peaks_kw}


def test_month_horizon_plans_to_the_end_of_the_billing_month():
    # 2024-03-30 00:00 to April 1 00:00 is 47 h (DST was on March 10: no change here)
    index = pd.date_range("2024-03-30 00:00", periods=72, freq="1h", tz=TZ)
    controller, model = _controller(
        _lossless(10, 10),
        index,
        [50.0] * 72,
        [50.0] * 72,
        {},
        horizon=Horizon.MONTH,
        cadence=Cadence.MONTHLY,
    )
    controller.step(index[0], load_kw=50.0, soc_kwh=5.0)
    assert controller.plans[0]["n_steps"] == 48
    assert math.isfinite(controller.targets_kw[(2024 * 12 + 3, "flat", 0)])
