"""Fleet runs: 20 sites with one broken, written as they finish; a killed run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from core.errors import InputError
from sims.fleet import run_config_file, run_fleet
from tests.conftest import REPO_ROOT
from tests.sims.helpers import write_site

N_SITES = 20


def _fleet(folder: Path, broken: int | None = 7) -> list[Path]:
    paths = []
    for k in range(N_SITES):
        path = write_site(folder / f"s{k:02d}", name=f"site{k:02d}", days=2, seed=k)
        if k == broken:
            path.write_text(path.read_text().replace("power_kw = 30.0", "power_kw = -30.0"))
        paths.append(path)
    return paths


def _marking_runner(path: Path):
    """Run a site and leave a mark beside its config, so runs in worker processes are counted."""
    path = Path(path)
    (path.parent / "ran").touch()
    return run_config_file(path)


def _ran(configs: list[Path]) -> list[str]:
    return sorted(p.stem for p in configs if (p.parent / "ran").exists())


def test_broken_site_is_reported_and_the_others_finish_then_a_rerun_skips(tmp_path):
    configs = _fleet(tmp_path / "configs")
    out = tmp_path / "out"
    first = run_fleet(configs, out, max_workers=2, report=False, progress=False)
    table = first.sites.set_index("site_dir")
    assert (table["status"] == "done").sum() == N_SITES - 1
    assert table.loc["site07", "status"] == "failed"
    assert "battery.power_kw" in table.loc["site07", "error"]
    assert "battery.power_kw" in (out / "site07" / "error.txt").read_text()
    for k in range(N_SITES):
        if k != 7:
            summary = json.loads((out / f"site{k:02d}" / "summary.json").read_text())
            assert summary["summary"]["site"] == f"site{k:02d}"
            assert (out / f"site{k:02d}" / "intervals.parquet").is_file()
    on_disk = pd.read_csv(out / "fleet_summary.csv")
    assert list(on_disk["status"]).count("done") == N_SITES - 1

    # fix the broken config; a re-run (threads here, any Executor works) runs only that site
    broken = configs[7]
    broken.write_text(broken.read_text().replace("power_kw = -30.0", "power_kw = 30.0"))
    # (Pyomo's solver output capture is not thread-safe: use processes, not threads)
    with ProcessPoolExecutor(max_workers=2) as pool:
        second = run_fleet(
            configs, out, executor=pool, report=False, runner=_marking_runner, progress=False
        )
    assert _ran(configs) == ["site07"]
    statuses = second.sites.set_index("site_dir")["status"]
    assert statuses["site07"] == "done"
    assert (statuses.drop("site07") == "skipped").all()
    assert second.n_failed == 0


def test_duplicate_site_names_are_rejected_before_any_work(tmp_path):
    a = write_site(tmp_path / "a", name="same")
    b = write_site(tmp_path / "b", name="same")
    with pytest.raises(InputError, match="configs"):
        run_fleet([a, b], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_killed_run_resumes_without_redoing_finished_sites(tmp_path):
    configs = _fleet(tmp_path / "configs", broken=None)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "sims.cli",
        "fleet",
        *map(str, configs),
        "--out",
        str(out),
        "--workers",
        "1",
        "--no-report",
        "--no-progress",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            done = list(out.glob("*/summary.json"))
            if len(done) >= 3:
                break
            if proc.poll() is not None:
                pytest.fail("the fleet run ended before it could be killed")
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker processes
        proc.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}
    assert 3 <= len(finished) < N_SITES
    result = run_fleet(
        configs, out, max_workers=2, report=False, runner=_marking_runner, progress=False
    )
    statuses = result.sites.set_index("site_dir")["status"]
    assert set(statuses[statuses == "skipped"].index) == set(finished)
    assert _ran(configs) == sorted(set(statuses.index) - set(finished))
    assert (statuses != "failed").all()
    for name, mtime in finished.items():
        assert (out / name / "summary.json").stat().st_mtime_ns == mtime
