"""Infeasibility in words: which limit cannot hold, and from which interval.

HiGHS only says that no schedule exists. :func:`diagnose_infeasibility` replays the window's
data against the battery's and the site's limits with the schedule that keeps the most energy
in storage (discharge only what the import limit forces, otherwise charge as fast as the
limits allow), which is feasible whenever any schedule is, as far as these limits go:

1. the import limit against load minus PV minus the battery's discharge rating, per step;
2. the stored energy the import limit draws down, step by step (with recharging in between);
3. the terminal SOC's lower bound against the most energy the battery can hold at the end.

PV is never a cause: it can always be curtailed. Constraints of market streams are not
replayed; when none of the checks fails the message says so.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.battery import Battery
from optimizer.state import TerminalMode
from optimizer.window import Window

__all__ = ["diagnose_infeasibility"]


def _kw(value: float) -> str:
    return f"{value:,.6g} kW"


def _import_limit_per_step(battery: Battery, window: Window, tol: float) -> str | None:
    limit = battery.import_limit_kw
    if math.isinf(limit):
        return None
    residual = window.load_kw - window.pv_kw - battery.discharge_rating_kw
    bad = np.flatnonzero(residual > limit + tol)
    if not len(bad):
        return None
    t = int(bad[0])
    return (
        f"the import limit of {_kw(limit)} cannot hold at {window.index[t]}: load "
        f"{_kw(window.load_kw[t])} - PV {_kw(window.pv_kw[t])} - battery discharge rating "
        f"{_kw(battery.discharge_rating_kw)} leaves {_kw(residual[t])} to import"
    )


def _fullest_soc(battery: Battery, window: Window, tol: float) -> tuple[np.ndarray, str | None]:
    """SOC path that keeps the most energy stored; a message where it runs out."""
    b = battery
    dt = window.dt_h
    retention = b.retention(dt)
    limit = b.import_limit_kw
    net = window.load_kw - window.pv_kw
    soc = window.initial_soc_fraction * b.energy_kwh
    path = np.empty(len(net))
    for t in range(len(net)):
        soc *= retention
        forced = max(net[t] - limit, 0.0)  # kW the battery must supply
        if forced > 0:
            soc -= forced * dt / b.discharge_efficiency
            if soc < b.soc_min_kwh - tol:
                return path, (
                    f"the import limit of {_kw(limit)} needs more energy than the battery "
                    f"holds by {window.index[t]}: {_kw(forced)} must come from storage there "
                    f"and the stored energy falls below the SOC minimum {b.soc_min_kwh:g} kWh"
                )
        else:
            surplus_pv = max(-net[t], 0.0)
            room = surplus_pv if not b.grid_charging else surplus_pv + (limit - max(net[t], 0.0))
            charge = min(
                b.charge_rating_kw, room, (b.soc_max_kwh - soc) / (b.charge_efficiency * dt)
            )
            soc += max(charge, 0.0) * b.charge_efficiency * dt
        path[t] = soc
    return path, None


def diagnose_infeasibility(battery: Battery, window: Window) -> str:
    """A sentence naming the limit that makes ``window`` infeasible and the first interval.

    Parameters
    ----------
    battery : Battery
        The battery and site limits of the model.
    window : Window
        The validated data of the solve that HiGHS found infeasible.

    Returns
    -------
    str
        The diagnosis, or a sentence saying that no single limit was found.
    """
    tol = 1e-6 * max(battery.power_kw, float(np.max(window.load_kw, initial=0.0)), 1.0)
    found = _import_limit_per_step(battery, window, tol)
    if found:
        return found
    path, found = _fullest_soc(battery, window, 1e-6 * battery.energy_kwh)
    if found:
        return found
    terminal = window.terminal
    if terminal.mode is not TerminalMode.VALUED:
        fraction = (
            window.initial_soc_fraction if terminal.soc_fraction is None else terminal.soc_fraction
        )
        target = fraction * battery.energy_kwh
        if len(path) and path[-1] < target - 1e-6 * battery.energy_kwh:
            return (
                f"the terminal SOC of at least {target:,.6g} kWh cannot be reached by "
                f"{window.index[-1]}: at most {path[-1]:,.6g} kWh can be stored by then within "
                "the charge rating, the import limit and (without grid charging) the PV"
            )
    return (
        "no single limit of the battery or site explains it (import limit, stored energy and "
        "terminal SOC all hold); check the market streams' requirements"
    )
