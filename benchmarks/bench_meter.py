"""Month-to-date timings: the incremental meter against re-billing at every decision.

A year (``--short``: 60 days) of the example office's 15-minute load on PG&E E-19 (the same
series as :mod:`benchmarks.bench_bill`) is metered, and the month-to-date state is asked for at
every local midnight, as a daily-deciding controller would:

- ``meter_s``: :meth:`markets.meter.MonthToDateMeter.record` interval by interval, plus
  ``usage()`` at each midnight;
- ``meter_many_s``: the same with one ``record_many`` call per day;
- ``rebill_s``: :func:`markets.bill.month_to_date` on the series so far at each midnight: the
  month so far without a ratchet, everything since the start with one (as the backtest does);
  at a month's first midnight, the series plus a zero probe of the new month's first interval.

Each row reports the times, ``rebill_over_meter_ratio`` and the largest difference between the
two answers over all midnights (``max_abs_diff``; should be ~1e-10 or less).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from benchmarks.bench_bill import PGE_E19, _loads, _shared_data
from markets.bill import month_to_date
from markets.meter import MonthToDateMeter, MonthToDateUsage
from markets.tariff import DemandRatchet, Tariff


def _flat(usage: MonthToDateUsage) -> np.ndarray:
    return np.array(
        [
            usage.flat_peak_kw,
            usage.ratchet_peak_kw,
            *usage.tou_peak_kw,
            *usage.import_kwh_by_period,
            *usage.export_kwh_by_period,
        ]
    )


def _midnights(index: pd.DatetimeIndex) -> np.ndarray:
    """Positions of the intervals that start a local day (after the first)."""
    day = index.tz_localize(None).normalize().as_unit("ns").asi8
    return np.flatnonzero(day[1:] != day[:-1]) + 1


def _by_meter(tariff: Tariff, load: pd.Series, many: bool) -> tuple[float, list]:
    index, values = load.index, load.to_numpy()
    days = _midnights(index)
    stamps = list(index)
    started = time.perf_counter()
    meter = MonthToDateMeter(tariff, step=index[1] - index[0])
    answers = []
    begin = 0
    for end in days:
        if many:
            meter.record_many(index[begin:end], values[begin:end])
        else:
            for i in range(begin, end):
                meter.record(stamps[i], values[i])
        answers.append(meter.usage())
        begin = end
    return time.perf_counter() - started, answers


def _by_rebilling(tariff: Tariff, load: pd.Series) -> tuple[float, list]:
    index, values = load.index, load.to_numpy()
    month = index.year * 12 + index.month
    started = time.perf_counter()
    answers = []
    for end in _midnights(index):
        first = 0 if tariff.ratchet is not None else int(np.searchsorted(month, month[end - 1]))
        if month[end] != month[end - 1]:  # nothing metered yet this month: a zero probe
            probe = np.append(values[first:end], 0.0)
            answers.append(month_to_date(tariff, pd.Series(probe, index=index[first : end + 1])))
        else:
            answers.append(month_to_date(tariff, load.iloc[first:end]))
    return time.perf_counter() - started, answers


def run(short: bool) -> list[dict]:
    """Time a year of month-to-date answers by meter and by re-billing; one row per tariff."""
    e19 = Tariff.from_urdb(_shared_data() / PGE_E19)
    ratchet = DemandRatchet(lookback_fraction=0.75, lookback_range_months=11)
    load = _loads()["15min"]
    if short:
        load = load.iloc[: 60 * 96]
    rows = []
    for case, tariff in (
        ("pge_e19", e19),
        ("pge_e19_ratchet", dataclasses.replace(e19, ratchet=ratchet)),
    ):
        meter_s, by_meter = _by_meter(tariff, load, many=False)
        many_s, by_many = _by_meter(tariff, load, many=True)
        rebill_s, by_rebill = _by_rebilling(tariff, load)
        diff = max(
            float(np.max(np.abs(_flat(a) - _flat(b))))
            for a, b in zip(by_meter + by_many, by_rebill + by_rebill, strict=True)
        )
        rows.append(
            {
                "suite": "meter",
                "case": f"{case}_{len(load) // 96}d_15min",
                "midnights": len(by_meter),
                "meter_s": meter_s,
                "meter_many_s": many_s,
                "rebill_s": rebill_s,
                "rebill_over_meter_ratio": rebill_s / meter_s,
                "rebill_over_meter_many_ratio": rebill_s / many_s,
                "meter_us_per_interval": meter_s / len(load) * 1e6,
                "max_abs_diff": diff,
            }
        )
    return rows
