"""``valuestack bill TARIFF.json LOAD.csv``: print the monthly bill of a load under a tariff.

The CSV needs a timestamp column (``--timestamp-column``, default ``timestamp``) and a kW
column (``--column``; may be omitted when the CSV has exactly one other column). Timestamps
with UTC offsets are converted to ``--tz``; without ``--tz`` they must all carry the same
offset, which is then used as a fixed-offset zone (mixed offsets, as across DST, need
``--tz``). Naive timestamps are localized in ``--tz``; an ambiguous or nonexistent local time
(DST) is an error. Timestamps are interval starts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

from core.errors import InputError

__all__ = ["add_parser", "read_load_csv", "run"]

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``bill`` subcommand."""
    parser = subparsers.add_parser(
        "bill",
        help="price a load series under a URDB tariff, month by month",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("tariff", type=Path, help="URDB rate record (JSON)")
    parser.add_argument("load", type=Path, help="CSV with a timestamp and a kW column")
    parser.add_argument("--column", default=None, help="kW column to bill (import positive)")
    parser.add_argument(
        "--timestamp-column", default="timestamp", help="timestamp column (default: timestamp)"
    )
    parser.add_argument("--tz", default=None, help="site time zone, e.g. America/New_York")
    parser.add_argument(
        "--holidays",
        default=None,
        metavar="COUNTRY",
        help="bill this country's holidays (e.g. US) on the weekend schedule",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def read_load_csv(
    path: Path, *, column: str | None, timestamp_column: str, tz: str | None
):  # -> pandas.Series
    """Read a kW series from a CSV, localized as described in the module docstring.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.
    column : str or None
        kW column; None picks the only non-timestamp column.
    timestamp_column : str
        Name of the timestamp column (interval starts).
    tz : str or None
        IANA zone of the site.

    Returns
    -------
    pandas.Series
        Float kW on a tz-aware index (not yet validated for gaps).
    """
    import pandas as pd

    if not path.is_file():
        raise InputError("load", str(path), "a path to a CSV file")
    frame = pd.read_csv(path, dtype={timestamp_column: str})
    if timestamp_column not in frame.columns:
        raise InputError(
            "--timestamp-column", timestamp_column, f"one of the CSV columns {list(frame.columns)}"
        )
    others = [c for c in frame.columns if c != timestamp_column]
    if column is None:
        if len(others) != 1:
            raise InputError("--column", None, f"one of {others} (the CSV has several)")
        column = others[0]
    if column not in others:
        raise InputError("--column", column, f"one of the CSV columns {others}")
    if tz is not None:
        try:
            pd.Timestamp("2020-01-01", tz=tz)
        except Exception as exc:
            raise InputError("--tz", tz, "an IANA time zone such as America/New_York") from exc

    stamps = frame[timestamp_column].astype(str).str.strip()
    has_offset = stamps.str.contains(_OFFSET)
    if has_offset.all():
        try:
            parsed = pd.to_datetime(stamps, utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise InputError(
                timestamp_column, stamps.iloc[0], f"ISO 8601 timestamps ({exc})"
            ) from exc
        if tz is None:
            suffixes = stamps.str.extract(f"({_OFFSET.pattern})", expand=False).unique()
            offset_set = {_offset_of(str(suffix)) for suffix in suffixes}
            if len(offset_set) != 1:
                raise InputError(
                    "--tz",
                    None,
                    f"a zone: the timestamps carry {len(offset_set)} different UTC offsets "
                    "(e.g. across DST)",
                )
            zone = dt.timezone(offset_set.pop())
            index = pd.DatetimeIndex(parsed).tz_convert(zone)
        else:
            index = pd.DatetimeIndex(parsed).tz_convert(tz)
    elif has_offset.any():
        first = stamps[~has_offset].iloc[0]
        raise InputError(timestamp_column, first, "all timestamps with a UTC offset, or none")
    else:
        if tz is None:
            raise InputError(
                "--tz", None, "a zone to localize naive timestamps in (e.g. --tz America/New_York)"
            )
        try:
            naive = pd.DatetimeIndex(pd.to_datetime(stamps, format="ISO8601"))
        except (ValueError, TypeError) as exc:
            raise InputError(
                timestamp_column, stamps.iloc[0], f"ISO 8601 timestamps ({exc})"
            ) from exc
        try:
            index = naive.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        except Exception as exc:  # pytz/zoneinfo errors differ across versions
            raise InputError(
                timestamp_column,
                str(exc),
                f"local times that exist exactly once in {tz} (give offsets for DST hours)",
            ) from exc
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any():
        bad = int(values.isna().to_numpy().argmax())
        raise InputError(column, frame[column].iloc[bad], f"numbers (row {bad + 2} of the CSV)")
    return pd.Series(values.to_numpy(dtype=float), index=index, name=column)


def _offset_of(suffix: str) -> dt.timedelta:
    """``"Z"``, ``"+05:30"`` or ``"-0500"`` as a timedelta."""
    if suffix == "Z":
        return dt.timedelta(0)
    digits = suffix[1:].replace(":", "")
    delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -delta if suffix[0] == "-" else delta


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit code."""
    import pandas as pd

    from markets.bill import CHARGE_COLUMNS
    from markets.tariff import Tariff

    tariff = Tariff.from_urdb(args.tariff, holiday_country=args.holidays)
    load = read_load_csv(
        args.load, column=args.column, timestamp_column=args.timestamp_column, tz=args.tz
    )
    bill = tariff.bill(load)
    monthly = bill.monthly
    if args.json:
        payload = {
            "tariff": bill.tariff_name,
            "unsupported_fields": list(bill.unsupported),
            "total_usd": bill.total_usd,
            "monthly": [
                {"month": str(month), **{k: float(v) for k, v in row.items()}}
                for month, row in monthly.iterrows()
            ],
        }
        print(json.dumps(payload, indent=2))
        return 0
    columns = [
        *CHARGE_COLUMNS,
        "import_kwh",
        "export_kwh",
        "peak_flat_kw",
        *[c for c in monthly.columns if c.startswith("peak_tou_")],
    ]
    table = monthly[columns].copy()
    table.loc["total"] = table.sum(numeric_only=True)
    for column in table.columns:
        if column.endswith("_kw"):
            table.loc["total", column] = table[column].iloc[:-1].max()
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(f"{bill.tariff_name}: {len(monthly)} billing months, total ${bill.total_usd:,.2f}")
        if bill.unsupported:
            print(f"not priced (unsupported URDB fields): {', '.join(bill.unsupported)}")
        print(table.to_string(float_format=lambda v: f"{v:,.2f}"))
    return 0
