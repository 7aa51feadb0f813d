"""The backtest configuration as frozen, validated dataclasses (read from TOML by :mod:`sims.config`).

Every check of a value's range or of one field against another lives here, in
``__post_init__``, and names the TOML key (e.g. ``dispatch.lookahead_h``); the TOML edge
(:mod:`sims.config`) only checks keys and types.
"""

from __future__ import annotations

import logging
import math
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from control.settings import Cadence, Fallback
from core.errors import InputError
from core.validation import require_fraction, require_positive
from forecasting.pv import PVSystemSpec
from forecasting.registry import FORECASTERS, names_for
from optimizer.battery import Battery
from sims.finance import FinanceInputs
from sims.markets import MarketsConfig

__all__ = [
    "LOAD_FORECASTERS",
    "PV_FORECASTERS",
    "STEPS",
    "BacktestConfig",
    "Cadence",
    "DispatchConfig",
    "Fallback",
    "ForecastConfig",
    "SiteConfig",
    "TariffConfig",
]

logger = logging.getLogger(__name__)

LOAD_FORECASTERS: tuple[str, ...] = names_for("load_kw")
"""Load forecaster names a configuration may choose (:data:`forecasting.registry.FORECASTERS`)."""

PV_FORECASTERS: tuple[str, ...] = names_for("pv_kw")
"""PV forecaster names a configuration may choose (:data:`forecasting.registry.FORECASTERS`)."""

STEPS: dict[str, pd.Timedelta] = {"15min": pd.Timedelta(minutes=15), "1h": pd.Timedelta(hours=1)}


@dataclass(frozen=True, kw_only=True)
class SiteConfig:
    """Where the site is and where its data lives.

    Parameters
    ----------
    name : str
        Site identifier (used for output folders; letters, digits, ``-``, ``_``, ``.``).
    timezone : str
        IANA time zone of the site; tariff periods and billing months are evaluated in it.
    load_csv : pathlib.Path
        CSV with a timestamp column and the load column [kW].
    load_column : str, default "load_kw"
        The load column.
    pv_csv : pathlib.Path or None, default None
        CSV with a timestamp column and the PV column [kW]; None for a site without PV.
    pv_column : str, default "pv_kw"
        The PV column.
    timestamp_column : str, default "timestamp"
        Interval-start timestamps: with a UTC offset (ISO 8601, e.g.
        ``2025-01-01T00:00:00-08:00``), or naive wall-clock time in ``timezone`` (a
        DST-ambiguous or nonexistent local time is an error); see :mod:`core.series`.
    start, end : pandas.Timestamp or None
        Local start (inclusive) and end (exclusive) of the simulated period; None for the whole
        data.
    allow_large_load : bool, default False
        Accept a median load of 10-100 MW (a data center, a mill); without it such a load is
        refused as a load in W (limits: ``docs/plausibility.md``).
    """

    name: str
    timezone: str
    load_csv: Path
    load_column: str = "load_kw"
    pv_csv: Path | None = None
    pv_column: str = "pv_kw"
    timestamp_column: str = "timestamp"
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    allow_large_load: bool = False

    def __post_init__(self) -> None:
        if not self.name or not all(c.isalnum() or c in "-_." for c in self.name):
            raise InputError("site.name", self.name, "a name of letters, digits, '-', '_', '.'")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError("site.timezone", self.timezone, "an IANA time zone") from exc
        for key in ("load_csv", "pv_csv"):
            path = getattr(self, key)
            if path is not None and not Path(path).is_file():
                raise InputError(f"site.{key}", str(path), "an existing CSV file")
        for key in ("start", "end"):
            when = getattr(self, key)
            if when is not None and (not isinstance(when, pd.Timestamp) or when.tz is None):
                raise InputError(f"site.{key}", when, "a tz-aware pandas.Timestamp")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InputError(
                "site.end", self.end, f"a time after site.start ({self.start.isoformat()})"
            )


@dataclass(frozen=True, kw_only=True)
class TariffConfig:
    """The retail tariff.

    Parameters
    ----------
    urdb_json : pathlib.Path
        URDB rate record (JSON).
    holiday_country : str or None, default None
        Bill this country's public holidays on the weekend schedules (e.g. ``"US"``); URDB
        records do not list holidays, so None bills none.
    holiday_subdivision : str or None, default None
        State or province for ``holiday_country`` (e.g. ``"CA"``).
    allow_negative_rates : bool, default False
        Accept negative energy or demand rates (credits) in the record.
    """

    urdb_json: Path
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    allow_negative_rates: bool = False

    def __post_init__(self) -> None:
        if not Path(self.urdb_json).is_file():
            raise InputError("tariff.urdb_json", str(self.urdb_json), "an existing JSON file")


@dataclass(frozen=True, kw_only=True)
class ForecastConfig:
    """Which forecasts drive the dispatch.

    Parameters
    ----------
    load : str, default "perfect"
        Load forecaster, one of :data:`LOAD_FORECASTERS`.
    pv : str, default "perfect"
        PV forecaster, one of :data:`PV_FORECASTERS` (``"pvlib"`` needs
        ``BacktestConfig.pv_system``).
    compare_perfect_foresight : bool, default True
        Also run the same year with perfect foresight, to report the capture ratio (skipped
        when both forecasters already are ``"perfect"``).
    load_quantile : float or None, default None
        Plan on the load forecast raised by this quantile of its own recent errors at the same
        local hour (e.g. 0.9; see :class:`sims.forecasts.ForecastFeed`); None plans on the
        point forecast. Behind the meter, a higher load changes only demand-charge decisions,
        so this keeps energy in reserve for the peaks a point forecast misses.
    compare_prescient : bool, default True
        Also run the prescient bound (perfect foresight, one plan per billing month, same
        plant and bill engine), the denominator of ``capture_of_prescient``.
    warmup_days : int or None, default None
        Days at the start of the data used only as forecast history (no dispatch, no bill);
        None takes what the forecasters need (0 for perfect foresight, see
        :data:`sims.forecasts.WARMUP_DAYS`).
    """

    load: str = "perfect"
    pv: str = "perfect"
    compare_perfect_foresight: bool = True
    load_quantile: float | None = None
    compare_prescient: bool = True
    warmup_days: int | None = None

    def __post_init__(self) -> None:
        if self.load not in LOAD_FORECASTERS:
            raise InputError("forecast.load", self.load, f"one of {LOAD_FORECASTERS}")
        if self.pv not in PV_FORECASTERS:
            raise InputError("forecast.pv", self.pv, f"one of {PV_FORECASTERS}")
        if self.load_quantile is not None and (
            isinstance(self.load_quantile, bool)
            or not isinstance(self.load_quantile, float)
            or not 0 < self.load_quantile < 1
        ):
            raise InputError("forecast.load_quantile", self.load_quantile, "a fraction in (0, 1)")
        if self.warmup_days is not None and (
            isinstance(self.warmup_days, bool)
            or not isinstance(self.warmup_days, int)
            or self.warmup_days < 0
        ):
            raise InputError("forecast.warmup_days", self.warmup_days, "an integer >= 0")
        if not isinstance(self.compare_perfect_foresight, bool):
            raise InputError(
                "forecast.compare_perfect_foresight", self.compare_perfect_foresight, "a boolean"
            )

    @property
    def is_perfect(self) -> bool:
        """True when both forecasts are perfect foresight."""
        return self.load == "perfect" and self.pv == "perfect"


@dataclass(frozen=True, kw_only=True)
class DispatchConfig:
    """Rolling-horizon settings.

    Parameters
    ----------
    step : str or None, default None
        Simulation step, ``"15min"`` or ``"1h"``; None takes the data's own step. Hourly data
        simulated at 15 min holds each hour's mean power over its four quarters; 15-min data
        simulated hourly is averaged (both keep the energy of every hour).
    cadence : Cadence, default Cadence.DAILY
        How often the dispatch is re-optimized.
    lookahead_h : float, default 48.0
        Length of each optimization window [h]; a multiple of the step, at least one cadence
        period.
    mip_rel_gap : float, default 1e-4
        Relative MIP gap at which HiGHS stops [fraction].
    relax_binaries : bool, default False
        Solve the LP relaxation (no binary forbidding simultaneous charge and discharge).
    fallback : Fallback, default Fallback.HOLD
        The safe dispatch of a window that fails to solve.
    demand_guard : bool, default True
        Run the controller's real-time layer: every interval it holds the meter at the demand
        target of the interval's priced demand windows while energy lasts and keeps the energy
        reserve for later peaks (see :mod:`control.realtime`); False applies the plan's powers
        (charging still never lifts the meter above the target).
    replan_on_events : bool, default True
        Also re-plan when the meter sets a peak above its target or the stored energy falls
        below the reserve (at most hourly), besides the cadence.
    history_days : int, default 56
        Recent complete days the controller keeps as scenarios (:mod:`control.history`):
        targets never below the level the battery held on each, a reserve that would have
        held them on each; 0 switches this off.
    max_fallback_fraction : float, default 0.5
        Largest share of windows that may fall back before the command line calls the run
        failed (exit code 3) [fraction].
    """

    step: str | None = None
    cadence: Cadence = Cadence.DAILY
    lookahead_h: float = 48.0
    mip_rel_gap: float = 1e-4
    relax_binaries: bool = False
    fallback: Fallback = Fallback.HOLD
    demand_guard: bool = True
    replan_on_events: bool = True
    max_fallback_fraction: float = 0.5
    history_days: int = 56

    def __post_init__(self) -> None:
        require_fraction("dispatch.max_fallback_fraction", self.max_fallback_fraction)
        if (
            isinstance(self.history_days, bool)
            or not isinstance(self.history_days, int)
            or self.history_days < 0
        ):
            raise InputError("dispatch.history_days", self.history_days, "an integer >= 0")
        if not isinstance(self.replan_on_events, bool):
            raise InputError("dispatch.replan_on_events", self.replan_on_events, "a boolean")
        if not isinstance(self.demand_guard, bool):
            raise InputError("dispatch.demand_guard", self.demand_guard, "a boolean")
        if self.step is not None and self.step not in STEPS:
            raise InputError("dispatch.step", self.step, f"one of {tuple(STEPS)}")
        if not isinstance(self.cadence, Cadence):
            raise InputError(
                "dispatch.cadence", self.cadence, f"one of {[c.value for c in Cadence]}"
            )
        if not isinstance(self.fallback, Fallback):
            raise InputError(
                "dispatch.fallback", self.fallback, f"one of {[f.value for f in Fallback]}"
            )
        require_positive("dispatch.lookahead_h", self.lookahead_h)
        require_fraction("dispatch.mip_rel_gap", self.mip_rel_gap)
        if not isinstance(self.relax_binaries, bool):
            raise InputError("dispatch.relax_binaries", self.relax_binaries, "a boolean")
        if self.step is not None:
            self.check_step(STEPS[self.step])
        elif self.cadence is not Cadence.STEP:
            period = self.cadence.period(pd.Timedelta(minutes=15))
            if pd.Timedelta(hours=self.lookahead_h) < period:
                raise InputError(
                    "dispatch.lookahead_h",
                    self.lookahead_h,
                    f"at least one re-optimization period ({period})",
                )

    def check_step(self, step: pd.Timedelta) -> None:
        """Check the look-ahead and cadence against a simulation step."""
        lookahead = pd.Timedelta(hours=self.lookahead_h)
        ratio = lookahead / step
        if not math.isclose(ratio, round(ratio)):
            raise InputError("dispatch.lookahead_h", self.lookahead_h, f"a multiple of {step}")
        if lookahead < self.cadence.period(step):
            raise InputError(
                "dispatch.lookahead_h",
                self.lookahead_h,
                f"at least one re-optimization period ({self.cadence.period(step)})",
            )


@dataclass(frozen=True, kw_only=True)
class BacktestConfig:
    """Everything a backtest needs.

    Parameters
    ----------
    site : SiteConfig
        Site and data files.
    tariff : TariffConfig
        The retail tariff.
    battery : Battery
        The battery and site grid limits.
    initial_soc_fraction : float, default 0.5
        State of charge at the start of the year, as a fraction of ``energy_kwh``.
    forecast : ForecastConfig
        Forecasters.
    dispatch : DispatchConfig
        Rolling-horizon settings.
    finance : FinanceInputs
        Economic assumptions.
    markets : MarketsConfig or None, default None
        Wholesale and ancillary market streams; None for retail bill savings only.
    pv_system : forecasting.pv.PVSystemSpec or None, default None
        The site's PV array (``[pv_system]``), required by ``forecast.pv = "pvlib"``.
    source : pathlib.Path or None, default None
        The TOML file this came from.
    """

    site: SiteConfig
    tariff: TariffConfig
    battery: Battery
    initial_soc_fraction: float = 0.5
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    finance: FinanceInputs = field(default_factory=FinanceInputs)
    markets: MarketsConfig | None = None
    pv_system: PVSystemSpec | None = None
    source: Path | None = None

    def __post_init__(self) -> None:
        require_fraction("battery.initial_soc_fraction", self.initial_soc_fraction)
        b = self.battery
        if not b.soc_min_fraction <= self.initial_soc_fraction <= b.soc_max_fraction:
            raise InputError(
                "battery.initial_soc_fraction",
                self.initial_soc_fraction,
                f"a fraction within [{b.soc_min_fraction}, {b.soc_max_fraction}]",
            )
        if self.markets is not None and not isinstance(self.markets, MarketsConfig):
            raise InputError("markets", type(self.markets).__name__, "a MarketsConfig or None")
        if self.pv_system is not None and not isinstance(self.pv_system, PVSystemSpec):
            raise InputError("pv_system", type(self.pv_system).__name__, "a PVSystemSpec or None")
        if "pv_system" in FORECASTERS[self.forecast.pv].needs:
            why = f'(forecast.pv = "{self.forecast.pv}")'
            if self.pv_system is None:
                raise InputError("pv_system", None, f"a [pv_system] table {why}")
            if self.site.pv_csv is None:
                raise InputError("site.pv_csv", None, f"a PV CSV {why}")
