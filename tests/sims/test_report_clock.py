"""The interactive interval view reads the site's local clock, daylight saving time included.

The interval tables here are built by hand on UTC instants, each load equal to its UTC hour, so
where a value lands on the axis is known without the report: 14:00 PDT is 21:00 UTC.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from sims.report_interactive import interval_figure

TZ = "America/Los_Angeles"


def _result(start_utc: str, hours: int) -> SimpleNamespace:
    """A stand-in for a BacktestResult: hourly intervals, the load equal to the UTC hour."""
    index = pd.date_range(start_utc, periods=hours, freq="1h", tz="UTC").tz_convert(TZ)
    utc_hour = index.tz_convert("UTC").hour.to_numpy(dtype=float)
    zeros = np.zeros(hours)
    intervals = pd.DataFrame(
        {
            "load_kw": utc_hour,
            "pv_kw": zeros,
            "baseline_grid_kw": utc_hour,
            "grid_kw": utc_hour,
            "charge_kw": zeros,
            "discharge_kw": zeros,
            "soc_end_kwh": zeros,
        },
        index=index,
    )
    return SimpleNamespace(intervals=intervals, summary=SimpleNamespace(site="clock"))


def _load_at(fig, label: str) -> list[float]:
    load = next(trace for trace in fig.data if trace.name == "load")
    return [float(y) for x, y in zip(load.x, load.y, strict=True) if x == label]


def test_a_summer_interval_appears_at_its_clock_hour():
    # 2024-07-15 00:00 UTC = 2024-07-14 17:00 PDT (UTC-07:00); two days hourly
    fig = interval_figure(_result("2024-07-15 00:00", 48))
    # 14:00 PDT on 15 July is 21:00 UTC: the load there is 21 (standard time would put 20)
    assert _load_at(fig, "2024-07-15 14:00") == [21.0]
    assert _load_at(fig, "2024-07-14 17:00") == [0.0]  # the first interval, 00:00 UTC
    assert "daylight saving time included" in fig.layout.xaxis.title.text


def test_dst_days_skip_and_repeat_their_clock_hour():
    # spring, 10 Mar 2024: 02:00-03:00 PST never happens; 10:00 UTC is 03:00 PDT
    spring = interval_figure(_result("2024-03-10 06:00", 6))  # 22:00 PST on 9 Mar ...
    assert _load_at(spring, "2024-03-10 02:00") == []
    assert _load_at(spring, "2024-03-10 01:00") == [9.0] and _load_at(
        spring, "2024-03-10 03:00"
    ) == [10.0]
    # autumn, 3 Nov 2024: 01:00 happens twice, 08:00 UTC (PDT) then 09:00 UTC (PST), with a
    # gap (NaN) between so the line never runs back in time
    autumn = interval_figure(_result("2024-11-03 06:00", 6))
    repeated = _load_at(autumn, "2024-11-03 01:00")
    assert repeated[0] == 8.0 and np.isnan(repeated[1]) and repeated[2] == 9.0
    load = next(trace for trace in autumn.data if trace.name == "load")
    assert len(load.x) == 6 + 1  # six intervals and one gap
