"""Demand response events (``demand_response``): a committed kW for an event window.

An event commits ``K`` kW of load reduction from ``start`` to ``end``. The reduction a battery
delivers is its net output ``d_t - c_t`` (the site's own load is what it would have been
without the battery, so that is the change at the meter against a no-battery baseline).
Per event step, with delivered reduction ``x_t`` [kW]:

.. math::

    x_t \\le d_t - c_t, \\qquad x_t \\le K_t

    \\text{value} = \\sum_t \\big(C_t + (e_t + \\pi_t)\\, x_t\\, dt - \\pi_t K_t\\, dt\\big)

with ``e`` the energy payment [$/kWh] on delivered reduction up to the commitment, ``pi`` the
penalty [$/kWh] on each committed kWh not delivered (``K_t - x_t``; a battery that charges
during an event delivers a negative reduction and pays for it), and ``C_t`` the capacity
payment (``capacity_usd_per_kw * K``) spread evenly over the event's steps, a constant that
makes the reported value complete. The headroom and energy rows of the core see ``d_t`` and
``c_t`` directly, so reserves held in the same step cannot use the same kW.

Per-solve data: ``stream_inputs["demand_response"]`` is a :class:`DemandResponseEvents`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from core.errors import InputError
from core.validation import require_nonnegative, require_positive
from optimizer.core import assign
from optimizer.streams import CoreHandles, Stream, StreamTerms
from optimizer.window import Window

__all__ = ["DemandResponseEvent", "DemandResponseEvents", "DemandResponseStream"]


def _timestamp(name: str, value: object) -> pd.Timestamp:
    if not isinstance(value, pd.Timestamp) or value.tzinfo is None:
        raise InputError(name, value, "a tz-aware pandas.Timestamp")
    return value


@dataclass(frozen=True, kw_only=True)
class DemandResponseEvent:
    """One called event.

    Parameters
    ----------
    start, end : pandas.Timestamp
        tz-aware start of the first and end of the last event interval (``end`` exclusive).
    committed_kw : float
        Committed reduction [kW].
    capacity_usd_per_kw : float, default 0.0
        Payment per committed kW for this event [$/kW].
    energy_usd_per_kwh : float, default 0.0
        Payment per kWh of delivered reduction, up to the commitment [$/kWh].
    shortfall_usd_per_kwh : float, default 0.0
        Penalty per committed kWh not delivered [$/kWh].
    """

    start: pd.Timestamp
    end: pd.Timestamp
    committed_kw: float
    capacity_usd_per_kw: float = 0.0
    energy_usd_per_kwh: float = 0.0
    shortfall_usd_per_kwh: float = 0.0

    def __post_init__(self) -> None:
        start = _timestamp("DemandResponseEvent.start", self.start)
        end = _timestamp("DemandResponseEvent.end", self.end)
        if end <= start:
            raise InputError("DemandResponseEvent.end", end, f"a time after start={start}")
        require_positive("DemandResponseEvent.committed_kw", self.committed_kw)
        require_nonnegative("DemandResponseEvent.capacity_usd_per_kw", self.capacity_usd_per_kw)
        require_nonnegative("DemandResponseEvent.energy_usd_per_kwh", self.energy_usd_per_kwh)
        require_nonnegative("DemandResponseEvent.shortfall_usd_per_kwh", self.shortfall_usd_per_kwh)


@dataclass(frozen=True, kw_only=True)
class DemandResponseEvents:
    """The events of a program (non-overlapping).

    Parameters
    ----------
    events : tuple of DemandResponseEvent
        Sorted by start; an event may end where the next starts.
    """

    events: tuple[DemandResponseEvent, ...]

    def __post_init__(self) -> None:
        for i, event in enumerate(self.events):
            if not isinstance(event, DemandResponseEvent):
                raise InputError(f"events[{i}]", event, "a DemandResponseEvent")
            if i and event.start < self.events[i - 1].end:
                raise InputError(
                    f"events[{i}].start",
                    event.start,
                    f"a start at or after the previous event's end {self.events[i - 1].end}",
                )

    def per_step(self, index: pd.DatetimeIndex, dt_h: float) -> dict[str, np.ndarray]:
        """Per-step committed kW, payments and penalty on ``index``.

        Events must start and end on step boundaries of the grid (checked for the events that
        overlap ``index``); the capacity payment of an event is spread evenly over its steps.

        Returns
        -------
        dict of numpy.ndarray
            ``committed_kw``, ``capacity_usd`` (per step), ``energy_usd_per_kwh``,
            ``shortfall_usd_per_kwh``.
        """
        n = len(index)
        out = {
            key: np.zeros(n)
            for key in (
                "committed_kw",
                "capacity_usd",
                "energy_usd_per_kwh",
                "shortfall_usd_per_kwh",
            )
        }
        step = pd.Timedelta(hours=dt_h)
        origin = index[0]
        horizon_end = index[-1] + step
        for i, ev in enumerate(self.events):
            if ev.end <= origin or ev.start >= horizon_end:
                continue
            for name, edge in (("start", ev.start), ("end", ev.end)):
                if (edge - origin) % step != pd.Timedelta(0):
                    raise InputError(
                        f"events[{i}].{name}",
                        edge,
                        f"a time on the {step} step grid of the horizon",
                    )
            n_event_steps = int((ev.end - ev.start) / step)
            mask = (index >= ev.start) & (index < ev.end)
            out["committed_kw"][mask] = ev.committed_kw
            out["capacity_usd"][mask] = ev.capacity_usd_per_kw * ev.committed_kw / n_event_steps
            out["energy_usd_per_kwh"][mask] = ev.energy_usd_per_kwh
            out["shortfall_usd_per_kwh"][mask] = ev.shortfall_usd_per_kwh
        return out


class DemandResponseStream(Stream):
    """Committed load reduction during called events, paid per kW and per kWh."""

    name = "demand_response"

    def build(self, block: pyo.Block, core: CoreHandles) -> StreamTerms:
        """Delivered-reduction variable per step, bounded by net output and the commitment."""
        b = block
        dt = core.dt_h
        b.committed_kw = pyo.Param(core.steps, mutable=True, initialize=0.0, within=pyo.Any)
        b.capacity_usd = pyo.Param(core.steps, mutable=True, initialize=0.0, within=pyo.Any)
        b.energy_usd_per_kwh = pyo.Param(core.steps, mutable=True, initialize=0.0, within=pyo.Any)
        b.shortfall_usd_per_kwh = pyo.Param(
            core.steps, mutable=True, initialize=0.0, within=pyo.Any
        )
        b.delivered_kw = pyo.Var(core.steps)
        b.by_output = pyo.Constraint(
            core.steps,
            rule=lambda b, t: b.delivered_kw[t] <= core.discharge_kw[t] - core.charge_kw[t],
        )
        b.by_commitment = pyo.Constraint(
            core.steps, rule=lambda b, t: b.delivered_kw[t] <= b.committed_kw[t]
        )
        b.value_usd = pyo.Expression(
            expr=sum(
                b.capacity_usd[t]
                + (b.energy_usd_per_kwh[t] + b.shortfall_usd_per_kwh[t]) * dt * b.delivered_kw[t]
                - b.shortfall_usd_per_kwh[t] * dt * b.committed_kw[t]
                for t in core.steps
            )
        )
        b.cost_usd = pyo.Expression(expr=-b.value_usd)
        return StreamTerms(objective_usd=b.cost_usd)

    def _events(self, window: Window) -> DemandResponseEvents:
        events = window.stream_inputs.get(self.name)
        if not isinstance(events, DemandResponseEvents):
            raise InputError(
                f"stream_inputs[{self.name!r}]",
                type(events).__name__,
                "a DemandResponseEvents (use DemandResponseEvents(events=()) for none)",
            )
        return events

    def check(self, window: Window) -> None:
        """Events are given and sit on the window's step grid."""
        self._events(window).per_step(window.index, window.dt_h)

    def update(self, block: pyo.Block, window: Window) -> None:
        """Write the per-step commitment, payments and penalty."""
        data = self._events(window).per_step(window.index, window.dt_h)
        assign(block.committed_kw, data["committed_kw"])
        assign(block.capacity_usd, data["capacity_usd"])
        assign(block.energy_usd_per_kwh, data["energy_usd_per_kwh"])
        assign(block.shortfall_usd_per_kwh, data["shortfall_usd_per_kwh"])
