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
data is read. Keys and types are checked by one converter (:mod:`sims.toml_tables`: pydantic
models derived from the dataclasses of :mod:`sims.config_types`), ranges by the dataclasses;
``docs/config.md`` and ``docs/config.schema.json`` are generated from the same models
(``python scripts/config_reference.py``).
"""

from __future__ import annotations

import logging
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import StrictStr

from control.settings import Cadence, Fallback
from core.errors import InputError
from optimizer.battery import Battery
from sims.config_types import (
    LOAD_FORECASTERS,
    PV_FORECASTERS,
    STEPS,
    BacktestConfig,
    DispatchConfig,
    ForecastConfig,
    SiteConfig,
    TariffConfig,
)
from sims.finance import FinanceInputs
from sims.markets import markets_from_table
from sims.pv_config import pv_system_from_table
from sims.toml_tables import (
    LOCAL_TIME,
    NUMBER,
    FieldKind,
    TableSpec,
    build,
    parse_table,
    table_spec,
)

__all__ = [
    "LOAD_FORECASTERS",
    "PV_FORECASTERS",
    "STEPS",
    "TABLES",
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

ZONE = FieldKind(StrictStr, "an IANA time zone")
NAME = FieldKind(StrictStr, "a name")

TABLES: dict[str, TableSpec] = {
    "site": table_spec(
        "site", SiteConfig, kinds={"start": LOCAL_TIME, "end": LOCAL_TIME, "timezone": ZONE}
    ),
    "tariff": table_spec(
        "tariff", TariffConfig, missing={"urdb_json": "the path of a URDB rate JSON"}
    ),
    "battery": table_spec(
        "battery",
        Battery,
        extra={
            "initial_soc_fraction": (
                NUMBER,
                0.5,
                "State of charge at the start of the year, as a fraction of energy_kwh.",
            )
        },
    ),
    "forecast": table_spec(
        "forecast",
        ForecastConfig,
        kinds={"load": NAME, "pv": NAME},
        schema_extra={
            "load": {"enum": list(LOAD_FORECASTERS)},
            "pv": {"enum": list(PV_FORECASTERS)},
        },
    ),
    "dispatch": table_spec(
        "dispatch",
        DispatchConfig,
        kinds={"step": FieldKind(StrictStr, '"15min" or "1h"')},
        schema_extra={"step": {"enum": list(STEPS)}},
    ),
    "finance": table_spec("finance", FinanceInputs),
}
"""The tables read here (``[markets]`` and ``[pv_system]`` are read by :mod:`sims.markets` and
:mod:`sims.pv_config`, ``[sizing]`` by :mod:`sims.sizing_config`, on the same converter)."""

_TABLES = ("site", "tariff", "battery", "forecast", "dispatch", "finance", "markets", "pv_system")
_REQUIRED = ("site", "tariff", "battery")


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


def _site(raw: Any, base_dir: Path) -> SiteConfig:
    values = parse_table(TABLES["site"], raw)
    try:
        zoneinfo.ZoneInfo(values["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError("site.timezone", values["timezone"], "an IANA time zone") from exc
    for key in ("load_csv", "pv_csv"):
        if key in values:
            values[key] = base_dir / values[key]  # an absolute path stays itself
    for key in ("start", "end"):
        if key in values:
            values[key] = _local_time(values[key], f"site.{key}", values["timezone"])
    return SiteConfig(**values)


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
    for key in raw:
        if key not in _TABLES:
            raise InputError(f"config.{key}", raw[key], f"one of the keys {sorted(_TABLES)}")
    for name in _REQUIRED:
        if name not in raw:
            raise InputError(name, None, f"a [{name}] table")
    for name in _TABLES:
        if name in raw and not isinstance(raw[name], dict):
            raise InputError(name, raw[name], f"a [{name}] table")
    site = _site(raw["site"], base_dir)
    tariff_values = parse_table(TABLES["tariff"], raw["tariff"])
    tariff_values["urdb_json"] = base_dir / tariff_values["urdb_json"]
    tariff = build("tariff", TariffConfig, **tariff_values)
    battery_values = parse_table(TABLES["battery"], raw["battery"])
    initial = battery_values.pop("initial_soc_fraction", 0.5)
    battery = build("battery", Battery, **battery_values)
    dispatch = parse_table(TABLES["dispatch"], raw.get("dispatch", {}))
    finance = parse_table(TABLES["finance"], raw.get("finance", {}))
    return BacktestConfig(
        site=site,
        tariff=tariff,
        battery=battery,
        initial_soc_fraction=initial,
        forecast=ForecastConfig(**parse_table(TABLES["forecast"], raw.get("forecast", {}))),
        dispatch=DispatchConfig(**dispatch),
        finance=build("finance", FinanceInputs, **finance),
        markets=markets_from_table(raw["markets"], base_dir=base_dir) if "markets" in raw else None,
        pv_system=pv_system_from_table(raw["pv_system"]) if "pv_system" in raw else None,
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
