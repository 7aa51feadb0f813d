"""The report's zoomable interval view of the whole period (plotly).

One chart, every interval: load, PV, the meter without and with the battery, battery power
(discharge positive), the demand target the real-time layer held and the stored energy (right
axis). Drag to zoom, double-click to reset; buttons pick a day, a week or a month.

The page must work offline, so plotly.js is never loaded from a CDN: :func:`plotly_js` returns
the library bundled with the ``plotly`` package, which the report embeds or writes beside the
page. Series go to the page as float32 typed arrays on a uniform time axis (``x0`` + ``dx``),
so a year of 15-minute intervals costs about 1.5 MB of data, not 10 MB of timestamps. The time
axis is the site's *standard* time (its UTC offset in January, no DST shift): a uniform axis
cannot show the repeated and the skipped hour of the DST changes, so it is labelled with its
UTC offset instead.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sims.results import BacktestResult

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

__all__ = ["INTERVAL_DIV_ID", "interval_figure", "interval_view_html", "plotly_js"]

logger = logging.getLogger(__name__)

INTERVAL_DIV_ID = "interval-view"
"""``id`` of the interval view's ``<div>`` in the report."""

_SERIES = (
    # column (or derived name), label, colour, dash, right axis
    ("load_kw", "load", "#7f7f7f", "solid", False),
    ("pv_kw", "PV", "#ff7f0e", "solid", False),
    ("baseline_grid_kw", "meter without battery", "#d62728", "dot", False),
    ("grid_kw", "meter with battery", "#1f77b4", "solid", False),
    ("battery_kw", "battery (+ discharge)", "#2ca02c", "solid", False),
    ("target_kw", "demand target", "#000000", "dash", False),
    ("soc_end_kwh", "stored energy (kWh, right axis)", "#9467bd", "solid", True),
)


def plotly_js() -> str:
    """The plotly.js library bundled with the installed ``plotly`` package (minified)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _standard_offset(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The site's standard-time UTC offset (the smaller offset of January and July)."""
    tz = index.tz
    year = index[0].year
    offsets = [pd.Timestamp(year=year, month=m, day=15, tz=tz).utcoffset() for m in (1, 7)]
    return min(offsets)


def _series(result: BacktestResult) -> dict[str, np.ndarray]:
    f = result.intervals
    columns: dict[str, np.ndarray] = {}
    for name, *_ in _SERIES:
        if name == "battery_kw":
            values = f["discharge_kw"] - f["charge_kw"]
        elif name == "target_kw":
            if name not in f:
                continue
            values = f[name].where(np.isfinite(f[name]))  # inf (no demand charge) -> gap
        elif name == "pv_kw":
            if name not in f or not f[name].abs().sum() > 0:
                continue
            values = f[name]
        else:
            values = f[name]
        columns[name] = values.to_numpy(dtype=np.float32)
    return columns


def interval_figure(result: BacktestResult) -> go.Figure:
    """The interval view as a plotly figure.

    Parameters
    ----------
    result : BacktestResult
        A backtest; its interval table has a fixed step.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per series (``name`` as in the legend), all on the same uniform time axis.
    """
    import plotly.graph_objects as go

    index = result.intervals.index
    step = pd.Timedelta(index.freq) if index.freq is not None else index[1] - index[0]
    offset = _standard_offset(index)
    start = index[0].tz_convert("UTC").tz_localize(None) + offset
    sign = "+" if offset >= pd.Timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    label = f"standard time (UTC{sign}{minutes // 60:02d}:{minutes % 60:02d})"
    # open on the week around the highest baseline peak; "all" shows the whole period
    peak = result.intervals["baseline_grid_kw"].idxmax().tz_convert("UTC").tz_localize(None)
    peak = peak + offset
    end = start + step * len(index)
    low = max(start, peak.normalize() - pd.Timedelta(days=3))
    high = min(end, low + pd.Timedelta(days=7))
    fig = go.Figure()
    values = _series(result)
    for name, legend, colour, dash, right in _SERIES:
        if name not in values:
            continue
        fig.add_trace(
            go.Scatter(
                x0=start.isoformat(),
                dx=step.total_seconds() * 1000.0,
                y=values[name],
                name=legend,
                mode="lines",
                line={"color": colour, "dash": dash, "width": 1.2, "shape": "hv"},
                yaxis="y2" if right else "y",
            )
        )
    fig.update_layout(
        title=(
            f"Every interval, {result.summary.site} (opens on the peak week; 'all' shows the "
            "period): drag to zoom, double-click to reset"
        ),
        height=560,
        margin={"l": 60, "r": 60, "t": 60, "b": 120},
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.3},
        xaxis={
            "type": "date",
            "title": label,
            "range": [low.isoformat(), high.isoformat()],
            "rangeselector": {
                "buttons": [
                    {"count": 1, "label": "day", "step": "day", "stepmode": "backward"},
                    {"count": 7, "label": "week", "step": "day", "stepmode": "backward"},
                    {"count": 1, "label": "month", "step": "month", "stepmode": "backward"},
                    {"step": "all", "label": "all"},
                ]
            },
        },
        yaxis={"title": "kW", "zeroline": True},
        yaxis2={"title": "kWh", "overlaying": "y", "side": "right", "showgrid": False},
    )
    return fig


def interval_view_html(result: BacktestResult) -> str:
    """A ``<div>`` and the ``<script>`` that draws :func:`interval_figure` into it.

    plotly.js must be loaded before this fragment (see :func:`plotly_js`).
    """
    fig = interval_figure(result)
    spec = fig.to_json(engine="json")
    config = json.dumps({"responsive": True, "displaylogo": False})
    return (
        f'<div id="{INTERVAL_DIV_ID}" class="plotly-chart" style="height:560px"></div>\n'
        "<script>\n"
        f"(function() {{ var spec = {spec};\n"
        f"Plotly.newPlot({json.dumps(INTERVAL_DIV_ID)}, spec.data, spec.layout, {config}); }})();\n"
        "</script>"
    )
