"""The one series reader: CSV files of time series, read the same way everywhere.

Every CSV reader of valuestack (site data, the ``bill`` and ``forecast-eval`` commands, the
forecasting data sets, market prices) goes through these functions, so a file is read by one
set of rules:

- The file is UTF-8 (a byte-order mark is accepted); a file in another encoding, an empty file
  or a header without data rows is an :class:`~core.errors.InputError` naming the file.
- Timestamps are interval starts. Labels that carry a UTC offset (ISO 8601, ``Z`` for UTC) are
  converted to the site's zone; offsets may differ between rows (across DST). Without a zone,
  a single offset shared by every row becomes a fixed-offset zone. Naive labels are wall-clock
  time in the site's zone: a wall-clock time that does not exist (spring forward) or exists
  twice (fall back) is an error, never guessed. A file mixing naive and offset labels is an
  error.
- Values are numbers; a cell that is not a number is an error naming the row; empty cells are
  errors unless the caller allows missing values (they become NaN, never filled).
- A value column whose name carries a unit suffix (``_w``, ``_kw``, ``_mw``, ...) must carry the
  unit the caller expects: a ``load_w`` column is not read as kW.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index

__all__ = [
    "OFFSET_PATTERN",
    "check_unit",
    "check_zone",
    "numeric_values",
    "parse_timestamps",
    "read_csv_frame",
    "read_series_csv",
]

logger = logging.getLogger(__name__)

OFFSET_PATTERN = r"(?:Z|[+-]\d{2}:?\d{2})$"
"""A UTC offset at the end of a timestamp label: ``Z``, ``+05:30`` or ``-0500``."""

_OFFSET = re.compile(OFFSET_PATTERN)

_UNIT_SUFFIXES = ("_w", "_kw", "_mw", "_gw", "_wh", "_kwh", "_mwh", "_gwh")
"""Unit suffixes of column names that :func:`check_unit` recognises (longest match wins)."""


def read_csv_frame(
    path: str | Path,
    *,
    field: str,
    required: Sequence[tuple[str, str]] = (),
    dtype: dict | None = None,
) -> pd.DataFrame:
    """Read a whole CSV file as UTF-8, with clear errors for unreadable or empty files.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    field : str
        Name of the input in error messages (an option such as ``"load"`` or a config key
        such as ``"site.load_csv"``).
    required : sequence of (str, str)
        ``(option, column)`` pairs: each ``column`` must exist; a missing one is reported
        under ``option`` (e.g. ``("--column", "load_kw")``).
    dtype : dict, optional
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    pandas.DataFrame
        At least one data row.

    Raises
    ------
    InputError
        If the file is missing, not UTF-8, not CSV, empty, has no data rows or lacks a
        required column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(field, str(path), "an existing CSV file")
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=dtype)
    except UnicodeDecodeError as exc:
        raise InputError(
            field,
            f"{path} (byte {exc.start}: {exc.object[exc.start : exc.start + 1]!r})",
            "a UTF-8 encoded CSV file (re-save it as UTF-8)",
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(
            field, f"{path} (empty file)", "a CSV with a header and data rows"
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(field, str(path), f"a readable CSV file ({exc})") from None
    for option, column in required:
        if column not in frame.columns:
            raise InputError(option, column, f"one of the CSV columns {list(frame.columns)}")
    if len(frame) == 0:
        raise InputError(field, f"{path} (a header and no rows)", "at least one data row")
    return frame


def check_zone(tz: str, *, field: str) -> str:
    """Check that ``tz`` names a time zone (IANA, e.g. ``America/New_York``); return it."""
    try:
        pd.Timestamp("2020-01-01", tz=tz)
    except Exception as exc:  # zoneinfo, pytz and dateutil raise different errors
        raise InputError(field, tz, "an IANA time zone such as America/New_York") from exc
    return tz


def _offset_of(suffix: str) -> dt.timedelta:
    """``"Z"``, ``"+05:30"`` or ``"-0500"`` as a timedelta."""
    if suffix == "Z":
        return dt.timedelta(0)
    digits = suffix[1:].replace(":", "")
    delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -delta if suffix[0] == "-" else delta


def _to_datetime(stamps: pd.Series, *, field: str, fmt: str, utc: bool) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(stamps, format=fmt, utc=utc))
    except (ValueError, TypeError, OverflowError) as exc:
        bad = stamps.iloc[0]
        for position, label in enumerate(stamps):  # name the first label that fails
            try:
                pd.to_datetime(pd.Series([label]), format=fmt, utc=utc)
            except (ValueError, TypeError, OverflowError):
                bad = f"{label!r} (row {position + 1})"
                break
        raise InputError(field, bad, f"ISO 8601 timestamps ({str(exc)[:120]})") from None


def parse_timestamps(
    labels: pd.Series | pd.Index | Sequence[str],
    *,
    tz: str | None,
    field: str,
    tz_field: str = "tz",
    format: str = "ISO8601",
) -> pd.DatetimeIndex:
    """Parse interval-start labels into a tz-aware index, by the rules of the module docstring.

    Parameters
    ----------
    labels : pandas.Series, pandas.Index or sequence of str
        The timestamp labels, one per row.
    tz : str or None
        The site's IANA zone: the zone of naive labels and of the returned index. None is
        allowed only when every label carries the same UTC offset.
    field : str
        Name of the timestamp column in error messages.
    tz_field : str, default "tz"
        Name of the zone option or key in error messages (e.g. ``"--tz"``).
    format : str, default "ISO8601"
        The label format for :func:`pandas.to_datetime` (``"mixed"`` lets pandas infer it).

    Returns
    -------
    pandas.DatetimeIndex
        tz-aware; not yet checked for gaps or duplicates.
    """
    if tz is not None:
        check_zone(tz, field=tz_field)
    raw = pd.Series(labels).reset_index(drop=True)
    blank = raw.isna() | (raw.astype(str).str.strip() == "")
    if blank.any():
        row = int(np.argmax(blank.to_numpy()))
        raise InputError(field, f"an empty label (row {row + 1})", "a timestamp in every row")
    stamps = raw.astype(str).str.strip()
    has_offset = stamps.str.contains(_OFFSET).to_numpy()
    if has_offset.all():
        index = _to_datetime(stamps, field=field, fmt=format, utc=True)
        if tz is not None:
            return index.tz_convert(tz)
        offsets = {_offset_of(s) for s in stamps.str.extract(f"({OFFSET_PATTERN})")[0].unique()}
        if len(offsets) != 1:
            raise InputError(
                tz_field,
                None,
                f"a zone: the timestamps carry {len(offsets)} different UTC offsets "
                "(e.g. across DST)",
            )
        return index.tz_convert(dt.timezone(offsets.pop()))
    if has_offset.any():
        naive_row = int(np.argmin(has_offset))
        raise InputError(
            field,
            f"{stamps.iloc[naive_row]!r} (row {naive_row + 1})",
            "all timestamps with a UTC offset, or none",
        )
    if tz is None:
        raise InputError(
            tz_field, None, "a zone to localize naive timestamps in (e.g. America/New_York)"
        )
    naive = _to_datetime(stamps, field=field, fmt=format, utc=False)
    return localize_wall_clock(naive, tz=tz, field=field)


def localize_wall_clock(naive: pd.DatetimeIndex, *, tz: str, field: str) -> pd.DatetimeIndex:
    """Localize naive wall-clock labels in ``tz``; a DST-ambiguous or missing time is an error."""
    try:
        return naive.tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except Exception:  # pytz / zoneinfo errors differ across pandas versions
        pass
    for position, stamp in enumerate(naive):
        try:
            pd.DatetimeIndex([stamp]).tz_localize(tz, ambiguous="raise", nonexistent="raise")
        except Exception:
            raise InputError(
                field,
                f"{stamp} (row {position + 1})",
                f"local times that exist exactly once in {tz} (DST: write the hours around the "
                "change with UTC offsets, or use a fixed-offset zone such as Etc/GMT+5)",
            ) from None
    raise InputError(field, str(naive[0]), f"local times in {tz}")  # pragma: no cover


def check_unit(column: str, *, unit: str, field: str) -> None:
    """Refuse a column whose name carries a unit suffix other than ``unit`` (e.g. ``"kw"``).

    Names without a recognised suffix (``load``, ``kw``) are accepted: the caller has said
    what unit the column holds.
    """
    lowered = column.lower()
    found = next(
        (s for s in sorted(_UNIT_SUFFIXES, key=len, reverse=True) if lowered.endswith(s)), None
    )
    if found is not None and found != f"_{unit}":
        raise InputError(
            field, column, f"a column in {unit} (its name says {found[1:]}: convert it first)"
        )


def numeric_values(
    frame: pd.DataFrame, column: str, *, field: str, allow_missing: bool = False
) -> np.ndarray:
    """The numbers of ``frame[column]``; a non-number, or an empty cell unless allowed, is an error.

    Returns
    -------
    numpy.ndarray
        float values; NaN only where the cell was empty and ``allow_missing`` is True.
    """
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & (raw.notna().to_numpy() if allow_missing else True)
    bad |= np.isinf(values)
    if bad.any():
        row = int(np.argmax(bad))
        expected = "finite numbers (empty = missing)" if allow_missing else "a number in every row"
        raise InputError(field, f"{raw.iloc[row]!r} (row {row + 1})", expected)
    return values


def read_series_csv(
    path: str | Path,
    *,
    column: str,
    timestamp_column: str,
    tz: str | None,
    field: str,
    unit: str | None = "kw",
    allow_missing: bool = False,
    min_length: int = 2,
) -> pd.Series:
    """Read one numeric series from a CSV onto a validated fixed-step index.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    column : str
        The value column.
    timestamp_column : str
        The interval-start timestamp column.
    tz : str or None
        The site's zone (see :func:`parse_timestamps`).
    field : str
        Name of the input in error messages (e.g. ``"site.load_csv"``).
    unit : str or None, default "kw"
        The unit the column must hold (checked on its name by :func:`check_unit`).
    allow_missing : bool, default False
        Empty cells become NaN instead of an error.
    min_length : int, default 2
        Fewest rows.

    Returns
    -------
    pandas.Series
        Named ``column``, on a tz-aware fixed-step index with no gaps or duplicates.
    """
    frame = read_csv_frame(
        path,
        field=field,
        required=((f"{field}.columns", timestamp_column), (f"{field}.columns", column)),
        dtype={timestamp_column: str},
    )
    if unit is not None:
        check_unit(column, unit=unit, field=f"{field}.{column}")
    index = parse_timestamps(frame[timestamp_column], tz=tz, field=f"{field}.{timestamp_column}")
    validate_index(index, name=f"{field}.{timestamp_column}", min_length=min_length)
    values = numeric_values(frame, column, field=f"{field}.{column}", allow_missing=allow_missing)
    logger.debug("read %d rows of %s from %s", len(values), column, path)
    return pd.Series(values, index=index, name=column)
