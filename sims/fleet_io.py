"""The fleet's files: input hashes, per-site manifests, atomic site folders, the run lock.

A site folder ``OUT/<stem>/`` counts as finished when it holds ``summary.json`` and a
``manifest.json`` whose ``inputs_sha256`` equals the hash of the site's configuration file and
every data file it names (load and PV CSVs, tariff JSON, market price files): an edited
configuration or data file changes the hash, so the site is recomputed, never skipped.

Site folders are written whole: into a temporary folder beside the final one, then renamed
into place (the previous folder, if any, is moved aside first and removed after), so a folder
is never a mix of two runs. One fleet run at a time may use an output folder: it holds an
exclusive lock on ``OUT/.fleet.lock`` (released by the operating system when the process ends,
even by SIGKILL).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.errors import InputError

__all__ = [
    "MANIFEST_FILE",
    "finished_summary",
    "fleet_lock",
    "input_hash",
    "input_files",
    "watch_parent",
    "write_site_atomically",
]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".fleet.lock"
_CHUNK = 1 << 20


def input_files(config: Any) -> list[Path]:
    """Every file path named anywhere in a (nested) configuration dataclass, sorted."""
    found: set[Path] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Path):
            found.add(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                if f.name != "source":  # the configuration file itself is hashed first
                    walk(getattr(value, f.name))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for v in value:
                walk(v)

    walk(config)
    return sorted(found)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def input_hash(config_path: Path, config: Any) -> tuple[str, dict[str, str]]:
    """SHA-256 over the configuration file and each data file it names.

    Returns
    -------
    (str, dict)
        The combined hex digest and each file's own digest (a missing file hashes as
        ``"missing"``: the site then fails at its turn and is retried on the next run).
    """
    files = {str(config_path.resolve()): _file_sha256(config_path)}
    for path in input_files(config):
        files[str(path)] = _file_sha256(path) if path.is_file() else "missing"
    combined = hashlib.sha256()
    for name, digest in files.items():
        # the config's own path is left out, so a moved fleet folder still resumes
        combined.update(digest.encode())
        combined.update(Path(name).name.encode())
    return combined.hexdigest(), files


def _read_json(path: Path) -> dict | None:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def finished_summary(site_dir: Path, inputs_sha256: str) -> tuple[dict, dict] | None:
    """``(summary, manifest)`` of a site finished with these inputs, else None."""
    manifest = _read_json(site_dir / MANIFEST_FILE)
    if manifest is None or manifest.get("inputs_sha256") != inputs_sha256:
        return None
    if manifest.get("status") != "done":
        return None
    payload = _read_json(site_dir / "summary.json")
    if payload is None or not isinstance(payload.get("summary"), dict):
        return None
    return payload["summary"], manifest


def write_site_atomically(
    site_dir: Path, manifest: dict[str, Any], fill: Callable[[Path], None]
) -> None:
    """Write a site folder whole: ``fill(tmp)`` writes the files, then the folder is swapped in.

    Parameters
    ----------
    site_dir : pathlib.Path
        The final folder (replaced whole if it exists).
    manifest : dict
        Written to ``manifest.json`` after ``fill`` succeeded.
    fill : callable
        ``fill(folder)`` writes the site's files into ``folder``.
    """
    parent = site_dir.parent
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{site_dir.name}-", dir=parent))
    try:
        fill(tmp)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        old = None
        if site_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{site_dir.name}-", dir=parent))
            os.replace(site_dir, old / site_dir.name)
        os.replace(tmp, site_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_stale_temporaries(out: Path) -> None:
    """Remove temporary folders a killed run left in ``out`` (call while holding the lock)."""
    # ours, and those of sims.outputs.write_outputs filling one of ours ("..tmp-<site>-*")
    for pattern in (".tmp-*", ".old-*", "..tmp-*"):
        for folder in out.glob(pattern):
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fleet_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for one fleet run.

    Raises
    ------
    InputError
        If another process holds the lock (its pid is named), as ``--out``.
    """
    path = out / LOCK_FILE
    handle = path.open("a+", encoding="utf-8")
    try:
        if sys.platform != "win32":
            import fcntl

            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise InputError(
                    "--out",
                    str(out),
                    f"an output folder no other fleet run is using (locked by pid {holder})",
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(parent_pid: int, interval_s: float = 0.5) -> None:
    """Process-pool initializer: end this worker when the fleet process is gone.

    A daemon thread checks every ``interval_s`` whether the worker's parent changed (it was
    re-parented, i.e. the parent died, even by SIGKILL) or ``parent_pid`` no longer exists, and
    then ends the worker with ``os._exit``. On Linux the kernel is also asked to send SIGKILL
    on the parent's death (``prctl(PR_SET_PDEATHSIG)``) when the worker's parent is the fleet
    process itself.
    """
    ppid = os.getppid()
    if sys.platform.startswith("linux") and ppid == parent_pid:
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # not available: the thread below suffices
            pass
        if os.getppid() != ppid:  # the parent died before prctl took effect
            os._exit(1)

    def loop() -> None:
        event = threading.Event()
        while not event.wait(interval_s):
            if os.getppid() != ppid or not _pid_alive(parent_pid):
                os._exit(1)

    threading.Thread(target=loop, name="valuestack-parent-watch", daemon=True).start()
