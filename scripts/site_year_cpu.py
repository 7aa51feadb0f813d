"""CPU seconds one fleet site-year costs, and the 1,000 site-year projection on 16 free cores.

Runs the built-in example year (``examples/site.toml``) as a fleet site runs it: the
forecast-driven controller plus the prescient bound (one perfect-foresight plan per billing
month), without the rolling perfect-foresight rerun. The projection assumes 16 cores that do
nothing else: ``1000 x cpu_s / 16 / 3600`` hours (process CPU time, so waiting for a core on a
shared machine does not count). Usage: ``python scripts/site_year_cpu.py`` (a few minutes).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

from sims.backtest import run_backtest
from sims.config import load_config

logger = logging.getLogger("site_year_cpu")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "site.toml"


def main() -> None:
    """Run the example year once; log its CPU time, its split and the projection."""
    config = load_config(EXAMPLE)
    forecast = dataclasses.replace(
        config.forecast, compare_perfect_foresight=False, compare_prescient=True
    )
    config = dataclasses.replace(config, forecast=forecast)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_backtest(config, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    s = result.summary
    t = s.timings
    logger.info(
        "site-year: wall %.1f s, cpu %.1f s; %d plans; forecast-driven run (wall): forecast "
        "%.1f s, plan %.1f s, real-time %.1f s, plant %.1f s",
        wall,
        cpu,
        s.n_windows,
        t.forecast_s,
        t.optimize_s,
        t.control_s,
        t.plant_s,
    )
    hours = 1000 * cpu / 16 / 3600
    logger.info("1000 site-years on 16 free cores: 1000 x %.1f s / 16 / 3600 = %.3f h", cpu, hours)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
