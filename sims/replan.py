"""Fleet re-plan: every site's next hours planned at one time, each site kept warm in a worker.

A *planner* is a small per-site object with ``plan(now) -> Plan`` (the :class:`Planner`
protocol). :class:`DispatchPlanner` is the one built here: the site's forecasters (fed only the
data known before ``now``) and its ``optimizer.DispatchModel``, built once and re-solved at
every call. The online controller of ``control/`` can be plugged in as a planner as it is:
anything with ``site`` and ``plan(now)`` returning a :class:`Plan` will do.

:class:`FleetReplanner` spreads the planners over worker processes and keeps them there: each
worker builds its sites' planners once (from picklable factories), then answers every
``replan(now)`` by planning all its sites; only ``now`` goes out and the plans come back. Local
workers are processes that end with the driver; with a Dask ``distributed.Client`` each
worker's share is a Dask actor, so the same fleet scales past one machine.
"""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing as mp
import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from core.errors import InputError, SolverError
from forecasting.calendar import SiteCalendar
from markets.bill import month_to_date
from optimizer.state import MonthToDate, TerminalSoc

__all__ = [
    "DispatchPlanner",
    "FleetReplanner",
    "Plan",
    "Planner",
    "PlannerShard",
    "dispatch_planner_factory",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """One site's plan made at ``issue_time``.

    Parameters
    ----------
    site : str
        Site name.
    issue_time : pandas.Timestamp
        When the plan was made (its first interval starts then).
    schedule : pandas.DataFrame or None
        The planned intervals (``charge_kw``, ``discharge_kw``, ``soc_kwh``, ... as
        ``optimizer.DispatchResult.schedule``); None when planning failed.
    objective_usd : float
        The plan's objective [$] (NaN when failed).
    status : str
        ``"optimal"`` or ``"failed"``.
    error : str
        Why planning failed ("" when optimal).
    forecast_s, optimize_s : float
        Wall time of forecasting and of the solve [s].
    cpu_s : float
        CPU time of the planning process over the whole plan [s] (wall time above it means
        the worker waited for a core).
    """

    site: str
    issue_time: pd.Timestamp
    schedule: pd.DataFrame | None
    objective_usd: float
    status: str
    error: str = ""
    forecast_s: float = 0.0
    optimize_s: float = 0.0
    cpu_s: float = 0.0


@runtime_checkable
class Planner(Protocol):
    """A per-site planner: ``plan(now)`` plans the next hours from data known before ``now``."""

    site: str

    def plan(self, now: pd.Timestamp) -> Plan:
        """Plan from ``now`` on."""
        ...


class DispatchPlanner:
    """A site's forecasters and dispatch model, built once and re-planned at any time.

    Parameters
    ----------
    config : sims.config.BacktestConfig
        The site (battery, tariff, forecasters by name, dispatch options); markets are not
        supported yet.
    data : sims.sitedata.SiteData, optional
        The site's measured load and PV (read from the files in ``config`` when omitted); a
        plan at ``now`` uses only the intervals before ``now``.
    horizon_h : float, default 48
        Hours planned at each call.

    Notes
    -----
    The month-to-date billing state is measured on the site's net load before ``now`` (the
    meter without the battery's own effect, which the data does not hold); the plan starts
    from ``soc_fraction``, which a live caller sets from the battery's measured state.
    """

    def __init__(self, *, config: Any, data: Any = None, horizon_h: float = 48.0) -> None:
        from sims.config import BacktestConfig
        from sims.forecasts import ForecastFeed
        from sims.sitedata import load_site_data

        if not isinstance(config, BacktestConfig):
            raise InputError("config", type(config).__name__, "a BacktestConfig")
        if config.markets is not None:
            raise InputError("config.markets", "present", "a site without market streams")
        if not (isinstance(horizon_h, (int, float)) and math.isfinite(horizon_h)) or horizon_h <= 0:
            raise InputError("horizon_h", horizon_h, "a positive number of hours")
        self.config = config
        self.site = config.site.name
        self.data = load_site_data(config) if data is None else data
        index = self.data.index
        self._step = index[1] - index[0]
        self._index = pd.DatetimeIndex(index, freq=self._step)
        self._n_steps = round(pd.Timedelta(hours=horizon_h) / self._step)
        if self._n_steps < 1:
            raise InputError("horizon_h", horizon_h, f"at least one step of {self._step}")
        self.soc_fraction = config.initial_soc_fraction
        calendar = SiteCalendar(
            tz=config.site.timezone,
            country=config.tariff.holiday_country,
            subdiv=config.tariff.holiday_subdivision if config.tariff.holiday_country else None,
        )
        forecast = config.forecast
        self._load_feed = ForecastFeed(
            name=forecast.load,
            target="load_kw",
            actuals=self.data.load_kw,
            calendar=calendar,
            quantile=forecast.load_quantile,
        )
        self._pv_feed = None
        if self.data.pv_kw is not None:
            self._pv_feed = ForecastFeed(
                name=forecast.pv,
                target="pv_kw",
                actuals=self.data.pv_kw,
                calendar=calendar,
                pv_system=config.pv_system,
            )
        net = self.data.load_kw.to_numpy(dtype=float)
        if self.data.pv_kw is not None:
            net = net - self.data.pv_kw.to_numpy(dtype=float)
        self._net_kw = net
        from optimizer import DispatchModel

        freq = "15min" if self._step == pd.Timedelta(minutes=15) else "1h"
        self.model = DispatchModel(
            battery=config.battery,
            tariff=self.data.tariff,
            n_steps=self._n_steps,
            freq=freq,
            relax_binaries=config.dispatch.relax_binaries,
            mip_rel_gap=config.dispatch.mip_rel_gap,
        )

    def _month_to_date(self, position: int) -> MonthToDate:
        tariff = self.data.tariff
        index = self._index
        now = index[position]
        month_start = int(index.searchsorted(now.replace(day=1, hour=0, minute=0)))
        begin = 0 if tariff.ratchet is not None else month_start
        values, labels = self._net_kw[begin:position], index[begin:position]
        if begin >= position:  # nothing metered yet this month: a zero probe at ``now``
            values, labels = np.zeros(1), index[position : position + 1]
        usage = month_to_date(tariff, pd.Series(values, index=labels))
        return MonthToDate.from_usage(usage, energy_periods=tariff.energy is not None)

    def plan(self, now: pd.Timestamp) -> Plan:
        """Plan the next ``horizon_h`` hours from ``now`` (a label of the site's data).

        Raises
        ------
        InputError
            If ``now`` is not a label of the data with a full horizon after it.
        """
        now = pd.Timestamp(now)
        if now.tzinfo is None:
            raise InputError("now", now, "a tz-aware time")
        position = int(self._index.searchsorted(now))
        if position >= len(self._index) or self._index[position] != now:
            raise InputError("now", now, f"a label of the site's {self._step} data")
        if position + self._n_steps > len(self._index):
            raise InputError("now", now, f"a time {self._n_steps} steps before the data's end")
        horizon = self._index[position : position + self._n_steps]
        cpu_started = time.process_time()
        started = time.perf_counter()
        try:
            load_fc = self._load_feed.predict(position, horizon)
            pv_fc = None if self._pv_feed is None else self._pv_feed.predict(position, horizon)
        except InputError as exc:
            return self._failed(now, f"forecast: {exc}", time.perf_counter() - started, 0.0)
        forecast_s = time.perf_counter() - started
        started = time.perf_counter()
        try:
            result = self.model.solve(
                load_kw=pd.Series(load_fc, index=horizon),
                pv_kw=None if pv_fc is None else pd.Series(pv_fc, index=horizon),
                initial_soc_fraction=self.soc_fraction,
                terminal=TerminalSoc(),
                month_to_date=self._month_to_date(position),
            )
        except SolverError as exc:
            return self._failed(now, f"solver: {exc}", forecast_s, time.perf_counter() - started)
        return Plan(
            site=self.site,
            issue_time=now,
            schedule=result.schedule,
            objective_usd=float(result.objective_usd),
            status="optimal",
            forecast_s=forecast_s,
            optimize_s=time.perf_counter() - started,
            cpu_s=time.process_time() - cpu_started,
        )

    def _failed(self, now: pd.Timestamp, error: str, forecast_s: float, optimize_s: float) -> Plan:
        logger.warning("plan of %s at %s failed: %s", self.site, now, error)
        return Plan(
            site=self.site,
            issue_time=now,
            schedule=None,
            objective_usd=math.nan,
            status="failed",
            error=error,
            forecast_s=forecast_s,
            optimize_s=optimize_s,
        )


def _planner_from_file(path: str, horizon_h: float) -> DispatchPlanner:
    from sims.config import load_config

    return DispatchPlanner(config=load_config(path), horizon_h=horizon_h)


def dispatch_planner_factory(
    config_path: str | Path, *, horizon_h: float = 48.0
) -> Callable[[], DispatchPlanner]:
    """A picklable ``factory() -> DispatchPlanner`` for the configuration file."""
    return functools.partial(_planner_from_file, str(config_path), float(horizon_h))


class PlannerShard:
    """The planners of some sites, built once where this object lives (a worker).

    Parameters
    ----------
    factories : sequence of callable
        ``factory() -> Planner`` per site, called here, once.
    """

    def __init__(self, factories: Sequence[Callable[[], Planner]]) -> None:
        self.planners = [factory() for factory in factories]
        for planner in self.planners:
            if not isinstance(planner, Planner):
                raise InputError("factory()", type(planner).__name__, "a Planner")

    def plan_all(self, now: pd.Timestamp) -> list[Plan]:
        """Every site's plan at ``now``; a planner that raises gives a failed plan."""
        plans = []
        for planner in self.planners:
            try:
                plans.append(planner.plan(now))
            except Exception as exc:  # one site's failure never stops the others
                plans.append(
                    Plan(
                        site=getattr(planner, "site", "?"),
                        issue_time=now,
                        schedule=None,
                        objective_usd=math.nan,
                        status="failed",
                        error=f"{type(exc).__name__}: {exc}",
                    )
                )
        return plans


def _shard_process(conn: Any, factories: Sequence[Callable[[], Planner]], parent: int) -> None:
    """A local worker: build the shard, then answer ``now`` with plans until ``None``."""
    from sims.fleet_io import watch_parent

    watch_parent(parent)
    try:
        shard = PlannerShard(factories)
        conn.send(("ready", len(shard.planners)))
    except Exception as exc:
        conn.send(("error", "".join(traceback.format_exception(exc))))
        return
    while True:
        now = conn.recv()
        if now is None:
            return
        conn.send(("plans", shard.plan_all(now)))


class FleetReplanner:
    """Planners of many sites kept warm in worker processes (or Dask actors).

    Parameters
    ----------
    factories : sequence of callable
        One picklable ``factory() -> Planner`` per site (e.g.
        :func:`dispatch_planner_factory`); sites are dealt to the workers in turn.
    workers : int, default 1
        Local worker processes (ignored with ``client``: one actor per Dask worker).
    client : distributed.Client, optional
        Run each worker's share as a Dask actor on this cluster.

    Examples
    --------
    >>> with FleetReplanner(factories, workers=2) as fleet:  # doctest: +SKIP
    ...     plans = fleet.replan(pd.Timestamp("2023-06-01 00:00", tz="America/New_York"))
    """

    def __init__(
        self,
        factories: Sequence[Callable[[], Planner]],
        *,
        workers: int = 1,
        client: Any = None,
    ) -> None:
        if not factories:
            raise InputError("factories", [], "at least one planner factory")
        if client is None and (isinstance(workers, bool) or not isinstance(workers, int)):
            raise InputError("workers", workers, "an integer >= 1")
        if client is None and workers < 1:
            raise InputError("workers", workers, "an integer >= 1")
        if client is not None:
            workers = max(1, len(client.scheduler_info()["workers"]))
        workers = min(workers, len(factories))
        shares = [list(factories[k::workers]) for k in range(workers)]
        self._client = client
        self._procs: list[Any] = []
        self._conns: list[Any] = []
        self._actors: list[Any] = []
        self.n_sites = len(factories)
        self.n_workers = workers
        started = time.perf_counter()
        if client is not None:
            addresses = list(client.scheduler_info()["workers"])
            futures = [
                client.submit(PlannerShard, share, actor=True, workers=[addresses[k]])
                for k, share in enumerate(shares)
            ]
            self._actors = [f.result() for f in futures]
        else:
            self._start_local(shares)
        self.setup_s = time.perf_counter() - started

    def _start_local(self, shares: list[list[Callable[[], Planner]]]) -> None:
        context = mp.get_context()
        for share in shares:
            parent_conn, child_conn = context.Pipe()
            proc = context.Process(
                target=_shard_process, args=(child_conn, share, os.getpid()), daemon=True
            )
            proc.start()
            child_conn.close()
            self._procs.append(proc)
            self._conns.append(parent_conn)
        for conn in self._conns:
            kind, payload = conn.recv()
            if kind != "ready":
                self.close()
                raise RuntimeError(f"a re-plan worker could not build its planners:\n{payload}")

    def replan(self, now: pd.Timestamp) -> list[Plan]:
        """Plan every site at ``now`` (all workers at once); plans in the factories' order."""
        if self._actors:
            futures = [actor.plan_all(now) for actor in self._actors]
            shares = [f.result() for f in futures]
        else:
            for conn in self._conns:
                conn.send(now)
            shares = []
            for conn in self._conns:
                _, plans = conn.recv()
                shares.append(plans)
        plans: list[Plan | None] = [None] * self.n_sites
        for k, share in enumerate(shares):
            plans[k :: self.n_workers] = share
        return plans  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the workers."""
        for conn in self._conns:
            try:
                conn.send(None)
                conn.close()
            except OSError:
                pass
        for proc in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        self._procs, self._conns, self._actors = [], [], []

    def __enter__(self) -> FleetReplanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
