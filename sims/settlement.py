"""Settlement: the same bill engine prices the site without and with the battery.

The baseline is the site with the same PV and no battery: its meter reads
``load_kw - pv_kw``, with PV curtailed where the site may not export that much (the same rule
the plant applies), so the two bills differ only by what the battery did. Savings are reported
per bill line so they add up:

``savings_<line> = baseline_<line> - battery_<line>`` for each charge and
``savings_export_credit_usd = battery_export_credit_usd - baseline_export_credit_usd`` (a
credit is subtracted from the bill), so the lines sum to ``savings_total_usd``. Market revenue
(wholesale and ancillary streams, at actual prices) is added per stream on top.

Peaks are the bill engine's measured monthly demand (``peak_flat_kw``: the highest import
averaged over the tariff's demand window).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InputError
from markets.bill import CHARGE_COLUMNS, Bill
from markets.tariff import Tariff
from optimizer.battery import Battery

__all__ = ["BILL_LINES", "Settlement", "baseline_grid_kw", "settle"]

BILL_LINES: tuple[str, ...] = tuple(c[: -len("_usd")] for c in CHARGE_COLUMNS if c != "total_usd")
"""Bill lines savings are reported by: energy, demand_flat, one ``demand_<name>`` per peak charge
(e.g. demand_tou), fixed, minimum, export_credit."""


def baseline_grid_kw(load_kw: pd.Series, pv_kw: pd.Series | None, battery: Battery) -> pd.Series:
    """The meter without a battery [kW]: ``load - pv``, exports capped at the export limit."""
    residual = load_kw if pv_kw is None else load_kw - pv_kw
    if math.isfinite(battery.export_limit_kw):
        residual = residual.clip(lower=-battery.export_limit_kw)
    return residual.rename("baseline_grid_kw")


@dataclass(frozen=True, kw_only=True)
class Settlement:
    """Bills without and with the battery and what the difference is made of.

    Parameters
    ----------
    baseline_bill, battery_bill : Bill
        The two bills.
    monthly : pandas.DataFrame
        Per billing month: ``baseline_<c>``, ``battery_<c>``, ``savings_<c>`` for every money
        column ``c`` of the bill, ``baseline_peak_kw``, ``battery_peak_kw``,
        ``peak_reduction_fraction``, ``discharged_kwh``, ``charged_kwh``, ``cycles``.
    savings_by_stream_usd : dict of str to float
        Savings per bill line and market revenue per market stream [$].
    market_revenue_usd : float
        Sum of the market streams [$].
    """

    baseline_bill: Bill
    battery_bill: Bill
    monthly: pd.DataFrame
    savings_by_stream_usd: dict[str, float] = field(default_factory=dict)
    market_revenue_usd: float = 0.0

    @property
    def bill_savings_usd(self) -> float:
        """Baseline bill less the bill with the battery [$]."""
        return self.baseline_bill.total_usd - self.battery_bill.total_usd

    @property
    def total_savings_usd(self) -> float:
        """Bill savings plus market revenue [$]."""
        return self.bill_savings_usd + self.market_revenue_usd


def settle(
    *,
    intervals: pd.DataFrame,
    tariff: Tariff,
    battery: Battery,
    market_revenue_by_stream_usd: Mapping[str, float] | None = None,
) -> Settlement:
    """Price the baseline and the battery case and split the savings.

    Parameters
    ----------
    intervals : pandas.DataFrame
        The plant's interval table with ``grid_kw``, ``baseline_grid_kw``, ``charge_kw`` and
        ``discharge_kw`` [kW] on the site's local index.
    tariff : Tariff
        The retail tariff.
    battery : Battery
        The battery (for the usable energy behind ``cycles``).
    market_revenue_by_stream_usd : mapping of str to float, optional
        Market revenue per stream at actual prices [$].

    Returns
    -------
    Settlement
    """
    for column in ("grid_kw", "baseline_grid_kw", "charge_kw", "discharge_kw"):
        if column not in intervals.columns:
            raise InputError("intervals.columns", list(intervals.columns), f"a {column!r} column")
    baseline = tariff.bill(intervals["baseline_grid_kw"])
    with_battery = tariff.bill(intervals["grid_kw"])
    money = list(CHARGE_COLUMNS)
    monthly = pd.concat(
        [
            baseline.monthly[money].add_prefix("baseline_"),
            with_battery.monthly[money].add_prefix("battery_"),
        ],
        axis=1,
    )
    for column in money:
        sign = -1.0 if column == "export_credit_usd" else 1.0
        monthly[f"savings_{column}"] = sign * (
            monthly[f"baseline_{column}"] - monthly[f"battery_{column}"]
        )
    monthly["baseline_peak_kw"] = baseline.monthly["peak_flat_kw"]
    monthly["battery_peak_kw"] = with_battery.monthly["peak_flat_kw"]
    with np.errstate(divide="ignore", invalid="ignore"):
        monthly["peak_reduction_fraction"] = np.where(
            monthly["baseline_peak_kw"] > 0,
            1.0 - monthly["battery_peak_kw"] / monthly["baseline_peak_kw"],
            np.nan,
        )
    dt_h = (intervals.index[1] - intervals.index[0]) / pd.Timedelta(hours=1)
    months = intervals.index.tz_localize(None).to_period("M")
    usable_kwh = battery.soc_max_kwh - battery.soc_min_kwh
    discharged = (intervals["discharge_kw"] * dt_h).groupby(months).sum()
    charged = (intervals["charge_kw"] * dt_h).groupby(months).sum()
    monthly["discharged_kwh"] = discharged.reindex(monthly.index).to_numpy()
    monthly["charged_kwh"] = charged.reindex(monthly.index).to_numpy()
    monthly["cycles"] = monthly["discharged_kwh"] / usable_kwh

    streams = {line: float(monthly[f"savings_{line}_usd"].sum()) for line in BILL_LINES}
    market = dict(market_revenue_by_stream_usd or {})
    for name, value in market.items():
        if not math.isfinite(value):
            raise InputError(f"market_revenue_by_stream_usd[{name!r}]", value, "a finite number")
        streams[f"market_{name}"] = float(value)
    return Settlement(
        baseline_bill=baseline,
        battery_bill=with_battery,
        monthly=monthly,
        savings_by_stream_usd=streams,
        market_revenue_usd=float(sum(market.values())),
    )
