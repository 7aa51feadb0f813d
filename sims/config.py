"""Backtest configuration: a TOML file parsed into frozen, validated dataclasses at the edge.

A configuration file (see ``examples/site.toml``) has these tables; relative paths are read
from the TOML file's own folder::

    [site]        name, timezone, load_csv, load_column, pv_csv, pv_column, timestamp_column,
                  start, end
    [tariff]      urdb_json, holiday_country, holiday_subdivision
    [battery]     every field of optimizer.Battery, plus initial_soc_fraction
    [forecast]    load, pv (forecaster names, or "perfect"), compare_perfect_foresight,
                  compare_prescient, load_quantile, warmup_days
    [dispatch]    step, cadence ("step" | "hourly" | "daily" | "monthly"), lookahead_h, mip_rel_gap,
                  relax_binaries, fallback ("hold" | "peak_guard"), demand_guard,
                  replan_on_events, history_days, max_fallback_fraction
    [finance]     every field of sims.finance.FinanceInputs (optional table)
    [markets]     wholesale and ancillary market streams (optional; see sims.markets)
    [pv_system]   the PV array for forecast.pv = "pvlib" (optional; see sims.pv_config)

Unknown tables or keys, wrong types and out-of-range values raise
:class:`core.errors.InputError` naming the TOML key (e.g. ``battery.power_kw``) before any
data is read.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import math
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from control.settings import Cadence, Fallback
from core.errors import InputError
from core.validation import require_fraction, require_positive
from forecasting.pv import PVSystemSpec
from forecasting.registry import FORECASTERS, names_for
from optimizer.battery import Battery
from sims.finance import FadeResponse, FinanceInputs
from sims.markets import MarketsConfig, markets_from_table
from sims.pv_config import pv_system_from_table

__all__ = [
    "LOAD_FORECASTERS",
    "PV_FORECASTERS",
    "BacktestConfig",
    "Cadence",
    "DispatchConfig",
    "Fallback",
    "ForecastConfig",
    "SiteConfig",
    "TariffConfig",
    "config_from_dict",
    "load_config",
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
            raise InputError("site.end", self.end, f"a time after site.start ({self.start})")


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


# -- TOML edge ------------------------------------------------------------------------------

_TABLES = ("site", "tariff", "battery", "forecast", "dispatch", "finance", "markets", "pv_system")


def _check_keys(table: dict[str, Any], allowed: set[str], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise InputError(f"{prefix}.{key}", table[key], f"one of the keys {sorted(allowed)}")


def _typed(value: Any, kind: type | tuple[type, ...], key: str, what: str) -> Any:
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise InputError(key, value, what)
    if not isinstance(value, kind):
        raise InputError(key, value, what)
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
        return math.inf
    return float(_typed(value, (int, float), key, 'a number (or "inf")'))


def _rekey(exc: InputError, prefix: str) -> InputError:
    return InputError(f"{prefix}.{exc.field.rsplit('.', 1)[-1]}", exc.value, exc.expected)


def _local_time(value: Any, key: str, tz: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(key, value, "a local date or date-time, e.g. 2025-01-01") from exc
    if stamp.tz is not None:
        raise InputError(key, value, "a local time without a UTC offset (the site's zone)")
    try:
        return stamp.tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except Exception as exc:  # pytz / zoneinfo DST errors differ across pandas versions
        raise InputError(
            key, value, f"a local time that exists exactly once in {tz} (not in a DST change)"
        ) from exc


def _dataclass_from_table(cls: type, table: dict[str, Any], prefix: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(table, set(fields), prefix)
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        kind = fields[key].type
        text = str(kind)
        if "bool" in text and "float" not in text:
            kwargs[key] = _typed(value, bool, f"{prefix}.{key}", "true or false")
        elif text.startswith("int"):
            kwargs[key] = _typed(value, int, f"{prefix}.{key}", "an integer")
        elif "FadeResponse" in text:
            try:
                kwargs[key] = FadeResponse(value)
            except ValueError as exc:
                raise InputError(
                    f"{prefix}.{key}", value, f"one of {[m.value for m in FadeResponse]}"
                ) from exc
        elif value is None:
            kwargs[key] = None
        else:
            kwargs[key] = _number(value, f"{prefix}.{key}")
    try:
        return cls(**kwargs)
    except InputError as exc:
        raise _rekey(exc, prefix) from exc


def _enum(cls: type[enum.Enum], value: Any, key: str) -> Any:
    try:
        return cls(value)
    except ValueError as exc:
        raise InputError(key, value, f"one of {[m.value for m in cls]}") from exc


def config_from_dict(
    raw: dict[str, Any], *, base_dir: Path, source: Path | None = None
) -> BacktestConfig:
    """Build a :class:`BacktestConfig` from a parsed TOML document.

    Parameters
    ----------
    raw : dict
        The parsed TOML (the I/O edge: nothing below this function sees a dict).
    base_dir : pathlib.Path
        Folder that relative paths are read from.
    source : pathlib.Path, optional
        The file the document came from.

    Returns
    -------
    BacktestConfig
    """
    _check_keys(raw, set(_TABLES), "config")
    for name in ("site", "tariff", "battery"):
        if name not in raw:
            raise InputError(name, None, f"a [{name}] table")
    for name in _TABLES:
        if name in raw and not isinstance(raw[name], dict):
            raise InputError(name, raw[name], f"a [{name}] table")

    def path(value: Any, key: str) -> Path:
        text = _typed(value, str, key, "a file path")
        p = Path(text)
        return p if p.is_absolute() else base_dir / p

    site_raw = dict(raw["site"])
    _check_keys(site_raw, {f.name for f in dataclasses.fields(SiteConfig)}, "site")
    for key in ("name", "timezone", "load_csv"):
        if key not in site_raw:
            raise InputError(f"site.{key}", None, "a value")
    timezone = _typed(site_raw["timezone"], str, "site.timezone", "an IANA time zone")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError("site.timezone", timezone, "an IANA time zone") from exc
    site_kwargs: dict[str, Any] = {}
    for key, value in site_raw.items():
        if key in ("load_csv", "pv_csv"):
            site_kwargs[key] = path(value, f"site.{key}")
        elif key in ("start", "end"):
            site_kwargs[key] = _local_time(value, f"site.{key}", timezone)
        else:
            site_kwargs[key] = _typed(value, str, f"site.{key}", "a string")
    site = SiteConfig(**site_kwargs)

    tariff_raw = raw["tariff"]
    _check_keys(
        tariff_raw,
        {"urdb_json", "holiday_country", "holiday_subdivision", "allow_negative_rates"},
        "tariff",
    )
    if "urdb_json" not in tariff_raw:
        raise InputError("tariff.urdb_json", None, "the path of a URDB rate JSON")
    tariff = TariffConfig(
        urdb_json=path(tariff_raw["urdb_json"], "tariff.urdb_json"),
        **{
            key: _typed(tariff_raw[key], str, f"tariff.{key}", "a string")
            for key in ("holiday_country", "holiday_subdivision")
            if key in tariff_raw
        },
        allow_negative_rates=_typed(
            tariff_raw.get("allow_negative_rates", False),
            bool,
            "tariff.allow_negative_rates",
            "true or false",
        ),
    )

    battery_raw = dict(raw["battery"])
    initial = battery_raw.pop("initial_soc_fraction", 0.5)
    initial = _number(initial, "battery.initial_soc_fraction")
    for key in ("power_kw", "energy_kwh"):
        if key not in battery_raw:
            raise InputError(f"battery.{key}", None, "a value")
    battery = _dataclass_from_table(Battery, battery_raw, "battery")

    forecast_raw = raw.get("forecast", {})
    _check_keys(
        forecast_raw,
        {
            "load",
            "pv",
            "compare_perfect_foresight",
            "compare_prescient",
            "warmup_days",
            "load_quantile",
        },
        "forecast",
    )
    forecast = ForecastConfig(
        load=_typed(forecast_raw.get("load", "perfect"), str, "forecast.load", "a name"),
        pv=_typed(forecast_raw.get("pv", "perfect"), str, "forecast.pv", "a name"),
        compare_perfect_foresight=_typed(
            forecast_raw.get("compare_perfect_foresight", True),
            bool,
            "forecast.compare_perfect_foresight",
            "true or false",
        ),
        compare_prescient=_typed(
            forecast_raw.get("compare_prescient", True),
            bool,
            "forecast.compare_prescient",
            "true or false",
        ),
        load_quantile=_number(forecast_raw["load_quantile"], "forecast.load_quantile")
        if "load_quantile" in forecast_raw
        else None,
        warmup_days=_typed(forecast_raw["warmup_days"], int, "forecast.warmup_days", "an integer")
        if "warmup_days" in forecast_raw
        else None,
    )

    dispatch_raw = raw.get("dispatch", {})
    _check_keys(
        dispatch_raw,
        {
            "step",
            "cadence",
            "lookahead_h",
            "mip_rel_gap",
            "relax_binaries",
            "fallback",
            "demand_guard",
            "replan_on_events",
            "max_fallback_fraction",
            "history_days",
        },
        "dispatch",
    )
    dispatch = DispatchConfig(
        step=_typed(dispatch_raw["step"], str, "dispatch.step", '"15min" or "1h"')
        if "step" in dispatch_raw
        else None,
        cadence=_enum(Cadence, dispatch_raw.get("cadence", "daily"), "dispatch.cadence"),
        lookahead_h=_number(dispatch_raw.get("lookahead_h", 48.0), "dispatch.lookahead_h"),
        mip_rel_gap=_number(dispatch_raw.get("mip_rel_gap", 1e-4), "dispatch.mip_rel_gap"),
        relax_binaries=_typed(
            dispatch_raw.get("relax_binaries", False),
            bool,
            "dispatch.relax_binaries",
            "true or false",
        ),
        fallback=_enum(Fallback, dispatch_raw.get("fallback", "hold"), "dispatch.fallback"),
        demand_guard=_typed(
            dispatch_raw.get("demand_guard", True), bool, "dispatch.demand_guard", "true or false"
        ),
        replan_on_events=_typed(
            dispatch_raw.get("replan_on_events", True),
            bool,
            "dispatch.replan_on_events",
            "true or false",
        ),
        max_fallback_fraction=_number(
            dispatch_raw.get("max_fallback_fraction", 0.5), "dispatch.max_fallback_fraction"
        ),
        history_days=_typed(
            dispatch_raw.get("history_days", 56), int, "dispatch.history_days", "an integer"
        ),
    )
    finance = _dataclass_from_table(FinanceInputs, raw.get("finance", {}), "finance")
    markets = markets_from_table(raw["markets"], base_dir=base_dir) if "markets" in raw else None
    pv_system = pv_system_from_table(raw["pv_system"]) if "pv_system" in raw else None
    return BacktestConfig(
        site=site,
        tariff=tariff,
        battery=battery,
        initial_soc_fraction=initial,
        forecast=forecast,
        dispatch=dispatch,
        finance=finance,
        markets=markets,
        pv_system=pv_system,
        source=source,
    )


def load_config(path: str | Path) -> BacktestConfig:
    """Read and validate a backtest configuration TOML file.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file; relative data paths in it are read from its folder.

    Returns
    -------
    BacktestConfig

    Raises
    ------
    InputError
        If the file is missing or not TOML, or a key is unknown, mistyped or out of range
        (the error names the TOML key).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("config", str(path), "an existing TOML file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            "config", f"{path} (byte {exc.start})", "a UTF-8 encoded TOML file"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError("config", str(path), f"valid TOML ({exc})") from exc
    return config_from_dict(raw, base_dir=path.resolve().parent, source=path.resolve())
