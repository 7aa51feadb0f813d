"""The report's cash-flow columns, the forecast-vs-perfect-foresight comparison, the interactive
interval view, and the page as a real browser draws it (headless Chromium)."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from sims.backtest import run_backtest
from sims.config import load_config
from sims.finance import FinanceInputs, project_cash_flows
from sims.report import PLOTLY_JS_FILE, cash_flow_table, render_report, write_report
from sims.report_compare import figure_comparison, monthly_comparison
from sims.report_interactive import INTERVAL_DIV_ID, interval_figure
from tests.sims.browser import check_page, chromium
from tests.sims.helpers import write_site


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    forecast = 'load = "seasonal_naive"\npv = "seasonal_naive"\nwarmup_days = 1\n'
    return run_backtest(load_config(write_site(folder, days=4, forecast=forecast)), progress=False)


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _tables(page: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


# -- 1. the cash-flow columns that explain year 1 ---------------------------------------------
def _hand_finance():
    # capex 100 kW x $400 + 200 kWh x $300 = $100,000; ITC 30 % -> $30,000 in year 1;
    # MACRS basis 100,000 x (1 - 0.30 / 2) = 85,000: 17,000 / 27,200 / 16,320 in years 1-3;
    # savings 20,000 a year, no O&M; tax 25 % of (savings - depreciation):
    #   y1 (20,000 - 17,000) = 3,000 -> -750;   net 20,000 + 30,000 - 750 = 49,250
    #   y2 (20,000 - 27,200) = -7,200 -> +1,800; net 21,800
    #   y3 (20,000 - 16,320) = 3,680 -> -920;   net 19,080
    inputs = FinanceInputs(
        analysis_years=3,
        capex_usd_per_kw=400.0,
        capex_usd_per_kwh=300.0,
        itc_fraction=0.3,
        macrs=True,
        tax_rate_fraction=0.25,
    )
    return project_cash_flows(
        inputs, power_kw=100, energy_kwh=200, first_year_savings_usd=20_000, cycles_per_year=100
    )


def test_cash_flow_columns_match_a_hand_calculation(result):
    table = cash_flow_table(_hand_finance())
    assert list(table.columns) == [
        "capacity_fraction",
        "capex_usd",
        "savings_usd",
        "itc_usd",
        "depreciation_usd",
        "tax_usd",
        "net_usd",
        "cumulative_net_usd",
    ]  # O&M, augmentation, replacement: zero every year, so not shown
    np.testing.assert_allclose(table["capex_usd"], [-100_000, 0, 0, 0])
    np.testing.assert_allclose(table["itc_usd"], [0, 30_000, 0, 0])
    np.testing.assert_allclose(table["depreciation_usd"], [0, 17_000, 27_200, 16_320])
    np.testing.assert_allclose(table["tax_usd"], [0, -750, 1_800, -920])
    np.testing.assert_allclose(table["net_usd"], [-100_000, 49_250, 21_800, 19_080])
    np.testing.assert_allclose(table["cumulative_net_usd"], [-100_000, -50_750, -28_950, -9_870])
    # and the page shows year 1 with those figures
    page = render_report(dataclasses.replace(result, finance=_hand_finance()))
    cash = next(t for t in _tables(page) if t and "itc_usd" in t[0])
    header = cash[0][1:]
    year1 = dict(zip(header, next(row for row in cash if row[0] == "1")[1:], strict=True))
    assert year1["itc_usd"] == "30,000.00"
    assert year1["depreciation_usd"] == "17,000.00"
    assert year1["tax_usd"] == "-750.00"
    assert year1["net_usd"] == "49,250.00"


def test_cash_flow_table_shows_costs_only_when_there_are_some():
    inputs = FinanceInputs(analysis_years=2, capex_usd_per_kw=100.0, om_usd_per_kw_year=5.0)
    flows = project_cash_flows(
        inputs, power_kw=10, energy_kwh=20, first_year_savings_usd=300, cycles_per_year=50
    )
    table = cash_flow_table(flows)
    assert "om_usd" in table and "replacement_usd" not in table
    np.testing.assert_allclose(table["om_usd"], [0, -50, -50])  # 10 kW x $5
    np.testing.assert_allclose(table["net_usd"], [-1_000, 250, 250])


# -- 2. forecast vs perfect foresight -----------------------------------------------------------
def test_monthly_comparison_of_hand_made_runs(result):
    months = pd.PeriodIndex(["2024-01", "2024-02"], freq="M")

    def run(savings):
        monthly = pd.DataFrame({"savings_total_usd": savings}, index=months)
        return dataclasses.replace(result, monthly=monthly, perfect_foresight=None, prescient=None)

    made = dataclasses.replace(
        run([10.0, 5.0]), perfect_foresight=run([20.0, 0.0]), prescient=run([40.0, 10.0])
    )
    table = monthly_comparison(made)
    assert list(table.index) == ["2024-01", "2024-02", "total"]
    np.testing.assert_allclose(table["forecast_savings_usd"], [10, 5, 15])
    np.testing.assert_allclose(table["perfect_foresight_savings_usd"], [20, 0, 20])
    # 10 / 20; 5 / 0 is undefined; 15 / 20
    np.testing.assert_allclose(table["capture_ratio"], [0.5, np.nan, 0.75])
    np.testing.assert_allclose(table["capture_of_prescient"], [0.25, 0.5, 0.3])
    assert monthly_comparison(run([1.0, 2.0])) is None
    assert figure_comparison(run([1.0, 2.0])) is None


def test_comparison_agrees_with_the_summaries(result):
    table = monthly_comparison(result)
    s = result.summary
    # a second source: each run's own summary (settled by the bill engine, no markets here)
    assert table.loc["total", "forecast_savings_usd"] == pytest.approx(s.bill_savings_usd)
    assert table.loc["total", "perfect_foresight_savings_usd"] == pytest.approx(
        result.perfect_foresight.summary.bill_savings_usd
    )
    assert table.loc["total", "capture_ratio"] == pytest.approx(s.capture_ratio)
    assert table.loc["total", "capture_of_prescient"] == pytest.approx(s.capture_of_prescient)
    bars = figure_comparison(result).axes[0].patches
    assert len(bars) == 3 * (len(table) - 1)  # forecast, perfect foresight, prescient per month
    assert f"{100 * s.capture_ratio:.1f} %" in figure_comparison(result).axes[0].get_title()
    page = render_report(result)
    assert "<h2>Forecast vs perfect foresight</h2>" in page
    assert f"{100 * s.capture_ratio:,.1f} %" in page
    cells = {cell for table in _tables(page) for row in table for cell in row}
    assert not cells & {"-0.00", "-0", "NaN", "nan"}


# -- 3. the zoomable interval view ------------------------------------------------------------
def test_interval_view_carries_every_interval_on_clock_time(result):
    fig = interval_figure(result)
    f = result.intervals
    traces = {trace.name: trace for trace in fig.data}
    assert set(traces) == {
        "load",
        "PV",
        "meter without battery",
        "meter with battery",
        "battery (+ discharge)",
        "demand target",
        "stored energy (kWh, right axis)",
    }
    np.testing.assert_allclose(traces["load"].y, f["load_kw"], rtol=1e-6)
    np.testing.assert_allclose(
        traces["battery (+ discharge)"].y, f["discharge_kw"] - f["charge_kw"], rtol=1e-6, atol=1e-4
    )
    target = f["target_kw"].where(np.isfinite(f["target_kw"]))
    np.testing.assert_allclose(traces["demand target"].y, target, rtol=1e-6)
    assert traces["stored energy (kWh, right axis)"].yaxis == "y2"
    # the site is in Los Angeles; the first simulated interval is 2024-03-02 00:00 local, and
    # the axis runs hourly from there (no DST change in these days)
    x = traces["load"].x
    assert x[0] == "2024-03-02 00:00" and x[1] == "2024-03-02 01:00" and len(x) == len(f)
    assert all(list(trace.x) == list(x) for trace in fig.data)
    assert "America/Los_Angeles" in fig.layout.xaxis.title.text


def test_interval_view_is_embedded_offline_or_written_beside(result, tmp_path):
    page = render_report(result)
    assert f'id="{INTERVAL_DIV_ID}"' in page
    assert not re.search(r"<script[^>]+src=\"https?:", page)  # no CDN
    assert "plotly.js v" in page  # the library itself, inline
    path = write_report(result, tmp_path / "report.html", plotly="file")
    text = path.read_text(encoding="utf-8")
    assert f'<script src="{PLOTLY_JS_FILE}"></script>' in text and "plotly.js v" not in text
    assert "plotly.js v" in (tmp_path / PLOTLY_JS_FILE).read_text(encoding="utf-8")[:2000]
    with pytest.raises(InputError, match="plotly"):
        render_report(result, plotly="cdn")
    # the data is the figure's: one trace per series, typed arrays, the time labels once
    spec = json.loads(re.search(r"var spec = (\{.*?\});\n", page, re.S).group(1))
    assert len(spec["data"]) == 7 and all("bdata" in t["y"] for t in spec["data"])
    assert len(spec["data"][0]["x"]) == len(result.intervals)
    assert all("x" not in t for t in spec["data"][1:])
    assert "spec.data[i].x = spec.data[0].x" in page


# -- 4. the page in a real browser --------------------------------------------------------------
needs_chromium = pytest.mark.skipif(chromium() is None, reason="chromium is not installed")


@needs_chromium
def test_report_loads_in_chromium_with_every_chart_drawn(result, tmp_path):
    path = write_report(result, tmp_path / "report.html")
    seen = check_page(path)
    assert seen.errors == [] and seen.console == []
    n_images = len(re.findall(r"<img ", path.read_text(encoding="utf-8")))
    assert n_images == 6 and len(seen.images) == n_images
    for image in seen.images:
        assert image["complete"] and image["width"] > 300 and image["height"] > 200, image
    assert [chart["id"] for chart in seen.charts] == [INTERVAL_DIV_ID]
    chart = seen.charts[0]
    assert chart["svgs"] >= 1 and chart["traces"] == 7 and chart["paths"] == 7


@needs_chromium
def test_browser_check_sees_a_broken_page(tmp_path):
    """The check can fail: a script error, a console error, an undecodable image and a chart
    div that was never drawn are all reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        '<img alt="bad" src="data:image/png;base64,AAAA">'
        '<div id="c" class="plotly-chart"></div>'
        "<script>console.error('boom'); notAFunction();</script></body></html>",
        encoding="utf-8",
    )
    seen = check_page(page)
    assert any("boom" in e for e in seen.errors)
    assert any("notAFunction" in e for e in seen.errors)
    assert seen.images[0]["width"] == 0
    assert seen.charts == [{"id": "c", "svgs": 0, "traces": 0, "paths": 0}]
    assert seen.console  # Chromium logged them too
