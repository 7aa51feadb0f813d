"""The ``[sizing]`` table of a site configuration: which battery sizes to compare.

A sizing run reads the same TOML as a backtest (``[site]``, ``[tariff]``, ``[battery]``,
``[forecast]``, ``[dispatch]``, ``[finance]``, ...) plus an optional ``[sizing]`` table::

    [sizing]
    power_kw = [50, 100, 150]             # explicit powers [kW], or ...
    power_fraction_of_peak = [0.1, 0.2]   # ... fractions of the site's annual peak load
    round_kw = 5.0                        # peak fractions are rounded to this [kW]
    duration_h = [1, 2, 3, 4]             # energy = power x duration [h]
    top_k = 3                             # candidates re-run with forecasts (stage 2)
    workers = 2                           # process-pool workers
    lp_check = true                       # solve the continuous-size LP cross-check
    lp_step = "1h"                        # its step: "1h" or "site" (the data's own step)
    capex_sensitivity_fraction = 0.2      # report the choice at capex x (1 -/+ this)

Without ``power_kw`` the powers are ``power_fraction_of_peak`` (default 10, 20, 30 and 40 %)
of the annual peak, rounded to ``round_kw``. The ``[battery]`` table's ``power_kw`` and
``energy_kwh`` are then only the template's (every other battery field is kept for every
candidate). Errors name the TOML key (``sizing.duration_h``) as :mod:`sims.config` does.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import StrictStr

from core.errors import InputError
from core.validation import require_finite, require_positive
from sims.config import BacktestConfig, config_from_dict
from sims.toml_tables import FINITE, FieldKind, TableSpec, list_of, parse_table, table_spec

__all__ = ["LP_STEPS", "SIZING_TABLE", "SizingConfig", "load_sizing_config", "sizing_from_table"]

LP_STEPS = ("1h", "site")
"""The steps of the LP cross-check: hourly means, or the data's own step."""


@dataclass(frozen=True, kw_only=True)
class SizingConfig:
    """Candidate sizes and how to compare them.

    Parameters
    ----------
    power_kw : tuple of float or None, default None
        Explicit candidate powers [kW]; None derives them from the peak.
    power_fraction_of_peak : tuple of float, default (0.1, 0.2, 0.3, 0.4)
        Candidate powers as fractions of the site's annual peak load (used without
        ``power_kw``).
    round_kw : float, default 5.0
        Peak-derived powers are rounded to a multiple of this (at least one) [kW].
    duration_h : tuple of float, default (1, 2, 3, 4)
        Candidate durations [h]: energy = power x duration.
    top_k : int, default 3
        Best perfect-foresight candidates re-run with the forecast-driven controller.
    workers : int, default 2
        Workers of the default process pool.
    lp_check : bool, default True
        Solve the continuous-size LP cross-check (:mod:`sims.sizing_lp`).
    lp_step : str, default "1h"
        Step of the LP: ``"1h"`` (hourly means of the data) or ``"site"`` (the data's step).
    capex_sensitivity_fraction : float, default 0.2
        The report re-prices every candidate at capex x (1 - f) and x (1 + f).
    """

    power_kw: tuple[float, ...] | None = None
    power_fraction_of_peak: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4)
    round_kw: float = 5.0
    duration_h: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)
    top_k: int = 3
    workers: int = 2
    lp_check: bool = True
    lp_step: str = "1h"
    capex_sensitivity_fraction: float = 0.2

    def __post_init__(self) -> None:
        lists = (
            ("power_kw", math.inf, "positive powers [kW]"),
            ("power_fraction_of_peak", 1.0, "fractions of the peak in (0, 1]"),
            ("duration_h", 1e3, "positive durations [h]"),
        )
        for key, upper, what in lists:
            values = getattr(self, key)
            if values is not None:
                _check_list(f"sizing.{key}", values, what, upper=upper)
        require_positive("sizing.round_kw", self.round_kw)
        for key in ("top_k", "workers"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"sizing.{key}", value, "an integer >= 1")
        if not isinstance(self.lp_check, bool):
            raise InputError("sizing.lp_check", self.lp_check, "true or false")
        if self.lp_step not in LP_STEPS:
            raise InputError("sizing.lp_step", self.lp_step, f"one of {list(LP_STEPS)}")
        f = require_finite("sizing.capex_sensitivity_fraction", self.capex_sensitivity_fraction)
        if not 0 < f < 1:
            raise InputError("sizing.capex_sensitivity_fraction", f, "a fraction in (0, 1)")

    def powers_kw(self, peak_kw: float) -> tuple[float, ...]:
        """The candidate powers [kW] for a site with annual peak ``peak_kw``."""
        if self.power_kw is not None:
            return tuple(sorted(set(float(p) for p in self.power_kw)))
        require_positive("peak_kw", peak_kw)
        step = self.round_kw
        powers = {max(step, round(f * peak_kw / step) * step) for f in self.power_fraction_of_peak}
        return tuple(sorted(powers))

    def candidates(self, peak_kw: float) -> list[tuple[float, float]]:
        """Every ``(power_kw, duration_h)`` of the grid, power-major."""
        durations = sorted(set(float(h) for h in self.duration_h))
        return [(p, h) for p in self.powers_kw(peak_kw) for h in durations]


def _check_list(key: str, values: tuple[float, ...], what: str, *, upper: float) -> None:
    """A non-empty list of positive numbers up to ``upper``; an error names the element."""
    if not isinstance(values, (list, tuple)) or not values:
        shown = list(values) if isinstance(values, tuple) else values  # as written in TOML
        raise InputError(key, shown, f"a non-empty list of {what}")
    for k, value in enumerate(values):
        require_positive(f"{key}[{k}]", value)
        if value > upper:
            raise InputError(f"{key}[{k}]", value, f"a number <= {upper:g}")


NUMBERS = list_of(FINITE, "a list of numbers, e.g. [1, 2]")

SIZING_TABLE: TableSpec = table_spec(
    "sizing",
    SizingConfig,
    kinds={
        "power_kw": NUMBERS,
        "power_fraction_of_peak": NUMBERS,
        "round_kw": FINITE,
        "duration_h": NUMBERS,
        "lp_step": FieldKind(StrictStr, " or ".join(f'"{s}"' for s in LP_STEPS)),
        "capex_sensitivity_fraction": FINITE,
    },
    schema_extra={"lp_step": {"enum": list(LP_STEPS)}},
)
"""The ``[sizing]`` table: the fields of SizingConfig."""


def sizing_from_table(table: Any) -> SizingConfig:
    """A :class:`SizingConfig` from the parsed ``[sizing]`` table (errors name the key)."""
    return SizingConfig(**parse_table(SIZING_TABLE, table))


def load_sizing_config(path: str | Path) -> tuple[BacktestConfig, SizingConfig]:
    """Read a site configuration with an optional ``[sizing]`` table.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file (relative data paths are read from its folder).

    Returns
    -------
    (BacktestConfig, SizingConfig)
        The backtest configuration (its battery is the template of every candidate) and the
        sizing settings (defaults without a ``[sizing]`` table).

    Raises
    ------
    InputError
        A missing or invalid file, or a bad key of any table (named, e.g. ``sizing.top_k``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("config", str(path), "an existing TOML file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError("config", str(path), "a UTF-8 encoded TOML file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError("config", str(path), f"valid TOML ({exc})") from exc
    sizing = sizing_from_table(raw.pop("sizing", {}))
    config = config_from_dict(raw, base_dir=path.resolve().parent, source=path.resolve())
    return config, sizing
