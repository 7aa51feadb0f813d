"""The retail streams: each owns its part of the tariff; the model only loops over them.

A peak charge (a charge on the monthly peak per period, :mod:`markets.peak_charges`) needs no
code here: :class:`~optimizer.streams.demand.PeakDemandStream` models every one the tariff
has. Another kind of retail tariff part is its data and billing in :mod:`markets`, its stream
module in :mod:`optimizer.streams` (which says when it applies, checks its part and derives its
own per-step lookups in ``update``) and one entry in :data:`RETAIL_STREAMS`.
"""

from __future__ import annotations

from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.streams import Stream
from optimizer.streams.degradation import DegradationStream
from optimizer.streams.demand import FlatDemandStream, PeakDemandStream
from optimizer.streams.energy import EnergyStream
from optimizer.streams.export import ExportStream
from optimizer.streams.ratchet import RatchetStream
from optimizer.streams.terminal import TerminalValueStream

__all__ = ["RETAIL_STREAMS", "check_tariff_supported", "retail_streams"]

RETAIL_STREAMS: tuple[type[Stream], ...] = (
    EnergyStream,
    ExportStream,
    FlatDemandStream,
    PeakDemandStream,
    RatchetStream,
    DegradationStream,
    TerminalValueStream,
)
"""The retail streams, in reporting order."""


def retail_streams(tariff: Tariff, battery: Battery) -> list[Stream]:
    """The retail streams that ``tariff`` and ``battery`` call for, in reporting order.

    Each stream of :data:`RETAIL_STREAMS` decides (``for_tariff``, by default ``applies``):
    ``energy`` if the tariff has energy charges; ``export`` unless exports earn nothing;
    ``demand_flat`` for flat demand charges; ``demand_<name>`` for each peak charge
    (``demand_tou``, see :mod:`markets.peak_charges`); ``ratchet`` for a demand ratchet;
    ``degradation`` if the battery's wear cost is positive; ``terminal`` always (it is
    reported only when the terminal condition values stored energy).
    """
    return [stream for cls in RETAIL_STREAMS for stream in cls.for_tariff(tariff, battery)]


def check_tariff_supported(tariff: Tariff, dt_h: float) -> None:
    """Raise ``InputError`` for tariff parts the optimizer cannot price exactly.

    Each retail stream checks its own part (``Stream.check_tariff``).
    """
    for cls in RETAIL_STREAMS:
        cls.check_tariff(tariff, dt_h)
