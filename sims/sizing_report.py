"""An HTML report of a sizing run with embedded matplotlib figures (PNG, base64).

Figures: NPV and IRR heatmaps of the prescient screen over power x duration (the top k and
the recommendation marked, the LP optimum drawn at its power and duration), and the
forecast-driven against the prescient NPV of the top candidates. Tables: the recommendation,
the ranking comparison, the capex sensitivity, the LP cross-check and every candidate. Built
on ``matplotlib.figure.Figure`` (no pyplot state), as :mod:`sims.report`.
"""

from __future__ import annotations

import html
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sims.report_figures import png_base64
from sims.sizing import SizingResult
from sims.sizing_summary import lp_explanation, summary_payload

__all__ = ["figure_heatmap", "figure_top", "render_sizing_report", "write_sizing_report"]

logger = logging.getLogger(__name__)


def _grid(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table.pivot_table(index="duration_h", columns="power_kw", values=column, aggfunc="first")


def figure_heatmap(
    result: SizingResult, column: str, label: str, scale: float = 1.0, fmt: str = "{:,.0f}"
) -> Figure:
    """Heatmap of a ``pf_`` column over (power, duration), candidates annotated."""
    grid = _grid(result.candidates, column) * scale
    fig = Figure(figsize=(7.5, 4.2))
    ax = fig.add_subplot()
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, origin="lower", aspect="auto", cmap="RdYlGn")
    fig.colorbar(image, ax=ax, label=label)
    ax.set_xticks(range(grid.shape[1]), [f"{p:g}" for p in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{h:g}" for h in grid.index])
    ax.set_xlabel("power (kW)")
    ax.set_ylabel("duration (h)")
    top = result.candidates.dropna(subset=["fc_rank"])
    for i, h in enumerate(grid.index):
        for j, p in enumerate(grid.columns):
            if math.isfinite(values[i, j]):
                ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize=8)
            if ((top["power_kw"] == p) & (top["duration_h"] == h)).any():
                ax.add_patch(_box(j, i, "#1f77b4"))
            if (p, p * h) == result.recommended:
                ax.add_patch(_box(j, i, "black", width=2.5))
    if result.lp is not None and result.lp.power_kw > 1e-6:
        x = np.interp(result.lp.power_kw, grid.columns, range(grid.shape[1]))
        y = np.interp(result.lp.duration_h, grid.index, range(grid.shape[0]))
        ax.plot([x], [y], marker="*", markersize=14, color="magenta", label="LP optimum")
        ax.legend(loc="upper left", fontsize=8)
    ax.set_title("prescient screen (blue: top k re-run with forecasts; black: recommended)")
    return fig


def _box(x: float, y: float, color: str, width: float = 1.5):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor=color, linewidth=width)


def figure_top(result: SizingResult) -> Figure:
    """Prescient vs forecast-driven NPV of the candidates re-run with forecasts."""
    top = result.candidates.dropna(subset=["fc_rank"]).sort_values("pf_rank")
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.add_subplot()
    x = np.arange(len(top))
    ax.bar(x - 0.2, top["pf_npv_usd"], width=0.4, label="prescient bound", color="#7f7f7f")
    ax.bar(x + 0.2, top["fc_npv_usd"], width=0.4, label="forecast-driven", color="#1f77b4")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(
        x, [f"{p:g} kW\n{e:g} kWh" for p, e in zip(top.power_kw, top.energy_kwh, strict=True)]
    )
    ax.set_ylabel("NPV ($)")
    ax.legend(fontsize=8)
    return fig


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return html.escape(str(value))


def _rows(pairs: list[tuple[str, object]]) -> str:
    return "".join(f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in pairs)


def render_sizing_report(result: SizingResult) -> str:
    """The report as one self-contained HTML document."""
    s = summary_payload(result)
    rec, best = s["recommended"], s["pf_best"]

    def num(value: object) -> float:
        return math.nan if value is None or isinstance(value, str) else float(value)

    head = _rows(
        [
            ("Annual peak load (kW)", result.peak_kw),
            ("Recommended power (kW)", rec["power_kw"]),
            ("Recommended energy (kWh)", rec["energy_kwh"]),
            ("  NPV with forecasts ($)", num(rec["fc_npv_usd"])),
            ("  IRR with forecasts", num(rec["fc_irr_fraction"])),
            ("  NPV on the prescient bound ($)", num(rec["pf_npv_usd"])),
            ("  IRR on the prescient bound", num(rec["pf_irr_fraction"])),
            ("Screen's best (kW / kWh)", f"{best['power_kw']:g} / {best['energy_kwh']:g}"),
            ("  its NPV with forecasts ($)", num(best["fc_npv_usd"])),
            (
                "Rank of the screen's best under forecasts",
                num(s["ranking"].get("pf_winner_rank_under_forecasts")),
            ),
            (
                "Spearman / Kendall on the top k",
                f"{_fmt(num(s['ranking'].get('spearman')))} / {_fmt(num(s['ranking'].get('kendall')))}",
            ),
            (
                "Wall time: screen / forecasts / LP (s)",
                " / ".join(f"{result.timings[k]:,.0f}" for k in ("stage1_s", "stage2_s", "lp_s")),
            ),
        ]
    )
    figures = [
        ("NPV, prescient bound ($)", figure_heatmap(result, "pf_npv_usd", "NPV ($)")),
        (
            "IRR, prescient bound (%)",
            figure_heatmap(result, "pf_irr_fraction", "IRR (%)", 100, "{:.1f}"),
        ),
        ("Top candidates: prescient vs forecast-driven NPV", figure_top(result)),
    ]
    images = "".join(
        f'<h2>{html.escape(t)}</h2><img alt="{html.escape(t)}" src="data:image/png;base64,{png_base64(f)}">'
        for t, f in figures
    )
    money = lambda v: f"{v:,.2f}"  # noqa: E731
    sensitivity = result.sensitivity.to_html(index=False, float_format=money)
    columns = [c for c in result.candidates.columns if not c.endswith(("_start", "_end", "_error"))]
    candidates = result.candidates[columns].to_html(index=False, float_format=money)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>valuestack sizing: {html.escape(result.site)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th {{ text-align: left; background: #f4f4f4; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Battery sizing: {html.escape(result.site)}</h1>
<p>Stage 1 screens {len(result.candidates)} candidates on the prescient bound (perfect
foresight, one plan per billing month); stage 2 re-runs the best by that NPV with the
forecast-driven controller; the recommendation is the best forecast-driven NPV. Same plant,
settlement and finance as the backtest.</p>
<table>{head}</table>
{"<ul>" + notes + "</ul>" if notes else ""}
{images}
<h2>Capex sensitivity</h2>
<p>Every candidate re-priced at capex x factor on its simulated savings and cycles (stage 2 is
not re-run: the forecast-driven best is among the same top k).</p>
{sensitivity}
<h2>LP cross-check</h2><p>{html.escape(lp_explanation(result))}</p>
<h2>Candidates</h2>{candidates}
</body></html>
"""


def write_sizing_report(result: SizingResult, path: str | Path) -> Path:
    """Write :func:`render_sizing_report` to ``path`` and return it."""
    path = Path(path)
    path.write_text(render_sizing_report(result), encoding="utf-8")
    logger.info("wrote %s", path)
    return path
