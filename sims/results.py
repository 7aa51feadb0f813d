"""What a backtest returns: interval, monthly and window tables, a summary and the finance."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sims.finance import FinanceResult

__all__ = ["BacktestResult", "BacktestSummary", "Timings"]


@dataclass(frozen=True, kw_only=True)
class Timings:
    """Wall time of a backtest, split by phase [s].

    Parameters
    ----------
    total_s : float
        The whole call, including loading data, settlement and (for a forecast-driven run)
        the perfect-foresight rerun; the phase times below are this run's own.
    forecast_s : float
        Fitting and predicting forecasts.
    optimize_s : float
        Updating and solving the dispatch models (model builds included).
    control_s : float
        The controller's real-time layer and bookkeeping, every interval (plans excluded).
    plant_s : float
        Applying the schedules to the plant and carrying the state.
    settle_s : float
        Pricing the bills and computing the summary and the finance.
    """

    total_s: float = 0.0
    forecast_s: float = 0.0
    optimize_s: float = 0.0
    control_s: float = 0.0
    plant_s: float = 0.0
    settle_s: float = 0.0


@dataclass(frozen=True, kw_only=True)
class BacktestSummary:
    """Year-level figures of one backtest (money in $, energy in kWh, power in kW).

    Parameters
    ----------
    site : str
        Site name.
    start, end : str
        First interval start and the end of the last interval (ISO 8601).
    step_h : float
        Simulation step [h].
    forecast : str
        ``"load=<name>, pv=<name>"``.
    baseline_bill_usd, battery_bill_usd : float
        Bills without and with the battery (same PV) [$].
    bill_savings_usd : float
        ``baseline_bill_usd - battery_bill_usd`` [$].
    bill_savings_fraction : float
        ``bill_savings_usd / baseline_bill_usd`` (NaN if the baseline bill is 0).
    energy_cost_savings_fraction : float
        Savings on ``energy_usd - export_credit_usd`` over the baseline's (NaN if 0).
    demand_savings_usd : float
        Savings on the demand charges: flat demand and every peak charge (the bill's
        ``markets.bill.DEMAND_COLUMNS``, e.g. TOU demand) [$].
    market_revenue_usd : float
        Wholesale and ancillary revenue at actual prices [$] (0 without market streams).
    total_savings_usd : float
        ``bill_savings_usd + market_revenue_usd`` [$].
    savings_by_stream_usd : dict of str to float
        Savings per bill line (``energy``, ``demand_flat``, ``demand_<name>`` per peak
        charge such as ``demand_tou``, ``fixed``, ``minimum``, ``export_credit``) and per
        market stream [$]; they sum to ``total_savings_usd``.
    mean_peak_reduction_fraction : float
        Mean over months of the monthly peak import reduction [fraction].
    max_baseline_peak_kw, max_battery_peak_kw : float
        Highest interval import over the period without and with the battery [kW].
    discharged_kwh, charged_kwh : float
        Battery throughput at the terminals [kWh].
    cycles : float
        Full equivalent cycles: ``discharged_kwh / usable energy``.
    n_windows, n_fallback_windows : int
        Optimization windows, and those that failed and fell back to the safe dispatch.
    perfect_foresight_savings_usd : float
        Total savings of the same year with perfect foresight (NaN if not run).
    capture_ratio : float
        ``total_savings_usd / perfect_foresight_savings_usd`` (1.0 for a perfect-foresight
        run; NaN if not run or the bound is not positive).
    prescient_savings_usd, prescient_demand_savings_usd : float
        Total and demand-charge savings of the prescient bound: perfect foresight with one plan
        per billing month, same plant and bill engine (NaN if not run).
    capture_of_prescient, demand_capture_of_prescient : float
        ``total_savings_usd / prescient_savings_usd`` and ``demand_savings_usd /
        prescient_demand_savings_usd`` (NaN if not run or the bound is not positive).
    n_plans : int
        Plans the controller made (scheduled and event-driven).
    npv_usd, irr_fraction, simple_payback_years, discounted_payback_years : float
        From :mod:`sims.finance`.
    timings : Timings
        Wall time by phase.
    notes : tuple of str
        Things the user should know (unpriced tariff fields, fallbacks, ...).
    """

    site: str
    start: str
    end: str
    step_h: float
    forecast: str
    baseline_bill_usd: float
    battery_bill_usd: float
    bill_savings_usd: float
    bill_savings_fraction: float
    energy_cost_savings_fraction: float
    demand_savings_usd: float
    market_revenue_usd: float
    total_savings_usd: float
    savings_by_stream_usd: dict[str, float]
    mean_peak_reduction_fraction: float
    max_baseline_peak_kw: float
    max_battery_peak_kw: float
    discharged_kwh: float
    charged_kwh: float
    cycles: float
    n_windows: int
    n_fallback_windows: int
    perfect_foresight_savings_usd: float = math.nan
    capture_ratio: float = math.nan
    prescient_savings_usd: float = math.nan
    prescient_demand_savings_usd: float = math.nan
    capture_of_prescient: float = math.nan
    demand_capture_of_prescient: float = math.nan
    n_plans: int = 0
    npv_usd: float = math.nan
    irr_fraction: float = math.nan
    simple_payback_years: float = math.nan
    discounted_payback_years: float = math.nan
    timings: Timings = field(default_factory=Timings)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN and inf become None and "inf")."""

        def clean(value: Any) -> Any:
            if isinstance(value, float):
                if math.isnan(value):
                    return None
                if math.isinf(value):
                    return "inf" if value > 0 else "-inf"
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            return value

        return clean(dataclasses.asdict(self))


@dataclass(frozen=True, kw_only=True)
class BacktestResult:
    """The result of one backtest.

    Parameters
    ----------
    intervals : pandas.DataFrame
        One row per interval: the plant's columns (see :data:`sims.plant.PLANT_COLUMNS`),
        ``baseline_grid_kw`` (the meter without a battery, same PV and export limit),
        ``load_forecast_kw`` and ``pv_forecast_kw`` (the forecast the interval was dispatched
        on), ``target_kw`` (the demand target the real-time layer held; inf where no demand
        charge applies), ``reserve_kwh`` (the stored energy it kept), ``charge_plan_kw``,
        ``discharge_plan_kw`` and ``planned_soc_kwh`` (the plan's), ``window`` (the plan
        number) and, with markets, ``<product>_award_kw``.
    monthly : pandas.DataFrame
        One row per billing month: ``baseline_<charge>`` and ``battery_<charge>`` for every bill
        column, ``savings_<charge>``, ``baseline_peak_kw``, ``battery_peak_kw``,
        ``peak_reduction_fraction``, ``discharged_kwh``, ``cycles``.
    windows : pandas.DataFrame
        One row per plan: ``issue_time``, ``reason`` (``"schedule"``, ``"peak"``, ``"reserve"``,
        ...), ``n_steps``, ``status`` (``"optimal"`` or
        ``"fallback"``), ``error``, ``objective_usd``, ``forecast_s``, ``optimize_s``.
    summary : BacktestSummary
        Year-level figures.
    finance : FinanceResult
        Cash flows and returns.
    perfect_foresight : BacktestResult or None
        The same year run with perfect foresight, when it was run for the capture ratio.
    prescient : BacktestResult or None
        The prescient bound (one perfect-foresight plan per billing month), when it was run.
    inputs : dict
        The run's key inputs by their config key (battery, tariff, forecast, dispatch, finance),
        for the report.
    """

    intervals: pd.DataFrame
    monthly: pd.DataFrame
    windows: pd.DataFrame
    summary: BacktestSummary
    finance: FinanceResult
    perfect_foresight: BacktestResult | None = None
    prescient: BacktestResult | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
