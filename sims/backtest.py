"""The rolling-horizon backtest: forecast, optimize, apply to the plant, carry the state, settle.

At each decision time (every step, local hour, local midnight or local month start, after the
forecast warm-up):

1. forecasts of load and PV over the look-ahead, from data known then (:mod:`sims.forecasts`;
   with ``forecast.load_quantile`` the load is planned on the point forecast raised by that
   quantile of its own recent errors);
2. the billing state already set this month, measured on the plant's ACTUAL meter data with
   the bill engine's :func:`markets.bill.month_to_date` (peaks per demand window, energy per
   period, the ratchet's look-back peak), and the actual state of charge;
3. a re-solve of one persistent ``DispatchModel`` per horizon length;
4. the schedule's setpoints until the next decision are applied to the :class:`~sims.plant.Plant`
   with the actual load and PV, through the site controller's demand guard
   (``dispatch.demand_guard``, on by default): the controller meters each interval as it
   happens and trims charging, or discharges more, so the meter stays at or below the higher of
   the month's actual peak so far and the plan's own peak (per priced demand window). A plan
   made on a forecast can otherwise charge into a load the forecast missed and set a new
   peak; a schedule that is followed exactly never meets the guard.

A window whose solve fails (:class:`core.errors.SolverError`) or whose forecast cannot be made
falls back to a safe dispatch (``dispatch.fallback``: hold the state of charge, or a rule-based
peak guard on the actual meter), is recorded in :attr:`BacktestResult.windows`, and the year
goes on.

Horizons and the tail: each window covers ``max(lookahead, time to the next decision)``, so a
25-hour DST day is always covered. Near the end of the data a window is cut at the last
interval (no data exists past it to forecast or to settle against); each distinct length gets
its own model, built once (with daily decisions and a 48-h look-ahead that is one extra model,
for the last day). The terminal condition of every window is
:class:`optimizer.state.TerminalSoc`'s default: end at least at the window's starting state of
charge, so no window empties the battery for free at its horizon.

Market streams (``config.markets``, see :mod:`sims.markets`): the model gets the wholesale and
capacity streams, every window is solved on that window's prices from the prices file (perfect
price foresight), the awards planned for the applied steps are recorded as
``<product>_award_kw``, and :func:`sims.markets.settle_markets` pays them at the file's prices
on the plant's actual behaviour (the wholesale stream on the actual net output; an award only
for the part the plant could honour); the revenue per stream is added to the bill savings.

Settlement prices the simulated period (after the warm-up) without and with the battery with the
same bill engine (:mod:`sims.settlement`). Finance annualizes the period's savings and cycles
(scaled by 8766 h over the simulated hours) for the first project year.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.errors import InputError, SolverError
from forecasting.calendar import SiteCalendar
from markets.bill import month_to_date
from markets.prices import MarketPrices
from markets.tariff import Tariff
from optimizer.state import MonthToDate, TerminalSoc
from sims.config import BacktestConfig, Cadence, Fallback, ForecastConfig
from sims.finance import project_cash_flows
from sims.forecasts import ForecastFeed, warmup_days
from sims.markets import (
    award_column,
    load_market_prices,
    market_notes,
    market_streams,
    settle_markets,
)
from sims.plant import Plant
from sims.results import BacktestResult, BacktestSummary, Timings
from sims.settlement import baseline_grid_kw, settle
from sims.sitedata import SiteData, load_site_data

__all__ = ["DispatchSolver", "decision_positions", "run_backtest"]

logger = logging.getLogger(__name__)

_HOURS_PER_YEAR = 8766.0


class DispatchSolver(Protocol):
    """What the backtest needs from a dispatch model (``optimizer.DispatchModel``)."""

    def solve(
        self,
        *,
        load_kw: pd.Series,
        pv_kw: pd.Series | None,
        initial_soc_fraction: float,
        terminal: TerminalSoc,
        month_to_date: MonthToDate,
    ) -> Any:
        """Solve one window; return a result with ``schedule`` and ``objective_usd``."""
        ...


ModelFactory = Callable[[int], DispatchSolver]
"""``factory(n_steps) -> model`` for a horizon of ``n_steps`` steps."""


def decision_positions(index: pd.DatetimeIndex, cadence: Cadence, first: int = 0) -> np.ndarray:
    """Grid positions of the decisions at or after ``first`` (always including ``first``).

    Decisions fall on the local clock: every step, every local hour start, every local
    midnight or every local month start.
    """
    positions = np.arange(len(index))
    if cadence is Cadence.STEP:
        mask = np.ones(len(index), dtype=bool)
    else:
        mask = np.asarray(index.minute == 0)
        if cadence is not Cadence.HOURLY:
            mask &= np.asarray(index.hour == 0)
        if cadence is Cadence.MONTHLY:
            mask &= np.asarray(index.day == 1)
    mask &= positions >= first
    mask[first] = True
    return positions[mask]


def _default_factory(config: BacktestConfig, data: SiteData, freq: str) -> ModelFactory:
    from optimizer import DispatchModel

    def build(n_steps: int) -> DispatchSolver:
        return DispatchModel(
            battery=config.battery,
            tariff=data.tariff,
            n_steps=n_steps,
            freq=freq,
            relax_binaries=config.dispatch.relax_binaries,
            mip_rel_gap=config.dispatch.mip_rel_gap,
            streams=streams,
        )

    streams = [] if config.markets is None else market_streams(config.markets)
    return build


def _month_to_date(
    tariff: Tariff,
    index: pd.DatetimeIndex,
    grid: np.ndarray,
    first: int,
    position: int,
    month_start: int,
) -> MonthToDate:
    """Billing state at ``position`` measured on the actual meter (positions ``first..``).

    ``index`` carries its ``freq``, so a one-interval month so far is still a valid series.
    """
    begin = first if tariff.ratchet is not None else max(first, month_start)
    if position == begin:
        return MonthToDate()
    values = grid[begin:position]
    labels = index[begin:position]
    if month_start >= position:
        # nothing metered yet this month: a zero-power probe at the decision time makes the
        # bill engine measure the new month (zero so far) and its ratchet look-back
        values = np.append(values, 0.0)
        labels = index[begin : position + 1]
    usage = month_to_date(tariff, pd.Series(values, index=labels))
    return MonthToDate(
        flat_peak_kw=max(usage.flat_peak_kw, 0.0),
        tou_peak_kw=tuple(max(v, 0.0) for v in usage.tou_peak_kw),
        ratchet_peak_kw=max(usage.ratchet_peak_kw, 0.0),
        import_kwh_by_period=usage.import_kwh_by_period if tariff.energy is not None else (),
        export_kwh_by_period=usage.export_kwh_by_period if tariff.energy is not None else (),
    )


def _fallback_setpoints(
    kind: Fallback,
    residual: np.ndarray,
    mtd: MonthToDate,
    known_residual: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Setpoints of the safe dispatch [kW]: idle, or a peak guard on the actual meter."""
    zeros = np.zeros(len(residual))
    if kind is Fallback.HOLD:
        return zeros, zeros
    target = mtd.flat_peak_kw
    if target <= 0 and len(known_residual):
        target = float(np.max(known_residual))
    if target <= 0:
        return zeros, zeros
    discharge = np.maximum(residual - target, 0.0)
    charge = np.maximum(target - residual, 0.0)
    return charge, discharge


def _demand_limits(
    tariff: Tariff,
    labels: pd.DatetimeIndex,
    planned_grid_kw: np.ndarray,
    mtd: MonthToDate,
    month_id: np.ndarray,
) -> np.ndarray:
    """Per-interval meter limit of the demand guard [kW] (inf where no demand charge applies).

    For each billing month in the applied intervals: the flat limit is the highest planned
    import, and for the first month at least the month-to-date actual peak; each priced TOU
    demand period gets the same from its own intervals and peaks. The limit of an interval is
    the lowest of those that apply to it. A schedule followed exactly never exceeds them.
    """
    n = len(labels)
    limit = np.full(n, np.inf)
    planned = np.maximum(planned_grid_kw, 0.0)
    first_month = month_id[0]
    flat_priced = tariff.flat_demand is not None and any(
        t.rate_usd_per_kw > 0 for tiers in tariff.flat_demand.periods for t in tiers
    )
    tou_period = tariff.tou_demand_period(labels) if tariff.tou_demand is not None else None
    for month in np.unique(month_id):
        in_month = month_id == month
        if flat_priced:
            cap = planned[in_month].max()
            if month == first_month:
                cap = max(cap, mtd.flat_peak_kw)
            limit[in_month] = np.minimum(limit[in_month], cap)
        if tou_period is not None:
            assert tariff.tou_demand is not None
            for p, tiers in enumerate(tariff.tou_demand.periods):
                if not any(t.rate_usd_per_kw > 0 for t in tiers):
                    continue
                where = in_month & (tou_period == p)
                if not where.any():
                    continue
                cap = planned[where].max()
                if month == first_month and p < len(mtd.tou_peak_kw):
                    cap = max(cap, mtd.tou_peak_kw[p])
                limit[where] = np.minimum(limit[where], cap)
    return limit


@dataclasses.dataclass
class _Loop:
    """Mutable state of one simulation (local to one call of :func:`run_backtest`)."""

    grid: np.ndarray
    soc_kwh: float
    frames: list[pd.DataFrame]
    windows: list[dict[str, Any]]
    forecast_s: float = 0.0
    optimize_s: float = 0.0
    plant_s: float = 0.0


def _simulate(
    config: BacktestConfig,
    data: SiteData,
    forecast: ForecastConfig,
    first: int,
    factory: ModelFactory,
    progress: bool,
    prices: MarketPrices | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, _Loop, list[str]]:
    step = data.index[1] - data.index[0]
    index = pd.DatetimeIndex(data.index, freq=step)  # a one-step tail window keeps its step
    n = len(index)
    lookahead = round(pd.Timedelta(hours=config.dispatch.lookahead_h) / step)
    battery = config.battery
    plant = Plant(battery=battery)
    calendar = SiteCalendar(
        tz=config.site.timezone,
        country=config.tariff.holiday_country,
        subdiv=config.tariff.holiday_subdivision if config.tariff.holiday_country else None,
    )
    load_feed = ForecastFeed(
        name=forecast.load,
        target="load_kw",
        actuals=data.load_kw,
        calendar=calendar,
        quantile=forecast.load_quantile,
    )
    pv_feed = None
    if data.pv_kw is not None:
        pv_feed = ForecastFeed(
            name=forecast.pv,
            target="pv_kw",
            actuals=data.pv_kw,
            calendar=calendar,
            pv_system=config.pv_system,
        )
    load = data.load_kw.to_numpy(dtype=float)
    pv = np.zeros(n) if data.pv_kw is None else data.pv_kw.to_numpy(dtype=float)
    baseline = baseline_grid_kw(data.load_kw, data.pv_kw, battery).to_numpy()
    month_id = np.asarray(index.year * 12 + index.month)
    month_start = np.searchsorted(month_id, month_id, side="left")

    decisions = decision_positions(index, config.dispatch.cadence, first)
    models: dict[int, DispatchSolver] = {}
    state = _Loop(
        grid=np.zeros(n),
        soc_kwh=config.initial_soc_fraction * battery.energy_kwh,
        frames=[],
        windows=[],
    )
    load_fc_all = np.full(n, np.nan)
    pv_fc_all = np.full(n, np.nan)
    planned_all = np.full(n, np.nan)
    charge_plan_all = np.full(n, np.nan)
    discharge_plan_all = np.full(n, np.nan)
    window_all = np.zeros(n, dtype=np.int64)
    products = () if config.markets is None else config.markets.products
    awards_all = {p.name: np.zeros(n) for p in products}  # no award in a fallback window
    extra: dict[str, Any] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(decisions), desc=config.site.name, unit="window", leave=False)
    for k, i in enumerate(decisions):
        i = int(i)
        j = int(decisions[k + 1]) if k + 1 < len(decisions) else n
        end = min(n, i + max(lookahead, j - i))
        horizon = index[i:end]
        row: dict[str, Any] = {
            "issue_time": index[i],
            "n_steps": end - i,
            "applied_steps": j - i,
            "status": "optimal",
            "error": "",
            "objective_usd": math.nan,
            "mip_gap": math.nan,
            "forecast_s": 0.0,
            "optimize_s": 0.0,
        }
        started = time.perf_counter()
        mtd = _month_to_date(data.tariff, index, state.grid, first, i, int(month_start[i]))
        state.plant_s += time.perf_counter() - started
        started = time.perf_counter()
        charge_sp = discharge_sp = None
        try:
            load_fc = load_feed.predict(i, horizon)
            pv_fc = pv_feed.predict(i, horizon) if pv_feed is not None else None
        except InputError as exc:
            row.update(status="fallback", error=f"forecast: {exc}")
            load_fc = pv_fc = None
        row["forecast_s"] = time.perf_counter() - started
        state.forecast_s += row["forecast_s"]
        if load_fc is not None:
            started = time.perf_counter()
            try:
                model = models.get(end - i)
                if model is None:
                    model = models[end - i] = factory(end - i)
                if prices is not None and config.markets is not None:
                    window_prices = prices.on(horizon)
                    extra["stream_inputs"] = dict.fromkeys(
                        config.markets.stream_names, window_prices
                    )
                soc_fraction = min(
                    max(state.soc_kwh / battery.energy_kwh, battery.soc_min_fraction),
                    battery.soc_max_fraction,
                )
                result = model.solve(
                    load_kw=pd.Series(load_fc, index=horizon),
                    pv_kw=None if pv_fc is None else pd.Series(pv_fc, index=horizon),
                    initial_soc_fraction=soc_fraction,
                    terminal=TerminalSoc(),
                    month_to_date=mtd,
                    **extra,
                )
                schedule = result.schedule
                for name, awards in awards_all.items():
                    awards[i:j] = schedule[award_column(name)].to_numpy(dtype=float)[: j - i]
                # solver round-off can leave -1e-12 kW: setpoints are the schedule's powers
                # floored at zero
                charge_sp = np.maximum(schedule["charge_kw"].to_numpy(dtype=float)[: j - i], 0)
                discharge_sp = np.maximum(
                    schedule["discharge_kw"].to_numpy(dtype=float)[: j - i], 0
                )
                planned_all[i:j] = schedule["soc_kwh"].to_numpy(dtype=float)[: j - i]
                charge_plan_all[i:j] = charge_sp
                discharge_plan_all[i:j] = discharge_sp
                if config.dispatch.demand_guard:
                    planned_grid = (
                        schedule["grid_import_kw"].to_numpy(dtype=float)
                        - schedule["grid_export_kw"].to_numpy(dtype=float)
                    )[: j - i]
                    limit = _demand_limits(
                        data.tariff, index[i:j], planned_grid, mtd, month_id[i:j]
                    )
                    # the controller meters the interval: never let the battery's charge, or
                    # a shortfall of discharge, lift the meter above the limit
                    net = np.minimum(charge_sp - discharge_sp, limit - (load[i:j] - pv[i:j]))
                    charge_sp, discharge_sp = np.maximum(net, 0.0), np.maximum(-net, 0.0)
                row["objective_usd"] = float(result.objective_usd)
                row["mip_gap"] = float(getattr(result.solver, "mip_gap", math.nan))
            except SolverError as exc:
                row.update(status="fallback", error=f"solver: {exc}")
            row["optimize_s"] = time.perf_counter() - started
            state.optimize_s += row["optimize_s"]
            load_fc_all[i:j] = load_fc[: j - i]
            load_feed.record(i, load_feed.last_point[: j - i])
            if pv_fc is not None:
                pv_fc_all[i:j] = pv_fc[: j - i]
        started = time.perf_counter()
        if charge_sp is None or discharge_sp is None:
            day = round(pd.Timedelta(days=1) / step)
            charge_sp, discharge_sp = _fallback_setpoints(
                config.dispatch.fallback,
                load[i:j] - pv[i:j],
                mtd,
                baseline[max(first, i - day) : i],
            )
            logger.warning("window at %s fell back: %s", index[i], row["error"])
        applied = plant.run(
            load_kw=pd.Series(load[i:j], index=index[i:j]),
            pv_kw=None if data.pv_kw is None else pd.Series(pv[i:j], index=index[i:j]),
            charge_setpoint_kw=pd.Series(charge_sp, index=index[i:j]),
            discharge_setpoint_kw=pd.Series(discharge_sp, index=index[i:j]),
            initial_soc_kwh=state.soc_kwh,
        )
        state.grid[i:j] = applied.intervals["grid_kw"].to_numpy()
        state.soc_kwh = applied.final_soc_kwh
        state.frames.append(applied.intervals)
        window_all[i:j] = k
        state.plant_s += time.perf_counter() - started
        state.windows.append(row)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()

    intervals = pd.concat(state.frames)
    intervals["baseline_grid_kw"] = baseline[first:]
    intervals["load_forecast_kw"] = load_fc_all[first:]
    intervals["pv_forecast_kw"] = pv_fc_all[first:]
    intervals["planned_soc_kwh"] = planned_all[first:]
    intervals["charge_plan_kw"] = charge_plan_all[first:]
    intervals["discharge_plan_kw"] = discharge_plan_all[first:]
    intervals["window"] = window_all[first:]
    for name, awards in awards_all.items():
        intervals[award_column(name)] = awards[first:]
    windows = pd.DataFrame(state.windows)
    notes = []
    for feed in (load_feed, pv_feed):
        if feed is not None and feed.clipped_steps:
            notes.append(f"{feed.target} forecast: {feed.clipped_steps} negative steps set to 0")
    logger.info("simulated %d windows with %d models", len(decisions), len(models))
    return intervals, windows, state, notes


def run_backtest(
    config: BacktestConfig,
    *,
    data: SiteData | None = None,
    model_factory: ModelFactory | None = None,
    progress: bool | None = None,
) -> BacktestResult:
    """Replay the site's data through forecasting, dispatch and the plant; settle and price.

    Parameters
    ----------
    config : BacktestConfig
        The backtest configuration (see :func:`sims.config.load_config`).
    data : SiteData, optional
        The site's data; read from the files named in ``config`` when omitted.
    model_factory : callable, optional
        ``factory(n_steps) -> model`` with a ``solve`` like ``optimizer.DispatchModel.solve``;
        by default one ``DispatchModel`` per horizon length, re-solved for every window.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    BacktestResult
        With ``perfect_foresight`` set when the forecasts are not perfect and
        ``forecast.compare_perfect_foresight`` is on.
    """
    if not isinstance(config, BacktestConfig):
        raise InputError("config", type(config).__name__, "a BacktestConfig")
    started = time.perf_counter()
    if data is None:
        data = load_site_data(config)
    elif not isinstance(data, SiteData):
        raise InputError("data", type(data).__name__, "a SiteData")
    step = data.index[1] - data.index[0]
    config.dispatch.check_step(step)
    freq = "15min" if step == pd.Timedelta(minutes=15) else "1h"
    if step not in (pd.Timedelta(minutes=15), pd.Timedelta(hours=1)):
        raise InputError("data.index", f"step {step}", "15 min or 1 h")
    forecast = config.forecast
    warm = (
        forecast.warmup_days
        if forecast.warmup_days is not None
        else warmup_days(forecast.load, forecast.pv)
    )
    first = int(data.index.searchsorted(data.index[0] + pd.Timedelta(days=warm)))
    if first >= len(data.index) - 1:
        raise InputError(
            "forecast.warmup_days", warm, f"fewer days than the data ({data.index[0]} on)"
        )
    prices = None
    if config.markets is not None:
        prices = load_market_prices(
            config.markets, tz=config.site.timezone, index=data.index[first:]
        )
    factory = model_factory or _default_factory(config, data, freq)
    show = sys.stderr.isatty() if progress is None else progress

    perfect = None
    if not forecast.is_perfect and forecast.compare_perfect_foresight:
        perfect_config = dataclasses.replace(
            config,
            forecast=ForecastConfig(
                load="perfect", pv="perfect", compare_perfect_foresight=False, warmup_days=warm
            ),
        )
        perfect = run_backtest(
            perfect_config, data=data, model_factory=model_factory, progress=show
        )

    intervals, windows, loop, notes = _simulate(
        config, data, forecast, first, factory, show, prices
    )
    settle_started = time.perf_counter()
    revenue: dict[str, float] = {}
    if config.markets is not None and prices is not None:
        revenue, columns = settle_markets(
            intervals=intervals, prices=prices, markets=config.markets, battery=config.battery
        )
        intervals = pd.concat([intervals, columns], axis=1)
    settlement = settle(
        intervals=intervals,
        tariff=data.tariff,
        battery=config.battery,
        market_revenue_by_stream_usd=revenue,
    )
    monthly = settlement.monthly
    dt_h = step / pd.Timedelta(hours=1)
    hours = len(intervals) * dt_h
    usable = config.battery.soc_max_kwh - config.battery.soc_min_kwh
    discharged = float(intervals["discharge_kw"].sum() * dt_h)
    charged = float(intervals["charge_kw"].sum() * dt_h)
    cycles = discharged / usable
    total_savings = settlement.total_savings_usd
    scale = _HOURS_PER_YEAR / hours
    finance = project_cash_flows(
        config.finance,
        power_kw=config.battery.power_kw,
        energy_kwh=config.battery.energy_kwh,
        first_year_savings_usd=total_savings * scale,
        cycles_per_year=cycles * scale,
    )
    baseline_total = settlement.baseline_bill.total_usd
    energy_base = float(
        (monthly["baseline_energy_usd"] - monthly["baseline_export_credit_usd"]).sum()
    )
    energy_batt = float(
        (monthly["battery_energy_usd"] - monthly["battery_export_credit_usd"]).sum()
    )
    n_fallback = int((windows["status"] != "optimal").sum())
    if warm:
        notes.append(f"the first {warm} days of data were forecast history only (warm-up)")
    if abs(scale - 1) > 0.01:
        notes.append(f"finance annualizes {hours:g} simulated hours (x{scale:.3f})")
    if n_fallback:
        notes.append(f"{n_fallback} windows fell back to '{config.dispatch.fallback.value}'")
    if data.tariff.unsupported:
        notes.append("tariff fields not priced: " + ", ".join(data.tariff.unsupported))
    notes += market_notes(config.markets, intervals, dt_h)
    if perfect is not None:
        bound = perfect.summary.total_savings_usd
        capture = total_savings / bound if bound > 0 else math.nan
    elif forecast.is_perfect:
        bound, capture = total_savings, 1.0
    else:
        bound, capture = math.nan, math.nan
    settle_s = time.perf_counter() - settle_started
    summary = BacktestSummary(
        site=config.site.name,
        start=intervals.index[0].isoformat(),
        end=(intervals.index[-1] + step).isoformat(),
        step_h=dt_h,
        forecast=f"load={forecast.load}, pv={forecast.pv}",
        baseline_bill_usd=baseline_total,
        battery_bill_usd=settlement.battery_bill.total_usd,
        bill_savings_usd=settlement.bill_savings_usd,
        bill_savings_fraction=settlement.bill_savings_usd / baseline_total
        if baseline_total
        else math.nan,
        energy_cost_savings_fraction=(energy_base - energy_batt) / energy_base
        if energy_base
        else math.nan,
        demand_savings_usd=float(
            (monthly["savings_demand_flat_usd"] + monthly["savings_demand_tou_usd"]).sum()
        ),
        market_revenue_usd=settlement.market_revenue_usd,
        total_savings_usd=total_savings,
        savings_by_stream_usd=settlement.savings_by_stream_usd,
        mean_peak_reduction_fraction=float(monthly["peak_reduction_fraction"].mean()),
        max_baseline_peak_kw=float(intervals["baseline_grid_kw"].max()),
        max_battery_peak_kw=float(intervals["grid_kw"].max()),
        discharged_kwh=discharged,
        charged_kwh=charged,
        cycles=cycles,
        n_windows=len(windows),
        n_fallback_windows=n_fallback,
        perfect_foresight_savings_usd=bound,
        capture_ratio=capture,
        npv_usd=finance.npv_usd,
        irr_fraction=finance.irr_fraction,
        simple_payback_years=finance.simple_payback_years,
        discounted_payback_years=finance.discounted_payback_years,
        timings=Timings(
            total_s=time.perf_counter() - started,
            forecast_s=loop.forecast_s,
            optimize_s=loop.optimize_s,
            plant_s=loop.plant_s,
            settle_s=settle_s,
        ),
        notes=tuple(notes),
    )
    return BacktestResult(
        intervals=intervals,
        monthly=monthly,
        windows=windows,
        summary=summary,
        finance=finance,
        perfect_foresight=perfect,
    )
