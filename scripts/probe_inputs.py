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
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

logger = logging.getLogger("probe_inputs")

CLI = [sys.executable, "-m", "sims.cli"]
TZ = "America/Los_Angeles"
NOT_UTF8 = b"# caf\xe9\n"  # latin-1 "café": invalid UTF-8

TARIFF = {
    "name": "probe TOU + demand",
    "energyratestructure": [[{"rate": 0.10, "unit": "kWh"}], [{"rate": 0.30, "unit": "kWh"}]],
    "energyweekdayschedule": [[1 if 16 <= h < 21 else 0 for h in range(24)]] * 12,
    "energyweekendschedule": [[1 if 16 <= h < 21 else 0 for h in range(24)]] * 12,
    "flatdemandstructure": [[{"rate": 10.0}]],
    "flatdemandmonths": [0] * 12,
    "flatdemandunit": "kW",
}


@dataclass
class Probe:
    """One probe: a command (or a setup that returns one) and the exit codes that are right."""

    cls: str
    name: str
    argv: list[str] | Callable[[Path], list[str]]
    expect: tuple[int, ...] = (2,)
    bad: bool = True
    check: Callable[[str, str], str | None] | None = None
    interrupt_after_s: float | None = None
    hold_lock: str | None = None


@dataclass
class Outcome:
    probe: Probe
    command: str
    code: int
    message: str
    flags: list[str] = field(default_factory=list)
    wall_s: float = 0.0


# -- the synthetic site ----------------------------------------------------------------------
def _site_csv(days: int = 3, *, load_scale: float = 1.0, pv_scale: float = 1.0) -> str:
    import numpy as np
    import pandas as pd

    index = pd.date_range("2024-03-01", periods=24 * days, freq="1h", tz=TZ)
    hour = index.hour
    load = load_scale * (40 + 60 * np.exp(-(((hour - 17) / 3.0) ** 2)))
    pv = pv_scale * np.clip(30 * np.sin(np.pi * (hour - 6) / 12), 0, None)
    frame = pd.DataFrame(
        {"timestamp": [t.isoformat() for t in index], "load_kw": load.round(3), "pv_kw": pv}
    )
    return frame.to_csv(index=False)


def _toml(
    *,
    csv: str = "site.csv",
    tariff: str = "tariff.json",
    battery: str = "power_kw = 30.0\nenergy_kwh = 60.0\n",
    site_extra: str = "",
    extra: str = "",
    name: str = "probe",
) -> str:
    return (
        f'[site]\nname = "{name}"\ntimezone = "{TZ}"\nload_csv = "{csv}"\npv_csv = "{csv}"\n'
        f"{site_extra}"
        f'\n[tariff]\nurdb_json = "{tariff}"\n'
        f"\n[battery]\n{battery}"
        '\n[forecast]\nload = "seasonal_naive"\npv = "seasonal_naive"\nwarmup_days = 1\n'
        "compare_perfect_foresight = false\ncompare_prescient = false\n"
        '\n[dispatch]\ncadence = "daily"\nlookahead_h = 24\n'
        f"{extra}"
    )


def make_site(root: Path) -> None:
    """The good site and the data the probes edit."""
    (root / "site.csv").write_text(_site_csv())
    (root / "tariff.json").write_text(json.dumps(TARIFF))
    (root / "site.toml").write_text(_toml())
    (root / "empty.csv").write_text("")
    (root / "header_only.csv").write_text("timestamp,load_kw\n")
    (root / "a_file").write_text("not a folder")


def _write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _config(name: str, **kwargs) -> Callable[[Path], list[str]]:
    """A probe that writes a variant of the site's TOML and runs ``backtest`` on it."""

    def setup(root: Path) -> list[str]:
        path = _write(root, f"{name}.toml", _toml(**kwargs))
        return ["backtest", str(path), "--out", str(root / f"out-{name}"), "--no-report"]

    return setup


def _config_text(name: str, edit: Callable[[str], str]) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        path = _write(root, f"{name}.toml", edit(_toml()))
        return ["backtest", str(path), "--out", str(root / f"out-{name}"), "--no-report"]

    return setup


def _with_files(
    name: str, files: dict[str, str | bytes], argv: Callable[[Path], list[str]]
) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        for file_name, text in files.items():
            _write(root, file_name, text)
        return argv(root)

    return setup


def _tariff_probe(name: str, record: object) -> Callable[[Path], list[str]]:
    text = record if isinstance(record, (str, bytes)) else json.dumps(record)

    def setup(root: Path) -> list[str]:
        path = _write(root, f"{name}.json", text)
        return ["bill", str(path), str(root / "site.csv"), "--column", "load_kw", "--tz", TZ]

    return setup


def _scaled_tariff(factor: float) -> dict:
    record = json.loads(json.dumps(TARIFF))
    for period in record["energyratestructure"]:
        for tier in period:
            tier["rate"] *= factor
    return record


def _library(code: str) -> list[str]:
    """A library snippet: a ValuestackError prints its message and exits 2."""
    wrapper = (
        "import sys\nfrom core.errors import ValuestackError\n"
        "try:\n" + "".join(f"    {line}\n" for line in code.strip().splitlines()) + ""
        "except ValuestackError as exc:\n    print(exc, file=sys.stderr); sys.exit(2)\n"
    )
    return ["@python", wrapper]


def _no_solver_lines(stdout: str, stderr: str) -> str | None:
    lines = stdout.splitlines()
    noisy = [line for line in lines if "highs" in line.lower() or "changeCoeff" in line]
    if noisy:
        return f"{len(noisy)} solver lines on stdout"
    if len(lines) >= 40:
        return f"{len(lines)} stdout lines (>= 40)"
    return None


def _fleet_configs(root: Path, names: list[str], broken: dict[str, str] | None = None) -> list[str]:
    paths = []
    for name in names:
        folder = root / f"fleet-{name}"
        folder.mkdir(exist_ok=True)
        shutil.copy(root / "site.csv", folder / "site.csv")
        shutil.copy(root / "tariff.json", folder / "tariff.json")
        text = _toml(name=name)
        if broken and name in broken:
            text = text.replace("power_kw = 30.0", broken[name])
        paths.append(str(_write(folder, f"{name}.toml", text)))
    return paths


# -- the probes --------------------------------------------------------------------------------
def _bt(root: Path, config: str, out: str, *more: str) -> list[str]:
    return ["backtest", str(root / config), "--out", str(root / out), "--no-report", *more]


def _first_run(root: Path) -> list[str]:
    out = root / "out-reused"
    if not out.exists():
        subprocess.run(
            [*CLI, *_bt(root, "site.toml", "out-reused"), "--no-progress"],
            env=_env(),
            capture_output=True,
            check=False,
        )
    return _bt(root, "site.toml", "out-reused")


def _foreign(root: Path) -> list[str]:
    (root / "foreign").mkdir(exist_ok=True)
    (root / "foreign" / "thesis.tex").write_text("do not delete")
    return _bt(root, "site.toml", "foreign", "--force")


def _prices(unit: str, scale: float) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        import pandas as pd

        index = pd.date_range("2024-03-01", periods=72, freq="1h", tz=TZ)
        price = scale * (30 + 20 * (index.hour >= 16))
        frame = pd.DataFrame({"timestamp": [t.isoformat() for t in index], "lmp": price})
        frame.to_csv(root / f"prices-{unit}.csv", index=False)
        markets = (
            f'\n[markets]\nprices_csv = "prices-{unit}.csv"\nprice_unit = "{unit}"\n'
            'wholesale_energy = true\nwholesale_price_column = "energy_da_usd_per_kwh"\n'
            '[markets.columns]\nlmp = "energy_da_usd_per_kwh"\n'
        )
        path = _write(root, f"prices-{unit}.toml", _toml(extra=markets))
        return ["backtest", str(path), "--out", str(root / f"out-prices-{unit}"), "--no-report"]

    return setup


def _fleet(names: list[str], broken: dict[str, str] | None = None, out: str = "fleet-out"):
    def setup(root: Path) -> list[str]:
        return [
            "fleet",
            *_fleet_configs(root, names, broken),
            "--out",
            str(root / out),
            "--no-report",
            "--workers",
            "1",
        ]

    return setup


def _fleet_duplicate(root: Path) -> list[str]:
    first = _fleet_configs(root, ["dup"])
    other = root / "elsewhere"
    other.mkdir(exist_ok=True)
    shutil.copy(first[0], other / "dup.toml")
    return ["fleet", first[0], str(other / "dup.toml"), "--out", str(root / "fleet-dup")]


EF = ["forecast-eval"]


PROBES: list[Probe] = [
    # 1. infeasible windows: PV beyond what a no-export site absorbs; import limits
    Probe(
        "1 feasibility",
        "no-export site, PV 6x the load (curtailment)",
        _with_files(
            "",
            {"pv6.csv": _site_csv(pv_scale=6.0)},
            _config(
                "noexport",
                csv="pv6.csv",
                battery="power_kw = 30.0\nenergy_kwh = 60.0\nexport_limit_kw = 0.0\n",
            ),
        ),
        expect=(0,),
        bad=False,
    ),
    Probe(
        "1 feasibility",
        "import limit below the load (backtest)",
        _config(
            "importlimit",
            battery="power_kw = 30.0\nenergy_kwh = 60.0\nimport_limit_kw = 20.0\n",
        ),
        expect=(0, 2, 3),
    ),
    Probe(
        "1 feasibility",
        "optimize_dispatch, import limit below the load (library)",
        _library(
            "import pandas as pd\nfrom optimizer import Battery, optimize_dispatch\n"
            "from markets.urdb import tariff_from_urdb\n"
            f"t = tariff_from_urdb({TARIFF!r})\n"
            f"i = pd.date_range('2024-03-01', periods=24, freq='1h', tz='{TZ}')\n"
            "b = Battery(power_kw=10, energy_kwh=20, import_limit_kw=30)\n"
            "optimize_dispatch(battery=b, tariff=t, load_kw=pd.Series(50.0, index=i))\n"
            "print('solved')"
        ),
    ),
    # 2. solver output on stdout
    Probe(
        "2 quiet stdout",
        "backtest stdout has no solver lines, < 40 lines",
        lambda r: _bt(r, "site.toml", "out-quiet"),
        expect=(0,),
        bad=False,
        check=_no_solver_lines,
    ),
    Probe(
        "2 quiet stdout",
        "backtest -q: stdout is the summary, stderr empty",
        lambda r: [*_bt(r, "site.toml", "out-quiet-q"), "-q"],
        expect=(0,),
        bad=False,
        check=lambda out, err: f"stderr: {err.strip()[:80]}" if err.strip() else None,
    ),
    # 3. unusable --out
    Probe("3 --out", "--out is a file", lambda r: _bt(r, "site.toml", "a_file")),
    Probe("3 --out", "--out below a file", lambda r: _bt(r, "site.toml", "a_file/sub")),
    Probe(
        "3 --out",
        "--out cannot be created (/proc)",
        lambda r: ["backtest", str(r / "site.toml"), "--out", "/proc/valuestack-out"],
    ),
    Probe("3 --out", "--out missing", lambda r: ["backtest", str(r / "site.toml")]),
    # 4. reused output folders
    Probe("4 reuse", "earlier results, no --force", _first_run),
    Probe(
        "4 reuse",
        "earlier results, --force (replaced whole)",
        lambda r: [*_first_run(r), "--force"],
        expect=(0,),
        bad=False,
        check=lambda out, err: None,
    ),
    Probe("4 reuse", "a folder of other files, --force", _foreign),
    # 5. fleet
    Probe(
        "5 fleet",
        "one broken config among three (found up front)",
        _fleet(["fa", "fb", "fc"], {"fb": "power_kw = -30.0"}, out="fleet-broken"),
    ),
    Probe("5 fleet", "two configs with the same file name", _fleet_duplicate),
    Probe(
        "5 fleet",
        "a config file that does not exist",
        lambda r: ["fleet", str(r / "nope.toml"), "--out", str(r / "fleet-nope")],
    ),
    Probe(
        "5 fleet",
        "--workers 0",
        lambda r: [
            "fleet",
            str(r / "site.toml"),
            "--out",
            str(r / "fleet-w0"),
            "--workers",
            "0",
        ],
    ),
    Probe(
        "5 fleet",
        "output folder locked by another fleet run",
        lambda r: ["fleet", str(r / "site.toml"), "--out", str(r / "fleet-locked")],
        hold_lock="fleet-locked",
    ),
    Probe(
        "5 fleet",
        "--dask without the scheduler (unreachable address)",
        lambda r: [
            "fleet",
            str(r / "site.toml"),
            "--out",
            str(r / "fleet-dask"),
            "--dask",
            "tcp://127.0.0.1:9",
        ],
        expect=(1, 2),
    ),
    # 6. plausibility
    Probe(
        "6 plausibility",
        "load in W instead of kW (x1000)",
        _with_files(
            "", {"watts.csv": _site_csv(load_scale=1000.0)}, _config("watts", csv="watts.csv")
        ),
    ),
    Probe(
        "6 plausibility",
        "bill: load in W instead of kW",
        _with_files(
            "",
            {"watts_bill.csv": _site_csv(load_scale=1000.0)},
            lambda r: [
                "bill",
                str(r / "tariff.json"),
                str(r / "watts_bill.csv"),
                "--column",
                "load_kw",
                "--tz",
                TZ,
            ],
        ),
    ),
    Probe(
        "6 plausibility",
        "battery of 1e12 kW",
        _config("huge", battery="power_kw = 1e12\nenergy_kwh = 2e12\n"),
    ),
    Probe("6 plausibility", "tariff {} (empty record)", _tariff_probe("empty_tariff", {})),
    Probe(
        "6 plausibility",
        "tariff: a URDB API error payload",
        _tariff_probe(
            "api_error", {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key"}}
        ),
    ),
    Probe(
        "6 plausibility",
        "tariff rates x1000 ($/MWh as $/kWh)",
        _tariff_probe("x1000", _scaled_tariff(1000.0)),
    ),
    Probe(
        "6 plausibility",
        "tariff with a negative energy rate",
        _tariff_probe("negative", _scaled_tariff(-1.0)),
    ),
    Probe(
        "6 plausibility",
        "negative rates with --allow-negative-rates",
        lambda r: [
            *_tariff_probe("negative2", _scaled_tariff(-1.0))(r),
            "--allow-negative-rates",
        ],
        expect=(0,),
        bad=False,
    ),
    Probe(
        "6 plausibility",
        "market prices in $/MWh declared as usd_per_kwh",
        _prices("usd_per_kwh", 1.0),
    ),
    Probe(
        "6 plausibility",
        "market prices in $/MWh declared as usd_per_mwh (right)",
        _prices("usd_per_mwh", 1.0),
        expect=(0,),
        bad=False,
    ),
    Probe(
        "6 plausibility",
        "battery 100 kW / 0.001 kWh (0.00001 h)",
        _config("tiny", battery="power_kw = 100.0\nenergy_kwh = 0.001\n"),
    ),
    # 7. used to end in a traceback
    Probe(
        "7 traceback",
        "non-UTF-8 TOML",
        lambda r: [
            "backtest",
            str(_write(r, "latin1.toml", NOT_UTF8 + _toml().encode())),
            "--out",
            str(r / "o-latin1"),
        ],
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 tariff JSON (bill)",
        lambda r: [
            "bill",
            str(_write(r, "latin1.json", b'{"name": "caf\xe9"}')),
            str(r / "site.csv"),
            "--column",
            "load_kw",
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 CSV (bill)",
        lambda r: [
            "bill",
            str(r / "tariff.json"),
            str(_write(r, "latin1.csv", NOT_UTF8 + _site_csv().encode())),
            "--column",
            "load_kw",
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 CSV (forecast-eval)",
        lambda r: [
            *EF,
            str(_write(r, "latin1b.csv", NOT_UTF8 + _site_csv().encode())),
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 load CSV (backtest)",
        _with_files(
            "",
            {"latin1c.csv": NOT_UTF8 + _site_csv().encode()},
            _config("latin1csv", csv="latin1c.csv"),
        ),
    ),
    Probe(
        "7 traceback",
        "empty CSV (bill)",
        lambda r: ["bill", str(r / "tariff.json"), str(r / "empty.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "header-only CSV (bill)",
        lambda r: ["bill", str(r / "tariff.json"), str(r / "header_only.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "empty CSV (forecast-eval)",
        lambda r: [*EF, str(r / "empty.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "header-only CSV (forecast-eval)",
        lambda r: [*EF, str(r / "header_only.csv"), "--tz", TZ],
    ),
    Probe("7 traceback", "empty load CSV (backtest)", _config("emptycsv", csv="empty.csv")),
    Probe(
        "7 traceback",
        "site.start ambiguous in DST (2024-11-03 01:30)",
        _config("ambiguous", site_extra='start = "2024-11-03 01:30"\n'),
    ),
    Probe(
        "7 traceback",
        "site.start nonexistent in DST (2024-03-10 02:30)",
        _config("nonexistent", site_extra='start = "2024-03-10 02:30"\n'),
    ),
    Probe(
        "7 traceback",
        "site.start not a date",
        _config("notadate", site_extra='start = "yesterday"\n'),
    ),
    Probe(
        "7 traceback",
        "site.end before site.start",
        _config("endfirst", site_extra='start = "2024-03-03"\nend = "2024-03-02"\n'),
    ),
    Probe(
        "7 traceback",
        "forecast-eval --every-h 0",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--every-h", "0"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --every-h -3",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--every-h", "-3"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --horizon-h nan",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--horizon-h", "nan"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --start notadate",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--start", "notadate"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --tz Mars/Olympus",
        lambda r: [*EF, str(r / "site.csv"), "--tz", "Mars/Olympus"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --forecasters bogus",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--forecasters", "bogus"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --column missing",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--column", "nope_kw"],
    ),
    Probe(
        "7 traceback",
        "bill --tz Mars/Olympus",
        lambda r: ["bill", str(r / "tariff.json"), str(r / "site.csv"), "--tz", "Mars/Olympus"],
    ),
    Probe(
        "7 traceback",
        "bill: CSV with a duplicate timestamp",
        lambda r: [
            "bill",
            str(r / "tariff.json"),
            str(_write(r, "dup.csv", _dup_row(_site_csv()))),
            "--column",
            "load_kw",
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "bill: CSV with a NaN reading",
        lambda r: [
            "bill",
            str(r / "tariff.json"),
            str(_write(r, "nan.csv", _site_csv().replace(",40.0", ",nan", 1))),
            "--column",
            "load_kw",
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "bill: tariff file missing",
        lambda r: ["bill", str(r / "nope.json"), str(r / "site.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "bill: tariff not JSON",
        lambda r: [
            "bill",
            str(_write(r, "notjson.json", "{not json")),
            str(r / "site.csv"),
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "Ctrl-C during a backtest (SIGINT)",
        lambda r: _bt(r, "site.toml", "out-ctrl-c"),
        expect=(130,),
        interrupt_after_s=8.0,
    ),
    # configuration errors (the issue found them exemplary; kept as a regression)
    Probe(
        "7 config",
        "unknown key battery.bogus",
        _config_text("unknownkey", lambda t: t.replace("[battery]\n", "[battery]\nbogus = 1\n")),
    ),
    Probe(
        "7 config",
        "battery.energy_kwh = 0",
        _config("zeroenergy", battery="power_kw = 30.0\nenergy_kwh = 0.0\n"),
    ),
    Probe(
        "7 config",
        "battery.power_kw as a string",
        _config("strpower", battery='power_kw = "30"\nenergy_kwh = 60.0\n'),
    ),
    Probe(
        "7 config",
        "soc_min_fraction above soc_max_fraction",
        _config(
            "socorder",
            battery="power_kw = 30.0\nenergy_kwh = 60.0\n"
            "soc_min_fraction = 0.9\nsoc_max_fraction = 0.5\n",
        ),
    ),
    Probe(
        "7 config",
        "site.timezone bogus",
        _config_text("badtz", lambda t: t.replace(TZ, "Mars/Olympus")),
    ),
    Probe(
        "7 config",
        "forecast.load unknown forecaster",
        _config_text(
            "badfc", lambda t: t.replace('load = "seasonal_naive"', 'load = "crystal_ball"')
        ),
    ),
    Probe("7 config", "dispatch.step 7min", _config("step7", extra='step = "7min"\n')),
    Probe(
        "7 config",
        "TOML syntax error",
        lambda r: [
            "backtest",
            str(_write(r, "syntax.toml", "[site\nname = 1\n")),
            "--out",
            str(r / "o-syntax"),
        ],
    ),
    Probe(
        "7 config",
        "config is a folder",
        lambda r: ["backtest", str(r), "--out", str(r / "o-folder")],
    ),
    Probe("7 config", "load CSV missing", _config("missingcsv", csv="nope.csv")),
    Probe(
        "7 config",
        "finance.discount_rate_fraction = 7 (percent as fraction)",
        _config("rate7", extra="\n[finance]\ndiscount_rate_fraction = 7.0\n"),
    ),
    # 8. CLI conveniences
    Probe("8 cli", "--version", ["--version"], expect=(0,), bad=False),
    Probe(
        "8 cli",
        "-v after the subcommand",
        lambda r: [
            "bill",
            str(r / "tariff.json"),
            str(r / "site.csv"),
            "--column",
            "load_kw",
            "--tz",
            TZ,
            "-v",
        ],
        expect=(0,),
        bad=False,
    ),
    Probe("8 cli", "--log-level bogus", ["--log-level", "bogus", "bill", "a", "b"]),
    Probe("8 cli", "no subcommand", []),
    Probe("8 cli", "unknown subcommand", ["simulate"]),
    Probe("8 cli", "unknown option", lambda r: ["backtest", str(r / "site.toml"), "--outt", "x"]),
    Probe(
        "8 cli",
        "backtest --help has no rst markup",
        ["backtest", "--help"],
        expect=(0,),
        bad=False,
        check=lambda out, err: "``" if "``" in out or ":class:" in out else None,
    ),
]


def _dup_row(text: str) -> str:
    lines = text.splitlines()
    return "\n".join([*lines[:5], lines[4], *lines[5:]]) + "\n"


# -- running -----------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _first_line(stdout: str, stderr: str) -> str:
    """The exception of a traceback; else the first stderr line that is not a logged warning;
    else the first line of stdout; else the first warning."""
    err = [line.strip() for line in stderr.splitlines() if line.strip()]
    out = [line.strip() for line in stdout.splitlines() if line.strip()]
    if "Traceback (most recent call last):" in stdout + stderr:
        return (err or out)[-1]
    plain = [line for line in err if not line.startswith("WARNING ")]
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
                command, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            time.sleep(probe.interrupt_after_s)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=120)
            code = process.returncode
        else:
            done = subprocess.run(
                command, env=_env(), capture_output=True, text=True, timeout=600, check=False
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
