"""``valuestack backtest CONFIG.toml --out DIR``: replay a year of a site and report it.

Reads the configuration (see examples/site.toml), runs the rolling-horizon backtest
(forecast, optimize, apply to the plant with the actual load and PV, settle with the bill
engine), and writes to DIR: intervals.parquet / .csv (one row per interval), monthly.parquet /
.csv (bills without and with the battery, side by side), windows.csv (one row per decision,
with fallbacks), cash_flows.csv, report.html (plots), manifest.json (inputs' hashes, version,
command line) and summary.json. Prints the summary.

DIR must be new or empty; an earlier result folder is refused unless --force, which replaces
it whole once the new results are complete. Exit code 3 when more than
dispatch.max_fallback_fraction of the windows fell back (the results are still written).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from sims.commands import add_result_folder_options

__all__ = ["EXIT_UNTRUSTED", "add_parser", "run"]

logger = logging.getLogger(__name__)

EXIT_UNTRUSTED = 3
"""Exit code of a run whose results are written but not to be trusted (too many fallbacks)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``backtest`` subcommand."""
    parser = subparsers.add_parser(
        "backtest",
        help="replay a site's year through forecasting, dispatch and settlement",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("config", type=Path, help="site configuration (TOML)")
    add_result_folder_options(parser)
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


def _fallback_line(summary, limit: float) -> str | None:  # summary: sims.results.Summary
    """The first summary line when too many windows fell back; None otherwise."""
    if not summary.n_windows:
        return None
    share = summary.n_fallback_windows / summary.n_windows
    if share <= limit:
        return None
    return (
        f"NOT TRUSTWORTHY: {summary.n_fallback_windows} of {summary.n_windows} windows "
        f"({share:.0%}) fell back to the safe dispatch, more than "
        f"dispatch.max_fallback_fraction = {limit:g} (see windows.csv)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the backtest and write its outputs; return the exit code.

    Every input (configuration, data, tariff) and the output folder are checked before the
    backtest starts; a run where more than ``dispatch.max_fallback_fraction`` of the windows
    fell back still writes its results but returns 3.
    """
    from sims.backtest import run_backtest
    from sims.config import load_config
    from sims.outputs import prepare_output_dir, run_manifest, write_outputs
    from sims.sitedata import load_site_data

    config = load_config(args.config)
    data = load_site_data(config)
    prepare_output_dir(args.out, force=args.force)
    manifest = run_manifest(config)
    result = run_backtest(config, data=data, progress=args.progress)
    out = write_outputs(result, args.out, report=not args.no_report, manifest=manifest)
    s = result.summary
    warning = _fallback_line(s, config.dispatch.max_fallback_fraction)
    lines = [
        *([warning] if warning else []),
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
        f"wrote {out}/ (report.html, summary.json, manifest.json, intervals, monthly, windows, "
        "cash_flows)",
    ]
    print("\n".join(lines))
    if args.verbose:
        print(json.dumps(s.to_dict()["savings_by_stream_usd"], indent=2))
    if warning:
        logger.error("%s", warning)
        return EXIT_UNTRUSTED
    return 0
