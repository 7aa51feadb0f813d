"""Regulation signals: read a real one, state its statistics, resample it, cut it per interval.

A regulation signal is the ISO's instruction to a regulating resource, normalised to the
award: ``+1`` asks for the full up award (more discharge / less charge), ``-1`` for the full
down award, at a fixed step of a few seconds. :class:`RegulationSignal` holds the values
[fraction of award, -1..1] and the step [s]; nothing here knows about batteries (see
:mod:`sims.deployment`).

Sources read here (files in ``../shared/data/markets``, see its MANIFEST):

* :func:`read_pjm_rega_csv`: PJM's REAL RegA ("traditional") 2-second signal, 2017-08-01 and
  2017-08-02, 16:00-24:00 EPT each (two 8-h pieces; joined end to start, so the join is one
  discontinuity in 16 h).
* :func:`read_isone_agc_csv`: ISO-NE's published 4-second AGC test signal (SIMULATED, not
  metered), 24 h, MW setpoints for a 10 MW fleet divided by the fleet size.

A year of deployment needs a year of signal; only 16 h of a real signal are at hand.
:func:`synthetic_signal` resamples the real one in blocks (a block bootstrap: consecutive
pieces of ``block_min`` minutes drawn at random, with replacement), which keeps the signal's
short-term shape (its autocorrelation within a block, its mileage) and its level distribution,
but not correlations longer than a block. :func:`signal_statistics` states mean, standard
deviation, autocorrelation at several lags, energy neutrality and mileage, so a synthetic
signal is always reported beside the real one it came from.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.series import numeric_values, read_csv_frame
from core.validation import require_positive

__all__ = [
    "RegulationSignal",
    "SignalStatistics",
    "read_isone_agc_csv",
    "read_pjm_rega_csv",
    "signal_statistics",
    "synthetic_signal",
]

logger = logging.getLogger(__name__)

_LIMIT_TOL = 1e-9


@dataclass(frozen=True, kw_only=True, eq=False)
class RegulationSignal:
    """A normalised regulation signal at a fixed step.

    Parameters
    ----------
    values_fraction : numpy.ndarray
        1-D signal as a fraction of the award, each in [-1, 1]; + asks for up (discharge).
    step_s : float
        Step between values [s].
    source : str
        Where the values come from (file, and whether real, resampled or simulated).
    """

    values_fraction: np.ndarray
    step_s: float
    source: str

    def __post_init__(self) -> None:
        values = np.asarray(self.values_fraction, dtype=float)
        if values.ndim != 1 or len(values) < 2:
            raise InputError(
                "RegulationSignal.values_fraction", values.shape, "a 1-D array of >= 2 values"
            )
        if not np.all(np.isfinite(values)):
            raise InputError("RegulationSignal.values_fraction", "NaN or inf", "finite values")
        worst = float(np.max(np.abs(values)))
        if worst > 1.0 + _LIMIT_TOL:
            raise InputError("RegulationSignal.values_fraction", worst, "values within [-1, 1]")
        require_positive("RegulationSignal.step_s", self.step_s)
        values = np.clip(values, -1.0, 1.0)
        values.flags.writeable = False
        object.__setattr__(self, "values_fraction", values)

    @property
    def duration_h(self) -> float:
        """Length of the signal [h]."""
        return len(self.values_fraction) * self.step_s / 3600.0

    def resample(self, step_s: float) -> RegulationSignal:
        """The block mean over ``step_s`` (an integer multiple of the step) [s].

        A coarser step keeps the energy of each block exactly and lowers the mileage (moves
        within a block are averaged away); a trailing part block is dropped.
        """
        require_positive("step_s", step_s)
        ratio = step_s / self.step_s
        k = int(round(ratio))
        if k < 1 or abs(ratio - k) > 1e-9:
            raise InputError("step_s", step_s, f"an integer multiple of {self.step_s} s")
        if k == 1:
            return self
        n = len(self.values_fraction) // k
        if n < 2:
            raise InputError("step_s", step_s, f"at most half the signal ({self.duration_h} h)")
        blocks = self.values_fraction[: n * k].reshape(n, k).mean(axis=1)
        return RegulationSignal(
            values_fraction=blocks, step_s=float(step_s), source=f"{self.source}, mean per {k}"
        )

    def per_interval(self, *, dt_h: float, n_intervals: int, offset: int = 0) -> np.ndarray:
        """The signal cut into ``n_intervals`` rows of one interval each, shape (n, k).

        The signal is read from position ``offset`` and wraps around at its end (stated: a
        short real signal repeated).

        Parameters
        ----------
        dt_h : float
            Interval length [h]; must be a whole number of signal steps.
        n_intervals : int
            Number of rows.
        offset : int, default 0
            First signal value used.
        """
        require_positive("dt_h", dt_h)
        per = dt_h * 3600.0 / self.step_s
        k = int(round(per))
        if k < 1 or abs(per - k) > 1e-9:
            raise InputError("dt_h", dt_h, f"a whole number of {self.step_s}-s signal steps")
        if not isinstance(n_intervals, int) or n_intervals < 1:
            raise InputError("n_intervals", n_intervals, "an integer >= 1")
        n = len(self.values_fraction)
        positions = (offset + np.arange(n_intervals * k)) % n
        return self.values_fraction[positions].reshape(n_intervals, k)


def read_pjm_rega_csv(path: str | Path) -> RegulationSignal:
    """PJM's RegA 2-second sample: a time-of-day column, then one column per day.

    Every day column is read in order and the days are joined end to start.
    """
    frame = read_csv_frame(path, field="pjm_rega_csv")
    days = [c for c in frame.columns[1:] if str(c).strip()]
    if not days:
        raise InputError("pjm_rega_csv", str(path), "a time column and one column per day")
    pieces = [numeric_values(frame, c, field=f"pjm_rega_csv[{c}]") for c in days]
    return RegulationSignal(
        values_fraction=np.concatenate(pieces),
        step_s=2.0,
        source=f"PJM RegA 2-s signal (REAL), {Path(path).name}, days {', '.join(days)} joined",
    )


def read_isone_agc_csv(
    path: str | Path, *, column: str = "energy_neutral_continuous_mw", fleet_mw: float = 10.0
) -> RegulationSignal:
    """ISO-NE's 4-second AGC test setpoints (SIMULATED) divided by the fleet size."""
    require_positive("fleet_mw", fleet_mw)
    frame = read_csv_frame(path, field="isone_agc_csv", required=[("column", column)])
    seconds = numeric_values(frame, "t_sec", field="isone_agc_csv.t_sec")
    steps = np.diff(seconds)
    if not np.allclose(steps, steps[0]):
        raise InputError("isone_agc_csv.t_sec", "uneven steps", "a fixed step")
    values = numeric_values(frame, column, field=f"isone_agc_csv.{column}", allow_missing=True)
    missing = np.isnan(values)
    n = len(values) - int(np.argmax(~missing[::-1])) if missing.any() else len(values)
    if missing[:n].any():
        row = int(np.argmax(missing[:n]))
        raise InputError(
            f"isone_agc_csv.{column}", f"empty (row {row + 1})", "empty cells only at the end"
        )
    if n < len(values):
        logger.info("isone_agc_csv: %d trailing empty rows of %s dropped", len(values) - n, column)
    return RegulationSignal(
        values_fraction=values[:n] / fleet_mw,
        step_s=float(steps[0]),
        source=f"ISO-NE AGC test signal (SIMULATED), {column} / {fleet_mw:g} MW",
    )


@dataclass(frozen=True, kw_only=True)
class SignalStatistics:
    """What a signal asks of a resource, per unit of award.

    Parameters
    ----------
    duration_h : float
        Length [h].
    mean_fraction, std_fraction : float
        Mean and standard deviation of the values [fraction of award].
    autocorrelation : dict of float to float
        Autocorrelation at lags given in seconds.
    up_energy_h, down_energy_h : float
        Mean of the positive part and of the negative part's magnitude: energy requested up
        and down per kW of award per hour [kWh/kW/h].
    neutrality_fraction : float
        ``(up - down) / (up + down)``: 0 for an energy-neutral signal.
    max_drift_h : float
        Largest absolute cumulative energy from the start, per kW of award [kWh/kW] (how far
        a lossless resource's stored energy would wander).
    max_drift_1h_h : float
        Largest absolute energy between any two instants at most one hour apart [kWh/kW]
        (what an energy reserve held for one hour must cover).
    mileage_per_h : float
        Sum of absolute changes per hour [kW/kW/h].
    """

    duration_h: float
    mean_fraction: float
    std_fraction: float
    autocorrelation: dict[float, float]
    up_energy_h: float
    down_energy_h: float
    neutrality_fraction: float
    max_drift_h: float
    max_drift_1h_h: float
    mileage_per_h: float


def _autocorrelation(values: np.ndarray, lag: int) -> float:
    if lag >= len(values) - 1:
        return math.nan
    a, b = values[:-lag], values[lag:]
    if np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def signal_statistics(
    signal: RegulationSignal, *, lags_s: tuple[float, ...] = (2.0, 60.0, 900.0, 3600.0)
) -> SignalStatistics:
    """Mean, spread, autocorrelation, energy neutrality, drift and mileage of ``signal``.

    Lags that are not a whole number of steps are rounded to the nearest step (at least one).
    """
    v = np.asarray(signal.values_fraction, dtype=float)
    step_h = signal.step_s / 3600.0
    up = float(np.clip(v, 0.0, None).mean())
    down = float(np.clip(-v, 0.0, None).mean())
    cumulative = np.concatenate(([0.0], np.cumsum(v) * step_h))
    per_hour = max(1, int(round(1.0 / step_h)))
    if per_hour < len(cumulative):
        rolling = pd.Series(cumulative).rolling(per_hour + 1)
        drift_1h = float((rolling.max() - rolling.min()).max())
    else:
        drift_1h = float(np.ptp(cumulative))
    lags = {
        float(lag): _autocorrelation(v, max(1, int(round(lag / signal.step_s)))) for lag in lags_s
    }
    total = up + down
    return SignalStatistics(
        duration_h=signal.duration_h,
        mean_fraction=float(v.mean()),
        std_fraction=float(v.std()),
        autocorrelation=lags,
        up_energy_h=up,
        down_energy_h=down,
        neutrality_fraction=(up - down) / total if total > 0 else 0.0,
        max_drift_h=float(np.max(np.abs(cumulative))),
        max_drift_1h_h=drift_1h,
        mileage_per_h=float(np.abs(np.diff(v)).sum() / signal.duration_h),
    )


def synthetic_signal(
    real: RegulationSignal,
    *,
    hours: float,
    block_min: float = 15.0,
    seed: int = 0,
    flip_sign: bool = True,
    candidates: int = 64,
) -> RegulationSignal:
    """A signal of ``hours`` made of consecutive blocks of ``real`` (a matched-block bootstrap).

    Each block of ``block_min`` minutes is copied from a random position of ``real``; of
    ``candidates`` random positions (and, with ``flip_sign``, random signs) the one whose first
    value is nearest to the previous block's last value is taken, so the joins add little
    mileage that the real signal does not have.

    Parameters
    ----------
    real : RegulationSignal
        The signal to resample; at least two blocks long.
    hours : float
        Length of the result [h] (whole blocks, the last one cut).
    block_min : float, default 15.0
        Block length [min]; a whole number of the signal's steps.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng` (the same seed gives the same signal).
    flip_sign : bool, default True
        Let a block enter with its sign reversed (ASSUMPTION stated with the result: a short
        real sample that is not energy-neutral, e.g. PJM RegA on summer evenings, stands for a
        year whose up and down requests balance; the block's shape and mileage are kept, its
        mean becomes zero in expectation).
    candidates : int, default 64
        Random positions tried per block.
    """
    require_positive("hours", hours)
    require_positive("block_min", block_min)
    if not isinstance(candidates, int) or candidates < 1:
        raise InputError("candidates", candidates, "an integer >= 1")
    per = block_min * 60.0 / real.step_s
    k = int(round(per))
    if k < 1 or abs(per - k) > 1e-9:
        raise InputError("block_min", block_min, f"a whole number of {real.step_s}-s steps")
    v = real.values_fraction
    n_real = len(v)
    if n_real < 2 * k:
        raise InputError("block_min", block_min, f"at most half the signal ({real.duration_h} h)")
    n_out = int(math.ceil(hours * 3600.0 / real.step_s))
    n_blocks = int(math.ceil(n_out / k))
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n_real - k + 1, size=(n_blocks, candidates))
    signs = (
        rng.choice(np.array([-1.0, 1.0]), size=(n_blocks, candidates))
        if flip_sign
        else np.ones((n_blocks, candidates))
    )
    out = np.empty(n_blocks * k)
    last = float(v[0])
    for b in range(n_blocks):
        first = v[starts[b]] * signs[b]
        j = int(np.argmin(np.abs(first - last)))
        block = v[starts[b, j] : starts[b, j] + k] * signs[b, j]
        out[b * k : (b + 1) * k] = block
        last = float(block[-1])
    how = "sign-flipped " if flip_sign else ""
    return RegulationSignal(
        values_fraction=out[:n_out],
        step_s=real.step_s,
        source=(
            f"synthetic: {block_min:g}-min {how}blocks of {real.source}, matched at the joins "
            f"(seed {seed})"
        ),
    )
