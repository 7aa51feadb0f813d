"""``valuestack bill``: the README's first command, JSON output and timestamp handling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from markets.tariff import Tariff
from sims.cli import main
from tests.conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
TARIFF = EXAMPLES / "office_tou_tariff.json"
LOAD = EXAMPLES / "office_load.csv"
SIMPLE = {
    "name": "simple test rate",
    "energyratestructure": [[{"rate": 0.1}], [{"rate": 0.5}]],
    "energyweekdayschedule": [[0] * 17 + [1] * 4 + [0] * 3] * 12,
    "energyweekendschedule": [[0] * 24] * 12,
    "fixedchargefirstmeter": 10.0,
    "fixedchargeunits": "$/month",
}


@pytest.fixture
def simple_tariff(tmp_path) -> Path:
    path = tmp_path / "rate.json"
    path.write_text(json.dumps(SIMPLE))
    return path


def _csv(tmp_path: Path, stamps, values, column="kw") -> Path:
    path = tmp_path / "load.csv"
    pd.DataFrame({"timestamp": stamps, column: values}).to_csv(path, index=False)
    return path


def test_readme_first_command_runs(tmp_path):
    # The README's main job on the built-in example, whatever subcommand it runs, with its
    # output directory redirected to a temporary folder.
    readme = (REPO_ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.startswith("python3 -m venv"))
    args = command.split("&& valuestack ", 1)[1].split()
    if "--out" in args:
        args[args.index("--out") + 1] = str(tmp_path / "out")
    args = [str(REPO_ROOT / a) if (REPO_ROOT / a).is_file() else a for a in args]
    assert main(args) == 0
    if "--out" in args:
        written = {p.name for p in (tmp_path / "out").iterdir()}
        assert {"summary.json", "report.html"} <= written


def test_json_equals_the_library_bill(capsys):
    assert (
        main(
            [
                "bill",
                str(TARIFF),
                str(LOAD),
                "--column",
                "load_kw",
                "--tz",
                "America/New_York",
                "--json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    frame = pd.read_csv(LOAD)
    index = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True)).tz_convert(
        "America/New_York"
    )
    load = pd.Series(frame["load_kw"].to_numpy(), index=index)
    bill = Tariff.from_urdb(TARIFF).bill(load)
    assert payload["total_usd"] == pytest.approx(bill.total_usd, rel=1e-12)
    assert [m["month"] for m in payload["monthly"]] == [f"2023-{m:02d}" for m in range(1, 13)]
    assert payload["monthly"][6]["demand_tou_usd"] == pytest.approx(
        bill.monthly["demand_tou_usd"].iloc[6]
    )


def test_example_files_are_small_and_a_full_local_year():
    assert LOAD.stat().st_size < 5e6
    frame = pd.read_csv(LOAD)
    assert list(frame.columns) == ["timestamp", "load_kw", "pv_kw"]
    assert len(frame) == 35_040
    assert frame["timestamp"].iloc[0] == "2023-01-01T00:00:00-05:00"
    assert frame["timestamp"].iloc[-1] == "2023-12-31T23:45:00-05:00"
    assert (frame["load_kw"] > 0).all() and (frame["pv_kw"] >= 0).all()
    # PV: 150 kWdc in Greensboro yields about 1,200-1,500 kWh per kWdc a year
    assert 1200 * 150 < frame["pv_kw"].sum() * 0.25 < 1500 * 150
    record = json.loads(TARIFF.read_text())["items"][0]
    assert "not a real utility" in record["name"]


def test_make_examples_is_deterministic(tmp_path):
    subprocess.run(
        [sys.executable, str(EXAMPLES / "make_examples.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "office_load.csv").read_bytes() == LOAD.read_bytes()
    assert (tmp_path / "office_tou_tariff.json").read_bytes() == TARIFF.read_bytes()


def test_naive_timestamps_localized_in_tz(tmp_path, simple_tariff, capsys):
    # Weekday 2024-01-03: 1 kW for 24 h; hours 17-20 at $0.50, others at $0.10:
    # 4 x 0.5 + 20 x 0.1 = $4.00 energy + $10 x 1/31 (one day of January) fixed.
    stamps = [f"2024-01-03 {h:02d}:00" for h in range(24)]
    path = _csv(tmp_path, stamps, [1.0] * 24)
    assert main(["bill", str(simple_tariff), str(path), "--tz", "America/Denver", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["monthly"][0]["energy_usd"] == pytest.approx(4.0)
    assert payload["total_usd"] == pytest.approx(4.0 + 10.0 / 31)


def test_offsets_are_converted_to_tz(tmp_path, simple_tariff, capsys):
    # The same day written in UTC: 2024-01-03 07:00Z is midnight in Denver (UTC-7).
    stamps = [
        (pd.Timestamp("2024-01-03 07:00", tz="UTC") + pd.Timedelta(hours=h)).isoformat()
        for h in range(24)
    ]
    path = _csv(tmp_path, stamps, [1.0] * 24)
    assert main(["bill", str(simple_tariff), str(path), "--tz", "America/Denver", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["monthly"][0]["energy_usd"] == pytest.approx(4.0)


def test_single_offset_without_tz_is_a_fixed_zone(tmp_path, simple_tariff, capsys):
    stamps = [f"2024-01-03T{h:02d}:00:00-07:00" for h in range(24)]
    path = _csv(tmp_path, stamps, [1.0] * 24)
    assert main(["bill", str(simple_tariff), str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["monthly"][0]["energy_usd"] == pytest.approx(4.0)


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def test_naive_without_tz_is_an_error(tmp_path, simple_tariff, capsys):
    path = _csv(tmp_path, ["2024-01-03 00:00", "2024-01-03 01:00"], [1.0, 1.0])
    err = _error(["bill", str(simple_tariff), str(path)], capsys)
    assert "--tz" in err and "naive" in err


def test_mixed_offsets_without_tz_is_an_error(tmp_path, simple_tariff, capsys):
    path = _csv(tmp_path, ["2024-03-10T01:00:00-08:00", "2024-03-10T03:00:00-07:00"], [1, 1])
    err = _error(["bill", str(simple_tariff), str(path)], capsys)
    assert "different UTC offsets" in err


@pytest.mark.parametrize(
    "stamps",
    [
        # 02:30 does not exist on 2024-03-10 in Los Angeles
        ["2024-03-10 01:30", "2024-03-10 02:30", "2024-03-10 03:30"],
        # 01:30 happens twice on 2024-11-03
        ["2024-11-03 00:30", "2024-11-03 01:30", "2024-11-03 02:30"],
    ],
    ids=["nonexistent", "ambiguous"],
)
def test_dst_local_times_are_errors(tmp_path, simple_tariff, capsys, stamps):
    path = _csv(tmp_path, stamps, [1.0, 1.0, 1.0])
    err = _error(["bill", str(simple_tariff), str(path), "--tz", "America/Los_Angeles"], capsys)
    assert "exist exactly once" in err


def test_column_choice(tmp_path, simple_tariff, capsys):
    path = tmp_path / "two.csv"
    pd.DataFrame(
        {"timestamp": ["2024-01-03 00:00", "2024-01-03 01:00"], "a_kw": [1, 2], "b_kw": [3, 4]}
    ).to_csv(path, index=False)
    err = _error(["bill", str(simple_tariff), str(path), "--tz", "UTC"], capsys)
    assert "--column" in err
    err = _error(["bill", str(simple_tariff), str(path), "--tz", "UTC", "--column", "c"], capsys)
    assert "'c'" in err
    assert main(["bill", str(simple_tariff), str(path), "--tz", "UTC", "--column", "b_kw"]) == 0


def test_gapped_csv_is_rejected(tmp_path, simple_tariff, capsys):
    path = _csv(tmp_path, ["2024-01-03 00:00", "2024-01-03 01:00", "2024-01-03 03:00"], np.ones(3))
    err = _error(["bill", str(simple_tariff), str(path), "--tz", "UTC"], capsys)
    assert "no gaps" in err
