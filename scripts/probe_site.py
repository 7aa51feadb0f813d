"""The synthetic site and the setup helpers of the bad-input probes (scripts/probe_inputs.py).

A probe's ``argv`` is a list, or a function of the probe folder that writes what the probe needs
(a TOML variant, a CSV, a tariff) and returns the command line's arguments.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

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
    interrupt_after_s: float | None = None  # SIGINT this long after --out appears
    hold_lock: str | None = None


# -- the synthetic site ----------------------------------------------------------------------
def bill_argv(tariff: object, load_csv: object, *extra: str, tz: str = TZ) -> list[str]:
    """``valuestack bill`` arguments: the tariff, the load CSV's ``load_kw`` column, the zone."""
    return ["bill", str(tariff), str(load_csv), "--column", "load_kw", "--tz", tz, *extra]


def site_csv(days: int = 3, *, load_scale: float = 1.0, pv_scale: float = 1.0) -> str:
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


def toml(
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
    (root / "site.csv").write_text(site_csv())
    (root / "tariff.json").write_text(json.dumps(TARIFF))
    (root / "site.toml").write_text(toml())
    (root / "empty.csv").write_text("")
    (root / "header_only.csv").write_text("timestamp,load_kw\n")
    (root / "a_file").write_text("not a folder")


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def config(name: str, **kwargs) -> Callable[[Path], list[str]]:
    """A probe that writes a variant of the site's TOML and runs ``backtest`` on it."""

    def setup(root: Path) -> list[str]:
        path = write(root, f"{name}.toml", toml(**kwargs))
        return ["backtest", str(path), "--out", str(root / f"out-{name}"), "--no-report"]

    return setup


def config_text(name: str, edit: Callable[[str], str]) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        path = write(root, f"{name}.toml", edit(toml()))
        return ["backtest", str(path), "--out", str(root / f"out-{name}"), "--no-report"]

    return setup


def with_files(
    name: str, files: dict[str, str | bytes], argv: Callable[[Path], list[str]]
) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        for file_name, text in files.items():
            write(root, file_name, text)
        return argv(root)

    return setup


def tariff_probe(name: str, record: object) -> Callable[[Path], list[str]]:
    text = record if isinstance(record, (str, bytes)) else json.dumps(record)

    def setup(root: Path) -> list[str]:
        path = write(root, f"{name}.json", text)
        return ["bill", str(path), str(root / "site.csv"), "--column", "load_kw", "--tz", TZ]

    return setup


def scaled_tariff(factor: float) -> dict:
    record = json.loads(json.dumps(TARIFF))
    for period in record["energyratestructure"]:
        for tier in period:
            tier["rate"] *= factor
    return record


def library(code: str) -> list[str]:
    """A library snippet: a ValuestackError prints its message and exits 2."""
    wrapper = (
        "import sys\nfrom core.errors import ValuestackError\n"
        "try:\n" + "".join(f"    {line}\n" for line in code.strip().splitlines()) + ""
        "except ValuestackError as exc:\n    print(exc, file=sys.stderr); sys.exit(2)\n"
    )
    return ["@python", wrapper]


def no_solver_lines(stdout: str, stderr: str) -> str | None:
    lines = stdout.splitlines()
    noisy = [line for line in lines if "highs" in line.lower() or "changeCoeff" in line]
    if noisy:
        return f"{len(noisy)} solver lines on stdout"
    if len(lines) >= 40:
        return f"{len(lines)} stdout lines (>= 40)"
    return None


def fleet_configs(root: Path, names: list[str], broken: dict[str, str] | None = None) -> list[str]:
    paths = []
    for name in names:
        folder = root / f"fleet-{name}"
        folder.mkdir(exist_ok=True)
        shutil.copy(root / "site.csv", folder / "site.csv")
        shutil.copy(root / "tariff.json", folder / "tariff.json")
        text = toml(name=name)
        if broken and name in broken:
            text = text.replace("power_kw = 30.0", broken[name])
        paths.append(str(write(folder, f"{name}.toml", text)))
    return paths


# -- the probes --------------------------------------------------------------------------------
def bt(root: Path, config: str, out: str, *more: str) -> list[str]:
    return ["backtest", str(root / config), "--out", str(root / out), "--no-report", *more]


def first_run(root: Path) -> list[str]:
    out = root / "out-reused"
    if not out.exists():
        subprocess.run(
            [*CLI, *bt(root, "site.toml", "out-reused"), "--no-progress"],
            env=env(),
            capture_output=True,
            check=False,
        )
    return bt(root, "site.toml", "out-reused")


def foreign(root: Path) -> list[str]:
    (root / "foreign").mkdir(exist_ok=True)
    (root / "foreign" / "thesis.tex").write_text("do not delete")
    return bt(root, "site.toml", "foreign", "--force")


def prices(unit: str, scale: float) -> Callable[[Path], list[str]]:
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
        path = write(root, f"prices-{unit}.toml", toml(extra=markets))
        return ["backtest", str(path), "--out", str(root / f"out-prices-{unit}"), "--no-report"]

    return setup


def fleet(names: list[str], broken: dict[str, str] | None = None, out: str = "fleet-out"):
    def setup(root: Path) -> list[str]:
        return [
            "fleet",
            *fleet_configs(root, names, broken),
            "--out",
            str(root / out),
            "--no-report",
            "--workers",
            "1",
        ]

    return setup


def fleet_duplicate(root: Path) -> list[str]:
    first = fleet_configs(root, ["dup"])
    other = root / "elsewhere"
    other.mkdir(exist_ok=True)
    shutil.copy(first[0], other / "dup.toml")
    return ["fleet", first[0], str(other / "dup.toml"), "--out", str(root / "fleet-dup")]


EF = ["forecast-eval"]


def dup_row(text: str) -> str:
    lines = text.splitlines()
    return "\n".join([*lines[:5], lines[4], *lines[5:]]) + "\n"


def env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env
