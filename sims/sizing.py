"""Battery sizing: which power and energy earn the most under the dispatch the site will get.

:func:`size_battery` compares candidate sizes (power [kW] x duration [h], see
:class:`sims.sizing_config.SizingConfig`) of the configured battery in two stages:

1. **screen** every candidate with the prescient bound (:func:`sims.backtest.run_prescient`:
   perfect foresight, one plan per billing month, same plant, settlement and finance as the
   backtest), in parallel over a ``concurrent.futures.Executor`` (a process pool by default,
   as in :mod:`sims.fleet`; any executor, e.g. a Dask client's, works);
2. **price** the ``top_k`` best by that NPV with the forecast-driven backtest
   (:func:`sims.backtest.run_backtest`: the configured forecasters and online controller) and
   recommend the best by that, the real, NPV.

The result says how far the two rankings differ (rank of the screen's winner under forecasts,
Spearman and Kendall rank correlations on the top ``k``), checks the bound (no candidate's
forecast-driven savings above its prescient savings), re-prices every candidate at capex
x (1 -/+ ``capex_sensitivity_fraction``) with :func:`sims.finance.project_cash_flows` on the
same simulated savings and cycles, and solves the continuous-size LP of
:mod:`sims.sizing_lp` as a cross-check of the screen's best.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import math
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InputError
from sims.config import BacktestConfig
from sims.finance import FinanceInputs
from sims.sitedata import SiteData, load_site_data
from sims.sizing_config import SizingConfig
from sims.sizing_lp import LPSizing, size_lp
from sims.sizing_rank import ranking, reprice, repriced_npv, sensitivity

__all__ = [
    "SizingResult",
    "candidate_config",
    "evaluate_candidate",
    "grid_step_check",
    "lp_check",
    "lp_priced_best",
    "reprice",
    "repriced_npv",
    "size_battery",
]

logger = logging.getLogger(__name__)

_HOURS_PER_YEAR = 8766.0


@dataclass(frozen=True, kw_only=True)
class SizingResult:
    """What :func:`size_battery` found.

    Parameters
    ----------
    site : str
        Site name.
    peak_kw : float
        The site's annual peak load over the data [kW].
    candidates : pandas.DataFrame
        One row per candidate: ``power_kw``, ``duration_h``, ``energy_kwh``, and per stage
        (``pf_`` prescient bound, ``fc_`` forecast-driven, NaN where not run) ``savings_usd``
        (the simulated period), ``demand_savings_usd``, ``first_year_savings_usd``,
        ``cycles_per_year``, ``npv_usd``, ``irr_fraction``, ``payback_years``, ``wall_s``,
        ``cpu_s`` (the run's CPU time in its process), ``error``; ``pf_rank`` (1 = best prescient NPV) and ``fc_rank`` (among the top k).
    recommended : tuple of float
        ``(power_kw, energy_kwh)`` of the best forecast-driven NPV (the screen's best when no
        forecast-driven run finished).
    pf_best : tuple of float
        ``(power_kw, energy_kwh)`` of the best prescient NPV.
    ranking : dict
        ``pf_winner_rank_under_forecasts``, ``spearman``, ``kendall`` (on the top k),
        ``top_k``.
    sensitivity : pandas.DataFrame
        One row per capex factor: the best candidate by prescient and by forecast-driven NPV.
    lp : LPSizing or None
        The continuous-size LP (None when switched off or failed).
    lp_within_one_step : bool or None
        Whether the screen's best lies within one grid step of the LP optimum.
    lp_finance_best : tuple of float or None
        ``(power_kw, energy_kwh)`` of the best prescient candidate priced the LP's way (its
        linear NPV, no fade or replacement, on the simulated savings): separates what the LP's
        finance leaves out from what its dispatch and bill do differently.
    lp_at_pf_best : LPSizing or None
        The LP holding the screen's best size fixed: its first-year savings against the
        simulated prescient run's check the two dispatch models against each other.
    notes : tuple of str
        Bound violations, failed candidates, LP differences, negative NPVs.
    timings : dict
        ``stage1_s``, ``stage2_s``, ``lp_s``, ``total_s`` [s].
    """

    site: str
    peak_kw: float
    candidates: pd.DataFrame
    recommended: tuple[float, float]
    pf_best: tuple[float, float]
    ranking: dict[str, float]
    sensitivity: pd.DataFrame
    lp: LPSizing | None
    lp_within_one_step: bool | None
    lp_finance_best: tuple[float, float] | None = None
    lp_at_pf_best: LPSizing | None = None
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


def candidate_config(config: BacktestConfig, power_kw: float, energy_kwh: float) -> BacktestConfig:
    """``config`` with the battery resized (a set charge rating scales with the power)."""
    b = config.battery
    charge = None if b.charge_power_kw is None else b.charge_power_kw * power_kw / b.power_kw
    battery = dataclasses.replace(
        b, power_kw=float(power_kw), energy_kwh=float(energy_kwh), charge_power_kw=charge
    )
    return dataclasses.replace(config, battery=battery)


def evaluate_candidate(
    stage: str, config: BacktestConfig, data: SiteData, power_kw: float, energy_kwh: float
) -> dict[str, object]:
    """Run one candidate (picklable job): ``stage`` ``"pf"`` (prescient) or ``"fc"``.

    Returns the candidate's figures (see :attr:`SizingResult.candidates`), with ``error`` set
    instead when the run raised.
    """
    from sims.backtest import run_backtest, run_prescient

    started, cpu_started = time.perf_counter(), time.process_time()
    row: dict[str, object] = {"power_kw": power_kw, "energy_kwh": energy_kwh, "error": ""}
    try:
        resized = candidate_config(config, power_kw, energy_kwh)
        if stage == "pf":
            result = run_prescient(resized, data=data, progress=False)
        else:
            forecast = dataclasses.replace(
                resized.forecast, compare_perfect_foresight=False, compare_prescient=False
            )
            resized = dataclasses.replace(resized, forecast=forecast)
            result = run_backtest(resized, data=data, progress=False)
        s = result.summary
        hours = (pd.Timestamp(s.end) - pd.Timestamp(s.start)) / pd.Timedelta(hours=1)
        scale = _HOURS_PER_YEAR / hours
        row.update(
            savings_usd=s.total_savings_usd,
            demand_savings_usd=s.demand_savings_usd,
            first_year_savings_usd=s.total_savings_usd * scale,
            cycles_per_year=s.cycles * scale,
            npv_usd=s.npv_usd,
            irr_fraction=s.irr_fraction,
            payback_years=s.simple_payback_years,
            n_fallback_windows=s.n_fallback_windows,
            start=s.start,
            end=s.end,
        )
    except Exception as exc:  # recorded in the table; the other candidates go on
        logger.debug("candidate failed", exc_info=True)
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["detail"] = "".join(traceback.format_exception(exc))
    row["wall_s"] = time.perf_counter() - started
    row["cpu_s"] = time.process_time() - cpu_started
    return row


def _run_jobs(
    stage: str,
    config: BacktestConfig,
    data: SiteData,
    sizes: list[tuple[float, float]],
    executor: cf.Executor | None,
) -> list[dict[str, object]]:
    """Every size of one stage on ``executor`` (inline when None), in ``sizes`` order."""
    if executor is None:
        return [evaluate_candidate(stage, config, data, p, e) for p, e in sizes]
    futures = [executor.submit(evaluate_candidate, stage, config, data, p, e) for p, e in sizes]
    return [f.result() for f in futures]


def _default_executor(workers: int) -> cf.Executor | None:
    """A process pool of ``workers`` (None for one: candidates then run inline).

    Workers are spawned, not forked: a process that already ran HiGHS (the LP cross-check of
    an earlier site) holds HiGHS's worker threads, and a forked child inherits its state without
    the threads, after which every solve in it ends with an unknown status.
    """
    if workers <= 1:
        return None
    from sims.fleet_io import watch_parent

    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )


def _prefixed(rows: list[dict[str, object]], prefix: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows).drop(columns=["detail"], errors="ignore")
    keys = ["power_kw", "energy_kwh"]
    return frame.rename(columns={c: f"{prefix}_{c}" for c in frame.columns if c not in keys})


def _rank(values: pd.Series) -> pd.Series:
    """1 = highest; NaN stays NaN."""
    return values.rank(ascending=False, method="first")


def grid_step_check(
    lp: LPSizing, best: tuple[float, float], powers: list[float], durations: list[float]
) -> bool:
    """Whether ``best`` (kW, kWh) lies within one grid step of the LP optimum in kW and h.

    A grid step is the largest spacing of the grid's powers (durations); a single value counts
    as a step of itself.
    """

    def step(values: list[float]) -> float:
        values = sorted(values)
        return max(np.diff(values)) if len(values) > 1 else values[0]

    if not lp.power_kw > 1e-6:
        return False
    power, energy = best
    near_power = abs(power - lp.power_kw) <= step(powers) + 1e-9
    near_hours = abs(energy / power - lp.duration_h) <= step(durations) + 1e-9
    return bool(near_power and near_hours)


def lp_priced_best(
    table: pd.DataFrame, finance: FinanceInputs, lp: LPSizing
) -> tuple[float, float]:
    """The best prescient candidate under the LP's linear NPV (no fade, no replacement)."""
    npv = [
        lp.costs.npv_usd(
            finance,
            power_kw=row.power_kw,
            energy_kwh=row.energy_kwh,
            savings_usd=row.pf_first_year_savings_usd,
        )
        for row in table.itertuples()
    ]
    best = table.iloc[int(np.nanargmax(npv))]
    return float(best["power_kw"]), float(best["energy_kwh"])


def lp_check(
    config: BacktestConfig,
    data: SiteData,
    *,
    start: str,
    end: str,
    hourly: bool = True,
    fixed_size: tuple[float, float] | None = None,
) -> LPSizing:
    """The sizing LP over ``[start, end)`` of the site's data (optionally at a fixed size)."""
    keep = (data.index >= pd.Timestamp(start)) & (data.index < pd.Timestamp(end))
    return size_lp(
        battery=config.battery,
        tariff=data.tariff,
        finance=config.finance,
        load_kw=data.load_kw[keep],
        pv_kw=None if data.pv_kw is None else data.pv_kw[keep],
        initial_soc_fraction=config.initial_soc_fraction,
        hourly=hourly,
        fixed_size=fixed_size,
    )


def _lp_check(
    config: BacktestConfig, data: SiteData, sizing: SizingConfig, pf_best: pd.Series
) -> tuple[LPSizing | None, LPSizing | None, list[str]]:
    """The free LP, and the LP dispatching the screen's best (its savings against the run's)."""
    period = {"start": str(pf_best["pf_start"]), "end": str(pf_best["pf_end"])}
    size = (float(pf_best["power_kw"]), float(pf_best["energy_kwh"]))
    try:
        lp = lp_check(config, data, hourly=sizing.lp_step == "1h", **period)
        fixed = lp_check(config, data, hourly=sizing.lp_step == "1h", fixed_size=size, **period)
    except Exception as exc:  # the cross-check is reported, never fatal
        logger.warning("sizing LP failed: %s", exc)
        return None, None, [f"the sizing LP failed: {type(exc).__name__}: {exc}"]
    return lp, fixed, []


def _stage1(config, data, sizing, executor) -> pd.DataFrame:
    candidates = sizing.candidates(float(data.load_kw.max()))
    sizes = [(p, p * h) for p, h in candidates]
    rows = _run_jobs("pf", config, data, sizes, executor)
    table = _prefixed(rows, "pf")
    table.insert(1, "duration_h", [h for _, h in candidates])
    table["pf_rank"] = _rank(table["pf_npv_usd"])
    return table


def _stage2(config, data, table, k, executor) -> pd.DataFrame:
    top = table.dropna(subset=["pf_npv_usd"]).nsmallest(k, "pf_rank")
    sizes = [(float(r.power_kw), float(r.energy_kwh)) for r in top.itertuples()]
    rows = _run_jobs("fc", config, data, sizes, executor)
    fc = _prefixed(rows, "fc")
    fc.index = top.index
    table = table.join(fc.drop(columns=["power_kw", "energy_kwh"]))
    table["fc_rank"] = _rank(table["fc_npv_usd"])
    return table


def _notes(table: pd.DataFrame, recommended_npv: float) -> list[str]:
    notes = []
    for stage, label in (("pf", "prescient"), ("fc", "forecast-driven")):
        for row in table[
            table.get(f"{stage}_error", pd.Series(dtype=str)).fillna("") != ""
        ].itertuples():
            error = getattr(row, f"{stage}_error")
            notes.append(
                f"{row.power_kw:g} kW / {row.energy_kwh:g} kWh {label} run failed: {error}"
            )
    over = table[table["fc_savings_usd"] > table["pf_savings_usd"] + 1e-6]
    for row in over.itertuples():
        notes.append(
            f"bound violated: {row.power_kw:g} kW / {row.energy_kwh:g} kWh saves "
            f"{row.fc_savings_usd:,.0f} $ with forecasts, {row.pf_savings_usd:,.0f} $ prescient"
        )
    if math.isfinite(recommended_npv) and recommended_npv < 0:
        notes.append("no candidate pays back under forecasts: the best NPV is negative")
    return notes


def size_battery(
    config: BacktestConfig,
    sizing: SizingConfig | None = None,
    *,
    data: SiteData | None = None,
    executor: cf.Executor | None = None,
    progress: Callable[[str], None] | None = None,
) -> SizingResult:
    """Compare battery sizes for a site: prescient screen, forecast-driven top k, LP check.

    Parameters
    ----------
    config : BacktestConfig
        The site; its ``[battery]`` is the template of every candidate (efficiencies, SOC
        window, limits), its ``[forecast]`` and ``[dispatch]`` drive stage 2, its ``[finance]``
        prices every candidate.
    sizing : SizingConfig, optional
        Candidates and options (defaults: 10-40 % of the peak x 1-4 h, top 3).
    data : SiteData, optional
        The site's data; read from the files named in ``config`` when omitted.
    executor : concurrent.futures.Executor, optional
        Where candidates run; by default a process pool of ``sizing.workers`` (inline for one
        worker) whose workers are spawned, so a calling script needs the usual
        ``if __name__ == "__main__":`` guard. A given executor is not shut down.
    progress : callable, optional
        Called with a line of text after each stage.

    Returns
    -------
    SizingResult
    """
    if not isinstance(config, BacktestConfig):
        raise InputError("config", type(config).__name__, "a BacktestConfig")
    sizing = SizingConfig() if sizing is None else sizing
    if not isinstance(sizing, SizingConfig):
        raise InputError("sizing", type(sizing).__name__, "a SizingConfig")
    if data is None:
        data = load_site_data(config)
    say = progress or (lambda text: logger.info("%s", text))
    started = time.perf_counter()
    own = executor is None
    pool = _default_executor(sizing.workers) if own else executor
    try:
        table = _stage1(config, data, sizing, pool)
        stage1 = time.perf_counter()
        say(f"stage 1: {len(table)} candidates on the prescient bound ({stage1 - started:.0f} s)")
        if table["pf_npv_usd"].isna().all():
            raise InputError("sizing", table["pf_error"].iloc[0], "candidates that can run")
        table = _stage2(config, data, table, sizing.top_k, pool)
        stage2 = time.perf_counter()
        say(f"stage 2: top {sizing.top_k} forecast-driven ({stage2 - stage1:.0f} s)")
    finally:
        if own and pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return _finish(config, data, sizing, table, started, stage1, stage2)


def _finish(config, data, sizing, table, started, stage1, stage2) -> SizingResult:
    pf_best = table.loc[table["pf_npv_usd"].idxmax()]
    done = table.dropna(subset=["fc_npv_usd"])
    best = done.loc[done["fc_npv_usd"].idxmax()] if len(done) else pf_best
    notes = _notes(table, float(best.get("fc_npv_usd", math.nan)))
    if not len(done):
        notes.append("no forecast-driven run finished: the recommendation is the screen's best")
    top = table.dropna(subset=["fc_rank"]).copy() if len(done) else table.nsmallest(1, "pf_rank")
    lp, lp_fixed, within, lp_finance_best = None, None, None, None
    if sizing.lp_check:
        lp, lp_fixed, lp_notes = _lp_check(config, data, sizing, pf_best)
        notes += lp_notes
    if lp is not None:
        within = grid_step_check(
            lp,
            (float(pf_best["power_kw"]), float(pf_best["energy_kwh"])),
            sorted(table["power_kw"].unique()),
            sorted(table["duration_h"].unique()),
        )
        lp_finance_best = lp_priced_best(table, config.finance, lp)
    lp_done = time.perf_counter()
    return SizingResult(
        site=config.site.name,
        peak_kw=float(data.load_kw.max()),
        candidates=table,
        recommended=(float(best["power_kw"]), float(best["energy_kwh"])),
        pf_best=(float(pf_best["power_kw"]), float(pf_best["energy_kwh"])),
        ranking=ranking(top) if len(done) else {},
        sensitivity=sensitivity(table, config.finance, sizing.capex_sensitivity_fraction),
        lp=lp,
        lp_within_one_step=within,
        lp_finance_best=lp_finance_best,
        lp_at_pf_best=lp_fixed,
        notes=tuple(notes),
        timings={
            "stage1_s": stage1 - started,
            "stage2_s": stage2 - stage1,
            "lp_s": lp_done - stage2,
            "total_s": lp_done - started,
        },
    )
