"""Settle, summarize and price one run of the backtest loop.

:func:`summarize` settles the run's intervals against the same bill engine as the baseline
(:mod:`sims.settlement`), pays the market awards (:mod:`sims.markets`), puts the year's figures
in a :class:`~sims.results.BacktestSummary` (with the capture of the rolling perfect-foresight
run and of the prescient bound when those were run), and projects the cash flows
(:mod:`sims.finance`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd

from markets.bill import DEMAND_COLUMNS
from markets.prices import MarketPrices
from sims.config import BacktestConfig
from sims.finance import project_cash_flows
from sims.loop import LoopResult
from sims.market_settlement import market_notes, settle_markets
from sims.results import BacktestResult, BacktestSummary, Timings
from sims.settlement import Settlement, settle
from sims.sitedata import SiteData

__all__ = ["run_inputs", "summarize"]

_HOURS_PER_YEAR = 8766.0


def _ratio(part: float, whole: float) -> float:
    """``part / whole`` when ``whole`` is a positive number, else NaN."""
    return part / whole if math.isfinite(whole) and whole > 0 else math.nan


def _fraction(part: float, whole: float) -> float:
    """``part / whole``, NaN when ``whole`` is 0."""
    return part / whole if whole else math.nan


def _notes(config, data, intervals, windows, warm, scale, hours, dt_h) -> list[str]:
    notes: list[str] = []
    n_fallback = int((windows["status"] != "optimal").sum())
    if warm:
        notes.append(f"the first {warm} days of data were forecast history only (warm-up)")
    if abs(scale - 1) > 0.01:
        notes.append(f"finance annualizes {hours:g} simulated hours (x{scale:.3f})")
    if n_fallback:
        notes.append(f"{n_fallback} plans fell back to '{config.dispatch.fallback.value}'")
    if data.tariff.unsupported:
        notes.append("tariff fields not priced: " + ", ".join(data.tariff.unsupported))
    notes += market_notes(config.markets, intervals, dt_h)
    return notes


def _bounds(config, total: float, demand: float, perfect, prescient) -> dict[str, Any]:
    """The rolling perfect-foresight and prescient-bound fields of the summary."""
    if perfect is not None:
        bound = perfect.summary.total_savings_usd
        capture = _ratio(total, bound)
    elif config.forecast.is_perfect:
        bound, capture = total, 1.0
    else:
        bound, capture = math.nan, math.nan
    prescient_total = prescient_demand = math.nan
    if prescient is not None:
        prescient_total = prescient.summary.total_savings_usd
        prescient_demand = prescient.summary.demand_savings_usd
    return {
        "perfect_foresight_savings_usd": bound,
        "capture_ratio": capture,
        "prescient_savings_usd": prescient_total,
        "prescient_demand_savings_usd": prescient_demand,
        "capture_of_prescient": _ratio(total, prescient_total),
        "demand_capture_of_prescient": _ratio(demand, prescient_demand),
    }


def run_inputs(config: BacktestConfig, data: SiteData) -> dict[str, Any]:
    """The run's key inputs by config key, as a report shows them."""
    b, f, d, fin = config.battery, config.forecast, config.dispatch, config.finance
    tariff = data.tariff
    return {
        "battery.power_kw": b.power_kw,
        "battery.energy_kwh": b.energy_kwh,
        "battery.charge_efficiency / discharge_efficiency": (
            f"{b.charge_efficiency:g} / {b.discharge_efficiency:g}"
        ),
        "battery.soc_min_fraction / soc_max_fraction": (
            f"{b.soc_min_fraction:g} / {b.soc_max_fraction:g}"
        ),
        "tariff": " / ".join(x for x in (tariff.utility, tariff.name) if x),
        "forecast.load / pv": f"{f.load} / {f.pv}",
        "forecast.load_quantile": f.load_quantile,
        "dispatch.cadence / lookahead_h": f"{d.cadence.value} / {d.lookahead_h:g}",
        "dispatch.history_days": d.history_days,
        "finance.capex_usd_per_kw / capex_usd_per_kwh": (
            f"{fin.capex_usd_per_kw:g} / {fin.capex_usd_per_kwh:g}"
        ),
        "finance.discount_rate_fraction": fin.discount_rate_fraction,
        "finance.analysis_years": fin.analysis_years,
        "finance.itc_fraction": fin.itc_fraction,
    }


def _settle(config, data, intervals, prices):
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
    return intervals, settlement


def _bill_fields(settlement: Settlement) -> dict[str, object]:
    """The summary's bill and savings fields of a settled run."""
    monthly = settlement.monthly
    baseline_total = settlement.baseline_bill.total_usd
    energy = {
        who: float((monthly[f"{who}_energy_usd"] - monthly[f"{who}_export_credit_usd"]).sum())
        for who in ("baseline", "battery")
    }
    demand = float(sum(monthly[f"savings_{column}"] for column in DEMAND_COLUMNS).sum())
    return {
        "baseline_bill_usd": baseline_total,
        "battery_bill_usd": settlement.battery_bill.total_usd,
        "bill_savings_usd": settlement.bill_savings_usd,
        "bill_savings_fraction": _fraction(settlement.bill_savings_usd, baseline_total),
        "energy_cost_savings_fraction": _fraction(
            energy["baseline"] - energy["battery"], energy["baseline"]
        ),
        "demand_savings_usd": demand,
        "market_revenue_usd": settlement.market_revenue_usd,
        "total_savings_usd": settlement.total_savings_usd,
        "savings_by_stream_usd": settlement.savings_by_stream_usd,
        "mean_peak_reduction_fraction": float(monthly["peak_reduction_fraction"].mean()),
    }


def summarize(
    config: BacktestConfig,
    *,
    data: SiteData,
    intervals: pd.DataFrame,
    windows: pd.DataFrame,
    loop: LoopResult,
    prices: MarketPrices | None,
    warm: int,
    perfect: BacktestResult | None = None,
    prescient: BacktestResult | None = None,
    started: float,
) -> BacktestResult:
    """Settle the run's ``intervals``, summarize it and project its cash flows."""
    settle_started = time.perf_counter()
    intervals, settlement = _settle(config, data, intervals, prices)
    monthly = settlement.monthly
    step = data.index[1] - data.index[0]
    dt_h = step / pd.Timedelta(hours=1)
    hours = len(intervals) * dt_h
    usable = config.battery.soc_max_kwh - config.battery.soc_min_kwh
    discharged = float(intervals["discharge_kw"].sum() * dt_h)
    cycles = discharged / usable
    total = settlement.total_savings_usd
    scale = _HOURS_PER_YEAR / hours
    finance = project_cash_flows(
        config.finance,
        power_kw=config.battery.power_kw,
        energy_kwh=config.battery.energy_kwh,
        first_year_savings_usd=total * scale,
        cycles_per_year=cycles * scale,
    )
    bill = _bill_fields(settlement)
    summary = BacktestSummary(
        site=config.site.name,
        start=intervals.index[0].isoformat(),
        end=(intervals.index[-1] + step).isoformat(),
        step_h=dt_h,
        forecast=f"load={config.forecast.load}, pv={config.forecast.pv}",
        **bill,
        max_baseline_peak_kw=float(intervals["baseline_grid_kw"].max()),
        max_battery_peak_kw=float(intervals["grid_kw"].max()),
        discharged_kwh=discharged,
        charged_kwh=float(intervals["charge_kw"].sum() * dt_h),
        cycles=cycles,
        n_windows=len(windows),
        n_fallback_windows=int((windows["status"] != "optimal").sum()),
        n_plans=len(windows),
        **_bounds(config, total, bill["demand_savings_usd"], perfect, prescient),
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
            settle_s=time.perf_counter() - settle_started,
        ),
        notes=tuple(_notes(config, data, intervals, windows, warm, scale, hours, dt_h)),
    )
    return BacktestResult(
        intervals=intervals,
        monthly=monthly,
        windows=windows,
        summary=summary,
        finance=finance,
        perfect_foresight=perfect,
        prescient=prescient,
        inputs=run_inputs(config, data),
    )
