"""Bill engine timings: a year of net load on PG&E E-19 at 60, 15 and 5 minutes.

Each row times the vectorized engine (:func:`markets.bill.compute_bill`, best of several
runs) and the per-interval loop reference (:func:`tests.oracles.bill_reference.bill_by_loop`) on the
same bill, reports their ratio and checks that the two totals agree. The load is the example
office's 2023 load (``examples/office_load.csv``) placed on a Pacific-time 2023 calendar year at each step: hourly means, the
15-minute data, and each 15-minute value held for three 5-minute steps. PG&E E-19 (TOU
energy, TOU demand, flat demand, $/day fixed charge) is read from the shared data folder
(``../shared/data`` or ``$VALUESTACK_SHARED_DATA``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from markets.bill import compute_bill
from markets.tariff import Tariff
from tests.oracles.bill_reference import bill_by_loop

ROOT = Path(__file__).resolve().parents[1]
PGE_E19 = "reopt/urdb/pge_e19_secondary_5cef0a415457a33576f60fe2.json"


def _shared_data() -> Path:
    override = os.environ.get("VALUESTACK_SHARED_DATA")
    return Path(override) if override else ROOT.parent / "shared" / "data"


def _loads() -> dict[str, pd.Series]:
    frame = pd.read_csv(ROOT / "examples" / "office_load.csv")
    # the office's 2023 profile on a Pacific-time calendar year (same 35,040 steps)
    index = pd.date_range("2023-01-01", periods=len(frame), freq="15min", tz="America/Los_Angeles")
    quarter = pd.Series(frame["load_kw"].to_numpy(dtype=float), index=index, name="load_kw")
    hourly = quarter.groupby(np.arange(len(quarter)) // 4).mean()
    hourly.index = quarter.index[::4]
    five = pd.Series(
        np.repeat(quarter.to_numpy(), 3),
        index=pd.date_range(quarter.index[0], periods=3 * len(quarter), freq="5min"),
    )
    return {"60min": hourly, "15min": quarter, "5min": five}


def _best_of(func, repeat: int) -> tuple[float, object]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(short: bool) -> list[dict]:
    """Time the bill of a year at three steps; one row per step."""
    tariff = Tariff.from_urdb(_shared_data() / PGE_E19)
    rows = []
    for case, load in _loads().items():
        vector_s, bill = _best_of(lambda load=load: compute_bill(tariff, load), 3 if short else 7)
        loop_s, reference = _best_of(lambda load=load: bill_by_loop(tariff, load), 1)
        rows.append(
            {
                "suite": "bill",
                "case": f"pge_e19_year_{case}",
                "steps": len(load),
                "vectorized_s": vector_s,
                "loop_s": loop_s,
                "loop_over_vectorized_ratio": loop_s / vector_s,
                "total_usd": bill.total_usd,
                "total_abs_diff_usd": abs(bill.total_usd - float(reference["total_usd"].sum())),
            }
        )
    return rows
