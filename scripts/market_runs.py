"""Year-long market runs on the real data: revenue by stream, $/kW-yr, cycles and solve time.

Usage::

    python scripts/market_runs.py [--data ../shared/data] [--only caiso dervet ercot spp]
        [--years 2023 2024 2025] [--modes pf_weekly pf_daily forecast_daily] [--short]
        [--reg-cap-kw X] [--out out/market_runs] [--days N]

``caiso`` (the default)
    CAISO 2023, 2024, 2025 from ``markets/caiso_as_da_2023_2025`` (real DA LMP at TH_SP15 and
    real DA ancillary prices), 1 MW / 4 MWh, DA energy + reg up/down + spin + non-spin, in three
    modes (perfect foresight in weekly and in daily windows; daily plans on the previous day's
    prices settled on actual prices): see ``scripts/caiso_year.py``. ``--short`` runs three
    weeks of each year (15 Jan - 5 Feb). Results: ``<out>/caiso_results.csv`` and ``.md``, and
    the skipped (unpriced) intervals of each case in ``<out>/skipped_<case>.csv``, and the
    monthly four-hour top-bottom DA spread at TH_SP15 (``<out>/tb4_spread_<year>.csv``, an
    independent yardstick of the energy revenue). ``--reg-cap-kw X`` caps the regulation up
    and down awards at X kW (market volume, :mod:`markets.volume_caps`); ``--energy-only``
    runs DA energy arbitrage alone (to compare with the spread and with published arbitrage
    revenues).

Other runs (perfect foresight, one solve per case over the whole period, front of the meter):

``dervet``
    EPRI DER-VET example year 2017 (hourly), 1 MW / 4 MWh: (a) day-ahead energy + regulation
    up/down; (b) the same plus spinning and non-spinning reserve priced by the assumption
    below (the file's own SR/NSR prices are zero).
``ercot``
    ERCOT HB_SOUTH, 2024-06-01 to 2025-03-27 (300 days, 15 min), 1 MW / 2 MWh: energy
    arbitrage at the day-ahead price, and separately at the real-time price.
``spp``
    SPP day-ahead ancillary clearing prices, reserve zone 1, Feb-Mar 2022 (hourly),
    1 MW / 2 MWh: Reg-Up, Reg-Down, Spin, Supp. The data hold no SPP energy prices, so energy
    is bought and sold at a flat assumed price (no arbitrage value; it only prices losses and
    deployed energy).

Assumptions (also printed): regulation deploys 10% of the award's energy per hour each way
(``deployed_energy_fraction=0.1``) settled at the energy price of the run; contingency
reserves deploy no expected energy; DER-VET reserve prices: spinning = 0.5 x the file's
regulation-up price, non-spinning = 0.1 x it (a ratio assumption in the range of CAISO's
published annual averages, not data); DER-VET regulation and reserves must be sustainable for
1 h (CAISO day-ahead rule) and spinning / non-spinning for 30 min; the SPP flat energy price is
$30/MWh; all runs start and must end at 50% SOC.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from caiso_year import CaisoCase, run_case, top_bottom_spread  # noqa: E402

from markets.iso_files import read_caiso_da_market  # noqa: E402
from markets.iso_presets import spp  # noqa: E402
from markets.loaders import read_dervet_hourly, read_ercot_interval_csv, read_spp_da_mcp_csv  # noqa: E402
from markets.prices import ENERGY_DA, ENERGY_RT, MarketPrices  # noqa: E402
from markets.products import Direction, Product  # noqa: E402
from markets.tariff import Tariff  # noqa: E402
from optimizer.battery import Battery  # noqa: E402
from optimizer.model import DispatchModel  # noqa: E402
from optimizer.state import TerminalMode, TerminalSoc  # noqa: E402
from optimizer.streams.capacity import CapacityStream  # noqa: E402
from optimizer.streams.wholesale import WholesaleEnergyStream  # noqa: E402

FOM_TARIFF = Tariff(name="front of the meter (no retail charges)")
TERMINAL = TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.5)
SPP_ENERGY_USD_PER_KWH = 0.030
DERVET_SPIN_RATIO = 0.5
DERVET_NONSPIN_RATIO = 0.1
REG_FRACTION = 0.1


def _row(label, battery, prices, values, objective, sched, build_s, solve_s, wall, note):
    discharged_kwh = float(sched["discharge_kw"].sum() * prices.dt_h)
    return {
        "case": label,
        "steps": len(prices.index),
        "days": len(prices.index) * prices.dt_h / 24,
        **{f"{k}_usd": -v for k, v in values.items()},
        "total_usd": -objective,
        "cycles": discharged_kwh / battery.energy_kwh,
        "build_s": build_s,
        "solve_s": solve_s,
        "wall_s": wall,
        "method": note,
    }


def _solve(battery, prices, streams, label, *, relax=False):
    """Build once, solve the whole period once; return a row of revenue by stream and timings."""
    index = prices.index
    started = time.perf_counter()
    model = DispatchModel(
        battery=battery,
        tariff=FOM_TARIFF,
        n_steps=len(index),
        freq=pd.Timedelta(hours=prices.dt_h),
        streams=streams,
        relax_binaries=relax,
    )
    result = model.solve(
        load_kw=pd.Series(0.0, index=index),
        initial_soc_fraction=0.5,
        terminal=TERMINAL,
        stream_inputs={s.name: prices for s in streams},
    )
    wall = time.perf_counter() - started
    if relax:
        note = "LP relaxation (upper bound on revenue)"
    elif result.solver.relaxation_was_integral:
        note = "one MILP solve (LP relaxation integral)"
    else:
        note = f"one MILP solve (gap {result.solver.mip_gap:.1e})"
    return _row(
        label, battery, prices, result.value_by_stream_usd, result.objective_usd,
        result.schedule, model.build_s, result.solver.solve_s, wall, note,
    )  # fmt: skip


def _solve_windows(battery, prices, streams, label, *, window_days):
    """One model of ``window_days``, re-solved window after window with the SOC carried over.

    Every window must end at or above 50 % SOC (as the whole period must), so the result is a
    feasible schedule for the whole period and a lower bound on its optimum revenue.
    """
    steps = int(round(window_days * 24 / prices.dt_h))
    n = len(prices.index)
    started = time.perf_counter()
    models: dict[int, DispatchModel] = {}
    values: dict[str, float] = {}
    schedules = []
    soc = 0.5
    solve_s = 0.0
    build_s = 0.0
    starts = list(range(0, n, steps))
    for start in starts:
        window = prices.on(prices.index[start : start + steps])
        length = len(window.index)
        if length not in models:  # one model per window length (the last may be shorter)
            models[length] = DispatchModel(
                battery=battery,
                tariff=FOM_TARIFF,
                n_steps=length,
                freq=pd.Timedelta(hours=prices.dt_h),
                streams=streams,
            )
            build_s += models[length].build_s
        result = models[length].solve(
            load_kw=pd.Series(0.0, index=window.index),
            initial_soc_fraction=soc,
            terminal=TERMINAL,
            stream_inputs={s.name: window for s in streams},
        )
        for key, value in result.value_by_stream_usd.items():
            values[key] = values.get(key, 0.0) + value
        schedules.append(result.schedule)
        soc = float(result.schedule["soc_kwh"].iloc[-1]) / battery.energy_kwh
        soc = min(max(soc, battery.soc_min_fraction), battery.soc_max_fraction)
        solve_s += result.solver.solve_s
    wall = time.perf_counter() - started
    sched = pd.concat(schedules)
    return _row(
        label, battery, prices.on(sched.index), values, sum(values.values()), sched,
        build_s, solve_s, wall, f"{len(starts)} windows of {window_days} d, SOC carried",
    )  # fmt: skip


def _regulation(price_energy: str, duration_h: float) -> tuple[Product, Product]:
    common = dict(
        duration_h=duration_h,
        deployed_energy_fraction=REG_FRACTION,
        deployed_energy_price_column=price_energy,
        rule_source="DER-VET example year; 1 h (CAISO DA rule); deployed fraction ASSUMPTION",
    )
    return (
        Product(
            name="reg_up", direction=Direction.UP, price_column="reg_up_usd_per_kw_h", **common
        ),
        Product(
            name="reg_down",
            direction=Direction.DOWN,
            price_column="reg_down_usd_per_kw_h",
            **common,
        ),
    )


def run_dervet(data: Path, days: int | None) -> list[dict]:
    year = read_dervet_hourly(data / "dervet" / "hourly_timeseries.csv", tz="Etc/GMT+8")
    prices = year.prices
    if days:
        prices = prices.on(prices.index[: days * 24])
    battery = Battery(power_kw=1000, energy_kwh=4000)
    reg_up, reg_down = _regulation(ENERGY_DA, 1.0)
    rows = [
        _solve(
            battery,
            prices,
            [
                WholesaleEnergyStream(price_column=ENERGY_DA),
                CapacityStream(reg_up),
                CapacityStream(reg_down),
            ],
            "dervet energy+reg",
        )
    ]
    frame = prices.frame.copy()
    frame["spin_usd_per_kw_h"] = DERVET_SPIN_RATIO * frame["reg_up_usd_per_kw_h"]
    frame["nonspin_usd_per_kw_h"] = DERVET_NONSPIN_RATIO * frame["reg_up_usd_per_kw_h"]
    with_reserves = MarketPrices(frame=frame)
    reserve = dict(deployed_energy_fraction=0.0, rule_source="priced by ASSUMPTION; 30 min (CAISO)")
    spin = Product(
        name="spin",
        direction=Direction.UP,
        price_column="spin_usd_per_kw_h",
        duration_h=0.5,
        **reserve,
    )
    nonspin = Product(
        name="nonspin",
        direction=Direction.UP,
        price_column="nonspin_usd_per_kw_h",
        duration_h=0.5,
        **reserve,
    )
    rows.append(
        _solve(
            battery,
            with_reserves,
            [
                WholesaleEnergyStream(price_column=ENERGY_DA),
                CapacityStream(reg_up),
                CapacityStream(reg_down),
                CapacityStream(spin),
                CapacityStream(nonspin),
            ],
            "dervet energy+reg+reserves",
        )
    )
    return rows


def run_ercot(data: Path, days: int | None) -> list[dict]:
    path = data / "markets" / "ercot_hb_south_2024_2025" / "interval_analysis_20240601.csv"
    prices = read_ercot_interval_csv(path, repair_dst=True)
    if days:
        prices = prices.on(prices.index[: days * 96])
    battery = Battery(power_kw=1000, energy_kwh=2000)
    rows = []
    for column, label in ((ENERGY_DA, "ercot DA arbitrage"), (ENERGY_RT, "ercot RT arbitrage")):
        rows.append(_solve(battery, prices, [WholesaleEnergyStream(price_column=column)], label))
    return rows


def run_spp(data: Path, days: int | None) -> list[dict]:
    path = data / "markets" / "spp_ancillary_2022" / "SPP_DA_MCP_2022-02_2022-03.csv"
    prices = read_spp_da_mcp_csv(path, reserve_zone="1")
    if days:
        prices = prices.on(prices.index[: days * 24])
    frame = prices.frame.copy()
    frame[ENERGY_DA] = SPP_ENERGY_USD_PER_KWH
    prices = MarketPrices(frame=frame)
    battery = Battery(power_kw=1000, energy_kwh=2000)
    products = spp(deployed_energy_price_column=ENERGY_DA).products
    streams = [WholesaleEnergyStream(price_column=ENERGY_DA)] + [
        CapacityStream(p) for p in products
    ]
    label = "spp energy(flat)+reg+spin+supp"
    # The one-shot MILP of the two months did not prove optimality within 240 s (its LP
    # relaxation charges and discharges at once in 8 hours of high Reg-Up prices): report the
    # relaxation as an upper bound and rolling windows as a feasible lower bound.
    return [
        _solve(battery, prices, streams, label, relax=True),
        _solve_windows(battery, prices, streams, label, window_days=7),
    ]


CAISO_MODES = ("pf_weekly", "pf_daily", "forecast_daily")
SHORT = ("01-15", "02-05")


def run_caiso(data: Path, args: argparse.Namespace) -> list[dict]:
    """The CAISO market years (module docstring); writes the results under ``args.out``."""
    full = read_caiso_da_market(data / "markets", hub="TH_SP15")
    rows = []
    for year in args.years:
        start, end = (f"{year}-{SHORT[0]}", f"{year}-{SHORT[1]}") if args.short else (
            f"{year}-01-01", f"{year + 1}-01-01")  # fmt: skip
        prices = read_caiso_da_market(data / "markets", hub="TH_SP15", start=start, end=end)
        tb4 = top_bottom_spread(prices, hours=4)
        args.out.mkdir(parents=True, exist_ok=True)
        tb4.to_csv(args.out / f"tb4_spread_{year}.csv")
        logging.getLogger("market_runs").info(
            "%d: TB4 spread at TH_SP15 %.1f $/kW over %d days",
            year, tb4["tb_spread_usd_per_kw"].sum(), tb4["days"].sum(),
        )  # fmt: skip
        for mode in args.modes:
            case = CaisoCase(
                year=year,
                mode=mode,
                max_award_kw=args.max_award_kw,
                reg_cap_kw=args.reg_cap_kw,
                energy_only=args.energy_only,
            )
            row = run_case(case, prices, args.out, history=full.frame)
            logging.getLogger("market_runs").info("%s done in %.0f s", row["case"], row["wall_s"])
            rows.append(row)
            _write(rows, args.out)
    return rows


def _write(rows: list[dict], out: Path) -> None:
    frame = pd.DataFrame(rows)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "caiso_results.csv", index=False)
    show = ["case", "priced_hours", "skipped_hours", "wholesale_energy_usd", "reg_up_usd",
            "reg_down_usd", "spin_usd", "nonspin_usd", "total_usd", "usd_per_kw_yr_annualised",
            "cycles", "windows_needing_milp", "windows", "solve_s", "wall_s"]  # fmt: skip
    show = [c for c in show if c in frame.columns]
    lines = ["| " + " | ".join(show) + " |", "|" + "---|" * len(show)]
    for _, r in frame[show].iterrows():
        lines.append("| " + " | ".join(
            f"{v:,.1f}" if isinstance(v, float) else str(v) for v in r) + " |")  # fmt: skip
    (out / "caiso_results.md").write_text("\n".join(lines) + "\n")


RUNS = {"dervet": run_dervet, "ercot": run_ercot, "spp": run_spp}


def _default_data() -> Path:
    env = os.environ.get("VALUESTACK_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/market_runs.py")
    parser.add_argument("--data", type=Path, default=_default_data())
    parser.add_argument("--only", nargs="*", default=["caiso"], choices=["caiso", *RUNS])
    parser.add_argument("--days", type=int, default=None, help="first N days only (smoke run)")
    parser.add_argument("--years", nargs="*", type=int, default=[2023, 2024, 2025])
    parser.add_argument("--modes", nargs="*", default=list(CAISO_MODES), choices=CAISO_MODES)
    parser.add_argument("--short", action="store_true", help="three weeks of each CAISO year")
    parser.add_argument("--max-award-kw", type=float, default=None, help="cap on every award")
    parser.add_argument(
        "--reg-cap-kw", type=float, default=None, help="volume cap on reg up / down awards [kW]"
    )
    parser.add_argument("--energy-only", action="store_true", help="DA energy arbitrage alone")
    parser.add_argument("--out", type=Path, default=Path("out") / "market_runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(__doc__.split("Assumptions")[1].strip().split("\n\n")[0])
    for name in args.only:
        rows = run_caiso(args.data, args) if name == "caiso" else RUNS[name](args.data, args.days)
        for row in rows:
            print()
            for key, value in row.items():
                text = f"{value:,.2f}" if isinstance(value, float) else str(value)
                print(f"  {key:<26} {text}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    np.seterr(all="raise")
    sys.exit(main())
