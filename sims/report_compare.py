"""The report's forecast-vs-perfect-foresight comparison: a monthly table and a chart.

The backtest runs the same year up to three ways (see :mod:`sims.backtest`): forecast-driven,
with rolling perfect foresight (``BacktestResult.perfect_foresight``) and as the prescient
bound (``BacktestResult.prescient``, one perfect-foresight plan per billing month). This module
puts their monthly bill savings side by side, with each month's capture ratio
``forecast savings / perfect-foresight savings``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sims.results import BacktestResult

__all__ = ["figure_comparison", "monthly_comparison"]

_BLUE, _ORANGE, _GREEN = "#1f77b4", "#ff7f0e", "#2ca02c"


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` where the denominator is positive, else NaN."""
    positive = denominator > 0
    return (numerator / denominator.where(positive)).astype(float)


def monthly_comparison(result: BacktestResult) -> pd.DataFrame | None:
    """Monthly bill savings of the forecast-driven run beside the perfect-foresight runs.

    Parameters
    ----------
    result : BacktestResult
        A forecast-driven backtest.

    Returns
    -------
    pandas.DataFrame or None
        One row per billing month and a ``total`` row: ``forecast_savings_usd``,
        ``perfect_foresight_savings_usd`` and ``capture_ratio`` (forecast / perfect foresight,
        NaN where the perfect-foresight savings are not positive) when the rolling
        perfect-foresight run exists; ``prescient_savings_usd`` and ``capture_of_prescient``
        when the prescient bound exists. None when neither was run.
    """
    runs = {"perfect_foresight": result.perfect_foresight, "prescient": result.prescient}
    runs = {name: run for name, run in runs.items() if run is not None}
    if not runs:
        return None
    forecast = result.monthly["savings_total_usd"]
    table = pd.DataFrame({"forecast_savings_usd": forecast})
    for name, run in runs.items():
        table[f"{name}_savings_usd"] = run.monthly["savings_total_usd"].reindex(forecast.index)
    table.index = [str(p) for p in table.index]
    table.loc["total"] = table.sum(axis=0, min_count=1)
    if "perfect_foresight" in runs:
        table["capture_ratio"] = _ratio(
            table["forecast_savings_usd"], table["perfect_foresight_savings_usd"]
        )
    if "prescient" in runs:
        table["capture_of_prescient"] = _ratio(
            table["forecast_savings_usd"], table["prescient_savings_usd"]
        )
    table.index.name = "month"
    return table


def figure_comparison(result: BacktestResult) -> Figure | None:
    """Monthly bill savings: forecast-driven against perfect foresight (and the prescient
    bound), with the capture ratio of the period in the title. None when neither ran."""
    table = monthly_comparison(result)
    if table is None:
        return None
    months = table.drop(index="total")
    bars = [("forecast_savings_usd", "forecast-driven", _BLUE)]
    bars += [
        (column, label, colour)
        for column, label, colour in (
            ("perfect_foresight_savings_usd", "rolling perfect foresight", _ORANGE),
            ("prescient_savings_usd", "prescient bound", _GREEN),
        )
        if column in months
    ]
    fig = Figure(figsize=(9, 3.8))
    ax = fig.add_subplot()
    pos = np.arange(len(months))
    width = 0.8 / len(bars)
    for i, (column, label, colour) in enumerate(bars):
        offset = (i - (len(bars) - 1) / 2) * width
        ax.bar(pos + offset, months[column], width=width, color=colour, label=label)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(pos, list(months.index), rotation=45, fontsize=8)
    ax.set_ylabel("bill savings, $ per month")
    s = result.summary
    parts = []
    if not np.isnan(s.capture_ratio):
        parts.append(f"capture {100 * s.capture_ratio:.1f} % of perfect foresight")
    if not np.isnan(s.capture_of_prescient):
        parts.append(f"{100 * s.capture_of_prescient:.1f} % of the prescient bound")
    ax.set_title(
        "Forecast-driven vs perfect foresight" + (": " + ", ".join(parts) if parts else "")
    )
    ax.legend(fontsize=8)
    return fig
