"""The continuous sizing LP (sims.sizing_lp) against a closed-form optimum, and its finance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from markets.tariff import DemandTier, FlatDemandCharges, Tariff
from optimizer.battery import Battery
from sims.finance import FadeResponse, FinanceInputs, project_cash_flows
from sims.sizing_lp import annualized_costs, size_lp

TZ = "America/New_York"


def _crf(rate: float, years: int) -> float:
    """Capital recovery factor, written out independently of the module."""
    return rate * (1 + rate) ** years / ((1 + rate) ** years - 1)


def _flat_demand_tariff(rate_usd_per_kw: float) -> Tariff:
    tiers = ((DemandTier(max_kw=math.inf, rate_usd_per_kw=rate_usd_per_kw),),)
    return Tariff(
        name="flat demand only",
        flat_demand=FlatDemandCharges(periods=tiers, month_periods=(0,) * 12),
    )


def test_lp_sizes_a_stepped_daily_peak_in_closed_form() -> None:
    """One 30-day month (June, hourly), flat demand charge D = 10 $/kW-month, no energy charge.

    Load: 50 kW, plus every day a pyramid of five hours above it, ``s x [1, 2, 3, 2, 1]`` with
    ``s = 10`` kW (13:00-17:00). Shaving the month's peak by ``x`` kW needs ``P = x`` and
    ``E(x) = integral_0^x n(u) du`` of stored energy a day (lossless battery), where ``n(u)`` is
    the number of hours above the level ``peak - u``: 1 for ``u <= s``, 3 for ``s < u <= 2s``,
    5 above. The year counts ``k = 8766 / 720`` such months, so per kW shaved the yearly saving
    is ``k D`` and the annualized cost is ``a_kw + a_kwh n(u)``, with ``a = capex x CRF`` (no
    tax, ITC or escalation). Choosing ``a_kw = k D - 100`` and ``a_kwh = 25`` $/kWh-yr, the
    marginal value ``k D - a_kw - a_kwh n(u) = 100 - 25 n(u)`` is 75 (n = 1), 25 (n = 3), -25
    (n = 5): the optimum shaves exactly ``x* = 2s = 20`` kW with ``E* = s x 1 + s x 3 = 40`` kWh,
    saves ``k D x* = 2,435`` $/yr, and the marginal values are strict, so it is unique.
    """
    s, demand = 10.0, 10.0
    index = pd.date_range("2023-06-01", periods=30 * 24, freq="1h", tz=TZ)
    load = np.full(len(index), 50.0)
    for offset, level in enumerate((1, 2, 3, 2, 1)):
        load[index.hour == 13 + offset] += s * level
    k = 8766.0 / 720.0
    rate, years = 0.07, 10
    crf = _crf(rate, years)
    finance = FinanceInputs(
        analysis_years=years,
        discount_rate_fraction=rate,
        capex_usd_per_kw=(k * demand - 100.0) / crf,
        capex_usd_per_kwh=25.0 / crf,
    )
    battery = Battery(power_kw=1.0, energy_kwh=1.0, charge_efficiency=1.0, discharge_efficiency=1.0)
    lp = size_lp(
        battery=battery,
        tariff=_flat_demand_tariff(demand),
        finance=finance,
        load_kw=pd.Series(load, index=index),
        initial_soc_fraction=1.0,
    )
    assert lp.power_kw == pytest.approx(2 * s, rel=1e-6)
    assert lp.energy_kwh == pytest.approx(4 * s, rel=1e-6)
    assert lp.duration_h == pytest.approx(2.0, rel=1e-6)
    assert lp.first_year_savings_usd == pytest.approx(k * demand * 2 * s, rel=1e-6)
    assert lp.baseline_cost_usd == pytest.approx(demand * (50 + 3 * s), rel=1e-9)


def test_lp_buys_nothing_when_no_size_pays() -> None:
    """With the energy cost above the per-kW value in every layer (a_kwh = 200 $/kWh-yr > the
    100 $/kW-yr left after power), the optimum is no battery."""
    index = pd.date_range("2023-06-01", periods=30 * 24, freq="1h", tz=TZ)
    load = np.where(index.hour == 14, 80.0, 50.0)
    crf = _crf(0.07, 10)
    k = 8766.0 / 720.0
    finance = FinanceInputs(
        analysis_years=10,
        discount_rate_fraction=0.07,
        capex_usd_per_kw=(k * 10.0 - 100.0) / crf,
        capex_usd_per_kwh=200.0 / crf,
    )
    lp = size_lp(
        battery=Battery(power_kw=1.0, energy_kwh=1.0),
        tariff=_flat_demand_tariff(10.0),
        finance=finance,
        load_kw=pd.Series(load, index=index),
    )
    assert lp.power_kw == pytest.approx(0.0, abs=1e-6)
    assert lp.energy_kwh == pytest.approx(0.0, abs=1e-6)


def test_annualization_is_the_capital_recovery_factor_without_taxes() -> None:
    fin = FinanceInputs(
        analysis_years=15, discount_rate_fraction=0.07, capex_usd_per_kw=350, capex_usd_per_kwh=300
    )
    costs = annualized_costs(fin)
    assert costs.crf == pytest.approx(_crf(0.07, 15), rel=1e-12)
    assert costs.usd_per_kw_year == pytest.approx(350 * _crf(0.07, 15), rel=1e-9)
    assert costs.usd_per_kwh_year == pytest.approx(300 * _crf(0.07, 15), rel=1e-9)


@pytest.mark.parametrize("macrs", [False, True])
def test_lp_npv_equals_the_cash_flow_npv_without_fade(macrs: bool) -> None:
    """The LP's linear NPV (ITC, MACRS, tax, escalations) equals sims.finance's cash flows."""
    fin = FinanceInputs(
        analysis_years=12,
        discount_rate_fraction=0.08,
        capex_fixed_usd=5000.0,
        capex_usd_per_kw=400.0,
        capex_usd_per_kwh=250.0,
        om_usd_per_kw_year=9.0,
        om_usd_per_kwh_year=2.0,
        om_escalation_fraction=0.03,
        savings_escalation_fraction=0.02,
        itc_fraction=0.3,
        macrs=macrs,
        tax_rate_fraction=0.26,
        fade_response=FadeResponse.NONE,
    )
    direct = project_cash_flows(
        fin, power_kw=120.0, energy_kwh=300.0, first_year_savings_usd=21000.0, cycles_per_year=250
    )
    lp_npv = annualized_costs(fin).npv_usd(
        fin, power_kw=120.0, energy_kwh=300.0, savings_usd=21000.0
    )
    assert lp_npv == pytest.approx(direct.npv_usd, rel=1e-9)


def test_lp_at_a_fixed_size_only_dispatches_it() -> None:
    """The pyramid case at a fixed 10 kW / 10 kWh: the battery shaves the top 10 kW (one hour
    a day, 10 kWh), so the yearly saving is ``k D x 10`` with ``k = 8766 / 720``."""
    index = pd.date_range("2023-06-01", periods=30 * 24, freq="1h", tz=TZ)
    load = np.full(len(index), 50.0)
    for offset, level in enumerate((1, 2, 3, 2, 1)):
        load[index.hour == 13 + offset] += 10.0 * level
    lp = size_lp(
        battery=Battery(
            power_kw=1.0, energy_kwh=1.0, charge_efficiency=1.0, discharge_efficiency=1.0
        ),
        tariff=_flat_demand_tariff(10.0),
        finance=FinanceInputs(capex_usd_per_kw=100.0, capex_usd_per_kwh=100.0),
        load_kw=pd.Series(load, index=index),
        initial_soc_fraction=1.0,
        fixed_size=(10.0, 10.0),
    )
    assert (lp.power_kw, lp.energy_kwh) == (10.0, 10.0)
    assert lp.first_year_savings_usd == pytest.approx(8766.0 / 720.0 * 10.0 * 10.0, rel=1e-6)
