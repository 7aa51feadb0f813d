"""Writing a sizing run to a folder: tables, summary, report and manifest, atomically.

A finished folder holds ``candidates.csv`` (one row per candidate, both stages),
``sensitivity.csv`` (the best candidate at capex x 0.8, 1, 1.2), ``sizing.json`` (the
recommendation, rankings, LP cross-check, notes, timings), ``report.html``
(:mod:`sims.sizing_report`) and ``manifest.json`` (the inputs' SHA-256 hashes, version, command
line; :func:`sims.outputs.run_manifest`). The folder is written whole, as fleet sites are
(:func:`sims.fleet_io.write_site_atomically`): a temporary folder swapped into place.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from sims.fleet_io import write_site_atomically
from sims.outputs import run_manifest
from sims.sizing import SizingResult
from sims.sizing_summary import lp_explanation, summary_payload

__all__ = ["lp_explanation", "summary_payload", "write_sizing_outputs"]

logger = logging.getLogger(__name__)


def write_sizing_outputs(
    result: SizingResult,
    out_dir: str | Path,
    *,
    config: Any = None,
    report: bool = True,
    manifest: dict[str, Any] | None = None,
) -> Path:
    """Write the tables, ``sizing.json``, ``report.html`` and ``manifest.json`` whole.

    Parameters
    ----------
    result : SizingResult
        The sizing run.
    out_dir : str or pathlib.Path
        The folder (replaced whole if it exists; its parents are created).
    config : BacktestConfig, optional
        Its input files are hashed into the manifest.
    report : bool, default True
        Also write ``report.html``.
    manifest : dict, optional
        A manifest made before the run (:func:`sims.outputs.run_manifest`).

    Returns
    -------
    pathlib.Path
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = manifest if manifest is not None else run_manifest(config)

    def fill(folder: Path) -> None:
        umask = os.umask(0)
        os.umask(umask)
        folder.chmod(0o777 & ~umask)  # the usual permissions, not mkdtemp's 0o700
        result.candidates.to_csv(folder / "candidates.csv", index=False)
        result.sensitivity.to_csv(folder / "sensitivity.csv", index=False)
        (folder / "sizing.json").write_text(
            json.dumps(summary_payload(result), indent=2), encoding="utf-8"
        )
        if report:
            from sims.sizing_report import write_sizing_report

            write_sizing_report(result, folder / "report.html")

    write_site_atomically(out, payload, fill)
    logger.info("wrote sizing of %s to %s", result.site, out)
    return out
