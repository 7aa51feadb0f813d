"""Settlement of market awards on the plant's actual operation (split from :mod:`sims.markets`)."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from markets.prices import MarketPrices
from markets.products import Product
from optimizer.battery import Battery
from optimizer.streams.capacity import award_column
from sims.markets import BacktestPrices, MarketsConfig

__all__ = ["market_notes", "settle_markets"]

logger = logging.getLogger(__name__)

TOLERANCE_KW = 1e-6


def _fit_factor(needed: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Largest fraction in [0, 1] of ``needed`` that fits in ``available`` (1 where it fits)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        factor = np.where(
            needed <= np.maximum(available, 0.0) + TOLERANCE_KW,
            1.0,
            np.maximum(available, 0.0) / needed,
        )
    return np.clip(factor, 0.0, 1.0)


def market_notes(markets: MarketsConfig | None, intervals: pd.DataFrame, dt_h: float) -> list[str]:
    """What a backtest summary must say about its market streams (or their absence)."""
    if markets is None:
        return ["no market streams: wholesale and ancillary revenue not simulated"]
    notes = [
        f"market streams {', '.join(markets.stream_names)}: each window planned with perfect "
        f"foresight of its prices ({markets.prices_csv.name}); revenue settled at the same "
        "prices on the plant's actual output"
    ]
    if markets.wholesale_energy:
        notes.append(
            "wholesale energy is settled on the battery's own net output, separately from "
            "(and not netted against) the retail bill"
        )
    if "market_priced" in intervals and not intervals["market_priced"].all():
        notes.append(_skipped_note(intervals["market_priced"]))
    if markets.products:
        short = {
            p.name: float(intervals[f"{p.name}_shortfall_kw"].sum() * dt_h)
            for p in markets.products
        }
        notes.append(
            "capacity awards are paid only for the part the plant could honour on its actual "
            "power and state of charge; unpaid shortfall [kWh of award-hours]: "
            + ", ".join(f"{k}={v:.6g}" for k, v in short.items())
        )
    return notes


def _skipped_note(priced: pd.Series, *, shown: int = 5) -> str:
    """The summary note listing the runs of unpriced intervals (the first ``shown``)."""
    flags = ~priced.to_numpy(dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    runs = list(zip(edges[::2], edges[1::2], strict=True))
    step = priced.index[1] - priced.index[0]
    text = ", ".join(
        f"{priced.index[a].isoformat()} .. {(priced.index[b - 1] + step).isoformat()}"
        for a, b in runs[:shown]
    )
    more = f" and {len(runs) - shown} more" if len(runs) > shown else ""
    return (
        f"market prices missing in {int(flags.sum())} intervals ({text}{more}): markets not "
        "offered there (no award, no wholesale position, no revenue); intervals.market_priced "
        "marks them"
    )


def settle_markets(
    *,
    intervals: pd.DataFrame,
    prices: MarketPrices,
    markets: MarketsConfig,
    battery: Battery,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Market revenue at actual prices on the plant's actual behaviour (module docstring).

    Parameters
    ----------
    intervals : pandas.DataFrame
        The backtest's interval table: ``charge_kw``, ``discharge_kw``, ``soc_start_kwh``,
        ``soc_end_kwh`` and ``<product>_award_kw`` for every product [kW, kWh].
    prices : MarketPrices
        Actual prices on at least the intervals' labels.
    markets : MarketsConfig
        The market streams.
    battery : Battery
        Ratings, SOC window and efficiencies.

    Returns
    -------
    revenue_by_stream_usd : dict of str to float
        Revenue per market stream [$].
    columns : pandas.DataFrame
        On the intervals' index: ``<product>_honoured_kw``, ``<product>_shortfall_kw`` and
        ``market_<stream>_usd`` (revenue per interval) for every stream, and
        ``market_priced`` (False where the prices file left the interval unpriced: nothing is
        paid there, see :mod:`sims.markets`).
    """
    index = intervals.index
    dt_h = (index[1] - index[0]) / pd.Timedelta(hours=1)
    on = prices.on(pd.DatetimeIndex(index, freq=index[1] - index[0]))
    if isinstance(prices, BacktestPrices):
        priced = prices.priced.reindex(index).to_numpy(dtype=bool)
    else:
        priced = np.ones(len(index), dtype=bool)
    charge = intervals["charge_kw"].to_numpy(dtype=float)
    discharge = intervals["discharge_kw"].to_numpy(dtype=float)
    out: dict[str, np.ndarray] = {}
    revenue: dict[str, float] = {}
    if markets.wholesale_energy:
        price = on.series(markets.wholesale_price_column).to_numpy(dtype=float)
        per_step = np.where(priced, price * (discharge - charge) * dt_h, 0.0)
        out["market_wholesale_energy_usd"] = per_step
        revenue["wholesale_energy"] = math.fsum(per_step)
    if markets.products:
        factors = _honour_factors(intervals, markets, battery)
        for p in markets.products:
            honoured, per_step = _settle_product(p, intervals, on, factors, priced, dt_h)
            out[f"{p.name}_honoured_kw"] = honoured
            out[f"{p.name}_shortfall_kw"] = np.where(
                priced, intervals[award_column(p.name)].to_numpy(dtype=float) - honoured, 0.0
            )
            out[f"market_{p.name}_usd"] = per_step
            revenue[p.name] = math.fsum(per_step)
    out["market_priced"] = priced
    return revenue, pd.DataFrame(out, index=index)


def _honour_factors(
    intervals: pd.DataFrame, markets: MarketsConfig, battery: Battery
) -> tuple[np.ndarray, np.ndarray]:
    """Fractions [0-1] of the up and of the down awards the plant could honour, per interval.

    All up (down) awards together must fit in the power left beside the actual output and in
    the energy above the SOC floor (below the ceiling) at both ends of the interval, held for
    each product's duration.
    """
    charge = intervals["charge_kw"].to_numpy(dtype=float)
    discharge = intervals["discharge_kw"].to_numpy(dtype=float)
    soc = [intervals[c].to_numpy(dtype=float) for c in ("soc_start_kwh", "soc_end_kwh")]
    awards = {
        p.name: intervals[award_column(p.name)].to_numpy(dtype=float) for p in markets.products
    }
    zero = np.zeros(len(intervals.index))
    up = [p for p in markets.products if p.direction.covers_up]
    down = [p for p in markets.products if p.direction.covers_down]
    up_kw = sum((awards[p.name] for p in up), zero)
    down_kw = sum((awards[p.name] for p in down), zero)
    up_kwh = sum((awards[p.name] * p.duration_h for p in up), zero)
    down_kwh = sum((awards[p.name] * p.duration_h for p in down), zero)
    up_room = battery.discharge_rating_kw - (discharge - charge)
    down_room = battery.charge_rating_kw - (charge - discharge)
    up_energy = np.minimum(*[battery.discharge_efficiency * (s - battery.soc_min_kwh) for s in soc])
    down_energy = np.minimum(*[(battery.soc_max_kwh - s) / battery.charge_efficiency for s in soc])
    up_factor = np.minimum(_fit_factor(up_kw, up_room), _fit_factor(up_kwh, up_energy))
    down_factor = np.minimum(_fit_factor(down_kw, down_room), _fit_factor(down_kwh, down_energy))
    return up_factor, down_factor


def _settle_product(
    product: Product,
    intervals: pd.DataFrame,
    on: MarketPrices,
    factors: tuple[np.ndarray, np.ndarray],
    priced: np.ndarray,
    dt_h: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(honoured award [kW], revenue per interval [$]) of one capacity product."""
    up_factor, down_factor = factors
    factor = np.ones(len(intervals.index))
    if product.direction.covers_up:
        factor = np.minimum(factor, up_factor)
    if product.direction.covers_down:
        factor = np.minimum(factor, down_factor)
    award = intervals[award_column(product.name)].to_numpy(dtype=float)
    honoured = np.where(priced, award * factor, 0.0)
    rate = product.revenue_rate_usd_per_kw_h(on).to_numpy(dtype=float)
    settle = product.deployed_energy_fraction * (
        float(product.direction.covers_up) - float(product.direction.covers_down)
    )
    if settle and product.deployed_energy_price_column is not None:
        rate = rate + settle * on.series(product.deployed_energy_price_column).to_numpy(dtype=float)
    return honoured, honoured * dt_h * rate
