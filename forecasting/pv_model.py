"""The PV system model on pvlib: the system spec, clear-sky irradiance, PVWatts AC power, and
a cache of clear-sky output per interval.

Power of an interval is modelled at its midpoint (interval-beginning labels plus ``dt / 2``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
from pvlib.location import Location
from pvlib.modelchain import ModelChain
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

from core.errors import InputError
from core.validation import require_finite, require_fraction, require_positive

__all__ = ["ClearSkyCache", "PVSystemSpec", "clearsky_weather", "simulate_pv_kw"]

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
