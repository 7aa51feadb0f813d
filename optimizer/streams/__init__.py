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

A stream switches on because its data is present. A retail stream owns its part of the tariff:
:meth:`Stream.applies` says whether a tariff and battery call for it (no demand stream for a
tariff without demand charges, no degradation block at zero cost) and
:meth:`Stream.check_tariff` refuses a part it cannot price exactly; :mod:`optimizer.retail`
lists the retail streams and only loops over them. Market streams are passed explicitly.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from markets.tariff import Tariff
    from optimizer.battery import Battery
    from optimizer.window import SlotLayout, Window

__all__ = ["CoreHandles", "Stream", "StreamTerms"]


@dataclass(frozen=True, kw_only=True)
class CoreHandles:
    """What the core gives each stream at build time.

    Attributes
    ----------
    model : pyomo.environ.ConcreteModel
        The whole model (streams should add components to their own block only).
    steps : pyomo Set
        Steps ``0..n_steps-1``.
    n_steps : int
        Horizon length.
    dt_h : float
        Step length [h].
    battery : Battery
        The battery.
    tariff : Tariff
        The retail tariff.
    slots : SlotLayout
        Month-slot layout of the horizon (see :mod:`optimizer.window`).
    charge_kw, discharge_kw, soc_kwh, grid_import_kw, grid_export_kw : pyomo Var
        Core variables indexed by step (``soc_kwh`` at the END of each step).
    soc_initial_kwh : pyomo Param
        Stored energy before the first step [kWh] (mutable).
    metered_demand_kw : pyomo Expression
        Per-step demand seen by demand charges [kW] (import plus stream terms).
    calendar : Window or None
        The one window the model will solve, when it is known at build time (one-shot
        solves); None for a re-solvable model. With it, a stream may create membership only
        for each step's actual group (``slots`` is then exact as well).
    demand_rows : list of (Constraint, rule)
        Per-step constraint families a one-shot model built as templates on
        ``grid_import_kw`` in place of ``metered_demand_kw`` (templates cannot read an
        indexed Expression; see :func:`optimizer.compile.templated`). If a stream adds
        metered-demand terms, the core rebuilds each of their rows from ``rule``, which reads
        ``metered_demand_kw``. Streams append to it during ``build``.
    """

    model: pyo.ConcreteModel
    steps: Any
    n_steps: int
    dt_h: float
    battery: Battery
    tariff: Tariff
    slots: SlotLayout
    charge_kw: Any
    discharge_kw: Any
    soc_kwh: Any
    grid_import_kw: Any
    grid_export_kw: Any
    soc_initial_kwh: Any
    metered_demand_kw: Any
    calendar: Window | None = None
    demand_rows: list[tuple[Any, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class StreamTerms:
    """What a stream hands back to the core (see the module docstring).

    Attributes
    ----------
    objective_usd : Any
        Pyomo expression of the stream's objective term [$], cost positive.
    up_award_kw, down_award_kw : Mapping of int to expression or None
        Capacity held for upward (discharge more / charge less) and downward service [kW].
    up_duration_h, down_duration_h : float
        Hours an award must be sustainable [h].
    metered_demand_kw : Mapping of int to expression or None
        Extra terms of the demand that demand charges see [kW].
    stored_energy_kwh : Mapping of int to expression or None
        Extra energy entering storage in each step [kWh].
    grid_kw : Mapping of int to expression or None
        Extra power at the meter, import positive [kW].
    """

    objective_usd: Any
    up_award_kw: Mapping[int, Any] | None = None
    up_duration_h: float = 0.0
    down_award_kw: Mapping[int, Any] | None = None
    down_duration_h: float = 0.0
    metered_demand_kw: Mapping[int, Any] | None = None
    stored_energy_kwh: Mapping[int, Any] | None = None
    grid_kw: Mapping[int, Any] | None = None

    def __post_init__(self) -> None:
        for name in ("up", "down"):
            award = getattr(self, f"{name}_award_kw")
            duration = getattr(self, f"{name}_duration_h")
            if duration < 0 or (award is None and duration != 0):
                raise ValueError(f"{name}_duration_h={duration} needs an award and must be >= 0")


class Stream(abc.ABC):
    """A value stream: builds its block once, then takes new data before every solve.

    Subclasses set :attr:`name` (the key in ``value_by_stream_usd``; unique in a model).
    Instances must hold no solve state of their own: everything that changes lives in the
    block's mutable parameters, so two models built from the same stream objects never
    share state.
    """

    name: str = ""

    @classmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """Whether ``tariff`` and ``battery`` call for this stream (retail streams; see
        :data:`optimizer.retail.RETAIL_STREAMS`). The default, for streams passed explicitly
        (markets), is False."""
        return False

    @classmethod
    def for_tariff(cls, tariff: Tariff, battery: Battery) -> list[Stream]:
        """The instances of this retail stream that ``tariff`` and ``battery`` call for.

        The default is one instance if :meth:`applies`; a stream class serving several parts
        of a tariff (one per peak charge) returns one per part.
        """
        return [cls()] if cls.applies(tariff, battery) else []

    @classmethod
    def check_tariff(cls, tariff: Tariff, dt_h: float) -> None:
        """Raise ``InputError`` if this stream's part of ``tariff`` cannot be priced exactly.

        Called for every tariff a model is built for, whether or not the part is present
        (``dt_h`` is the model's step [h]). The default checks nothing.
        """
        return None

    @abc.abstractmethod
    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Add variables, constraints and mutable parameters to ``block``; return the terms."""

    def check(self, window: Window) -> None:  # noqa: B027 - optional hook
        """Validate this stream's data for ``window``; raise ``InputError`` naming the field."""

    def update(self, block: pyo.Block, window: Window) -> None:  # noqa: B027 - optional hook
        """Write ``window``'s data into the block's mutable parameters."""

    def schedule_columns(self, block: pyo.Block) -> dict[str, list[float]]:
        """Per-step values this stream adds to ``DispatchResult.schedule`` after a solve.

        Keys are column names with their unit (e.g. ``"reg_up_award_kw"``); values hold one
        number per step. The default adds none.
        """
        return {}

    def reported(self, window: Window) -> bool:
        """Whether the term is reported in ``value_by_stream_usd`` for this window."""
        return True

    def settle(self, block: pyo.Block, window: Window, values: dict[str, float]) -> None:  # noqa: B027
        """Optionally re-attribute value between reported streams after a solve.

        Called with every stream's term value in ``values`` (mutable); an override may move
        value between entries where the LP split is not unique (the sum must not change).
        """
