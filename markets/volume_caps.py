"""Market volume: an optional cap on the MW a price-taking battery can be awarded per product.

A price-taker model assumes the market buys whatever the battery offers at the clearing
price. For regulation that is far from true: CAISO procures a few hundred MW of regulation
while about 11 GW of batteries compete for it (issue 14). A :class:`VolumeCap` bounds the
award of one product, either in kW or as a share of the ISO's requirement:

.. math::

    a_t \\le \\min(\\text{max\\_award\\_kw},\\ \\text{share} \\times \\text{requirement\\_kw})

The optimizer applies it as the upper bound of the product's award variable
(:class:`optimizer.streams.capacity.CapacityStream`), inside the shared headroom and energy
rows, so a binding cap limits the award and its revenue and leaves the freed headroom to the
other streams.

Configuration (``[markets.volume_caps]`` in the backtest TOML, one table per product; read by
:func:`sims.markets.markets_from_table`)::

    [markets.volume_caps.reg_up]
    max_award_kw = 250.0                  # and/or:
    requirement_share_fraction = 0.005    # share of the ISO requirement the battery can win
    requirement_mw = 400.0                # the ISO requirement [MW] (converted to kW here)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.errors import InputError

__all__ = ["VolumeCap"]


def _positive(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(field, value, "a finite number > 0")
    if value <= 0:
        raise InputError(field, value, "a number > 0")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class VolumeCap:
    """Cap on the award of one product.

    Parameters
    ----------
    max_award_kw : float or None, default None
        Absolute cap on the award [kW].
    requirement_share_fraction : float or None, default None
        Share of the ISO requirement the battery can be awarded, in (0, 1].
    requirement_kw : float or None, default None
        The ISO requirement of the product [kW]; needed with ``requirement_share_fraction``.
    """

    max_award_kw: float | None = None
    requirement_share_fraction: float | None = None
    requirement_kw: float | None = None

    def __post_init__(self) -> None:
        if self.max_award_kw is not None:
            _positive(self.max_award_kw, "VolumeCap.max_award_kw")
        share, requirement = self.requirement_share_fraction, self.requirement_kw
        if (share is None) != (requirement is None):
            raise InputError(
                "VolumeCap.requirement_share_fraction"
                if share is None
                else "VolumeCap.requirement_kw",
                None,
                "both requirement_share_fraction and requirement_kw, or neither",
            )
        if share is not None:
            _positive(share, "VolumeCap.requirement_share_fraction")
            if share > 1:
                raise InputError("VolumeCap.requirement_share_fraction", share, "a fraction <= 1")
            _positive(requirement, "VolumeCap.requirement_kw")
        if self.max_award_kw is None and share is None:
            raise InputError(
                "VolumeCap", None, "max_award_kw, or requirement_share_fraction with requirement_kw"
            )

    @property
    def award_cap_kw(self) -> float:
        """The binding cap [kW]: the smaller of the absolute and the requirement-share caps."""
        caps = []
        if self.max_award_kw is not None:
            caps.append(self.max_award_kw)
        if self.requirement_share_fraction is not None and self.requirement_kw is not None:
            caps.append(self.requirement_share_fraction * self.requirement_kw)
        return min(caps)
