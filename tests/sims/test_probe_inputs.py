"""The bad-input probe script flags what it must: a traceback, an exit 0 on bad input, a wrong
exit code; and its table has one row per probe. (The full run is scripts/probe_inputs.py.)"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))

from probe_inputs import run_probe, table
from probe_site import Probe, library, make_site


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probes")
    make_site(folder)
    return folder


def test_flags_exit_0_on_bad_input_and_unexpected_codes(root):
    fine = run_probe(Probe("8 cli", "version", ["--version"], expect=(0,), bad=False), root)
    assert fine.code == 0 and fine.flags == [] and fine.message.startswith("valuestack ")
    bad_but_0 = run_probe(Probe("x", "version taken as bad", ["--version"]), root)
    assert bad_but_0.flags == ["EXIT 0 ON BAD INPUT"]
    wrong = run_probe(Probe("x", "usage error", ["simulate"], expect=(3,)), root)
    assert wrong.code == 2 and wrong.flags == ["UNEXPECTED EXIT (expected 3)"]
    rows = table([fine, bad_but_0, wrong]).splitlines()
    assert len(rows) == 2 + 3 and rows[3].split("|")[5].strip() == "0"


def test_flags_a_traceback_and_quotes_the_exception(root):
    crash = run_probe(Probe("x", "crash", library("raise RuntimeError('boom')")), root)
    assert crash.code == 1
    assert "TRACEBACK" in crash.flags and crash.message == "RuntimeError: boom"
    named = run_probe(
        Probe(
            "x",
            "input error",
            library("from core.errors import InputError\nraise InputError('f', 1, 'two')"),
        ),
        root,
    )
    assert named.code == 2 and named.flags == [] and "f" in named.message
