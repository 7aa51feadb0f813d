"""``valuestack backtest CONFIG.toml --out DIR``: replay a year of a site and report it.

Reads the configuration (see ``examples/site.toml``), runs the rolling-horizon backtest
(forecast, optimize, apply to the plant with the actual load and PV, settle with the bill
engine), and writes to ``DIR``: ``intervals.parquet`` / ``.csv`` (one row per interval),
``monthly.parquet`` / ``.csv`` (bills without and with the battery, side by side),
``windows.csv`` (one row per decision, with fallbacks), ``cash_flows.csv``, ``report.html``
(plots) and ``summary.json``. Prints the summary.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``backtest`` subcommand."""
    parser = subparsers.add_parser(
        "backtest",
        help="replay a site's year through forecasting, dispatch and settlement",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("config", type=Path, help="site configuration (TOML)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    parser.set_defaults(func=run)


def _line(label: str, value: object) -> str:
    if isinstance(value, float):
        value = f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"  {label:<40} {value}"


def run(args: argparse.Namespace) -> int:
    """Run the backtest and write its outputs; return the exit code."""
    from sims.backtest import run_backtest
    from sims.config import load_config
    from sims.outputs import write_outputs

    config = load_config(args.config)
    result = run_backtest(config, progress=args.progress)
    out = write_outputs(result, args.out, report=not args.no_report)
    s = result.summary
    lines = [
        f"{s.site}: {s.start} to {s.end}, step {s.step_h:g} h, {s.forecast}",
        _line("bill without battery ($)", s.baseline_bill_usd),
        _line("bill with battery ($)", s.battery_bill_usd),
        _line("bill savings ($)", s.bill_savings_usd),
        _line("bill savings (fraction)", s.bill_savings_fraction),
        _line("energy cost savings (fraction)", s.energy_cost_savings_fraction),
        _line("demand savings ($)", s.demand_savings_usd),
        _line("mean monthly peak reduction (fraction)", s.mean_peak_reduction_fraction),
        _line("cycles", s.cycles),
        _line("capture ratio vs perfect foresight", s.capture_ratio),
        _line("NPV ($)", s.npv_usd),
        _line("IRR (fraction)", s.irr_fraction),
        _line("simple payback (years)", s.simple_payback_years),
        _line("windows (fallbacks)", f"{s.n_windows} ({s.n_fallback_windows})"),
        _line("wall time (s)", s.timings.total_s),
        f"wrote {out}/ (report.html, summary.json, intervals, monthly, windows, cash_flows)",
    ]
    print("\n".join(lines))
    if args.verbose:
        print(json.dumps(s.to_dict()["savings_by_stream_usd"], indent=2))
    return 0
