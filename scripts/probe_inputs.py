"""Bad-input probes of the command line and the library (issue 12, "Why" items 1-8).

    python scripts/probe_inputs.py [--only SUBSTRING ...] [--out probes.md] [--keep DIR]

Writes a small synthetic site (3 days, hourly; a TOU + demand tariff) into a temporary folder,
then runs every probe as its own process (``python -m sims.cli ...`` or a short library
snippet) and prints a markdown table: class, probe, command, exit code, the first line of the
message (stderr, else stdout), and a flag:

* ``TRACEBACK``: a Python traceback reached the user;
* ``EXIT 0 ON BAD INPUT``: the probe is bad input and the command succeeded;
* ``UNEXPECTED EXIT``: an exit code other than the probe's expected ones;
* a probe's own check (e.g. solver lines on stdout, too long a summary).

Exit status: 0 when no probe is flagged, 1 otherwise. The probes mirror the issue's classes:
1 infeasible no-export PV / import limits, 2 solver output on stdout, 3 unusable ``--out``,
4 reused output folders, 5 fleet validation and locking, 6 implausible magnitudes,
7 inputs that used to end in a traceback (encodings, empty CSVs, DST, bad options, Ctrl-C),
8 CLI conveniences (``--version``, options after the subcommand, help text).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe_cases import PROBES
from probe_site import CLI, Probe, env, make_site

logger = logging.getLogger("probe_inputs")


@dataclass
class Outcome:
    probe: Probe
    command: str
    code: int
    message: str
    flags: list[str] = field(default_factory=list)
    wall_s: float = 0.0


# -- running -----------------------------------------------------------------------------------
def _first_line(stdout: str, stderr: str) -> str:
    """The exception of a traceback; else the first stderr line that is not a logged warning
    (argparse's error line after its usage); else the first line of stdout; else the first
    warning."""
    err = [line.strip() for line in stderr.splitlines() if line.strip()]
    out = [line.strip() for line in stdout.splitlines() if line.strip()]
    if "Traceback (most recent call last):" in stdout + stderr:
        return (err or out)[-1]
    plain = [line for line in err if not line.startswith("WARNING ")]
    if plain and plain[0].startswith("usage:"):
        return plain[-1]  # argparse: the usage, then "PROG: error: ..."
    return (plain or out or err or [""])[0]


def run_probe(probe: Probe, root: Path) -> Outcome:
    argv = probe.argv(root) if callable(probe.argv) else list(probe.argv)
    if argv and argv[0] == "@python":
        command = [sys.executable, "-c", argv[1]]
        shown = "python -c '<library snippet>'"
    else:
        command = [*CLI, *argv]
        shown = "valuestack " + " ".join(a.replace(str(root), "$TMP") for a in argv)
    started = time.perf_counter()
    lock = None
    if probe.hold_lock:
        from sims.fleet_io import fleet_lock

        folder = root / probe.hold_lock
        folder.mkdir(exist_ok=True)
        lock = fleet_lock(folder)
        lock.__enter__()
    try:
        if probe.interrupt_after_s is not None:
            process = subprocess.Popen(
                command, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            # the output folder is made once the inputs are checked, just before computing:
            # interrupt the computing, not the interpreter's start-up
            out = Path(argv[argv.index("--out") + 1])
            deadline = time.monotonic() + 300
            while not out.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(probe.interrupt_after_s)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=120)
            code = process.returncode
        else:
            done = subprocess.run(
                command, env=env(), capture_output=True, text=True, timeout=600, check=False
            )
            stdout, stderr, code = done.stdout, done.stderr, done.returncode
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)
    outcome = Outcome(
        probe=probe,
        command=shown,
        code=code,
        message=_first_line(stdout, stderr).replace(str(root), "$TMP"),
        wall_s=time.perf_counter() - started,
    )
    if "Traceback (most recent call last)" in stdout + stderr:
        outcome.flags.append("TRACEBACK")
    if probe.bad and code == 0:
        outcome.flags.append("EXIT 0 ON BAD INPUT")
    elif code not in probe.expect:
        outcome.flags.append(f"UNEXPECTED EXIT (expected {'/'.join(map(str, probe.expect))})")
    if probe.check is not None:
        found = probe.check(stdout, stderr)
        if found:
            outcome.flags.append(found)
    return outcome


def table(outcomes: list[Outcome]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = [
        "| # | class | probe | command | exit | first line of the message | flag |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, o in enumerate(outcomes, 1):
        message = o.message if len(o.message) <= 160 else o.message[:157] + "..."
        rows.append(
            f"| {i} | {o.probe.cls} | {cell(o.probe.name)} | `{cell(o.command)}` | {o.code} | "
            f"{cell(message)} | {', '.join(o.flags)} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", default=None, help="probes whose name or class has this"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder, keep it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    selected = [
        p for p in PROBES if not args.only or any(s in p.name or s in p.cls for s in args.only)
    ]
    root = args.keep or Path(tempfile.mkdtemp(prefix="valuestack-probes-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        make_site(root)
        outcomes = []
        for i, probe in enumerate(selected, 1):
            outcome = run_probe(probe, root)
            logger.info(
                "%d/%d %s: exit %d %s (%.1f s)",
                i,
                len(selected),
                probe.name,
                outcome.code,
                " ".join(outcome.flags),
                outcome.wall_s,
            )
            outcomes.append(outcome)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    text = table(outcomes)
    flagged = sum(bool(o.flags) for o in outcomes)
    text += f"\n\n{len(outcomes)} probes, {flagged} flagged.\n"
    sys.stdout.write(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
