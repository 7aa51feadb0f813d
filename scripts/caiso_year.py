"""CAISO market-year runs for ``scripts/market_runs.py``: planning, settlement, gaps, rows.

A front-of-the-meter battery at a CAISO trading hub sells day-ahead energy, regulation up and
down, spinning and non-spinning reserve (the CAISO products of ``markets/data/iso_products.csv``,
deployed regulation energy settled at the DA LMP since the data hold no RT prices).

Modes (one row each):

``pf_weekly``
    Perfect foresight, windows of 7 days from the first priced hour of each segment, SOC
    carried, every window must end at >= 50 % SOC (as the issue's independent check).
``pf_daily``
    Perfect foresight, one window per local calendar day (same rules). Separates the effect of
    the window length from the effect of the forecast.
``forecast_daily``
    The plan of each day is made on a naive forecast (every price = its value 24 h earlier, the
    previous day's clearing) and settled on the day's actual prices. A day whose forecast hour
    is unpriced (first day of the data, the day after a gap) is skipped and recorded.

Gaps: intervals missing from either file are left unpriced: windows stop at a gap, the battery
is idle through it and its SOC is carried over (:mod:`markets.price_gaps`). Each run writes the
skipped intervals to ``<out>/skipped_intervals.csv``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from markets.iso_presets import preset
from markets.price_gaps import GAP_COLUMNS, GappedPrices
from markets.prices import ENERGY_DA, MarketPrices
from markets.products import Product
from markets.tariff import Tariff
from markets.volume_caps import VolumeCap
from optimizer.battery import Battery
from optimizer.model import DispatchModel
from optimizer.state import TerminalMode, TerminalSoc
from optimizer.streams.capacity import award_column, capacity_streams
from optimizer.streams.wholesale import WholesaleEnergyStream

__all__ = ["CaisoCase", "caiso_products", "run_case", "settle"]

logger = logging.getLogger(__name__)

FOM_TARIFF = Tariff(name="front of the meter (no retail charges)")
TERMINAL = TerminalSoc(mode=TerminalMode.MINIMUM, soc_fraction=0.5)
PRODUCTS = ("reg_up", "reg_down", "spin", "nonspin")


@dataclass(frozen=True, kw_only=True)
class CaisoCase:
    """One market-year case: which year, battery, mode and optional award caps."""

    year: int
    mode: str
    power_kw: float = 1000.0
    energy_kwh: float = 4000.0
    max_award_kw: float | None = None
    reg_cap_kw: float | None = None
    energy_only: bool = False
    label: str = ""


def caiso_products() -> tuple[Product, ...]:
    """The four CAISO products of the preset, deployed energy settled at the DA LMP."""
    return preset("caiso", deployed_energy_price_column=ENERGY_DA).subset(list(PRODUCTS))


def settle(
    schedule: pd.DataFrame, prices: MarketPrices, products: tuple[Product, ...]
) -> dict[str, float]:
    """Revenue by stream of a schedule at ``prices`` [$] (the model's revenue terms, recomputed).

    Energy: ``sum p (d - c) dt``; product: ``sum a dt (rate + f p_e ([up] - [down]))``.
    """
    dt = prices.dt_h
    p = prices.series(ENERGY_DA).to_numpy(dtype=float)
    net = (schedule["discharge_kw"] - schedule["charge_kw"]).to_numpy(dtype=float)
    out = {"wholesale_energy": math.fsum(p * net * dt)}
    for product in products:
        award = schedule[award_column(product.name)].to_numpy(dtype=float)
        rate = product.revenue_rate_usd_per_kw_h(prices).to_numpy(dtype=float)
        sign = float(product.direction.covers_up) - float(product.direction.covers_down)
        if product.deployed_energy_price_column is not None and sign:
            e = prices.series(product.deployed_energy_price_column).to_numpy(dtype=float)
            rate = rate + product.deployed_energy_fraction * sign * e
        out[product.name] = math.fsum(award * dt * rate)
    return out


def _windows(prices: GappedPrices, mode: str) -> list[MarketPrices]:
    """The planning windows of ``mode``: 7-day chunks or local days, cut at every gap."""
    out: list[MarketPrices] = []
    for seg in prices.segments:
        if mode == "pf_weekly":
            steps = int(round(7 * 24 / seg.dt_h))
            for a in range(0, len(seg.index), steps):
                out.append(seg.on(seg.index[a : a + steps]))
        else:
            days = seg.index.normalize()
            for day in days.unique():
                out.append(seg.on(seg.index[days == day]))
    return out


def _forecast(window: MarketPrices, history: pd.DataFrame) -> MarketPrices | None:
    """The window's prices as forecast by the value 24 h (absolute time) earlier, or None."""
    earlier = window.index - pd.Timedelta(hours=24)
    if not earlier.isin(history.index).all():
        return None
    frame = history.loc[earlier].set_axis(window.index)
    return MarketPrices(frame=frame)


def run_case(
    case: CaisoCase,
    prices: GappedPrices,
    out_dir: Path,
    *,
    history: pd.DataFrame | None = None,
) -> dict[str, object]:
    """Run one case over ``prices`` (already cut to the year); return its result row.

    ``history`` (default: ``prices.frame``) holds the prices the forecast may look back on,
    e.g. the whole data set so that 1 January is forecast from 31 December.
    """
    battery = Battery(power_kw=case.power_kw, energy_kwh=case.energy_kwh)
    products = () if case.energy_only else caiso_products()
    caps = {}
    if case.reg_cap_kw is not None:  # market volume: regulation awards capped (VolumeCap)
        caps = {n: VolumeCap(max_award_kw=case.reg_cap_kw) for n in ("reg_up", "reg_down")}
    streams = [WholesaleEnergyStream(price_column=ENERGY_DA)] + capacity_streams(
        products, max_award_kw=case.max_award_kw, volume_caps=caps
    )
    history = prices.frame if history is None else history
    models: dict[int, DispatchModel] = {}
    totals = {s.name: 0.0 for s in streams}
    planned = {s.name: 0.0 for s in streams}
    soc = 0.5
    solve_s = build_s = 0.0
    discharged_kwh = 0.0
    hours = 0.0
    skipped = [prices.gaps]
    milp = windows = 0
    started = time.perf_counter()
    for window in _windows(prices, case.mode):
        plan_prices = window
        if case.mode == "forecast_daily":
            plan_prices = _forecast(window, history)
            if plan_prices is None:
                skipped.append(_skip_row(window, "no previous-day prices to forecast with"))
                continue
        n = len(window.index)
        if n not in models:
            models[n] = DispatchModel(
                battery=battery, tariff=FOM_TARIFF, n_steps=n,
                freq=pd.Timedelta(hours=window.dt_h), streams=streams,
            )  # fmt: skip
            build_s += models[n].build_s
        result = models[n].solve(
            load_kw=pd.Series(0.0, index=window.index),
            initial_soc_fraction=soc,
            terminal=TERMINAL,
            stream_inputs={s.name: plan_prices for s in streams},
        )
        windows += 1
        milp += not result.solver.relaxation_was_integral
        solve_s += result.solver.solve_s
        actual = settle(result.schedule, window, products)
        for key, value in actual.items():
            totals[key] += value
            planned[key] += -result.value_by_stream_usd[key]
        discharged_kwh += float(result.schedule["discharge_kw"].sum() * window.dt_h)
        hours += n * window.dt_h
        soc = float(result.schedule["soc_kwh"].iloc[-1]) / battery.energy_kwh
        soc = min(max(soc, battery.soc_min_fraction), battery.soc_max_fraction)
    wall = time.perf_counter() - started
    gaps = (
        pd.concat([g for g in skipped if len(g)], ignore_index=True)
        if any(len(g) for g in skipped)
        else pd.DataFrame(columns=list(GAP_COLUMNS))
    )
    cap = "" if case.reg_cap_kw is None else f"_regcap{case.reg_cap_kw:g}kw"
    cap += "_energy_only" if case.energy_only else ""
    tag = case.label or f"caiso_{case.year}_{case.mode}{cap}"
    out_dir.mkdir(parents=True, exist_ok=True)
    gaps.assign(case=tag).to_csv(out_dir / f"skipped_{tag}.csv", index=False)
    total = math.fsum(totals.values())
    kw = case.power_kw
    row: dict[str, object] = {
        "case": tag,
        "year": case.year,
        "mode": case.mode,
        "priced_hours": hours,
        "skipped_hours": float(gaps["missing_intervals"].sum()) * prices.dt_h if len(gaps) else 0.0,
        **{f"{k}_usd": v for k, v in totals.items()},
        "total_usd": total,
        "planned_total_usd": math.fsum(planned.values()),
        "usd_per_kw_yr_priced": total / kw,
        "usd_per_kw_yr_annualised": total / kw * (8760.0 / hours if hours else np.nan),
        "cycles": discharged_kwh / case.energy_kwh,
        "windows": windows,
        "windows_needing_milp": milp,
        "build_s": build_s,
        "solve_s": solve_s,
        "wall_s": wall,
    }
    return row


def _skip_row(window: MarketPrices, reason: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"first_missing": window.index[0], "last_missing": window.index[-1],
          "missing_intervals": len(window.index), "missing_columns": "forecast",
          "source": reason}]
    )  # fmt: skip


def top_bottom_spread(prices: GappedPrices, *, hours: int = 4) -> pd.DataFrame:
    """Daily top-minus-bottom DA price spread of ``hours`` hours, summed by month [$/kW].

    The sum over a day of the ``hours`` highest minus the ``hours`` lowest hourly DA prices is
    what a lossless ``hours``-hour battery of 1 kW could earn from one daily cycle with perfect
    foresight (Modo Energy's "top-bottom" benchmark); an independent yardstick for the energy
    revenue. Days with missing hours are left out.
    """
    frame = prices.frame[[ENERGY_DA]].copy()
    frame["day"] = frame.index.normalize()
    rows = []
    for day, group in frame.groupby("day"):
        values = np.sort(group[ENERGY_DA].to_numpy())
        if len(values) < 23:
            continue
        rows.append({"day": day, "spread_usd_per_kw": values[-hours:].sum() - values[:hours].sum()})
    daily = pd.DataFrame(rows).set_index("day")
    monthly = daily.groupby(daily.index.strftime("%Y-%m"))["spread_usd_per_kw"].agg(
        ["sum", "count"]
    )
    return monthly.rename(columns={"sum": "tb_spread_usd_per_kw", "count": "days"})
