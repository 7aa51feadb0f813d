"""``valuestack bill TARIFF.json LOAD.csv``: print the monthly bill of a load under a tariff.

The CSV (UTF-8) needs a timestamp column (--timestamp-column, default "timestamp") and a kW
column (--column; may be omitted when the CSV has exactly one other column). Timestamps
with UTC offsets are converted to --tz; without --tz they must all carry the same offset,
which is then used as a fixed-offset zone (mixed offsets, as across DST, need --tz). Naive
timestamps are localized in --tz; an ambiguous or nonexistent local time (DST) is an
error. Timestamps are interval starts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.errors import InputError

__all__ = ["add_parser", "read_load_csv", "run"]


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
    parser.add_argument(
        "--allow-negative-rates",
        action="store_true",
        help="accept negative energy or demand rates (credits) in the tariff",
    )
    parser.add_argument(
        "--allow-large-load",
        action="store_true",
        help="accept a median load of 10-100 MW (else refused as a load in W)",
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

    from core.series import check_unit, numeric_values, parse_timestamps, read_csv_frame

    frame = read_csv_frame(
        path,
        field="load",
        required=(("--timestamp-column", timestamp_column),),
        dtype={timestamp_column: str},
    )
    others = [c for c in frame.columns if c != timestamp_column]
    if column is None:
        if len(others) != 1:
            raise InputError("--column", None, f"one of {others} (the CSV has several)")
        column = others[0]
    if column not in others:
        raise InputError("--column", column, f"one of the CSV columns {others}")
    check_unit(column, unit="kw", field="--column")
    index = parse_timestamps(
        frame[timestamp_column], tz=tz, field=timestamp_column, tz_field="--tz"
    )
    values = numeric_values(frame, column, field=column)
    return pd.Series(values, index=index, name=column)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit code."""
    import pandas as pd

    from core.plausibility import check_load_kw
    from markets.bill import CHARGE_COLUMNS
    from markets.tariff import Tariff
    from markets.tariff_terms import PEAK_CHARGES

    try:
        tariff = Tariff.from_urdb(
            args.tariff,
            holiday_country=args.holidays,
            allow_negative_rates=args.allow_negative_rates,
        )
    except InputError as exc:
        raise InputError(f"tariff {args.tariff}: {exc.field}", exc.value, exc.expected) from exc
    load = read_load_csv(
        args.load, column=args.column, timestamp_column=args.timestamp_column, tz=args.tz
    )
    check_load_kw(
        load,
        field=str(load.name),
        allow_large=args.allow_large_load,
        allow_option="--allow-large-load",
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
        *[c for c in monthly.columns for k in PEAK_CHARGES if c.startswith(f"peak_{k.name}_")],
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
