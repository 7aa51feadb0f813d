"""The retail streams: each owns its part of the tariff; the model only loops over them.

Adding a retail tariff part is its data in :mod:`markets.tariff`, its billing in
:mod:`markets.bill`, its stream module in :mod:`optimizer.streams` (which says when it applies,
checks its part and derives its own per-step lookups in ``update``) and one entry in
:data:`RETAIL_STREAMS`.
"""

from __future__ import annotations

from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.streams import Stream
from optimizer.streams.degradation import DegradationStream
from optimizer.streams.demand import FlatDemandStream, TouDemandStream
from optimizer.streams.energy import EnergyStream
from optimizer.streams.export import ExportStream
from optimizer.streams.ratchet import RatchetStream
from optimizer.streams.terminal import TerminalValueStream

__all__ = ["RETAIL_STREAMS", "check_tariff_supported", "retail_streams"]

RETAIL_STREAMS: tuple[type[Stream], ...] = (
    EnergyStream,
    ExportStream,
    FlatDemandStream,
    TouDemandStream,
    RatchetStream,
    DegradationStream,
    TerminalValueStream,
)
"""The retail streams, in reporting order."""


def retail_streams(tariff: Tariff, battery: Battery) -> list[Stream]:
    """The retail streams that ``tariff`` and ``battery`` call for, in reporting order.

    Each stream of :data:`RETAIL_STREAMS` decides (``applies``): ``energy`` if the tariff has
    energy charges; ``export`` unless exports earn nothing; ``demand_flat`` / ``demand_tou``
    for each kind of demand charge; ``ratchet`` for a demand ratchet; ``degradation`` if the
    battery's wear cost is positive; ``terminal`` always (it is reported only when the terminal
    condition values stored energy).
    """
    return [cls() for cls in RETAIL_STREAMS if cls.applies(tariff, battery)]


def check_tariff_supported(tariff: Tariff, dt_h: float) -> None:
    """Raise ``InputError`` for tariff parts the optimizer cannot price exactly.

    Each retail stream checks its own part (``Stream.check_tariff``).
    """
    for cls in RETAIL_STREAMS:
        cls.check_tariff(tariff, dt_h)
