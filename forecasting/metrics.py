"""Forecast error metrics. Missing actuals (NaN) are left out of every metric.

All functions take aligned arrays (or Series) of actuals and forecasts [kW]. Daily peak metrics
group by the local calendar day of a tz-aware index and use only complete days (every interval
observed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = [
    "coverage",
    "cv_rmse",
    "daily_peaks",
    "mae",
    "mape",
    "nmae",
    "peak_magnitude_error",
    "peak_timing_error_h",
    "pinball_loss",
    "rmse",
    "skill",
]


def _pair(actual: object, forecast: object) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise InputError("forecast", f"shape {f.shape}", f"the actuals' shape {a.shape}")
    keep = np.isfinite(a)
    if np.isnan(f[keep]).any():
        raise InputError("forecast", "NaN where an actual exists", "a finite forecast")
    if not keep.any():
        raise InputError("actual", "no finite value", "at least one observed actual")
    return a[keep], f[keep]


def mae(actual: object, forecast: object) -> float:
    """Mean absolute error [kW]."""
    a, f = _pair(actual, forecast)
    return float(np.mean(np.abs(f - a)))


def rmse(actual: object, forecast: object) -> float:
    """Root mean square error [kW]."""
    a, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((f - a) ** 2)))


def cv_rmse(actual: object, forecast: object) -> float:
    """Coefficient of variation of the RMSE: RMSE / mean actual [fraction]."""
    a, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((f - a) ** 2)) / np.mean(a))


def mape(
    actual: object,
    forecast: object,
    *,
    min_actual_fraction: float = 0.05,
    reference_kw: float | None = None,
    drop_small: bool = False,
) -> float:
    """Mean absolute percentage error [fraction].

    Only meaningful where loads are far from zero: an actual below ``min_actual_fraction`` of
    ``reference_kw`` (default: the mean actual) raises ``InputError``, or is left out when
    ``drop_small`` is True.
    """
    a, f = _pair(actual, forecast)
    floor = min_actual_fraction * (np.mean(a) if reference_kw is None else reference_kw)
    small = a < floor
    if small.any() and not drop_small:
        raise InputError("actual", f"min {a.min()}", f"actuals >= {floor} for a MAPE")
    a, f = a[~small], f[~small]
    if len(a) == 0:
        raise InputError("actual", "all small", f"some actuals >= {floor} for a MAPE")
    return float(np.mean(np.abs(f - a) / a))


def nmae(actual: object, forecast: object, *, normaliser: float | None = None) -> float:
    """MAE divided by ``normaliser`` (e.g. PV capacity [kW]); default the mean actual."""
    a, f = _pair(actual, forecast)
    scale = float(np.mean(a)) if normaliser is None else normaliser
    if not scale > 0:
        raise InputError("normaliser", scale, "a value > 0")
    return float(np.mean(np.abs(f - a)) / scale)


def skill(score: float, reference: float) -> float:
    """Skill score ``1 - score / reference`` (1 perfect, 0 no better than the reference)."""
    if not reference > 0:
        raise InputError("reference", reference, "a reference error > 0")
    return 1.0 - score / reference


def pinball_loss(actual: object, quantile: object, level: float) -> float:
    """Mean pinball (quantile) loss of the ``level`` quantile forecast [kW]."""
    a, q = _pair(actual, quantile)
    diff = a - q
    return float(np.mean(np.maximum(level * diff, (level - 1) * diff)))


def coverage(actual: object, lower: object, upper: object) -> float:
    """Fraction of actuals within ``[lower, upper]``."""
    a, lo = _pair(actual, lower)
    _, hi = _pair(actual, upper)
    return float(np.mean((a >= lo) & (a <= hi)))


def daily_peaks(series: pd.Series, *, tz: str) -> pd.DataFrame:
    """Peak value and its local clock hour for each complete local day.

    A day is complete when every interval from local midnight to the next local midnight is
    present and observed (23 or 25 hours on DST days).

    Returns
    -------
    pandas.DataFrame
        Indexed by local date: ``peak_kw`` and ``peak_hour_h`` (local clock time of the peak
        interval's start [h]).
    """
    index = series.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None or len(index) < 2:
        raise InputError("series.index", type(index).__name__, "a tz-aware DatetimeIndex")
    step = index[1] - index[0]
    local = index.tz_convert(tz)
    values = series.to_numpy(dtype=float)
    hours = (local.hour + local.minute / 60.0).to_numpy()
    day = local.normalize()
    rows = []
    for date in day.unique():
        where = np.flatnonzero(day == date)
        expected = ((date + pd.DateOffset(days=1)) - date) / step
        if len(where) != expected or np.isnan(values[where]).any():
            continue
        i = where[int(np.argmax(values[where]))]
        rows.append((date, values[i], hours[i]))
    return pd.DataFrame(rows, columns=["date", "peak_kw", "peak_hour_h"]).set_index("date")


def _peak_pairs(actual: pd.Series, forecast: pd.Series, tz: str) -> pd.DataFrame:
    if not actual.index.equals(forecast.index):
        raise InputError("forecast.index", "differs", "the actuals' index")
    a = daily_peaks(actual, tz=tz)
    f = daily_peaks(forecast, tz=tz)
    joined = a.join(f, how="inner", suffixes=("_actual", "_forecast"))
    if joined.empty:
        raise InputError("actual", "no complete day", "at least one fully observed local day")
    return joined


def peak_magnitude_error(actual: pd.Series, forecast: pd.Series, *, tz: str) -> float:
    """Mean absolute error of the daily peak, relative to the actual peak [fraction]."""
    j = _peak_pairs(actual, forecast, tz)
    return float(np.mean(np.abs(j["peak_kw_forecast"] - j["peak_kw_actual"]) / j["peak_kw_actual"]))


def peak_timing_error_h(actual: pd.Series, forecast: pd.Series, *, tz: str) -> np.ndarray:
    """Per complete day, |forecast peak hour - actual peak hour| [h]."""
    j = _peak_pairs(actual, forecast, tz)
    return np.abs(j["peak_hour_h_forecast"] - j["peak_hour_h_actual"]).to_numpy()
