"""Validation helpers: each raises :class:`~core.errors.InputError` naming the field."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index

__all__ = [
    "require_finite",
    "require_fraction",
    "require_in",
    "require_nonnegative",
    "require_positive",
    "validate_frame",
    "validate_series",
]


def require_finite(name: str, value: float) -> float:
    """Return ``value`` if it is a finite real number, else raise ``InputError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(name, value, "a finite number")
    if not math.isfinite(value):
        raise InputError(name, value, "a finite number")
    return value


def require_positive(name: str, value: float) -> float:
    """Return ``value`` if it is finite and > 0, else raise ``InputError``."""
    require_finite(name, value)
    if value <= 0:
        raise InputError(name, value, "a number > 0")
    return value


def require_nonnegative(name: str, value: float) -> float:
    """Return ``value`` if it is finite and >= 0, else raise ``InputError``."""
    require_finite(name, value)
    if value < 0:
        raise InputError(name, value, "a number >= 0")
    return value


def require_fraction(name: str, value: float, *, allow_zero: bool = True) -> float:
    """Return ``value`` if it lies in [0, 1] (or (0, 1] when ``allow_zero`` is False)."""
    require_finite(name, value)
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or value > 1:
        raise InputError(
            name, value, "a fraction in [0, 1]" if allow_zero else "a fraction in (0, 1]"
        )
    return value


def require_in(name: str, value: object, allowed: Iterable[object]) -> object:
    """Return ``value`` if it is one of ``allowed``, else raise ``InputError``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InputError(name, value, f"one of {allowed}")
    return value


def validate_series(
    series: object,
    *,
    name: str,
    index: pd.DatetimeIndex | None = None,
    nonnegative: bool = False,
) -> pd.Series:
    """Check a numeric time series and return it unchanged.

    Parameters
    ----------
    series : object
        The candidate ``pandas.Series``.
    name : str
        The name used in error messages (e.g. ``"load_kw"``).
    index : pandas.DatetimeIndex, optional
        If given, the series must be on exactly this index.
    nonnegative : bool, default False
        Reject negative values.

    Returns
    -------
    pandas.Series
        The same object (never filled, shifted or converted).

    Raises
    ------
    InputError
        On a non-Series, a bad index, a non-numeric dtype, NaN or infinite values, a value
        below zero where ``nonnegative``, or an index other than ``index``.
    """
    if not isinstance(series, pd.Series):
        raise InputError(name, type(series).__name__, "a pandas.Series")
    validate_index(series.index, name=f"{name}.index")
    if index is not None and not series.index.equals(index):
        raise InputError(
            f"{name}.index",
            f"{len(series)} labels from {series.index[0]}",
            f"the same index as the horizon ({len(index)} labels from {index[0]})",
        )
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise InputError(name, str(series.dtype), "a numeric dtype")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        raise InputError(
            name, f"{values[first]} at {series.index[first]}", "finite values (no NaN)"
        )
    if nonnegative and (values < 0).any():
        first = int(np.argmax(values < 0))
        raise InputError(name, f"{values[first]} at {series.index[first]}", "values >= 0")
    return series


def validate_frame(
    frame: object,
    *,
    name: str,
    columns: Iterable[str],
    index: pd.DatetimeIndex | None = None,
    nonnegative: bool = False,
) -> pd.DataFrame:
    """Check a DataFrame of numeric time series with the required ``columns``.

    Each column is checked as by :func:`validate_series` under the name ``name.column``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(name, type(frame).__name__, "a pandas.DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{name}.columns", list(frame.columns), f"columns including {missing}")
    for column in columns:
        validate_series(
            frame[column], name=f"{name}.{column}", index=index, nonnegative=nonnegative
        )
    return frame
