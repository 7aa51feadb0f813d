"""The report's zoomable interval view of the whole period (plotly).

One chart, every interval: load, PV, the meter without and with the battery, battery power
(discharge positive), the demand target the real-time layer held and the stored energy (right
axis). Drag to zoom, double-click to reset; buttons pick a day, a week or a month.

The page must work offline, so plotly.js is never loaded from a CDN: :func:`plotly_js` returns
the library bundled with the ``plotly`` package, which the report embeds or writes beside the
page. Series go to the page as float32 typed arrays; the time axis is the site's local clock
time (daylight saving time included, as the meter and the tariff read it), written once as
``"YYYY-MM-DD HH:MM"`` labels and shared by every trace on the page, so a year of 15-minute
intervals costs about 2 MB of data. On the spring DST day the skipped hour is simply absent
from the axis; on the autumn day the repeated hour is drawn twice over the same clock hour,
with a gap in every line before the repeat so no line runs back in time.
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


def clock_axis(index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Local clock-time labels of ``index`` and where the clock goes back (autumn DST).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Tz-aware interval starts.

    Returns
    -------
    labels : numpy.ndarray
        ``"YYYY-MM-DD HH:MM"`` in the index's own zone, one per interval.
    back : numpy.ndarray
        Positions whose label is not after the previous one (the first interval of a repeated
        hour); a gap goes before each.
    """
    local = index.tz_localize(None)
    labels = np.asarray(local.strftime("%Y-%m-%d %H:%M"), dtype=object)
    back = np.flatnonzero(np.diff(local.asi8) <= 0) + 1
    return labels, back


def _series(result: BacktestResult, back: np.ndarray) -> dict[str, np.ndarray]:
    """Each series as float32, a NaN (a gap in the line) inserted at each of ``back``."""
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
        columns[name] = np.insert(values.to_numpy(dtype=np.float32), back, np.nan)
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
        One trace per series (``name`` as in the legend), each with the same ``x``: the local
        clock-time labels of :func:`clock_axis`, a repeated label before each autumn repeat
        (where every ``y`` holds NaN, a gap).
    """
    import plotly.graph_objects as go

    index = result.intervals.index
    step = pd.Timedelta(index.freq) if index.freq is not None else index[1] - index[0]
    labels, back = clock_axis(index)
    x = np.insert(labels, back, labels[back])
    label = f"local clock time ({index.tz}, daylight saving time included)"
    # open on the week around the highest baseline peak; "all" shows the whole period
    local = index.tz_localize(None)
    peak = result.intervals["baseline_grid_kw"].idxmax().tz_localize(None)
    start, end = local.min(), local.max() + step
    low = max(start, peak.normalize() - pd.Timedelta(days=3))
    high = min(end, low + pd.Timedelta(days=7))
    fig = go.Figure()
    values = _series(result, back)
    for name, legend, colour, dash, right in _SERIES:
        if name not in values:
            continue
        fig.add_trace(
            go.Scatter(
                x=x,
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
            "range": [f"{low:%Y-%m-%d %H:%M}", f"{high:%Y-%m-%d %H:%M}"],
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

    plotly.js must be loaded before this fragment (see :func:`plotly_js`). The time labels
    are written once, with the first trace; the script gives them to the others.
    """
    spec = json.loads(interval_figure(result).to_json(engine="json"))
    for trace in spec["data"][1:]:
        del trace["x"]
    shared = "for (var i = 1; i < spec.data.length; i++) spec.data[i].x = spec.data[0].x;\n"
    config = json.dumps({"responsive": True, "displaylogo": False})
    return (
        f'<div id="{INTERVAL_DIV_ID}" class="plotly-chart" style="height:560px"></div>\n'
        "<script>\n"
        f"(function() {{ var spec = {json.dumps(spec, separators=(',', ':'))};\n"
        f"{shared}"
        f"Plotly.newPlot({json.dumps(INTERVAL_DIV_ID)}, spec.data, spec.layout, {config}); }})();\n"
        "</script>"
    )
