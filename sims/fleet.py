"""Fleet runs: many sites' backtests over any ``concurrent.futures.Executor``.

Each configuration file is one site; its results go to ``OUT/<config file stem>/``. Before any
site runs, every configuration is loaded and validated (all broken ones are reported together,
each with its file and TOML key) and the output folder is locked against a second fleet run
(``OUT/.fleet.lock``). The main process then submits every unfinished site; each site's folder
is written the moment the site finishes, by its worker where it shares the output disk (the
default process pool, or ``write_in_workers=True``), else by the main process from the result
sent back (any executor, including a Dask ``distributed`` client's ``client.get_executor()`` on
machines that share no disk with the driver). Folders are written whole (a temporary folder renamed into place) with a
``manifest.json`` holding the hash of the configuration and its data files: a re-run skips a
site only when that hash is unchanged, so a run killed half way resumes where it stopped and an
edited configuration or data file is recomputed. A site that fails (bad data, any exception) is
recorded with its error in ``OUT/<stem>/error.txt`` and in the fleet table, and the others go
on; failed sites are retried on the next run.

``OUT/fleet_summary.csv`` (one row per site: status, error, key figures, for skipped sites read
back from their ``summary.json``) is rewritten after every site, so it is current even after an
interruption. Worker processes of the default pool end with the fleet process, even when it is
killed with SIGKILL (see :func:`sims.fleet_io.watch_parent`).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.errors import InputError
from sims.fleet_io import (
    finished_summary,
    fleet_lock,
    input_hash,
    remove_stale_temporaries,
    watch_parent,
    write_site_atomically,
)
from sims.outputs import run_manifest, write_outputs
from sims.results import BacktestResult

__all__ = [
    "DASK_WORKER_CONFIG",
    "FLEET_COLUMNS",
    "FleetResult",
    "dask_setup",
    "run_config_file",
    "run_fleet",
    "validate_configs",
]

logger = logging.getLogger(__name__)

FIGURES = (
    "total_savings_usd",
    "bill_savings_fraction",
    "capture_ratio",
    "irr_fraction",
    "npv_usd",
    "n_fallback_windows",
)
FLEET_COLUMNS = ("site_dir", "config", "status", "error", "wall_s", "cpu_s", *FIGURES)


@dataclass(frozen=True, kw_only=True)
class FleetResult:
    """Outcome of a fleet run.

    Parameters
    ----------
    sites : pandas.DataFrame
        One row per configuration with :data:`FLEET_COLUMNS`; ``status`` is ``"done"`` (run
        now), ``"skipped"`` (finished by an earlier run with the same inputs; its figures read
        back from its ``summary.json``) or ``"failed"``.
    out_dir : pathlib.Path
        The output folder.
    """

    sites: pd.DataFrame
    out_dir: Path

    @property
    def n_failed(self) -> int:
        """Number of sites that failed."""
        return int((self.sites["status"] == "failed").sum())


DASK_WORKER_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.preload": ["sims.fleet"],
}
"""Dask settings for fleet workers (``dask.config.set(DASK_WORKER_CONFIG)`` before starting them).

- The statistical profiler samples every worker thread every 10 ms: about 15 % of a busy fleet
  worker's CPU, for a profile nobody reads.
- Preloading this module runs :func:`dask_setup` when a worker starts, so the worker imports
  the backtest before its first site (what a forked process-pool worker inherits from the fleet
  process). Without it each spawned worker's first site paid about 2 s of imports: with 4 sites
  on 2 workers that was a third of their CPU.

On the command line: ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False dask worker ADDRESS
--preload sims.fleet``.
"""


def dask_setup(worker: object) -> None:
    """Dask preload hook (see :data:`DASK_WORKER_CONFIG`): import what a site's backtest uses."""
    import sims.backtest
    import sims.config  # noqa: F401


def run_config_file(path: str | Path) -> BacktestResult:
    """Load a configuration file and run its backtest (the default fleet job; picklable)."""
    from sims.backtest import run_backtest
    from sims.config import load_config

    return run_backtest(load_config(path))


@dataclass(frozen=True)
class _Failure:
    """A site's exception as text: exceptions with custom constructors do not always survive
    pickling back from a worker process, and a failed unpickle breaks the pool."""

    message: str
    detail: str


@dataclass(frozen=True)
class _Site:
    stem: str
    path: Path
    inputs_sha256: str
    files: dict[str, str]
    run: dict[str, object]  # sims.outputs.run_manifest of the site's config, made at the start


def _timed(
    runner: Callable[[Path], BacktestResult], path: Path
) -> tuple[BacktestResult | _Failure, float, float]:
    """Run one site in its worker: ``(result or failure, wall [s], CPU time of the worker [s])``."""
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        result: BacktestResult | _Failure = runner(path)
    except Exception as exc:  # recorded by the driver; the fleet goes on
        result = _Failure(
            message=f"{type(exc).__name__}: {exc}",
            detail="".join(traceback.format_exception(exc)),
        )
    return result, time.perf_counter() - started, time.process_time() - cpu_started


def _run_site(
    runner: Callable[[Path], BacktestResult], site: _Site, out: Path | None, report: bool
) -> tuple[BacktestResult | _Failure | dict[str, object], float, float]:
    """One site in its worker: :func:`_timed`; with ``out`` (a folder this worker sees at the
    same path as the fleet process) it also writes the site's folder and returns its row."""
    result, wall_s, cpu_s = _timed(runner, site.path)
    if out is None:
        return result, wall_s, cpu_s
    return _write_site(result, wall_s, cpu_s, site, out, report), wall_s, cpu_s


def _row(site: _Site, status: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(FLEET_COLUMNS, None)
    row.update(site_dir=site.stem, config=str(site.path), status=status, error="")
    row.update(values)
    return row


def _figures(summary: dict) -> dict[str, object]:
    return {key: summary.get(key) for key in FIGURES}


def validate_configs(configs: Sequence[str | Path]) -> list[tuple[Path, object]]:
    """Load and validate every configuration before any site runs.

    Returns
    -------
    list of (pathlib.Path, BacktestConfig)

    Raises
    ------
    InputError
        For a broken file, as ``"<file>: <TOML key>"`` with the value and what was expected
        (every other broken file is listed too, and each is logged); or for duplicate file
        stems (they name the output folders).
    """
    from sims.config import load_config

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
    loaded: list[tuple[Path, object]] = []
    broken: list[tuple[Path, InputError]] = []
    for path in paths:
        try:
            loaded.append((path, load_config(path)))
        except InputError as exc:
            logger.error("fleet: %s: %s", path, exc)
            broken.append((path, exc))
    if broken:
        path, exc = broken[0]
        others = ""
        if len(broken) > 1:
            others = (
                f" ({len(broken) - 1} more broken: "
                + ", ".join(f"{p}: {e.field}" for p, e in broken[1:])
                + ")"
            )
        raise InputError(f"{path}: {exc.field}", exc.value, exc.expected + others) from exc
    return loaded


def run_fleet(
    configs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    executor: cf.Executor | None = None,
    max_workers: int | None = None,
    report: bool = True,
    runner: Callable[[Path], BacktestResult] = run_config_file,
    progress: bool | None = None,
    write_in_workers: bool | None = None,
) -> FleetResult:
    """Run the backtest of every configuration, writing each site as it finishes.

    Parameters
    ----------
    configs : sequence of str or pathlib.Path
        Configuration TOML files, one per site; their file stems must be unique (they name the
        output folders). All are validated before any site runs.
    out_dir : str or pathlib.Path
        Output folder (created; locked for the run's duration).
    executor : concurrent.futures.Executor, optional
        Where to run the sites; a local ``ProcessPoolExecutor`` by default (shut down at the
        end; its workers end with this process). Pass e.g.
        ``dask.distributed.Client(...).get_executor()`` to scale out. A given executor is not
        shut down.
    max_workers : int, optional
        Workers of the default process pool (default: the number of CPUs).
    report : bool, default True
        Write each site's ``report.html``.
    runner : callable, default :func:`run_config_file`
        ``runner(config_path) -> BacktestResult``; must be picklable for process executors.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    write_in_workers : bool, optional
        Each worker writes its site's folder itself (it must see ``out_dir`` at the same path,
        e.g. on the same machine); otherwise the fleet process writes every site from the
        result sent back, which any executor allows but which is serial work in one process
        (about a tenth of a 45-day site's CPU). Default: True for the default process pool,
        False for a given executor.

    Returns
    -------
    FleetResult

    Raises
    ------
    InputError
        Broken or duplicate configurations, an unusable output folder, or an output folder
        in use by another fleet run; raised before any site runs.
    """
    if max_workers is not None and (isinstance(max_workers, bool) or max_workers < 1):
        raise InputError("max_workers", max_workers, "an integer >= 1")
    if write_in_workers is not None and not isinstance(write_in_workers, bool):
        raise InputError("write_in_workers", write_in_workers, "True, False or None")
    loaded = validate_configs(configs)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("out_dir", str(out), "a folder (this is a file)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("out_dir", str(out), f"a folder that can be created ({exc})") from exc
    if not os.access(out, os.W_OK):
        raise InputError("out_dir", str(out), "a writable folder")
    with fleet_lock(out):
        remove_stale_temporaries(out)
        in_workers = executor is None if write_in_workers is None else write_in_workers
        return _run_locked(loaded, out, executor, max_workers, report, runner, progress, in_workers)


def _run_locked(
    loaded: list[tuple[Path, object]],
    out: Path,
    executor: cf.Executor | None,
    max_workers: int | None,
    report: bool,
    runner: Callable[[Path], BacktestResult],
    progress: bool | None,
    in_workers: bool,
) -> FleetResult:
    sites = []
    for path, config in loaded:
        digest, files = input_hash(path, config)
        sites.append(
            _Site(
                stem=path.stem,
                path=path,
                inputs_sha256=digest,
                files=files,
                run=run_manifest(config),
            )
        )
    rows: dict[str, dict[str, object]] = {}
    pending: list[_Site] = []
    for site in sites:
        done = finished_summary(out / site.stem, site.inputs_sha256)
        if done is None:
            pending.append(site)
        else:
            summary, manifest = done
            rows[site.stem] = _row(
                site,
                "skipped",
                wall_s=manifest.get("wall_s"),
                cpu_s=manifest.get("cpu_s"),
                **_figures(summary),
            )
    logger.info("fleet: %d sites, %d already finished", len(sites), len(sites) - len(pending))
    _write_table(rows, sites, out)

    own = executor is None and bool(pending)
    if own:
        executor = cf.ProcessPoolExecutor(
            max_workers=max_workers, initializer=watch_parent, initargs=(os.getpid(),)
        )
    show = sys.stderr.isatty() if progress is None else progress
    try:
        if pending:
            assert executor is not None
            target = out if in_workers else None
            futures = {
                executor.submit(_run_site, runner, site, target, report): site for site in pending
            }
            bar = None
            if show:
                from tqdm import tqdm

                bar = tqdm(total=len(futures), desc="sites", unit="site")
            for future in cf.as_completed(futures):
                site = futures[future]
                rows[site.stem] = _finish(future, site, out, report)
                _write_table(rows, sites, out)
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
    finally:
        if own and executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    table = _write_table(rows, sites, out)
    failed = int((table["status"] == "failed").sum())
    if failed:
        logger.warning("fleet: %d of %d sites failed (see fleet_summary.csv)", failed, len(sites))
    return FleetResult(sites=table, out_dir=out)


def _manifest(
    site: _Site, status: str, wall_s: float | None, cpu_s: float | None
) -> dict[str, object]:
    """The site's ``manifest.json``: :func:`sims.outputs.run_manifest` (version, command, each
    input file with its SHA-256 by config key) plus the fleet's resume key and timings."""
    return {
        **site.run,
        "status": status,
        "config": str(site.path.resolve()),
        "inputs_sha256": site.inputs_sha256,
        "files_sha256": site.files,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "finished_utc": pd.Timestamp.now(tz="UTC").isoformat(),
    }


def _finish(future: cf.Future, site: _Site, out: Path, report: bool) -> dict:
    """The site's row once its future is done, writing its folder unless its worker did."""
    wall_s = cpu_s = None
    try:
        result, wall_s, cpu_s = future.result()
    except Exception as exc:  # the worker itself failed (e.g. a broken pool)
        result = _Failure(
            message=f"{type(exc).__name__}: {exc}",
            detail="".join(traceback.format_exception(exc)),
        )
    row = (
        result
        if isinstance(result, dict)
        else _write_site(result, wall_s, cpu_s, site, out, report)
    )
    if row["status"] == "failed":
        logger.warning("fleet: site %s failed: %s", site.stem, row["error"])
    return row


def _write_site(
    result: BacktestResult | _Failure,
    wall_s: float | None,
    cpu_s: float | None,
    site: _Site,
    out: Path,
    report: bool,
) -> dict[str, object]:
    """Write the site's folder whole (its results, or ``error.txt``); return its row."""
    site_dir = out / site.stem
    try:
        if isinstance(result, _Failure):
            message, detail = result.message, result.detail
        else:
            manifest = _manifest(site, "done", wall_s, cpu_s)
            write_site_atomically(
                site_dir,
                manifest,
                lambda folder: write_outputs(result, folder, report=report, manifest=manifest),
            )
            summary = result.summary.to_dict()
            return _row(site, "done", wall_s=wall_s, cpu_s=cpu_s, **_figures(summary))
    except Exception as exc:  # a failed site is recorded and the fleet goes on
        message = f"{type(exc).__name__}: {exc}"
        detail = "".join(traceback.format_exception(exc))
    write_site_atomically(
        site_dir,
        _manifest(site, "failed", wall_s, cpu_s),
        lambda folder: (folder / "error.txt").write_text(f"{site.path}\n{detail}", "utf-8"),
    )
    return _row(site, "failed", error=message)


def _write_table(rows: dict[str, dict[str, object]], sites: list[_Site], out: Path) -> pd.DataFrame:
    ordered = [rows.get(site.stem, _row(site, "pending")) for site in sites]
    table = pd.DataFrame(ordered, columns=list(FLEET_COLUMNS))
    tmp = out / "fleet_summary.csv.tmp"
    table.to_csv(tmp, index=False)
    tmp.replace(out / "fleet_summary.csv")
    return table
