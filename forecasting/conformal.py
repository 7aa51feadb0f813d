"""Conformal calibration of forecast quantiles on past out-of-sample residuals, by horizon step.

Each forecast issued in the past leaves one residual per horizon step (actual minus forecast,
after the actuals arrived). The calibrated quantile ``q`` at step ``k`` is the forecast plus the
finite-sample conformal quantile of the most recent residuals at step ``k`` (and its
neighbours within ``pool_steps``): the ``ceil(q (m + 1))``-th smallest of ``m`` residuals for an
upper level, the ``floor(q (m + 1))``-th for a lower level, so that a new residual falls below
the offset with probability ``q`` when residuals are exchangeable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = ["ResidualCalibrator", "conformal_quantile"]


def conformal_quantile(residuals: np.ndarray, level: float) -> float:
    """Finite-sample conformal quantile of ``residuals`` at ``level``.

    Parameters
    ----------
    residuals : numpy.ndarray
        Past residuals (NaN ignored).
    level : float
        Quantile level in (0, 1).

    Returns
    -------
    float
        For ``level >= 0.5`` the ``ceil(level (m + 1))``-th smallest residual (capped at the
        largest), else the ``floor(level (m + 1))``-th (at least the smallest); NaN if none.
    """
    values = np.sort(residuals[np.isfinite(residuals)])
    m = len(values)
    if m == 0:
        return math.nan
    if level >= 0.5:
        rank = min(m, math.ceil(level * (m + 1)))
    else:
        rank = max(1, math.floor(level * (m + 1)))
    return float(values[rank - 1])


@dataclass(kw_only=True)
class ResidualCalibrator:
    """Rolling store of past residuals per horizon step and the quantile offsets they imply.

    Parameters
    ----------
    levels : tuple of float
        Quantile levels, each in (0, 1).
    window : int
        How many past forecasts (rows) to keep.
    pool_steps : int, default 0
        Pool residuals of steps ``k - pool_steps .. k + pool_steps`` for step ``k``.
    """

    levels: tuple[float, ...]
    window: int
    pool_steps: int = 0
    _rows: list[np.ndarray] = field(default_factory=list, init=False, repr=False)
    _known_at: list[pd.Timestamp] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        for level in self.levels:
            if not 0 < level < 1:
                raise InputError("levels", self.levels, "quantile levels in (0, 1)")
        if not isinstance(self.window, int) or self.window < 1:
            raise InputError("window", self.window, "an integer >= 1")
        if not isinstance(self.pool_steps, int) or self.pool_steps < 0:
            raise InputError("pool_steps", self.pool_steps, "an integer >= 0")

    def add(self, residuals: np.ndarray, *, known_at: pd.Timestamp) -> None:
        """Record one past forecast's residuals (one per horizon step; NaN where unknown).

        ``known_at`` is when the last of its actuals became known (its interval's end).
        """
        if self._known_at and known_at < self._known_at[-1]:
            raise InputError("known_at", known_at, f"a time at or after {self._known_at[-1]}")
        self._rows.append(np.asarray(residuals, dtype=float))
        self._known_at.append(known_at)
        if len(self._rows) > 2 * self.window:  # keep some spare rows for earlier issues
            del self._rows[: len(self._rows) - 2 * self.window]
            del self._known_at[: len(self._known_at) - 2 * self.window]

    @property
    def count(self) -> int:
        """Number of past forecasts held."""
        return len(self._rows)

    def offsets(self, steps: int, *, known_by: pd.Timestamp | None = None) -> np.ndarray:
        """Offsets to add to a point forecast, shape ``(len(levels), steps)``.

        Only the last ``window`` rows known by ``known_by`` (all rows when None) are used.

        Steps beyond the longest recorded forecast use the last recorded step's residuals; a
        step with no finite residual uses all steps pooled. Raises ``InputError`` if no residual has been recorded.
        """
        rows = self._rows
        if known_by is not None:
            rows = [r for r, t in zip(self._rows, self._known_at, strict=True) if t <= known_by]
        rows = rows[-self.window :]
        if not rows:
            raise InputError("calibration", "no residuals", "past forecasts to calibrate on")
        width = max(len(r) for r in rows)
        table = np.full((len(rows), width), np.nan)
        for i, row in enumerate(rows):
            table[i, : len(row)] = row
        out = np.empty((len(self.levels), steps))
        everything = table.ravel()
        for k in range(steps):
            centre = min(k, width - 1)
            lo, hi = max(0, centre - self.pool_steps), min(width, centre + self.pool_steps + 1)
            pool = table[:, lo:hi].ravel()
            if not np.isfinite(pool).any():
                pool = everything  # no residual at this step yet: pool all steps
            for i, level in enumerate(self.levels):
                out[i, k] = conformal_quantile(pool, level)
        return out
