"""Subcommands of the ``valuestack`` command line; each module exposes ``add_parser``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_result_folder_options(parser: argparse.ArgumentParser) -> None:
    """``--out``, ``--force`` and ``--no-report``: the options of a command writing one result folder."""
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing result folder whole (default: refuse it)",
    )
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
