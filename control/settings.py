"""How the online controller plans: cadence, horizon, events and the fallback."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pandas as pd

from core.errors import InputError
from core.validation import require_positive

__all__ = ["Cadence", "ControlSettings", "Fallback", "Horizon"]


class Cadence(enum.Enum):
    """How often the dispatch is re-planned on schedule (events may add plans)."""

    STEP = "step"
    """Every simulation step."""
    HOURLY = "hourly"
    """At the start of every local hour."""
    DAILY = "daily"
    """At every local midnight."""
    MONTHLY = "monthly"
    """At the start of every local calendar month (a month-long look-ahead plans a whole
    billing month at once)."""

    def period(self, step: pd.Timedelta) -> pd.Timedelta:
        """Shortest time between two decisions for a data step of ``step``."""
        if self is Cadence.STEP:
            return step
        if self is Cadence.HOURLY:
            return pd.Timedelta(hours=1)
        return pd.Timedelta(days=1) if self is Cadence.DAILY else pd.Timedelta(days=28)

    def is_due(self, now: pd.Timestamp) -> bool:
        """True when ``now`` (site-local) is a scheduled decision time."""
        if self is Cadence.STEP:
            return True
        if now.minute != 0:
            return False
        if self is Cadence.HOURLY:
            return True
        if now.hour != 0:
            return False
        return self is Cadence.DAILY or now.day == 1


class Fallback(enum.Enum):
    """What the battery does while no plan could be made (a failed forecast or solve)."""

    HOLD = "hold"
    """Stay idle: hold the state of charge."""
    PEAK_GUARD = "peak_guard"
    """Discharge to keep the meter at or below the month's metered peak so far in each priced
    demand window (the real-time layer alone); idle otherwise."""


class Horizon(enum.Enum):
    """How far each plan looks."""

    LOOKAHEAD = "lookahead"
    """A fixed look-ahead (``lookahead_h``)."""
    MONTH = "month"
    """To the end of the billing month of the plan's first step (the prescient bound plans a
    whole month at once with the actuals)."""


@dataclass(frozen=True, kw_only=True)
class ControlSettings:
    """Planning settings of a :class:`control.Controller`.

    Parameters
    ----------
    cadence : Cadence, default Cadence.DAILY
        Scheduled re-planning.
    lookahead_h : float, default 48.0
        Plan length for ``Horizon.LOOKAHEAD`` [h]; at least one cadence period.
    horizon : Horizon, default Horizon.LOOKAHEAD
        Fixed look-ahead or to the end of the billing month.
    replan_on_events : bool, default True
        Also re-plan when the meter sets a peak above its target or the stored energy falls
        below the reserve (at most once per ``event_gap_h``).
    event_gap_h : float, default 1.0
        Least time between two event-driven plans [h].
    hold_targets : bool, default True
        Run the real-time layer (hold the demand targets, keep the reserve); False applies the
        plan's powers as they are (charging still never lifts the meter above the target).
    fallback : Fallback, default Fallback.PEAK_GUARD
        What runs while no plan could be made.
    history_days : int, default 56
        Recent complete days kept as scenarios (:mod:`control.history`): the month's targets
        never go below the level the battery could have held on each of them, and the reserve
        keeps what holding the targets would have taken on each; 0 switches this off.
    floor_plan_at_targets : bool, default True
        Tell the planner that the demand already paid this month is at least the history's
        holdable level (so it spends no energy shaving below a level the month will reach).
    plan_on_high : bool, default True
        Solve each plan on the high-load scenario (its arbitrage then keeps the energy the
        high scenario's peaks need); False solves on the point forecast and only the targets
        and the reserve see the high scenario.
    intraday_guard : bool, default True
        Every interval, correct the rest of today's forecast by the current error, decaying
        as recent errors do (:mod:`control.intraday`): raise today's targets when the stored
        energy cannot hold them, keep the energy holding them needs. Needs ``history_days > 0``.
    guard_days : float, default 14.0
        Days of forecast errors the guard estimates their persistence from.
    floor_days : int or None, default None
        Recent days whose holdable level floors the month's targets (None: all
        ``history_days``; the reserve always uses all of them).
    floor_this_month : bool, default True
        Only the days of the current billing month floor its targets (a level held on one of
        them is a level the month reaches anyway; earlier months say little about this one).
    fill_when_cheapest : bool, default True
        Charge toward a full battery at every step whose retail import rate is the lowest of
        the next 24 h, with the room the meter has under its charging ceiling: a day hotter
        than its forecast then starts with all the energy there is, and the energy costs no
        more than any later charging would. Discharge rules are unchanged. Needs
        ``history_days > 0`` (off in the perfect-foresight bounds, which follow their plans).
    lower_provisional : bool, default True
        Where a window's target is provisional (the plan's peak on its forecast: no completed
        day of the month floors it yet, e.g. a month's first day), the intraday guard also
        lowers it, never below the peak already paid, as far as the stored energy holds it
        over the corrected rest of the day: a forecast that was too high then does not set the
        month's peak. Needs ``intraday_guard``.
    """

    cadence: Cadence = Cadence.DAILY
    lookahead_h: float = 48.0
    horizon: Horizon = Horizon.LOOKAHEAD
    replan_on_events: bool = True
    event_gap_h: float = 1.0
    hold_targets: bool = True
    fallback: Fallback = Fallback.PEAK_GUARD
    plan_on_high: bool = True
    history_days: int = 56
    floor_plan_at_targets: bool = True
    intraday_guard: bool = True
    guard_days: float = 14.0
    floor_days: int | None = None
    floor_this_month: bool = True
    fill_when_cheapest: bool = True
    lower_provisional: bool = True

    def __post_init__(self) -> None:
        for name, kind in (("cadence", Cadence), ("horizon", Horizon), ("fallback", Fallback)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                raise InputError(
                    f"ControlSettings.{name}", value, f"one of {[v.value for v in kind]}"
                )
        require_positive("ControlSettings.lookahead_h", self.lookahead_h)
        require_positive("ControlSettings.event_gap_h", self.event_gap_h)
        require_positive("ControlSettings.guard_days", self.guard_days)
        if isinstance(self.history_days, bool) or not isinstance(self.history_days, int):
            raise InputError("ControlSettings.history_days", self.history_days, "an integer")
        if self.floor_days is not None and (
            isinstance(self.floor_days, bool)
            or not isinstance(self.floor_days, int)
            or self.floor_days < 1
        ):
            raise InputError(
                "ControlSettings.floor_days", self.floor_days, "None or an integer >= 1"
            )
        if self.history_days < 0:
            raise InputError("ControlSettings.history_days", self.history_days, "an integer >= 0")
        for name in (
            "replan_on_events",
            "hold_targets",
            "plan_on_high",
            "floor_plan_at_targets",
            "intraday_guard",
            "floor_this_month",
            "fill_when_cheapest",
            "lower_provisional",
        ):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"ControlSettings.{name}", getattr(self, name), "a boolean")
