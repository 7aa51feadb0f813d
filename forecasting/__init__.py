"""Load and PV forecasting, and rolling-origin forecast evaluation. Never imports Pyomo.

The forecaster protocol (:class:`~forecasting.base.Forecaster`)
---------------------------------------------------------------
Every forecaster has a ``target`` column (``"load_kw"`` or ``"pv_kw"``) and three methods:

``fit(history) -> self``
    ``history`` is a DataFrame on a tz-aware, fixed-step, interval-beginning index holding the
    target [kW] (NaN marks a missing reading: never filled, left out of training and lags) and
    any covariates the forecaster needs (``temp_air_c`` [degC], ``ghi_w_per_m2`` ...). Every
    row is data up to the fitting cutoff ``history.index[-1] + dt``.
``update(observations) -> self``
    Append the rows that continue the history (the next labels, same columns), e.g. after each
    settled step of a backtest. A forecaster may refit here on its own cadence (the ML load
    forecaster's ``refit_every_h``).
``predict(issue_time, horizon, *, weather=None) -> DataFrame``
    The forecast on ``horizon`` (labels on the history's grid, at or after ``issue_time``): the
    point column ``target`` plus ``target_p10``, ``target_p50``, ``target_p90`` where the
    method supports quantiles (the ML load forecaster; the baselines and the PV forecaster
    give the point only). ``weather`` is an optional forecast of covariates ON THE HORIZON,
    issued at ``issue_time``.

Look-ahead safety, enforced inside every forecaster: an observation labelled ``t`` is known at
``t + dt``; ``predict(issue_time, ...)`` reads only rows with ``t + dt <= issue_time``
(:meth:`~forecasting.base.History.visible`), only models trained and residuals known by then,
and refuses an ``issue_time`` before its fitting cutoff. So a simulator may ``update`` ahead of
time; rows after ``issue_time`` still cannot change the forecast (one parametrized test proves
it for every implementation). :class:`~forecasting.perfect.PerfectForesightForecaster` is the
labelled exception (``looks_ahead = True``): it returns the actuals, for the perfect-foresight
bound only.

A backtest uses it like this::

    calendar = SiteCalendar(tz="America/Los_Angeles", country="US", subdiv="CA")
    load_fc = GradientBoostingLoadForecaster(calendar=calendar)  # refits weekly by default
    load_fc.fit(site.loc[:first_decision - dt])                    # rows ended by the decision
    for t in decision_times:
        load_fc.update(new_rows)             # the rows whose interval ended since the last call
        forecast = load_fc.predict(t, horizon_index)  # load_kw, load_kw_p10, _p50, _p90

Missing readings go in as NaN target rows (never dropped: the index must stay fixed-step).

Modules: :mod:`~forecasting.baselines` (persistence, seasonal naive, similar days),
:mod:`~forecasting.load_ml` (gradient boosting, direct or recursive, conformal quantiles),
:mod:`~forecasting.pv` (pvlib PVWatts), :mod:`~forecasting.metrics`,
:mod:`~forecasting.evaluation` (rolling origin), :mod:`~forecasting.datasets` (readers).
"""

from forecasting.base import QUANTILES, Forecaster, History, quantile_column
from forecasting.baselines import (
    PersistenceForecaster,
    SeasonalNaiveForecaster,
    SimilarDaysForecaster,
)
from forecasting.calendar import SiteCalendar
from forecasting.evaluation import ForecastRun, evaluate_run, rolling_origin, score_table
from forecasting.load_ml import GradientBoostingLoadForecaster
from forecasting.perfect import PerfectForesightForecaster
from forecasting.pv import PVForecaster, PVSystemSpec, simulate_pv_kw

__all__ = [
    "QUANTILES",
    "ForecastRun",
    "Forecaster",
    "GradientBoostingLoadForecaster",
    "History",
    "PVForecaster",
    "PVSystemSpec",
    "PerfectForesightForecaster",
    "PersistenceForecaster",
    "SeasonalNaiveForecaster",
    "SimilarDaysForecaster",
    "SiteCalendar",
    "evaluate_run",
    "quantile_column",
    "rolling_origin",
    "score_table",
    "simulate_pv_kw",
]
