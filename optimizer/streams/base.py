"""The stream interface (see :mod:`optimizer.streams`): what the core gives a stream and
what a stream gives back."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from markets.tariff import Tariff
    from optimizer.battery import Battery
    from optimizer.window import SlotLayout, Window

__all__ = ["CoreHandles", "RetailStream", "Stream", "StreamTerms"]


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


class RetailStream(Stream):
    """A stream that owns one part of the retail tariff.

    It says whether a tariff and battery call for it (:meth:`applies`) and whether its part of
    the tariff can be priced exactly (:meth:`check_tariff`); :data:`optimizer.streams.
    RETAIL_STREAMS` lists them, and the model only loops over that list.
    """

    @classmethod
    @abc.abstractmethod
    def applies(cls, tariff: Tariff, battery: Battery) -> bool:
        """Whether ``tariff`` and ``battery`` call for this stream."""

    @classmethod
    def check_tariff(cls, tariff: Tariff, dt_h: float) -> None:
        """Raise ``InputError`` if this stream's part of ``tariff`` cannot be priced exactly.

        Called for every tariff a model is built for, whether or not the part is present
        (``dt_h`` is the model's step [h]).
        """
