"""Fleet runs: many sites' backtests over any ``concurrent.futures.Executor``.

Each configuration file is one site; its results go to ``OUT/<config file stem>/``. The main
process submits every unfinished site, then writes each site's folder the moment its future
completes (so any executor works, including a Dask ``distributed`` client's
``client.get_executor()`` on machines that share no disk with the driver). A folder counts as
finished once its ``summary.json`` exists (written last, atomically): a re-run skips finished
sites, so a run killed half way resumes where it stopped. A site that fails (bad config, bad
data, any exception) is recorded with its error in ``OUT/<stem>/error.txt`` and in the fleet
table, and the others go on; failed sites are retried on the next run.

``OUT/fleet_summary.csv`` (one row per site: status, error, key figures) is rewritten after
every site, so it is current even after an interruption.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.errors import InputError
from sims.outputs import is_finished, write_outputs
from sims.results import BacktestResult

__all__ = ["FleetResult", "run_config_file", "run_fleet"]

logger = logging.getLogger(__name__)

FLEET_COLUMNS = (
    "site_dir",
    "config",
    "status",
    "error",
    "wall_s",
    "total_savings_usd",
    "bill_savings_fraction",
    "capture_ratio",
    "irr_fraction",
    "npv_usd",
    "n_fallback_windows",
)


@dataclass(frozen=True, kw_only=True)
class FleetResult:
    """Outcome of a fleet run.

    Parameters
    ----------
    sites : pandas.DataFrame
        One row per configuration with :data:`FLEET_COLUMNS`; ``status`` is ``"done"`` (run
        now), ``"skipped"`` (finished by an earlier run) or ``"failed"``.
    out_dir : pathlib.Path
        The output folder.
    """

    sites: pd.DataFrame
    out_dir: Path

    @property
    def n_failed(self) -> int:
        """Number of sites that failed."""
        return int((self.sites["status"] == "failed").sum())


def run_config_file(path: str | Path) -> BacktestResult:
    """Load a configuration file and run its backtest (the default fleet job; picklable)."""
    from sims.backtest import run_backtest
    from sims.config import load_config

    return run_backtest(load_config(path))


@dataclass(frozen=True)
class _Failure:
    """A site's exception as text: exceptions with custom constructors (``InputError``) do
    not survive pickling back from a worker process, and a failed unpickle breaks the pool."""

    message: str
    detail: str


def _timed(
    runner: Callable[[Path], BacktestResult], path: Path
) -> tuple[BacktestResult | _Failure, float]:
    started = time.perf_counter()
    try:
        result: BacktestResult | _Failure = runner(path)
    except Exception as exc:  # recorded by the driver; the fleet goes on
        result = _Failure(
            message=f"{type(exc).__name__}: {exc}",
            detail="".join(traceback.format_exception(exc)),
        )
    return result, time.perf_counter() - started


def _row(site_dir: str, config: Path, status: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(FLEET_COLUMNS, None)
    row.update(site_dir=site_dir, config=str(config), status=status, error="")
    row.update(values)
    return row


def _figures(result: BacktestResult) -> dict[str, object]:
    s = result.summary
    return {
        "total_savings_usd": s.total_savings_usd,
        "bill_savings_fraction": s.bill_savings_fraction,
        "capture_ratio": s.capture_ratio,
        "irr_fraction": s.irr_fraction,
        "npv_usd": s.npv_usd,
        "n_fallback_windows": s.n_fallback_windows,
    }


def run_fleet(
    configs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    executor: cf.Executor | None = None,
    max_workers: int | None = None,
    report: bool = True,
    runner: Callable[[Path], BacktestResult] = run_config_file,
    progress: bool | None = None,
) -> FleetResult:
    """Run the backtest of every configuration, writing each site as it finishes.

    Parameters
    ----------
    configs : sequence of str or pathlib.Path
        Configuration TOML files, one per site; their file stems must be unique (they name the
        output folders).
    out_dir : str or pathlib.Path
        Output folder.
    executor : concurrent.futures.Executor, optional
        Where to run the sites; a local ``ProcessPoolExecutor`` by default (shut down at the
        end). Pass e.g. ``dask.distributed.Client(...).get_executor()`` to scale out. A given
        executor is not shut down.
    max_workers : int, optional
        Workers of the default process pool (default: the number of CPUs).
    report : bool, default True
        Write each site's ``report.html``.
    runner : callable, default :func:`run_config_file`
        ``runner(config_path) -> BacktestResult``; must be picklable for process executors.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    FleetResult
    """
    paths = [Path(c) for c in configs]
    if not paths:
        raise InputError("configs", [], "at least one configuration file")
    stems: dict[str, Path] = {}
    for path in paths:
        if path.stem in stems:
            raise InputError(
                "configs",
                [str(stems[path.stem]), str(path)],
                "configuration files with unique names",
            )
        stems[path.stem] = path
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    rows: dict[str, dict[str, object]] = {}
    pending: list[tuple[str, Path]] = []
    for stem, path in stems.items():
        if is_finished(out / stem):
            rows[stem] = _row(stem, path, "skipped")
        else:
            pending.append((stem, path))
    logger.info("fleet: %d sites, %d already finished", len(paths), len(paths) - len(pending))
    _write_table(rows, stems, out)

    own = executor is None and bool(pending)
    if own:
        executor = cf.ProcessPoolExecutor(max_workers=max_workers)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        if pending:
            assert executor is not None
            futures = {
                executor.submit(_timed, runner, path): (stem, path) for stem, path in pending
            }
            bar = None
            if show:
                from tqdm import tqdm

                bar = tqdm(total=len(futures), desc="sites", unit="site")
            for future in cf.as_completed(futures):
                stem, path = futures[future]
                rows[stem] = _finish(future, stem, path, out, report)
                _write_table(rows, stems, out)
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
    finally:
        if own and executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    table = _write_table(rows, stems, out)
    failed = int((table["status"] == "failed").sum())
    if failed:
        logger.warning("fleet: %d of %d sites failed (see fleet_summary.csv)", failed, len(paths))
    return FleetResult(sites=table, out_dir=out)


def _finish(future: cf.Future, stem: str, path: Path, out: Path, report: bool) -> dict:
    site_dir = out / stem
    try:
        result, wall_s = future.result()
        if isinstance(result, _Failure):
            message, detail = result.message, result.detail
        else:
            write_outputs(result, site_dir, report=report)
            message = detail = ""
    except Exception as exc:  # a failed site is recorded and the fleet goes on
        message = f"{type(exc).__name__}: {exc}"
        detail = "".join(traceback.format_exception(exc))
    if message:
        site_dir.mkdir(parents=True, exist_ok=True)
        (site_dir / "error.txt").write_text(f"{path}\n{detail}", encoding="utf-8")
        logger.warning("fleet: site %s failed: %s", stem, message)
        return _row(stem, path, "failed", error=message)
    (site_dir / "error.txt").unlink(missing_ok=True)
    return _row(stem, path, "done", wall_s=wall_s, **_figures(result))


def _write_table(
    rows: dict[str, dict[str, object]], stems: dict[str, Path], out: Path
) -> pd.DataFrame:
    ordered = [rows.get(stem, _row(stem, path, "pending")) for stem, path in stems.items()]
    table = pd.DataFrame(ordered, columns=list(FLEET_COLUMNS))
    tmp = out / "fleet_summary.csv.tmp"
    table.to_csv(tmp, index=False)
    tmp.replace(out / "fleet_summary.csv")
    return table
