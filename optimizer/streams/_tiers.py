"""Tier helpers shared by the energy and demand streams: padding and the convexity check."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.errors import InputError

__all__ = ["check_convex", "padded_tiers"]


def check_convex(field: str, limits: Sequence[float], rates: Sequence[float]) -> None:
    """Raise ``InputError`` if a tier's rate is below the previous tier's rate.

    A tier structure whose rate falls with the tier (declining blocks) is not convex: an LP
    would fill the cheap upper tier first. Modelling it needs a binary per tier, which the
    optimizer does not do; it refuses such tariffs instead of pricing them wrongly.
    """
    for j in range(1, len(rates)):
        if rates[j] < rates[j - 1]:
            raise InputError(
                f"{field}[{j}].rate",
                rates[j],
                f"a rate >= the previous tier's {rates[j - 1]} (the optimizer models convex, "
                "i.e. non-decreasing, tiers only; declining blocks need binaries)",
            )
    del limits


def padded_tiers(
    limits: Sequence[float], rates: Sequence[float], n_tiers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay out one period's tiers on ``n_tiers`` slots, the last slot being the unbounded tier.

    Returns the lower edge, the finite width (slots ``0..n_tiers-2``; 0 for padding) and the
    rate of each slot. A period with fewer tiers keeps its finite tiers first, then zero-width
    padding, then its last (unbounded) tier in the last slot.
    """
    lower = np.zeros(n_tiers)
    width = np.zeros(n_tiers)
    rate = np.zeros(n_tiers)
    previous = 0.0
    for j, (limit, r) in enumerate(zip(limits[:-1], rates[:-1], strict=True)):
        lower[j] = previous
        width[j] = limit - previous
        rate[j] = r
        previous = limit
    for j in range(len(limits) - 1, n_tiers - 1):
        lower[j] = previous
    lower[-1] = previous
    width[-1] = math.inf
    rate[-1] = rates[-1]
    return lower, width, rate
