"""The ``valuestack`` command line.

Each subcommand lives in its own module under :mod:`sims.commands` and exposes
``add_parser(subparsers)``, which registers the subcommand and sets ``func`` (called with the
parsed arguments; returns an exit code). Heavy imports happen inside ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from core.errors import ValuestackError

COMMANDS: tuple[str, ...] = (
    "sims.commands.bill",
    "sims.commands.backtest",
    "sims.commands.fleet",
    "sims.commands.forecast_eval",
)
"""Modules that register a subcommand, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="valuestack",
        description="Battery dispatch that stacks bill savings and market revenue.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except ValuestackError as exc:
        print(f"valuestack {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
