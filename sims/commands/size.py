"""``valuestack size CONFIG.toml --out DIR``: which battery size earns the most at a site.

Reads a site configuration (as for ``backtest``) with an optional [sizing] table (candidate
powers or fractions of the annual peak, durations, top_k, workers, lp_check; see
sims.sizing_config), screens every candidate on the prescient bound (perfect foresight, one
plan per billing month) in a process pool, re-runs the best top_k with the configured
forecasts and online controller, recommends the best forecast-driven NPV, and cross-checks the
screen with a continuous-size LP. Writes to DIR: candidates.csv, sensitivity.csv, sizing.json,
report.html and manifest.json. Prints the recommendation.

DIR must be new or empty; an earlier result folder is refused unless --force.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sims.commands import add_result_folder_options

__all__ = ["add_parser", "run"]

logger = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``size`` subcommand."""
    parser = subparsers.add_parser(
        "size",
        help="compare battery sizes: prescient screen, forecast-driven top k, LP check",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("config", type=Path, help="site configuration (TOML) with [sizing]")
    add_result_folder_options(parser)
    parser.set_defaults(func=run)


def _money(value: object) -> str:
    return "n/a" if value is None else f"{float(value):,.0f}"


def _pct(value: object) -> str:
    return "n/a" if value is None or isinstance(value, str) else f"{100 * float(value):.1f} %"


def run(args: argparse.Namespace) -> int:
    """Size the battery and write the outputs; return the exit code."""
    from sims.outputs import prepare_output_dir, run_manifest
    from sims.sitedata import load_site_data
    from sims.sizing import size_battery
    from sims.sizing_config import load_sizing_config
    from sims.sizing_outputs import lp_explanation, summary_payload, write_sizing_outputs

    config, sizing = load_sizing_config(args.config)
    data = load_site_data(config)
    prepare_output_dir(args.out, force=args.force)
    manifest = run_manifest(config)
    result = size_battery(config, sizing, data=data)
    out = write_sizing_outputs(result, args.out, report=not args.no_report, manifest=manifest)
    s = summary_payload(result)
    rec = s["recommended"]
    lines = [
        f"{result.site}: {len(result.candidates)} candidates, annual peak {result.peak_kw:,.0f} kW",
        f"  recommended {rec['power_kw']:g} kW / {rec['energy_kwh']:g} kWh: "
        f"NPV {_money(rec['fc_npv_usd'])} $ (IRR {_pct(rec['fc_irr_fraction'])}) with forecasts, "
        f"{_money(rec['pf_npv_usd'])} $ (IRR {_pct(rec['pf_irr_fraction'])}) prescient",
        f"  screen's best {result.pf_best[0]:g} kW / {result.pf_best[1]:g} kWh; its rank under "
        f"forecasts {s['ranking'].get('pf_winner_rank_under_forecasts')}",
        f"  {lp_explanation(result)}",
        *(f"  note: {n}" for n in result.notes),
        f"  wall time {result.timings['total_s']:,.0f} s",
        f"wrote {out}/ (report.html, sizing.json, candidates.csv, sensitivity.csv, manifest.json)",
    ]
    print("\n".join(lines))
    return 0
