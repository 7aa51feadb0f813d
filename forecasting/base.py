"""The forecaster protocol and the history every forecaster keeps, with its look-ahead cutoff.

An observation labelled ``t`` (interval-beginning) covers ``[t, t + dt)`` and is known once its
interval has ended, at ``t + dt``. A forecast issued at ``issue_time`` may therefore use only rows
with ``t + dt <= issue_time``; :meth:`History.visible` is the one place that cut is made, and every
forecaster reads its history through it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index

__all__ = [
    "QUANTILES",
    "Forecaster",
    "History",
    "check_request",
    "quantile_column",
]

_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
"""The quantile levels forecasters that support quantiles report (P10, P50, P90)."""


def quantile_column(target: str, level: float) -> str:
    """Name of the column holding quantile ``level`` of ``target``, e.g. ``load_kw_p10``."""
    return f"{target}_p{round(level * 100):02d}"


@runtime_checkable
class Forecaster(Protocol):
    """What the simulator needs from a forecaster.

    Attributes
    ----------
    target : str
        The forecast column, with its unit (``"load_kw"`` or ``"pv_kw"``).
    """

    target: str

    def fit(self, history: pd.DataFrame) -> Self:
        """Learn from ``history`` (all rows are data up to the fitting cutoff); return self."""
        ...

    def update(self, observations: pd.DataFrame) -> Self:
        """Append rows that continue the history (no refit); return self."""
        ...

    def predict(
        self,
        issue_time: pd.Timestamp,
        horizon: pd.DatetimeIndex,
        *,
        weather: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast ``target`` on ``horizon`` using only data known at ``issue_time``."""
        ...


def _check_values(frame: pd.DataFrame, column: str, *, name: str, allow_nan: bool) -> np.ndarray:
    """Check ``frame[column]``'s dtype and values; return them as floats (NaN where missing)."""
    series = frame[column]
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise InputError(f"{name}.{column}", str(series.dtype), "a numeric dtype")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        expected = "finite values or NaN for a missing reading" if allow_nan else "finite values"
        raise InputError(f"{name}.{column}", f"{values[first]} at {frame.index[first]}", expected)
    return values


class _JoinedFrame:
    """The ``frame`` field of :class:`History`: set whole, or kept as parts joined on first read.

    :meth:`History.extend` appends rows as a new part; the parts are concatenated only when
    the frame is read (forecasters that read arrays, not the frame, never pay for it).
    """

    def __get__(self, obj: History | None, objtype: type | None = None) -> pd.DataFrame:
        if obj is None:
            raise AttributeError("frame")  # a dataclass field without a default
        state = obj.__dict__
        if state["_frame"] is None:
            state["_frame"] = pd.concat(state["_parts"])
            state["_parts"] = None
        return state["_frame"]

    def __set__(self, obj: History, value: pd.DataFrame) -> None:
        obj.__dict__["_frame"] = value
        obj.__dict__["_parts"] = None


@dataclass(frozen=True, kw_only=True)
class History:
    """Observed data a forecaster was given, on a fixed-step, interval-beginning index.

    Parameters
    ----------
    frame : pandas.DataFrame
        tz-aware, fixed-step index; the ``target`` column [kW] (NaN marks a missing reading,
        which is never filled: it is left out of training and of lag features) and any
        ``columns`` (e.g. ``temp_air_c`` [degC]), which must be finite.
    target : str
        The target column.
    columns : tuple of str
        Further columns the forecaster needs.
    nonnegative : bool, default True
        Reject negative target values.
    """

    frame: pd.DataFrame = _JoinedFrame()  # type: ignore[assignment]
    target: str
    columns: tuple[str, ...] = ()
    nonnegative: bool = True

    def __post_init__(self) -> None:
        name = "history"
        if not isinstance(self.frame, pd.DataFrame):
            raise InputError(name, type(self.frame).__name__, "a pandas.DataFrame")
        validate_index(self.frame.index, name=f"{name}.index", min_length=2)
        needed = (self.target, *self.columns)
        missing = [c for c in needed if c not in self.frame.columns]
        if missing:
            raise InputError(
                f"{name}.columns", list(self.frame.columns), f"columns including {missing}"
            )
        self._check_rows(self.frame, name)
        if self.frame[self.target].notna().sum() == 0:
            raise InputError(f"{name}.{self.target}", "all NaN", "some observed values")
        # labels and column arrays kept at hand (a label read from a tz-aware index costs
        # tens of microseconds; forecasters read them at every issue)
        index = self.frame.index
        object.__setattr__(self, "_step", index[1] - index[0])
        object.__setattr__(self, "_start", index[0])
        object.__setattr__(self, "_end", index[-1])
        object.__setattr__(self, "_end_ns", index[-1].value)
        object.__setattr__(self, "_arrays", {})

    @property
    def step(self) -> pd.Timedelta:
        """Interval length of the history."""
        return self._step

    @property
    def steps_per_day(self) -> int:
        """Number of intervals in 24 h (absolute time)."""
        per_day = pd.Timedelta(days=1) / self.step
        if not float(per_day).is_integer():
            raise InputError("history.index", f"step {self.step}", "a step that divides 24 h")
        return int(per_day)

    @property
    def start(self) -> pd.Timestamp:
        """First label."""
        return self._start

    @property
    def end(self) -> pd.Timestamp:
        """Last label."""
        if self._end is None:
            object.__setattr__(self, "_end", self.frame.index[-1])
        return self._end

    def _array(self, column: str) -> np.ndarray:
        """The whole ``column`` as a read-only float array (NaN where missing)."""
        values = self._arrays.get(column)
        if values is None:
            values = self.frame[column].to_numpy(dtype=float, na_value=np.nan)
            values.setflags(write=False)
            self._arrays[column] = values
        return values

    def extend(self, observations: pd.DataFrame) -> History:
        """A new history with ``observations`` appended.

        ``observations`` must carry the same columns and start exactly one step after the
        last label, on the same step (a gap must be sent as NaN target rows).
        """
        if not isinstance(observations, pd.DataFrame):
            raise InputError("observations", type(observations).__name__, "a pandas.DataFrame")
        if len(observations) == 0:
            return self
        index = observations.index
        if len(index) == 1:
            if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
                raise InputError("observations.index", index, "a tz-aware DatetimeIndex")
        else:
            validate_index(index, name="observations.index")
        # labels compared as integer nanoseconds (boxing them is slow on a tz-aware index)
        labels = index.asi8
        per_unit = _NS_PER_UNIT[index.unit]
        step_ns = self._step.value
        if len(labels) > 1 and (int(labels[1]) - int(labels[0])) * per_unit != step_ns:
            raise InputError(
                "observations.index", f"step {index[1] - index[0]}", f"step {self.step}"
            )
        if int(labels[0]) * per_unit != self._end_ns + step_ns:
            expected_start = self.end + self.step
            raise InputError(
                "observations.index[0]", index[0], f"{expected_start} (one step after history)"
            )
        keep = [self.target, *self.columns]
        missing = [c for c in keep if c not in observations.columns]
        if missing:
            raise InputError(
                "observations.columns", list(observations.columns), f"columns including {missing}"
            )
        target_values = self._check_rows(observations, "observations")
        new_rows = observations if list(observations.columns) == keep else observations[keep]
        state = self.__dict__
        if state["_parts"] is None:
            frame = state["_frame"]
            parts = (frame if list(frame.columns) == keep else frame[keep],)
        else:
            parts = state["_parts"]
        # The old rows were validated when this history was made and the new ones just now:
        # the whole frame is not checked again (that made feeding a year quadratic), nor
        # joined until it is read.
        extended = object.__new__(History)
        extended.__dict__.update(state)
        extended.__dict__.update(
            _frame=None, _parts=(*parts, new_rows), _end=None, _end_ns=int(labels[-1]) * per_unit
        )
        arrays = {}
        for column, values in self._arrays.items():
            if column == self.target:
                added = target_values
            else:
                added = new_rows[column].to_numpy(dtype=float, na_value=np.nan)
            arrays[column] = np.concatenate([values, added])
            arrays[column].setflags(write=False)
        extended.__dict__["_arrays"] = arrays
        return extended

    def _check_rows(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        """Check ``frame``'s columns; return its target values (NaN where missing)."""
        values = _check_values(frame, self.target, name=name, allow_nan=True)
        for column in self.columns:
            _check_values(frame, column, name=name, allow_nan=False)
        if self.nonnegative:
            negative = values < 0
            if negative.any():
                first = int(np.argmax(negative))
                raise InputError(
                    f"{name}.{self.target}",
                    f"{values[first]} at {frame.index[first]}",
                    "values >= 0",
                )
        return values

    def position(self, when: pd.Timestamp) -> float:
        """Position of ``when`` on the history grid (label ``start`` is 0)."""
        return (when - self.start) / self.step

    def visible_count(self, issue_time: pd.Timestamp) -> int:
        """Number of grid positions whose interval ended by ``issue_time``.

        Positions ``0 .. n-1`` are visible; rows at or after position ``n`` are never read.
        """
        return max(0, math.floor(self.position(issue_time) + 1e-9))

    def visible(self, issue_time: pd.Timestamp) -> pd.DataFrame:
        """Rows known at ``issue_time``: labels ``t`` with ``t + dt <= issue_time``."""
        n = min(self.visible_count(issue_time), len(self.frame))
        return self.frame.iloc[:n]

    def visible_array(self, column: str, issue_time: pd.Timestamp) -> np.ndarray:
        """Values of ``column`` on positions ``0 .. n-1`` known at ``issue_time``.

        Positions past the end of the history (a stale history) are NaN.
        """
        n = self.visible_count(issue_time)
        values = self._array(column)[:n]
        if n > len(values):
            values = np.concatenate([values, np.full(n - len(values), np.nan)])
        return values


def check_request(
    history: History | None,
    issue_time: object,
    horizon: object,
    *,
    weather: object = None,
    weather_columns: Sequence[str] = (),
) -> tuple[pd.Timestamp, pd.DatetimeIndex, np.ndarray]:
    """Validate a ``predict`` call before any work; return the horizon's grid positions.

    Raises
    ------
    InputError
        If the forecaster is not fitted, ``issue_time`` is naive or not a Timestamp, the
        horizon is invalid, starts before ``issue_time``, is off the history's grid or step,
        or ``weather`` is not on the horizon with the needed finite columns.
    """
    if history is None:
        raise InputError("forecaster", "not fitted", "a call to fit(history) before predict")
    if not isinstance(issue_time, pd.Timestamp) or issue_time.tz is None:
        raise InputError("issue_time", issue_time, "a tz-aware pandas.Timestamp")
    validate_index(horizon, name="horizon")
    assert isinstance(horizon, pd.DatetimeIndex)
    first = horizon[0]  # read once: a label of a tz-aware index is slow to make
    if first < issue_time:
        raise InputError("horizon[0]", first, f"a label at or after issue_time {issue_time}")
    if len(horizon) >= 2 and horizon[1] - first != history.step:
        raise InputError(
            "horizon", f"step {horizon[1] - first}", f"the history's step {history.step}"
        )
    positions = history.position(first)
    if not float(positions).is_integer():
        raise InputError("horizon[0]", first, f"a label on the history grid ({history.step})")
    if history.visible_count(issue_time) < 1:
        raise InputError(
            "issue_time", issue_time, f"a time after the first history interval ({history.start})"
        )
    if weather is not None or weather_columns:
        if weather is None:
            raise InputError("weather", None, f"a DataFrame with columns {list(weather_columns)}")
        if not isinstance(weather, pd.DataFrame):
            raise InputError("weather", type(weather).__name__, "a pandas.DataFrame")
        if not weather.index.equals(horizon):
            raise InputError("weather.index", f"{len(weather)} labels", "exactly the horizon")
        missing = [c for c in weather_columns if c not in weather.columns]
        if missing:
            raise InputError(
                "weather.columns", list(weather.columns), f"columns including {missing}"
            )
        for column in weather_columns:
            _check_values(weather, column, name="weather", allow_nan=False)
    start = int(positions)
    return issue_time, horizon, np.arange(start, start + len(horizon))
