"""Rolling-origin evaluation: issue forecasts one after another, as a backtest would.

At each issue time the forecaster has seen exactly the rows whose interval ended by then: it is
fitted on the data before the first issue and then ``update``-d with each new block of rows,
so no row after an issue time is ever handed to it before that issue's forecast is made.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index
from forecasting import metrics
from forecasting.base import Forecaster, quantile_column

__all__ = ["ForecastRun", "evaluate_run", "rolling_origin", "score_table"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ForecastRun:
    """Forecasts of one forecaster over many issues, with the actuals.

    Attributes
    ----------
    name : str
        Label of the forecaster (``"perfect-weather"`` runs say so in their name).
    target : str
        The forecast column.
    frame : pandas.DataFrame
        One row per (issue, target time): ``issue_time``, ``time``, ``lead_h``, ``actual``,
        ``forecast`` and, where supported, ``p10``, ``p50``, ``p90`` [kW].
    fit_s : float
        Wall time spent in ``fit`` and ``update`` [s].
    predict_s : float
        Wall time spent in ``predict`` [s].
    """

    name: str
    target: str
    frame: pd.DataFrame
    fit_s: float
    predict_s: float


def rolling_origin(
    make_forecaster: Callable[[], Forecaster],
    data: pd.DataFrame,
    *,
    first_issue: pd.Timestamp,
    last_issue: pd.Timestamp,
    target: str = "load_kw",
    horizon_h: float = 24.0,
    issue_every_h: float = 24.0,
    weather_columns: Sequence[str] = (),
    name: str | None = None,
) -> ForecastRun:
    """Run a forecaster over issues ``first_issue, first_issue + issue_every_h, ...``.

    Parameters
    ----------
    make_forecaster : callable
        Returns a fresh, unfitted forecaster.
    data : pandas.DataFrame
        The whole period: ``target`` (NaN = missing) and any columns the forecaster needs, on a
        fixed-step index.
    first_issue, last_issue : pandas.Timestamp
        First and last issue times (tz-aware), inclusive.
    target : str, default "load_kw"
        The forecast column.
    horizon_h : float, default 24
        Forecast horizon [h] from each issue.
    issue_every_h : float, default 24
        Hours between issues; a whole number of days steps in local calendar days of
        ``first_issue``'s zone, so midnight issues stay at local midnight across DST.
    weather_columns : sequence of str, default ()
        Columns of ``data`` passed to ``predict`` as a weather forecast on the horizon. These
        are the ACTUAL values of the target day: name such runs "perfect-weather".
    name : str, optional
        Label of the run (default: the forecaster's class name).
    """
    validate_index(data.index, name="data.index", min_length=2)
    for label, value in (("first_issue", first_issue), ("last_issue", last_issue)):
        if not isinstance(value, pd.Timestamp) or value.tz is None:
            raise InputError(label, value, "a tz-aware pandas.Timestamp")
    if last_issue < first_issue:
        raise InputError("last_issue", last_issue, f"a time at or after {first_issue}")
    step = data.index[1] - data.index[0]
    steps = math.ceil(pd.Timedelta(hours=horizon_h) / step)
    if data.index[0] + step > first_issue:
        raise InputError("first_issue", first_issue, "a time after the first data interval")
    days = issue_every_h / 24.0
    # whole days step in calendar days of the issue's zone (same local clock across DST)
    every = f"{int(days)}D" if days.is_integer() else pd.Timedelta(hours=issue_every_h)
    issues = pd.date_range(first_issue, last_issue, freq=every)
    if issues[-1] + steps * step > data.index[-1] + step:
        raise InputError("last_issue", last_issue, "an issue whose horizon lies within data")

    forecaster = make_forecaster()
    label = name or type(forecaster).__name__
    fit_s = predict_s = 0.0
    known = int(np.searchsorted(data.index, issues[0] - step, side="right"))
    started = time.perf_counter()
    forecaster.fit(data.iloc[:known])
    fit_s += time.perf_counter() - started
    pieces = []
    for issue in issues:
        now = int(np.searchsorted(data.index, issue - step, side="right"))
        if now > known:
            started = time.perf_counter()
            forecaster.update(data.iloc[known:now])
            fit_s += time.perf_counter() - started
            known = now
        first = int(np.searchsorted(data.index, issue, side="left"))
        horizon = data.index[first : first + steps]
        weather = data.loc[horizon, list(weather_columns)] if weather_columns else None
        started = time.perf_counter()
        forecast = forecaster.predict(issue, horizon, weather=weather)
        predict_s += time.perf_counter() - started
        piece = pd.DataFrame(
            {
                "issue_time": issue,
                "time": horizon,
                "lead_h": (horizon - issue) / pd.Timedelta(hours=1),
                "actual": data.loc[horizon, target].to_numpy(dtype=float),
                "forecast": forecast[target].to_numpy(dtype=float),
            }
        )
        for level in (0.1, 0.5, 0.9):
            column = quantile_column(target, level)
            if column in forecast.columns:
                piece[column.removeprefix(f"{target}_")] = forecast[column].to_numpy(dtype=float)
        pieces.append(piece)
    frame = pd.concat(pieces, ignore_index=True)
    logger.info("%s: %d issues, fit %.1f s, predict %.1f s", label, len(issues), fit_s, predict_s)
    return ForecastRun(name=label, target=target, frame=frame, fit_s=fit_s, predict_s=predict_s)


def evaluate_run(
    run: ForecastRun,
    *,
    tz: str,
    reference: ForecastRun | None = None,
    capacity_kw: float | None = None,
    mape_ok: bool = True,
) -> dict[str, float]:
    """Scores of one run.

    Parameters
    ----------
    run : ForecastRun
        The forecasts.
    tz : str
        Site zone: daily peaks are per local day.
    reference : ForecastRun, optional
        Seasonal naive (or other) run on the same issues, for the skill score.
    capacity_kw : float, optional
        PV capacity for nMAE (default: nMAE relative to the mean actual).
    mape_ok : bool, default True
        Report MAPE (loads far from zero); False for PV.

    Returns
    -------
    dict
        ``mae_kw``, ``rmse_kw``, ``cv_rmse``, ``mape`` (over all points; actuals below 5 % of
        the mean are left out and counted in ``n_mape_dropped``), ``mape_issue_median`` (median
        over issues of each issue's MAPE), ``nmae``, ``peak_error`` (mean relative
        daily-peak error), ``peak_within_1h`` (share of days with the peak hour within +-1 h),
        ``peak_timing_h`` (mean), ``coverage_p10_p90``, ``skill_cv_rmse``, ``n_points``,
        ``n_missing``.
    """
    f = run.frame
    a, p = f["actual"].to_numpy(), f["forecast"].to_numpy()
    out: dict[str, float] = {
        "n_points": float(np.isfinite(a).sum()),
        "n_missing": float(np.isnan(a).sum()),
        "mae_kw": metrics.mae(a, p),
        "rmse_kw": metrics.rmse(a, p),
        "cv_rmse": metrics.cv_rmse(a, p),
        "nmae": metrics.nmae(a, p, normaliser=capacity_kw),
    }
    if mape_ok:
        # points below 5 % of the run's mean load are left out of MAPE (and counted)
        mean_kw = float(np.nanmean(a))
        per_issue = [
            metrics.mape(g["actual"], g["forecast"], reference_kw=mean_kw, drop_small=True)
            for _, g in f.groupby("issue_time")
            if (g["actual"].to_numpy() >= 0.05 * mean_kw).any()
        ]
        out["mape"] = metrics.mape(a, p, reference_kw=mean_kw, drop_small=True)
        out["mape_issue_median"] = float(np.median(per_issue))
        out["n_mape_dropped"] = float(np.sum(a < 0.05 * mean_kw))
    # daily peaks: each complete local day inside a horizon, judged on that issue's forecast
    peak_errors, timing = [], []
    for _, group in f.groupby("issue_time"):
        index = pd.DatetimeIndex(group["time"])
        if len(index) < 2:
            continue
        actual = pd.Series(group["actual"].to_numpy(), index=index)
        forecast = pd.Series(group["forecast"].to_numpy(), index=index)
        a_peaks = metrics.daily_peaks(actual, tz=tz)
        f_peaks = metrics.daily_peaks(forecast, tz=tz)
        joined = a_peaks.join(f_peaks, how="inner", suffixes=("_a", "_f"))
        peak_errors += list(np.abs(joined["peak_kw_f"] - joined["peak_kw_a"]) / joined["peak_kw_a"])
        timing += list(np.abs(joined["peak_hour_h_f"] - joined["peak_hour_h_a"]))
    if timing:
        out["peak_error"] = float(np.mean(peak_errors))
        out["peak_within_1h"] = float(np.mean(np.asarray(timing) <= 1.0))
        out["peak_timing_h"] = float(np.mean(timing))
        out["n_days"] = float(len(timing))
    if {"p10", "p90"} <= set(f.columns):
        out["coverage_p10_p90"] = metrics.coverage(a, f["p10"], f["p90"])
    if reference is not None:
        r = reference.frame
        if not (r["time"].equals(f["time"]) and r["issue_time"].equals(f["issue_time"])):
            raise InputError("reference", reference.name, "a run on the same issues and horizon")
        out["skill_cv_rmse"] = metrics.skill(out["cv_rmse"], metrics.cv_rmse(a, r["forecast"]))
    return out


def score_table(
    runs: Sequence[ForecastRun],
    *,
    tz: str,
    reference: str | None = None,
    capacity_kw: float | None = None,
    mape_ok: bool = True,
) -> pd.DataFrame:
    """One row of :func:`evaluate_run` scores per run, indexed by run name.

    ``reference`` names the run used for the skill score (e.g. the seasonal naive one).
    """
    by_name = {r.name: r for r in runs}
    if reference is not None and reference not in by_name:
        raise InputError("reference", reference, f"one of {list(by_name)}")
    ref = by_name[reference] if reference else None
    rows = {
        r.name: evaluate_run(r, tz=tz, reference=ref, capacity_kw=capacity_kw, mape_ok=mape_ok)
        for r in runs
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["fit_s"] = [r.fit_s for r in runs]
    table["predict_s"] = [r.predict_s for r in runs]
    return table
