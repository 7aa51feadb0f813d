"""Forecasting timings: fitting and daily refits of the gradient-boosting load forecaster.

The load is the example office's 15-minute year (``examples/office_load.csv``, made by the
project) and its hourly means. Each case fits the direct day-ahead forecaster on the history
before an issue date, then runs ``days`` daily cycles as a backtest would: ``update`` with the
day's 96 (or 24) readings, which scores the finished forecast and refits the model
(``refit_every_h=24``), then ``predict`` the next 24 h. ``refit_s`` is the mean time of one daily
update-with-refit, ``year_of_refits_s`` that times 365: the forecasting cost of a one-year
backtest with daily refits.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import GradientBoostingLoadForecaster, SiteCalendar

ROOT = Path(__file__).resolve().parents[1]
TZ = "America/New_York"


def _loads() -> dict[str, pd.DataFrame]:
    frame = pd.read_csv(ROOT / "examples" / "office_load.csv")
    index = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True)).tz_convert(TZ)
    quarter = pd.DataFrame({"load_kw": frame["load_kw"].to_numpy(dtype=float)}, index=index)
    hourly = quarter.groupby(np.arange(len(quarter)) // 4).mean()
    hourly.index = quarter.index[::4]
    return {"15min": quarter, "60min": hourly}


def _case(name: str, data: pd.DataFrame, *, history_days: int, days: int) -> dict:
    calendar = SiteCalendar(tz=TZ, country="US")
    per_day = int(pd.Timedelta(days=1) / (data.index[1] - data.index[0]))
    split = history_days * per_day
    forecaster = GradientBoostingLoadForecaster(
        calendar=calendar, weather="none", refit_every_h=24.0
    )
    started = time.perf_counter()
    forecaster.fit(data.iloc[:split])
    fit_s = time.perf_counter() - started
    refit_s, predict_s = [], []
    for day in range(days):
        block = data.iloc[split + day * per_day : split + (day + 1) * per_day]
        started = time.perf_counter()
        forecaster.update(block)
        refit_s.append(time.perf_counter() - started)
        issue = block.index[-1] + (data.index[1] - data.index[0])
        horizon = pd.date_range(issue, periods=per_day, freq=data.index[1] - data.index[0])
        started = time.perf_counter()
        forecaster.predict(issue, horizon)
        predict_s.append(time.perf_counter() - started)
    mean_refit = float(np.mean(refit_s))
    return {
        "suite": "forecast",
        "case": name,
        "history_days": history_days,
        "fit_s": fit_s,
        "refit_s": mean_refit,
        "predict_s": float(np.mean(predict_s)),
        "year_of_refits_s": 365.0 * mean_refit,
        "fits": forecaster.fit_count,
    }


def run(short: bool) -> list[dict]:
    """Time fit, daily refit and predict; short mode keeps to well under a minute."""
    loads = _loads()
    if short:
        plan = [("60min", 120, 3), ("15min", 120, 3)]
    else:
        plan = [("60min", 120, 7), ("60min", 300, 7), ("15min", 120, 7), ("15min", 300, 7)]
    return [
        _case(f"ml_direct_{step}_{history}d", loads[step], history_days=history, days=days)
        for step, history, days in plan
    ]
