"""Physical PV forecaster on pvlib's ModelChain (PVWatts DC and AC models).

Power of an interval is modelled at its midpoint (interval-beginning labels plus ``dt / 2``).
Three sources of irradiance, in order of preference:

1. a weather forecast passed to ``predict`` (``ghi_w_per_m2``, optionally ``dni_w_per_m2`` and
   ``dhi_w_per_m2`` - else split from GHI with the Erbs model - ``temp_air_c``,
   ``wind_speed_m_per_s``);
2. otherwise clear-sky irradiance (Ineichen, pvlib's Linke turbidity climatology) scaled by the
   recent clearness: measured PV over modelled clear-sky PV during the ``clearness_window_h``
   before the issue (or observed GHI over clear-sky GHI when there is no measured PV).

Calibration, where the history holds measured ``pv_kw``: a factor per local time of day
``a(h)`` multiplies the model, learned over the last ``shape_days`` days, so orientation,
shading and size errors of the assumed system are corrected from the measurements:
``a(h) = sum_d M_h(d) / sum_d P_h(d) c(d)`` with ``M`` measured and ``P`` modelled power (from
observed irradiance when the history has it, else clear-sky) and ``c(d) = sum_h M_h(d) / sum_h
P_h(d)`` the day's clearness (1 with observed irradiance). Times of day with too little modelled
energy in the window use the scalar factor ``k``: measured over modelled energy (observed
irradiance) or the 90th percentile of daily measured over clear-sky energy (the clearest days).
With ``shape_days=0`` only ``k`` is used; without measured PV, ``a = k = 1``. The calibration is
redone every ``recalibrate_every_h`` hours of updates; ``predict`` uses the latest calibration
made from data known at its issue time.

The system model (:class:`PVSystemSpec`, :func:`clearsky_weather`, :func:`simulate_pv_kw`) and
the per-interval clear-sky cache (:class:`ClearSkyCache`) live in :mod:`forecasting.pv_model`
and are re-exported here.
"""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
import pandas as pd

from core.errors import InputError
from core.validation import require_positive
from forecasting.base import History, check_request
from forecasting.pv_model import (
    DHI,
    DNI,
    GHI,
    TEMP,
    WIND,
    ClearSkyCache,
    PVSystemSpec,
    _minute_of_day,
    clearsky_weather,
    simulate_pv_kw,
)

__all__ = ["ClearSkyCache", "PVForecaster", "PVSystemSpec", "clearsky_weather", "simulate_pv_kw"]

logger = logging.getLogger(__name__)


class PVForecaster:
    """PV output forecaster on pvlib, calibrated on measured PV when the history has it.

    Parameters
    ----------
    system : PVSystemSpec
        Site and system.
    clearness_window_h : float, default 24
        Hours before the issue over which the recent clearness is measured.
    calibration_days : int, default 30
        Days of history used for the scalar calibration factor.
    shape_days : int, default 14
        Days of history used for the time-of-day calibration (0: scalar only).
    recalibrate_every_h : float or None, default 24
        Recalibrate after this many hours of updates; None never.
    target : str, default "pv_kw"
        The forecast column (measured PV in the history, NaN where missing).
    cache : bool, default True
        Keep the clear-sky irradiance and PV per interval (:class:`ClearSkyCache`) instead of
        recomputing them at every forecast and calibration; the forecasts are the same.

    Notes
    -----
    The history needs ``pv_kw`` (may be all NaN when nothing is measured) and may carry observed
    ``ghi_w_per_m2`` / ``dni_w_per_m2`` / ``dhi_w_per_m2`` / ``temp_air_c``.
    """

    def __init__(
        self,
        *,
        system: PVSystemSpec,
        clearness_window_h: float = 24.0,
        calibration_days: int = 30,
        shape_days: int = 14,
        recalibrate_every_h: float | None = 24.0,
        target: str = "pv_kw",
        cache: bool = True,
    ) -> None:
        if not isinstance(system, PVSystemSpec):
            raise InputError("system", system, "a PVSystemSpec")
        require_positive("clearness_window_h", clearness_window_h)
        if not isinstance(calibration_days, int) or calibration_days < 1:
            raise InputError("calibration_days", calibration_days, "an integer >= 1")
        if not isinstance(shape_days, int) or shape_days < 0:
            raise InputError("shape_days", shape_days, "an integer >= 0")
        if recalibrate_every_h is not None:
            require_positive("recalibrate_every_h", recalibrate_every_h)
        self.system = system
        self.clearness_window_h = float(clearness_window_h)
        self.calibration_days = calibration_days
        self.shape_days = shape_days
        self.recalibrate_every_h = recalibrate_every_h
        self.target = target
        self._cache = ClearSkyCache(system) if cache else None
        self._history: History | None = None
        self._versions: list[tuple[pd.Timestamp, float, dict[int, float]]] = []

    def _clear_weather(self, index: pd.DatetimeIndex) -> pd.DataFrame:
        if self._cache is None or len(index) < 2:
            return clearsky_weather(self.system, index)
        return self._cache.weather(index)

    def _clear_pv_kw(self, index: pd.DatetimeIndex) -> np.ndarray:
        if self._cache is None or len(index) < 2:
            return simulate_pv_kw(self.system, clearsky_weather(self.system, index))
        return self._cache.pv_kw(index)

    @property
    def calibration_factor(self) -> float:
        """The latest scalar factor ``k``: measured over modelled energy (1 unmeasured)."""
        return self._versions[-1][1] if self._versions else 1.0

    def _irradiance_columns(self, frame: pd.DataFrame) -> list[str]:
        has = [c for c in (GHI, DNI, DHI) if c in frame.columns]
        if GHI in has or (DNI in has and DHI in has):
            return has + [c for c in (TEMP, WIND) if c in frame.columns]
        return []

    def fit(self, history: pd.DataFrame) -> Self:
        """Keep ``history`` and calibrate on its measured PV; return self."""
        if not isinstance(history, pd.DataFrame):
            raise InputError("history", type(history).__name__, "a pandas.DataFrame")
        if self.target not in history.columns:
            raise InputError("history.columns", list(history.columns), f"a {self.target} column")
        columns = tuple(self._irradiance_columns(history))
        measured = history[self.target].notna().any()
        if measured:
            hist = History(frame=history, target=self.target, columns=columns)
        else:  # nothing measured: keep the frame for irradiance, calibrate to 1
            hist = History(
                frame=history.assign(**{self.target: 0.0}), target=self.target, columns=columns
            )
        self._history = hist
        self._measured = bool(measured)
        self._versions = []
        self._recalibrate()
        return self

    def _minute_of_day(self, index: pd.DatetimeIndex) -> np.ndarray:
        if self._cache is None or len(index) < 2:
            return _minute_of_day(index)
        return self._cache.minute_of_day(index)

    def _recalibrate(self) -> None:
        hist = self._history
        assert hist is not None
        cutoff = hist.end + hist.step
        if not self._measured:
            self._versions.append((cutoff, 1.0, {}))
            return
        day = hist.steps_per_day
        tail = hist.frame.iloc[-max(self.calibration_days, self.shape_days) * day :]
        measured = tail[self.target].to_numpy(dtype=float)
        observed = bool(self._irradiance_columns(tail))
        if observed:
            modelled = simulate_pv_kw(self.system, tail[self._irradiance_columns(tail)])
        else:
            modelled = self._clear_pv_kw(tail.index)
        k = self._scalar(
            measured[-self.calibration_days * day :],
            modelled[-self.calibration_days * day :],
            day,
            observed,
        )
        profile: dict[int, float] = {}
        if self.shape_days:
            m, p = measured[-self.shape_days * day :], modelled[-self.shape_days * day :]
            minutes = self._minute_of_day(tail.index[-self.shape_days * day :])
            days = np.arange(len(m)) // day
            ok = np.isfinite(m)
            clearness = np.ones(len(m))
            if not observed:
                for d in np.unique(days):
                    sel = (days == d) & ok
                    if p[sel].sum() > 0:
                        clearness[days == d] = m[sel].sum() / p[sel].sum()
            weight = p * clearness
            peak = max(float(np.max(weight[ok], initial=0.0)), 1e-12)
            for minute in np.unique(minutes):
                sel = (minutes == minute) & ok
                den = weight[sel].sum()
                if den > 0.02 * peak * sel.sum():  # enough modelled energy at this time of day
                    profile[int(minute)] = float(m[sel].sum() / den)
        self._versions.append((cutoff, k, profile))
        del self._versions[:-3]
        logger.debug("PV calibration k=%.3f with %d time-of-day factors", k, len(profile))

    @staticmethod
    def _scalar(measured: np.ndarray, modelled: np.ndarray, day: int, observed: bool) -> float:
        if observed:
            ok = np.isfinite(measured) & (modelled > 0)
            return float(measured[ok].sum() / modelled[ok].sum()) if modelled[ok].sum() > 0 else 1.0
        ratios = []
        for d in range(len(measured) // day):
            m, c = measured[d * day : (d + 1) * day], modelled[d * day : (d + 1) * day]
            if np.isfinite(m).all() and c.sum() > 0:
                ratios.append(m.sum() / c.sum())
        return float(np.quantile(ratios, 0.9)) if ratios else 1.0

    def _factors(self, issue_time: pd.Timestamp, index: pd.DatetimeIndex) -> np.ndarray:
        """Calibration factor per label of ``index`` from the latest calibration known then."""
        usable = [v for v in self._versions if v[0] <= issue_time]
        if not usable:
            raise InputError(
                "issue_time",
                issue_time,
                f"a time at or after the earliest kept calibration cutoff {self._versions[0][0]}",
            )
        _, k, profile = usable[-1]
        table = np.full(24 * 60, k, dtype=float)
        if profile:
            table[np.fromiter(profile, dtype=int)] = np.fromiter(profile.values(), dtype=float)
        return table[self._minute_of_day(index)]

    def update(self, observations: pd.DataFrame) -> Self:
        """Append observations (same columns as the history); recalibrate when due."""
        if self._history is None:
            raise InputError("forecaster", "not fitted", "a call to fit(history) before update")
        if not self._measured and self.target not in observations.columns:
            observations = observations.assign(**{self.target: 0.0})
        self._history = self._history.extend(observations)
        last = self._versions[-1][0]
        due = self.recalibrate_every_h is not None and (
            self._history.end + self._history.step - last
            >= pd.Timedelta(hours=self.recalibrate_every_h)
        )
        if due:
            self._recalibrate()
        return self

    def _clearness(self, issue_time: pd.Timestamp) -> float:
        """Recent clearness index known at ``issue_time`` (1 when undefined)."""
        hist = self._history
        assert hist is not None
        steps = max(1, int(pd.Timedelta(hours=self.clearness_window_h) / hist.step))
        n = hist.visible_count(issue_time)
        window = pd.date_range(end=hist.start + (n - 1) * hist.step, periods=steps, freq=hist.step)
        recent = hist.visible(issue_time).reindex(window)
        if self._measured:
            measured = recent[self.target].to_numpy(dtype=float)
            model = self._factors(issue_time, window) * self._clear_pv_kw(window)
            ok = np.isfinite(measured) & (model > 0)
            num, den = measured[ok].sum(), model[ok].sum()
        elif GHI in recent.columns:
            ghi = recent[GHI].to_numpy(dtype=float)
            ok = np.isfinite(ghi)
            num, den = ghi[ok].sum(), self._clear_weather(window)[GHI].to_numpy()[ok].sum()
        else:
            return 1.0
        if den <= 0:
            return 1.0
        return float(np.clip(num / den, 0.0, 1.2))

    def predict(
        self,
        issue_time: pd.Timestamp,
        horizon: pd.DatetimeIndex,
        *,
        weather: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast PV output [kW] on ``horizon`` from data known at ``issue_time``.

        Parameters
        ----------
        issue_time : pandas.Timestamp
            When the forecast is made (tz-aware), at or after the fitting cutoff.
        horizon : pandas.DatetimeIndex
            Labels to forecast, on the history's grid.
        weather : pandas.DataFrame, optional
            Irradiance (and temperature, wind) forecasts on ``horizon``; without it the
            forecast is clear-sky scaled by the recent clearness.

        Returns
        -------
        pandas.DataFrame
            ``pv_kw`` [kW], >= 0.
        """
        issue_time, horizon, _ = check_request(self._history, issue_time, horizon, weather=weather)
        factors = self._factors(issue_time, horizon)
        if weather is not None:
            if not self._irradiance_columns(weather):
                raise InputError("weather.columns", list(weather.columns), f"{GHI} or {DNI}+{DHI}")
            for column in self._irradiance_columns(weather):
                values = weather[column].to_numpy(dtype=float)
                if not np.isfinite(values).all():
                    raise InputError(f"weather.{column}", "non-finite value", "finite values")
            forecast = factors * simulate_pv_kw(self.system, weather)
        else:
            hist = self._history
            assert hist is not None
            if TEMP in hist.frame.columns:  # same hour yesterday's observed temperature
                clear = self._clear_weather(horizon)
                day = pd.Timedelta(days=1)
                known = hist.visible(issue_time)[TEMP]
                lag = horizon - day * np.ceil((horizon - issue_time + hist.step) / day)
                clear[TEMP] = known.reindex(lag).fillna(known.iloc[-1]).to_numpy()
                modelled = simulate_pv_kw(self.system, clear)
            else:  # clear sky at the default temperature: the same for every issue
                modelled = self._clear_pv_kw(horizon)
            forecast = factors * modelled * self._clearness(issue_time)
        return pd.DataFrame({self.target: np.maximum(forecast, 0.0)}, index=horizon)
