"""Fleet re-plan: per-site planners kept warm in worker processes, re-planned at one time."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from sims.config import load_config
from sims.replan import (
    DispatchPlanner,
    FleetReplanner,
    Plan,
    Planner,
    dispatch_planner_factory,
)
from tests.sims.helpers import TZ, write_site

PERSISTENCE = 'load = "persistence"\npv = "persistence"\n'


def _site(tmp_path, k: int = 0, **kw):
    kw.setdefault("forecast", PERSISTENCE)
    return write_site(tmp_path / f"s{k}", name=f"site{k}", days=5, seed=k, **kw)


def test_a_plan_obeys_the_battery_and_uses_only_the_past(tmp_path):
    path = _site(tmp_path)
    config = load_config(path)
    planner = DispatchPlanner(config=config, horizon_h=24)
    assert isinstance(planner, Planner)
    now = pd.Timestamp("2024-03-03 00:00", tz=TZ)
    plan = planner.plan(now)
    assert plan.status == "optimal" and plan.issue_time == now
    s = plan.schedule
    assert len(s) == 24 and s.index[0] == now
    battery = config.battery
    assert (s["charge_kw"] >= -1e-9).all() and (s["charge_kw"] <= battery.power_kw + 1e-6).all()
    assert (s["discharge_kw"] <= battery.power_kw + 1e-6).all()
    assert s["soc_kwh"].between(battery.soc_min_kwh - 1e-6, battery.soc_max_kwh + 1e-6).all()
    # energy balance at 1 h steps: stored energy moves by charge x eta_c - discharge / eta_d
    soc = np.concatenate([[config.initial_soc_fraction * battery.energy_kwh], s["soc_kwh"]])
    moved = s["charge_kw"] * battery.charge_efficiency - s["discharge_kw"] / (
        battery.discharge_efficiency
    )
    np.testing.assert_allclose(np.diff(soc), moved, atol=1e-6)
    # the battery earns: on-peak 0.30 vs off-peak 0.10 $/kWh and a demand charge
    assert s["discharge_kw"].sum() > 0

    # the future cannot change a plan: a planner on data with everything from ``now`` on
    # replaced plans exactly the same (persistence forecasts read only the past)
    data = planner.data
    changed = data.load_kw.where(data.load_kw.index < now, 999.0)
    other = DispatchPlanner(
        config=config,
        data=type(data)(load_kw=changed, pv_kw=data.pv_kw, tariff=data.tariff),
        horizon_h=24,
    )
    again = other.plan(now)
    assert again.objective_usd == pytest.approx(plan.objective_usd, rel=1e-9)
    pd.testing.assert_frame_equal(again.schedule, plan.schedule)


def test_plan_rejects_times_off_the_data(tmp_path):
    planner = DispatchPlanner(config=load_config(_site(tmp_path)), horizon_h=24)
    with pytest.raises(InputError, match="now"):
        planner.plan(pd.Timestamp("2024-03-03 00:30", tz=TZ))  # not a label of hourly data
    with pytest.raises(InputError, match="now"):
        planner.plan(pd.Timestamp("2024-03-05 12:00", tz=TZ))  # no full 24 h left
    with pytest.raises(InputError, match="horizon_h"):
        DispatchPlanner(config=load_config(_site(tmp_path, 1)), horizon_h=0)


class _Broken:
    site = "broken"

    def plan(self, now: pd.Timestamp) -> Plan:
        raise RuntimeError("no data feed")


def _broken() -> _Broken:
    return _Broken()


def test_fleet_replan_in_workers_equals_planning_in_process(tmp_path):
    paths = [_site(tmp_path, k) for k in range(3)]
    factories = [dispatch_planner_factory(p, horizon_h=24) for p in paths]
    times = [pd.Timestamp("2024-03-03 00:00", tz=TZ) + pd.Timedelta(hours=h) for h in (0, 5)]
    local = [f() for f in factories]
    expected = [[p.plan(now) for p in local] for now in times]
    with FleetReplanner([*factories, functools.partial(_broken)], workers=2) as fleet:
        assert fleet.n_workers == 2
        for now, want in zip(times, expected, strict=True):
            plans = fleet.replan(now)
            assert [p.site for p in plans] == ["site0", "site1", "site2", "broken"]
            assert plans[3].status == "failed" and "no data feed" in plans[3].error
            for got, ref in zip(plans[:3], want, strict=True):
                assert got.status == "optimal"
                assert got.objective_usd == pytest.approx(ref.objective_usd, rel=1e-9)
                pd.testing.assert_frame_equal(got.schedule, ref.schedule)
