"""The ``valuestack`` command line.

Each subcommand lives in its own module under :mod:`sims.commands` and exposes
``add_parser(subparsers)``, which registers the subcommand and sets ``func`` (called with the
parsed arguments; returns an exit code). Heavy imports happen inside ``func``.

Exit codes: 0 success; 1 an internal error (a bug); 2 a user error (bad option, file or configuration: one message naming
it, before any work); 3 a run that finished but is not to be trusted (e.g. too many windows
fell back); 130 interrupted by Ctrl-C (what finished is kept). No traceback reaches the user
unless ``--log-level debug`` asks for it. Standard output carries only the command's results:
what the solver library prints is dropped, or sent to stderr with ``--log-level debug``
(or ``-vv``).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from typing import TextIO

from core.errors import ValuestackError

__all__ = [
    "COMMANDS",
    "EXIT_INTERNAL_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_UNTRUSTED",
    "EXIT_USER_ERROR",
    "build_parser",
    "main",
]

logger = logging.getLogger(__name__)

COMMANDS: tuple[str, ...] = (
    "sims.commands.bill",
    "sims.commands.backtest",
    "sims.commands.fleet",
    "sims.commands.size",
    "sims.commands.forecast_eval",
)
"""Modules that register a subcommand, in the order ``--help`` lists them."""

EXIT_INTERNAL_ERROR = 1
EXIT_USER_ERROR = 2
EXIT_UNTRUSTED = 3
EXIT_INTERRUPTED = 130
LOG_LEVELS = ("debug", "info", "warning", "error")


def _version() -> str:
    try:
        return metadata.version("valuestack")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``-q``, ``-v`` and ``--log-level``, accepted before and after the subcommand.

    On subcommands the defaults are suppressed, so an option given before the subcommand is
    not reset by the subcommand's parser.
    """
    default = {} if top else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("output")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        help="more log output on stderr (-v info, -vv debug)",
        **({"default": 0} if top else default),
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="errors only on stderr",
        **({"default": False} if top else default),
    )
    group.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        type=str.lower,
        help="log level on stderr (overrides -q and -v)",
        **({"default": None} if top else default),
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="valuestack",
        description="Battery dispatch that stacks bill savings and market revenue.",
        epilog="Exit codes: 0 ok, 1 bug, 2 bad input, 3 untrustworthy result, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"valuestack {_version()}")
    _add_global_options(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    for sub in subparsers.choices.values():
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        if sub.description:
            sub.description = _plain(sub.description)
        _add_global_options(sub, top=False)
    return parser


def _plain(text: str) -> str:
    """Help text without reStructuredText markup (double backquotes, roles)."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    return text.replace("``", "")


@contextlib.contextmanager
def native_stdout_to(stream: TextIO | None) -> Iterator[None]:
    """Send what C libraries write to stdout (HiGHS' messages) to ``stream``, or nowhere.

    The process's stdout then carries only what the command prints itself (its results), so
    it can be parsed: Python's ``sys.stdout`` keeps writing to the real stdout, while file
    descriptor 1, which the solver writes to, is pointed at ``stream`` (or ``os.devnull``).
    Does nothing when ``sys.stdout`` is not file descriptor 1 (e.g. captured by a test).
    """
    try:
        real = sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):
        real = False
    if not real:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    target = os.dup(stream.fileno()) if stream is not None else os.open(os.devnull, os.O_WRONLY)
    os.dup2(target, 1)
    os.close(target)
    python_stdout = sys.stdout
    sys.stdout = open(saved, "w", buffering=1, encoding=python_stdout.encoding, closefd=False)
    try:
        yield
    finally:
        sys.stdout.flush()
        _flush_c_stdio()
        sys.stdout.close()
        sys.stdout = python_stdout
        os.dup2(saved, 1)
        os.close(saved)


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers, so solver text buffered so far goes where it was sent."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - no C library to ask
        pass


def _log_level(args: argparse.Namespace) -> int:
    if args.log_level:
        return getattr(logging, args.log_level.upper())
    if args.quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    command = "command"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = args.command
        logging.basicConfig(
            level=_log_level(args), format="%(levelname)s %(name)s: %(message)s", force=True
        )
        with native_stdout_to(sys.stderr if _log_level(args) <= logging.DEBUG else None):
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(
            f"valuestack {command}: interrupted (results finished before it are kept; nothing "
            "half-written)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except ValuestackError as exc:
        logger.debug("user error", exc_info=True)
        print(f"valuestack {command}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (UnicodeDecodeError, OSError) as exc:
        # inputs the readers did not catch themselves: still one line, no traceback
        logger.debug("input error", exc_info=True)
        print(f"valuestack {command}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception as exc:  # a bug: say so in one line; the traceback is a debug log
        logger.debug("internal error", exc_info=True)
        print(
            f"valuestack {command}: internal error: {type(exc).__name__}: {exc} "
            "(a bug; --log-level debug shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
