"""What a dispatch problem starts from and must end at: SOC and month-to-date billing state."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from core.errors import InputError
from core.validation import require_fraction, require_nonnegative
from markets.tariff import TouDemandCharges

__all__ = ["MonthToDate", "TerminalMode", "TerminalSoc"]


class TerminalMode(enum.Enum):
    """How the state of charge at the end of the horizon is treated."""

    FIXED = "fixed"
    """End exactly at ``TerminalSoc.soc_fraction``."""
    MINIMUM = "minimum"
    """End at or above ``TerminalSoc.soc_fraction``."""
    VALUED = "valued"
    """End anywhere; each stored kWh at the end is worth ``value_usd_per_kwh``."""


@dataclass(frozen=True, kw_only=True)
class TerminalSoc:
    """Terminal state-of-charge condition.

    Parameters
    ----------
    mode : TerminalMode, default TerminalMode.MINIMUM
        The kind of condition.
    soc_fraction : float or None, default None
        Target for ``FIXED`` / ``MINIMUM`` as a fraction of ``energy_kwh``; None means the
        initial state of charge of the same problem.
    value_usd_per_kwh : float, default 0.0
        Worth of one stored kWh at the end, for ``VALUED`` [$/kWh].
    """

    mode: TerminalMode = TerminalMode.MINIMUM
    soc_fraction: float | None = None
    value_usd_per_kwh: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.mode, TerminalMode):
            raise InputError("TerminalSoc.mode", self.mode, f"one of {list(TerminalMode)}")
        if self.soc_fraction is not None:
            require_fraction("TerminalSoc.soc_fraction", self.soc_fraction)
        require_nonnegative("TerminalSoc.value_usd_per_kwh", self.value_usd_per_kwh)


@dataclass(frozen=True, kw_only=True)
class MonthToDate:
    """Billing state already set in the month that contains the horizon's first step.

    Later months inside the horizon start from zero. All peaks are in kW at the meter.

    Parameters
    ----------
    flat_peak_kw : float, default 0.0
        Highest demand already set this billing month (all hours) [kW].
    tou_peak_kw : tuple of float, default ()
        Highest demand already set this month in each TOU demand period, indexed by period;
        empty means all zero.
    ratchet_peak_kw : float, default 0.0
        Highest monthly peak among the ratchet's look-back months [kW].
    import_kwh_by_period : tuple of float, default ()
        Energy already imported this month in each energy period, for tiered rates; empty
        means all zero [kWh].
    export_kwh_by_period : tuple of float, default ()
        Energy already exported this month in each energy period, for net metering [kWh].
    demand_peaks_kw : Mapping of str to tuple of float, default empty
        As ``tou_peak_kw``, for each further peak charge of the tariff by its ``name`` (see
        ``markets.peak_charges`` and :meth:`peak_kw`); a missing or empty entry means all zero.
    """

    flat_peak_kw: float = 0.0
    tou_peak_kw: tuple[float, ...] = ()
    ratchet_peak_kw: float = 0.0
    import_kwh_by_period: tuple[float, ...] = ()
    export_kwh_by_period: tuple[float, ...] = ()
    demand_peaks_kw: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def peak_kw(self, name: str) -> tuple[float, ...]:
        """Peaks already set of the peak charge ``name`` (``tou_peak_kw`` for ``"tou"``) [kW]."""
        if name == TouDemandCharges.name:
            return self.tou_peak_kw
        return tuple(self.demand_peaks_kw.get(name, ()))

    def replace_peaks(self, peaks_kw: Mapping[str, tuple[float, ...]]) -> MonthToDate:
        """A copy with the peaks of each peak charge named in ``peaks_kw`` replaced [kW]."""
        tou = TouDemandCharges.name
        others = {name: tuple(v) for name, v in peaks_kw.items() if name != tou}
        return replace(
            self,
            tou_peak_kw=tuple(peaks_kw.get(tou, self.tou_peak_kw)),
            demand_peaks_kw={**self.demand_peaks_kw, **others},
        )

    def peak_field(self, name: str) -> str:
        """The field holding the peaks of the peak charge ``name``, for messages."""
        if name == TouDemandCharges.name:
            return "tou_peak_kw"
        return f"demand_peaks_kw[{name!r}]"

    @classmethod
    def from_usage(cls, usage: object, *, energy_periods: bool = True) -> MonthToDate:
        """Carry a bill engine's ``markets.bill.MonthToDateUsage`` into a dispatch problem.

        Parameters
        ----------
        usage : markets.bill.MonthToDateUsage
            What the billing month of the next horizon's first step has set so far (see
            ``markets.bill.month_to_date`` or ``markets.meter.MonthToDateMeter``).
        energy_periods : bool, default True
            Carry the energy per period (False for a tariff without energy charges, whose
            usage holds one all-hours entry the model has no period for).

        A month that has only exported so far has a negative peak; as a demand floor it is 0.
        """
        energy = energy_periods
        return cls(
            flat_peak_kw=max(float(usage.flat_peak_kw), 0.0),
            tou_peak_kw=tuple(max(float(v), 0.0) for v in usage.tou_peak_kw),
            ratchet_peak_kw=max(float(usage.ratchet_peak_kw), 0.0),
            import_kwh_by_period=tuple(float(v) for v in usage.import_kwh_by_period)
            if energy
            else (),
            export_kwh_by_period=tuple(float(v) for v in usage.export_kwh_by_period)
            if energy
            else (),
            demand_peaks_kw={
                name: tuple(max(float(v), 0.0) for v in peaks)
                for name, peaks in usage.demand_peaks_kw.items()
            },
        )

    def __post_init__(self) -> None:
        require_nonnegative("MonthToDate.flat_peak_kw", self.flat_peak_kw)
        require_nonnegative("MonthToDate.ratchet_peak_kw", self.ratchet_peak_kw)
        fields = {
            f"MonthToDate.{name}": getattr(self, name)
            for name in ("tou_peak_kw", "import_kwh_by_period", "export_kwh_by_period")
        }
        if not isinstance(self.demand_peaks_kw, Mapping):
            raise InputError("MonthToDate.demand_peaks_kw", self.demand_peaks_kw, "a mapping")
        fields |= {
            f"MonthToDate.{self.peak_field(name)}": peaks
            for name, peaks in self.demand_peaks_kw.items()
        }
        for name, values in fields.items():
            for i, value in enumerate(values):
                if not math.isfinite(value) or value < 0:
                    raise InputError(f"{name}[{i}]", value, "a finite number >= 0")
