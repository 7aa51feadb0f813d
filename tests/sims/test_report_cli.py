"""The CLI writes every output a person and a program need; the report embeds readable plots."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from sims.backtest import run_backtest
from sims.cli import main
from sims.config import load_config
from sims.report import (
    _monthly_split,
    figure_peak_day,
    figure_waterfall,
    monthly_targets,
    render_report,
)
from tests.sims.helpers import write_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    forecast = 'load = "seasonal_naive"\npv = "seasonal_naive"\nwarmup_days = 1\n'
    return write_site(folder, days=4, freq="1h", forecast=forecast)


def test_cli_backtest_writes_tables_summary_and_report(site, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["backtest", str(site), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "bill savings ($)" in printed and "capture ratio" in printed
    for name in (
        "intervals.parquet",
        "intervals.csv",
        "monthly.parquet",
        "monthly.csv",
        "windows.csv",
        "cash_flows.csv",
        "report.html",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())["summary"]
    intervals = pd.read_parquet(out / "intervals.parquet")
    monthly = pd.read_csv(out / "monthly.csv")
    # the files agree with each other: 3 simulated days (1 day of warm-up) of hourly rows
    assert len(intervals) == 72
    assert str(intervals.index.tz) == "America/Los_Angeles"
    assert summary["battery_bill_usd"] == pytest.approx(monthly["battery_total_usd"].sum())
    assert summary["discharged_kwh"] == pytest.approx(intervals["discharge_kw"].sum())
    csv = pd.read_csv(out / "intervals.csv")
    assert csv["timestamp"].iloc[0] == "2024-03-02T00:00:00-08:00"
    np.testing.assert_allclose(csv["grid_kw"], intervals["grid_kw"])


def test_cli_reports_bad_config_with_the_key(site, tmp_path, capsys):
    # relative data paths resolve against the config's folder, so keep it beside the data
    bad = site.parent / "bad.toml"
    bad.write_text(site.read_text().replace("energy_kwh = 60.0", "energy_kwh = 0.0"))
    assert main(["backtest", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "battery.energy_kwh" in capsys.readouterr().err


def test_report_embeds_six_png_figures_and_picks_the_peak_day(site):
    result = run_backtest(load_config(site), progress=False)
    html = render_report(result)
    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 6  # five figures and forecast vs perfect foresight
    for data in images:
        picture = imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert picture.shape[0] > 200 and picture.shape[1] > 400
        assert picture[..., :3].std() > 0.05  # not a blank canvas
    assert result.summary.site in html
    # the peak-day figure shows the day of the highest baseline import
    peak = result.intervals["baseline_grid_kw"].idxmax()
    figure = figure_peak_day(result)
    assert f"{peak:%Y-%m-%d}" in figure.axes[0].get_title()


def test_monthly_targets_agree_with_the_settlement_and_the_interval_table(site):
    result = run_backtest(load_config(site), progress=False)
    table = monthly_targets(result)
    # a second source for the peaks: the settlement's monthly table (bill engine)
    np.testing.assert_allclose(table["battery_peak_kw"], result.monthly["battery_peak_kw"])
    np.testing.assert_allclose(table["baseline_peak_kw"], result.monthly["baseline_peak_kw"])
    targets = result.intervals["target_kw"]
    assert table["highest_target_kw"].iloc[0] == targets[np.isfinite(targets)].max()
    bound = result.prescient.intervals["grid_kw"].max()
    assert table["prescient_peak_kw"].iloc[0] == bound
    # the peak-day chart draws the target
    labels = [line.get_label() for line in figure_peak_day(result).axes[0].lines]
    assert "demand target" in labels


def test_report_shows_inputs_percent_totals_and_the_savings_scale(site):
    config = load_config(site)
    result = run_backtest(config, progress=False)
    s = result.summary
    html = render_report(result)
    # inputs as configured
    assert result.inputs["battery.power_kw"] == config.battery.power_kw
    assert "<h2>Inputs</h2>" in html and "battery.energy_kwh" in html
    # fractions in percent
    assert f"{100 * s.bill_savings_fraction:,.1f} %" in html
    # the monthly totals row adds up to the summary's figures (a second source)
    table = _monthly_split(result, ["savings_total_usd"])
    assert table.loc["total", "savings_total_usd"] == pytest.approx(s.bill_savings_usd)
    assert table.loc["total", "savings_demand_usd"] == pytest.approx(s.demand_savings_usd)
    # the waterfall's last bar is the total savings, drawn from $0
    bars = figure_waterfall(result).axes[0].patches
    assert bars[-1].get_y() == 0 and bars[-1].get_height() == pytest.approx(s.total_savings_usd)
