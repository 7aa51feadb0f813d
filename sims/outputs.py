"""Writing a backtest's results to a folder (the I/O edge of the CLI and fleet runs).

A finished folder holds ``intervals.parquet`` / ``.csv``, ``monthly.parquet`` / ``.csv``,
``windows.csv``, ``cash_flows.csv``, ``report.html`` and, written last and atomically,
``summary.json``: its presence marks the site as finished (fleet runs resume on it).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd

from sims.results import BacktestResult

__all__ = ["SUMMARY_FILE", "is_finished", "write_outputs"]

logger = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"


def _local_iso(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = pd.Index(out.index.map(lambda t: t.isoformat()), name="timestamp")
    return out


def _monthly_for_files(monthly: pd.DataFrame) -> pd.DataFrame:
    out = monthly.copy()
    out.index = pd.Index([str(p) for p in out.index], name="month")
    return out


def write_outputs(result: BacktestResult, out_dir: str | Path, *, report: bool = True) -> Path:
    """Write every table, the report and the summary of ``result`` into ``out_dir``.

    Parameters
    ----------
    result : BacktestResult
        The backtest.
    out_dir : str or pathlib.Path
        Folder to write (created if missing).
    report : bool, default True
        Also write ``report.html``.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_FILE).unlink(missing_ok=True)
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
    tmp = out / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    os.replace(tmp, out / SUMMARY_FILE)
    logger.info("wrote results of %s to %s", result.summary.site, out)
    return out


def is_finished(out_dir: str | Path) -> bool:
    """True if ``out_dir`` holds a complete set of outputs (its ``summary.json``)."""
    return (Path(out_dir) / SUMMARY_FILE).is_file()
