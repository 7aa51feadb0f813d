"""Fleet throughput, fleet re-plan, and the pvlib PV forecast's cost per decision.

Three groups of rows, all on copies of the built-in example site (``examples/site.toml``:
an office with PV, 15-min data, a TOU + demand tariff, load forecast a week back raised by its
P90 error, PV forecast a day back, no perfect-foresight rerun):

``fleet``
    :func:`sims.fleet.run_fleet` over identical sites (distinct names) on 1 and 2 workers, on
    the local process pool and (full mode) on a Dask ``LocalCluster`` of worker processes; in
    both, each worker writes its sites' folders (``write_in_workers``).
    Site-years = sites x simulated days / 365.25 (the 14 warm-up days are history only); the
    throughput includes every fixed cost of a site (reading data, building models, settling,
    writing results). Scaling efficiency at 2 workers = throughput(2) / (2 x throughput(1)).
    Projection for 1,000 site-years on 16 cores: ``1000 / (16 x r1 x e2)`` hours with ``r1``
    the site-years per hour of one worker and ``e2`` the efficiency measured at 2 (assumed to
    hold at 16: an assumption, not a measurement). A second projection assumes 16 free cores:
    ``1000 x c / 16`` with ``c`` the CPU seconds a worker spends per site-year (measured with
    ``time.process_time`` around each site; the driver's writing of results is not in it).
``replan``
    :class:`sims.replan.FleetReplanner`: every site's planner (forecasters + a 192-step
    ``DispatchModel``, built once in its worker) re-plans the next 48 h at one time; the
    first re-plan (fitting the forecasters) is not timed. Sites per second per core =
    sites / wall time / workers; projection for 16,000 sites on 16 cores:
    ``16000 / (16 x rate per core)`` seconds.
``pv_forecast``
    The PV forecast feed as the backtest drives it (daily decisions, 48 h horizons of 15 min):
    ``pvlib`` with the clear-sky cache, without it (as before the cache), and the
    ``seasonal_naive`` forecast, timed in the same run; the cached and uncached forecasts are
    compared value by value.

Short mode (CI): 2 sites of 7 simulated days at 1 h on the process pool only, 2 re-planned
sites, 3 PV decisions. The machine may be shared: compare ratios from one run.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sims.fleet import DASK_WORKER_CONFIG, run_fleet

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "site.toml"
WARMUP_DAYS = 14
START = pd.Timestamp("2023-03-01")


def _site_configs(folder: Path, n_sites: int, days: int, step: str) -> list[Path]:
    """``n_sites`` copies of the example, each simulating ``days`` after the warm-up."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in ("office_load.csv", "office_tou_tariff.json"):
        text = text.replace(f'"{name}"', f'"{(EXAMPLE.parent / name).as_posix()}"')
    text = text.replace("compare_perfect_foresight = true", "compare_perfect_foresight = false")
    begin = START - pd.Timedelta(days=WARMUP_DAYS)
    end = START + pd.Timedelta(days=days)
    site_lines = f'start = "{begin:%Y-%m-%d}"\nend = "{end:%Y-%m-%d}"\n'
    text = text.replace("[site]\n", "[site]\n" + site_lines, 1)
    text = text.replace('step = "15min"', f'step = "{step}"', 1)
    paths = []
    for k in range(n_sites):
        path = folder / f"site{k:02d}.toml"
        path.write_text(text.replace('name = "example-office"', f'name = "site{k:02d}"'))
        paths.append(path)
    return paths


def _local_cluster(workers: int):
    """A Dask ``LocalCluster`` of single-threaded worker processes with the fleet's worker
    settings (:data:`sims.fleet.DASK_WORKER_CONFIG`: profiler off, backtest preloaded)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(DASK_WORKER_CONFIG):
        return LocalCluster(
            processes=True, n_workers=workers, threads_per_worker=1, dashboard_address=None
        )


def _fleet_row(engine: str, workers: int, configs: list[Path], days: int, out: Path) -> dict:
    client = cluster = None
    executor = None
    if engine == "dask":
        from distributed import Client

        cluster = _local_cluster(workers)
        client = Client(cluster)
        executor = client.get_executor()
    try:
        started = time.perf_counter()
        result = run_fleet(
            configs,
            out,
            executor=executor,
            max_workers=workers,
            report=False,
            progress=False,
            write_in_workers=True,  # both engines' workers share this machine's disk
        )
        wall_s = time.perf_counter() - started
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if result.n_failed:
        raise RuntimeError(f"fleet benchmark: sites failed:\n{result.sites}")
    site_years = len(configs) * days / 365.25
    cpu_s = float(result.sites["cpu_s"].sum())
    return {
        "suite": "fleet",
        "case": f"{engine}, {workers} worker(s)",
        "n_sites": len(configs),
        "sim_days_per_site": days,
        "wall_s": wall_s,
        "site_years_per_h": site_years / (wall_s / 3600.0),
        "site_cpu_s": cpu_s / len(configs),
        # CPU time the workers got over the wall time they had: below 1 when they waited for
        # a core (a shared machine), whatever the code does
        "cpu_share_ratio": cpu_s / (wall_s * workers),
    }


def _fleet_rows(short: bool) -> list[dict]:
    n_sites, days, step = (2, 7, "1h") if short else (4, 45, "15min")
    engines = ["process"] if short else ["process", "dask"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        configs = _site_configs(Path(tmp), n_sites, days, step)
        for engine in engines:
            by_workers = {}
            for workers in (1, 2):
                row = _fleet_row(engine, workers, configs, days, Path(tmp) / f"{engine}{workers}")
                row["step"] = step
                by_workers[workers] = row
                rows.append(row)
            r1 = by_workers[1]["site_years_per_h"]
            efficiency = by_workers[2]["site_years_per_h"] / (2 * r1)
            hours = 1000.0 / (16 * r1 * efficiency)
            # the same from the CPU time one site-year takes in a worker, on 16 free cores
            cpu_year_s = by_workers[1]["site_cpu_s"] * 365.25 / days
            cpu_hours = 1000.0 * cpu_year_s / 16 / 3600.0
            rows.append(
                {
                    "suite": "fleet",
                    "case": f"{engine}: projection 1000 site-years, 16 cores",
                    "scaling_efficiency_ratio": efficiency,
                    "projected_h": hours,
                    "arithmetic": f"1000 / (16 x {r1:.3g} x {efficiency:.3g}) = {hours:.3g} h",
                    "cpu_s_per_site_year": cpu_year_s,
                    "projected_free_cores_h": cpu_hours,
                    "arithmetic_free_cores": (
                        f"1000 x {cpu_year_s:.3g} s / 16 / 3600 = {cpu_hours:.3g} h"
                    ),
                }
            )
    return rows


def _replan_row(label: str, fleet, n_sites: int, workers: int, times: list) -> dict:
    fleet.replan(times[0])  # fits the forecasters: not timed
    walls, forecast_s, optimize_s, cpu_s, failed = [], [], [], [], 0
    for now in times[1:]:
        started = time.perf_counter()
        plans = fleet.replan(now)
        walls.append(time.perf_counter() - started)
        failed += sum(p.status != "optimal" for p in plans)
        forecast_s += [p.forecast_s for p in plans]
        optimize_s += [p.optimize_s for p in plans]
        cpu_s += [p.cpu_s for p in plans]
    wall = float(np.median(walls))
    per_core = n_sites / wall / workers
    return {
        "suite": "replan",
        "case": label,
        "n_sites": n_sites,
        "workers": workers,
        "replan_wall_s": wall,
        "site_forecast_s": float(np.mean(forecast_s)),
        "site_optimize_s": float(np.mean(optimize_s)),
        "site_cpu_s": float(np.mean(cpu_s)),
        "sites_per_s_per_core": per_core,
        "n_failed": failed,
        "projected_16000_sites_16_cores_s": 16000 / (16 * per_core),
        "arithmetic": f"16000 / (16 x {per_core:.3g}) = {16000 / (16 * per_core):.3g} s",
    }


def _replan_rows(short: bool) -> list[dict]:
    from sims.replan import FleetReplanner, dispatch_planner_factory

    n_sites, n_times = (2, 2) if short else (8, 4)
    tz = "America/New_York"
    times = [pd.Timestamp("2023-03-01", tz=tz) + pd.Timedelta(hours=h) for h in range(n_times)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        configs = _site_configs(Path(tmp), n_sites, 30, "15min")
        factories = [dispatch_planner_factory(p, horizon_h=48.0) for p in configs]
        for workers in (1, 2):
            with FleetReplanner(factories, workers=workers) as fleet:
                label = f"process, {workers} worker(s), 48 h at 15 min"
                rows.append(_replan_row(label, fleet, n_sites, workers, times))
        if not short:
            from distributed import Client

            with (
                _local_cluster(2) as cluster,
                Client(cluster) as client,
                FleetReplanner(factories, client=client) as fleet,
            ):
                label = "dask actors, 2 workers, 48 h at 15 min"
                rows.append(_replan_row(label, fleet, n_sites, 2, times))
    return rows


def _pv_rows(short: bool) -> list[dict]:
    from forecasting.baselines import SeasonalNaiveForecaster
    from forecasting.pv import PVForecaster
    from sims.config import load_config
    from sims.sitedata import load_site_data

    config = load_config(EXAMPLE)
    data = load_site_data(config)
    assert data.pv_kw is not None and config.pv_system is not None
    actuals = data.pv_kw.rename("pv_kw").to_frame()
    index = data.index
    day = round(pd.Timedelta(days=1) / (index[1] - index[0]))
    first = int(index.searchsorted(START.tz_localize(config.site.timezone)))
    n = 3 if short else 20
    makers = {
        "seasonal_naive": lambda: SeasonalNaiveForecaster(period_h=24.0, target="pv_kw"),
        "pvlib": lambda: PVForecaster(system=config.pv_system),
        "pvlib (no cache)": lambda: PVForecaster(system=config.pv_system, cache=False),
    }
    results: dict[str, tuple[list[float], list[np.ndarray]]] = {}
    for label, make in makers.items():
        forecaster = make()
        times, values = [], []
        for d in range(n + 1):  # as sims.forecasts.ForecastFeed feeds it
            position = first + d * day
            started = time.perf_counter()
            if d == 0:
                forecaster.fit(actuals.iloc[:position])
            else:
                forecaster.update(actuals.iloc[position - day : position])
            frame = forecaster.predict(index[position], index[position : position + 2 * day])
            values.append(frame["pv_kw"].to_numpy())
            times.append(time.perf_counter() - started)
        # the first decision fits the forecaster (and fills the cache): reported apart
        results[label] = (times, values)
    cached = np.concatenate(results["pvlib"][1])
    uncached = np.concatenate(results["pvlib (no cache)"][1])
    naive_s = float(np.median(results["seasonal_naive"][0][1:]))
    rows = []
    for label, (times, _) in results.items():
        per = float(np.median(times[1:]))
        rows.append(
            {
                "suite": "pv_forecast",
                "case": f"{label}, daily 48 h at 15 min",
                "n_decisions": n,
                "first_decision_s": times[0],
                "per_decision_s": per,
                "vs_seasonal_naive_ratio": per / naive_s,
            }
        )
    rows.append(
        {
            "suite": "pv_forecast",
            "case": "pvlib cached vs uncached forecasts",
            "max_abs_diff_kw": float(np.max(np.abs(cached - uncached))),
            "speedup_ratio": float(np.median(results["pvlib (no cache)"][0][1:]))
            / float(np.median(results["pvlib"][0][1:])),
        }
    )
    return rows


def run(short: bool) -> list[dict]:
    """Fleet throughput, re-plan throughput and the PV forecast's cost per decision."""
    rows = _pv_rows(short) + _replan_rows(short) + _fleet_rows(short)
    for row in rows:
        for key, value in list(row.items()):
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    return rows
