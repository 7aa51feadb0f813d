"""Dispatch timings: the Pyomo model against the direct-highspy reference, on real data.

The case (:func:`benchmarks.cases.standard_case`): the DOE reference large office in San
Francisco (REopt's 8760-hour kW series for 2017, held constant within each hour at 15 min) on
PG&E E-19 (Secondary) from URDB, with a 500 kW / 2000 kWh battery.

Two families of rows, each timed for both paths (HiGHS on one thread, the same
``mip_rel_gap``):

- ``one-shot``: one horizon of 96, 192 or 2,976 steps at 15 min (a day, two days, July) or
  8,760 steps at 1 h (the year), LP and MILP, through :func:`optimizer.optimize_dispatch`
  (build, solve and extract as its :class:`~optimizer.SolverReport` times them) and through
  :func:`tests.oracles.reference_highspy.solve_direct` (array build, HiGHS run, read-back).
  Small sizes are timed three times and the fastest run is kept.
- ``rolling``: re-solves of a 48-hour horizon (192 steps at 15 min) from each local midnight
  from 2017-01-01 on, through ONE :class:`optimizer.DispatchModel` (its parameters updated
  and re-solved by its persistent HiGHS interface) against a fresh direct build and solve per
  day. Each day applies the Pyomo schedule up to the next local midnight: its last SOC and
  the month's running flat and TOU peaks are the next day's state (reset in a new month), so
  both paths solve the same sequence of problems; perfect foresight of the load. The last
  windows run into 2018 on a repeat of the year's first days. Timed as a MILP (the product)
  and as an LP (the same models without the binaries: modelling overhead alone, no
  difference in MILP strategy between the paths).

``ratio`` is Pyomo-path / direct-highspy wall time (for re-solves also ``median_ratio``, the
ratio of the medians); ``objective_rel_diff`` the relative difference of the two optima
(bounded by the MIP gap for a MILP). The last rows (``case == "target"``) check the issue's
targets against this run's figures (:func:`target_rows`). ``short=True`` (CI) runs
96 and 192 steps (LP and MILP), the 2,976-step LP and 30 daily re-solves (MILP and LP).

Where the two paths differ by design: ``optimize_dispatch`` first solves the LP relaxation
and stops if it never charges and discharges in one step (then it is MILP-optimal), while the
reference always runs HiGHS' MILP search; the LP rows compare like with like.

:func:`profile_rolling` runs the daily re-solves under :mod:`cProfile` and returns the top of
the profile, to see where the Pyomo path spends its time.
"""

from __future__ import annotations

import cProfile
import io
import logging
import math
import pstats
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.cases import (
    DispatchCase,
    e19_tariff,
    office_load_kw,
    shared_data_dir,
    standard_case,
)
from markets.tariff import Tariff
from optimizer import DispatchModel, MonthToDate, TerminalSoc, optimize_dispatch
from tests.oracles.reference_highspy import solve_direct

__all__ = ["MIP_REL_GAP", "profile_rolling", "run", "target_rows"]

logger = logging.getLogger(__name__)

SUITE = "bench_dispatch"
MIP_REL_GAP = 1e-4
"""The MIP gap both paths stop at (HiGHS' relative gap)."""
ONE_SHOT = (  # n_steps, freq, local start
    (96, "15min", "2017-07-05"),
    (192, "15min", "2017-07-05"),
    (2976, "15min", "2017-07-01"),
    (8760, "1h", "2017-01-01"),
)
ROLLING_STEPS = 192
STEPS_PER_DAY = 96


def _rel_diff(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a), abs(b))


def _one_shot(case: DispatchCase, *, relax: bool, repeats: int) -> dict:
    best: dict | None = None
    for _ in range(repeats):
        started = time.perf_counter()
        pyomo = optimize_dispatch(
            **case.problem_kwargs(), relax_binaries=relax, mip_rel_gap=MIP_REL_GAP
        )
        total = time.perf_counter() - started
        started = time.perf_counter()
        direct = solve_direct(
            **case.problem_kwargs(), relax_binaries=relax, mip_rel_gap=MIP_REL_GAP
        )
        direct_total = time.perf_counter() - started
        report = pyomo.solver
        row = {
            "suite": SUITE,
            "case": "one-shot",
            "n_steps": len(case.load_kw),
            "freq": case.load_kw.index.freqstr,
            "mode": "lp" if relax else "milp",
            "build_s": report.build_s,
            "solve_s": report.solve_s,
            "extract_s": report.extract_s,
            "total_s": total,
            "direct_build_s": direct.build_s,
            "direct_solve_s": direct.solve_s,
            "direct_extract_s": direct.extract_s,
            "direct_total_s": direct_total,
            "ratio": total / direct_total,
            "objective_usd": pyomo.objective_usd,
            "objective_rel_diff": _rel_diff(pyomo.objective_usd, direct.objective_usd),
            "mip_gap": report.mip_gap,
            "direct_mip_gap": direct.mip_gap,
        }
        if best is None or row["total_s"] + row["direct_total_s"] < (
            best["total_s"] + best["direct_total_s"]
        ):
            best = row
    assert best is not None
    return best


@dataclass(frozen=True, kw_only=True)
class _RollingState:
    """What one day hands to the next: stored energy and its month's running peaks."""

    soc_fraction: float
    month: tuple[int, int]
    flat_peak_kw: float
    tou_peak_kw: tuple[float, ...]

    def month_to_date(self, first: pd.Timestamp) -> MonthToDate:
        """The billing state for a window starting at ``first`` (empty in a new month)."""
        if (first.year, first.month) != self.month:
            return MonthToDate()
        return MonthToDate(flat_peak_kw=self.flat_peak_kw, tou_peak_kw=self.tou_peak_kw)

    def advance(self, applied: pd.DataFrame, tariff: Tariff, energy_kwh: float) -> _RollingState:
        """The state after ``applied`` (one local day of a schedule) has been carried out."""
        index = applied.index
        month = (int(index[0].year), int(index[0].month))
        mtd = self.month_to_date(index[0])
        grid = applied["grid_import_kw"].to_numpy()
        tou = list(mtd.tou_peak_kw or (0.0,) * len(self.tou_peak_kw))
        if tariff.tou_demand is not None:
            period = tariff.tou_demand_period(index)
            for p in np.unique(period).tolist():
                tou[p] = max(tou[p], float(grid[period == p].max()))
        # the SOC may sit a solver tolerance outside [0, 1]; the next solve needs a fraction
        soc = min(1.0, max(0.0, float(applied["soc_kwh"].iloc[-1]) / energy_kwh))
        return _RollingState(
            soc_fraction=soc,
            month=month,
            flat_peak_kw=max(mtd.flat_peak_kw, float(grid.max())),
            tou_peak_kw=tuple(tou),
        )


def _rolling(
    load: pd.Series,
    tariff: Tariff,
    case: DispatchCase,
    n_days: int,
    *,
    relax: bool = False,
    profile: bool = False,
) -> tuple[dict, str]:
    """Daily 48-hour re-solves from local midnight; each applies its first local day."""
    battery = case.battery
    n_tou = 0 if tariff.tou_demand is None else len(tariff.tou_demand.periods)
    midnights = np.flatnonzero((load.index.hour == 0) & (load.index.minute == 0))
    if len(midnights) < n_days + 1 or midnights[n_days - 1] + ROLLING_STEPS > len(load):
        raise ValueError(f"the load covers fewer than {n_days} daily 48-hour windows")
    started = time.perf_counter()
    model = DispatchModel(
        battery=battery,
        tariff=tariff,
        n_steps=ROLLING_STEPS,
        freq="15min",
        relax_binaries=relax,
        mip_rel_gap=MIP_REL_GAP,
    )
    model_build_s = time.perf_counter() - started
    state = _RollingState(
        soc_fraction=case.initial_soc_fraction,
        month=(0, 0),
        flat_peak_kw=0.0,
        tou_peak_kw=(0.0,) * n_tou,
    )
    pyomo_s, direct_s, phases, diffs = [], [], [], []
    profiler = cProfile.Profile() if profile else None
    for day in range(n_days):
        first = int(midnights[day])
        window = load.iloc[first : first + ROLLING_STEPS]
        inputs = {
            "load_kw": window,
            "initial_soc_fraction": state.soc_fraction,
            "terminal": TerminalSoc(),
            "month_to_date": state.month_to_date(window.index[0]),
        }
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        result = model.solve(**inputs)
        if profiler is not None:
            profiler.disable()
        pyomo_s.append(time.perf_counter() - started)
        phases.append((result.solver.build_s, result.solver.solve_s, result.solver.extract_s))
        if profiler is None:
            started = time.perf_counter()
            direct = solve_direct(
                battery=battery,
                tariff=tariff,
                relax_binaries=relax,
                mip_rel_gap=MIP_REL_GAP,
                **inputs,
            )
            direct_s.append(time.perf_counter() - started)
            diffs.append(_rel_diff(result.objective_usd, direct.objective_usd))
        applied = result.schedule.iloc[: int(midnights[day + 1]) - first]
        state = state.advance(applied, tariff, battery.energy_kwh)
    text = ""
    if profiler is not None:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(40)
        text = buffer.getvalue()
    phase = np.array(phases)
    row = {
        "suite": SUITE,
        "case": f"rolling {n_days} x 48h",
        "n_steps": ROLLING_STEPS,
        "freq": "15min",
        "mode": "lp" if relax else "milp",
        "build_s": float(phase[:, 0].mean()),
        "solve_s": float(phase[:, 1].mean()),
        "extract_s": float(phase[:, 2].mean()),
        "total_s": float(np.mean(pyomo_s)),
        "median_s": float(np.median(pyomo_s)),
        "p95_s": float(np.percentile(pyomo_s, 95)),
        "model_build_s": model_build_s,
    }
    if direct_s:
        row |= {
            "direct_total_s": float(np.mean(direct_s)),
            "direct_median_s": float(np.median(direct_s)),
            "direct_p95_s": float(np.percentile(direct_s, 95)),
            "ratio": float(np.mean(pyomo_s) / np.mean(direct_s)),
            "median_ratio": float(np.median(pyomo_s) / np.median(direct_s)),
            "objective_rel_diff": float(max(diffs)),
        }
    return row, text


def profile_rolling(n_days: int = 30, *, relax: bool = False) -> str:
    """Run ``n_days`` daily re-solves of the Pyomo path under cProfile; the top 40 by
    cumulative time, as text."""
    data_dir = shared_data_dir()
    tariff = e19_tariff(data_dir)
    load = office_load_kw(data_dir, freq="15min", extra_days=3)
    case = standard_case(data_dir, n_steps=ROLLING_STEPS, tariff=tariff, load_kw=load)
    return _rolling(load, tariff, case, n_days, relax=relax, profile=True)[1]


def run(short: bool) -> list[dict]:
    """Time the Pyomo and direct-highspy paths; one flat dict per row (see module docstring)."""
    data_dir = shared_data_dir()
    tariff = e19_tariff(data_dir)
    load_15 = office_load_kw(data_dir, freq="15min", extra_days=3)
    load_1h = office_load_kw(data_dir, freq="1h")
    rows: list[dict] = []
    warm = standard_case(data_dir, n_steps=96, tariff=tariff, load_kw=load_15)
    _one_shot(warm, relax=True, repeats=1)  # imports and first-call set-up, not reported
    for n_steps, freq, start in ONE_SHOT:
        if short and n_steps > 2976:
            continue
        load = load_15 if freq == "15min" else load_1h
        case = standard_case(
            data_dir, n_steps=n_steps, freq=freq, start=start, tariff=tariff, load_kw=load
        )
        for relax in (True, False):
            if short and n_steps == 2976 and not relax:
                continue
            row = _one_shot(case, relax=relax, repeats=3 if n_steps <= 192 else 1)
            logger.info("%s", row)
            rows.append(row)
    case = standard_case(data_dir, n_steps=ROLLING_STEPS, tariff=tariff, load_kw=load_15)
    for relax in (False, True):
        rows.append(_rolling(load_15, tariff, case, 30 if short else 365, relax=relax)[0])
    for row in rows:
        if not math.isfinite(row.get("objective_rel_diff", 0.0)):
            raise RuntimeError(f"non-finite objective difference in {row}")
    return rows + target_rows(rows)


def _target(name: str, value: float, limit: float, unit: str) -> dict:
    return {
        "suite": SUITE,
        "case": "target",
        "target": name,
        "value": value,
        "limit": limit,
        "unit": unit,
        "met": bool(value <= limit),
    }


def target_rows(rows: list[dict]) -> list[dict]:
    """The issue's targets, each checked against figures of this run (ratios in one run).

    - 192-step re-solve, LP and MILP: median <= 10 ms and <= 1.2x direct highspy (medians of
      the daily re-solves against fresh direct solves of the same problems; the direct
      MILP always runs branch and bound, the model settles by the relaxation when it can);
    - one-shot 2,976-step month (LP, and MILP when run): build + solve <= 3x direct highspy;
    - one-shot hourly year (8,760 steps, when run): model build <= 1.5 s.
    """
    out = []
    for row in rows:
        mode = row.get("mode")
        if row["case"].startswith("rolling") and "median_ratio" in row:
            out.append(_target(f"re-solve 192 {mode} median", row["median_s"] * 1e3, 10.0, "ms"))
            out.append(_target(f"re-solve 192 {mode} vs direct", row["median_ratio"], 1.2, "x"))
        elif row["case"] == "one-shot" and row["n_steps"] == 2976:
            out.append(_target(f"month 2976 {mode} vs direct", row["ratio"], 3.0, "x"))
        elif row["case"] == "one-shot" and row["n_steps"] == 8760 and mode == "lp":
            out.append(_target("year 8760 build", row["build_s"], 1.5, "s"))
    return out
