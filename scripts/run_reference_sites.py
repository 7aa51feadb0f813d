"""Year-long backtests of three DOE reference buildings on real URDB tariffs.

    python scripts/run_reference_sites.py [--data ../shared/data] [--out out/reference_sites]
                                          [--workers 2] [--step 1h]

Sites (load: DOE Commercial Reference Buildings, calendar 2017, from NREL REopt; tariffs: real
URDB records from REopt's tests), chosen so each building sits in (or next to) the utility
territory of its tariff:

- San Francisco medium office on PG&E E-19 (secondary): TOU energy, TOU and flat demand;
- Los Angeles retail store on SCE GS-2 TOU option B: TOU energy, TOU and flat demand, fixed;
- Houston hospital on Entergy Arkansas LPS-TOU: TOU energy and TOU demand with a 15-min window
  (Entergy serves south-east Texas but not Houston itself; the nearest real TOU large-power
  rate in the data, chosen for its demand structure).

Battery: power 20 % of the building's annual peak (rounded to 5 kW), two hours of energy.
Dispatch: daily re-optimization at local midnight over 48 h; forecasts: load the same hour a
week earlier raised by the 90th percentile of its recent errors at that hour (14-day warm-up),
and the same year with perfect foresight for the capture ratio.
The site files (CSV, TOML) are written under ``--out`` and run as a fleet on a process pool;
a re-run skips finished sites. Prints one table of the figures the project reports.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sims.fleet import run_fleet  # noqa: E402
from sims.reference import (  # noqa: E402
    DOE_SITES,
    battery_power_kw,
    write_series_csv,
)

FINANCE = """
[finance]
analysis_years = 15
discount_rate_fraction = 0.07
capex_usd_per_kw = 350.0
capex_usd_per_kwh = 300.0
om_usd_per_kw_year = 8.0
savings_escalation_fraction = 0.02
om_escalation_fraction = 0.02
fade_fraction_per_year = 0.01
fade_fraction_per_cycle = 0.00005
fade_response = "replace"
replacement_usd_per_kwh = 150.0
replacement_threshold_fraction = 0.7
itc_fraction = 0.3
macrs = true
tax_rate_fraction = 0.26
"""


def write_sites(data: Path, out: Path, step: str) -> list[Path]:
    """Write each site's load CSV and configuration; return the configuration paths."""
    configs = []
    for site in DOE_SITES:
        name, tz, tariff = site.name, site.timezone, site.tariff_file
        folder = out / "sites" / name
        folder.mkdir(parents=True, exist_ok=True)
        load = site.read_load(data)
        write_series_csv(load.to_frame(), folder / "load.csv")
        power = battery_power_kw(float(load.max()))
        text = f"""[site]
name = "{name}"
timezone = "{tz}"
load_csv = "load.csv"

[tariff]
urdb_json = "{(data / "reopt" / "urdb" / tariff).resolve()}"
holiday_country = "US"

[battery]
power_kw = {power}
energy_kwh = {2 * power}
soc_min_fraction = 0.1
initial_soc_fraction = 0.5

[forecast]
load = "seasonal_naive_week"
load_quantile = 0.9
compare_perfect_foresight = true

[dispatch]
step = "{step}"
cadence = "daily"
lookahead_h = 48
fallback = "peak_guard"
{FINANCE}"""
        path = folder / f"{name}.toml"
        path.write_text(text)
        configs.append(path)
    return configs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "reference_sites")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--step", choices=("15min", "1h"), default="1h")
    args = parser.parse_args(argv)
    configs = write_sites(args.data, args.out, args.step)
    started = time.perf_counter()
    fleet = run_fleet(configs, args.out / "results", max_workers=args.workers, progress=True)
    wall = time.perf_counter() - started
    rows = []
    for name in (site.name for site in DOE_SITES):
        summary_path = args.out / "results" / name / "summary.json"
        if not summary_path.is_file():
            continue
        import json

        payload = json.loads(summary_path.read_text())
        s, pf = payload["summary"], payload.get("perfect_foresight_summary", {})
        rows.append(
            {
                "site": name,
                "baseline_bill_usd": s["baseline_bill_usd"],
                "savings_usd": s["total_savings_usd"],
                "savings_fraction": s["bill_savings_fraction"],
                "peak_reduction_fraction": s["mean_peak_reduction_fraction"],
                "pf_savings_usd": s["perfect_foresight_savings_usd"],
                "pf_savings_fraction": pf.get("bill_savings_fraction"),
                "pf_peak_reduction_fraction": pf.get("mean_peak_reduction_fraction"),
                "capture_ratio": s["capture_ratio"],
                "cycles": s["cycles"],
                "irr_fraction": s["irr_fraction"],
                "npv_usd": s["npv_usd"],
                "fallbacks": s["n_fallback_windows"],
                "wall_s": s["timings"]["total_s"],
            }
        )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    print(f"fleet wall time {wall:.0f} s; {fleet.n_failed} failed")
    table.to_csv(args.out / "reference_sites.csv", index=False)
    return 1 if fleet.n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
