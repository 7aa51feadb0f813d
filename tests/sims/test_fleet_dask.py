"""Fleets on Dask distributed: a LocalCluster of two worker processes runs the same sites as the
process pool (same results), reports a failing site while the others finish, and a fleet whose
client process is killed mid-run resumes without redoing finished sites."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from sims.fleet import FIGURES, run_fleet
from tests.conftest import REPO_ROOT
from tests.sims.test_fleet import _break_data, _fleet, _marking_runner, _ran
from tests.sims.test_fleet_replan import PERSISTENCE

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as dask_client:
            yield dask_client


def _summaries(out, names) -> dict[str, dict]:
    found = {}
    for name in names:
        payload = json.loads((out / name / "summary.json").read_text())["summary"]
        payload.pop("timings")  # wall-clock times differ between runs
        found[name] = payload
    return found


def test_dask_fleet_reports_a_failing_site_and_matches_the_process_pool(tmp_path, client):
    configs = _fleet(tmp_path / "configs", n=5)
    _break_data(configs[2])
    on_dask = run_fleet(
        configs, tmp_path / "dask", executor=client.get_executor(), report=False, progress=False
    )
    table = on_dask.sites.set_index("site_dir")
    assert table.loc["site02", "status"] == "failed"
    assert "site.load_csv" in table.loc["site02", "error"]
    assert (table.drop("site02")["status"] == "done").all()
    assert "site.load_csv" in (tmp_path / "dask" / "site02" / "error.txt").read_text()

    on_pool = run_fleet(configs, tmp_path / "pool", max_workers=2, report=False, progress=False)
    pool_table = on_pool.sites.set_index("site_dir")
    assert list(pool_table["status"]) == list(table["status"])
    done = [n for n in table.index if n != "site02"]
    assert _summaries(tmp_path / "dask", done) == _summaries(tmp_path / "pool", done)
    for name in done:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "dask" / name / "intervals.parquet"),
            pd.read_parquet(tmp_path / "pool" / name / "intervals.parquet"),
        )
        for column in FIGURES:
            assert table.loc[name, column] == pool_table.loc[name, column]


def test_workers_or_the_fleet_process_write_the_same_site_folders(tmp_path, client):
    # Dask workers writing their own folders (same machine), the process pool's workers (its
    # default) and the fleet process writing from the results sent back: the same files, and a
    # failing site is recorded by whoever writes
    configs = _fleet(tmp_path / "configs", n=3)
    _break_data(configs[1])
    runs = {
        "dask_workers": dict(executor=client.get_executor(), write_in_workers=True),
        "pool_workers": dict(max_workers=2),
        "fleet_process": dict(max_workers=2, write_in_workers=False),
    }
    tables = {}
    for name, how in runs.items():
        result = run_fleet(configs, tmp_path / name, report=False, progress=False, **how)
        tables[name] = result.sites.set_index("site_dir")
    for table in tables.values():
        assert list(table["status"]) == ["done", "failed", "done"]
        assert "site.load_csv" in table.loc["site01", "error"]
    for name in runs:
        assert "site.load_csv" in (tmp_path / name / "site01" / "error.txt").read_text()
        assert _summaries(tmp_path / name, ["site00", "site02"]) == _summaries(
            tmp_path / "fleet_process", ["site00", "site02"]
        )
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / name / "site02" / "intervals.parquet"),
            pd.read_parquet(tmp_path / "fleet_process" / "site02" / "intervals.parquet"),
        )


def test_dask_fleet_resumes_after_its_client_process_is_killed(tmp_path, client):
    configs = _fleet(tmp_path / "configs", n=10)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sims.cli", "fleet", *map(str, configs), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--dask", client.scheduler.address, "--no-report", "--no-progress"],
        cwd=REPO_ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if len(list(out.glob("site*/summary.json"))) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail("the fleet run ended before it could be killed")
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("site*/summary.json")}
    assert 2 <= len(finished) < len(configs)
    _ran(configs)  # clear marks (the killed run used the default runner: none expected)
    result = run_fleet(
        configs,
        out,
        executor=client.get_executor(),
        report=False,
        runner=_marking_runner,
        progress=False,
    )
    statuses = result.sites.set_index("site_dir")["status"]
    assert set(statuses[statuses == "skipped"].index) == set(finished)
    assert _ran(configs) == sorted(set(statuses.index) - set(finished))
    assert (statuses != "failed").all()
    for name, mtime in finished.items():
        assert (out / name / "summary.json").stat().st_mtime_ns == mtime


def test_dask_actors_keep_planners_warm_and_plan_like_local_workers(tmp_path, client):
    from sims.replan import FleetReplanner, dispatch_planner_factory
    from tests.sims.helpers import TZ, write_site

    paths = [
        write_site(tmp_path / f"s{k}", name=f"site{k}", days=5, seed=k, forecast=PERSISTENCE)
        for k in range(3)
    ]
    factories = [dispatch_planner_factory(p, horizon_h=24) for p in paths]
    times = [pd.Timestamp("2024-03-03 00:00", tz=TZ) + pd.Timedelta(hours=h) for h in (0, 7)]
    with FleetReplanner(factories, workers=2) as local:
        want = [local.replan(now) for now in times]
    with FleetReplanner(factories, client=client) as on_dask:
        assert on_dask.n_workers == 2
        got = [on_dask.replan(now) for now in times]
    for plans, refs in zip(got, want, strict=True):
        assert [p.site for p in plans] == ["site0", "site1", "site2"]
        for plan, ref in zip(plans, refs, strict=True):
            assert plan.status == "optimal"
            assert plan.objective_usd == pytest.approx(ref.objective_usd, rel=1e-9)
            pd.testing.assert_frame_equal(plan.schedule, ref.schedule)


def test_fleet_workers_preload_the_backtest_before_their_first_site():
    # a spawned worker starts with a fresh interpreter: without the preload its first site
    # pays the imports of the backtest (seconds of CPU)
    import dask

    from sims.fleet import DASK_WORKER_CONFIG

    def loaded() -> tuple[bool, bool]:
        return "sims.backtest" in sys.modules, "pyomo.environ" in sys.modules

    with dask.config.set(DASK_WORKER_CONFIG):
        cluster = distributed.LocalCluster(
            processes=True, n_workers=1, threads_per_worker=1, dashboard_address=None
        )
    with cluster, distributed.Client(cluster) as dask_client:
        assert list(dask_client.run(loaded).values()) == [(True, True)]
        assert list(
            dask_client.run(lambda: dask.config.get("distributed.worker.profile.enabled")).values()
        ) == [False]
