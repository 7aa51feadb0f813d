"""Perfect foresight: the actuals returned as the forecast, for the simulator's upper bound.

This forecaster LOOKS AHEAD by design (``looks_ahead = True``). It exists only to bound what
any forecast can earn; never report its results as a forecast.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index
from forecasting.base import QUANTILES, quantile_column

__all__ = ["PerfectForesightForecaster"]


class PerfectForesightForecaster:
    """Returns the actual values on the horizon (an oracle, not a forecast).

    Parameters
    ----------
    actuals : pandas.Series
        The actual series [kW] over the whole period that will be asked for, on a tz-aware
        fixed-step index; finite and >= 0.
    target : str, default "load_kw"
        The forecast column.

    Notes
    -----
    The quantile columns equal the actuals (zero-width intervals), so callers that read
    quantiles see the same oracle.
    """

    looks_ahead: bool = True
    """Marks this forecaster as an oracle: it uses data after ``issue_time``."""

    def __init__(self, *, actuals: pd.Series, target: str = "load_kw") -> None:
        if not isinstance(actuals, pd.Series):
            raise InputError("actuals", type(actuals).__name__, "a pandas.Series")
        validate_index(actuals.index, name="actuals.index")
        values = actuals.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            first = int(np.argmax(bad))
            raise InputError(
                "actuals", f"{values[first]} at {actuals.index[first]}", "finite values >= 0"
            )
        self.target = target
        self._actuals = actuals

    def fit(self, history: pd.DataFrame) -> Self:
        """Nothing to learn; ``history`` is ignored. Returns self."""
        return self

    def update(self, observations: pd.DataFrame) -> Self:
        """Nothing to keep. Returns self."""
        return self

    def predict(
        self,
        issue_time: pd.Timestamp,
        horizon: pd.DatetimeIndex,
        *,
        weather: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """The actuals on ``horizon`` [kW], with equal P10/P50/P90 columns.

        Raises
        ------
        InputError
            If a horizon label is not in ``actuals``.
        """
        validate_index(horizon, name="horizon")
        missing = horizon.difference(self._actuals.index)
        if len(missing):
            raise InputError("horizon", f"{missing[0]} not in actuals", "labels within actuals")
        values = self._actuals.reindex(horizon).to_numpy(dtype=float)
        frame = pd.DataFrame({self.target: values}, index=horizon)
        for level in QUANTILES:
            frame[quantile_column(self.target, level)] = values
        frame.attrs["source"] = "perfect_foresight"
        return frame
