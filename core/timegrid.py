"""The time grid: tz-aware, fixed-frequency, interval-beginning indexes.

Every time series in valuestack lives on a ``pandas.DatetimeIndex`` that is tz-aware, strictly
increasing, free of duplicates and evenly spaced in absolute time (so a local-time index keeps
its spacing across DST changes: a spring-forward day has 23 hours, a fall-back day 25). Each
label is the start of its interval; ``dt_h`` is the interval length in hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = ["TimeGrid", "step_hours", "validate_index"]


def validate_index(index: object, *, name: str, min_length: int = 1) -> pd.DatetimeIndex:
    """Check that ``index`` is a valid valuestack time index and return it unchanged.

    Parameters
    ----------
    index : object
        The candidate index.
    name : str
        The name used in error messages (e.g. ``"load_kw.index"``).
    min_length : int, default 1
        The fewest labels accepted.

    Returns
    -------
    pandas.DatetimeIndex
        The same object.

    Raises
    ------
    InputError
        If the index is not a ``DatetimeIndex``, is naive, too short, has duplicates, is not
        strictly increasing or is not evenly spaced.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(name, type(index).__name__, "a pandas.DatetimeIndex")
    if index.tz is None:
        raise InputError(name, "naive index", "a tz-aware index (localize it to the site's zone)")
    if len(index) < min_length:
        raise InputError(name, f"{len(index)} labels", f"at least {min_length} labels")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise InputError(name, f"duplicate label {dup}", "unique labels")
    if len(index) >= 2:
        ns = index.asi8
        diffs = np.diff(ns)
        if (diffs <= 0).any():
            bad = int(np.argmax(diffs <= 0))
            raise InputError(
                name, f"label {index[bad + 1]} after {index[bad]}", "strictly increasing labels"
            )
        if (diffs != diffs[0]).any():
            bad = int(np.argmax(diffs != diffs[0]))
            raise InputError(
                name,
                f"step of {index[bad + 1] - index[bad]} after {index[bad]} "
                f"(first step {index[1] - index[0]})",
                "a fixed step with no gaps",
            )
    elif index.freq is None:
        raise InputError(name, "one label with no freq", "a freq on a single-label index")
    return index


def step_hours(index: pd.DatetimeIndex, *, name: str = "index") -> float:
    """Length of one interval of a valid index, in hours.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        A tz-aware, fixed-step index (validated here).
    name : str, default "index"
        The name used in error messages.

    Returns
    -------
    float
        ``dt_h`` [h].
    """
    validate_index(index, name=name)
    step = index[1] - index[0] if len(index) >= 2 else pd.Timedelta(index.freq)
    return step / pd.Timedelta(hours=1)


@dataclass(frozen=True, kw_only=True)
class TimeGrid:
    """A validated, fixed-step, interval-beginning time index.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        tz-aware, strictly increasing, evenly spaced labels, each the start of an interval.
    """

    index: pd.DatetimeIndex

    def __post_init__(self) -> None:
        validate_index(self.index, name="TimeGrid.index")

    @classmethod
    def from_range(cls, *, start: str | pd.Timestamp, periods: int, freq: str, tz: str) -> TimeGrid:
        """Build a grid of ``periods`` steps of ``freq`` from ``start`` in zone ``tz``.

        Parameters
        ----------
        start : str or pandas.Timestamp
            Local start time of the first interval.
        periods : int
            Number of intervals.
        freq : str
            Step, e.g. ``"15min"`` or ``"1h"``.
        tz : str
            IANA time zone of the site, e.g. ``"America/Los_Angeles"``.
        """
        if periods < 1:
            raise InputError("periods", periods, "a positive number of intervals")
        index = pd.date_range(start=start, periods=periods, freq=freq, tz=tz)
        return cls(index=index)

    @property
    def dt_h(self) -> float:
        """Interval length [h]."""
        return step_hours(self.index, name="TimeGrid.index")

    def __len__(self) -> int:
        return len(self.index)
