"""Synthetic site data for forecasting tests (made here, deterministic)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.pv import PVSystemSpec

TZ = "Europe/London"
SPEC = PVSystemSpec(
    latitude_deg=52.2, longitude_deg=0.12, tilt_deg=30.0, dc_capacity_kw=50.0, ac_capacity_kw=45.0
)


def synthetic_site(*, days: int = 56, start: str = "2021-05-03", seed: int = 0) -> pd.DataFrame:
    """Hourly UTC frame: ``load_kw`` (office shape + temperature + noise), ``temp_air_c``,
    ``ghi_w_per_m2`` (a crude bell by day) and ``pv_kw`` (proportional to GHI)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=days * 24, freq="h", tz="UTC")
    local = index.tz_convert(TZ)
    hour = local.hour.to_numpy()
    working = local.day_of_week.to_numpy() < 5
    day_number = np.arange(len(index)) // 24
    temp = 15 + 6 * np.sin(2 * np.pi * (hour - 9) / 24) + 3 * np.sin(day_number / 3.0)
    occupied = working & (hour >= 8) & (hour < 18)
    load = 100 + 80 * occupied + 2.5 * np.maximum(temp - 18, 0) + rng.normal(0, 4, len(index))
    cloud = 0.4 + 0.6 * rng.random(days)[day_number]
    ghi = np.clip(np.sin(np.pi * (hour - 5) / 14), 0, None) * 800 * cloud
    return pd.DataFrame(
        {
            "load_kw": load,
            "temp_air_c": temp,
            "ghi_w_per_m2": ghi,
            "pv_kw": ghi / 1000 * 40.0,
        },
        index=index,
    )
