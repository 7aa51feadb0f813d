"""Backtest timings on the built-in example site (``examples/site.toml``).

Each case runs :func:`sims.backtest.run_backtest` on the example office (15-min steps, the
online controller planning at every local midnight over 48 h and on events, load forecast a
week back, PV a day back; no perfect-foresight or prescient rerun, so the figures are the
forecast-driven run alone) and reports its wall time, the time per plan and the split into
forecasting, planning (model builds included), the real-time layer, the plant, and settlement
(wall times), with the process CPU time of the whole run beside the wall total (on a shared
machine, waiting for a core counts in wall time only).
Short mode: one month (February 2023, two weeks of forecast warm-up before it); full mode adds
the whole year, whose target is <= 60 s on one core (issue 9).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pandas as pd

from sims.backtest import run_backtest
from sims.config import load_config
from sims.sitedata import SiteData, load_site_data

ROOT = Path(__file__).resolve().parents[1]


def _case(name: str, start: str | None, end: str | None) -> dict:
    config = load_config(ROOT / "examples" / "site.toml")
    config = dataclasses.replace(
        config,
        forecast=dataclasses.replace(
            config.forecast, compare_perfect_foresight=False, compare_prescient=False
        ),
    )
    data = load_site_data(config)
    if start is not None and end is not None:
        tz = data.index.tz
        keep = (data.index >= pd.Timestamp(start, tz=tz)) & (data.index < pd.Timestamp(end, tz=tz))
        assert data.pv_kw is not None
        data = SiteData(load_kw=data.load_kw[keep], pv_kw=data.pv_kw[keep], tariff=data.tariff)
    cpu = time.process_time()
    result = run_backtest(config, data=data, progress=False)
    cpu = time.process_time() - cpu
    s = result.summary
    t = s.timings
    n = s.n_windows
    return {
        "suite": "backtest",
        "case": name,
        "n_intervals": len(result.intervals),
        "n_plans": n,
        "total_s": t.total_s,
        "cpu_s": cpu,
        "forecast_s": t.forecast_s,
        "plan_s": t.optimize_s,
        "realtime_s": t.control_s,
        "plant_s": t.plant_s,
        "settle_s": t.settle_s,
        "per_plan_s": (t.forecast_s + t.optimize_s) / n,
        "savings_fraction": s.bill_savings_fraction,
    }


def run(short: bool) -> list[dict]:
    """Time the example's backtest: one month (short) or also the whole year."""
    rows = [_case("example office, Feb 2023, 15 min, daily 48 h", "2023-01-18", "2023-03-01")]
    if not short:
        rows.append(_case("example office, 2023, 15 min, daily 48 h", None, None))
    return rows
