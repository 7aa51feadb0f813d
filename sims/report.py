"""An HTML report of a backtest: matplotlib figures (PNG, base64) and one interactive chart.

Figures: the dispatch on the day of the year's highest baseline peak, monthly peaks against
the demand targets, monthly bills before and after, a waterfall of savings by stream, the
forecast-driven run beside perfect foresight (:mod:`sims.report_compare`), the state of charge
over the period, and a zoomable view of every interval (plotly, :mod:`sims.report_interactive`;
plotly.js is embedded or written beside the page, never loaded from a CDN). Tables: the summary,
the inputs, monthly savings (energy vs demand, totals), monthly demand targets, forecast vs
perfect foresight by month, windows that fell back, and the cash flows with the ITC,
depreciation and tax columns that explain year 1. Built on ``matplotlib.figure.Figure`` (no
pyplot state), so reports can be made from worker processes.
"""

from __future__ import annotations

import html
import logging
import math
from pathlib import Path
from typing import Literal

import pandas as pd

from core.errors import InputError
from markets.bill import DEMAND_COLUMNS
from sims.finance import FinanceResult
from sims.report_compare import figure_comparison, monthly_comparison
from sims.report_figures import (
    figure_bills,
    figure_peak_day,
    figure_soc,
    figure_targets,
    figure_waterfall,
    monthly_targets,
    png_base64,
)
from sims.report_interactive import interval_view_html, plotly_js
from sims.results import BacktestResult

__all__ = [
    "PLOTLY_JS_FILE",
    "cash_flow_table",
    "figure_bills",
    "figure_peak_day",
    "figure_soc",
    "figure_targets",
    "figure_waterfall",
    "monthly_targets",
    "render_report",
    "write_report",
]

logger = logging.getLogger(__name__)

PLOTLY_JS_FILE = "plotly.min.js"
"""File name of plotly.js when :func:`write_report` writes it beside the page."""

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
    demand = [f"savings_{c}" for c in DEMAND_COLUMNS if f"savings_{c}" in m]
    if demand:
        table["savings_demand_usd"] = m[demand].sum(axis=1)
    table.index = [str(i) for i in table.index]
    money = [c for c in table.columns if c.endswith("_usd") or c == "cycles"]
    total = pd.DataFrame([table[money].sum()], index=["total"])
    return pd.concat([table, total])


_CASH_FLOW_COLUMNS = (
    ("capacity_fraction", True),
    ("capex_usd", True),
    ("savings_usd", True),
    ("om_usd", False),
    ("augmentation_usd", False),
    ("replacement_usd", False),
    ("itc_usd", True),
    ("depreciation_usd", True),
    ("tax_usd", True),
    ("net_usd", True),
    ("cumulative_net_usd", True),
)
"""Cash-flow columns the report shows: (column, shown even when every year is 0)."""


def cash_flow_table(finance: FinanceResult) -> pd.DataFrame:
    """The cash flows as the report shows them.

    The ITC, depreciation and tax columns are always shown (they explain year 1); O&M,
    augmentation and replacement only when some year has one. ``net_usd`` is the sum of the
    cash columns; depreciation is not cash: it only lowers the tax.
    """
    flows = finance.cash_flows
    keep = [
        column
        for column, always in _CASH_FLOW_COLUMNS
        if column in flows and (always or bool((flows[column] != 0).any()))
    ]
    return flows[keep].copy()


_CASH_FLOW_NOTE = (
    "Costs negative, savings and credits positive. net_usd = capex + savings + O&amp;M + "
    "augmentation + replacement + ITC + tax. Depreciation (MACRS) is not cash: it only lowers "
    "the tax, tax_usd = &minus;rate &times; (savings + O&amp;M + augmentation + replacement "
    "&minus; depreciation), a benefit (positive) when that is negative."
)


def _money(value: float) -> str:
    """Two decimals; never "-0.00"."""
    if math.isnan(value):
        return "n/a"
    return "0.00" if abs(value) < 0.005 else f"{value:,.2f}"


def _summary_rows(result: BacktestResult) -> str:
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
    return "".join(rows)


def _figures_html(result: BacktestResult) -> str:
    figures = []
    for title, make in (
        ("Peak day", figure_peak_day),
        ("Demand targets", figure_targets),
        ("Monthly bills", figure_bills),
        ("Savings by stream", figure_waterfall),
        ("State of charge", figure_soc),
    ):
        figures.append(
            f'<h2>{title}</h2><img alt="{title}" src="data:image/png;base64,{png_base64(make(result))}">'
        )
    return "".join(figures)


def _comparison_html(result: BacktestResult) -> str:
    table = monthly_comparison(result)
    if table is None:
        return ""
    figure = figure_comparison(result)
    assert figure is not None  # the table exists, so does a run to compare with
    shown = table.copy()
    for column in shown.columns:
        if column.startswith("capture"):
            shown[column] = [_fmt_percent(v) for v in shown[column]]
        else:
            shown[column] = [_money(v) for v in shown[column]]
    return (
        "<h2>Forecast vs perfect foresight</h2>"
        "<p>Bill savings by month of the forecast-driven run and of the same year with perfect "
        "foresight; capture = forecast-driven / perfect-foresight savings (n/a where the latter "
        "are not positive).</p>"
        f'<img alt="Forecast vs perfect foresight" '
        f'src="data:image/png;base64,{png_base64(figure)}">'
        f"{shown.to_html()}"
    )


def _monthly_html(result: BacktestResult) -> str:
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
    table = _monthly_split(result, monthly_cols)
    if "peak_reduction_fraction" in table:
        table["peak_reduction_fraction"] = [
            "" if pd.isna(v) else _fmt_percent(v) for v in table["peak_reduction_fraction"]
        ]
        table = table.rename(columns={"peak_reduction_fraction": "peak_reduction"})
    return table.to_html(float_format=_money, na_rep="")


def _plotly_tag(plotly: Literal["inline", "file"]) -> str:
    if plotly == "inline":
        return f"<script>{plotly_js()}</script>"
    return f'<script src="{PLOTLY_JS_FILE}"></script>'


def render_report(result: BacktestResult, *, plotly: Literal["inline", "file"] = "inline") -> str:
    """The report as one HTML document.

    Parameters
    ----------
    result : BacktestResult
        The backtest.
    plotly : {"inline", "file"}, default "inline"
        Embed plotly.js in the page (self-contained, about 4.6 MB), or load it from
        ``plotly.min.js`` beside the page (:func:`write_report` writes it). Never a CDN.

    Returns
    -------
    str
    """
    if plotly not in ("inline", "file"):
        raise InputError("plotly", plotly, "'inline' or 'file'")
    s = result.summary
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
    finance = cash_flow_table(result.finance).to_html(float_format=_money)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in s.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>valuestack backtest: {html.escape(s.site)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; display: block;
  overflow-x: auto; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th {{ text-align: left; background: #f4f4f4; }}
img {{ max-width: 100%; }}
</style>
{_plotly_tag(plotly)}
</head><body>
<h1>Backtest: {html.escape(s.site)}</h1>
<p>{html.escape(s.start)} to {html.escape(s.end)}, step {s.step_h:g} h, forecasts
{html.escape(s.forecast)}; wall time {s.timings.total_s:,.1f} s.</p>
<table>{_summary_rows(result)}</table>
{"<h2>Inputs</h2><table>" + inputs + "</table>" if inputs else ""}
{"<ul>" + notes + "</ul>" if notes else ""}
{_figures_html(result)}
{_comparison_html(result)}
<h2>Every interval</h2>
{interval_view_html(result)}
<h2>Monthly</h2>{_monthly_html(result)}
<h2>Monthly demand targets (kW)</h2>{targets}
<h2>Windows that fell back</h2>{fallback_html}
<h2>Cash flows</h2>
<p>{_CASH_FLOW_NOTE}</p>
{finance}
</body></html>
"""


def write_report(
    result: BacktestResult, path: str | Path, *, plotly: Literal["inline", "file"] = "inline"
) -> Path:
    """Write :func:`render_report` to ``path`` and return it.

    With ``plotly="file"``, plotly.js is written beside the page as :data:`PLOTLY_JS_FILE`.
    """
    path = Path(path)
    text = render_report(result, plotly=plotly)
    if plotly == "file":
        (path.parent / PLOTLY_JS_FILE).write_text(plotly_js(), encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    logger.info("wrote %s", path)
    return path
