"""Regulation deployment in the plant: awards x a signal -> energy, SOC, shortfall, score.

Each plant interval carries a base schedule (``charge_kw``, ``discharge_kw``: the plan's
setpoints) and regulation awards (``up_award_kw``, ``down_award_kw``). A regulation signal
(:class:`markets.regulation_signal.RegulationSignal`, ``s`` in [-1, 1] per sub-step) asks, at
each sub-step of ``dt_s`` seconds, for

.. math::

    r = a^{up} \\max(s, 0) - a^{down} \\max(-s, 0) \\quad [kW, + = discharge]

(a symmetric award ``a`` is passed as ``a^{up} = a^{down} = a``). The battery is asked for
``p* = d - c + r`` (discharge positive) and delivers

.. math::

    p = \\min(\\max(p^*, -\\bar c), \\bar d), \\quad
    \\bar d = \\min(P_d, \\eta_d (\\sigma \\rho - S_{min}) / dt), \\quad
    \\bar c = \\min(P_c, (S_{max} - \\sigma \\rho) / (\\eta_c dt))

with ``sigma`` the stored energy, ``rho`` the retention over a sub-step; stored energy follows
the plant's convention ``sigma' = sigma rho + c eta_c dt - d / eta_d dt`` (and, as in
:mod:`sims.plant`, a maintenance charge holds ``S_min`` against self-discharge). So the SOC
never leaves its window and the power never exceeds a rating. What the battery could not do,
``|p* - p|``, is charged first to regulation (up to ``|r|`` when the gap has the sign of
``r``) and only the rest to the base schedule: regulation shortfall and base shortfall are
recorded separately per interval [kWh at the terminals].

Performance score (ASSUMPTION, PJM-style): per interval, ``score = delivered / requested``
regulation energy at the terminals (1 where nothing was requested). PJM's real score (PJM
Manual 12, Section 4.5: the mean of correlation, delay and precision scores over each
5-minute window, as remembered, not confirmed from a source here) also scores timing; a
battery that follows its signal without delay scores close to this energy ratio. CAISO scores
mileage accuracy (Tariff 11.10.1, Order 755; as remembered) on a similar delivered /
instructed basis.

Pay (see :func:`regulation_pay`): ``award * dt * (capacity price * score + mileage price *
mileage * score)``, with the mileage measured on the signal (sum of absolute moves of the
request per kW of award).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import step_hours
from core.validation import require_finite, validate_series
from optimizer.battery import Battery

__all__ = [
    "DEPLOYMENT_COLUMNS",
    "DeploymentResult",
    "deploy_regulation",
    "regulation_pay",
]

logger = logging.getLogger(__name__)

DEPLOYMENT_COLUMNS: tuple[str, ...] = (
    "charge_kw",
    "discharge_kw",
    "soc_start_kwh",
    "soc_end_kwh",
    "reg_requested_up_kwh",
    "reg_requested_down_kwh",
    "reg_delivered_up_kwh",
    "reg_delivered_down_kwh",
    "reg_shortfall_kwh",
    "base_shortfall_kwh",
    "score_fraction",
    "up_mileage_kw_per_kw",
    "down_mileage_kw_per_kw",
    "max_up_drawn_kwh",
    "max_down_drawn_kwh",
)
"""Columns of :attr:`DeploymentResult.intervals`. Powers are interval means [kW]; energies at
the battery terminals [kWh]; ``max_up_drawn_kwh`` / ``max_down_drawn_kwh`` the largest net
regulation energy delivered up (discharged) / down (charged) since the start of the interval
(what the planner's energy reserve must cover); mileages per kW of award."""

_SOC_TOL_KWH = 1e-9


@dataclass(frozen=True, kw_only=True)
class DeploymentResult:
    """What deployment did, interval by interval.

    Parameters
    ----------
    intervals : pandas.DataFrame
        :data:`DEPLOYMENT_COLUMNS` on the intervals' index.
    final_soc_kwh : float
        Stored energy at the end [kWh].
    """

    intervals: pd.DataFrame
    final_soc_kwh: float


def _check_signal(signal: np.ndarray, n: int) -> np.ndarray:
    values = np.asarray(signal, dtype=float)
    if values.ndim != 2 or values.shape[0] != n or values.shape[1] < 1:
        raise InputError("signal", values.shape, f"an array of shape ({n}, sub-steps)")
    if not np.all(np.isfinite(values)) or np.max(np.abs(values)) > 1.0 + 1e-9:
        raise InputError("signal", "values outside [-1, 1] or not finite", "values in [-1, 1]")
    return np.clip(values, -1.0, 1.0)


def deploy_regulation(
    *,
    battery: Battery,
    charge_kw: pd.Series,
    discharge_kw: pd.Series,
    up_award_kw: pd.Series,
    down_award_kw: pd.Series,
    signal: np.ndarray,
    initial_soc_kwh: float,
) -> DeploymentResult:
    """Follow the base schedule plus the regulation request, sub-step by sub-step.

    Parameters
    ----------
    battery : Battery
        Ratings, SOC window, efficiencies, self-discharge (site limits are not applied: front
        of the meter, or a site whose limits the plan already respects).
    charge_kw, discharge_kw : pandas.Series
        Base setpoints per interval [kW], >= 0, on a valid time index.
    up_award_kw, down_award_kw : pandas.Series
        Regulation awards per interval [kW], >= 0, on the same index.
    signal : numpy.ndarray
        Shape (intervals, sub-steps): the normalised signal in [-1, 1] for each interval
        (:meth:`RegulationSignal.per_interval`); the sub-step is ``dt_h / sub-steps``.
    initial_soc_kwh : float
        Stored energy at the start [kWh], within the SOC window.

    Returns
    -------
    DeploymentResult
    """
    c = validate_series(charge_kw, name="charge_kw", nonnegative=True)
    index = c.index
    dt_h = step_hours(index, name="charge_kw.index")
    series = {
        name: validate_series(s, name=name, index=index, nonnegative=True).to_numpy(dtype=float)
        for name, s in (
            ("discharge_kw", discharge_kw),
            ("up_award_kw", up_award_kw),
            ("down_award_kw", down_award_kw),
        )
    }
    sig = _check_signal(signal, len(index))
    require_finite("initial_soc_kwh", initial_soc_kwh)
    if not (
        battery.soc_min_kwh - _SOC_TOL_KWH <= initial_soc_kwh <= battery.soc_max_kwh + _SOC_TOL_KWH
    ):
        raise InputError(
            "initial_soc_kwh",
            initial_soc_kwh,
            f"stored energy within [{battery.soc_min_kwh}, {battery.soc_max_kwh}] kWh",
        )
    up = series["up_award_kw"][:, None]
    down = series["down_award_kw"][:, None]
    request = up * np.clip(sig, 0.0, None) - down * np.clip(-sig, 0.0, None)
    base = series["discharge_kw"] - c.to_numpy(dtype=float)
    columns, soc = _run(battery, dt_h, base, request, float(initial_soc_kwh))
    k = sig.shape[1]
    moves_up = np.abs(np.diff(np.clip(sig, 0.0, None), axis=1)).sum(axis=1)
    moves_down = np.abs(np.diff(np.clip(-sig, 0.0, None), axis=1)).sum(axis=1)
    if k == 1:
        moves_up = moves_down = np.zeros(len(index))
    columns["up_mileage_kw_per_kw"] = moves_up
    columns["down_mileage_kw_per_kw"] = moves_down
    frame = pd.DataFrame(columns, index=index)[list(DEPLOYMENT_COLUMNS)]
    return DeploymentResult(intervals=frame, final_soc_kwh=soc)


_FIELDS = (
    "charge_kwh",
    "discharge_kwh",
    "reg_requested_up_kwh",
    "reg_requested_down_kwh",
    "reg_delivered_up_kwh",
    "reg_delivered_down_kwh",
    "reg_shortfall_kwh",
    "base_shortfall_kwh",
    "max_up_drawn_kwh",
    "max_down_drawn_kwh",
)
"""What one interval's follow-up returns (then the stored energy at its end)."""


def _run(
    battery: Battery,
    dt_h: float,
    base: np.ndarray,
    request: np.ndarray,
    soc: float,
    *,
    fast: bool = True,
) -> tuple[dict[str, np.ndarray], float]:
    """Follow every interval (module docstring); per-interval columns and the final SOC.

    With ``fast`` an interval is first computed with whole arrays, assuming the SOC limits do
    not bind; if its stored energy stays inside the window at every sub-step end (so no SOC
    limit could have bound) that result is exact, otherwise the sub-step loop recomputes it.
    Without self-discharge only.
    """
    n, k = request.shape
    h = dt_h / k
    s_min, s_max = battery.soc_min_kwh, battery.soc_max_kwh
    out = {name: np.zeros(n) for name in (*_FIELDS, "soc_start_kwh", "soc_end_kwh")}
    soc = min(max(soc, s_min), s_max)
    use_fast = fast and battery.retention(h) == 1.0
    for t in range(n):
        out["soc_start_kwh"][t] = soc
        values = _interval_arrays(battery, h, float(base[t]), request[t], soc) if use_fast else None
        if values is None:
            values = _interval_loop(battery, h, float(base[t]), request[t].tolist(), soc)
        for name, value in zip(_FIELDS, values[:-1], strict=True):
            out[name][t] = value
        soc = values[-1]
        out["soc_end_kwh"][t] = soc
    requested = out["reg_requested_up_kwh"] + out["reg_requested_down_kwh"]
    delivered = out["reg_delivered_up_kwh"] + out["reg_delivered_down_kwh"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["score_fraction"] = np.where(requested > 0.0, delivered / requested, 1.0)
    out["charge_kw"] = out.pop("charge_kwh") / dt_h
    out["discharge_kw"] = out.pop("discharge_kwh") / dt_h
    return out, soc


def _interval_arrays(
    battery: Battery, h: float, b: float, r: np.ndarray, soc: float
) -> tuple[float, ...] | None:
    """One interval with whole arrays, or None if a SOC limit may have bound."""
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    target = b + r
    p = np.clip(target, -battery.charge_rating_kw, battery.discharge_rating_kw)
    stored = np.where(p >= 0.0, -p / eta_d, -p * eta_c) * h
    path = soc + np.cumsum(stored)
    if path.min() < battery.soc_min_kwh or path.max() > battery.soc_max_kwh:
        return None
    gap = target - p
    short = np.where(gap * r > 0.0, np.minimum(np.abs(gap), np.abs(r)), 0.0)
    delivered = r - np.sign(r) * short
    up, down = r > 0.0, r <= 0.0
    net = np.cumsum(delivered) * h
    return (
        float(np.clip(-p, 0.0, None).sum() * h),
        float(np.clip(p, 0.0, None).sum() * h),
        float(r[up].sum() * h),
        float(-r[down].sum() * h),
        float(delivered[up].sum() * h),
        float(-delivered[down].sum() * h),
        float(short.sum() * h),
        float((np.abs(gap) - short).sum() * h),
        max(0.0, float(net.max())),
        max(0.0, float(-net.min())),
        float(path[-1]),
    )


def _interval_loop(
    battery: Battery, h: float, b: float, rows: list[float], soc: float
) -> tuple[float, ...]:
    """One interval, sub-step by sub-step (module docstring)."""
    rho = battery.retention(h)
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    p_c, p_d = battery.charge_rating_kw, battery.discharge_rating_kw
    s_min, s_max = battery.soc_min_kwh, battery.soc_max_kwh
    ch = dis = req_up = req_dn = del_up = del_dn = reg_short = base_short = 0.0
    net = peak_up = peak_dn = 0.0
    for r in rows:
        kept = soc * rho
        d_max = min(p_d, max(0.0, (kept - s_min) * eta_d / h))
        c_max = min(p_c, max(0.0, (s_max - kept) / (eta_c * h)))
        target = b + r
        p = min(max(target, -c_max), d_max)
        if kept < s_min:  # hold soc_min against self-discharge (as the plant does)
            p = min(p, -min(c_max, (s_min - kept) / (eta_c * h)))
        gap = target - p
        short = min(abs(gap), abs(r)) if gap * r > 0.0 else 0.0
        reg_short += short * h
        base_short += (abs(gap) - short) * h
        delivered = r - (short if r > 0.0 else -short)
        if r > 0.0:
            req_up += r * h
            del_up += delivered * h
        else:
            req_dn -= r * h
            del_dn -= delivered * h
        net += delivered * h
        peak_up = max(peak_up, net)
        peak_dn = max(peak_dn, -net)
        if p >= 0.0:
            dis += p * h
            soc = kept - p / eta_d * h
        else:
            ch -= p * h
            soc = kept - p * eta_c * h
        soc = min(max(soc, min(s_min, kept)), s_max)  # round-off only
    return (ch, dis, req_up, req_dn, del_up, del_dn, reg_short, base_short, peak_up, peak_dn, soc)


def regulation_pay(
    *,
    award_kw: np.ndarray,
    dt_h: float,
    capacity_usd_per_kw_h: np.ndarray,
    score_fraction: np.ndarray,
    mileage_usd_per_kw: np.ndarray | None = None,
    mileage_kw_per_kw: np.ndarray | None = None,
    score_applies_to_capacity: bool = True,
) -> np.ndarray:
    """Pay per interval of one regulation product under deployment [$].

    ``award * (dt * capacity price * score + mileage price * mileage * score)``, the capacity
    part unscored if ``score_applies_to_capacity`` is False. ``mileage_kw_per_kw`` is the
    measured mileage per kW of award in each interval (:data:`DEPLOYMENT_COLUMNS`).
    """
    award = np.asarray(award_kw, dtype=float)
    score = np.asarray(score_fraction, dtype=float)
    if np.any(score < -1e-12) or np.any(score > 1.0 + 1e-12):
        raise InputError("score_fraction", "values outside [0, 1]", "fractions in [0, 1]")
    capacity = np.asarray(capacity_usd_per_kw_h, dtype=float) * dt_h
    pay = award * capacity * (score if score_applies_to_capacity else 1.0)
    if mileage_usd_per_kw is not None and mileage_kw_per_kw is not None:
        pay = pay + award * np.asarray(mileage_usd_per_kw) * np.asarray(mileage_kw_per_kw) * score
    return pay
