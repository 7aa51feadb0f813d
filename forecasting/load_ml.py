"""Machine-learning load forecaster: gradient-boosted trees with conformal quantiles.

The model is scikit-learn's ``HistGradientBoostingRegressor`` (handles missing lags natively)
on the features of :mod:`forecasting.load_features`. Two strategies:

- ``"direct"``: one model for every horizon step, with the lead time as a feature, trained on
  forecasts issued at the local clock times ``issue_hours`` of every day in the history;
- ``"recursive"``: a one-step-ahead model whose forecasts are fed back as lags, step by step.

Quantiles (P10/P50/P90) are calibrated conformally on past out-of-sample residuals, by horizon
step: at ``fit`` the last ``calibration_days`` of history are held out, forecast by a model
trained on the days before them, and their residuals seed the calibration; every later
``update`` adds the residuals of the current model's forecasts for the newly observed days
(true out-of-sample errors), keeping the most recent ``calibration_days`` worth. With
``quantile_method="quantile_regression"`` P10 and P90 come from quantile-loss models and are then
shifted by the same conformal procedure applied to their own residuals (conformalised quantile
regression); with ``"residual"`` all three quantiles are the point forecast plus conformal
quantiles of its residuals.

The model is refitted inside ``update`` once ``refit_every_h`` hours of new data have arrived
(``None``: never refit after ``fit``). Look-ahead safety: ``predict`` uses the latest model
trained only on data known at the issue time (the last three are kept; an issue before the
earliest kept cutoff raises) and only residuals whose actuals were known by then.
"""

from __future__ import annotations

import logging
import math
from typing import Literal, Self

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from core.errors import InputError
from forecasting.base import QUANTILES, History, check_request, quantile_column
from forecasting.calendar import SiteCalendar
from forecasting.conformal import ResidualCalibrator
from forecasting.load_features import LoadFeatureBuilder
from forecasting.load_ml_checks import check_settings
from forecasting.load_ml_rows import issue_positions, training_rows

__all__ = ["GradientBoostingLoadForecaster"]

logger = logging.getLogger(__name__)

TEMPERATURE = "temp_air_c"
"""Column of observed (history) or forecast (weather) air temperature [degC]."""


class GradientBoostingLoadForecaster:
    """Day-ahead (or any-horizon) load forecaster on calendar, lagged load and temperature.

    Parameters
    ----------
    calendar : SiteCalendar
        Site zone and holidays.
    strategy : {"direct", "recursive"}, default "direct"
        One model over all leads, or a one-step model applied recursively.
    weather : {"lagged", "forecast", "none"}, default "lagged"
        ``"lagged"``: observed temperature known at the issue (``temp_air_c`` in the history);
        ``"forecast"``: also a temperature forecast passed to ``predict`` as ``weather``;
        ``"none"``: no temperature.
    horizon_h : float, default 24
        Longest lead trained for [h] (direct strategy).
    issue_hours : tuple of float, default (0.0,)
        Local clock times [h] of the issues simulated in training (direct strategy).
    quantile_method : {"residual", "quantile_regression"}, default "residual"
        How P10/P50/P90 are made (see the module notes).
    calibration_days : int, default 56
        Days of past forecasts the conformal calibration keeps (and holds out at fit, up to
        what ``min_train_days`` leaves).
    calibration_pool_h : float, default 1
        Residuals of leads within +- this many hours are pooled for each lead.
    refit_every_h : float or None, default 168
        Refit after this many hours of new observations; None to never refit.
    min_train_days : int, default 21
        Least history used to train [days] besides the calibration hold-out.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf
        Passed to ``HistGradientBoostingRegressor``.
    loss : {"squared_error", "absolute_error"}, default "squared_error"
        Loss of the point model.
    random_state : int, default 0
        Seed, for reproducible fits.
    threads : int, default 1
        OpenMP threads for training and prediction (one thread is fastest on a shared
        machine, and a fleet run parallelises over sites instead).
    target : str, default "load_kw"
        The forecast column.
    """

    def __init__(
        self,
        *,
        calendar: SiteCalendar,
        strategy: Literal["direct", "recursive"] = "direct",
        weather: Literal["lagged", "forecast", "none"] = "lagged",
        horizon_h: float = 24.0,
        issue_hours: tuple[float, ...] = (0.0,),
        quantile_method: Literal["residual", "quantile_regression"] = "residual",
        calibration_days: int = 56,
        calibration_pool_h: float = 1.0,
        refit_every_h: float | None = 168.0,
        min_train_days: int = 21,
        max_iter: int = 150,
        learning_rate: float = 0.08,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 20,
        loss: Literal["squared_error", "absolute_error"] = "squared_error",
        random_state: int = 0,
        threads: int = 1,
        target: str = "load_kw",
    ) -> None:
        check_settings(
            calendar=calendar,
            strategy=strategy,
            weather=weather,
            horizon_h=horizon_h,
            issue_hours=issue_hours,
            quantile_method=quantile_method,
            calibration_days=calibration_days,
            calibration_pool_h=calibration_pool_h,
            refit_every_h=refit_every_h,
            min_train_days=min_train_days,
            loss=loss,
            max_iter=max_iter,
            max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf,
            learning_rate=learning_rate,
            threads=threads,
        )
        self.calendar = calendar
        self.strategy = strategy
        self.weather = weather
        self.horizon_h = float(horizon_h)
        self.issue_hours = tuple(float(h) for h in issue_hours)
        self.quantile_method = quantile_method
        self.calibration_days = calibration_days
        self.calibration_pool_h = float(calibration_pool_h)
        self.refit_every_h = refit_every_h
        self.min_train_days = min_train_days
        self.loss = loss
        self.random_state = random_state
        self.threads = threads
        self.target = target
        self._params = dict(
            max_iter=max_iter,
            learning_rate=learning_rate,
            max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf,
            early_stopping=False,
            random_state=random_state,
        )
        self._history: History | None = None
        self._models: dict[str, HistGradientBoostingRegressor] = {}
        self._builder: LoadFeatureBuilder | None = None
        self._calibrators: dict[str, ResidualCalibrator] = {}
        self._fitted_end: pd.Timestamp | None = None
        self._scored_until: pd.Timestamp | None = None
        self._versions: list[tuple[pd.Timestamp, dict[str, HistGradientBoostingRegressor]]] = []
        self.keep_versions = 3
        self._working_cache: np.ndarray | None = None
        self._working_start: pd.Timestamp | None = None
        self.fit_count = 0
        """How many times the model was trained (including the calibration hold-out)."""

    # ----------------------------------------------------------------------------- helpers
    @property
    def _columns(self) -> tuple[str, ...]:
        return (TEMPERATURE,) if self.weather != "none" else ()

    def _horizon_steps(self, history: History) -> int:
        return max(1, math.ceil(pd.Timedelta(hours=self.horizon_h) / history.step))

    def _model_names(self) -> tuple[str, ...]:
        if self.quantile_method == "quantile_regression":
            return ("point", "p10", "p90")
        return ("point",)

    def _new_model(self, name: str) -> HistGradientBoostingRegressor:
        if name == "point":
            return HistGradientBoostingRegressor(loss=self.loss, **self._params)
        level = 0.1 if name == "p10" else 0.9
        return HistGradientBoostingRegressor(loss="quantile", quantile=level, **self._params)

    def _calendar_rows(self, history: History, target: np.ndarray) -> pd.DataFrame:
        stamps = history.start + pd.to_timedelta(target * history.step.value, unit="ns")
        return self.calendar.features(pd.DatetimeIndex(stamps))

    def _working(self, history: History, count: int) -> np.ndarray:
        """Working-day flag by grid position ``0 .. count-1`` (cached, calendar only)."""
        cached = self._working_cache
        if cached is None or len(cached) < count or self._working_start != history.start:
            length = max(count, len(history.frame)) + 14 * history.steps_per_day
            index = pd.date_range(history.start, periods=length, freq=history.step)
            self._working_cache = self.calendar.day_type(index) == 0
            self._working_start = history.start
        return self._working_cache[:count]

    def _issue_positions(
        self, history: History, first: int, last: int, *, every_step: bool = False
    ) -> np.ndarray:
        return issue_positions(
            history, self.calendar, self.issue_hours, first, last, every_step=every_step
        )

    def _training_rows(
        self, history: History, first_issue: int, last_issue: int
    ) -> tuple[np.ndarray, np.ndarray]:
        recursive = self.strategy == "recursive"
        steps = 1 if recursive else self._horizon_steps(history)
        issues = self._issue_positions(history, first_issue, last_issue, every_step=recursive)
        return training_rows(issues, steps, len(history.frame))

    def _design(
        self,
        history: History,
        load: np.ndarray,
        visible: np.ndarray,
        target: np.ndarray,
        temperature_forecast: np.ndarray | None = None,
        temperature_visible: np.ndarray | None = None,
        calendar: pd.DataFrame | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Feature matrix and per-row scale.

        Load is read only at positions < ``visible``, temperature only at positions <
        ``temperature_visible`` (default ``visible``).
        """
        assert self._builder is not None
        if calendar is None:
            calendar = self._calendar_rows(history, target)
        working = self._working(history, int(max(target.max() + 1, visible.max(), 1)))
        scale = self._builder.scale(load, visible)
        temperature = None
        if temperature_visible is None:
            temperature_visible = visible
        if self.weather != "none":
            count = int(temperature_visible.max())
            temperature = history.frame[TEMPERATURE].to_numpy(dtype=float)[:count]
            if len(temperature) < count:
                pad = np.full(count - len(temperature), np.nan)
                temperature = np.concatenate([temperature, pad])
        features = self._builder.build(
            load=load,
            visible=visible,
            target=target,
            calendar=calendar,
            working=working,
            scale=scale,
            temperature=temperature,
            temperature_visible=temperature_visible,
            temperature_forecast=temperature_forecast,
        )
        return features, scale

    def _train(
        self, history: History, last_target: int
    ) -> dict[str, HistGradientBoostingRegressor]:
        """Train the models on targets at positions < last_target."""
        load = history.frame[self.target].to_numpy(dtype=float, na_value=np.nan)
        week = 7 * history.steps_per_day
        visible, target = self._training_rows(history, week, last_target - 1)
        keep = target < last_target
        visible, target = visible[keep], target[keep]
        temp_forecast = None
        if self.weather == "forecast":
            temp_forecast = history.frame[TEMPERATURE].to_numpy(dtype=float)[target]
        features, scale = self._design(history, load, visible, target, temp_forecast)
        y = load[target] / scale
        ok = np.isfinite(y)
        if ok.sum() < 10:
            raise InputError("history", f"{int(ok.sum())} usable rows", "more observed load")
        models = {}
        with threadpool_limits(limits=self.threads, user_api="openmp"):
            for name in self._model_names():
                model = self._new_model(name)
                model.fit(features[ok], y[ok])
                models[name] = model
        self.fit_count += 1
        return models

    def _forecast(
        self,
        models: dict[str, HistGradientBoostingRegressor],
        history: History,
        load: np.ndarray,
        n: int,
        positions: np.ndarray,
        temperature_forecast: np.ndarray | None,
    ) -> tuple[dict[str, np.ndarray], float]:
        """Forecasts [kW] of every model for one issue with ``n`` known positions.

        Returns the forecasts and the issue's scale [kW] (mean load of the known last week).
        Only ``load[:n]`` is read.
        """
        assert self._builder is not None
        load = load[:n]
        scale = float(self._builder.scale(load, np.array([n]))[0])
        if not np.isfinite(scale):
            known = load[np.isfinite(load)]
            if len(known) == 0:
                raise InputError("history", "no observed load", "observations before issue_time")
            scale = float(known.mean())
        if self.strategy == "direct":
            visible = np.full(len(positions), n)
            features, _ = self._design(history, load, visible, positions, temperature_forecast)
            with threadpool_limits(limits=self.threads, user_api="openmp"):
                return {k: m.predict(features) * scale for k, m in models.items()}, scale
        # recursive: step j sees positions < j, the ones >= n being earlier point forecasts
        extended = np.concatenate([load, np.full(positions[-1] + 1 - n, np.nan)])
        outputs = {k: np.empty(len(positions)) for k in models}
        calendar = self._calendar_rows(history, positions)
        for i, j in enumerate(positions):
            tf = None if temperature_forecast is None else temperature_forecast[i : i + 1]
            features, step_scale = self._design(
                history,
                extended[:j],
                np.array([j]),
                np.array([j]),
                tf,
                np.array([n]),
                calendar.iloc[i : i + 1],
            )
            factor = step_scale[0] if np.isfinite(step_scale[0]) else scale
            with threadpool_limits(limits=self.threads, user_api="openmp"):
                for k, m in models.items():
                    outputs[k][i] = m.predict(features)[0] * factor
            extended[j] = outputs["point"][i]
        return outputs, scale

    def _score(
        self, models: dict[str, HistGradientBoostingRegressor], first: int, last: int
    ) -> None:
        """Add residuals of forecasts issued at positions in [first, last] to the calibration.

        Only issues whose whole horizon lies inside the history are scored.
        """
        history = self._history
        assert history is not None
        load = history.frame[self.target].to_numpy(dtype=float, na_value=np.nan)
        steps = self._horizon_steps(history)
        length = len(history.frame)
        issues = self._issue_positions(history, first, min(last, length - steps))
        temps = None
        if self.weather == "forecast":
            temps = history.frame[TEMPERATURE].to_numpy(dtype=float)
        for n in issues:
            positions = np.arange(n, n + steps)
            tf = None if temps is None else temps[positions]
            outputs, scale = self._forecast(models, history, load, int(n), positions, tf)
            actual = load[positions]
            known_at = history.start + int(positions[-1] + 1) * history.step
            for name, forecast in outputs.items():
                self._calibrators[name].add((actual - forecast) / scale, known_at=known_at)
        if len(issues):
            self._scored_until = history.start + int(issues[-1]) * history.step

    def _models_known_at(
        self, issue_time: pd.Timestamp
    ) -> dict[str, HistGradientBoostingRegressor]:
        """The latest models trained only on data known at ``issue_time``."""
        usable = [models for cutoff, models in self._versions if cutoff <= issue_time]
        if not usable:
            raise InputError(
                "issue_time",
                issue_time,
                f"a time at or after the earliest kept training cutoff {self._versions[0][0]}",
            )
        return usable[-1]

    # ------------------------------------------------------------------------------ public
    def fit(self, history: pd.DataFrame) -> Self:
        """Train on ``history`` and seed the conformal calibration; return self.

        ``history`` needs ``load_kw`` (NaN = missing reading) and, unless ``weather="none"``,
        observed ``temp_air_c`` [degC]. It must span at least ``min_train_days + 7`` days;
        the calibration hold-out is ``calibration_days`` or what is left after
        ``min_train_days``, whichever is shorter.
        """
        hist = History(frame=history, target=self.target, columns=self._columns)
        day = hist.steps_per_day
        total_days = len(hist.frame) // day
        if total_days < self.min_train_days + 7:
            raise InputError(
                "history",
                f"{total_days} days",
                f"at least min_train_days + 7 = {self.min_train_days + 7} days",
            )
        self._history = hist
        self._builder = LoadFeatureBuilder(
            steps_per_day=day,
            step_h=hist.step / pd.Timedelta(hours=1),
            use_temperature=self.weather != "none",
            use_temperature_forecast=self.weather == "forecast",
        )
        window = self.calibration_days * len(self.issue_hours)
        pool = int(round(pd.Timedelta(hours=self.calibration_pool_h) / hist.step))
        self._calibrators = {
            name: ResidualCalibrator(levels=QUANTILES, window=window, pool_steps=pool)
            for name in self._model_names()
        }
        holdout_days = min(self.calibration_days, total_days - self.min_train_days)
        split = len(hist.frame) - holdout_days * day
        held_out = self._train(hist, split)
        self._score(held_out, split, len(hist.frame))
        self._models = self._train(hist, len(hist.frame))
        self._fitted_end = hist.end
        self._versions = [(hist.end + hist.step, self._models)]
        logger.debug(
            "fitted %s on %d rows, %d calibration forecasts",
            self.target,
            len(hist.frame),
            self._calibrators["point"].count,
        )
        return self

    def update(self, observations: pd.DataFrame) -> Self:
        """Append observations; score the newly completed forecasts; refit when due."""
        if self._history is None:
            raise InputError("forecaster", "not fitted", "a call to fit(history) before update")
        self._history = self._history.extend(observations)
        assert self._fitted_end is not None
        # only issues after the model's training data: their residuals are out-of-sample
        first = int(self._history.position(self._fitted_end)) + 1
        if self._scored_until is not None:
            first = max(first, int(self._history.position(self._scored_until)) + 1)
        self._score(self._models, first, len(self._history.frame))
        due = self.refit_every_h is not None and (
            self._history.end - self._fitted_end >= pd.Timedelta(hours=self.refit_every_h)
        )
        if due:
            self._models = self._train(self._history, len(self._history.frame))
            self._fitted_end = self._history.end
            self._versions.append((self._history.end + self._history.step, self._models))
            del self._versions[: -self.keep_versions]
        return self

    def predict(
        self,
        issue_time: pd.Timestamp,
        horizon: pd.DatetimeIndex,
        *,
        weather: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast load [kW] on ``horizon`` with P10/P50/P90, from data known at ``issue_time``.

        Parameters
        ----------
        issue_time : pandas.Timestamp
            When the forecast is made (tz-aware); rows with ``t + dt > issue_time`` are unseen.
        horizon : pandas.DatetimeIndex
            Labels to forecast, on the history's grid, at or after ``issue_time``.
        weather : pandas.DataFrame, optional
            Required with ``weather="forecast"``: ``temp_air_c`` [degC] forecast on ``horizon``.

        Returns
        -------
        pandas.DataFrame
            ``load_kw`` (point), ``load_kw_p10``, ``load_kw_p50``, ``load_kw_p90`` [kW], >= 0.
        """
        columns = (TEMPERATURE,) if self.weather == "forecast" else ()
        issue_time, horizon, positions = check_request(
            self._history, issue_time, horizon, weather=weather, weather_columns=columns
        )
        history = self._history
        assert history is not None
        n = history.visible_count(issue_time)
        load = history.visible_array(self.target, issue_time)
        tf = None
        if self.weather == "forecast":
            assert weather is not None
            tf = weather[TEMPERATURE].to_numpy(dtype=float)
        models = self._models_known_at(issue_time)
        outputs, scale = self._forecast(models, history, load, n, positions, tf)
        leads = positions - n
        point = outputs["point"]
        frame = {self.target: np.maximum(point, 0.0)}
        quantiles = np.empty((len(QUANTILES), len(horizon)))
        steps = int(leads.max()) + 1
        offsets = self._calibrators["point"].offsets(steps, known_by=issue_time)[:, leads]
        for i, level in enumerate(QUANTILES):
            base = point
            if self.quantile_method == "quantile_regression" and level != 0.5:
                name = "p10" if level < 0.5 else "p90"
                base = outputs[name]
                offsets_i = self._calibrators[name].offsets(steps, known_by=issue_time)[i, leads]
            else:
                offsets_i = offsets[i]
            quantiles[i] = base + offsets_i * scale
        quantiles = np.maximum(np.sort(quantiles, axis=0), 0.0)
        for i, level in enumerate(QUANTILES):
            frame[quantile_column(self.target, level)] = quantiles[i]
        return pd.DataFrame(frame, index=horizon)
