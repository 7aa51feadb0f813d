"""Two-settlement energy on ERCOT HB_SOUTH: a day-ahead position and real-time deviations.

Usage::

    python scripts/two_settlement_ercot.py [--data ../shared/data] [--short]

1 MW / 2 MWh at ERCOT HB_SOUTH, 2024-06-01 to 2025-03-27 (REAL DAM and 15-min RTM settlement
point prices), 15-min steps, weekly windows with the SOC carried, every window ending at
>= 50 % SOC. Perfect foresight of each price series (an upper bound).

* DA position: the schedule planned on day-ahead prices (hourly prices held for each quarter
  hour; ERCOT's DAM awards are hourly, so a position that varies within an hour is a
  simplification).
* Follow: delivered = the DA position; no deviation.
* Re-optimise: delivered = the schedule planned on real-time prices (from the same SOC rules),
  its deviation from the DA position settled at RT prices
  (:func:`markets.two_settlement.settle_two`). The total then equals the RT revenue of the
  delivered energy plus ``sum (p_DA - p_RT) q_DA dt``, the DA-RT spread earned on the position.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from markets.loaders import read_ercot_interval_csv  # noqa: E402
from markets.prices import ENERGY_DA, ENERGY_RT, MarketPrices  # noqa: E402
from markets.tariff import Tariff  # noqa: E402
from markets.two_settlement import settle_two  # noqa: E402
from optimizer.battery import Battery  # noqa: E402
from optimizer.model import DispatchModel  # noqa: E402
from optimizer.state import TerminalMode, TerminalSoc  # noqa: E402
from optimizer.streams.wholesale import WholesaleEnergyStream  # noqa: E402

FILE = "markets/ercot_hb_south_2024_2025/interval_analysis_20240601.csv"
BATTERY = Battery(power_kw=1000.0, energy_kwh=2000.0)
TERMINAL = TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.5)
WINDOW_STEPS = 7 * 96


def plan(prices: MarketPrices, column: str) -> pd.Series:
    """Net output [kW] planned on ``column`` in weekly windows, the SOC carried over."""
    stream = WholesaleEnergyStream(price_column=column)
    models: dict[int, DispatchModel] = {}
    soc = 0.5
    parts = []
    for start in range(0, len(prices.index), WINDOW_STEPS):
        window = prices.on(prices.index[start : start + WINDOW_STEPS])
        n = len(window.index)
        if n not in models:
            models[n] = DispatchModel(
                battery=BATTERY,
                tariff=Tariff(name="front of the meter"),
                n_steps=n,
                freq=pd.Timedelta(minutes=15),
                streams=[stream],
            )
        result = models[n].solve(
            load_kw=pd.Series(0.0, index=window.index),
            initial_soc_fraction=soc,
            terminal=TERMINAL,
            stream_inputs={stream.name: window},
        )
        schedule = result.schedule
        parts.append(schedule["discharge_kw"] - schedule["charge_kw"])
        soc = float(schedule["soc_kwh"].iloc[-1]) / BATTERY.energy_kwh
    return pd.concat(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/two_settlement_ercot.py")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--short", action="store_true", help="first 14 days only")
    args = parser.parse_args(argv)
    prices = read_ercot_interval_csv(args.data / FILE, repair_dst=True)
    if args.short:
        prices = prices.on(prices.index[: 14 * 96])
    started = time.perf_counter()
    da_position = plan(prices, ENERGY_DA)
    rt_schedule = plan(prices, ENERGY_RT)
    p_da, p_rt = prices.series(ENERGY_DA), prices.series(ENERGY_RT)
    days = len(prices.index) / 96
    print(f"ERCOT HB_SOUTH, {days:.0f} days, 1 MW / 2 MWh, perfect foresight, weekly windows")
    for label, delivered in (
        ("follow the DA position", da_position),
        ("re-optimise on RT", rt_schedule),
    ):
        r = settle_two(
            da_position_kw=da_position,
            delivered_kw=delivered,
            da_price_usd_per_kwh=p_da,
            rt_price_usd_per_kwh=p_rt,
        )
        per = 1000.0 * days / 365.0
        print(f"  {label:<24} DA {r.da_revenue_usd:>10,.0f} $  RT deviation "
              f"{r.rt_deviation_usd:>10,.0f} $  total {r.total_usd:>10,.0f} $ "
              f"({r.total_usd / per:,.1f} $/kW-yr)")  # fmt: skip
    rt_only = float((p_rt * rt_schedule).sum() * 0.25)
    spread = float(((p_da - p_rt) * da_position).sum() * 0.25)
    print(
        f"  check: RT revenue of the re-optimised delivery {rt_only:,.0f} $ + DA-RT spread on "
        f"the position {spread:,.0f} $ = {rt_only + spread:,.0f} $"
    )
    print(f"  RT-only plan at RT prices (no DA position): {rt_only:,.0f} $; "
          f"wall {time.perf_counter() - started:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
