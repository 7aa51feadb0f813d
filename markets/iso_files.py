"""Readers for the real ISO files in ``shared/data/markets`` (CAISO, PJM, ISO-NE), gaps recorded.

Every reader goes through the one series reader (:mod:`core.series`: UTF-8, timestamps,
numbers), converts per-MW prices once (``$/MWh`` energy -> ``_usd_per_kwh``; ``$/MW`` per hour
of capacity -> ``_usd_per_kw_h``; ``$/MW`` of mileage -> ``_mileage_usd_per_kw``; MW ->
``_kw``) and returns prices as :class:`~markets.price_gaps.GappedPrices`: a hole in a file is
recorded and left unpriced, never a reason to refuse the file (see :mod:`markets.price_gaps`).

=============================================  ==============================================
file (under ``shared/data/markets``)           reader
=============================================  ==============================================
caiso_as_da_2023_2025/caiso_dam_as_prices...   :func:`read_caiso_as_da_csv`
caiso_as_da_2023_2025/caiso_dam_lmp_trading..  :func:`read_caiso_lmp_da_csv`
(both, joined)                                 :func:`read_caiso_da_market`
pjm_reserves_regulation/pjm_srmcp_hourly_2017  :func:`read_pjm_srmcp_csv`
pjm_reserves_regulation/pjm_regulation_pri...  :func:`read_pjm_regulation_prices_2017_csv`
pjm_reserves_regulation/pjm_regulation_mar...  :func:`read_pjm_regulation_results_csv`
pjm_reserves_regulation/pjm_rt_hrl_lmp_pjm...  :func:`read_pjm_rt_lmp_csv`
pjm_rega_signal_2017_08/pjm_rega_2s_...csv     :func:`read_pjm_rega_signal_csv`
isone_agc_test_signal/isone_agc_setpoints...   :func:`read_isone_agc_signal_csv`
=============================================  ==============================================

ERCOT HB_SOUTH and SPP files are read by :mod:`markets.loaders`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.series import check_zone, numeric_values, parse_timestamps, read_csv_frame
from markets.price_gaps import GAP_COLUMNS, GappedPrices, combine, split_at_gaps
from markets.prices import ENERGY_DA, ENERGY_RT

__all__ = [
    "CAISO_AS_COLUMNS",
    "CAISO_HUBS",
    "PjmRegulationResults",
    "RegulationSignal",
    "read_caiso_as_da_csv",
    "read_caiso_da_market",
    "read_caiso_lmp_da_csv",
    "read_isone_agc_signal_csv",
    "read_pjm_rega_signal_csv",
    "read_pjm_regulation_prices_2017_csv",
    "read_pjm_regulation_results_csv",
    "read_pjm_rt_lmp_csv",
    "read_pjm_srmcp_csv",
]

logger = logging.getLogger(__name__)

_PER_MW = 1e-3
"""$/MWh -> $/kWh, $/MW/h -> $/kW/h, $/MW -> $/kW."""

CAISO_AS_FILE = "caiso_as_da_2023_2025/caiso_dam_as_prices_hourly_2023_2025.csv"
CAISO_LMP_FILE = "caiso_as_da_2023_2025/caiso_dam_lmp_trading_hubs_hourly_2023_2025.csv"

CAISO_AS_COLUMNS = {
    "reg_up": "reg_up_usd_per_kw_h",
    "reg_down": "reg_down_usd_per_kw_h",
    "spin": "spin_usd_per_kw_h",
    "nonspin": "nonspin_usd_per_kw_h",
    "reg_mileage_up": "reg_up_mileage_usd_per_kw",
    "reg_mileage_down": "reg_down_mileage_usd_per_kw",
}
"""CAISO AS file column ($/MW per hour; mileage $/MW) -> valuestack column."""

CAISO_HUBS = ("TH_NP15", "TH_SP15", "TH_ZP26")
"""Trading hubs in the CAISO LMP file (columns ``<hub>_GEN-APND``, $/MWh)."""


def _frame(path: str | Path, field: str, required: Sequence[str]) -> tuple[Path, pd.DataFrame]:
    path = Path(path)
    frame = read_csv_frame(
        path, field=field, required=[(f"{field}.columns", c) for c in required],
        dtype={required[0]: str},
    )  # fmt: skip
    return path, frame


def _prices(
    frame: pd.DataFrame,
    index: pd.DatetimeIndex,
    columns: dict[str, str],
    *,
    field: str,
    source: str,
) -> GappedPrices:
    """Convert ``columns`` (file -> valuestack name) of ``frame`` per MW -> per kW, gaps split."""
    data = {
        name: numeric_values(frame, col, field=f"{field}.{col}") * _PER_MW
        for col, name in columns.items()
    }
    out = pd.DataFrame(data, index=index.rename(None))
    return split_at_gaps(out, field=field, source=source)


def read_caiso_as_da_csv(path: str | Path, *, tz: str = "America/Los_Angeles") -> GappedPrices:
    """CAISO day-ahead ancillary clearing prices (hourly, UTC interval starts), gaps recorded.

    Columns read: ``reg_up, reg_down, spin, nonspin`` ($/MW per hour) -> ``<name>_usd_per_kw_h``
    and ``reg_mileage_up/down`` ($/MW of mileage) -> ``reg_up/down_mileage_usd_per_kw``.
    The file's values sum every AS region's row of the hour (see its README): the system price
    in most hours, plus a regional adder when a regional requirement binds.
    """
    check_zone(tz, field="tz")
    field = Path(path).name
    path, raw = _frame(path, field, ["interval_start_utc", *CAISO_AS_COLUMNS])
    index = parse_timestamps(raw["interval_start_utc"], tz=tz, field=f"{field}.interval_start_utc")
    return _prices(raw, index, CAISO_AS_COLUMNS, field=field, source=path.name)


def read_caiso_lmp_da_csv(
    path: str | Path, *, hub: str = "TH_SP15", tz: str = "America/Los_Angeles"
) -> GappedPrices:
    """CAISO day-ahead LMP at one trading hub ($/MWh) as ``energy_da_usd_per_kwh``."""
    if hub not in CAISO_HUBS:
        raise InputError("hub", hub, f"one of {list(CAISO_HUBS)}")
    check_zone(tz, field="tz")
    field = Path(path).name
    path, raw = _frame(path, field, ["interval_start_utc", f"{hub}_GEN-APND"])
    index = parse_timestamps(raw["interval_start_utc"], tz=tz, field=f"{field}.interval_start_utc")
    return _prices(raw, index, {f"{hub}_GEN-APND": ENERGY_DA}, field=field, source=path.name)


def read_caiso_da_market(
    data_dir: str | Path,
    *,
    hub: str = "TH_SP15",
    tz: str = "America/Los_Angeles",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> GappedPrices:
    """CAISO DA energy at ``hub`` joined with the DA ancillary prices; gaps of either recorded.

    Parameters
    ----------
    data_dir : str or Path
        The ``shared/data/markets`` folder.
    hub : str, default "TH_SP15"
        Trading hub of the energy price.
    tz : str, default "America/Los_Angeles"
        Zone of the returned index.
    start, end : str or Timestamp, optional
        Keep the intervals beginning in ``[start, end)`` (naive values read in ``tz``); the
        gap record then covers that period, including missing intervals at its ends.
    """
    data_dir = Path(data_dir)
    energy = read_caiso_lmp_da_csv(data_dir / CAISO_LMP_FILE, hub=hub, tz=tz)
    reserves = read_caiso_as_da_csv(data_dir / CAISO_AS_FILE, tz=tz)
    source = f"{Path(CAISO_LMP_FILE).name};{Path(CAISO_AS_FILE).name}"
    if start is None and end is None:
        return combine([energy, reserves], field="caiso_da_market", source=source)
    # one outer join on the period's full grid: each missing interval keeps the names of the
    # columns that are absent there (a file's hole, or a period beyond a file's span)
    frame = pd.concat([energy.frame, reserves.frame], axis=1, join="outer", sort=True)
    step = pd.Timedelta(hours=energy.dt_h)
    lo = _stamp(start, tz) if start is not None else frame.index[0]
    hi = _stamp(end, tz) if end is not None else frame.index[-1] + step
    if hi <= lo:
        raise InputError("end", str(hi), f"a time after start={lo}")
    grid = pd.date_range(lo, hi - step, freq=step)  # absolute-time grid of the period
    if not grid.isin(frame.index).any():
        raise InputError("start", str(lo), "a period overlapping the prices")
    return split_at_gaps(frame.reindex(grid), field="caiso_da_market", source=source)


def _stamp(value: str | pd.Timestamp, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


# --------------------------------------------------------------------------- PJM prices


PJM_SUBZONES = ("RTO_non_MAD", "MAD")


def read_pjm_srmcp_csv(
    path: str | Path, *, subzone: str = "RTO_non_MAD", tz: str = "America/New_York"
) -> GappedPrices:
    """PJM synchronized-reserve clearing price (hourly, 2017) as ``sync_reserve_usd_per_kw_h``.

    ``interval_start_utc`` is used (the file's EPT/GMT hour-ending columns are its sources).
    The MAD subzone misses one hour of the year: it is recorded as a gap.
    """
    if subzone not in PJM_SUBZONES:
        raise InputError("subzone", subzone, f"one of {list(PJM_SUBZONES)}")
    check_zone(tz, field="tz")
    field = Path(path).name
    path, raw = _frame(path, field, ["interval_start_utc", "subzone", "srmcp_usd_per_mwh"])
    rows = raw[raw["subzone"].astype(str) == subzone].reset_index(drop=True)
    index = parse_timestamps(rows["interval_start_utc"], tz=tz, field=f"{field}.interval_start_utc")
    columns = {"srmcp_usd_per_mwh": "sync_reserve_usd_per_kw_h"}
    return _prices(rows, index, columns, field=field, source=path.name)


def read_pjm_regulation_prices_2017_csv(
    path: str | Path, *, tz: str = "America/New_York"
) -> GappedPrices:
    """PJM regulation clearing prices, January 2017, hour beginning EPT (naive wall clock).

    ``rmccp_usd_per_mwh`` (capability) -> ``reg_usd_per_kw_h``; ``rmpcp_usd_per_mwh``
    (performance, $/MW of the mileage-ratio-weighted award per hour) -> ``reg_mileage_usd_per_kw``,
    the pair the PJM preset's product ``reg`` reads (credit = MW x (RMCCP + mileage ratio x
    RMPCP) x score). The file holds 743 hours (it ends at 2017-01-31 22:00); a hole inside
    would be recorded as a gap.
    """
    field = Path(path).name
    columns = ["hour_beginning_ept", "rmccp_usd_per_mwh", "rmpcp_usd_per_mwh"]
    path, raw = _frame(path, field, columns)
    index = parse_timestamps(raw["hour_beginning_ept"], tz=tz, field=f"{field}.hour_beginning_ept")
    mapping = {
        "rmccp_usd_per_mwh": "reg_usd_per_kw_h",
        "rmpcp_usd_per_mwh": "reg_mileage_usd_per_kw",
    }
    return _prices(raw, index, mapping, field=field, source=path.name)


@dataclass(frozen=True, kw_only=True)
class PjmRegulationResults:
    """PJM regulation market results of a month (Data Miner ``reg_market_results``).

    Parameters
    ----------
    prices : GappedPrices
        ``reg_usd_per_kw_h`` (capability clearing price ``reg_ccp``) and
        ``reg_mileage_usd_per_kw`` (performance clearing price ``reg_pcp``).
    requirement_kw : pandas.Series
        The regulation requirement ``as_req_mw`` [kW], on the present intervals.
    cleared_kw : pandas.Series
        Regulation MW cleared ``total_mw`` [kW].
    """

    prices: GappedPrices
    requirement_kw: pd.Series
    cleared_kw: pd.Series


def read_pjm_regulation_results_csv(
    path: str | Path, *, tz: str = "America/New_York"
) -> PjmRegulationResults:
    """PJM hourly regulation market results (``datetime_beginning_utc``), prices and MW."""
    field = Path(path).name
    needed = ["datetime_beginning_utc", "service", "reg_ccp", "reg_pcp", "as_req_mw", "total_mw"]
    path, raw = _frame(path, field, needed)
    raw = raw[raw["service"].astype(str) == "REG"].reset_index(drop=True)
    labels = raw["datetime_beginning_utc"].astype(str) + "Z"
    index = parse_timestamps(labels, tz=tz, field=f"{field}.datetime_beginning_utc")
    mapping = {"reg_ccp": "reg_usd_per_kw_h", "reg_pcp": "reg_mileage_usd_per_kw"}
    prices = _prices(raw, index, mapping, field=field, source=path.name)
    mw = {
        c: pd.Series(numeric_values(raw, c, field=f"{field}.{c}") * 1e3, index=index.rename(None))
        for c in ("as_req_mw", "total_mw")
    }
    return PjmRegulationResults(
        prices=prices,
        requirement_kw=mw["as_req_mw"].rename("requirement_kw"),
        cleared_kw=mw["total_mw"].rename("cleared_kw"),
    )


def read_pjm_rt_lmp_csv(path: str | Path, *, tz: str = "America/New_York") -> GappedPrices:
    """PJM real-time hourly LMP at PJM-RTO (``total_lmp_rt``, $/MWh) as ``energy_rt_usd_per_kwh``."""
    field = Path(path).name
    path, raw = _frame(path, field, ["datetime_beginning_utc", "total_lmp_rt"])
    labels = raw["datetime_beginning_utc"].astype(str) + "Z"
    index = parse_timestamps(labels, tz=tz, field=f"{field}.datetime_beginning_utc")
    return _prices(raw, index, {"total_lmp_rt": ENERGY_RT}, field=field, source=path.name)


# --------------------------------------------------------------------------- signals


@dataclass(frozen=True, kw_only=True)
class RegulationSignal:
    """A normalised regulation signal (fraction of the award, + = more output), gaps recorded.

    Parameters
    ----------
    values : pandas.DataFrame
        One ``<name>_fraction`` column per signal in [-1, 1] on a fixed-step index (tz-aware
        ``DatetimeIndex``, or ``TimedeltaIndex`` from the start for an undated signal);
        labels are interval starts. NaN where the file has no value (nothing is filled).
    gaps : pandas.DataFrame
        Runs of missing samples, columns :data:`~markets.price_gaps.GAP_COLUMNS`.
    step_s : float
        Sample step [s].
    """

    values: pd.DataFrame
    gaps: pd.DataFrame
    step_s: float


def _check_fraction(values: np.ndarray, field: str) -> None:
    finite = values[np.isfinite(values)]
    if (np.abs(finite) > 1.0 + 1e-9).any():
        bad = float(finite[np.argmax(np.abs(finite))])
        raise InputError(field, bad, "a normalised signal in [-1, 1]")


def _signal(frame: pd.DataFrame, *, field: str, source: str) -> RegulationSignal:
    """Put ``frame`` on its full fixed-step grid (NaN where absent) and record the holes."""
    index = frame.index
    diffs = np.diff(index.as_unit("ns").asi8)
    if len(diffs) == 0 or (diffs <= 0).any():
        raise InputError(field, "labels not strictly increasing", "increasing sample times")
    step = int(diffs.min())
    if (diffs % step).any():
        raise InputError(field, "irregular sample times", "a whole number of steps apart")
    step_td = pd.Timedelta(step, unit="ns")
    if isinstance(index, pd.DatetimeIndex):
        full = pd.date_range(index[0], index[-1], freq=step_td)
    else:
        full = pd.timedelta_range(index[0], index[-1], freq=step_td)
    grid = frame.reindex(full)
    missing = grid.isna().to_numpy().any(axis=1)
    padded = np.concatenate([[0], missing.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    rows = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        cols = [c for c in grid.columns if grid[c].iloc[a:b].isna().any()]
        rows.append({"first_missing": full[a], "last_missing": full[b - 1],
                     "missing_intervals": int(b - a),
                     "missing_columns": "all" if len(cols) == grid.shape[1] else ";".join(cols),
                     "source": source})  # fmt: skip
        logger.info("%s: %d samples missing from %s (left empty)", field, b - a, full[a])
    gaps = pd.DataFrame(rows, columns=list(GAP_COLUMNS))
    return RegulationSignal(values=grid, gaps=gaps, step_s=step_td.total_seconds())


def read_pjm_rega_signal_csv(path: str | Path, *, tz: str = "America/New_York") -> RegulationSignal:
    """The PJM RegA 2-second signal sample, column ``rega_fraction`` in [-1, 1] (+ = up).

    Layout: first column the time of day (``H:MM:SS``, EPT), one column per day (``M/D/YYYY``).
    Each row is read as the signal held from its label for 2 s (interval-beginning). The last
    row of each day (``0:00:00`` = 24:00, the end point of the 16:00-24:00 window) begins an
    interval outside the window and is dropped. The hours between the days' windows are not
    in the file: they are NaN in ``values`` and listed in ``gaps``.
    """
    field = Path(path).name
    raw = read_csv_frame(path, field=field)
    times = raw[raw.columns[0]].astype(str).str.strip()
    offsets = pd.to_timedelta(times)
    keep = np.ones(len(times), dtype=bool)
    keep[1:] = np.diff(offsets.to_numpy().astype(np.int64)) > 0  # drop the 24:00 end point
    pieces = []
    for day in raw.columns[1:]:
        try:
            date = pd.Timestamp(pd.to_datetime(day, format="%m/%d/%Y"))
        except ValueError as exc:
            raise InputError(f"{field}.columns", day, "a date column M/D/YYYY") from exc
        labels = (date + offsets[keep]).dt.strftime("%Y-%m-%d %H:%M:%S")
        index = parse_timestamps(pd.Series(labels), tz=tz, field=f"{field}.{day}")
        values = numeric_values(raw, day, field=f"{field}.{day}")[keep]
        _check_fraction(values, f"{field}.{day}")
        pieces.append(pd.Series(values, index=index))
    series = pd.concat(pieces).sort_index()
    return _signal(series.to_frame("rega_fraction"), field=field, source=Path(path).name)


ISONE_METHODS = (
    "energy_neutral_continuous",
    "energy_neutral_trinary",
    "basecase_isone_trinary",
)
ISONE_FLEET_MW = 10.0
"""The setpoints are for a 10 MW regulation fleet (the workbook's description)."""


def read_isone_agc_signal_csv(
    path: str | Path, *, start: str | pd.Timestamp | None = None
) -> RegulationSignal:
    """ISO-NE AGC test setpoints (4 s, SIMULATED, 10 MW fleet) as per-unit signals in [-1, 1].

    Columns ``<method>_fraction`` = setpoint MW / 10 MW for the three dispatch methods of
    :data:`ISONE_METHODS`. The file has no date: the index is a ``TimedeltaIndex`` from 0
    unless ``start`` (tz-aware) anchors it. Rows label the start of each 4 s interval; the
    last row (t = 86,400 s, the end point of the day) is dropped. Empty cells (the last
    minute of two of the methods) stay NaN and are listed in ``gaps``.
    """
    field = Path(path).name
    mw_columns = [f"{m}_mw" for m in ISONE_METHODS]
    required = [(f"{field}.columns", c) for c in ["t_sec", *mw_columns]]
    raw = read_csv_frame(path, field=field, required=required)
    t = numeric_values(raw, "t_sec", field=f"{field}.t_sec")
    keep = t < 86_400.0
    data = {}
    for method, column in zip(ISONE_METHODS, mw_columns, strict=True):
        mw = numeric_values(raw, column, field=f"{field}.{column}", allow_missing=True)
        values = mw[keep] / ISONE_FLEET_MW
        _check_fraction(values, f"{field}.{column}")
        data[f"{method}_fraction"] = values
    index: pd.Index = pd.to_timedelta(t[keep], unit="s")
    if start is not None:
        anchor = pd.Timestamp(start)
        if anchor.tzinfo is None:
            raise InputError("start", str(start), "a tz-aware timestamp")
        index = anchor + index
    return _signal(pd.DataFrame(data, index=index), field=field, source=Path(path).name)
