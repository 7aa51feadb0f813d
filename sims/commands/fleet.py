"""``valuestack fleet CONFIGS... --out DIR``: run many sites' backtests in parallel.

Every configuration is validated first (a broken one exits 2 naming its file and TOML key), and
DIR is locked against a second fleet run (exit 2). Each configuration is one site, written
whole to ``DIR/<config file stem>/`` as soon as it finishes (the same files as ``valuestack
backtest`` plus a manifest with the hash of the configuration and its data files). A re-run
skips sites finished with unchanged inputs, so an interrupted run resumes and an edited site is
recomputed; a site that fails is recorded with its error (``DIR/<stem>/error.txt``,
``DIR/fleet_summary.csv``) and the others go on. Runs on a local process pool (``--workers``),
whose workers end with this process; ``--dask ADDRESS`` sends the sites to a Dask distributed
scheduler instead (needs the ``dask`` extra). Exits 1 if any site failed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["DASK_CONNECT_TIMEOUT_S", "add_parser", "run"]

DASK_CONNECT_TIMEOUT_S = 20.0
"""Seconds to wait for the Dask scheduler given by ``--dask``."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``fleet`` subcommand."""
    parser = subparsers.add_parser(
        "fleet",
        help="run many sites' backtests in parallel, resumable",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("configs", type=Path, nargs="+", help="site configurations (TOML)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes")
    parser.add_argument("--dask", default=None, metavar="ADDRESS", help="Dask scheduler address")
    parser.add_argument("--no-report", action="store_true", help="skip each site's report.html")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the fleet; return 0 if every site finished, 1 if any failed."""
    from core.errors import InputError
    from sims.fleet import run_fleet

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", args.workers, "an integer >= 1")
    executor = None
    client = None
    if args.dask is not None:
        try:
            from dask.distributed import Client
        except ImportError as exc:
            raise InputError(
                "--dask", args.dask, "the dask extra: pip install 'valuestack[dask]'"
            ) from exc
        try:
            client = Client(args.dask, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, ValueError) as exc:  # unreachable, timed out, or a malformed address
            raise InputError(
                "--dask", args.dask, f"the address of a reachable Dask scheduler ({exc})"
            ) from exc
        executor = client.get_executor()
    try:
        result = run_fleet(
            args.configs,
            args.out,
            executor=executor,
            max_workers=args.workers,
            report=not args.no_report,
            progress=args.progress,
        )
    finally:
        if client is not None:
            client.close()
    counts = result.sites["status"].value_counts().to_dict()
    print(
        f"{len(result.sites)} sites: "
        + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        + f"; table in {result.out_dir / 'fleet_summary.csv'}"
    )
    for _, row in result.sites[result.sites["status"] == "failed"].iterrows():
        print(f"  failed {row['site_dir']}: {row['error']}")
    return 1 if result.n_failed else 0
