"""Validation of everything a dispatch model is built from and solved with.

:class:`ModelSpec` checks the construction arguments (and that the optimizer can price every
part of the tariff) and turns each solve's inputs into a :class:`~optimizer.window.Window`,
raising :class:`~core.errors.InputError` naming the field before any model is built or any
parameter is touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index
from core.validation import require_fraction, validate_series
from markets.tariff import Tariff
from markets.tariff_terms import PEAK_CHARGES
from optimizer.battery import Battery
from optimizer.calendar import CalendarCache, direct_lookups
from optimizer.retail import check_tariff_supported, retail_streams
from optimizer.state import MonthToDate, TerminalMode, TerminalSoc
from optimizer.streams import Stream
from optimizer.window import SlotLayout, Window, month_slot_layout

__all__ = ["ModelSpec", "check_tariff_supported", "horizon_step"]

_SOC_TOLERANCE = 1e-9
"""Slack on SOC-window checks of given fractions, for values carried over in floating point."""


def _step(freq: object) -> pd.Timedelta:
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError) as exc:
        raise InputError("freq", freq, 'a fixed step such as "15min" or "1h"') from exc
    if step <= pd.Timedelta(0):
        raise InputError("freq", freq, "a positive step")
    return step


def horizon_step(load_kw: object) -> pd.Timedelta:
    """Step of a valid ``load_kw`` series (raises ``InputError`` naming ``load_kw``)."""
    validate_series(load_kw, name="load_kw", nonnegative=True)
    index = load_kw.index
    validate_index(index, name="load_kw.index")
    return index[1] - index[0] if len(index) >= 2 else pd.Timedelta(index.freq)


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """Validated construction arguments of a :class:`~optimizer.model.DispatchModel`."""

    battery: Battery
    tariff: Tariff
    n_steps: int
    step: pd.Timedelta
    dt_h: float
    relax_binaries: bool
    mip_rel_gap: float
    time_limit_s: float | None
    relaxation_first: bool
    streams: tuple[Stream, ...]
    stream_names: tuple[str, ...]
    slots: SlotLayout
    calendar: CalendarCache | None = field(default=None, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        battery: object,
        tariff: object,
        n_steps: object,
        freq: object,
        relax_binaries: object,
        mip_rel_gap: object,
        streams: Sequence[object],
        time_limit_s: object,
        relaxation_first: object,
    ) -> ModelSpec:
        """Check every argument; raise ``InputError`` naming the first bad one."""
        if not isinstance(battery, Battery):
            raise InputError("battery", type(battery).__name__, "an optimizer.Battery")
        if not isinstance(tariff, Tariff):
            raise InputError("tariff", type(tariff).__name__, "a markets.Tariff")
        if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
            raise InputError("n_steps", n_steps, "an integer >= 1")
        if not isinstance(relax_binaries, bool):
            raise InputError("relax_binaries", relax_binaries, "True or False")
        if (
            isinstance(mip_rel_gap, bool)
            or not isinstance(mip_rel_gap, (int, float))
            or not 0 <= mip_rel_gap < 1
        ):
            raise InputError("mip_rel_gap", mip_rel_gap, "a fraction in [0, 1)")
        if time_limit_s is not None and not (
            isinstance(time_limit_s, (int, float)) and time_limit_s > 0
        ):
            raise InputError("time_limit_s", time_limit_s, "None or a positive number of seconds")
        if not isinstance(relaxation_first, bool):
            raise InputError("relaxation_first", relaxation_first, "True or False")
        step = _step(freq)
        dt_h = step / pd.Timedelta(hours=1)
        check_tariff_supported(tariff, dt_h)
        extra = list(streams)
        for i, stream in enumerate(extra):
            if not isinstance(stream, Stream):
                raise InputError(f"streams[{i}]", type(stream).__name__, "an optimizer Stream")
        retail = retail_streams(tariff, battery)
        all_streams = tuple(retail + extra)
        names = [s.name for s in all_streams]
        for i in range(len(retail), len(names)):
            name = names[i]
            if not isinstance(name, str) or not name.isidentifier() or name in names[:i]:
                raise InputError(
                    f"streams[{i - len(retail)}].name",
                    name,
                    f"a unique identifier (taken: {names[:i]})",
                )
        return cls(
            battery=battery,
            tariff=tariff,
            n_steps=int(n_steps),
            step=step,
            dt_h=dt_h,
            relax_binaries=relax_binaries,
            mip_rel_gap=float(mip_rel_gap),
            time_limit_s=None if time_limit_s is None else float(time_limit_s),
            relaxation_first=relaxation_first,
            streams=all_streams,
            stream_names=tuple(names),
            slots=month_slot_layout(int(n_steps), dt_h),
            calendar=CalendarCache(tariff, step),
        )

    def window(
        self,
        load_kw: object,
        pv_kw: object,
        initial_soc_fraction: object,
        terminal: object,
        month_to_date: object,
        stream_inputs: object,
    ) -> Window:
        """Check one solve's inputs and look up the tariff's calendar for its index."""
        b = self.battery
        tariff = self.tariff
        validate_series(load_kw, name="load_kw", nonnegative=True)
        index = load_kw.index
        if len(index) != self.n_steps:
            raise InputError(
                "load_kw", f"{len(index)} steps", f"{self.n_steps} steps (the model's n_steps)"
            )
        step = index[1] - index[0] if len(index) >= 2 else pd.Timedelta(index.freq)
        if step != self.step:
            raise InputError("load_kw.index", f"step {step}", f"the model's step {self.step}")
        if pv_kw is None:
            pv = np.zeros(self.n_steps)
        else:
            validate_series(pv_kw, name="pv_kw", index=index, nonnegative=True)
            pv = pv_kw.to_numpy(dtype=float)
        require_fraction("initial_soc_fraction", initial_soc_fraction)
        low, high = b.soc_min_fraction, b.soc_max_fraction
        if not low - _SOC_TOLERANCE <= initial_soc_fraction <= high + _SOC_TOLERANCE:
            raise InputError(
                "initial_soc_fraction",
                initial_soc_fraction,
                f"within the SOC window [{low}, {high}]",
            )
        if not isinstance(terminal, TerminalSoc):
            raise InputError("terminal", type(terminal).__name__, "an optimizer.TerminalSoc")
        if terminal.mode is not TerminalMode.VALUED and terminal.soc_fraction is not None:
            if not low - _SOC_TOLERANCE <= terminal.soc_fraction <= high + _SOC_TOLERANCE:
                raise InputError(
                    "terminal.soc_fraction",
                    terminal.soc_fraction,
                    f"within the SOC window [{low}, {high}]",
                )
        self._check_month_to_date(month_to_date)
        inputs = {} if stream_inputs is None else stream_inputs
        if not isinstance(inputs, Mapping):
            raise InputError("stream_inputs", type(inputs).__name__, "a mapping by stream name")
        for key in inputs:
            if key not in self.stream_names:
                raise InputError("stream_inputs", key, f"one of the streams {self.stream_names}")
        if self.calendar is None:
            lookups = direct_lookups(tariff, index)
        else:
            lookups = self.calendar.lookups(index)
        month_slot, slot_months = Window.month_slots_of(index, self.slots, lookups.month_id)
        return Window(
            index=index,
            dt_h=self.dt_h,
            load_kw=load_kw.to_numpy(dtype=float),
            pv_kw=pv,
            initial_soc_fraction=float(initial_soc_fraction),
            terminal=terminal,
            month_to_date=month_to_date,
            month_slot=month_slot,
            slot_months=slot_months,
            import_rate_usd_per_kwh=lookups.import_rate_usd_per_kwh,
            sell_rate_usd_per_kwh=lookups.sell_rate_usd_per_kwh,
            energy_period=lookups.energy_period,
            demand_periods=lookups.demand_periods,
            stream_inputs=inputs,
        )

    def _check_month_to_date(self, month_to_date: object) -> None:
        """Types and lengths of the month-to-date state."""
        if not isinstance(month_to_date, MonthToDate):
            raise InputError(
                "month_to_date", type(month_to_date).__name__, "an optimizer.MonthToDate"
            )
        tariff = self.tariff
        for kind in PEAK_CHARGES:
            part = getattr(tariff, kind.field)
            n_periods = 0 if part is None else part.n_periods
            peaks = month_to_date.peak_kw(kind.name)
            if len(peaks) not in (0, n_periods):
                raise InputError(
                    f"month_to_date.{month_to_date.peak_field(kind.name)}",
                    peaks,
                    f"empty or {n_periods} entries (one per period of Tariff.{kind.field})",
                )
        n_energy = 1 if tariff.energy is None else len(tariff.energy.periods)
        for name in ("import_kwh_by_period", "export_kwh_by_period"):
            value = getattr(month_to_date, name)
            if len(value) not in (0, n_energy):
                raise InputError(
                    f"month_to_date.{name}", value, f"empty or {n_energy} entries (one per period)"
                )
