"""Behind-the-meter stack: a C&I site on PG&E E-19 with and without CAISO regulation and reserves.

Usage::

    python scripts/btm_stack.py [--data ../shared/data] [--out out/btm_stack] [--short]

Site: the DOE reference medium office in San Francisco (``sims.reference.DOE_SITES``, REAL
PG&E E-19 secondary URDB record), its 2017 hourly load put on calendar 2023 (2017 and 2023
share every weekday and both DST dates: the instants are moved by exactly 313 weeks), because
the REAL CAISO day-ahead AS prices start in 2023 (``markets/caiso_as_da_2023_2025``; summed
over AS regions, see its README). Battery: 25 % of the annual peak (rounded to 5 kW), 2 h,
SOC window 10-100 %. Dispatch: the backtest (daily plan at midnight over 48 h, 1-h steps) with
PERFECT FORESIGHT of the load and of the day-ahead AS prices: an upper bound for every case,
the same bound for all three, so the comparison between them is fair.

Runs (all billed by the same bill engine on the full E-19 tariff):

``retail only``
    Bill savings alone (TOU energy and demand charges).
``retail + markets``
    The same plus CAISO Reg Up, Reg Down, Spin, Non-Spin (CAISO preset) under the existing
    behind-the-meter rules (:mod:`optimizer.streams.capacity`: headroom and energy shared with
    the retail streams; every demand charge sees the meter with the down awards fully deployed;
    the expected deployed energy, 0.1 kWh per kW-h of regulation award each way, passes through
    the retail meter and is billed at the retail rate, not at a wholesale price).
``markets first``
    The battery planned on the market products against the E-19 ENERGY charges only (demand
    charges removed from the planning tariff), then billed on the full tariff: what the
    markets earn when they need not share the battery with demand-charge management.

What each loses to the other: retail savings lost = retail only - retail + markets (bill
savings); market revenue lost = markets first - retail + markets (market revenue).
Regulation is not deployed in the plant here (see ``scripts/market_deployment.py``); awards
are paid in full where the plant could honour them (``sims.markets.settle_markets``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.series import read_csv_frame  # noqa: E402
from markets.bill import DEMAND_COLUMNS  # noqa: E402
from sims.backtest import run_backtest  # noqa: E402
from sims.config import load_config  # noqa: E402
from sims.reference import DOE_SITES, write_series_csv  # noqa: E402
from sims.settlement import settle  # noqa: E402
from sims.sitedata import load_site_data  # noqa: E402

SITE = next(s for s in DOE_SITES if s.name == "sf_medium_office")
SHIFT = pd.Timedelta(weeks=313)  # 2017-01-01 -> 2023-01-01, same weekday
AS_FILE = "markets/caiso_as_da_2023_2025/caiso_dam_as_prices_hourly_2023_2025.csv"
DEMAND_KEYS = (
    "demandratestructure",
    "demandweekdayschedule",
    "demandweekendschedule",
    "flatdemandstructure",
    "flatdemandmonths",
    "demandattrs",
)
MARKETS = """
[markets]
prices_csv = "prices.csv"
time_column = "interval_start_utc"
price_unit = "usd_per_mwh"
iso = "CAISO"
products = ["reg_up", "reg_down", "spin", "nonspin"]

[markets.columns]
reg_up = "reg_up_usd_per_kw_h"
reg_down = "reg_down_usd_per_kw_h"
spin = "spin_usd_per_kw_h"
nonspin = "nonspin_usd_per_kw_h"
reg_mileage_up = "reg_up_mileage_usd_per_kw"
reg_mileage_down = "reg_down_mileage_usd_per_kw"

[markets.assumptions]
deployed_energy_price_column = "none"
"""


def write_inputs(data: Path, out: Path, *, days: int | None) -> tuple[dict[str, Path], float]:
    """Load, prices, tariffs and the three TOML files; returns the TOMLs and the battery kW."""
    out.mkdir(parents=True, exist_ok=True)
    load = SITE.read_load(data)
    load.index = (load.index.tz_convert("UTC") + SHIFT).tz_convert(SITE.timezone)
    power = max(5.0, round(0.25 * float(load.max()) / 5.0) * 5.0)
    if days is not None:
        load = load.iloc[: 24 * days]
    write_series_csv(load.to_frame(), out / "load.csv")
    prices = read_csv_frame(data / AS_FILE, field="caiso_as_csv")
    stamps = pd.to_datetime(prices["interval_start_utc"], utc=True)
    keep = (stamps >= pd.Timestamp("2022-12-31", tz="UTC")) & (
        stamps < pd.Timestamp("2024-01-08", tz="UTC")
    )
    prices[keep].to_csv(out / "prices.csv", index=False)
    urdb = json.loads((data / "reopt" / "urdb" / SITE.tariff_file).read_text())
    (out / "e19.json").write_text(json.dumps(urdb))
    energy_only = {k: v for k, v in urdb.items() if k not in DEMAND_KEYS}
    (out / "e19_energy_only.json").write_text(json.dumps(energy_only))
    base = f"""[site]
name = "{{name}}"
timezone = "{SITE.timezone}"
load_csv = "load.csv"

[tariff]
urdb_json = "{{tariff}}"
holiday_country = "US"

[battery]
power_kw = {power}
energy_kwh = {2 * power}
soc_min_fraction = 0.1
initial_soc_fraction = 0.5

[forecast]
load = "perfect"

[dispatch]
step = "1h"
cadence = "daily"
lookahead_h = 48
"""
    configs = {}
    for name, tariff, markets in (
        ("retail_only", "e19.json", ""),
        ("retail_markets", "e19.json", MARKETS),
        ("markets_first", "e19_energy_only.json", MARKETS),
    ):
        path = out / f"{name}.toml"
        path.write_text(base.format(name=name, tariff=tariff) + markets)
        configs[name] = path
    return configs, power


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/btm_stack.py")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "btm_stack")
    parser.add_argument("--short", action="store_true", help="first 14 days only")
    args = parser.parse_args(argv)
    configs, power = write_inputs(args.data, args.out, days=14 if args.short else None)
    full_tariff = load_site_data(load_config(configs["retail_only"])).tariff
    rows = {}
    for name, path in configs.items():
        started = time.perf_counter()
        config = load_config(path)
        result = run_backtest(config, progress=False)
        s = result.summary
        bill = settle(intervals=result.intervals, tariff=full_tariff, battery=config.battery)
        savings = bill.savings_by_stream_usd
        rows[name] = {
            "bill_savings_usd": float(sum(savings.values())),
            "energy_savings_usd": savings["energy"],
            "demand_savings_usd": sum(savings[c.removesuffix("_usd")] for c in DEMAND_COLUMNS),
            "market_revenue_usd": s.market_revenue_usd,
            **{f"{k}_usd": v for k, v in s.savings_by_stream_usd.items() if k.startswith("market_")},
            "total_usd": float(sum(savings.values())) + s.market_revenue_usd,
            "cycles": s.cycles,
            "baseline_bill_usd": float(bill.baseline_bill.monthly["total_usd"].sum()),
            "wall_s": time.perf_counter() - started,
        }  # fmt: skip
    table = pd.DataFrame(rows)
    print(f"SF medium office, PG&E E-19, battery {power:g} kW / {2 * power:g} kWh, "
          "perfect foresight of load and DA AS prices (CAISO 2023)")  # fmt: skip
    with pd.option_context("display.width", 200, "display.float_format", "{:,.1f}".format):
        print(table.to_string())
    r, m, f = rows["retail_only"], rows["retail_markets"], rows["markets_first"]
    print(f"retail savings lost to markets: {r['bill_savings_usd'] - m['bill_savings_usd']:,.0f} $")
    print(
        f"market revenue lost to retail:  {f['market_revenue_usd'] - m['market_revenue_usd']:,.0f} $"
    )
    print(f"stack gain over retail only:    {m['total_usd'] - r['total_usd']:,.0f} $")
    table.to_csv(args.out / "btm_stack.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
