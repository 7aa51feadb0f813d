"""Finance: hand-built cash-flow cases checked against figures computed in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from sims.finance import FadeResponse, FinanceInputs, project_cash_flows


def test_three_year_case_with_augmentation_itc_and_escalation():
    # P = 100 kW, E = 200 kWh.
    # capex = 5000 + 200 $/kW * 100 + 400 $/kWh * 200 = 5000 + 20000 + 80000 = 105000
    # fade per year = 0.01 + 0.0001 * 200 cycles = 0.03 -> augmentation at the end of years 1
    #   and 2 (not the last): 0.03 * 200 kWh * 300 $/kWh = 1800 each; capacity stays 1.
    # savings: 30000, 30000 * 1.1 = 33000, 30000 * 1.21 = 36300
    # O&M: 10 $/kW-yr * 100 = 1000, then 1050, 1102.5
    # ITC = 0.3 * 105000 = 31500 in year 1; no tax.
    # net: y0 -105000; y1 30000 - 1000 - 1800 + 31500 = 58700;
    #      y2 33000 - 1050 - 1800 = 30150; y3 36300 - 1102.5 = 35197.5
    inputs = FinanceInputs(
        analysis_years=3,
        discount_rate_fraction=0.08,
        capex_fixed_usd=5000.0,
        capex_usd_per_kw=200.0,
        capex_usd_per_kwh=400.0,
        om_usd_per_kw_year=10.0,
        om_escalation_fraction=0.05,
        savings_escalation_fraction=0.10,
        fade_fraction_per_year=0.01,
        fade_fraction_per_cycle=0.0001,
        fade_response=FadeResponse.AUGMENT,
        augmentation_usd_per_kwh=300.0,
        itc_fraction=0.3,
    )
    result = project_cash_flows(
        inputs,
        power_kw=100.0,
        energy_kwh=200.0,
        first_year_savings_usd=30000.0,
        cycles_per_year=200.0,
    )
    flows = result.cash_flows
    assert result.capex_usd == pytest.approx(105000.0)
    np.testing.assert_allclose(flows["net_usd"], [-105000.0, 58700.0, 30150.0, 35197.5])
    np.testing.assert_allclose(flows["augmentation_usd"], [0.0, -1800.0, -1800.0, 0.0])
    np.testing.assert_allclose(flows["capacity_fraction"], [0.0, 1.0, 1.0, 1.0])
    expected_npv = -105000 + 58700 / 1.08 + 30150 / 1.08**2 + 35197.5 / 1.08**3
    assert result.npv_usd == pytest.approx(expected_npv, rel=1e-12)
    # cumulative: -105000, -46300, -16150, +19047.5 -> payback = 2 + 16150 / 35197.5
    assert result.simple_payback_years == pytest.approx(2 + 16150 / 35197.5)
    # discounted cumulative after year 2: -105000 + 58700/1.08 + 30150/1.08**2 < 0
    d1, d2, d3 = 58700 / 1.08, 30150 / 1.08**2, 35197.5 / 1.08**3
    assert result.discounted_payback_years == pytest.approx(2 + (105000 - d1 - d2) / d3)
    # IRR by a second method: the NPV at the IRR is zero
    irr = result.irr_fraction
    assert -105000 + 58700 / (1 + irr) + 30150 / (1 + irr) ** 2 + 35197.5 / (
        1 + irr
    ) ** 3 == pytest.approx(0.0, abs=1e-6)


def test_two_year_irr_matches_the_quadratic_closed_form():
    # flows -1000, 600, 600: with x = 1/(1+r), 600 x^2 + 600 x - 1000 = 0
    # x = (-600 + sqrt(600^2 + 4*600*1000)) / 1200 = (-600 + sqrt(2760000)) / 1200
    x = (-600 + math.sqrt(2_760_000)) / 1200
    inputs = FinanceInputs(analysis_years=2, discount_rate_fraction=0.1, capex_fixed_usd=1000.0)
    result = project_cash_flows(
        inputs, power_kw=1.0, energy_kwh=1.0, first_year_savings_usd=600.0, cycles_per_year=0.0
    )
    assert result.irr_fraction == pytest.approx(1 / x - 1, rel=1e-9)  # about 0.1307
    assert result.simple_payback_years == pytest.approx(1 + 400 / 600)


def test_macrs_tax_and_replacement():
    # capex 10000, ITC 30% = 3000 in year 1, MACRS basis 10000 * (1 - 0.15) = 8500:
    #   depreciation y1 0.20 * 8500 = 1700, y2 0.32 * 8500 = 2720, y3 0.192 * 8500 = 1632
    # fade 0.15/yr, replace below 0.8: capacity y1 1.0 -> 0.85 (kept) -> y2 0.85 -> 0.70 < 0.8,
    #   so a replacement at the end of y2 costs 20 $/kWh * 100 kWh = 2000; y3 capacity 1.0.
    # savings: 4000 * 1.0, 4000 * 0.85 = 3400, 4000 * 1.0
    # taxable: y1 4000 - 1700 = 2300 -> tax -575; y2 3400 - 2000 - 2720 = -1320 -> +330;
    #          y3 4000 - 1632 = 2368 -> -592   (tax rate 25%)
    # net: y0 -10000; y1 4000 + 3000 - 575 = 6425; y2 3400 - 2000 + 330 = 1730; y3 3408
    inputs = FinanceInputs(
        analysis_years=3,
        discount_rate_fraction=0.05,
        capex_fixed_usd=10000.0,
        fade_fraction_per_year=0.15,
        fade_response=FadeResponse.REPLACE,
        replacement_usd_per_kwh=20.0,
        replacement_threshold_fraction=0.8,
        itc_fraction=0.3,
        macrs=True,
        tax_rate_fraction=0.25,
    )
    result = project_cash_flows(
        inputs,
        power_kw=50.0,
        energy_kwh=100.0,
        first_year_savings_usd=4000.0,
        cycles_per_year=0.0,
    )
    flows = result.cash_flows
    np.testing.assert_allclose(flows["depreciation_usd"], [0, 1700, 2720, 1632])
    np.testing.assert_allclose(flows["replacement_usd"], [0, 0, -2000, 0])
    np.testing.assert_allclose(flows["tax_usd"], [0, -575, 330, -592])
    np.testing.assert_allclose(flows["net_usd"], [-10000, 6425, 1730, 3408])
    assert result.npv_usd == pytest.approx(
        -10000 + 6425 / 1.05 + 1730 / 1.05**2 + 3408 / 1.05**3, rel=1e-12
    )


def test_unfaded_capacity_falls_without_response_and_never_pays_back():
    # fade 0.4/yr, no response: capacity 1.0, 0.6, 0.2, 0.0 (floored)
    inputs = FinanceInputs(analysis_years=4, capex_fixed_usd=1e6, fade_fraction_per_year=0.4)
    result = project_cash_flows(
        inputs, power_kw=1.0, energy_kwh=1.0, first_year_savings_usd=100.0, cycles_per_year=0.0
    )
    np.testing.assert_allclose(result.cash_flows["capacity_fraction"], [0, 1.0, 0.6, 0.2, 0.0])
    assert math.isinf(result.simple_payback_years)
    assert result.irr_fraction < 0


def test_no_sign_change_gives_nan_irr():
    inputs = FinanceInputs(analysis_years=2)
    result = project_cash_flows(
        inputs, power_kw=1.0, energy_kwh=1.0, first_year_savings_usd=100.0, cycles_per_year=0.0
    )
    assert math.isnan(result.irr_fraction)
    assert result.simple_payback_years == 0.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("analysis_years", 0),
        ("analysis_years", 2.5),
        ("discount_rate_fraction", 1.5),
        ("capex_usd_per_kw", -1.0),
        ("fade_response", "augment"),
        ("macrs", 1),
    ],
)
def test_bad_inputs_name_the_field(field, value):
    with pytest.raises(InputError, match=f"FinanceInputs.{field}"):
        FinanceInputs(**{field: value})


@given(
    capex=st.floats(min_value=1e3, max_value=1e6),
    savings=st.floats(min_value=1.0, max_value=3e5),
    years=st.integers(min_value=2, max_value=25),
    rate=st.floats(min_value=0.0, max_value=0.2),
)
def test_returns_are_consistent_for_any_simple_project(capex, savings, years, rate):
    inputs = FinanceInputs(analysis_years=years, discount_rate_fraction=rate, capex_fixed_usd=capex)
    result = project_cash_flows(
        inputs, power_kw=1.0, energy_kwh=1.0, first_year_savings_usd=savings, cycles_per_year=0
    )
    # a level annuity: NPV = -C + S * sum_{y=1..N} (1 + r)^-y
    annuity = sum((1 + rate) ** -y for y in range(1, years + 1))
    assert result.npv_usd == pytest.approx(-capex + savings * annuity, rel=1e-9, abs=1e-6)
    # simple payback of level savings: C / S when it pays back within the period
    if capex / savings <= years:
        assert result.simple_payback_years == pytest.approx(capex / savings)
    else:
        assert math.isinf(result.simple_payback_years)
    # the NPV at the IRR is zero, and NPV > 0 exactly when IRR > the discount rate
    irr = result.irr_fraction
    if math.isfinite(irr):
        npv_at_irr = -capex + sum(savings / (1 + irr) ** y for y in range(1, years + 1))
        assert npv_at_irr == pytest.approx(0.0, abs=1e-6 * capex)
        if abs(irr - rate) > 1e-6:
            assert (result.npv_usd > 0) == (irr > rate)
