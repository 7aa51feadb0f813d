"""Tariff calendar lookups of a horizon, cached by UTC day for re-solves.

A rolling re-solve asks for the same timestamps again and again (each 48-hour window shares a
day with the previous one), and the tariff's weekend/holiday calendar dominates a short
horizon's preparation. :class:`CalendarCache` computes the lookups of a block of 32 UTC days
of labels on the horizon's step grid at a time and assembles any window from those blocks
with numpy indexing. The values are exactly those of the tariff's own lookups
(``Tariff.energy_period``, each peak charge's ``period_of``, the local billing month),
computed on the block's labels. Steps that do not divide a day are looked up directly,
without the cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from markets.tariff import ExportMode, Tariff

__all__ = ["CalendarCache", "Lookups", "energy_lookups"]

_DAY_NS = 86_400 * 10**9
_BLOCK_NS = 32 * _DAY_NS
"""Span of labels looked up at once [ns]."""
_MAX_BLOCKS = 128
"""Blocks kept per cache (about eleven years); all are dropped past that."""


@dataclass(frozen=True)
class Lookups:
    """Per-step calendar values of a horizon (``energy_period`` None without energy charges;
    ``demand_periods`` has the periods of each peak charge the tariff has, by its ``name``)."""

    month_id: np.ndarray
    energy_period: np.ndarray | None
    import_rate_usd_per_kwh: np.ndarray
    sell_rate_usd_per_kwh: np.ndarray
    demand_periods: Mapping[str, np.ndarray]


def energy_lookups(
    tariff: Tariff, index: pd.DatetimeIndex
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Energy period, first-tier import rate and export credit of every step.

    The same values as ``Tariff.energy_period``, ``import_rate_usd_per_kwh`` and
    ``sell_rate_usd_per_kwh``, from ONE calendar lookup.
    """
    n = len(index)
    mode = tariff.export.mode
    if tariff.energy is None:
        sell = np.full(
            n, tariff.export.flat_rate_usd_per_kwh if mode is ExportMode.FLAT_RATE else 0.0
        )
        return None, np.zeros(n), sell
    period = tariff.energy_period(index)
    first = tariff.energy.periods
    import_rate = np.array([tiers[0].rate_usd_per_kwh for tiers in first])[period]
    if mode is ExportMode.NONE:
        sell = np.zeros(n)
    elif mode is ExportMode.FLAT_RATE:
        sell = np.full(n, tariff.export.flat_rate_usd_per_kwh)
    elif mode is ExportMode.NET_METERING:
        sell = import_rate.copy()
    else:
        sell = np.array([tiers[0].sell_usd_per_kwh for tiers in first])[period]
    return period, import_rate, sell


def direct_lookups(tariff: Tariff, index: pd.DatetimeIndex) -> Lookups:
    """The lookups of ``index`` computed from the tariff, without a cache."""
    month_id = np.asarray(index.year, dtype=np.int64) * 12 + np.asarray(index.month) - 1
    period, import_rate, sell = energy_lookups(tariff, index)
    demand = {part.name: part.period_of(tariff, index) for part in tariff.peak_charges()}
    return Lookups(month_id, period, import_rate, sell, demand)


class CalendarCache:
    """Lookups of one tariff on one step grid, computed 32 UTC days at a time and kept.

    Parameters
    ----------
    tariff : Tariff
        The tariff whose calendar is looked up.
    step : pandas.Timedelta
        The horizon's step.
    """

    def __init__(self, tariff: Tariff, step: pd.Timedelta) -> None:
        self._tariff = tariff
        self._step_ns = int(pd.Timedelta(step).value)
        self._blocks: dict[tuple[str, int, int], Lookups] = {}

    def lookups(self, index: pd.DatetimeIndex) -> Lookups:
        """The calendar values of every label of ``index`` (tz-aware, on the cache's step)."""
        step = self._step_ns
        if step <= 0 or _DAY_NS % step or len(index) < 2:
            return direct_lookups(self._tariff, index)
        utc = index.as_unit("ns").asi8
        block = utc // _BLOCK_NS
        within = utc - block * _BLOCK_NS
        offset = int(within[0] % step)
        position = (within - offset) // step
        blocks, inverse = np.unique(block, return_inverse=True)
        zone = str(index.tz)
        parts = [self._block(zone, int(k), offset, index.tz) for k in blocks.tolist()]

        def take(name: str) -> np.ndarray | None:
            columns = [getattr(p, name) for p in parts]
            if columns[0] is None:
                return None
            return np.stack(columns)[inverse, position]

        demand = {
            name: np.stack([p.demand_periods[name] for p in parts])[inverse, position]
            for name in parts[0].demand_periods
        }
        return Lookups(
            take("month_id"),
            take("energy_period"),
            take("import_rate_usd_per_kwh"),
            take("sell_rate_usd_per_kwh"),
            demand,
        )

    def _block(self, zone: str, block: int, offset: int, tz: object) -> Lookups:
        key = (zone, block, offset)
        found = self._blocks.get(key)
        if found is None:
            if len(self._blocks) >= _MAX_BLOCKS:
                self._blocks.clear()
            start = block * _BLOCK_NS
            labels = np.arange(start + offset, start + _BLOCK_NS, self._step_ns)
            local = pd.DatetimeIndex(labels.astype("datetime64[ns]"), tz="UTC").tz_convert(tz)
            found = self._blocks[key] = direct_lookups(self._tariff, local)
        return found
