"""Writing a backtest's results to a folder (the I/O edge of the CLI and fleet runs).

A finished folder holds ``intervals.parquet`` / ``.csv``, ``monthly.parquet`` / ``.csv``,
``windows.csv``, ``cash_flows.csv``, ``report.html``, ``manifest.json`` (the inputs' SHA-256
hashes, the package version, the command line) and ``summary.json``: its presence marks the
site as finished (fleet runs resume on it).

Results are written into a temporary folder beside the target and moved into place at the
end, so a folder never mixes files of two runs: an earlier result folder is replaced whole.
``summary.json`` is renamed into place last, so a folder that holds it is complete. :func:`prepare_output_dir` checks the target before any computing
(not a file, not below a file, writable; an earlier result folder only with ``force``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import InputError
from sims.results import BacktestResult

__all__ = [
    "MANIFEST_FILE",
    "SUMMARY_FILE",
    "is_finished",
    "prepare_output_dir",
    "run_manifest",
    "write_outputs",
]

logger = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"
MANIFEST_FILE = "manifest.json"
_PENDING_SUMMARY = SUMMARY_FILE + ".pending"
_RESULT_MARKERS = (
    SUMMARY_FILE,
    MANIFEST_FILE,
    _PENDING_SUMMARY,
    "report.html",
    "intervals.parquet",
)
"""Files that mark a folder as valuestack results (which ``force`` may replace)."""


def prepare_output_dir(out_dir: str | Path, *, force: bool = False, option: str = "--out") -> Path:
    """Check an output folder before any computing, and create it (and its parents).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The folder results will be written to.
    force : bool, default False
        Accept an existing folder of earlier results (it is replaced whole at the end).
    option : str, default "--out"
        Name of the option in error messages.

    Returns
    -------
    pathlib.Path
        The folder (absolute).

    Raises
    ------
    InputError
        If the path is a file or below a file, its parent cannot be written, or it holds
        files: earlier results without ``force``, or anything that is not valuestack results.
    """
    out = Path(out_dir).absolute()
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == out else f"is below {parent}, which is a file"
            raise InputError(option, str(out_dir), f"a folder path (it {where})")
    if out.is_dir():
        entries = sorted(p.name for p in out.iterdir())
        if entries and not any(name in entries for name in _RESULT_MARKERS):
            raise InputError(
                option,
                str(out_dir),
                f"a new or empty folder, or one of valuestack results (it holds {entries[:5]}; "
                "nothing was deleted)",
            )
        if entries and not force:
            raise InputError(
                option,
                str(out_dir),
                "a new or empty folder (it holds earlier results; --force replaces them whole)",
            )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f".{out.name}.check-", dir=out.parent)
        os.rmdir(probe)
    except OSError as exc:
        raise InputError(option, str(out_dir), f"a folder that can be written ({exc})") from None
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _paths_in(value: Any, prefix: str, found: dict[str, Path]) -> None:
    """Collect every path-valued field of nested dataclasses (the input files of a config)."""
    if isinstance(value, Path):
        found[prefix] = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            name = f"{prefix}.{field.name}" if prefix else field.name
            _paths_in(getattr(value, field.name), name, found)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _paths_in(item, f"{prefix}[{i}]", found)


def run_manifest(config: Any = None, *, argv: Sequence[str] | None = None) -> dict[str, Any]:
    """What produced a result folder: input files with their SHA-256, version, command line.

    Parameters
    ----------
    config : dataclass, optional
        A configuration (e.g. :class:`sims.config.BacktestConfig`); every path-valued field
        in it (the config file itself as ``source``, load, PV, tariff, prices) is hashed.
    argv : sequence of str, optional
        The command line; ``sys.argv`` by default.

    Returns
    -------
    dict
        JSON-ready.
    """
    paths: dict[str, Path] = {}
    if config is not None:
        _paths_in(config, "", paths)
    inputs = {
        key: {"path": str(path), "sha256": _sha256(path)}
        for key, path in sorted(paths.items())
        if path.is_file()
    }
    try:
        version = metadata.version("valuestack")
    except metadata.PackageNotFoundError:  # pragma: no cover - a bare checkout
        version = "unknown"
    return {
        "valuestack_version": version,
        "python_version": sys.version.split()[0],
        "command": list(sys.argv if argv is None else argv),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
    }


def _local_iso(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = pd.Index(out.index.map(lambda t: t.isoformat()), name="timestamp")
    return out


def _monthly_for_files(monthly: pd.DataFrame) -> pd.DataFrame:
    out = monthly.copy()
    out.index = pd.Index([str(p) for p in out.index], name="month")
    return out


def write_outputs(
    result: BacktestResult,
    out_dir: str | Path,
    *,
    report: bool = True,
    manifest: dict[str, Any] | None = None,
) -> Path:
    """Write every table, the report, the manifest and the summary of ``result`` atomically.

    The files are written into a temporary folder beside ``out_dir`` and moved into place at
    the end; an existing ``out_dir`` is replaced whole (no stale file of an earlier run
    survives). Callers that must not replace earlier results check with
    :func:`prepare_output_dir` before computing.

    Parameters
    ----------
    result : BacktestResult
        The backtest.
    out_dir : str or pathlib.Path
        Folder to write (its parents are created if missing).
    report : bool, default True
        Also write ``report.html``.
    manifest : dict, optional
        The run manifest (see :func:`run_manifest`); one without input hashes by default.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()  # the usual permissions (umask applies), unlike tempfile.mkdtemp's 0o700
    try:
        _write_files(result, tmp, report=report)
        payload = manifest if manifest is not None else run_manifest()
        (tmp / MANIFEST_FILE).write_text(json.dumps(payload, indent=2), encoding="utf-8")
        _swap_into_place(tmp, out)
        # summary.json last, in place: a folder holding it is complete (fleet resume), and a
        # temporary folder never holds one
        os.replace(out / _PENDING_SUMMARY, out / SUMMARY_FILE)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("wrote results of %s to %s", result.summary.site, out)
    return out


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Move the finished folder ``tmp`` to ``out``, replacing whatever folder was there."""
    if out.is_dir() and any(out.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / "previous")
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)  # onto a missing or empty folder


def _write_files(result: BacktestResult, out: Path, *, report: bool) -> None:
    intervals = result.intervals.copy()
    intervals.index = intervals.index.rename("timestamp")
    intervals.to_parquet(out / "intervals.parquet")
    _local_iso(intervals).to_csv(out / "intervals.csv")
    monthly = _monthly_for_files(result.monthly)
    monthly.to_parquet(out / "monthly.parquet")
    monthly.to_csv(out / "monthly.csv")
    result.windows.to_csv(out / "windows.csv", index=False)
    result.finance.cash_flows.to_csv(out / "cash_flows.csv")
    if result.perfect_foresight is not None:
        _monthly_for_files(result.perfect_foresight.monthly).to_csv(
            out / "monthly_perfect_foresight.csv"
        )
    if report:
        from sims.report import write_report

        write_report(result, out / "report.html")
    payload = {"summary": result.summary.to_dict()}
    if result.perfect_foresight is not None:
        payload["perfect_foresight_summary"] = result.perfect_foresight.summary.to_dict()
    (out / _PENDING_SUMMARY).write_text(json.dumps(payload, indent=2), encoding="utf-8")


def is_finished(out_dir: str | Path) -> bool:
    """True if ``out_dir`` holds a complete set of outputs (its ``summary.json``)."""
    return (Path(out_dir) / SUMMARY_FILE).is_file()
