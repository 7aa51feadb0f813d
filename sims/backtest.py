"""The backtest: the online controller driven over a year of actuals, settled and priced.

:func:`run_backtest` builds a :class:`control.Controller` for the site (its planner re-solves
one persistent ``DispatchModel`` per horizon length; its real-time layer holds the demand
targets every interval) and drives it with :func:`sims.loop.run_loop`: each interval the
controller gets the actual load and PV and the stored energy, the plant applies its setpoint,
and the controller records the metered import. Forecasts come from
:class:`sims.forecasts.FeedForecastProvider`, which hands the forecasters only the data known at
each decision (perfect foresight is the oracle, for the bounds).

Three runs of the same year, same plant, same bill engine:

- **forecast-driven**: the configured forecasters and cadence (``[forecast]``, ``[dispatch]``);
- **rolling perfect foresight** (``forecast.compare_perfect_foresight``): the same controller
  with perfect forecasts; ``capture_ratio`` = forecast-driven savings / these savings;
- **prescient bound** (``forecast.compare_prescient``): perfect foresight with one plan per
  billing month (the whole month known); ``capture_of_prescient`` = forecast-driven savings /
  these savings, and ``demand_capture_of_prescient`` the same for demand-charge savings.

A plan whose forecast or solve fails falls back (``dispatch.fallback``: idle, or the real-time
layer alone holding the month's peaks) and is recorded in :attr:`BacktestResult.windows`.

Market streams (``config.markets``, see :mod:`sims.markets`): every plan gets that window's
prices from the prices file (perfect price foresight), the awards planned for each interval are
recorded as ``<product>_award_kw``, and :func:`sims.markets.settle_markets` pays them at the
file's prices on the plant's actual behaviour.

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

import numpy as np
import pandas as pd

from control import Cadence, Controller, Horizon, ModelFactory
from core.errors import InputError
from forecasting.calendar import SiteCalendar
from markets.prices import MarketPrices
from sims.config import BacktestConfig, ForecastConfig
from sims.finance import project_cash_flows
from sims.forecasts import FeedForecastProvider, ForecastFeed, warmup_days
from sims.loop import LoopResult, make_settings, run_loop
from sims.markets import (
    award_column,
    load_market_prices,
    market_notes,
    market_streams,
    settle_markets,
)
from sims.results import BacktestResult, BacktestSummary, Timings
from sims.settlement import baseline_grid_kw, settle
from sims.sitedata import SiteData, load_site_data

__all__ = ["decision_positions", "run_backtest"]

logger = logging.getLogger(__name__)

_HOURS_PER_YEAR = 8766.0


def decision_positions(index: pd.DatetimeIndex, cadence: Cadence, first: int = 0) -> np.ndarray:
    """Grid positions of the scheduled decisions at or after ``first`` (always ``first``).

    Decisions fall on the local clock: every step, every local hour start, every local
    midnight or every local month start (:meth:`control.Cadence.is_due`).
    """
    due = np.fromiter((cadence.is_due(t) for t in index), dtype=bool, count=len(index))
    positions = np.arange(len(index))
    due &= positions >= first
    due[first] = True
    return positions[due]


def _default_factory(config: BacktestConfig, data: SiteData, freq: str) -> ModelFactory:
    from optimizer import DispatchModel

    def build(n_steps: int):
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


def _provider(
    config: BacktestConfig,
    data: SiteData,
    forecast: ForecastConfig,
    index: pd.DatetimeIndex,
    prices: MarketPrices | None,
) -> FeedForecastProvider:
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
    inputs = None
    if prices is not None and config.markets is not None:
        names = config.markets.stream_names

        def inputs(horizon: pd.DatetimeIndex) -> dict:
            return dict.fromkeys(names, prices.on(horizon))

    return FeedForecastProvider(
        index=index,
        load_feed=load_feed,
        pv_feed=pv_feed,
        quantile=forecast.load_quantile,
        window_inputs=inputs,
    )


def _simulate(
    config: BacktestConfig,
    data: SiteData,
    forecast: ForecastConfig,
    first: int,
    factory: ModelFactory,
    progress: bool,
    prices: MarketPrices | None = None,
    horizon: Horizon = Horizon.LOOKAHEAD,
) -> tuple[pd.DataFrame, pd.DataFrame, LoopResult]:
    step = data.index[1] - data.index[0]
    index = pd.DatetimeIndex(data.index, freq=step)
    products = () if config.markets is None else config.markets.products
    award_names = tuple(award_column(p.name) for p in products)
    cadence = Cadence.MONTHLY if horizon is Horizon.MONTH else None
    controller = Controller(
        battery=config.battery,
        tariff=data.tariff,
        step=step,
        forecast=_provider(config, data, forecast, index, prices),
        model_factory=factory,
        settings=make_settings(
            config.dispatch, horizon=horizon, cadence=cadence, oracle=forecast.is_perfect
        ),
        award_names=award_names,
    )
    load = data.load_kw.to_numpy(dtype=float)
    pv = np.zeros(len(index)) if data.pv_kw is None else data.pv_kw.to_numpy(dtype=float)
    controller.warm_start(index[:first], load[:first], pv[:first])
    bar = None
    if progress:
        from tqdm import tqdm

        days = int((index[-1] - index[first]) / pd.Timedelta(days=1)) + 1
        bar = tqdm(total=days, desc=config.site.name, unit="day", leave=False)
    loop = run_loop(
        index=index[first:],
        load_kw=load[first:],
        pv_kw=pv[first:],
        battery=config.battery,
        controller=controller,
        initial_soc_kwh=config.initial_soc_fraction * config.battery.energy_kwh,
        award_names=award_names,
        progress=bar,
    )
    if bar is not None:
        bar.close()
    intervals = loop.intervals
    intervals["baseline_grid_kw"] = baseline_grid_kw(
        data.load_kw, data.pv_kw, config.battery
    ).to_numpy()[first:]
    logger.info("simulated %d plans", len(loop.windows))
    return intervals, loop.windows, loop


def _setup(config: BacktestConfig, data: SiteData) -> tuple[int, int, str]:
    """Check the data's step; return ``(first, warm-up days, freq)``."""
    step = data.index[1] - data.index[0]
    config.dispatch.check_step(step)
    if step not in (pd.Timedelta(minutes=15), pd.Timedelta(hours=1)):
        raise InputError("data.index", f"step {step}", "15 min or 1 h")
    freq = "15min" if step == pd.Timedelta(minutes=15) else "1h"
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
    return first, warm, freq


def run_backtest(
    config: BacktestConfig,
    *,
    data: SiteData | None = None,
    model_factory: ModelFactory | None = None,
    progress: bool | None = None,
) -> BacktestResult:
    """Replay the site's data through the controller and the plant; settle and price.

    Parameters
    ----------
    config : BacktestConfig
        The backtest configuration (see :func:`sims.config.load_config`).
    data : SiteData, optional
        The site's data; read from the files named in ``config`` when omitted.
    model_factory : callable, optional
        ``factory(n_steps) -> model`` with a ``solve`` like ``optimizer.DispatchModel.solve``;
        by default one ``DispatchModel`` per horizon length, re-solved for every plan.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    BacktestResult
        With ``perfect_foresight`` (rolling perfect foresight) and ``prescient`` (one plan per
        billing month with the actuals) set when the forecasts are not perfect and
        ``forecast.compare_perfect_foresight`` / ``forecast.compare_prescient`` are on.
    """
    if not isinstance(config, BacktestConfig):
        raise InputError("config", type(config).__name__, "a BacktestConfig")
    started = time.perf_counter()
    if data is None:
        data = load_site_data(config)
    elif not isinstance(data, SiteData):
        raise InputError("data", type(data).__name__, "a SiteData")
    first, warm, freq = _setup(config, data)
    prices = None
    if config.markets is not None:
        prices = load_market_prices(
            config.markets, tz=config.site.timezone, index=data.index[first:]
        )
    factory = model_factory or _default_factory(config, data, freq)
    show = sys.stderr.isatty() if progress is None else progress
    forecast = config.forecast
    oracle = dataclasses.replace(
        config,
        forecast=ForecastConfig(
            load="perfect",
            pv="perfect",
            compare_perfect_foresight=False,
            compare_prescient=False,
            warmup_days=warm,
        ),
    )
    run = dict(data=data, first=first, warm=warm, factory=factory, show=show, prices=prices)
    perfect = prescient = None
    if not forecast.is_perfect and forecast.compare_perfect_foresight:
        perfect = _run_one(oracle, **run)
    if forecast.compare_prescient:
        # the bound's own models: a month-long horizon per month length
        bound_factory = model_factory or _default_factory(config, data, freq)
        prescient = _run_one(oracle, **{**run, "factory": bound_factory}, horizon=Horizon.MONTH)
    return _run_one(config, **run, perfect=perfect, prescient=prescient, started=started)


def _run_one(
    config: BacktestConfig,
    *,
    data: SiteData,
    first: int,
    warm: int,
    factory: ModelFactory,
    show: bool,
    prices: MarketPrices | None,
    horizon: Horizon = Horizon.LOOKAHEAD,
    perfect: BacktestResult | None = None,
    prescient: BacktestResult | None = None,
    started: float | None = None,
) -> BacktestResult:
    """One run of the loop, settled, summarized and priced."""
    started = time.perf_counter() if started is None else started
    intervals, windows, loop = _simulate(
        config, data, config.forecast, first, factory, show, prices, horizon
    )
    settle_started = time.perf_counter()
    step = data.index[1] - data.index[0]
    notes: list[str] = []
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
    forecast = config.forecast
    demand_savings = float(
        (monthly["savings_demand_flat_usd"] + monthly["savings_demand_tou_usd"]).sum()
    )
    if perfect is not None:
        bound = perfect.summary.total_savings_usd
        capture = _ratio(total_savings, bound)
    elif forecast.is_perfect:
        bound, capture = total_savings, 1.0
    else:
        bound, capture = math.nan, math.nan
    prescient_total = prescient_demand = math.nan
    if prescient is not None:
        prescient_total = prescient.summary.total_savings_usd
        prescient_demand = prescient.summary.demand_savings_usd
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
        demand_savings_usd=demand_savings,
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
        prescient_savings_usd=prescient_total,
        prescient_demand_savings_usd=prescient_demand,
        capture_of_prescient=_ratio(total_savings, prescient_total),
        demand_capture_of_prescient=_ratio(demand_savings, prescient_demand),
        n_plans=len(windows),
        npv_usd=finance.npv_usd,
        irr_fraction=finance.irr_fraction,
        simple_payback_years=finance.simple_payback_years,
        discounted_payback_years=finance.discounted_payback_years,
        timings=Timings(
            total_s=time.perf_counter() - started,
            forecast_s=loop.forecast_s,
            optimize_s=loop.optimize_s,
            control_s=loop.control_s,
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
        prescient=prescient,
    )


def _ratio(part: float, whole: float) -> float:
    """``part / whole`` when ``whole`` is a positive number, else NaN."""
    return part / whole if math.isfinite(whole) and whole > 0 else math.nan
