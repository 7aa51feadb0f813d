"""Fleet runs: a failing site, resume keyed on inputs, up-front validation, lock, atomic folders,
workers ending with a killed fleet process, a killed run resuming."""

from __future__ import annotations

import fcntl
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

import sims.fleet as fleet_module
from core.errors import InputError
from sims.cli import main as cli_main
from sims.fleet import run_config_file, run_fleet
from sims.fleet_io import fleet_lock
from tests.conftest import REPO_ROOT
from tests.sims.helpers import write_site

N_SITES = 20


def _fleet(folder: Path, n: int = N_SITES) -> list[Path]:
    return [write_site(folder / f"s{k:02d}", name=f"site{k:02d}", days=2, seed=k) for k in range(n)]


def _break_config(path: Path) -> None:
    path.write_text(path.read_text().replace("power_kw = 30.0", "power_kw = -30.0"))


def _break_data(path: Path) -> None:
    """Make the site's load CSV hold a negative load (found only when the site runs)."""
    csv = path.with_suffix(".csv")
    lines = csv.read_text().splitlines()
    stamp, _load, pv = lines[5].split(",")
    lines[5] = f"{stamp},-5.0,{pv}"
    csv.write_text("\n".join(lines) + "\n")


def _marking_runner(path: Path):
    """Run a site and leave a mark beside its config, so runs in worker processes are counted."""
    path = Path(path)
    (path.parent / "ran").touch()
    return run_config_file(path)


def _ran(configs: list[Path]) -> list[str]:
    ran = sorted(p.stem for p in configs if (p.parent / "ran").exists())
    for p in configs:
        (p.parent / "ran").unlink(missing_ok=True)
    return ran


def test_failing_site_is_reported_and_the_others_finish_then_a_rerun_skips(tmp_path):
    configs = _fleet(tmp_path / "configs")
    _break_data(configs[7])
    out = tmp_path / "out"
    first = run_fleet(configs, out, max_workers=2, report=False, progress=False)
    table = first.sites.set_index("site_dir")
    assert (table["status"] == "done").sum() == N_SITES - 1
    assert table.loc["site07", "status"] == "failed"
    assert "site.load_csv" in table.loc["site07", "error"]
    assert "site.load_csv" in (out / "site07" / "error.txt").read_text()
    for k in range(N_SITES):
        if k != 7:
            summary = json.loads((out / f"site{k:02d}" / "summary.json").read_text())
            assert summary["summary"]["site"] == f"site{k:02d}"
            assert (out / f"site{k:02d}" / "intervals.parquet").is_file()
    on_disk = pd.read_csv(out / "fleet_summary.csv")
    assert list(on_disk["status"]).count("done") == N_SITES - 1

    # fix the broken data; a re-run (any Executor works) runs only that site
    configs[7].with_suffix(".csv").write_text(
        (tmp_path / "configs" / "s06" / "site06.csv").read_text()
    )
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
    assert not (out / "site07" / "error.txt").exists()
    # skipped sites' figures are read back from their summary.json, never blank
    figures = ["total_savings_usd", "bill_savings_fraction", "npv_usd", "n_fallback_windows"]
    again = pd.read_csv(out / "fleet_summary.csv").set_index("site_dir")
    before = on_disk.set_index("site_dir")
    for k in range(N_SITES):
        if k != 7:
            name = f"site{k:02d}"
            summary = json.loads((out / name / "summary.json").read_text())["summary"]
            for column in figures:
                assert again.loc[name, column] == pytest.approx(summary[column])
                assert again.loc[name, column] == pytest.approx(before.loc[name, column])


def test_edited_config_or_data_is_recomputed_not_skipped(tmp_path):
    configs = _fleet(tmp_path / "configs", n=4)
    out = tmp_path / "out"
    first = run_fleet(configs, out, max_workers=2, report=False, progress=False)
    assert (first.sites["status"] == "done").all()
    old_energy = json.loads((out / "site01" / "summary.json").read_text())["summary"]
    # site01: a larger battery (config edit); site02: a different load file (data edit)
    configs[1].write_text(configs[1].read_text().replace("energy_kwh = 60.0", "energy_kwh = 90.0"))
    csv = configs[2].with_suffix(".csv")
    csv.write_text(csv.read_text().replace(",4", ",5", 3))
    second = run_fleet(
        configs, out, max_workers=2, report=False, runner=_marking_runner, progress=False
    )
    assert _ran(configs) == ["site01", "site02"]
    statuses = second.sites.set_index("site_dir")["status"]
    assert list(statuses) == ["skipped", "done", "done", "skipped"]
    new = json.loads((out / "site01" / "summary.json").read_text())["summary"]
    # 50 % more energy in the same power rating cannot save less (and here it saves more)
    assert new["total_savings_usd"] >= old_energy["total_savings_usd"] - 1e-6
    manifest = json.loads((out / "site01" / "manifest.json").read_text())
    assert str(configs[1].resolve()) in manifest["files_sha256"]


def test_broken_configs_are_reported_before_any_site_runs(tmp_path):
    configs = _fleet(tmp_path / "configs", n=4)
    _break_config(configs[1])
    configs[3].write_text(configs[3].read_text().replace("[dispatch]", "[dispatch]\nbogus = 1"))
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        run_fleet(configs, out, report=False, runner=_marking_runner, progress=False)
    message = str(info.value)
    assert str(configs[1]) in message and "battery.power_kw" in message
    assert str(configs[3]) in message and "dispatch.bogus" in message
    assert _ran(configs) == []
    assert not out.exists()


def test_duplicate_site_names_are_rejected_before_any_work(tmp_path):
    a = write_site(tmp_path / "a", name="same")
    b = write_site(tmp_path / "b", name="same")
    with pytest.raises(InputError, match="configs"):
        run_fleet([a, b], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_a_second_fleet_in_the_same_folder_is_refused_with_exit_2(tmp_path, capsys):
    configs = _fleet(tmp_path / "configs", n=1)
    out = tmp_path / "out"
    out.mkdir()
    with fleet_lock(out):  # another run holds the folder
        with pytest.raises(InputError, match="locked by pid"):
            run_fleet(configs, out, report=False, runner=_marking_runner, progress=False)
        code = cli_main(["fleet", str(configs[0]), "--out", str(out), "--no-progress"])
    assert code == 2
    assert "locked by pid" in capsys.readouterr().err
    assert _ran(configs) == []
    # released at the end of the holder's run: the next run goes ahead
    result = run_fleet(configs, out, max_workers=1, report=False, progress=False)
    assert list(result.sites["status"]) == ["done"]


def test_site_folders_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    configs = _fleet(tmp_path / "configs", n=2)
    out = tmp_path / "out"
    # an earlier, different run left a folder with a file this run does not write
    (out / "site00").mkdir(parents=True)
    (out / "site00" / "monthly_perfect_foresight.csv").write_text("stale")
    (out / ".tmp-site01-killed").mkdir()  # a killed run's temporary folder

    def failing_write(result, folder, *, report=True, manifest=None):
        (Path(folder) / "intervals.csv").write_text("half")
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(fleet_module, "write_outputs", failing_write)
        failed = run_fleet(configs, out, max_workers=1, report=False, progress=False)
    assert (failed.sites["status"] == "failed").all()
    assert "disk full" in failed.sites["error"].iloc[0]
    for name in ("site00", "site01"):
        assert sorted(p.name for p in (out / name).iterdir()) == ["error.txt", "manifest.json"]
    assert not list(out.glob(".tmp-*")) and not list(out.glob(".old-*"))
    done = run_fleet(configs, out, max_workers=1, report=False, progress=False)
    assert (done.sites["status"] == "done").all()
    files = {p.name for p in (out / "site00").iterdir()}
    assert "summary.json" in files and "manifest.json" in files
    assert "monthly_perfect_foresight.csv" not in files and "error.txt" not in files


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_fleet_process_is_killed(tmp_path):
    configs = _fleet(tmp_path / "configs", n=6)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sims.cli", "fleet", *map(str, configs), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--workers", "2", "--no-report", "--no-progress"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _descendants(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the fleet never started its workers"
        os.kill(proc.pid, signal.SIGKILL)  # the fleet process only, not its group
        proc.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)]
    finally:  # never leave a process behind, even when the test fails
        for w in workers | _descendants(proc.pid):
            if _alive(w):
                os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()


def _wait_for_the_lock_to_go(out, timeout_s: float = 60.0) -> None:
    """Wait until the killed run's workers are gone: a SIGKILL is delivered asynchronously,
    and until a worker that inherited the lock file's descriptor has died, the lock holds."""
    deadline = time.monotonic() + timeout_s
    with open(out / ".fleet.lock", "a") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail("the killed fleet run's lock was not released")
                time.sleep(0.05)
                continue
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return


def test_killed_run_resumes_without_redoing_finished_sites(tmp_path):
    configs = _fleet(tmp_path / "configs")
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
            done = list(out.glob("site*/summary.json"))
            if len(done) >= 3:
                break
            if proc.poll() is not None:
                pytest.fail("the fleet run ended before it could be killed")
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker processes
        proc.wait()
    _wait_for_the_lock_to_go(out)
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("site*/summary.json")}
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


def test_an_output_path_that_is_a_file_is_refused_before_any_site_runs(tmp_path):
    configs = _fleet(tmp_path / "configs", n=1)
    not_a_folder = tmp_path / "results.txt"
    not_a_folder.write_text("x")
    for out in (not_a_folder, not_a_folder / "below"):
        with pytest.raises(InputError, match="out_dir"):
            run_fleet(configs, out, report=False, runner=_marking_runner, progress=False)
    assert _ran(configs) == []
    assert not_a_folder.read_text() == "x"


def test_an_unreachable_dask_scheduler_exits_2_naming_the_option(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    import sims.commands.fleet as command

    monkeypatch.setattr(command, "DASK_CONNECT_TIMEOUT_S", 1.0)
    configs = _fleet(tmp_path / "configs", n=1)
    out = tmp_path / "out"
    code = cli_main(["fleet", str(configs[0]), "--out", str(out), "--dask", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "--dask" in capsys.readouterr().err
    assert _ran(configs) == []


def test_site_manifest_names_each_input_with_its_hash(tmp_path):
    import hashlib

    configs = _fleet(tmp_path / "configs", n=1)
    out = tmp_path / "out"
    run_fleet(configs, out, max_workers=1, report=False, progress=False)
    manifest = json.loads((out / "site00" / "manifest.json").read_text())
    folder = configs[0].parent
    for key, path in [
        ("source", configs[0]),
        ("site.load_csv", folder / "site00.csv"),
        ("tariff.urdb_json", folder / "tariff.json"),
    ]:
        assert manifest["inputs"][key]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["valuestack_version"] and manifest["command"]
    assert manifest["status"] == "done" and manifest["inputs_sha256"]


def test_write_in_workers_must_be_a_boolean_or_none(tmp_path):
    configs = _fleet(tmp_path / "configs", n=1)
    with pytest.raises(
        InputError, match="write_in_workers: got 'yes'; expected True, False or None"
    ):
        run_fleet(configs, tmp_path / "out", write_in_workers="yes", progress=False)
    assert not (tmp_path / "out").exists()
