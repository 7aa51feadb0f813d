"""The optimizer's objective equals the bill engine's bill of the optimal net load (real data).

Second method: ``markets.bill`` prices the schedule's net load with its own (vectorized) code;
for a horizon covering a whole billing month from its first hour, the optimizer's energy,
export and demand terms must add up to the bill's energy - export credit + demand charges.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from markets.bill import month_to_date
from markets.tariff import Tariff
from optimizer import Battery, MonthToDate, TerminalMode, TerminalSoc, optimize_dispatch

TZ = "America/Los_Angeles"


def _office_load(shared_data) -> pd.Series:
    """San Francisco large office, hourly kW for 2017 (REopt), on local time."""
    path = shared_data / "reopt" / "loads_kw" / "loads_kw_largeoffice_sanfran.csv"
    values = np.loadtxt(path)
    index = pd.date_range(pd.Timestamp("2017-01-01", tz=TZ), periods=len(values), freq="1h")
    return pd.Series(values, index=index)


def _bill_terms(bill) -> float:
    m = bill.monthly
    return float(
        (
            m["energy_usd"] - m["export_credit_usd"] + m["demand_flat_usd"] + m["demand_tou_usd"]
        ).sum()
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "record, month, pv_peak_kw",
    [
        # PG&E E-19: TOU energy under net metering, flat + 4 TOU demand periods; with a PV
        # array large enough to export on weekend middays.
        ("pge_e19_secondary_5cef0a415457a33576f60fe2.json", "2017-07", 700.0),
        # SCE GS-2 TOU option B: no export credit, flat + 3 TOU demand periods.
        ("sce_gs2_tou_optionB_55fc81d7682bea28da64f9ae.json", "2017-02", 0.0),
    ],
)
def test_month_objective_equals_bill_of_optimal_net_load(shared_data, record, month, pv_peak_kw):
    tariff = Tariff.from_urdb(shared_data / "reopt" / "urdb" / record)
    load = _office_load(shared_data)
    load = load[load.index.strftime("%Y-%m") == month]
    hours = load.index.hour.to_numpy()
    pv = pd.Series(
        np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None) * pv_peak_kw, index=load.index
    )
    battery = Battery(power_kw=150, energy_kwh=600, degradation_cost_usd_per_kwh=0.0)
    result = optimize_dispatch(
        battery=battery,
        tariff=tariff,
        load_kw=load,
        pv_kw=pv,
        initial_soc_fraction=0.5,
        terminal=TerminalSoc(mode=TerminalMode.MINIMUM),
        mip_rel_gap=1e-7,
    )
    s = result.schedule
    net = load - pv + s["charge_kw"] - s["discharge_kw"]
    bill = tariff.bill(net)
    optimizer_usd = result.objective_usd
    assert optimizer_usd == pytest.approx(_bill_terms(bill), rel=1e-6)
    if pv_peak_kw:
        # The net-metering path is exercised: some hours export.
        assert bill.monthly["export_kwh"].sum() > 0
    # The battery earns something against the same bill without it.
    baseline = tariff.bill(load - pv)
    assert _bill_terms(bill) < _bill_terms(baseline)


@pytest.mark.slow
def test_month_to_date_from_the_bill_engine_carries_the_peak(shared_data):
    # The second half of a month solved with the bill engine's month-to-date state costs the
    # month's whole demand: the flat demand term equals rate * max(first-half peak, second-half
    # optimized peak), checked against the bill of the two halves joined.
    tariff = Tariff.from_urdb(
        shared_data / "reopt" / "urdb" / "sce_gs2_tou_optionB_55fc81d7682bea28da64f9ae.json"
    )
    load = _office_load(shared_data)
    month = load[load.index.strftime("%Y-%m") == "2017-03"]
    first, second = month.iloc[:360], month.iloc[360:]

    state = MonthToDate.from_usage(month_to_date(tariff, first))
    result = optimize_dispatch(
        battery=Battery(power_kw=150, energy_kwh=600),
        tariff=tariff,
        load_kw=second,
        month_to_date=state,
        initial_soc_fraction=0.5,
        mip_rel_gap=1e-7,
    )
    s = result.schedule
    joined = pd.concat([first, second + s["charge_kw"] - s["discharge_kw"]])
    bill = tariff.bill(joined).monthly.iloc[0]
    demand = result.value_by_stream_usd["demand_flat"] + result.value_by_stream_usd["demand_tou"]
    assert demand == pytest.approx(bill["demand_flat_usd"] + bill["demand_tou_usd"], rel=1e-6)
