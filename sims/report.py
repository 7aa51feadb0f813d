"""An HTML report of a backtest with embedded matplotlib figures (PNG, base64).

Figures: the dispatch on the day of the year's highest baseline peak, monthly bills before and
after, the state of charge over the period, and a waterfall of savings by stream. Built on
``matplotlib.figure.Figure`` (no pyplot state), so reports can be made from worker processes.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sims.results import BacktestResult

__all__ = [
    "figure_bills",
    "figure_peak_day",
    "figure_soc",
    "figure_waterfall",
    "render_report",
    "write_report",
]

logger = logging.getLogger(__name__)

_BLUE, _ORANGE, _GREEN, _RED, _GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


def _png(fig: Figure) -> str:
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


_PERCENT = {
    "bill_savings_fraction",
    "energy_cost_savings_fraction",
    "mean_peak_reduction_fraction",
    "capture_ratio",
    "capture_of_prescient",
    "demand_capture_of_prescient",
    "irr_fraction",
}
"""Summary fields shown in percent."""


def _fmt_percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:,.1f} %"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if value == 0:
            return "0"  # never "-0"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return html.escape(str(value))


_SUMMARY_ROWS = (
    ("Baseline bill ($)", "baseline_bill_usd"),
    ("Bill with battery ($)", "battery_bill_usd"),
    ("Bill savings ($)", "bill_savings_usd"),
    ("Bill savings", "bill_savings_fraction"),
    ("Energy cost savings", "energy_cost_savings_fraction"),
    ("Demand charge savings ($)", "demand_savings_usd"),
    ("Market revenue ($)", "market_revenue_usd"),
    ("Total savings ($)", "total_savings_usd"),
    ("Mean monthly peak reduction", "mean_peak_reduction_fraction"),
    ("Highest peak without / with battery (kW)", None),
    ("Full equivalent cycles", "cycles"),
    ("Discharged (kWh)", "discharged_kwh"),
    ("Perfect-foresight savings ($)", "perfect_foresight_savings_usd"),
    ("Capture ratio vs perfect foresight", "capture_ratio"),
    ("Prescient-bound savings ($)", "prescient_savings_usd"),
    ("Capture of the prescient bound", "capture_of_prescient"),
    ("Demand-charge capture of the prescient bound", "demand_capture_of_prescient"),
    ("NPV ($)", "npv_usd"),
    ("IRR", "irr_fraction"),
    ("Simple payback (years)", "simple_payback_years"),
    ("Plans (fallbacks)", None),
)


def _monthly_split(result: BacktestResult, columns: list[str]) -> pd.DataFrame:
    """The monthly table with energy and demand savings apart, and a totals row."""
    m = result.monthly
    table = m[columns].copy()
    if "savings_energy_usd" in m:
        table["savings_energy_usd"] = m["savings_energy_usd"]
    demand = [c for c in ("savings_demand_flat_usd", "savings_demand_tou_usd") if c in m]
    if demand:
        table["savings_demand_usd"] = m[demand].sum(axis=1)
    table.index = [str(i) for i in table.index]
    money = [c for c in table.columns if c.endswith("_usd") or c == "cycles"]
    total = pd.DataFrame([table[money].sum()], index=["total"])
    return pd.concat([table, total])


def render_report(result: BacktestResult) -> str:
    """The report as one self-contained HTML document."""
    s = result.summary
    rows = []
    for label, key in _SUMMARY_ROWS:
        if key in _PERCENT:
            value = _fmt_percent(getattr(s, key))
        elif key is not None:
            value = _fmt(getattr(s, key))
        elif label.startswith("Highest"):
            value = f"{_fmt(s.max_baseline_peak_kw)} / {_fmt(s.max_battery_peak_kw)}"
        else:
            value = f"{s.n_windows} ({s.n_fallback_windows})"
        rows.append(f"<tr><th>{html.escape(label)}</th><td>{value}</td></tr>")
    figures = []
    for title, make in (
        ("Peak day", figure_peak_day),
        ("Demand targets", figure_targets),
        ("Monthly bills", figure_bills),
        ("Savings by stream", figure_waterfall),
        ("State of charge", figure_soc),
    ):
        figures.append(
            f'<h2>{title}</h2><img alt="{title}" src="data:image/png;base64,{_png(make(result))}">'
        )
    monthly_cols = [
        c
        for c in (
            "baseline_total_usd",
            "battery_total_usd",
            "savings_total_usd",
            "baseline_peak_kw",
            "battery_peak_kw",
            "peak_reduction_fraction",
            "cycles",
        )
        if c in result.monthly.columns
    ]
    monthly = _monthly_split(result, monthly_cols).to_html(float_format=lambda v: f"{v:,.2f}")
    inputs = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in result.inputs.items()
    )
    targets = monthly_targets(result).to_html(float_format=lambda v: f"{v:,.1f}")
    fallbacks = result.windows[result.windows["status"] != "optimal"]
    fallback_html = (
        "<p>Every window solved.</p>"
        if fallbacks.empty
        else fallbacks[["issue_time", "status", "error"]].to_html(index=False)
    )
    finance = result.finance.cash_flows[
        ["capacity_fraction", "savings_usd", "net_usd", "cumulative_net_usd"]
    ].to_html(float_format=lambda v: f"{v:,.2f}")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in s.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>valuestack backtest: {html.escape(s.site)}</title>
<style>
body {{ font-family: sans-serif; max-width: 980px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th {{ text-align: left; background: #f4f4f4; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Backtest: {html.escape(s.site)}</h1>
<p>{html.escape(s.start)} to {html.escape(s.end)}, step {s.step_h:g} h, forecasts
{html.escape(s.forecast)}; wall time {s.timings.total_s:,.1f} s.</p>
<table>{"".join(rows)}</table>
{"<h2>Inputs</h2><table>" + inputs + "</table>" if inputs else ""}
{"<ul>" + notes + "</ul>" if notes else ""}
{"".join(figures)}
<h2>Monthly</h2>{monthly}
<h2>Monthly demand targets (kW)</h2>{targets}
<h2>Windows that fell back</h2>{fallback_html}
<h2>Cash flows</h2>{finance}
</body></html>
"""


def write_report(result: BacktestResult, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` and return it."""
    path = Path(path)
    path.write_text(render_report(result), encoding="utf-8")
    logger.info("wrote %s", path)
    return path
