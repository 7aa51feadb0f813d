"""``valuestack forecast-eval LOAD.csv``: rolling-origin evaluation of load forecasters.

Issues a forecast every --every-h hours (default: daily at local midnight) from --start
to --end for the next --horizon-h hours, with every load forecaster of the registry that
needs only the data (persistence, seasonal_naive 24 h, seasonal_naive_week 168 h,
similar_days, gradient_boosting), and prints one row of scores per forecaster: MAE, RMSE,
CV(RMSE), MAPE (all points), daily peak error and peak-hour hits within +-1 h, P10-P90
coverage and skill against seasonal_naive (24 h). The old names naive_24h, naive_168h and
ml are still accepted (deprecated).

The CSV (UTF-8) needs a timestamp column (interval starts, with UTC offsets or naive times
local to --tz) and a kW column; empty cells are missing readings, and --zero-is-missing marks
zeros missing too. A --temperature-column [degC] is used by the ML forecaster only as known at
each issue (lagged observations), never the target day's actual temperature.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from functools import partial
from pathlib import Path

__all__ = ["add_parser", "run"]

REFERENCE = "seasonal_naive"
"""The forecaster every skill score is measured against (same time 24 h earlier)."""


def positive_hours(text: str) -> float:
    """An ``argparse`` type: a finite number of hours > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a number of hours") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a number of hours > 0")
    return value


def local_date(text: str) -> str:
    """An ``argparse`` type: a local date or date-time without a UTC offset."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or stamp is pd.NaT:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a local date, e.g. 2023-06-01")
    if stamp.tz is not None:
        raise argparse.ArgumentTypeError(
            f"got {text!r}; expected a local date without a UTC offset (the --tz zone)"
        )
    return text


def _localize(text: str, tz: str, option: str):  # -> pandas.Timestamp
    import pandas as pd

    from core.errors import InputError

    try:
        return pd.Timestamp(text).tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except Exception as exc:  # DST errors differ across pandas versions
        raise InputError(option, text, f"a local time that exists exactly once in {tz}") from exc


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``forecast-eval`` subcommand."""
    parser = subparsers.add_parser(
        "forecast-eval",
        help="rolling-origin evaluation of load forecasters on a CSV",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("load", type=Path, help="CSV with a timestamp and a kW column")
    parser.add_argument("--column", default="load_kw", help="kW column (default: load_kw)")
    parser.add_argument("--timestamp-column", default="timestamp", help="default: timestamp")
    parser.add_argument("--temperature-column", default=None, help="observed air temp [degC]")
    parser.add_argument("--tz", required=True, help="site time zone, e.g. Europe/London")
    parser.add_argument("--country", default=None, help="holidays country code, e.g. GB")
    parser.add_argument("--subdiv", default=None, help="holidays subdivision, e.g. ENG")
    parser.add_argument(
        "--start", type=local_date, default=None, help="first issue (local date); default: day 36"
    )
    parser.add_argument(
        "--end", type=local_date, default=None, help="last issue (local date); default: last"
    )
    parser.add_argument(
        "--horizon-h", type=positive_hours, default=24.0, help="hours ahead (default 24)"
    )
    parser.add_argument(
        "--every-h", type=positive_hours, default=24.0, help="hours between issues (default 24)"
    )
    parser.add_argument("--zero-is-missing", action="store_true", help="treat 0 as missing")
    parser.add_argument(
        "--forecasters",
        nargs="*",
        default=None,
        metavar="NAME",
        help="forecasters to score, by their names in forecasting.registry (default: every "
        "load forecaster that needs only the CSV)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the evaluation and print the table; return the exit code."""
    import pandas as pd

    from core.errors import InputError
    from core.series import check_zone
    from forecasting import SiteCalendar, rolling_origin, score_table
    from forecasting.datasets import read_load_csv
    from forecasting.registry import (
        ALIASES,
        ForecasterContext,
        canonical_name,
        evaluable_names,
        make_forecaster,
    )

    check_zone(args.tz, field="--tz")
    requested = list(evaluable_names()) if args.forecasters is None else args.forecasters
    if not requested:
        raise InputError("--forecasters", [], f"one or more of {list(evaluable_names())}")
    allowed = evaluable_names()
    for name in requested:
        if name not in allowed and ALIASES.get(name) not in allowed:
            raise InputError("--forecasters", name, f"one of {list(allowed)}")
    labels = {name: canonical_name(name) for name in requested}
    start_at = _localize(args.start, args.tz, "--start") if args.start else None
    end_at = _localize(args.end, args.tz, "--end") if args.end else None
    calendar = SiteCalendar(tz=args.tz, country=args.country, subdiv=args.subdiv)
    data, missing = read_load_csv(
        args.load,
        column=args.column,
        tz=args.tz,
        timestamp_column=args.timestamp_column,
        temperature_column=args.temperature_column,
        zero_is_missing=args.zero_is_missing,
    )
    local = data.index.tz_convert(args.tz)
    first_day = local[0].normalize()
    start = start_at if start_at is not None else first_day + pd.DateOffset(days=36)
    horizon = pd.Timedelta(hours=args.horizon_h)
    step = data.index[1] - data.index[0]
    if end_at is not None:
        end = end_at
    else:
        end = (local[-1] + step - horizon).normalize()
    if end < start:
        raise InputError("--end", str(end), f"a date on or after the first issue {start}")
    weather = "lagged" if args.temperature_column else "none"
    context = ForecasterContext(
        target="load_kw", calendar=calendar, horizon_h=args.horizon_h, weather=weather
    )
    reference = next((label for label, n in labels.items() if n == REFERENCE), REFERENCE)
    shown = list(labels)
    labels.setdefault(reference, REFERENCE)
    runs = [
        rolling_origin(
            partial(make_forecaster, labels[label], context),
            data,
            first_issue=start,
            last_issue=end,
            horizon_h=args.horizon_h,
            issue_every_h=args.every_h,
            name=label,
        )
        for label in dict.fromkeys([reference, *labels])
    ]
    table = score_table(runs, tz=args.tz, reference=reference)
    table = table.loc[[label for label in dict.fromkeys([reference, *labels]) if label in shown]]
    _print_scores(table, args, start=start, end=end, missing=missing)
    return 0


TABLE_COLUMNS = (
    "mae_kw",
    "rmse_kw",
    "cv_rmse",
    "mape",
    "peak_error",
    "peak_within_1h",
    "coverage_p10_p90",
    "skill_cv_rmse",
    "n_points",
)


def _print_scores(table, args: argparse.Namespace, *, start, end, missing: int) -> None:
    """Print the score table (or JSON with ``--json``) to stdout."""
    if args.json:
        payload = {
            "missing_readings": missing,
            "first_issue": str(start),
            "last_issue": str(end),
            "scores": table.to_dict(orient="index"),
        }
        print(json.dumps(payload, indent=2))
        return
    columns = [c for c in TABLE_COLUMNS if c in table.columns]
    print(
        f"issues {start} .. {end} every {args.every_h:g} h, horizon {args.horizon_h:g} h; "
        f"{missing} readings missing (left out)"
    )
    sys.stdout.write(table[columns].to_string(float_format=lambda v: f"{v:.4f}") + "\n")
