"""The report's static figures (matplotlib ``Figure`` objects, no pyplot state) and PNG encoding.

Each ``figure_*`` function takes a :class:`~sims.results.BacktestResult` and returns a figure;
:func:`png_base64` encodes one for an ``<img>`` tag.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sims.results import BacktestResult

__all__ = [
    "figure_bills",
    "figure_peak_day",
    "figure_soc",
    "figure_targets",
    "figure_waterfall",
    "monthly_targets",
    "png_base64",
]

_BLUE, _ORANGE, _GREEN, _RED, _GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


def png_base64(fig: Figure) -> str:
    """The figure as a base64-encoded PNG (100 dpi)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_peak_day(result: BacktestResult) -> Figure:
    """Load, PV, battery power and the meter with and without the battery on the peak day."""
    f = result.intervals
    peak_at = f["baseline_grid_kw"].idxmax()
    day = f[f.index.normalize() == peak_at.normalize()]
    fig = Figure(figsize=(9, 4.2))
    ax = fig.add_subplot()
    x = day.index.tz_localize(None)
    width = (x[1] - x[0]) if len(x) > 1 else pd.Timedelta(hours=1)
    battery = day["discharge_kw"] - day["charge_kw"]
    ax.bar(
        x,
        battery,
        width=width,
        align="edge",
        color=_GREEN,
        alpha=0.4,
        label="battery (+ discharge)",
    )
    ax.step(x, day["load_kw"], where="post", color=_GREY, label="load")
    if day["pv_kw"].abs().sum() > 0:
        ax.step(x, day["pv_kw"], where="post", color=_ORANGE, label="PV")
    ax.step(
        x, day["baseline_grid_kw"], where="post", color=_RED, ls="--", label="meter without battery"
    )
    ax.step(x, day["grid_kw"], where="post", color=_BLUE, lw=2, label="meter with battery")
    if "target_kw" in day.columns:
        target = day["target_kw"].where(np.isfinite(day["target_kw"]))
        ax.step(x, target, where="post", color="black", ls=":", lw=1.5, label="demand target")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_title(f"Dispatch on the peak day, {peak_at:%Y-%m-%d} ({peak_at.tzname()})")
    ax.set_ylabel("kW")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.3 * (high - low))  # room for the legend
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.autofmt_xdate()
    return fig


def figure_bills(result: BacktestResult) -> Figure:
    """Monthly bill totals without and with the battery."""
    m = result.monthly
    fig = Figure(figsize=(9, 3.8))
    ax = fig.add_subplot()
    pos = np.arange(len(m))
    ax.bar(pos - 0.2, m["baseline_total_usd"], width=0.4, color=_RED, label="without battery")
    ax.bar(pos + 0.2, m["battery_total_usd"], width=0.4, color=_BLUE, label="with battery")
    ax.set_xticks(pos, [str(p) for p in m.index], rotation=45, fontsize=8)
    ax.set_ylabel("$ per month")
    ax.set_title("Monthly bills")
    ax.legend(fontsize=8)
    return fig


def figure_soc(result: BacktestResult) -> Figure:
    """Stored energy at the end of each interval: one column per day, local time upwards."""
    f = result.intervals
    local = f.index.tz_localize(None)
    table = pd.DataFrame(
        {
            "day": local.normalize(),
            "time_h": local.hour + local.minute / 60.0,
            "soc": f["soc_end_kwh"].to_numpy(),
        }
    ).pivot_table(index="time_h", columns="day", values="soc", aggfunc="mean")
    fig = Figure(figsize=(9, 3.4))
    ax = fig.add_subplot()
    days = table.columns
    image = ax.imshow(
        table.to_numpy(),
        aspect="auto",
        origin="lower",
        interpolation="nearest",
        cmap="viridis",
        extent=(0, len(days), 0, 24),
    )
    ticks = np.linspace(0, len(days) - 1, min(len(days), 8)).astype(int)
    ax.set_xticks(ticks + 0.5, [f"{days[t]:%Y-%m-%d}" for t in ticks], rotation=30, fontsize=8)
    ax.set_yticks([0, 6, 12, 18, 24])
    ax.set_ylabel("local hour")
    ax.set_title("State of charge (kWh) by day and hour")
    fig.colorbar(image, ax=ax, label="kWh")
    return fig


def figure_waterfall(result: BacktestResult) -> Figure:
    """Savings by stream, stacked from $0 to the total, on the savings' own scale."""
    s = result.summary
    streams = {k: v for k, v in s.savings_by_stream_usd.items() if abs(v) > 1e-9}
    labels = [*streams, "total"]
    fig = Figure(figsize=(9, 3.8))
    ax = fig.add_subplot()
    level = 0.0
    for i, saving in enumerate(streams.values()):
        ax.bar(i, saving, bottom=level, color=_GREEN if saving >= 0 else _RED)
        ax.text(
            i, max(level, level + saving), f"${saving:,.0f}", ha="center", va="bottom", fontsize=8
        )
        level += saving
    ax.bar(len(labels) - 1, level, color=_BLUE)
    share = (
        f" ({100 * level / s.baseline_bill_usd:.1f} % of the bill)" if s.baseline_bill_usd else ""
    )
    ax.text(
        len(labels) - 1, max(level, 0.0), f"${level:,.0f}", ha="center", va="bottom", fontsize=8
    )
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
    ax.set_ylabel("$ saved over the period")
    ax.set_title(f"Savings by stream: ${level:,.0f}{share}")
    return fig


def monthly_targets(result: BacktestResult) -> pd.DataFrame:
    """Per billing month: peaks without and with the battery, the highest demand target the
    controller held, and the prescient bound's peak (when it was run) [kW]."""
    f = result.intervals
    month = f.index.tz_localize(None).to_period("M")
    target = f["target_kw"].where(np.isfinite(f["target_kw"])) if "target_kw" in f else None
    table = pd.DataFrame(
        {
            "baseline_peak_kw": f["baseline_grid_kw"].groupby(month).max(),
            "battery_peak_kw": f["grid_kw"].groupby(month).max(),
        }
    )
    if target is not None:
        table["highest_target_kw"] = target.groupby(month).max()
    if result.prescient is not None:
        bound = result.prescient.intervals["grid_kw"]
        table["prescient_peak_kw"] = bound.groupby(
            bound.index.tz_localize(None).to_period("M")
        ).max()
    table.index.name = "month"
    return table


def figure_targets(result: BacktestResult) -> Figure:
    """Monthly peaks against the demand target held and the prescient bound's peak."""
    table = monthly_targets(result)
    fig = Figure(figsize=(9, 3.8))
    ax = fig.add_subplot()
    pos = np.arange(len(table))
    ax.bar(pos - 0.2, table["baseline_peak_kw"], width=0.4, color=_RED, label="without battery")
    ax.bar(pos + 0.2, table["battery_peak_kw"], width=0.4, color=_BLUE, label="with battery")
    if "highest_target_kw" in table:
        ax.plot(pos, table["highest_target_kw"], "k_", ms=22, mew=2, label="highest target")
    if "prescient_peak_kw" in table:
        ax.plot(pos, table["prescient_peak_kw"], "g_", ms=22, mew=2, label="prescient bound")
    ax.set_xticks(pos, [str(p) for p in table.index], rotation=45, fontsize=8)
    ax.set_ylabel("kW")
    ax.set_title("Monthly peak: meter, demand target and the prescient bound")
    ax.legend(fontsize=8, ncol=4, loc="lower right")
    return fig
