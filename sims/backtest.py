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
recorded as ``<product>_award_kw``, and :func:`sims.market_settlement.settle_markets` pays them at the
file's prices on the plant's actual behaviour.

Settlement prices the simulated period (after the warm-up) without and with the battery with the
same bill engine (:mod:`sims.settlement`). Finance annualizes the period's savings and cycles
(scaled by 8766 h over the simulated hours) for the first project year.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from control import Cadence, Controller, Horizon, ModelFactory
from core.errors import InputError
from forecasting.calendar import SiteCalendar
from markets.prices import MarketPrices
from sims.config import BacktestConfig, ForecastConfig
from sims.forecasts import FeedForecastProvider, ForecastFeed, warmup_days
from sims.loop import LoopResult, make_settings, run_loop
from sims.markets import (
    award_column,
    load_market_prices,
    market_streams,
)
from sims.results import BacktestResult
from sims.settlement import baseline_grid_kw
from sims.sitedata import SiteData, load_site_data
from sims.summary import summarize

__all__ = ["run_backtest", "run_prescient"]

logger = logging.getLogger(__name__)

_HOURS_PER_YEAR = 8766.0


def _default_factory(
    config: BacktestConfig, data: SiteData, freq: str, *, one_shot: bool = False
) -> ModelFactory:
    from optimizer import DispatchModel, OneShotDispatch

    # the month-long bound solves each length a few times: a model per solve is cheaper
    model_class = OneShotDispatch if one_shot else DispatchModel

    def build(n_steps: int):
        return model_class(
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
    started = time.perf_counter()
    oracle, run, bound_factory = _prepare(config, data, model_factory, progress)
    perfect = prescient = None
    if not config.forecast.is_perfect and config.forecast.compare_perfect_foresight:
        perfect = _run_one(oracle, **run)
    if config.forecast.compare_prescient:
        prescient = _run_one(oracle, **{**run, "factory": bound_factory}, horizon=Horizon.MONTH)
    return _run_one(config, **run, perfect=perfect, prescient=prescient, started=started)


def run_prescient(
    config: BacktestConfig,
    *,
    data: SiteData | None = None,
    model_factory: ModelFactory | None = None,
    progress: bool | None = None,
) -> BacktestResult:
    """The prescient bound alone: perfect foresight, one plan per billing month.

    The same run as ``run_backtest(config).prescient`` (same plant, settlement and finance),
    without the forecast-driven and rolling perfect-foresight runs; used to screen battery
    sizes (:mod:`sims.sizing`). Parameters as :func:`run_backtest`.
    """
    started = time.perf_counter()
    oracle, run, bound_factory = _prepare(config, data, model_factory, progress)
    return _run_one(
        oracle, **{**run, "factory": bound_factory}, horizon=Horizon.MONTH, started=started
    )


def _prepare(
    config: BacktestConfig,
    data: SiteData | None,
    model_factory: ModelFactory | None,
    progress: bool | None,
) -> tuple[BacktestConfig, dict[str, Any], ModelFactory]:
    """Checks, then what every run of one backtest shares.

    Returns the perfect-forecast config of the bounds, the keyword arguments of
    :func:`_run_one` and the factory of the prescient bound's month-long models.
    """
    if not isinstance(config, BacktestConfig):
        raise InputError("config", type(config).__name__, "a BacktestConfig")
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
    run = dict(
        data=data,
        first=first,
        warm=warm,
        factory=model_factory or _default_factory(config, data, freq),
        show=sys.stderr.isatty() if progress is None else progress,
        prices=prices,
    )
    return oracle, run, model_factory or _default_factory(config, data, freq, one_shot=True)


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
    return summarize(
        config,
        data=data,
        intervals=intervals,
        windows=windows,
        loop=loop,
        prices=prices,
        warm=warm,
        perfect=perfect,
        prescient=prescient,
        started=started,
    )
