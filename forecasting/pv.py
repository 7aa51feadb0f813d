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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
import pvlib
from pvlib.location import Location
from pvlib.modelchain import ModelChain
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

from core.errors import InputError
from core.validation import require_finite, require_fraction, require_positive
from forecasting.base import History, check_request

__all__ = ["ClearSkyCache", "PVForecaster", "PVSystemSpec", "simulate_pv_kw"]

logger = logging.getLogger(__name__)

GHI, DNI, DHI = "ghi_w_per_m2", "dni_w_per_m2", "dhi_w_per_m2"
TEMP, WIND = "temp_air_c", "wind_speed_m_per_s"
_DEFAULT_TEMP_C = 20.0
_DEFAULT_WIND_M_PER_S = 1.0


@dataclass(frozen=True, kw_only=True)
class PVSystemSpec:
    """Site and PV system for the PVWatts model chain.

    Parameters
    ----------
    latitude_deg, longitude_deg : float
        Site position [deg], north and east positive.
    altitude_m : float, default 0
        Site altitude [m].
    tilt_deg : float
        Module tilt from horizontal [deg], 0-90.
    azimuth_deg : float, default 180
        Module azimuth [deg], clockwise from north (180 = south).
    dc_capacity_kw : float
        DC nameplate at STC [kW].
    ac_capacity_kw : float
        Inverter AC rating [kW].
    losses_fraction : float, default 0.14
        System losses (soiling, wiring, mismatch, availability ...) as one fraction.
    gamma_pdc_per_c : float, default -0.0037
        Power temperature coefficient [1/degC].
    inverter_efficiency : float, default 0.96
        PVWatts nominal inverter efficiency [fraction].
    temperature_model : str, default "open_rack_glass_polymer"
        Key of pvlib's SAPM cell-temperature parameters.
    """

    latitude_deg: float
    longitude_deg: float
    tilt_deg: float
    dc_capacity_kw: float
    ac_capacity_kw: float
    altitude_m: float = 0.0
    azimuth_deg: float = 180.0
    losses_fraction: float = 0.14
    gamma_pdc_per_c: float = -0.0037
    inverter_efficiency: float = 0.96
    temperature_model: str = "open_rack_glass_polymer"

    def __post_init__(self) -> None:
        require_finite("latitude_deg", self.latitude_deg)
        if not -90 <= self.latitude_deg <= 90:
            raise InputError("latitude_deg", self.latitude_deg, "a latitude in [-90, 90]")
        require_finite("longitude_deg", self.longitude_deg)
        if not -180 <= self.longitude_deg <= 180:
            raise InputError("longitude_deg", self.longitude_deg, "a longitude in [-180, 180]")
        require_finite("altitude_m", self.altitude_m)
        require_finite("tilt_deg", self.tilt_deg)
        if not 0 <= self.tilt_deg <= 90:
            raise InputError("tilt_deg", self.tilt_deg, "a tilt in [0, 90]")
        require_finite("azimuth_deg", self.azimuth_deg)
        if not 0 <= self.azimuth_deg < 360:
            raise InputError("azimuth_deg", self.azimuth_deg, "an azimuth in [0, 360)")
        require_positive("dc_capacity_kw", self.dc_capacity_kw)
        require_positive("ac_capacity_kw", self.ac_capacity_kw)
        require_fraction("losses_fraction", self.losses_fraction)
        if self.losses_fraction >= 1:
            raise InputError("losses_fraction", self.losses_fraction, "a fraction below 1")
        require_finite("gamma_pdc_per_c", self.gamma_pdc_per_c)
        require_fraction("inverter_efficiency", self.inverter_efficiency, allow_zero=False)
        if self.temperature_model not in TEMPERATURE_MODEL_PARAMETERS["sapm"]:
            raise InputError(
                "temperature_model",
                self.temperature_model,
                f"one of {sorted(TEMPERATURE_MODEL_PARAMETERS['sapm'])}",
            )

    def location(self) -> Location:
        """The pvlib Location (UTC; indexes are converted as needed)."""
        return Location(self.latitude_deg, self.longitude_deg, tz="UTC", altitude=self.altitude_m)

    def model_chain(self) -> ModelChain:
        """A PVWatts ModelChain for this system."""
        losses = dict.fromkeys(
            (
                "soiling",
                "shading",
                "snow",
                "mismatch",
                "wiring",
                "connections",
                "lid",
                "nameplate_rating",
                "age",
            ),
            0.0,
        )
        losses["availability"] = self.losses_fraction * 100.0  # one combined loss [%]
        system = pvlib.pvsystem.PVSystem(
            surface_tilt=self.tilt_deg,
            surface_azimuth=self.azimuth_deg,
            module_parameters={
                "pdc0": self.dc_capacity_kw * 1000.0,
                "gamma_pdc": self.gamma_pdc_per_c,
            },
            inverter_parameters={
                "pdc0": self.ac_capacity_kw * 1000.0 / self.inverter_efficiency,
                "eta_inv_nom": self.inverter_efficiency,
            },
            temperature_model_parameters=TEMPERATURE_MODEL_PARAMETERS["sapm"][
                self.temperature_model
            ],
            losses_parameters=losses,
        )
        return ModelChain.with_pvwatts(system, self.location())


def _midpoints(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    step = index[1] - index[0] if len(index) >= 2 else pd.Timedelta(index.freq)
    return index + step / 2


def _minute_of_day(index: pd.DatetimeIndex) -> np.ndarray:
    """Local minute of the day (0-1439) of each label."""
    return np.asarray(index.hour * 60 + index.minute, dtype=int)


def clearsky_weather(spec: PVSystemSpec, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Ineichen clear-sky GHI, DNI, DHI [W/m2] at the interval midpoints of ``index``."""
    clear = spec.location().get_clearsky(_midpoints(index).tz_convert("UTC"), model="ineichen")
    return pd.DataFrame(
        {GHI: clear["ghi"].to_numpy(), DNI: clear["dni"].to_numpy(), DHI: clear["dhi"].to_numpy()},
        index=index,
    )


def simulate_pv_kw(spec: PVSystemSpec, weather: pd.DataFrame) -> np.ndarray:
    """AC power [kW] of ``spec`` for each interval of ``weather``.

    Parameters
    ----------
    spec : PVSystemSpec
        The system.
    weather : pandas.DataFrame
        On an interval-beginning index: ``ghi_w_per_m2`` and/or ``dni_w_per_m2`` +
        ``dhi_w_per_m2`` [W/m2] (the missing one derived: DNI/DHI by Erbs, GHI by closure);
        ``temp_air_c`` [degC] and ``wind_speed_m_per_s`` [m/s] if known (else 20 degC, 1 m/s).

    Returns
    -------
    numpy.ndarray
        AC output [kW], >= 0.
    """
    index = weather.index
    mid = _midpoints(index).tz_convert("UTC")
    solpos = spec.location().get_solarposition(mid)
    zenith = solpos["apparent_zenith"].to_numpy()
    if DNI in weather and DHI in weather:
        dni = weather[DNI].to_numpy(dtype=float)
        dhi = weather[DHI].to_numpy(dtype=float)
        if GHI in weather:
            ghi = weather[GHI].to_numpy(dtype=float)
        else:
            ghi = dni * np.maximum(np.cos(np.radians(solpos["zenith"].to_numpy())), 0) + dhi
    elif GHI in weather:
        ghi = weather[GHI].to_numpy(dtype=float)
        split = pvlib.irradiance.erbs(ghi, solpos["zenith"].to_numpy(), mid)
        dni, dhi = np.asarray(split["dni"], dtype=float), np.asarray(split["dhi"], dtype=float)
    else:
        raise InputError("weather.columns", list(weather.columns), f"{GHI} or {DNI} + {DHI}")
    night = zenith >= 90
    frame = pd.DataFrame(
        {
            "ghi": np.where(night, 0.0, ghi),
            "dni": np.where(night, 0.0, dni),
            "dhi": np.where(night, 0.0, dhi),
            "temp_air": weather[TEMP].to_numpy(dtype=float) if TEMP in weather else _DEFAULT_TEMP_C,
            "wind_speed": (
                weather[WIND].to_numpy(dtype=float) if WIND in weather else _DEFAULT_WIND_M_PER_S
            ),
        },
        index=mid,
    )
    chain = spec.model_chain()
    chain.run_model(frame)
    ac_w = np.asarray(chain.results.ac, dtype=float)
    return np.clip(np.nan_to_num(ac_w, nan=0.0), 0.0, None) / 1000.0


class ClearSkyCache:
    """Clear-sky irradiance and clear-sky PV of one system, computed once per interval.

    The clear-sky weather (:func:`clearsky_weather`) and the PV it gives at the default cell
    temperature inputs (:func:`simulate_pv_kw`) depend on nothing but the interval, so they
    are computed once for a block of intervals (``block_days`` ahead of the first request, so a
    rolling forecast computes them about once a month) and then read back by position. Every
    value equals the one the two functions give on the requested index.

    Parameters
    ----------
    system : PVSystemSpec
        The system.
    block_days : float, default 32
        Days computed past the requested intervals when the cache has to grow.
    """

    def __init__(self, system: PVSystemSpec, *, block_days: float = 32.0) -> None:
        require_positive("block_days", block_days)
        self.system = system
        self.block_days = float(block_days)
        self._step_ns = 0
        self._start_ns = 0
        self._weather = np.empty((0, 3))
        self._pv_kw = np.empty(0)
        self._minutes = np.empty(0, dtype=int)
        self._tz = None
        self.n_computed = 0

    def _positions(self, index: pd.DatetimeIndex) -> np.ndarray:
        step = index[1] - index[0] if len(index) >= 2 else pd.Timedelta(index.freq)
        step_ns = int(step.value)
        stamps = index.as_unit("ns").asi8
        if step_ns != self._step_ns or str(index.tz) != self._tz:
            self._step_ns, self._start_ns = step_ns, int(stamps[0])
            self._tz = str(index.tz)
            self._weather, self._pv_kw = np.empty((0, 3)), np.empty(0)
        offsets = stamps - self._start_ns
        if (offsets % step_ns).any():
            raise InputError("index", index[0], f"labels on the cached {step} grid")
        positions = offsets // step_ns
        if positions.min() < 0 or positions.max() >= len(self._pv_kw):
            self._grow(int(positions.min()), int(positions.max()), index.tz)
            positions = (stamps - self._start_ns) // step_ns
        return positions

    def _grow(self, first: int, last: int, tz) -> None:
        """Compute the intervals missing before position 0 and from the end through ``last``
        plus ``block_days`` (only those: the kept ones are not recomputed)."""
        step = pd.Timedelta(self._step_ns, unit="ns")
        ahead = int(pd.Timedelta(days=self.block_days) / step)
        n = len(self._pv_kw)
        parts = []
        if first < 0:
            parts.append((first, 0))
        parts.append((n, max(last + 1 + ahead, n)))
        pieces = {}
        for begin, end in parts:
            if end <= begin:
                continue
            start = pd.Timestamp(self._start_ns + begin * self._step_ns, unit="ns", tz="UTC")
            grid = pd.date_range(start, periods=end - begin, freq=step).tz_convert(tz)
            weather = clearsky_weather(self.system, grid)
            pieces[begin] = (
                weather[[GHI, DNI, DHI]].to_numpy(),
                simulate_pv_kw(self.system, weather),
                _minute_of_day(grid),
            )
            self.n_computed += len(grid)
        before = pieces.get(first) if first < 0 else None
        after = pieces.get(n)
        stacks = [p for p in (before, (self._weather, self._pv_kw, self._minutes), after) if p]
        self._weather = np.concatenate([p[0] for p in stacks])
        self._pv_kw = np.concatenate([p[1] for p in stacks])
        self._minutes = np.concatenate([p[2] for p in stacks])
        if first < 0:
            self._start_ns += first * self._step_ns

    def weather(self, index: pd.DatetimeIndex) -> pd.DataFrame:
        """Clear-sky GHI, DNI, DHI [W/m2] on ``index`` (as :func:`clearsky_weather`)."""
        positions = self._positions(index)  # first: it may grow the arrays
        values = self._weather[positions]
        return pd.DataFrame(values, index=index, columns=[GHI, DNI, DHI])

    def pv_kw(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Clear-sky AC power [kW] on ``index`` (as ``simulate_pv_kw`` of the clear sky)."""
        positions = self._positions(index)  # first: it may grow the arrays
        return self._pv_kw[positions]

    def minute_of_day(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Local minute of the day of each label of ``index`` (in the index's zone)."""
        positions = self._positions(index)  # first: it may grow the arrays
        return self._minutes[positions]


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
