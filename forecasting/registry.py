"""The one table of forecasters by name: factory, targets, warm-up and what each needs.

Every place that chooses a forecaster by name reads :data:`FORECASTERS`: the backtest
configuration (``[forecast] load / pv``), the backtest's forecast feeds
(:mod:`sims.forecasts`), ``valuestack forecast-eval``, the scripts and the conformance test.
Adding a forecaster is its module plus one :class:`ForecasterSpec` row here.

Old command-line names are accepted through :data:`ALIASES` (``naive_24h``, ``naive_168h``,
``ml``): :func:`canonical_name` maps them to the table's names and logs a deprecation warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core.errors import InputError
from forecasting.base import Forecaster
from forecasting.baselines import (
    PersistenceForecaster,
    SeasonalNaiveForecaster,
    SimilarDaysForecaster,
)
from forecasting.calendar import SiteCalendar
from forecasting.load_ml import GradientBoostingLoadForecaster
from forecasting.perfect import PerfectForesightForecaster
from forecasting.pv import PVForecaster, PVSystemSpec

__all__ = [
    "ALIASES",
    "FORECASTERS",
    "ForecasterContext",
    "ForecasterSpec",
    "canonical_name",
    "evaluable_names",
    "make_forecaster",
    "names_for",
    "warmup_days",
]

logger = logging.getLogger(__name__)

TARGETS: tuple[str, ...] = ("load_kw", "pv_kw")
NEEDS: tuple[str, ...] = ("actuals", "pv_system")


@dataclass(frozen=True, kw_only=True)
class ForecasterContext:
    """What a factory may use to build a forecaster for one series.

    Parameters
    ----------
    target : str
        ``"load_kw"`` or ``"pv_kw"``.
    calendar : SiteCalendar
        The site's zone and holidays.
    actuals : pandas.Series or None, default None
        The actual series (read only by a forecaster that needs ``"actuals"``: perfect
        foresight).
    pv_system : PVSystemSpec or None, default None
        The site's PV array (for a forecaster that needs ``"pv_system"``).
    horizon_h : float, default 48.0
        Longest horizon the forecaster will be asked for [h].
    weather : str, default "none"
        Covariates the ML forecaster may use: ``"none"`` or ``"lagged"`` (observed
        temperature known at each issue).
    """

    target: str
    calendar: SiteCalendar
    actuals: pd.Series | None = None
    pv_system: PVSystemSpec | None = None
    horizon_h: float = 48.0
    weather: str = "none"


@dataclass(frozen=True, kw_only=True)
class ForecasterSpec:
    """One row of the forecaster table.

    Parameters
    ----------
    name : str
        The name configurations and the command line use.
    factory : callable
        ``factory(context) -> Forecaster``.
    targets : tuple of str
        Columns it can forecast (``"load_kw"``, ``"pv_kw"``).
    warmup_days : int
        Days of history it needs before the first forecast.
    needs : tuple of str, default ()
        Context fields it cannot work without (``"actuals"``, ``"pv_system"``).
    looks_ahead : bool, default False
        True for perfect foresight (an oracle: never evaluated as a forecast).
    summary : str
        One line for help texts and the config reference.
    """

    name: str
    factory: Callable[[ForecasterContext], Forecaster]
    targets: tuple[str, ...]
    warmup_days: int
    needs: tuple[str, ...] = ()
    looks_ahead: bool = False
    summary: str = ""

    def __post_init__(self) -> None:
        if not self.targets or any(t not in TARGETS for t in self.targets):
            raise InputError(f"{self.name}.targets", self.targets, f"a subset of {TARGETS}")
        if any(n not in NEEDS for n in self.needs):
            raise InputError(f"{self.name}.needs", self.needs, f"a subset of {NEEDS}")
        if not isinstance(self.warmup_days, int) or self.warmup_days < 0:
            raise InputError(f"{self.name}.warmup_days", self.warmup_days, "an integer >= 0")


def _specs(*specs: ForecasterSpec) -> dict[str, ForecasterSpec]:
    return {spec.name: spec for spec in specs}


FORECASTERS: dict[str, ForecasterSpec] = _specs(
    ForecasterSpec(
        name="perfect",
        factory=lambda c: PerfectForesightForecaster(actuals=c.actuals, target=c.target),
        targets=("load_kw", "pv_kw"),
        warmup_days=0,
        needs=("actuals",),
        looks_ahead=True,
        summary="the actuals themselves (perfect foresight, a bound)",
    ),
    ForecasterSpec(
        name="persistence",
        factory=lambda c: PersistenceForecaster(target=c.target),
        targets=("load_kw", "pv_kw"),
        warmup_days=1,
        summary="the last known value, held",
    ),
    ForecasterSpec(
        name="seasonal_naive",
        factory=lambda c: SeasonalNaiveForecaster(period_h=24.0, target=c.target),
        targets=("load_kw", "pv_kw"),
        warmup_days=7,
        summary="the same time 24 h earlier",
    ),
    ForecasterSpec(
        name="seasonal_naive_week",
        factory=lambda c: SeasonalNaiveForecaster(period_h=168.0, target=c.target),
        targets=("load_kw", "pv_kw"),
        warmup_days=14,
        summary="the same time a week earlier",
    ),
    ForecasterSpec(
        name="similar_days",
        factory=lambda c: SimilarDaysForecaster(calendar=c.calendar, target=c.target),
        targets=("load_kw",),
        warmup_days=14,
        summary="mean of the last 4 days of the same day type",
    ),
    ForecasterSpec(
        name="gradient_boosting",
        factory=lambda c: GradientBoostingLoadForecaster(
            calendar=c.calendar, weather=c.weather, horizon_h=c.horizon_h, target=c.target
        ),
        targets=("load_kw",),
        warmup_days=56,
        summary="gradient-boosted trees on calendar and lagged load, refit weekly",
    ),
    ForecasterSpec(
        name="pvlib",
        factory=lambda c: PVForecaster(system=c.pv_system, target=c.target),
        targets=("pv_kw",),
        warmup_days=14,
        needs=("pv_system",),
        summary="pvlib PVWatts on clear sky, scaled by recent clearness, calibrated on data",
    ),
)
"""Every forecaster a configuration or the command line may name."""

ALIASES: dict[str, str] = {
    "naive_24h": "seasonal_naive",
    "naive_168h": "seasonal_naive_week",
    "ml": "gradient_boosting",
}
"""Deprecated command-line names and the names they stand for."""


def canonical_name(name: str, *, field: str = "forecast") -> str:
    """The table's name for ``name`` (an alias is mapped, with a deprecation warning).

    Raises
    ------
    InputError
        If ``name`` is neither a forecaster nor an alias (``field`` names the input).
    """
    if name in FORECASTERS:
        return name
    if name in ALIASES:
        logger.warning(
            "forecaster name %r is deprecated; use %r (same forecaster)", name, ALIASES[name]
        )
        return ALIASES[name]
    raise InputError(field, name, f"one of {tuple(FORECASTERS)}")


def names_for(target: str) -> tuple[str, ...]:
    """Names of the forecasters that can forecast column ``target``."""
    return tuple(name for name, spec in FORECASTERS.items() if target in spec.targets)


def evaluable_names(target: str = "load_kw") -> tuple[str, ...]:
    """Forecasters of ``target`` that a rolling-origin evaluation can run on a CSV alone.

    Those that neither look ahead nor need anything beyond the calendar.
    """
    return tuple(
        name
        for name in names_for(target)
        if not FORECASTERS[name].looks_ahead and not FORECASTERS[name].needs
    )


def warmup_days(*names: str) -> int:
    """Days of data to keep as history before the first decision, for forecasters ``names``."""
    return max(FORECASTERS[canonical_name(n)].warmup_days for n in names)


def make_forecaster(name: str, context: ForecasterContext) -> Forecaster:
    """Build the forecaster called ``name`` from ``context``.

    Raises
    ------
    InputError
        If the name is unknown, it cannot forecast ``context.target``, or a context field it
        needs is missing.
    """
    spec = FORECASTERS[canonical_name(name)]
    if context.target not in spec.targets:
        raise InputError(
            "forecast", f"{spec.name} for {context.target}", f"{spec.name} for {spec.targets}"
        )
    if "pv_system" in spec.needs and not isinstance(context.pv_system, PVSystemSpec):
        raise InputError(
            "pv_system", context.pv_system, f"a PVSystemSpec for the {spec.name} forecaster"
        )
    if "actuals" in spec.needs and not isinstance(context.actuals, pd.Series):
        raise InputError("actuals", context.actuals, f"a Series for the {spec.name} forecaster")
    return spec.factory(context)
