"""Checks of the gradient-boosting load forecaster's settings (:mod:`forecasting.load_ml`)."""

from __future__ import annotations

from typing import Any

from core.errors import InputError
from forecasting.calendar import SiteCalendar

__all__ = ["check_settings"]


def check_settings(
    *,
    calendar: Any,
    strategy: Any,
    weather: Any,
    horizon_h: Any,
    issue_hours: Any,
    quantile_method: Any,
    calibration_days: Any,
    calibration_pool_h: Any,
    refit_every_h: Any,
    min_train_days: Any,
    loss: Any,
    max_iter: Any,
    max_leaf_nodes: Any,
    min_samples_leaf: Any,
    learning_rate: Any,
    threads: Any,
) -> None:
    """Raise :class:`~core.errors.InputError` naming the first setting out of its range.

    The ranges are those of :class:`~forecasting.load_ml.GradientBoostingLoadForecaster`'s
    parameters.
    """
    if not isinstance(calendar, SiteCalendar):
        raise InputError("calendar", calendar, "a SiteCalendar")
    if strategy not in ("direct", "recursive"):
        raise InputError("strategy", strategy, "'direct' or 'recursive'")
    if weather not in ("lagged", "forecast", "none"):
        raise InputError("weather", weather, "'lagged', 'forecast' or 'none'")
    if not isinstance(horizon_h, (int, float)) or not 0 < horizon_h <= 24 * 14:
        raise InputError("horizon_h", horizon_h, "a horizon in (0, 336] hours")
    if (
        not isinstance(issue_hours, tuple)
        or not issue_hours
        or any(not isinstance(h, (int, float)) or not 0 <= h < 24 for h in issue_hours)
    ):
        raise InputError("issue_hours", issue_hours, "a non-empty tuple of hours in [0, 24)")
    if quantile_method not in ("residual", "quantile_regression"):
        raise InputError("quantile_method", quantile_method, "'residual' or 'quantile_regression'")
    if not isinstance(calibration_days, int) or calibration_days < 7:
        raise InputError("calibration_days", calibration_days, "an integer >= 7")
    if not isinstance(calibration_pool_h, (int, float)) or not 0 <= calibration_pool_h <= 12:
        raise InputError("calibration_pool_h", calibration_pool_h, "hours in [0, 12]")
    if refit_every_h is not None and (
        not isinstance(refit_every_h, (int, float)) or refit_every_h <= 0
    ):
        raise InputError("refit_every_h", refit_every_h, "hours > 0, or None")
    if not isinstance(min_train_days, int) or min_train_days < 8:
        raise InputError("min_train_days", min_train_days, "an integer >= 8")
    if loss not in ("squared_error", "absolute_error"):
        raise InputError("loss", loss, "'squared_error' or 'absolute_error'")
    for name, value in (("max_iter", max_iter), ("max_leaf_nodes", max_leaf_nodes)):
        if not isinstance(value, int) or value < 2:
            raise InputError(name, value, "an integer >= 2")
    if not isinstance(min_samples_leaf, int) or min_samples_leaf < 1:
        raise InputError("min_samples_leaf", min_samples_leaf, "an integer >= 1")
    if not isinstance(learning_rate, float) or not 0 < learning_rate <= 1:
        raise InputError("learning_rate", learning_rate, "a float in (0, 1]")
    if not isinstance(threads, int) or threads < 1:
        raise InputError("threads", threads, "an integer >= 1")
