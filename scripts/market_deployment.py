"""CAISO regulation with and without deployment: revenue by stream, score, shortfall, drift.

Usage::

    python scripts/market_deployment.py [--data ../shared/data] [--year 2024] [--short]
                                        [--hub TH_SP15] [--signal-step-s 2]

Case: 1 MW / 4 MWh at a CAISO trading hub, day-ahead energy + Regulation Up / Down +
Spinning + Non-Spinning (CAISO preset of :mod:`markets.iso_presets`), REAL CAISO day-ahead
prices of ``markets/caiso_as_da_2023_2025`` (AS prices summed over AS regions: see its README).
Planning: perfect foresight of the day-ahead prices, a 2-day model (``--horizon-days``)
re-solved every day at local midnight from the state of charge actually reached, the first
24 h committed; every window must end at >= 50 % SOC. The two cases share everything but the plant:

``no deployment``
    The plant follows the plan exactly (the plan's own expected regulation energy, 0.1 kWh
    per kW of award per hour each way, moves the SOC) and every award is paid in full: the
    revenue the optimizer reports, i.e. an upper bound on regulation revenue.
``deployment``
    The plant follows the plan's charge / discharge setpoints PLUS the regulation request
    ``reg_up x max(s, 0) - reg_down x max(-s, 0)`` of a signal ``s`` at 2-s steps
    (:mod:`sims.deployment`); SOC follows, unfollowed requests are shortfall, and each
    regulation product is paid ``award x price x score`` (score = delivered / requested
    energy per hour and direction, PJM-style: an ASSUMPTION for CAISO) plus mileage measured
    on the signal x the mileage price x score; deployed energy is settled at the day-ahead
    price (CAISO settles it at real-time prices, which the data set does not hold). The next
    day is planned from the SOC deployment left.

Signal: CAISO's AGC signal is not in the data. A year of signal is resampled (matched 15-min
blocks, random signs: :func:`markets.regulation_signal.synthetic_signal`) from PJM's REAL RegA
2-s sample of 16 h; its statistics are printed beside the real sample's. Reserves (spin,
non-spin) are not deployed (no event data); their awards are paid in full in both cases.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.series import numeric_values, parse_timestamps, read_csv_frame  # noqa: E402
from markets.iso_presets import caiso  # noqa: E402
from markets.prices import ENERGY_DA, MarketPrices  # noqa: E402
from markets.regulation_signal import (  # noqa: E402
    read_pjm_rega_csv,
    signal_statistics,
    synthetic_signal,
)
from markets.tariff import Tariff  # noqa: E402
from optimizer.battery import Battery  # noqa: E402
from optimizer.model import DispatchModel  # noqa: E402
from optimizer.state import TerminalMode, TerminalSoc  # noqa: E402
from optimizer.streams.capacity import CapacityStream, award_column  # noqa: E402
from optimizer.streams.wholesale import WholesaleEnergyStream  # noqa: E402
from sims.deployment import deploy_regulation, regulation_pay  # noqa: E402

logger = logging.getLogger("market_deployment")

TZ = "America/Los_Angeles"
FOM_TARIFF = Tariff(name="front of the meter (no retail charges)")
TERMINAL = TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.5)
HORIZON_DAYS = 2
BATTERY = Battery(power_kw=1000.0, energy_kwh=4000.0)
AS_COLUMNS = {
    "reg_up": "reg_up_usd_per_kw_h",
    "reg_down": "reg_down_usd_per_kw_h",
    "spin": "spin_usd_per_kw_h",
    "nonspin": "nonspin_usd_per_kw_h",
    "reg_mileage_up": "reg_up_mileage_usd_per_kw",
    "reg_mileage_down": "reg_down_mileage_usd_per_kw",
}
REGA = "markets/pjm_rega_signal_2017_08/pjm_rega_2s_2017-08-01_02_1600-2400.csv"


def read_caiso_prices(data: Path, *, year: int, hub: str, extra_days: int) -> MarketPrices:
    """CAISO DA AS prices and the hub's DA LMP for local ``year`` (+ ``extra_days``) [$/kW].

    A small reader for this script (the loaders of the CAISO files belong to
    :mod:`markets.loaders`); it refuses any gap inside the chosen period.
    """
    folder = data / "markets" / "caiso_as_da_2023_2025"
    frames = []
    for name, columns in (
        ("caiso_dam_as_prices_hourly_2023_2025.csv", AS_COLUMNS),
        ("caiso_dam_lmp_trading_hubs_hourly_2023_2025.csv", {f"{hub}_GEN-APND": ENERGY_DA}),
    ):
        raw = read_csv_frame(folder / name, field=name)
        index = parse_timestamps(raw["interval_start_utc"], tz=TZ, field=f"{name}.time")
        values = {
            target: numeric_values(raw, source, field=f"{name}.{source}") / 1000.0
            for source, target in columns.items()
        }
        frames.append(pd.DataFrame(values, index=index).sort_index())
    start = pd.Timestamp(year=year, month=1, day=1, tz=TZ)
    end = pd.Timestamp(year=year + 1, month=1, day=1, tz=TZ) + pd.Timedelta(days=extra_days)
    wanted = pd.date_range(start, end, freq="1h", inclusive="left")
    frame = frames[0].reindex(wanted).join(frames[1].reindex(wanted))
    if frame.isna().any().any():
        first = frame.index[frame.isna().any(axis=1)][0]
        raise SystemExit(f"prices missing from {first}: pick another year")
    return MarketPrices(frame=frame.asfreq("1h"))


def _streams(fraction: float):
    products = caiso(
        deployed_energy_price_column=ENERGY_DA, regulation_deployed_fraction=fraction
    ).products
    return products, [WholesaleEnergyStream(price_column=ENERGY_DA)] + [
        CapacityStream(p) for p in products
    ]


def _plan(models, battery, prices, streams, start, n_steps, soc_fraction):
    window = prices.on(prices.index[start : start + n_steps])
    n = len(window.index)
    if n not in models:
        models[n] = DispatchModel(
            battery=battery,
            tariff=FOM_TARIFF,
            n_steps=n,
            freq=pd.Timedelta(hours=1),
            streams=streams,
        )
    result = models[n].solve(
        load_kw=pd.Series(0.0, index=window.index),
        initial_soc_fraction=soc_fraction,
        terminal=TERMINAL,
        stream_inputs={s.name: window for s in streams},
    )
    return result


def _settle_planned(day, prices, products):
    """Revenue per stream of a committed day as the model counts it (no deployment)."""
    on = prices.on(day.index)
    p = on.series(ENERGY_DA).to_numpy()
    out = {
        "wholesale_energy": p * (day["discharge_kw"] - day["charge_kw"]).to_numpy(),
        "regulation_energy": np.zeros(len(p)),
    }
    for prod in products:
        award = day[award_column(prod.name)].to_numpy()
        rate = prod.revenue_rate_usd_per_kw_h(on).to_numpy()
        settle = prod.deployed_energy_fraction * (
            float(prod.direction.covers_up) - float(prod.direction.covers_down)
        )
        out[prod.name] = award * rate
        out["regulation_energy"] = out["regulation_energy"] + award * settle * p
    return out


def _settle_deployed(day, dep, prices, products):
    """Revenue per stream of a day with deployment (module docstring)."""
    on = prices.on(day.index)
    p = on.series(ENERGY_DA).to_numpy()
    d = dep.intervals
    up_kwh, dn_kwh = d["reg_delivered_up_kwh"].to_numpy(), d["reg_delivered_down_kwh"].to_numpy()
    total_net = (d["discharge_kw"] - d["charge_kw"]).to_numpy()  # 1-h steps: kW = kWh
    out = {
        "wholesale_energy": p * (total_net - (up_kwh - dn_kwh)),
        "regulation_energy": p * (up_kwh - dn_kwh),
    }
    for prod in products:
        award = day[award_column(prod.name)].to_numpy()
        capacity = on.series(prod.price_column).to_numpy()
        if prod.name not in ("reg_up", "reg_down"):
            out[prod.name] = award * capacity
            continue
        side = "up" if prod.name == "reg_up" else "down"
        req = d[f"reg_requested_{side}_kwh"].to_numpy()
        got = d[f"reg_delivered_{side}_kwh"].to_numpy()
        score = np.where(req > 0, got / np.where(req > 0, req, 1.0), 1.0)
        pay = regulation_pay(
            award_kw=award,
            dt_h=1.0,
            capacity_usd_per_kw_h=capacity,
            score_fraction=score,
            mileage_usd_per_kw=on.series(prod.pay_for_performance.mileage_price_column).to_numpy(),
            mileage_kw_per_kw=d[f"{side}_mileage_kw_per_kw"].to_numpy(),
        )
        out[prod.name] = pay
    return out


def run_case(
    battery,
    prices,
    *,
    days,
    deploy,
    real_signal,
    signal_step_s,
    fraction,
    horizon_days,
    checkpoint=None,
):
    """One rolling year (or ``days``); returns totals, per-interval deployment and timings."""
    products, streams = _streams(fraction)
    models: dict[int, DispatchModel] = {}
    soc = 0.5 * battery.energy_kwh
    revenue: dict[str, float] = {}
    frames, drift = [], []
    solve_s = 0.0
    for k in range(days):
        result = _plan(
            models, battery, prices, streams, 24 * k, 24 * horizon_days, soc / battery.energy_kwh
        )
        solve_s += result.solver.solve_s
        day = result.schedule.iloc[:24]
        if deploy:
            signal = synthetic_signal(real_signal, hours=24, seed=k).resample(signal_step_s)
            dep = deploy_regulation(
                battery=battery,
                charge_kw=day["charge_kw"].clip(lower=0.0),  # solver round-off
                discharge_kw=day["discharge_kw"].clip(lower=0.0),
                up_award_kw=day[award_column("reg_up")].clip(lower=0.0),
                down_award_kw=day[award_column("reg_down")].clip(lower=0.0),
                signal=signal.per_interval(dt_h=1.0, n_intervals=24),
                initial_soc_kwh=soc,
            )
            parts = _settle_deployed(day, dep, prices, products)
            drift.append(dep.final_soc_kwh - float(day["soc_kwh"].iloc[-1]))
            soc = dep.final_soc_kwh
            plan = day[[award_column(p.name) for p in products] + ["soc_kwh"]]
            frames.append(dep.intervals.join(plan.rename(columns={"soc_kwh": "plan_soc_kwh"})))
        else:
            parts = _settle_planned(day, prices, products)
            soc = float(day["soc_kwh"].iloc[-1])
            frames.append(day)
        for key, values in parts.items():
            revenue[key] = revenue.get(key, 0.0) + math.fsum(values)
        soc = min(max(soc, battery.soc_min_kwh), battery.soc_max_kwh)
        if checkpoint is not None and (k + 1) % 30 == 0 and k + 1 < days:
            checkpoint(k + 1, revenue, pd.concat(frames), np.asarray(drift), solve_s)
    return revenue, pd.concat(frames), np.asarray(drift), solve_s


def _report(label, battery, revenue, frame, drift, days, solve_s, wall_s, fraction):
    kw_yr = battery.power_kw * days / 365.0
    total = sum(revenue.values())
    lines = [f"\n{label}  ({days} days, {solve_s:.1f} s in HiGHS, {wall_s:.1f} s wall)"]
    for key, value in revenue.items():
        lines.append(f"  {key:<18} {value:>12,.0f} $   {value / kw_yr:>8.2f} $/kW-yr")
    lines.append(f"  {'total':<18} {total:>12,.0f} $   {total / kw_yr:>8.2f} $/kW-yr")
    cycles = float(frame["discharge_kw"].sum()) / battery.energy_kwh  # 1-h steps
    lines.append(f"  cycles             {cycles:,.1f}  ({cycles * 365 / days:,.0f} per year)")
    if "score_fraction" in frame:
        lines += _deployment_lines(frame, drift, fraction)
    return "\n".join(lines)


def _deployment_lines(frame, drift, fraction):
    req = frame[["reg_requested_up_kwh", "reg_requested_down_kwh"]].to_numpy()
    got = frame[["reg_delivered_up_kwh", "reg_delivered_down_kwh"]].to_numpy()
    lines = [
        f"  score up / down    {got[:, 0].sum() / req[:, 0].sum():.4f} / "
        f"{got[:, 1].sum() / req[:, 1].sum():.4f} (energy-weighted)",
        f"  reg shortfall      {frame['reg_shortfall_kwh'].sum():,.1f} kWh of "
        f"{req.sum():,.1f} requested; base shortfall {frame['base_shortfall_kwh'].sum():,.1f} kWh",
        f"  SOC drift vs plan  end of day: mean {drift.mean():+.1f}, mean |.| "
        f"{np.abs(drift).mean():.1f}, max |.| {np.abs(drift).max():.1f} kWh",
    ]
    lines += _reserve_lines(frame, fraction)
    return lines


def _reserve_lines(frame, fraction):
    """Energy deployment drew against the planner's reserve and its expected energy."""
    bat = BATTERY
    lines = []
    for side, award in (("up", "reg_up_award_kw"), ("down", "reg_down_award_kw")):
        held = frame[award] > 1e-6
        drawn = frame.loc[held, f"max_{side}_drawn_kwh"]
        reserve = frame.loc[held, award] * 1.0  # CAISO DA regulation: 60 min
        expected = frame.loc[held, award] * fraction  # the planner's expected energy per hour
        lines.append(
            f"  reg {side:<4} in-hour drawn max {drawn.max():.0f} kWh, P99 "
            f"{drawn.quantile(0.99):.0f} kWh; / reserve (award x 1 h) max "
            f"{(drawn / reserve).max():.3f}, P99 {(drawn / reserve).quantile(0.99):.3f}; "
            f"/ expected (award x {fraction}) P99 {(drawn / expected).quantile(0.99):.2f} "
            f"({int(held.sum())} h held)"
        )
    gap = (frame["soc_end_kwh"] - frame["plan_soc_kwh"]).abs()
    up_need = (
        frame["reg_up_award_kw"] * 1.0 + (frame["spin_award_kw"] + frame["nonspin_award_kw"]) * 0.5
    )
    down_need = frame["reg_down_award_kw"] * 1.0
    up_have = bat.discharge_efficiency * (frame["soc_start_kwh"] - bat.soc_min_kwh)
    down_have = (bat.soc_max_kwh - frame["soc_start_kwh"]) / bat.charge_efficiency
    short_up = int((up_have < up_need - 1e-6).sum())
    short_down = int((down_have < down_need - 1e-6).sum())
    lines.append(
        f"  actual - planned SOC, hourly: P99 |.| {gap.quantile(0.99):.0f}, max {gap.max():.0f} "
        f"kWh; hours whose actual SOC could not hold the planned energy reserve: "
        f"up {short_up}, down {short_down} of {len(frame)}"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/market_deployment.py")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--hub", default="TH_SP15")
    parser.add_argument("--short", action="store_true", help="first 14 days only")
    parser.add_argument("--signal-step-s", type=float, default=2.0)
    parser.add_argument("--horizon-days", type=int, default=HORIZON_DAYS)
    parser.add_argument(
        "--checkpoints", action="store_true", help="print the figures so far every 30 days"
    )
    parser.add_argument(
        "--case", choices=("all", "plan", "deploy", "deploy-measured"), default="all"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    horizon = args.horizon_days
    prices = read_caiso_prices(args.data, year=args.year, hub=args.hub, extra_days=horizon)
    days = 14 if args.short else (len(prices.index) // 24 - horizon)
    battery = BATTERY
    real = read_pjm_rega_csv(args.data / REGA)
    year_signal = synthetic_signal(real, hours=24 * days, seed=0)
    for name, sig in (("real PJM RegA 16 h", real), ("synthetic (one run)", year_signal)):
        s = signal_statistics(sig)
        ac = ", ".join(f"{lag:g}s {v:.3f}" for lag, v in s.autocorrelation.items())
        print(
            f"signal {name}: mean {s.mean_fraction:+.3f}, std {s.std_fraction:.3f}, "
            f"up/down energy {s.up_energy_h:.3f}/{s.down_energy_h:.3f} kWh/kW/h, neutrality "
            f"{s.neutrality_fraction:+.3f}, max 1-h excursion {s.max_drift_1h_h:.3f} kWh/kW, "
            f"mileage {s.mileage_per_h:.2f}/h, autocorrelation {ac}"
        )
    print(f"CAISO {args.year} {args.hub}, 1 MW / 4 MWh; the deployment run draws one synthetic "
          "day per day (seed = day number)")  # fmt: skip
    measured = signal_statistics(year_signal)
    measured_fraction = round(0.5 * (measured.up_energy_h + measured.down_energy_h), 3)
    cases = (
        ("no deployment (plan, expected energy 0.1)", False, 0.1),
        ("deployment (plan expects 0.1)", True, 0.1),
        (f"deployment (plan expects the signal's {measured_fraction})", True, measured_fraction),
    )
    keep = {"all": (0, 1, 2), "plan": (0,), "deploy": (1,), "deploy-measured": (2,)}[args.case]
    print(f"planning: {horizon}-day model re-solved daily, first day committed")
    for label, deploy, fraction in (cases[i] for i in keep):
        started = time.perf_counter()

        def checkpoint(
            done, revenue, frame, drift, solve_s, label=label, fraction=fraction, t0=started
        ):
            wall = time.perf_counter() - t0
            text = _report(f"{label} [first {done} days]", battery, revenue, frame, drift,
                           done, solve_s, wall, fraction)  # fmt: skip
            print(text, flush=True)

        revenue, frame, drift, solve_s = run_case(
            battery, prices, days=days, deploy=deploy, real_signal=real,
            signal_step_s=args.signal_step_s, fraction=fraction, horizon_days=horizon,
            checkpoint=checkpoint if args.checkpoints else None,
        )  # fmt: skip
        wall = time.perf_counter() - started
        print(_report(label, battery, revenue, frame, drift, days, solve_s, wall, fraction))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
