"""Value streams: one module per stream, each a Pyomo block with its own objective term.

The stream interface
--------------------
A stream is an instance of a subclass of :class:`Stream`. The
:class:`~optimizer.model.DispatchModel` builds the core (battery and site balance), then gives
each stream its own ``pyomo.Block`` and a :class:`CoreHandles` (the core's variables, steps
and month-slot layout) and calls :meth:`Stream.build` once. ``build`` adds the stream's
variables, constraints and *mutable* parameters to its block and returns a
:class:`StreamTerms`:

- ``objective_usd``: the stream's objective term (a Pyomo expression; cost positive, revenue
  negative). The model's objective is the sum of the terms, and the value of each term after
  the solve is reported in ``DispatchResult.value_by_stream_usd[stream.name]``.
- ``up_award_kw`` / ``down_award_kw`` with ``up_duration_h`` / ``down_duration_h``: capacity
  the stream holds back per step (reserves, regulation). A stream that declares awards makes
  the core add ONE shared headroom constraint per direction and step,

  .. math::

      d_t - c_t + \\sum_s up_{s,t} \\le P_d, \\qquad c_t - d_t + \\sum_s down_{s,t} \\le P_c,

  and ONE energy-sufficiency constraint per direction, at both ends of each step
  (:math:`\\sigma \\in \\{s_{t-1}, s_t\\}`),

  .. math::

      \\eta_d (\\sigma - S_{min}) \\ge \\sum_s up_{s,t} h^{up}_s, \\qquad
      (S_{max} - \\sigma) / \\eta_c \\ge \\sum_s down_{s,t} h^{down}_s,

  so stacked products never count the same kW or kWh twice. Without capacity streams these
  constraints are not built.
- ``metered_demand_kw``: extra per-step terms added to the demand every demand charge sees
  (the core's ``metered_demand_kw[t]`` is ``grid_import_kw[t]`` plus these), e.g. a reserve
  stream whose deployment would raise the meter: "peak >= net import + deployed down award".
- ``stored_energy_kwh``: extra energy entering storage during a step (negative leaves it),
  e.g. the expected throughput of regulation; it enters the SOC balance.
- ``grid_kw``: extra power at the meter (import positive), e.g. a front-of-meter product.

Per-step terms are mappings from step number (0..n_steps-1) to Pyomo expressions, e.g. an
indexed ``Var`` or ``Expression`` over ``core.steps``.

Data that changes between solves (prices, forecasts, calendar membership) must live in
mutable ``Param``s: :meth:`Stream.check` validates a window's data (raise
:class:`core.errors.InputError` before any parameter is touched) and :meth:`Stream.update`
writes it into the block's parameters; the persistent solver then pushes only parameter
values to HiGHS. Per-solve data of market streams comes in
``DispatchModel.solve(..., stream_inputs={stream.name: data})`` and reaches the stream as
``window.stream_inputs.get(self.name)``.

Streams must not use the core's charge/discharge binaries (they are not in
:class:`CoreHandles`): the model settles a MILP by its LP relaxation whenever the relaxed
optimum never charges and discharges in the same step (and every integer variable of the
streams is integral), which is exact only if nothing else depends on the core's binaries.
Streams may declare their own binary or integer variables. Where the LP split of the same total between two streams is not
unique (e.g. a ratchet and the flat demand charge at the same rate), :meth:`Stream.settle`
may re-attribute reported values after the solve without changing their sum.

A stream switches on because its data is present: :func:`retail_streams` returns the retail
streams a tariff and battery call for (no demand stream for a tariff without demand charges,
no degradation block at zero cost); market streams are passed explicitly.
"""

from __future__ import annotations

from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.streams.base import CoreHandles, RetailStream, Stream, StreamTerms
from optimizer.streams.degradation import DegradationStream
from optimizer.streams.demand import FlatDemandStream, TouDemandStream
from optimizer.streams.energy import EnergyStream
from optimizer.streams.export import ExportStream
from optimizer.streams.ratchet import RatchetStream
from optimizer.streams.terminal import TerminalValueStream

__all__ = [
    "RETAIL_STREAMS",
    "CoreHandles",
    "RetailStream",
    "Stream",
    "StreamTerms",
    "check_tariff_supported",
    "retail_streams",
]


RETAIL_STREAMS: tuple[type[RetailStream], ...] = (
    EnergyStream,
    ExportStream,
    FlatDemandStream,
    TouDemandStream,
    RatchetStream,
    DegradationStream,
    TerminalValueStream,
)
"""The retail streams, in reporting order: each claims its own part of the tariff."""


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

    Each retail stream checks its own part (:meth:`RetailStream.check_tariff`).
    """
    for cls in RETAIL_STREAMS:
        cls.check_tariff(tariff, dt_h)
