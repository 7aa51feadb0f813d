"""Small synthetic sites for the simulator's tests, written as real files (CSV, URDB JSON, TOML)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

TZ = "America/Los_Angeles"

# A small URDB record: off-peak 0.10 $/kWh, on-peak 16:00-21:00 every day 0.30 $/kWh,
# flat demand 10 $/kW per month, no fixed charge, exports earn nothing.
ON_PEAK_HOURS = range(16, 21)
OFF_PEAK_USD_PER_KWH = 0.10
ON_PEAK_USD_PER_KWH = 0.30
FLAT_DEMAND_USD_PER_KW = 10.0


def urdb_record() -> dict:
    row = [1 if h in ON_PEAK_HOURS else 0 for h in range(24)]
    return {
        "name": "test TOU + flat demand",
        "energyratestructure": [
            [{"rate": OFF_PEAK_USD_PER_KWH, "unit": "kWh"}],
            [{"rate": ON_PEAK_USD_PER_KWH, "unit": "kWh"}],
        ],
        "energyweekdayschedule": [row] * 12,
        "energyweekendschedule": [row] * 12,
        "flatdemandstructure": [[{"rate": FLAT_DEMAND_USD_PER_KW}]],
        "flatdemandmonths": [0] * 12,
        "flatdemandunit": "kW",
    }


def office_load(index: pd.DatetimeIndex, seed: int = 0) -> np.ndarray:
    """A daytime-peaking load [kW] with a little noise (deterministic)."""
    rng = np.random.default_rng(seed)
    hour = index.hour + index.minute / 60
    base = 40 + 60 * np.exp(-(((hour - 17) / 3.0) ** 2))
    return np.round(base + rng.normal(0, 3, len(index)).clip(-8, 8), 3)


def pv_profile(index: pd.DatetimeIndex) -> np.ndarray:
    hour = index.hour + index.minute / 60
    return np.round(np.clip(30 * np.sin(np.pi * (hour - 6) / 12), 0, None), 3)


def write_site(
    folder: Path,
    *,
    name: str = "site",
    start: str = "2024-03-01",
    days: int = 4,
    freq: str = "1h",
    with_pv: bool = True,
    seed: int = 0,
    battery: str = "power_kw = 30.0\nenergy_kwh = 60.0\n",
    forecast: str = 'load = "perfect"\npv = "perfect"\n',
    dispatch: str = 'cadence = "daily"\nlookahead_h = 48\n',
    extra: str = "",
) -> Path:
    """Write a site's CSV, tariff and TOML into ``folder``; return the TOML path."""
    folder.mkdir(parents=True, exist_ok=True)
    index = pd.date_range(
        start, periods=int(days * pd.Timedelta(days=1) / pd.Timedelta(freq)), freq=freq, tz=TZ
    )
    frame = pd.DataFrame(
        {
            "timestamp": [t.isoformat() for t in index],
            "load_kw": office_load(index, seed),
            "pv_kw": pv_profile(index),
        }
    )
    frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "tariff.json").write_text(json.dumps(urdb_record()))
    pv_lines = f'pv_csv = "{name}.csv"\n' if with_pv else ""
    text = (
        f'[site]\nname = "{name}"\ntimezone = "{TZ}"\nload_csv = "{name}.csv"\n{pv_lines}'
        f'\n[tariff]\nurdb_json = "tariff.json"\n'
        f"\n[battery]\n{battery}"
        f"\n[forecast]\n{forecast}"
        f"\n[dispatch]\n{dispatch}"
        f"{extra}"
    )
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path
