"""Project cash flows, NPV, IRR and payback of a battery from one simulated year.

The backtest gives the first year's savings (bill savings plus market revenue) and cycles; this
module extends them over an analysis period of ``analysis_years`` years:

* year 0: capital cost ``capex_usd = capex_fixed_usd + capex_usd_per_kw * power_kw
  + capex_usd_per_kwh * energy_kwh`` (negative);
* year ``y`` (1..N): savings ``S_y = S_1 * (1 + savings_escalation_fraction) ** (y - 1) * cap_y``
  where ``cap_y`` is the usable capacity at the start of year ``y`` as a fraction of nameplate
  (savings are taken proportional to usable capacity; year 1 is the simulated, fresh battery);
* O&M ``(om_usd_per_kw_year * power_kw + om_usd_per_kwh_year * energy_kwh)
  * (1 + om_escalation_fraction) ** (y - 1)``;
* capacity fade per year ``f = fade_fraction_per_year + fade_fraction_per_cycle * cycles``,
  handled by ``fade_response``: ``NONE`` lets the capacity fall (``cap_{y+1} = cap_y - f``,
  not below 0); ``AUGMENT`` buys the faded kWh back at the end of each year but the last
  (``f * energy_kwh * augmentation_usd_per_kwh``, costed in that year) so ``cap`` stays 1;
  ``REPLACE`` replaces the whole battery at the end of a year (but the last) when the capacity
  would fall below ``replacement_threshold_fraction`` (``replacement_usd_per_kwh * energy_kwh
  + replacement_usd_per_kw * power_kw``), after which ``cap`` is 1 again;
* incentives: the investment tax credit ``itc_fraction * capex_usd`` is received in year 1;
  with ``macrs`` the depreciable basis ``capex_usd * (1 - itc_fraction / 2)`` (US basis
  reduction) is depreciated on the 5-year MACRS half-year table; with ``tax_rate_fraction > 0``
  the operating result ``S_y - O&M - augmentation - replacement - depreciation`` is taxed at that
  rate (a negative tax is a benefit: the owner is assumed to have other taxable income).

NPV is ``numpy_financial.npv`` at ``discount_rate_fraction`` over years 0..N (year 0 not
discounted); IRR is ``numpy_financial.irr`` (unlevered, after tax; NaN when the flows have no
sign change). Payback is the first time the cumulative (or discounted cumulative) net cash flow
reaches zero, interpolated linearly within the year; ``inf`` if it never does.
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass

import numpy as np
import numpy_financial as npf
import pandas as pd

from core.errors import InputError
from core.validation import require_fraction, require_nonnegative

__all__ = [
    "MACRS_5_YEAR_FRACTIONS",
    "FadeResponse",
    "FinanceInputs",
    "FinanceResult",
    "capex_usd",
    "project_cash_flows",
]

logger = logging.getLogger(__name__)

MACRS_5_YEAR_FRACTIONS: tuple[float, ...] = (0.20, 0.32, 0.192, 0.1152, 0.1152, 0.0576)
"""5-year MACRS, half-year convention (IRS Publication 946, Table A-1)."""


class FadeResponse(enum.Enum):
    """What the owner does about capacity fade."""

    NONE = "none"
    AUGMENT = "augment"
    REPLACE = "replace"


@dataclass(frozen=True, kw_only=True)
class FinanceInputs:
    """Economic assumptions of a battery project (see the module docstring for the formulas).

    Parameters
    ----------
    analysis_years : int, default 15
        Length of the analysis [years].
    discount_rate_fraction : float, default 0.07
        Nominal discount rate per year [0-1].
    capex_fixed_usd, capex_usd_per_kw, capex_usd_per_kwh : float, default 0.0
        Installed cost: fixed [$], per kW of power [$/kW], per kWh of energy [$/kWh].
    om_usd_per_kw_year, om_usd_per_kwh_year : float, default 0.0
        Yearly O&M per kW [$/kW-yr] and per kWh [$/kWh-yr].
    om_escalation_fraction : float, default 0.0
        Yearly O&M escalation [0-1].
    savings_escalation_fraction : float, default 0.0
        Yearly escalation of tariffs and market prices, applied to the savings [0-1].
    fade_fraction_per_year : float, default 0.0
        Calendar capacity fade per year, as a fraction of nameplate [0-1].
    fade_fraction_per_cycle : float, default 0.0
        Capacity fade per full equivalent cycle, as a fraction of nameplate [0-1].
    fade_response : FadeResponse, default FadeResponse.NONE
        Let the capacity fade, augment it yearly, or replace the battery at a threshold.
    augmentation_usd_per_kwh : float, default 0.0
        Cost of restoring one kWh of faded capacity [$/kWh].
    replacement_usd_per_kwh, replacement_usd_per_kw : float, default 0.0
        Cost of a replacement [$/kWh] and [$/kW].
    replacement_threshold_fraction : float, default 0.8
        Capacity below which the battery is replaced [0-1].
    itc_fraction : float, default 0.0
        Investment tax credit as a fraction of capex [0-1].
    macrs : bool, default False
        Depreciate on the 5-year MACRS schedule.
    tax_rate_fraction : float, default 0.0
        Combined income tax rate [0-1].
    """

    analysis_years: int = 15
    discount_rate_fraction: float = 0.07
    capex_fixed_usd: float = 0.0
    capex_usd_per_kw: float = 0.0
    capex_usd_per_kwh: float = 0.0
    om_usd_per_kw_year: float = 0.0
    om_usd_per_kwh_year: float = 0.0
    om_escalation_fraction: float = 0.0
    savings_escalation_fraction: float = 0.0
    fade_fraction_per_year: float = 0.0
    fade_fraction_per_cycle: float = 0.0
    fade_response: FadeResponse = FadeResponse.NONE
    augmentation_usd_per_kwh: float = 0.0
    replacement_usd_per_kwh: float = 0.0
    replacement_usd_per_kw: float = 0.0
    replacement_threshold_fraction: float = 0.8
    itc_fraction: float = 0.0
    macrs: bool = False
    tax_rate_fraction: float = 0.0

    def __post_init__(self) -> None:
        years = self.analysis_years
        if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 100:
            raise InputError("FinanceInputs.analysis_years", years, "an integer in 1..100")
        for name in (
            "capex_fixed_usd",
            "capex_usd_per_kw",
            "capex_usd_per_kwh",
            "om_usd_per_kw_year",
            "om_usd_per_kwh_year",
            "augmentation_usd_per_kwh",
            "replacement_usd_per_kwh",
            "replacement_usd_per_kw",
        ):
            require_nonnegative(f"FinanceInputs.{name}", getattr(self, name))
        for name in (
            "discount_rate_fraction",
            "om_escalation_fraction",
            "savings_escalation_fraction",
            "fade_fraction_per_year",
            "fade_fraction_per_cycle",
            "replacement_threshold_fraction",
            "itc_fraction",
            "tax_rate_fraction",
        ):
            require_fraction(f"FinanceInputs.{name}", getattr(self, name))
        if not isinstance(self.fade_response, FadeResponse):
            raise InputError(
                "FinanceInputs.fade_response",
                self.fade_response,
                f"one of {[m.value for m in FadeResponse]}",
            )
        if not isinstance(self.macrs, bool):
            raise InputError("FinanceInputs.macrs", self.macrs, "True or False")


@dataclass(frozen=True, kw_only=True)
class FinanceResult:
    """Cash flows and returns of a battery project.

    Parameters
    ----------
    cash_flows : pandas.DataFrame
        One row per year 0..N (index ``year``) with columns ``capacity_fraction``,
        ``capex_usd``, ``savings_usd``, ``om_usd``, ``augmentation_usd``, ``replacement_usd``,
        ``itc_usd``, ``depreciation_usd``, ``tax_usd``, ``net_usd``, ``discounted_net_usd``,
        ``cumulative_net_usd``, ``cumulative_discounted_net_usd``. Costs are negative, savings
        and credits positive; ``tax_usd`` is the tax paid (negative) or saved (positive).
    capex_usd : float
        Installed cost [$].
    npv_usd : float
        Net present value [$].
    irr_fraction : float
        Internal rate of return per year [fraction]; NaN if undefined.
    simple_payback_years : float
        Years until the cumulative net cash flow reaches zero; ``inf`` if never.
    discounted_payback_years : float
        The same on discounted cash flows; ``inf`` if never.
    """

    cash_flows: pd.DataFrame
    capex_usd: float
    npv_usd: float
    irr_fraction: float
    simple_payback_years: float
    discounted_payback_years: float


def _payback_years(net: np.ndarray) -> float:
    cumulative = np.cumsum(net)
    if cumulative[0] >= 0:
        return 0.0
    for year in range(1, len(net)):
        if cumulative[year] >= 0 and net[year] > 0:
            return float(year - 1 + (-cumulative[year - 1]) / net[year])
    return math.inf


_FLOW_COLUMNS = (
    "capacity_fraction",
    "capex_usd",
    "savings_usd",
    "om_usd",
    "augmentation_usd",
    "replacement_usd",
    "itc_usd",
    "depreciation_usd",
    "tax_usd",
)
_CASH_COLUMNS = (
    "capex_usd",
    "savings_usd",
    "om_usd",
    "augmentation_usd",
    "replacement_usd",
    "itc_usd",
    "tax_usd",
)
"""The columns that are cash (depreciation is not: it enters only through the tax)."""


def _check_project(
    inputs: FinanceInputs,
    power_kw: float,
    energy_kwh: float,
    first_year_savings_usd: float,
    cycles_per_year: float,
) -> None:
    if not isinstance(inputs, FinanceInputs):
        raise InputError("inputs", type(inputs).__name__, "a FinanceInputs")
    require_nonnegative("power_kw", power_kw)
    require_nonnegative("energy_kwh", energy_kwh)
    if not math.isfinite(first_year_savings_usd):
        raise InputError("first_year_savings_usd", first_year_savings_usd, "a finite number")
    require_nonnegative("cycles_per_year", cycles_per_year)


def capex_usd(inputs: FinanceInputs, *, power_kw: float, energy_kwh: float) -> float:
    """Installed cost ``capex_fixed_usd + capex_usd_per_kw * power_kw
    + capex_usd_per_kwh * energy_kwh`` [$]."""
    return (
        inputs.capex_fixed_usd
        + inputs.capex_usd_per_kw * power_kw
        + inputs.capex_usd_per_kwh * energy_kwh
    )


def _operating_years(
    inputs: FinanceInputs,
    cols: dict[str, np.ndarray],
    *,
    power_kw: float,
    energy_kwh: float,
    first_year_savings_usd: float,
    cycles_per_year: float,
) -> None:
    """Fill capacity, savings, O&M, augmentation and replacement of years 1..N in place."""
    n = inputs.analysis_years
    fade = inputs.fade_fraction_per_year + inputs.fade_fraction_per_cycle * cycles_per_year
    om_year1 = inputs.om_usd_per_kw_year * power_kw + inputs.om_usd_per_kwh_year * energy_kwh
    replacement_cost = (
        inputs.replacement_usd_per_kwh * energy_kwh + inputs.replacement_usd_per_kw * power_kw
    )
    capacity = 1.0
    for y in range(1, n + 1):
        cols["capacity_fraction"][y] = capacity
        cols["savings_usd"][y] = (
            first_year_savings_usd * (1 + inputs.savings_escalation_fraction) ** (y - 1) * capacity
        )
        cols["om_usd"][y] = -om_year1 * (1 + inputs.om_escalation_fraction) ** (y - 1)
        next_capacity = max(capacity - fade, 0.0)
        if y < n and inputs.fade_response is FadeResponse.AUGMENT and fade > 0:
            cols["augmentation_usd"][y] = (
                -(capacity - next_capacity) * energy_kwh * inputs.augmentation_usd_per_kwh
            )
            next_capacity = capacity
        elif (
            y < n
            and inputs.fade_response is FadeResponse.REPLACE
            and next_capacity < inputs.replacement_threshold_fraction
        ):
            cols["replacement_usd"][y] = -replacement_cost
            next_capacity = 1.0
        capacity = next_capacity


def _incentives_and_tax(inputs: FinanceInputs, cols: dict[str, np.ndarray], capex: float) -> None:
    """Fill the ITC, the MACRS depreciation and the tax in place (see the module docstring)."""
    n = inputs.analysis_years
    cols["itc_usd"][1] = inputs.itc_fraction * capex
    if inputs.macrs:
        basis = capex * (1.0 - inputs.itc_fraction / 2.0)
        span = min(n, len(MACRS_5_YEAR_FRACTIONS))
        cols["depreciation_usd"][1 : span + 1] = basis * np.asarray(MACRS_5_YEAR_FRACTIONS[:span])
    taxable = (
        cols["savings_usd"]
        + cols["om_usd"]
        + cols["augmentation_usd"]
        + cols["replacement_usd"]
        - cols["depreciation_usd"]
    )
    taxable[0] = 0.0
    cols["tax_usd"] = -inputs.tax_rate_fraction * taxable


def _returns(frame: pd.DataFrame, rate: float, capex: float) -> FinanceResult:
    """Add net, discounted and cumulative columns; NPV, IRR and payback."""
    net = frame[list(_CASH_COLUMNS)].sum(axis=1).to_numpy()
    discounted = net / (1 + rate) ** frame.index.to_numpy()
    frame["net_usd"] = net
    frame["discounted_net_usd"] = discounted
    frame["cumulative_net_usd"] = np.cumsum(net)
    frame["cumulative_discounted_net_usd"] = np.cumsum(discounted)
    signs = np.sign(net[net != 0])
    irr = float(npf.irr(net)) if len(signs) and (signs > 0).any() and (signs < 0).any() else np.nan
    return FinanceResult(
        cash_flows=frame,
        capex_usd=float(capex),
        npv_usd=float(npf.npv(rate, net)),
        irr_fraction=irr,
        simple_payback_years=_payback_years(net),
        discounted_payback_years=_payback_years(discounted),
    )


def project_cash_flows(
    inputs: FinanceInputs,
    *,
    power_kw: float,
    energy_kwh: float,
    first_year_savings_usd: float,
    cycles_per_year: float,
) -> FinanceResult:
    """Cash flows over the analysis period, NPV, IRR and payback.

    Parameters
    ----------
    inputs : FinanceInputs
        The economic assumptions.
    power_kw : float
        Battery power rating [kW].
    energy_kwh : float
        Battery nameplate energy [kWh].
    first_year_savings_usd : float
        Bill savings plus market revenue of the simulated (first) year [$]; may be negative.
    cycles_per_year : float
        Full equivalent cycles per year (discharged kWh / usable kWh) [1/yr].

    Returns
    -------
    FinanceResult
    """
    _check_project(inputs, power_kw, energy_kwh, first_year_savings_usd, cycles_per_year)
    n = inputs.analysis_years
    capex = capex_usd(inputs, power_kw=power_kw, energy_kwh=energy_kwh)
    cols = {name: np.zeros(n + 1) for name in _FLOW_COLUMNS}
    cols["capex_usd"][0] = -capex
    _operating_years(
        inputs,
        cols,
        power_kw=power_kw,
        energy_kwh=energy_kwh,
        first_year_savings_usd=first_year_savings_usd,
        cycles_per_year=cycles_per_year,
    )
    _incentives_and_tax(inputs, cols, capex)
    frame = pd.DataFrame(cols, index=pd.Index(np.arange(n + 1), name="year"))
    return _returns(frame, inputs.discount_rate_fraction, capex)
