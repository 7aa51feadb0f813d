"""The real-time layer: every interval, hold the meter at the demand target and keep the reserve.

The planner (:mod:`control.controller`) leaves three things per interval: the plan's charge and
discharge power, the demand target (the lowest target of the priced demand windows the interval
belongs to, ``inf`` where none applies) and the energy reserve that must still be stored at the
end of the interval to hold the targets over the rest of the plan in its high-load scenario.
Each interval, knowing the actual net load ``net_kw = load_kw - pv_kw`` of that interval (a fast
inner loop sees it as it happens), :func:`realtime_setpoint` turns them into the setpoint:

1. **hold**: if ``net_kw`` exceeds the target, discharge ``net_kw - target_kw`` (as far as
   power and stored energy allow), whatever the plan says;
2. **reserve**: any discharge beyond what holding needs (the plan's arbitrage or shaving for a
   load that did not come) may only use energy above the reserve;
3. **cap**: charging never lifts the meter above the *charging ceiling*: the plan's own import
   for the interval or a peak already paid this month, whichever is higher, and never above the
   target (a forecast error must not turn planned charging into a new peak);
4. **top up**: when the stored energy is below the reserve (or a *fill* level the controller
   asks for at cheap steps) and the meter is below the ceiling, charge toward it with the room
   left under the ceiling.

:func:`energy_need_kwh` computes the reserve from a plan's high-load scenario by a backward
recursion: the energy needed to hold the target from a step to the end of the horizon, when every
interval below the target recharges as fast as the room under the target allows.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.battery import Battery

__all__ = ["energy_need_kwh", "energy_need_rows_kwh", "realtime_setpoint"]

_TOL_KW = 1e-9


def energy_need_kwh(
    net_kw: np.ndarray,
    target_kw: np.ndarray,
    battery: Battery,
    dt_h: float,
    ceiling_kw: np.ndarray | None = None,
) -> np.ndarray:
    """Stored energy needed at the start of each step to hold the targets to the horizon's end.

    Parameters
    ----------
    net_kw : numpy.ndarray
        Net load (load - PV) of a high-load scenario, one value per step [kW].
    target_kw : numpy.ndarray
        Demand target per step [kW] (``inf`` where no demand charge applies).
    battery : Battery
        Ratings and efficiencies.
    dt_h : float
        Step length [h].
    ceiling_kw : numpy.ndarray or None, default None
        Highest meter reading charging may cause per step [kW]; None: the target.

    Returns
    -------
    numpy.ndarray
        ``need[k]`` [kWh above ``soc_min_kwh``] for ``k = 0 .. n`` (``need[n] = 0``)::

            need[k] = need[k+1] + min(net - T, P_d) * dt / eta_d          if net > T
            need[k] = max(0, need[k+1] - min(C - net, P_c) * eta_c * dt)  otherwise

        with ``C`` the charging ceiling.
    """
    n = len(net_kw)
    need = np.zeros(n + 1)
    excess = np.asarray(net_kw, dtype=float) - np.asarray(target_kw, dtype=float)
    p_d, p_c = battery.discharge_rating_kw, battery.charge_rating_kw
    eta_d, eta_c = battery.discharge_efficiency, battery.charge_efficiency
    drain = np.minimum(np.maximum(excess, 0.0), p_d) * dt_h / eta_d
    ceiling = target_kw if ceiling_kw is None else np.minimum(ceiling_kw, target_kw)
    room = np.asarray(ceiling, dtype=float) - np.asarray(net_kw, dtype=float)
    refill = np.where(np.isfinite(room), np.minimum(np.maximum(room, 0.0), p_c), p_c)
    refill = refill * eta_c * dt_h
    # The recursion need[k] = max(0, need[k+1] + d[k]) (d = drain where positive, else -refill)
    # is Lindley's: with suffix sums S[k] = d[k] + ... + d[n-1] (S[n] = 0) its solution is
    # need[k] = S[k] - min(S[k:]), computed here without a Python loop.
    step = np.where(drain > 0, drain, -refill)
    suffix = np.zeros(n + 1)
    suffix[:n] = np.cumsum(step[::-1])[::-1]
    need[:] = suffix - np.minimum.accumulate(suffix[::-1])[::-1]
    return need


def energy_need_rows_kwh(
    net_kw: np.ndarray,
    target_kw: np.ndarray,
    valid: np.ndarray,
    battery: Battery,
    dt_h: float,
) -> np.ndarray:
    """:func:`energy_need_kwh` of each row at once, charging up to the target.

    Parameters
    ----------
    net_kw, target_kw : numpy.ndarray
        Net load and target [kW], one row per series (shape ``(rows, width)``).
    valid : numpy.ndarray of bool
        Where a row has data: a leading run of each row (a shorter series is padded at its
        end; padding needs and gives nothing).
    battery : Battery
        Ratings and efficiencies.
    dt_h : float
        Step length [h].

    Returns
    -------
    numpy.ndarray
        Shape ``(rows, width + 1)``: row ``r`` up to its length ``n`` + 1 equals
        ``energy_need_kwh(net_kw[r, :n], target_kw[r, :n], battery, dt_h, ceiling_kw=target_kw[r, :n])``;
        0 after it.
    """
    p_d, p_c = battery.discharge_rating_kw, battery.charge_rating_kw
    eta_d, eta_c = battery.discharge_efficiency, battery.charge_efficiency
    drain = np.minimum(np.maximum(net_kw - target_kw, 0.0), p_d) * dt_h / eta_d
    room = target_kw - net_kw
    refill = np.where(np.isfinite(room), np.minimum(np.maximum(room, 0.0), p_c), p_c)
    refill = refill * eta_c * dt_h
    step = np.where(drain > 0, drain, -refill)
    step[~valid] = 0.0
    rows, width = step.shape
    suffix = np.zeros((rows, width + 1))
    suffix[:, :width] = np.cumsum(step[:, ::-1], axis=1)[:, ::-1]
    return suffix - np.minimum.accumulate(suffix[:, ::-1], axis=1)[:, ::-1]


def realtime_setpoint(
    *,
    net_kw: float,
    plan_charge_kw: float,
    plan_discharge_kw: float,
    target_kw: float,
    soc_kwh: float,
    reserve_kwh: float,
    battery: Battery,
    dt_h: float,
    ceiling_kw: float | None = None,
    fill_kwh: float | None = None,
) -> tuple[float, float]:
    """The interval's charge and discharge setpoints [kW] (see the module docstring).

    Parameters
    ----------
    net_kw : float
        Actual net load of the interval (load - PV) [kW].
    plan_charge_kw, plan_discharge_kw : float
        The plan's powers for the interval [kW].
    target_kw : float
        Demand target of the interval [kW]; ``inf`` where no demand charge applies.
    soc_kwh : float
        Stored energy at the start of the interval [kWh].
    reserve_kwh : float
        Stored energy to keep at the end of the interval [kWh] (``soc_min_kwh`` + need).
    battery : Battery
        Ratings, efficiencies and the SOC window.
    dt_h : float
        Interval length [h].
    ceiling_kw : float or None, default None
        Highest meter reading charging may cause [kW] (at most the target); None: the target.
    fill_kwh : float or None, default None
        Stored energy to charge toward at the end of the interval [kWh], like the reserve but
        without holding any energy back from discharge; None: the reserve only.

    Returns
    -------
    tuple of float
        ``(charge_kw, discharge_kw)``, both >= 0 and not both > 0; the plant still applies
        its physical limits.
    """
    kept = soc_kwh * battery.retention(dt_h)
    eta_d, eta_c = battery.discharge_efficiency, battery.charge_efficiency
    d_avail = min(
        battery.discharge_rating_kw, max(0.0, (kept - battery.soc_min_kwh) * eta_d / dt_h)
    )
    headroom = target_kw - net_kw  # room under the target (negative: the meter is above it)
    hold = min(max(-headroom, 0.0), d_avail)
    plan_net = plan_charge_kw - plan_discharge_kw
    if plan_net < -_TOL_KW or hold > 0.0:
        # discharge beyond holding only from the energy above the reserve
        spare = max(0.0, (kept - max(reserve_kwh, battery.soc_min_kwh)) * eta_d / dt_h - hold)
        extra = min(max(-plan_net - hold, 0.0), spare)
        discharge = min(hold + extra, d_avail)
        if discharge > _TOL_KW:
            return 0.0, discharge
    ceiling = target_kw if ceiling_kw is None else min(ceiling_kw, target_kw)
    room = max(ceiling - net_kw, 0.0) if math.isfinite(ceiling) else math.inf
    charge = min(max(plan_net, 0.0), room)
    level = reserve_kwh if fill_kwh is None else max(reserve_kwh, fill_kwh)
    if kept < level:
        top_up = (level - kept) / (eta_c * dt_h)
        charge = max(charge, min(top_up, room, battery.charge_rating_kw))
    return max(charge, 0.0), 0.0
