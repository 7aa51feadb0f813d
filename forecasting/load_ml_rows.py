"""Which forecasts train the gradient-boosting load forecaster (:mod:`forecasting.load_ml`).

Rows are (visible, target) pairs of grid positions: a forecast issued when ``visible`` steps of
history are known, for the step at position ``target``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.base import History
from forecasting.calendar import SiteCalendar

__all__ = ["issue_positions", "training_rows"]


def issue_positions(
    history: History,
    calendar: SiteCalendar,
    issue_hours: Sequence[float],
    first: int,
    last: int,
    *,
    every_step: bool = False,
) -> np.ndarray:
    """Grid positions (visible counts) of issues in ``[first, last]``.

    At the local clock times ``issue_hours`` [h], or every position when ``every_step``.
    """
    if every_step:
        return np.arange(first, last + 1)
    index = pd.date_range(history.start, periods=len(history.frame) + 1, freq=history.step)
    local = calendar.local(index)
    clock = local.hour + local.minute / 60.0
    is_issue = np.isin(np.round(clock.to_numpy(), 6), np.round(issue_hours, 6))
    positions = np.flatnonzero(is_issue)
    return positions[(positions >= first) & (positions <= last)]


def training_rows(issues: np.ndarray, steps: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(visible, target) pairs: ``steps`` leads after each issue, targets before ``length``."""
    visible = np.repeat(issues, steps)
    target = visible + np.tile(np.arange(steps), len(issues))
    keep = target < length
    return visible[keep], target[keep]
