"""Battery sizing timings on the built-in example site (``examples/site.toml``).

Each case runs :func:`sims.sizing.size_battery` with both stages (every candidate on the
prescient bound, the top 3 with the forecast-driven controller) and the hourly LP cross-check,
over a process pool of 2 workers, and reports the wall time of each stage, the mean wall and
CPU time of one candidate's run in a worker, the recommendation, and ``two_free_cores_s``: the
candidates' CPU seconds shared by 2 workers plus the LP, the wall time on 2 cores no other job
uses (the stage wall times on a shared machine include other jobs' load).

Full mode: a 5 x 4 grid (10, 20, 30, 40, 50 % of the annual peak x 1, 2, 3, 4 h) for the
example's year at an hourly step (``dispatch.step = "1h"``; the issue's target is <= 5 min on
2 cores). Short mode (CI): February 2023 (two weeks of forecast warm-up before it) at the
example's 15-min step, 2 x 2 grid, top 2.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from sims.config import load_config
from sims.sitedata import SiteData, load_site_data
from sims.sizing import size_battery
from sims.sizing_config import SizingConfig

ROOT = Path(__file__).resolve().parents[1]


def _case(name: str, sizing: SizingConfig, step: str | None, months: tuple[str, str] | None):
    config = load_config(ROOT / "examples" / "site.toml")
    if step is not None:
        config = dataclasses.replace(
            config, dispatch=dataclasses.replace(config.dispatch, step=step)
        )
    data = load_site_data(config)
    if months is not None:
        tz = data.index.tz
        keep = (data.index >= pd.Timestamp(months[0], tz=tz)) & (
            data.index < pd.Timestamp(months[1], tz=tz)
        )
        assert data.pv_kw is not None
        data = SiteData(load_kw=data.load_kw[keep], pv_kw=data.pv_kw[keep], tariff=data.tariff)
    result = size_battery(config, sizing, data=data)
    table = result.candidates
    t = result.timings
    lp = result.lp
    return {
        "suite": "sizing",
        "case": name,
        "n_candidates": len(table),
        "top_k": sizing.top_k,
        "workers": sizing.workers,
        "stage1_s": t["stage1_s"],
        "stage2_s": t["stage2_s"],
        "lp_s": t["lp_s"],
        "total_s": t["total_s"],
        "pf_run_s": float(table["pf_wall_s"].mean()),
        "fc_run_s": float(table["fc_wall_s"].mean()),
        "pf_cpu_s": float(table["pf_cpu_s"].mean()),
        "fc_cpu_s": float(table["fc_cpu_s"].mean()),
        # wall time on 2 free cores: the stages' CPU seconds over 2 workers, plus the LP
        "two_free_cores_s": float(
            table["pf_cpu_s"].sum() / 2 + table["fc_cpu_s"].sum() / 2 + t["lp_s"]
        ),
        "recommended": f"{result.recommended[0]:g} kW / {result.recommended[1]:g} kWh",
        "lp": "n/a" if lp is None else f"{lp.power_kw:.0f} kW / {lp.energy_kwh:.0f} kWh",
    }


def run(short: bool) -> list[dict]:
    """Time a sizing run: one month on a 2 x 2 grid (short) or a year on a 5 x 4 grid."""
    if short:
        sizing = SizingConfig(
            power_fraction_of_peak=(0.2, 0.4), duration_h=(1.0, 2.0), top_k=2, workers=2
        )
        name = "example office, Feb 2023, 15 min, 2 x 2"
        return [_case(name, sizing, None, ("2023-01-18", "2023-03-01"))]
    sizing = SizingConfig(
        power_fraction_of_peak=(0.1, 0.2, 0.3, 0.4, 0.5),
        duration_h=(1.0, 2.0, 3.0, 4.0),
        top_k=3,
        workers=2,
    )
    return [_case("example office, 2023, 1 h, 5 x 4", sizing, "1h", None)]
