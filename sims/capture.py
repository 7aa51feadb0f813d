"""Logic of the capture measurement (``scripts/capture_sites.py``): site/tariff pairing, meter
gap treatment, UK meters on a US clock, the run period, the config text and the table's summary.

Metered Cambridge buildings on US tariffs
-----------------------------------------
The Cambridge Estates files are hourly, UTC, interval-beginning, with missing readings recorded
as 0 (:func:`forecasting.datasets.read_cambridge_building` marks them, and the partial hours
beside them, as NaN). To bill them on a US tariff they are put on the tariff's clock by
WALL-CLOCK hours (:func:`uk_meter_on_us_clock`): the reading of the UK local hour starting at
``YYYY-MM-DD HH:00`` (Europe/London, after BST) becomes the US local hour starting at the same
``YYYY-MM-DD HH:00`` in the tariff's zone, so offices open at 08:00 in both. The two daylight
saving calendars differ, so:

- UK spring-forward (2019-03-31 01:00 does not exist in London): that US hour has no reading
  and is a gap (filled as below, counted);
- UK fall-back (2019-10-27 01:00 occurs twice in London): the first (BST) reading is kept, the
  second dropped;
- US spring-forward (2019-03-10 02:00 does not exist in the US): that UK reading is unused;
- US fall-back (2019-11-03 01:00 occurs twice in the US): both US hours get the one UK reading.

Gaps (:func:`fill_week_before`): every missing hour (the reader's NaN, plus the UK
spring-forward hour) takes the value of the same wall-clock hour one week earlier (two weeks
if that is missing too, and so on); hours in the first week with no earlier value take the same
hour one week LATER. The number of filled hours is returned and reported per site.

Pairing (:func:`pair_buildings`): buildings with at most ``max_missing_fraction`` of their hours
missing are eligible, taken in order of (missing hours, annual peak); each tariff, in the
listed order, gets the first unassigned eligible building whose annual metered peak lies in the
tariff's applicability range (its size class). No result of a backtest enters the rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError

__all__ = [
    "CAMBRIDGE_TARIFFS",
    "CAPTURE_COLUMNS",
    "BuildingStats",
    "TariffClass",
    "capture_stats",
    "fill_week_before",
    "markdown_table",
    "pair_buildings",
    "period_end",
    "toml_text",
    "uk_meter_on_us_clock",
]

HOURS_PER_WEEK = 168


@dataclass(frozen=True)
class TariffClass:
    """A US C&I tariff and the size class it applies to.

    Parameters
    ----------
    key : str
        Short label (used in site names and tables).
    path : str
        URDB JSON file, relative to the shared data folder.
    timezone : str
        The utility's IANA zone.
    min_kw, max_kw : float
        Applicability range of the customer's maximum demand [kW], from the tariff's record
        (``peakkwcapacitymin``/``max``) or its name.
    """

    key: str
    path: str
    timezone: str
    min_kw: float
    max_kw: float = math.inf

    def fits(self, peak_kw: float) -> bool:
        """Whether a building with annual peak ``peak_kw`` lies in the size class."""
        return self.min_kw <= peak_kw <= self.max_kw


CAMBRIDGE_TARIFFS: tuple[TariffClass, ...] = (
    TariffClass(
        "pge_e19",
        "reopt/urdb/pge_e19_secondary_5cef0a415457a33576f60fe2.json",
        "America/Los_Angeles",
        500.0,
        999.0,
    ),
    TariffClass(
        "sce_tou8_d",
        "urdb_more/SCE_TOU-8_OptionD_under2kV.json",
        "America/Los_Angeles",
        500.0,
    ),
    TariffClass(
        "sdge_al_tou",
        "urdb_more/SDGE_AL-TOU_Secondary_above500kW.json",
        "America/Los_Angeles",
        500.0,
    ),
    TariffClass(
        "smud_ci_tod4",
        "urdb_more/SMUD_CI-TOD4_Secondary_1000kW.json",
        "America/Los_Angeles",
        1000.0,
    ),
    TariffClass(
        "smud_ci_tod3",
        "urdb_more/SMUD_CI-TOD3_Secondary_500-999kW.json",
        "America/Los_Angeles",
        500.0,
        999.0,
    ),
)
"""Tariffs for the metered buildings, in pairing order. E-19: URDB 500-999 kW; TOU-8: URDB
min 500 kW; AL-TOU "Secondary (Above 500kW)"; SMUD CI-TOD4 "1000+ kW"; CI-TOD3 "500-999 kW"."""


@dataclass(frozen=True)
class BuildingStats:
    """What the pairing rule reads of a metered building."""

    name: str
    peak_kw: float
    missing_h: int
    n_hours: int


def pair_buildings(
    buildings: Sequence[BuildingStats],
    tariffs: Sequence[TariffClass],
    *,
    max_missing_fraction: float = 0.01,
) -> list[tuple[BuildingStats, TariffClass]]:
    """Pair buildings with tariffs by size class (see the module docstring for the rule).

    Parameters
    ----------
    buildings : sequence of BuildingStats
        Candidate buildings.
    tariffs : sequence of TariffClass
        Tariffs in pairing order.
    max_missing_fraction : float, default 0.01
        Largest share of missing hours a building may have.

    Returns
    -------
    list of (BuildingStats, TariffClass)
        In tariff order; a tariff no eligible building fits is left out.
    """
    if not 0 <= max_missing_fraction < 1:
        raise InputError("max_missing_fraction", max_missing_fraction, "a fraction in [0, 1)")
    eligible = sorted(
        (b for b in buildings if b.missing_h <= max_missing_fraction * b.n_hours),
        key=lambda b: (b.missing_h, b.peak_kw, b.name),
    )
    pairs: list[tuple[BuildingStats, TariffClass]] = []
    used: set[str] = set()
    for tariff in tariffs:
        for building in eligible:
            if building.name not in used and tariff.fits(building.peak_kw):
                pairs.append((building, tariff))
                used.add(building.name)
                break
    return pairs


def fill_week_before(series: pd.Series) -> tuple[pd.Series, int]:
    """Fill missing hours with the same hour one week earlier (see the module docstring).

    Parameters
    ----------
    series : pandas.Series
        Hourly values on a gap-free grid WITHOUT daylight saving (e.g. naive wall-clock
        labels), so 168 positions back is the same hour a week earlier; NaN = missing.

    Returns
    -------
    (pandas.Series, int)
        The filled series and the number of hours filled.
    """
    source = series.to_numpy(dtype=float)
    values = source.copy()
    missing = np.flatnonzero(np.isnan(source))
    for i in missing:
        earlier = source[i - HOURS_PER_WEEK :: -HOURS_PER_WEEK] if i >= HOURS_PER_WEEK else []
        later = source[i + HOURS_PER_WEEK :: HOURS_PER_WEEK]
        found = [v for v in (*earlier, *later) if not np.isnan(v)]
        if not found:
            raise InputError(
                series.name or "series", str(series.index[i]), "a reading in some week"
            )
        values[i] = found[0]
    return pd.Series(values, index=series.index, name=series.name), len(missing)


def uk_meter_on_us_clock(load_utc: pd.Series, timezone: str, year: int) -> tuple[pd.Series, int]:
    """Put a UK meter's UTC hours on a US zone by wall-clock hour, gaps filled.

    Parameters
    ----------
    load_utc : pandas.Series
        Hourly ``load_kw`` on UTC labels, NaN where missing.
    timezone : str
        The US zone.
    year : int
        Calendar year of the result.

    Returns
    -------
    (pandas.Series, int)
        ``load_kw`` on every local hour of ``year`` in ``timezone``, and the hours filled
        (missing readings, plus the UK spring-forward hour, as the module docstring says).
    """
    if load_utc.index.tz is None or str(load_utc.index.tz) != "UTC":
        raise InputError("load_utc.index", load_utc.index.tz, "UTC labels")
    london = load_utc.index.tz_convert("Europe/London").tz_localize(None)
    wall = pd.Series(load_utc.to_numpy(dtype=float), index=london, name="load_kw")
    wall = wall[~wall.index.duplicated(keep="first")]
    grid = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
    filled, n_filled = fill_week_before(wall.reindex(grid))
    us = pd.date_range(
        pd.Timestamp(f"{year}-01-01", tz=timezone),
        pd.Timestamp(f"{year + 1}-01-01", tz=timezone),
        freq="h",
        inclusive="left",
        name="time",
    )
    values = filled.reindex(us.tz_localize(None)).to_numpy()
    return pd.Series(values, index=us, name="load_kw"), n_filled


def period_end(first_decision: pd.Timestamp, months: int) -> pd.Timestamp:
    """End (exclusive) of a run limited to ``months`` whole months after the warm-up.

    The run keeps the rest of the month the first decision falls in, then ``months`` whole
    calendar months: first decision 2019-02-26 and ``months=2`` end on 2019-05-01.
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise InputError("--months", months, "a whole number of months >= 1")
    month_start = first_decision.normalize().replace(day=1)
    if month_start != first_decision:
        month_start = month_start + pd.DateOffset(months=1)
    return month_start + pd.DateOffset(months=months)


CAPTURE_COLUMNS = (
    "capture_of_prescient",
    "demand_capture_of_prescient",
    "rolling_pf_capture",
)
"""Ratios summarized by :func:`capture_stats`."""


def capture_stats(table: pd.DataFrame, columns: Sequence[str] = CAPTURE_COLUMNS) -> pd.DataFrame:
    """Median and minimum over sites of each capture column (NaN entries ignored).

    Returns
    -------
    pandas.DataFrame
        Rows ``median`` and ``minimum``, one column per ratio (NaN where no site has one).
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError("table", missing, f"columns {list(columns)}")
    numbers = table[list(columns)].apply(pd.to_numeric, errors="coerce")
    return pd.DataFrame(
        {"median": numbers.median(skipna=True), "minimum": numbers.min(skipna=True)}
    ).T


def _toml_value(value: object, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(key, value, "a finite number")
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    raise InputError(key, type(value).__name__, "a bool, number or string")


def toml_text(tables: Mapping[str, Mapping[str, object]]) -> str:
    """TOML text of flat tables of bools, numbers and strings (what the site configs need)."""
    lines: list[str] = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v, f'{name}.{k}')}" for k, v in table.items())
        lines.append("")
    return "\n".join(lines)


def markdown_table(frame: pd.DataFrame, float_format: str = "{:,.4g}") -> str:
    """A GitHub markdown table of ``frame`` (index dropped; NaN shown as ``n/a``)."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return "n/a" if math.isnan(value) else float_format.format(value)
        return str(value)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *rows]) + "\n"
