"""The command line never shows a traceback, checks its output folder first and writes it whole.

One test per class of bad input (not per example); the output-folder tests cover refusal,
``--force``, stale files, atomic replacement on a failure, the manifest and Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import sims.backtest
import sims.report
from sims.cli import main
from tests.conftest import REPO_ROOT
from tests.sims.helpers import write_site

EXAMPLES = REPO_ROOT / "examples"
NOT_UTF8 = "caf\u00e9".encode("latin-1")  # b"caf\xe9": invalid as UTF-8


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    return write_site(folder, days=3, freq="1h")


@pytest.fixture(scope="module")
def finished(site, tmp_path_factory):
    """A result folder written once by the CLI (shared by the read-only checks)."""
    out = tmp_path_factory.mktemp("runs") / "first"
    assert main(["backtest", str(site), "--out", str(out), "--no-report", "--no-progress"]) == 0
    return out


def _fails(argv, capsys, code=2) -> str:
    assert main([str(a) for a in argv]) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = [line for line in captured.err.splitlines() if not line.startswith("WARNING")]
    assert len(lines) == 1, captured.err  # one message
    return lines[0]


# -- bad inputs, one test per class ----------------------------------------------------------
@pytest.mark.parametrize("kind", ["toml", "json", "csv-bill", "csv-forecast"])
def test_files_not_in_utf8_are_named(tmp_path, site, capsys, kind):
    text = site.read_text()
    if kind == "toml":
        bad = site.parent / "latin1.toml"
        bad.write_bytes(b"# " + NOT_UTF8 + b"\n" + text.encode())
        err = _fails(["backtest", bad, "--out", tmp_path / "o"], capsys)
        assert "config" in err and "UTF-8" in err
        return
    if kind == "json":
        bad = tmp_path / "tariff.json"
        bad.write_bytes(b'{"name": "' + NOT_UTF8 + b'"}')
        err = _fails(["bill", bad, EXAMPLES / "office_load.csv", "--column", "load_kw"], capsys)
        assert "tariff" in err and "UTF-8" in err
        return
    bad = tmp_path / "load.csv"
    bad.write_bytes(b"timestamp,load_kw\n2024-01-01 00:00," + NOT_UTF8 + b"\n")
    if kind == "csv-bill":
        argv = ["bill", EXAMPLES / "office_tou_tariff.json", bad, "--tz", "UTC"]
    else:
        argv = ["forecast-eval", bad, "--tz", "UTC"]
    err = _fails(argv, capsys)
    assert "load.csv" in err and "UTF-8" in err


@pytest.mark.parametrize("content", [b"", b"timestamp,load_kw\n"], ids=["empty", "header-only"])
@pytest.mark.parametrize("command", ["bill", "forecast-eval"])
def test_csv_without_data_rows_is_named(tmp_path, capsys, content, command):
    path = tmp_path / "load.csv"
    path.write_bytes(content)
    if command == "bill":
        argv = ["bill", EXAMPLES / "office_tou_tariff.json", path, "--tz", "UTC"]
    else:
        argv = ["forecast-eval", path, "--tz", "UTC"]
    err = _fails(argv, capsys)
    assert "load.csv" in err and ("empty" in err or "no rows" in err)


@pytest.mark.parametrize(
    "start", ["2024-11-03 01:30", "2024-03-10 02:30"], ids=["ambiguous", "nonexistent"]
)
def test_dst_local_start_is_refused(tmp_path, site, capsys, start):
    # Los Angeles: 01:30 on 3 Nov 2024 happens twice, 02:30 on 10 Mar 2024 never
    bad = site.parent / "dst.toml"
    bad.write_text(site.read_text().replace("[site]\n", f'[site]\nstart = "{start}"\n'))
    err = _fails(["backtest", bad, "--out", tmp_path / "o"], capsys)
    assert "site.start" in err and start in err and "exactly once" in err
    assert not (tmp_path / "o").exists()  # refused before the output folder was made


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--every-h", "0"),
        ("--every-h", "-3"),
        ("--horizon-h", "nan"),
        ("--start", "notadate"),
        ("--end", "2024-01-01T00:00+05:00"),
        ("--tz", "Mars/Olympus"),
    ],
)
def test_forecast_eval_bad_options_are_named(capsys, option, value):
    argv = ["forecast-eval", EXAMPLES / "office_load.csv", "--tz", "America/New_York"]
    argv += [option, value]
    try:
        code = main([str(a) for a in argv])  # an InputError: one line, exit 2
    except SystemExit as stop:  # an argparse type check: usage and one line, exit 2
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert option in err and value in err and "Traceback" not in err


# -- global options and help -----------------------------------------------------------------
def test_version_and_log_options_anywhere(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("valuestack ")
    from sims.cli import _log_level, build_parser

    parser = build_parser()
    path = str(EXAMPLES / "office_load.csv")
    before = parser.parse_args(["--log-level", "DEBUG", "forecast-eval", path, "--tz", "UTC"])
    after = parser.parse_args(["forecast-eval", path, "--tz", "UTC", "-q"])
    both = parser.parse_args(["-q", "forecast-eval", path, "--tz", "UTC", "-v"])
    assert _log_level(before) == 10  # logging.DEBUG
    assert _log_level(after) == 40  # logging.ERROR
    assert both.quiet and both.verbose == 1
    assert _log_level(parser.parse_args(["forecast-eval", path, "--tz", "UTC"])) == 30


@pytest.mark.parametrize("command", ["bill", "backtest", "forecast-eval", "fleet", "size"])
def test_help_has_no_rst_markup(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "``" not in text and ":func:" not in text and ":mod:" not in text
    assert "--log-level" in text


# -- output folders -------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["file", "below-file"])
def test_out_on_or_below_a_file_is_refused_before_work(tmp_path, site, capsys, monkeypatch, where):
    monkeypatch.setattr(sims.backtest, "run_backtest", _must_not_run)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "sub"
    err = _fails(["backtest", site, "--out", out], capsys)
    assert "--out" in err and "a file" in err
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_is_refused_before_work(tmp_path, site, capsys, monkeypatch):
    monkeypatch.setattr(sims.backtest, "run_backtest", _must_not_run)
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        err = _fails(["backtest", site, "--out", parent / "out"], capsys)
    finally:
        parent.chmod(0o755)
    assert "--out" in err and "written" in err


def _must_not_run(*args, **kwargs):
    raise AssertionError("the backtest ran although the output folder was refused")


def test_manifest_names_inputs_with_their_hashes(finished, site):
    manifest = json.loads((finished / "manifest.json").read_text())
    inputs = manifest["inputs"]
    for key, path in [
        ("source", site),
        ("site.load_csv", site.parent / "site.csv"),
        ("tariff.urdb_json", site.parent / "tariff.json"),
    ]:
        assert inputs[key]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["valuestack_version"]
    assert manifest["command"]
    assert {p.name for p in finished.iterdir()} >= {"summary.json", "manifest.json"}
    assert not [p for p in finished.parent.iterdir() if p.name.startswith(".")]  # no temp left
    plain = finished.parent / "plain"
    plain.mkdir()  # a folder made the usual way: the results get the same permissions
    assert finished.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    plain.rmdir()


def test_existing_results_refused_then_replaced_whole_with_force(
    finished, site, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "again"
    out.mkdir()
    for path in finished.iterdir():
        (out / path.name).write_bytes(path.read_bytes())
    (out / "report.html").write_text("stale report of an earlier run")
    before = (out / "summary.json").read_text()
    with monkeypatch.context() as patch:
        patch.setattr(sims.backtest, "run_backtest", _must_not_run)
        err = _fails(["backtest", site, "--out", out], capsys)
    assert "--force" in err and (out / "summary.json").read_text() == before
    argv = ["backtest", str(site), "--out", str(out), "--no-report", "--no-progress", "--force"]
    assert main(argv) == 0
    names = {p.name for p in out.iterdir()}
    assert "report.html" not in names  # the stale report is gone, not mixed with new results
    assert "summary.json" in names and "manifest.json" in names


def test_a_foreign_folder_is_never_replaced(site, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    err = _fails(["backtest", site, "--out", out, "--force"], capsys)
    assert "--out" in err and "notes.txt" in err
    assert (out / "notes.txt").read_text() == "keep me"


def test_failure_while_writing_leaves_earlier_results_intact(
    finished, site, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "atomic"
    out.mkdir()
    for path in finished.iterdir():
        (out / path.name).write_bytes(path.read_bytes())
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_report(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(sims.report, "write_report", broken_report)
    _fails(["backtest", site, "--out", out, "--force", "--no-progress"], capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temp folder removed


def test_too_many_fallbacks_exit_3_and_say_so_first(finished, site, tmp_path, capsys, monkeypatch):
    real = sims.backtest.run_backtest

    def mostly_fallbacks(config, **kwargs):
        result = real(config, **kwargs)
        n = result.summary.n_windows
        summary = dataclasses.replace(result.summary, n_fallback_windows=n)
        return dataclasses.replace(result, summary=summary)

    monkeypatch.setattr(sims.backtest, "run_backtest", mostly_fallbacks)
    out = tmp_path / "fallbacks"
    code = main(["backtest", str(site), "--out", str(out), "--no-report", "--no-progress"])
    assert code == 3
    first = capsys.readouterr().out.splitlines()[0]
    assert "NOT TRUSTWORTHY" in first and "fell back" in first and "100%" in first
    assert (out / "summary.json").is_file()  # the results are still written
    # a limit of 1.0 accepts every fallback
    relaxed = site.parent / "relaxed.toml"
    relaxed.write_text(site.read_text() + "max_fallback_fraction = 1.0\n")
    assert site.read_text().rsplit("\n[", 1)[-1].startswith("dispatch]")  # appended there
    code = main(["backtest", str(relaxed), "--out", str(tmp_path / "r"), "--no-report"])
    assert code == 0


def test_keyboard_interrupt_exits_130_without_partial_results(site, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sims.backtest, "run_backtest", interrupted)
    out = tmp_path / "ctrl-c"
    err = _fails(["backtest", site, "--out", out], capsys, code=130)
    assert "interrupted" in err
    assert not out.exists() or not any(out.iterdir())


def test_sigint_on_a_real_process_exits_130(tmp_path):
    # a real Ctrl-C (SIGINT) while the example runs: exit 130, one line, no traceback
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    argv = [sys.executable, "-m", "sims.cli", "backtest", str(EXAMPLES / "site.toml")]
    argv += ["--out", str(tmp_path / "out"), "--no-progress"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # the output folder is made once the inputs are checked, just before the computing starts:
    # interrupt the computing, not the interpreter's start-up (slow on a busy machine)
    deadline = time.monotonic() + 120
    while not (tmp_path / "out").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    # HiGHS sees Ctrl-C when its solve returns: a month's MILP of the prescient bound can take
    # a minute on a loaded 2-core machine
    _, err = process.communicate(timeout=180)
    assert process.returncode == 130, err.decode()[-2000:]
    assert b"Traceback" not in err and b"interrupted" in err
    assert pd.Series([p.name for p in tmp_path.iterdir()]).str.startswith(".").sum() == 0


_NATIVE = """
import os, sys
from sims.cli import native_stdout_to
with native_stdout_to({target}):
    os.write(1, b"solver noise\\n")  # what a C library writes to file descriptor 1
    print("result line")
print("after")
"""


@pytest.mark.parametrize("target", ["None", "sys.stderr"], ids=["dropped", "to-stderr"])
def test_native_stdout_noise_never_reaches_stdout(target):
    code = _NATIVE.format(target=target)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "result line\nafter\n"
    assert ("solver noise" in done.stderr) == (target == "sys.stderr")


def test_example_summary_is_short(tmp_path):
    # the README's example, cut to its first month: stdout is the summary alone (the
    # solver's messages, thousands of lines over the year, are not in it)
    text = (EXAMPLES / "site.toml").read_text()
    for name in ("office_load.csv", "office_tou_tariff.json"):
        text = text.replace(f'"{name}"', f'"{EXAMPLES / name}"')
    text = text.replace("[site]\n", '[site]\nend = "2023-02-15"\n')
    config = tmp_path / "site.toml"
    config.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    argv = [sys.executable, "-m", "sims.cli", "backtest", str(config)]
    argv += ["--out", str(tmp_path / "out"), "--no-progress", "--no-report"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) < 40
    assert lines[0].startswith("example-office:") and lines[-1].startswith("wrote ")


def test_unwritable_parent_is_refused_before_work(tmp_path, site, capsys, monkeypatch):
    # the same check as the read-only test, for runs as root (which may write anywhere)
    import sims.outputs

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(kwargs.get("dir")))

    monkeypatch.setattr(sims.backtest, "run_backtest", _must_not_run)
    monkeypatch.setattr(sims.outputs.tempfile, "mkdtemp", denied)
    err = _fails(["backtest", site, "--out", tmp_path / "out"], capsys)
    assert "--out" in err and "can be written" in err and "Permission denied" in err


def test_forecast_eval_runs_on_the_example_with_a_zone(capsys):
    # issue 11: the project's own example file (UTC offsets that change at DST) with --tz
    argv = ["forecast-eval", str(EXAMPLES / "office_load.csv"), "--tz", "America/New_York"]
    argv += ["--forecasters", "naive_24h", "--start", "2023-03-01", "--end", "2023-03-20"]
    assert main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["first_issue"] == "2023-03-01 00:00:00-05:00"
    assert payload["last_issue"] == "2023-03-20 00:00:00-04:00"  # after the 12 March change
    assert payload["scores"]["naive_24h"]["n_points"] == 20 * 96
