"""Readers for real ISO price files and gridstatus-style exports, into :class:`MarketPrices`.

Each reader states the file's time convention and units, converts per-MW prices once, and
rejects what it cannot read honestly. Supported layouts:

* :func:`read_gridstatus_csv`: frames written by the ``gridstatus`` package (``Interval Start``,
  ``Interval End``, ``Location``/``Region``, ``Market``, price columns), timestamps with UTC
  offsets.
* :func:`read_dervet_hourly`: EPRI DER-VET ``hourly_timeseries.csv`` (hour-ending, no DST).
* :func:`read_ercot_interval_csv`: ERCOT settlement-point day-ahead (``<SP>_DAM``) and
  real-time (``<SP>_RTM``) prices on a naive 15-minute wall clock.
* :func:`read_spp_da_mcp_csv`: SPP day-ahead ancillary market clearing prices per reserve zone.

The CAISO, PJM and ISO-NE files of ``shared/data/markets`` are read by :mod:`markets.iso_files`
(prices with a record of their gaps).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.series import read_csv_frame
from core.timegrid import validate_index
from core.validation import validate_series
from markets.prices import (
    ENERGY_DA,
    ENERGY_RT,
    MarketPrices,
    PriceColumn,
    PriceUnit,
    convert_columns,
    localize_labels,
)

__all__ = [
    "DervetYear",
    "read_dervet_hourly",
    "read_ercot_interval_csv",
    "read_gridstatus_csv",
    "read_spp_da_mcp_csv",
    "wall_clock_positions",
]

logger = logging.getLogger(__name__)


def _read_csv(path: str | Path, *, dtype: dict | None = None) -> tuple[Path, pd.DataFrame]:
    """The file through the one CSV reader of :mod:`core.series` (UTF-8, clear errors)."""
    path = Path(path)
    return path, read_csv_frame(path, field="path", dtype=dtype)


def _require_columns(frame: pd.DataFrame, names: Sequence[str], field: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InputError(f"{field}.columns", list(frame.columns), f"columns including {missing}")


# --------------------------------------------------------------------------- wall clock


def wall_clock_positions(
    naive: pd.DatetimeIndex, *, tz: str, repair_dst: bool, field: str
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Map a naive, fixed-step wall-clock index onto the true grid of zone ``tz``.

    Files such as the ERCOT interval file list every wall-clock step once: they include the
    spring-forward hour that does not exist in ``tz`` and hold the fall-back hour (which occurs
    twice) only once. This function builds the true, evenly spaced tz-aware grid from the first
    to the last label and, for each of its labels, the position of the source row with the same
    wall-clock time.

    Parameters
    ----------
    naive : pandas.DatetimeIndex
        Naive, strictly increasing wall-clock labels with a fixed wall-clock step.
    tz : str
        The zone of the wall clock.
    repair_dst : bool
        If False, any mismatch with the true grid raises. If True, labels that do not exist in
        ``tz`` are dropped and a wall-clock hour that occurs twice in ``tz`` but once in the
        file uses that one row for both occurrences (logged at WARNING). A wall-clock label
        missing from the file outside those hours always raises.
    field : str
        Name used in error messages.

    Returns
    -------
    index : pandas.DatetimeIndex
        The true grid, tz-aware, interval-beginning.
    positions : numpy.ndarray
        For each label of ``index``, the row of ``naive`` it takes its values from.
    """
    if not isinstance(naive, pd.DatetimeIndex) or naive.tz is not None:
        raise InputError(field, type(naive).__name__, "a naive pandas.DatetimeIndex")
    if len(naive) < 2:
        raise InputError(field, f"{len(naive)} labels", "at least 2 labels")
    if naive.has_duplicates:
        raise InputError(field, f"duplicate label {naive[naive.duplicated()][0]}", "unique labels")
    diffs = np.diff(naive.as_unit("ns").asi8)
    if (diffs <= 0).any():
        raise InputError(field, "labels out of order", "strictly increasing labels")
    step = pd.Timedelta(int(diffs.min()), unit="ns")
    try:
        first = naive[0].tz_localize(tz, ambiguous="raise", nonexistent="raise")
        last = naive[-1].tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except Exception as exc:
        raise InputError(
            field, f"{naive[0]} .. {naive[-1]}", f"first and last labels that exist once in {tz}"
        ) from exc
    index = pd.date_range(first, last, freq=step)
    wall = index.tz_localize(None)
    positions = naive.get_indexer(wall)
    if (positions < 0).any():
        missing = wall[positions < 0]
        # a wall label missing from the file is a gap, not a DST artefact
        raise InputError(
            field,
            f"{len(missing)} missing wall-clock labels, first {missing[0]}",
            f"every {step} step from {naive[0]} to {naive[-1]} (nothing is filled)",
        )
    used = np.zeros(len(naive), dtype=bool)
    used[positions] = True
    nonexistent = naive[~used]
    repeated = int(len(positions) - len(np.unique(positions)))
    if len(nonexistent) or repeated:
        detail = (
            f"{len(nonexistent)} labels that do not exist in {tz}"
            + (f" (first {nonexistent[0]})" if len(nonexistent) else "")
            + f" and {repeated} steps of a repeated fall-back hour listed once"
        )
        if not repair_dst:
            raise InputError(
                field,
                detail,
                "a wall clock that matches the zone; pass repair_dst=True to drop the "
                "nonexistent labels and use the single row for both occurrences of a "
                "repeated hour",
            )
        logger.warning("%s: repaired %s", field, detail)
    return index, positions


# --------------------------------------------------------------------------- gridstatus


def read_gridstatus_csv(
    path: str | Path,
    *,
    columns: Sequence[PriceColumn],
    tz: str,
    location: str | None = None,
    market: str | None = None,
) -> MarketPrices:
    """Read a CSV written from a ``gridstatus`` frame (LMPs, SPPs or AS prices).

    The layout is ``[Time,] Interval Start, Interval End, [Location | Region], [Location
    Type,] [Market,] <price columns>``, one row per interval and location/market, timestamps
    ISO 8601 with a UTC offset (e.g. ``2024-01-01 00:00:00-06:00``).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    columns : sequence of PriceColumn
        Price columns to read, e.g. ``PriceColumn(source="LMP", name="energy_da_usd_per_kwh",
        unit=PriceUnit.USD_PER_MWH)`` or ``source="Regulation Up"``.
    tz : str
        Zone of the returned index (offset-carrying labels are converted; naive labels are
        read as wall clock in ``tz``).
    location : str, optional
        Keep the rows whose ``Location`` (or ``Region``) equals this; required when the file
        holds several.
    market : str, optional
        Keep the rows whose ``Market`` equals this (e.g. ``"DAY_AHEAD_HOURLY"``); required when
        the file holds several.

    Raises
    ------
    InputError
        On missing columns, several locations or markets left after filtering, an ``Interval
        End`` that disagrees with the step, or any non-finite price.
    """
    path, raw = _read_csv(path)
    _require_columns(raw, ["Interval Start"], path.name)
    place_column = next((c for c in ("Location", "Region") if c in raw.columns), None)
    for key, value, column in (
        ("location", location, place_column),
        ("market", market, "Market" if "Market" in raw.columns else None),
    ):
        if column is None:
            if value is not None:
                raise InputError(key, value, f"None: {path.name} has no {key} column")
            continue
        if value is not None:
            raw = raw[raw[column].astype(str) == value]
            if raw.empty:
                raise InputError(key, value, f"a value present in {path.name}'s {column!r} column")
        elif raw[column].nunique() > 1:
            raise InputError(
                key, None, f"one of {sorted(raw[column].astype(str).unique())[:10]} to select"
            )
    raw = raw.reset_index(drop=True)
    start = localize_labels(raw["Interval Start"], tz=tz, field=f"{path.name}.Interval Start")
    validate_index(start, name=f"{path.name}.Interval Start")
    if "Interval End" in raw.columns and len(start) >= 2:
        end = localize_labels(raw["Interval End"], tz=tz, field=f"{path.name}.Interval End")
        length = end - start
        step = start[1] - start[0]
        if (length != step).any():
            bad = int(np.argmax(length != step))
            raise InputError(
                f"{path.name}.Interval End",
                f"{end[bad]} for start {start[bad]}",
                f"Interval End = Interval Start + {step}",
            )
    frame = convert_columns(raw, columns, start, path.name)
    return MarketPrices(frame=frame)


# --------------------------------------------------------------------------- DER-VET


@dataclass(frozen=True, kw_only=True)
class DervetYear:
    """The DER-VET example year: prices plus the PV shape and the utility system load.

    Parameters
    ----------
    prices : MarketPrices
        ``energy_da_usd_per_kwh``, ``reg_up_usd_per_kw_h``, ``reg_down_usd_per_kw_h``,
        ``spin_usd_per_kw_h``, ``nonspin_usd_per_kw_h`` (the last two all zero in the file).
    pv_kw_per_kw : pandas.Series
        PV output per kW of rating [kW/kW], in [0, 1].
    system_load_kw : pandas.Series
        The utility system load of the file [kW] (not a site load).
    """

    prices: MarketPrices
    pv_kw_per_kw: pd.Series
    system_load_kw: pd.Series

    def __post_init__(self) -> None:
        index = self.prices.index
        validate_series(self.pv_kw_per_kw, name="pv_kw_per_kw", index=index, nonnegative=True)
        if (self.pv_kw_per_kw > 1).any():
            raise InputError("pv_kw_per_kw", float(self.pv_kw_per_kw.max()), "values <= 1")
        validate_series(self.system_load_kw, name="system_load_kw", index=index, nonnegative=True)


DERVET_COLUMNS = (
    # DA price is labelled $/kWh and has $/kWh magnitudes (mean 0.035).
    PriceColumn(source="DA Price ($/kWh)", name=ENERGY_DA, unit=PriceUnit.USD_PER_KWH),
    # Labelled $/kW but equal to the DA price x 1000: $/MW per hour.
    PriceColumn(source="Reg Up Price ($/kW)", name="reg_up_usd_per_kw_h", unit=PriceUnit.USD_PER_MWH),
    PriceColumn(source="Reg Down Price ($/kW)", name="reg_down_usd_per_kw_h", unit=PriceUnit.USD_PER_MWH),
    # All zero in the file; read with the same unit as the regulation columns.
    PriceColumn(source="SR Price ($/kW)", name="spin_usd_per_kw_h", unit=PriceUnit.USD_PER_MWH),
    PriceColumn(source="NSR Price ($/kW)", name="nonspin_usd_per_kw_h", unit=PriceUnit.USD_PER_MWH),
)  # fmt: skip
"""How the DER-VET price columns are read, with the unit decision for each."""


def read_dervet_hourly(path: str | Path, *, tz: str) -> DervetYear:
    """Read DER-VET's ``hourly_timeseries.csv`` (EPRI example year 2017).

    Conventions of the file: ``Datetime (he)`` is hour-ENDING (the first row ``1/1/17 1:00``
    covers 00:00-01:00, the last ``1/1/18 0:00`` covers 23:00-24:00 on Dec 31); every wall-clock
    hour appears exactly once, 8760 rows, so the clock has no DST: it is a fixed-offset
    (standard-time) clock. Labels are moved back one hour to interval-beginning.

    Units: ``DA Price ($/kWh)`` as labelled; ``Reg Up/Down Price ($/kW)`` are read as $/MW per
    hour (they equal the DA price x 1000) and divided by 1000; ``SR/NSR Price`` are all zero.
    ``Site Load (kW)`` is all zeros in the file and is not read.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    tz : str
        A zone WITHOUT daylight saving time, e.g. ``"Etc/GMT+8"`` (Pacific standard time; note
        the inverted sign of ``Etc`` zones). The file does not say which zone it is in: choose
        and document one. A DST zone is rejected because its spring-forward hour does not exist.

    Returns
    -------
    DervetYear
    """
    path, raw = _read_csv(path)
    time_column = "Datetime (he)"
    needed = [time_column, "PV Gen (kW/rated kW)", "System Load (kW)"]
    _require_columns(raw, needed + [c.source for c in DERVET_COLUMNS], path.name)
    ending = localize_labels(
        raw[time_column], tz=tz, field=f"{path.name}.{time_column}", format="%m/%d/%y %H:%M"
    )
    index = validate_index(ending - pd.Timedelta(hours=1), name=f"{path.name}.{time_column}")
    if len(index) >= 2 and index[1] - index[0] != pd.Timedelta(hours=1):
        raise InputError(f"{path.name}.{time_column}", index[1] - index[0], "a 1-hour step")
    prices = MarketPrices(frame=convert_columns(raw, DERVET_COLUMNS, index, path.name))
    pv = pd.Series(
        raw["PV Gen (kW/rated kW)"].to_numpy(dtype=float), index=index, name="pv_kw_per_kw"
    )
    load = pd.Series(
        raw["System Load (kW)"].to_numpy(dtype=float), index=index, name="system_load_kw"
    )
    return DervetYear(prices=prices, pv_kw_per_kw=pv, system_load_kw=load)


# --------------------------------------------------------------------------- ERCOT


def read_ercot_interval_csv(
    path: str | Path,
    *,
    tz: str = "America/Chicago",
    settlement_point: str | None = None,
    repair_dst: bool = False,
) -> MarketPrices:
    """Read ERCOT day-ahead and real-time settlement point prices on a naive wall clock.

    Layout: an unnamed first column of naive timestamps at a fixed 15-minute wall-clock step,
    ``<SP>_DAM`` (the hourly day-ahead price repeated in each quarter hour) and ``<SP>_RTM``
    (the 15-minute real-time price), both in $/MWh; other columns are ignored.

    Time convention: labels are interval-beginning in ERCOT's Central Prevailing Time (the
    summer price peak sits at label 19:00, i.e. ERCOT's hour ending 20). Such a wall clock
    lists the nonexistent spring-forward hour and holds the repeated fall-back hour once; with
    ``repair_dst=True`` these are resolved by :func:`wall_clock_positions` (and logged),
    otherwise the reader raises.

    Parameters
    ----------
    path : str or Path
        The CSV file (e.g. ``interval_analysis_20240601.csv``).
    tz : str, default "America/Chicago"
        Zone of the wall clock.
    settlement_point : str, optional
        The prefix of the ``_DAM`` / ``_RTM`` columns; needed only if several are present.
    repair_dst : bool, default False
        See :func:`wall_clock_positions`.

    Returns
    -------
    MarketPrices
        ``energy_da_usd_per_kwh`` and ``energy_rt_usd_per_kwh`` at 15 minutes [$/kWh].
    """
    path, raw = _read_csv(path)
    time_column = raw.columns[0]
    if settlement_point is None:
        points = sorted(
            c[: -len("_DAM")]
            for c in raw.columns
            if c.endswith("_DAM") and f"{c[: -len('_DAM')]}_RTM" in raw.columns
        )
        if len(points) != 1:
            raise InputError(
                "settlement_point", None, f"one of {points} (found {len(points)} with _DAM/_RTM)"
            )
        settlement_point = points[0]
    columns = (
        PriceColumn(source=f"{settlement_point}_DAM", name=ENERGY_DA, unit=PriceUnit.USD_PER_MWH),
        PriceColumn(source=f"{settlement_point}_RTM", name=ENERGY_RT, unit=PriceUnit.USD_PER_MWH),
    )
    try:
        naive = pd.DatetimeIndex(pd.to_datetime(raw[time_column], format="%Y-%m-%d %H:%M:%S"))
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{path.name}.{time_column}", str(raw[time_column].iloc[0]), "YYYY-MM-DD HH:MM:SS"
        ) from exc
    index, positions = wall_clock_positions(
        naive, tz=tz, repair_dst=repair_dst, field=f"{path.name}.{time_column}"
    )
    rows = raw.iloc[positions].reset_index(drop=True)
    frame = convert_columns(rows, columns, index, path.name)
    return MarketPrices(frame=frame)


# --------------------------------------------------------------------------- SPP


SPP_PRODUCTS = {
    "RegUP": "reg_up_usd_per_kw_h",
    "RegDN": "reg_down_usd_per_kw_h",
    "Spin": "spin_usd_per_kw_h",
    "Supp": "supp_usd_per_kw_h",
    "RampUP": "ramp_up_usd_per_kw_h",
    "RampDN": "ramp_down_usd_per_kw_h",
}
"""SPP MCP columns and the valuestack names they become ($/MW per hour in the file)."""


def read_spp_da_mcp_csv(
    path: str | Path,
    *,
    reserve_zone: str,
    tz: str = "America/Chicago",
    products: Sequence[str] = ("RegUP", "RegDN", "Spin", "Supp"),
) -> MarketPrices:
    """Read SPP day-ahead ancillary market clearing prices for one reserve zone.

    Layout: ``Interval`` (local prevailing time, interval END), ``GMTIntervalEnd`` (UTC,
    interval END), ``Reserve Zone`` (``1``..``5`` or ``SPP``), then the MCPs in $/MW per hour.
    The unambiguous ``GMTIntervalEnd`` is used: start = end - 1 h, converted to ``tz``.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    reserve_zone : str
        The zone to read, as written in the file (e.g. ``"1"`` or ``"SPP"``).
    tz : str, default "America/Chicago"
        Zone of the returned index.
    products : sequence of str, default ("RegUP", "RegDN", "Spin", "Supp")
        MCP columns to read (keys of :data:`SPP_PRODUCTS`). ``RampUP``/``RampDN`` are empty
        before the ramp products started and are rejected there (nothing is filled).

    Returns
    -------
    MarketPrices
        Hourly capacity prices [$/kW/h].
    """
    for name in products:
        if name not in SPP_PRODUCTS:
            raise InputError("products", name, f"one of {list(SPP_PRODUCTS)}")
    path, raw = _read_csv(path, dtype={"Reserve Zone": str})
    _require_columns(raw, ["GMTIntervalEnd", "Reserve Zone", *products], path.name)
    zone = raw[raw["Reserve Zone"].str.strip() == str(reserve_zone)].reset_index(drop=True)
    if zone.empty:
        zones = sorted(raw["Reserve Zone"].astype(str).unique())
        raise InputError("reserve_zone", reserve_zone, f"one of {zones}")
    try:
        end_utc = pd.DatetimeIndex(
            pd.to_datetime(zone["GMTIntervalEnd"], format="%m/%d/%Y %H:%M:%S")
        ).tz_localize("UTC")
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{path.name}.GMTIntervalEnd",
            str(zone["GMTIntervalEnd"].iloc[0]),
            "MM/DD/YYYY HH:MM:SS",
        ) from exc
    index = validate_index(
        (end_utc - pd.Timedelta(hours=1)).tz_convert(tz), name=f"{path.name}.GMTIntervalEnd"
    )
    columns = [
        PriceColumn(source=p, name=SPP_PRODUCTS[p], unit=PriceUnit.USD_PER_MWH) for p in products
    ]
    return MarketPrices(frame=convert_columns(zone, columns, index, path.name))
