"""valuestack's bill engine against NREL SAM's utility-rate module, month by month, to the cent.

SAM (``PySAM.Utilityrate5``, run offline through :mod:`tests.markets.sam_reference`) prices the
raw URDB records on the DOE commercial reference building loads; valuestack prices the same
records through ``Tariff.from_urdb`` and ``Tariff.bill``. Both see the same 8760 hours: calendar
2018 (January 1st is a Monday, as SAM assumes) in the fixed-offset zone ``Etc/GMT+8`` (SAM has no
DST). Every monthly component must agree to the cent, except where the two differ by design; each
such difference is asserted to equal its closed form (see docs/sam_crosscheck.md).
"""

from __future__ import annotations

import calendar
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from markets.tariff import ExportCompensation, ExportMode, Tariff
from tests.markets.sam_reference import (
    COMPONENTS,
    SAM_TZ,
    MeteringOption,
    SamUnsupportedError,
    clear_sky_pv_kw,
    crb_load_kw,
    hourly_index,
    read_urdb_record,
    run_sam,
    sam_rate_inputs,
)

CENT = 0.005
"""'To the cent': a monthly component may differ by less than half a cent [$]."""

TARIFFS = {
    "pge_e19": "reopt/urdb/pge_e19_secondary_5cef0a415457a33576f60fe2.json",
    "sce_gs2_tou_b": "reopt/urdb/sce_gs2_tou_optionB_55fc81d7682bea28da64f9ae.json",
    "entergy_lps_tou": "reopt/urdb/entergy_ar_lps_tou_5a592c995457a3371c423a7d.json",
    "peco_gs_ht": "reopt/urdb/peco_gs_ht_53ac8daa5257a3406ac32a35.json",
    "dixie_net_metering": "reopt/urdb/dixie_escalante_net_metering_539fc25dec4f024c27d8b0a5.json",
    "custom_leap_year": "reopt/urdb/custom_leap_year_tou_energy_tou_demand_flat_demand.json",
    "custom_multi_tier": "reopt/urdb/custom_multi_tier_energy_demand_seasonal.json",
    "custom_2tier_4period": "reopt/urdb/custom_rate_2tier_energy_4period_tou_demand.json",
    "custom_subhourly": "reopt/urdb/custom_subhourly_test_rate.json",
    "custom_tiered_a": "reopt/urdb/custom_tiered_energy_tiered_tou_demand_A.json",
    "custom_tiered_b": "reopt/urdb/custom_tiered_energy_tiered_tou_demand_B.json",
    "sce_tou8_d": "urdb_more/SCE_TOU-8_OptionD_under2kV.json",
    "sdge_al_tou": "urdb_more/SDGE_AL-TOU_Secondary_above500kW.json",
    "smud_ci_tod3": "urdb_more/SMUD_CI-TOD3_Secondary_500-999kW.json",
    "smud_ci_tod4": "urdb_more/SMUD_CI-TOD4_Secondary_1000kW.json",
}

UNMODELLED = {
    # Coincident demand ($0.79/kW at the system peak) and voltage discounts: modelled by neither
    # engine, so both bills leave them out and the comparison covers every other component.
    "peco_gs_ht": {"coincidentratestructure", "coincidentrateunit", "coincidentschedule"}
    | {"demandattrs"},
    # Riders listed as text attributes (voltage discounts, climate credit): neither engine.
    "pge_e19": {"demandattrs", "energyattrs"},
    "sce_gs2_tou_b": {"demandattrs", "energyattrs"},
    # Reactive power ($/kVAR) needs a power factor that neither engine is given.
    "sce_tou8_d": {"demandreactivepowercharge"},
    "sdge_al_tou": {"demandreactpwrcharge"},
}
"""URDB fields valuestack lists as not priced; SAM has no input for any of them either."""

BUILDINGS = (
    ("Chicago", "LargeOffice"),
    ("Houston", "Hospital"),
    ("LosAngeles", "RetailStore"),
    ("Phoenix", "Supermarket"),
    ("SanFrancisco", "MediumOffice"),
    ("Miami", "Warehouse"),
    ("Atlanta", "MidriseApartment"),
    ("Boulder", "PrimarySchool"),
    ("Seattle", "SmallOffice"),
    ("Minneapolis", "LargeHotel"),
)

DAYS_2018 = np.array([calendar.monthrange(2018, m)[1] for m in range(1, 13)], dtype=float)


# -- fixtures and helpers ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def records(shared_data: Path) -> dict[str, dict]:
    return {key: read_urdb_record(shared_data / rel) for key, rel in TARIFFS.items()}


@pytest.fixture(scope="session")
def loads(shared_data: Path) -> dict[tuple[str, str], np.ndarray]:
    return {b: crb_load_kw(shared_data, *b) for b in BUILDINGS}


@pytest.fixture(scope="session")
def pv_shape_kw() -> np.ndarray:
    """Clear-sky PV of 1 kW at 1000 W/m2 (Los Angeles), hourly, calendar 2018 in Etc/GMT+8."""
    return clear_sky_pv_kw(1.0)


def _tariff(record: dict, **options) -> Tariff:
    return Tariff.from_urdb(record, **options)


def _vs_monthly(tariff: Tariff, net_kw: np.ndarray, tz: str = SAM_TZ) -> pd.DataFrame:
    """valuestack's monthly bill of an 8760-hour 2018 series, indexed by month number."""
    bill = tariff.bill(pd.Series(net_kw, index=hourly_index(tz)))
    monthly = bill.monthly
    assert len(monthly) == 12
    assert np.isclose(bill.total_usd, monthly["total_usd"].sum())
    return monthly.set_axis(pd.RangeIndex(1, 13, name="month"))


def _daily_fixed_usd(record: dict) -> float:
    if record.get("fixedchargeunits") == "$/day":
        return float(record["fixedchargefirstmeter"])
    return 0.0


def _daily_fixed_gap_usd(record: dict) -> np.ndarray:
    """valuestack minus SAM fixed charge per month: ``daily * (days_in_month - 365/12)``.

    valuestack bills a $/day charge for each day of the month; SAM has no daily charge, so a
    $/day URDB charge enters SAM as ``daily * 365 / 12`` per month (SAM's own URDB import).
    """
    return _daily_fixed_usd(record) * (DAYS_2018 - 365.0 / 12.0)


def _assert_cents(name: str, got: np.ndarray, want: np.ndarray) -> float:
    diff = np.abs(np.asarray(got, dtype=float) - np.asarray(want, dtype=float))
    worst = float(diff.max())
    assert worst < CENT, f"{name}: months {np.flatnonzero(diff >= CENT) + 1} differ by {diff}"
    return worst


def _metering_option(tariff: Tariff) -> MeteringOption:
    """SAM's metering option with valuestack's export semantics (docs/sam_crosscheck.md)."""
    if tariff.export.mode is ExportMode.NET_METERING:
        # Per month and energy period netting, surplus credited at the sell rate in $ against
        # the same month's energy charge; SAM rolls $ left over to the next month, valuestack
        # keeps them in the month (equal while no month's net energy bill is negative).
        return MeteringOption.NET_METERING_USD_ROLLOVER
    # SELL_RATE and NONE: hourly netting, exports at the period's sell rate (0 if none).
    return MeteringOption.NET_BILLING


# -- 1. every tariff x every building, no export ---------------------------------------------
@pytest.mark.parametrize("building", BUILDINGS, ids=lambda b: f"{b[0]}_{b[1]}")
@pytest.mark.parametrize("tariff_id", list(TARIFFS))
def test_monthly_components_match_sam(tariff_id, building, records, loads):
    record = records[tariff_id]
    tariff = _tariff(record)
    assert set(tariff.unsupported) == UNMODELLED.get(tariff_id, set())
    load_kw = loads[building]

    sam = run_sam(sam_rate_inputs(record), load_kw).monthly
    vs = _vs_monthly(tariff, load_kw)

    gap = {c: np.zeros(12) for c in COMPONENTS}
    gap["fixed_usd"] = gap["total_usd"] = _daily_fixed_gap_usd(record)
    for component in COMPONENTS:
        _assert_cents(
            component,
            vs[component].to_numpy() - gap[component],
            sam[component].to_numpy(),
        )
    assert (vs["export_credit_usd"] == 0).all()


def test_daily_fixed_charge_gap_by_hand(records, loads):
    """PG&E E-19: $19.71253/day. valuestack: x days; SAM: x 365/12 = 30.41667 days.

    January: 19.71253 * 31 = 611.08843 vs 19.71253 * 30.416667 = 599.58945 -> +11.49898.
    February: 19.71253 * 28 = 551.95084 vs 599.58945 -> -47.63861.
    """
    record = records["pge_e19"]
    load_kw = loads[("SanFrancisco", "MediumOffice")]
    sam = run_sam(sam_rate_inputs(record), load_kw).monthly
    vs = _vs_monthly(_tariff(record), load_kw)
    assert vs.loc[1, "fixed_usd"] == pytest.approx(611.08843, abs=1e-5)
    assert sam.loc[1, "fixed_usd"] == pytest.approx(599.58945, abs=1e-5)
    assert vs.loc[2, "fixed_usd"] - sam.loc[2, "fixed_usd"] == pytest.approx(-47.63861, abs=1e-5)
    # the year: 365 days either way
    assert vs["fixed_usd"].sum() == pytest.approx(sam["fixed_usd"].sum(), abs=1e-9)


def test_hand_computed_month_both_engines():
    """A small rate priced by hand for January 2018, by SAM and by valuestack.

    Rate: energy $0.10/kWh, $0.30/kWh on weekdays 12:00-18:00; TOU demand $10/kW in that
    window; flat demand $5/kW; $20/month. Load: 10 kW flat, 50 kW on Tue Jan 2 at 14:00 (on-peak),
    80 kW on Sat Jan 6 at 14:00 (a weekend: off-peak).
    January 2018 starts on a Monday: 23 weekdays, 23 * 6 = 138 on-peak hours of 744.
    on-peak kWh = 10 * 138 + 40 = 1420 -> $426.00; off-peak kWh = 10 * 606 + 70 = 6130 -> $613.00
    energy $1039.00; TOU demand 50 kW * $10 = $500.00; flat demand 80 kW * $5 = $400.00;
    fixed $20.00; total $1959.00.
    """
    window = [[1 if 12 <= h < 18 else 0 for h in range(24)] for _ in range(12)]
    off = [[0] * 24 for _ in range(12)]
    record = {
        "name": "hand rate",
        "energyratestructure": [[{"rate": 0.10, "unit": "kWh"}], [{"rate": 0.30, "unit": "kWh"}]],
        "energyweekdayschedule": window,
        "energyweekendschedule": off,
        "demandratestructure": [[{"rate": 0.0}], [{"rate": 10.0}]],
        "demandweekdayschedule": window,
        "demandweekendschedule": off,
        "flatdemandstructure": [[{"rate": 5.0}]],
        "flatdemandmonths": [0] * 12,
        "fixedchargefirstmeter": 20.0,
        "fixedchargeunits": "$/month",
    }
    load_kw = np.full(8760, 10.0)
    load_kw[1 * 24 + 14] = 50.0  # Tue 2018-01-02 14:00
    load_kw[5 * 24 + 14] = 80.0  # Sat 2018-01-06 14:00
    hand = {
        "energy_usd": 1039.0,
        "demand_tou_usd": 500.0,
        "demand_flat_usd": 400.0,
        "fixed_usd": 20.0,
        "minimum_usd": 0.0,
        "total_usd": 1959.0,
    }
    sam = run_sam(sam_rate_inputs(record), load_kw).monthly.loc[1]
    vs = _vs_monthly(_tariff(record), load_kw).loc[1]
    for component, value in hand.items():
        assert sam[component] == pytest.approx(value, abs=1e-9), component
        assert vs[component] == pytest.approx(value, abs=1e-9), component


def test_sam_cannot_take_different_tier_bounds_in_one_month(records):
    """SAM needs one set of tier bounds per month; valuestack takes each period's own tiers.

    A month whose two periods both have tiers, with different bounds, has no SAM equivalent:
    the reference refuses it instead of comparing a different tariff.
    """
    record = dict(records["custom_2tier_4period"])
    structure = [list(p) for p in record["energyratestructure"]]
    structure[2] = [{"rate": 0.082, "max": 500}, {"rate": 0.09}]  # period 2 next to period 1
    record["energyratestructure"] = structure
    with pytest.raises(SamUnsupportedError, match="differ in tier bounds"):
        sam_rate_inputs(record)
    _tariff(record)  # valuestack prices it (each period on its own tiers)


# -- 2. net loads with export ------------------------------------------------------------------
EXPORT_TARIFFS = (
    "pge_e19",  # Net Metering, no sell rate
    "entergy_lps_tou",  # usenetmetering
    "sdge_al_tou",  # Net Metering
    "smud_ci_tod3",  # Net Metering
    "smud_ci_tod4",  # Net Metering
    "peco_gs_ht",  # sell rates: each exported kWh at $0.0699
    "custom_subhourly",  # Net Billing Hourly, sell $0.1096
    "sce_gs2_tou_b",  # no export compensation
    "sce_tou8_d",  # no export compensation
    "dixie_net_metering",  # no prices at all: only the $30/month
)
EXPORT_BUILDINGS = (("LosAngeles", "RetailStore"), ("Phoenix", "Supermarket"))
PV_MULTIPLES = (2.0, 6.0)
"""PV peak [kW] as a multiple of the building's mean load: a little export, and whole months of
net export."""


@pytest.mark.parametrize("pv_multiple", PV_MULTIPLES)
@pytest.mark.parametrize("building", EXPORT_BUILDINGS, ids=lambda b: f"{b[0]}_{b[1]}")
@pytest.mark.parametrize("tariff_id", EXPORT_TARIFFS)
def test_net_load_with_export_matches_sam(
    tariff_id, building, pv_multiple, records, loads, pv_shape_kw
):
    record = records[tariff_id]
    tariff = _tariff(record)
    load_kw = loads[building]
    pv_kw = pv_shape_kw * pv_multiple * load_kw.mean()
    option = _metering_option(tariff)

    sam = run_sam(sam_rate_inputs(record, metering_option=option), load_kw, pv_kw).monthly
    vs = _vs_monthly(tariff, load_kw - pv_kw)
    assert vs["export_kwh"].sum() > 0  # the case exercises export

    net_energy = vs["energy_usd"] - vs["export_credit_usd"]
    if option is MeteringOption.NET_METERING_USD_ROLLOVER:
        # The case is one where the semantics coincide: no month's net energy bill below 0.
        assert (net_energy >= 0).all()
    else:
        # Hourly net billing: gross import charge and export credit are compared separately.
        _assert_cents("energy_usd", vs["energy_usd"], sam["energy_usd"])
        _assert_cents("export_credit_usd", vs["export_credit_usd"], sam["export_credit_usd"])
    _assert_cents("energy_net_usd", net_energy, sam["energy_net_usd"])
    fixed_gap = _daily_fixed_gap_usd(record)
    for component in ("demand_flat_usd", "demand_tou_usd", "minimum_usd"):
        _assert_cents(component, vs[component], sam[component])
    _assert_cents("fixed_usd", vs["fixed_usd"] - fixed_gap, sam["fixed_usd"])
    _assert_cents("total_usd", vs["total_usd"] - fixed_gap, sam["total_usd"])


def test_export_credit_beyond_charges_keeps_negative_total(records, loads, pv_shape_kw):
    """PECO GS-HT with 6x PV: in May the export credit exceeds every charge.

    By hand, with I / E the month's hourly imports / exports [kWh] and P the peak import [kW]:
    total = 0.0699 * I + (3.55 + 1.71) * P + 298.92 - 0.0699 * E < 0, and no minimum charge.
    (markets/bill.py used to top such a month up to $0 as a 'minimum charge' of a tariff that
    has none; SAM keeps the negative bill.)
    """
    record = records["peco_gs_ht"]
    load_kw = loads[("LosAngeles", "RetailStore")]
    pv_kw = pv_shape_kw * 6.0 * load_kw.mean()
    net = load_kw - pv_kw
    may = hourly_index().month == 5
    imports = np.clip(net[may], 0, None).sum()
    exports = np.clip(-net[may], 0, None).sum()
    peak = max(net[may].max(), 0.0)
    hand_total = 0.0699 * imports + 5.26 * peak + 298.92 - 0.0699 * exports
    assert hand_total < -1000

    vs = _vs_monthly(_tariff(record), net).loc[5]
    sam = run_sam(
        sam_rate_inputs(record, metering_option=MeteringOption.NET_BILLING), load_kw, pv_kw
    )
    assert vs["minimum_usd"] == 0.0
    assert vs["total_usd"] == pytest.approx(hand_total, abs=1e-6)
    assert sam.monthly.loc[5, "total_usd"] == pytest.approx(hand_total, abs=1e-6)


def test_net_metering_dollar_rollover_gap(records, loads, pv_shape_kw):
    """Net metering with a sell rate: SAM carries a month's leftover $ credit forward.

    PECO GS-HT billed as net metering (buy = sell = $0.0699/kWh, one energy period). With N_m the
    month's net import [kWh] (negative: net export), valuestack's net energy bill is
    v_m = 0.0699 * N_m (a surplus earns the sell rate in its own month, nothing rolls over).
    SAM (metering option 1) bills e_m = max(0, v_m - c_{m-1}) and carries
    c_m = max(0, c_{m-1} - v_m) (c_{-1} = 0), and pays the December carry c_11 out in December.
    """
    record = records["peco_gs_ht"]
    tariff = _tariff(record, export=ExportCompensation(mode=ExportMode.NET_METERING))
    load_kw = loads[("LosAngeles", "RetailStore")]
    pv_kw = pv_shape_kw * 5.0 * load_kw.mean()
    net = load_kw - pv_kw
    month = hourly_index().month.to_numpy()
    net_kwh = np.array([net[month == m].sum() for m in range(1, 13)])
    v = 0.0699 * net_kwh
    e = np.zeros(12)
    carry = 0.0
    for m in range(12):
        e[m] = max(0.0, v[m] - carry)
        carry = max(0.0, carry - v[m])
    assert (v < 0).any() and carry > 0  # the case exercises the rollover

    sam = run_sam(
        sam_rate_inputs(record, metering_option=MeteringOption.NET_METERING_USD_ROLLOVER),
        load_kw,
        pv_kw,
    ).monthly
    vs = _vs_monthly(tariff, net)
    _assert_cents("valuestack net energy", vs["energy_usd"] - vs["export_credit_usd"], v)
    _assert_cents("SAM net energy", sam["energy_net_usd"], e)
    total_gap = v - e
    total_gap[11] += carry  # SAM pays the year-end carry in December
    _assert_cents("total gap", vs["total_usd"] - sam["total_usd"], total_gap)
    for component in ("demand_flat_usd", "fixed_usd", "minimum_usd"):
        _assert_cents(component, vs[component], sam[component])


def test_minimum_with_credit_beyond_charges_gap(records, loads, pv_shape_kw):
    """A $500/month minimum on a month whose charges less credits B_m are negative.

    valuestack raises the whole month to the minimum: minimum = max(0, 500 - B_m).
    SAM raises only the charges it counts, clipped at 0: minimum = max(0, 500 - max(B_m, 0)).
    Equal while B_m >= 0; the gap is -B_m where B_m < 0.
    """
    record = dict(records["peco_gs_ht"], minmonthlycharge=500.0)
    load_kw = loads[("LosAngeles", "RetailStore")]
    pv_kw = pv_shape_kw * 6.0 * load_kw.mean()
    net = load_kw - pv_kw
    month = hourly_index().month.to_numpy()
    b = np.empty(12)
    for m in range(1, 13):
        x = net[month == m]
        imports, exports = np.clip(x, 0, None).sum(), np.clip(-x, 0, None).sum()
        b[m - 1] = 0.0699 * (imports - exports) + 5.26 * max(x.max(), 0.0) + 298.92
    assert (b < 0).any() and (b > 500).any()

    sam = run_sam(
        sam_rate_inputs(record, metering_option=MeteringOption.NET_BILLING), load_kw, pv_kw
    )
    vs = _vs_monthly(_tariff(record), net)
    _assert_cents("valuestack minimum", vs["minimum_usd"], np.maximum(0.0, 500.0 - b))
    _assert_cents(
        "SAM minimum", sam.monthly["minimum_usd"], np.maximum(0.0, 500.0 - np.maximum(b, 0))
    )
    _assert_cents("total gap", vs["total_usd"] - sam.monthly["total_usd"], np.maximum(-b, 0.0))


# -- 3. minimum charges, ratchets, tiers under net billing, DST ----------------------------------
def test_minimum_charges_match_sam(records, loads):
    """Monthly and annual minimums (added to real records; none of the records has one).

    Dixie + $1000/year: energy is free, the fixed charge is 12 * $30 = $360, so December carries
    a $640 top-up in both engines. SCE GS-2 + a $6500/month minimum binds in some months only.
    """
    load_kw = loads[("LosAngeles", "RetailStore")]
    dixie = dict(records["dixie_net_metering"], annualmincharge=1000.0)
    sam = run_sam(sam_rate_inputs(dixie), load_kw).monthly
    vs = _vs_monthly(_tariff(dixie), load_kw)
    assert vs.loc[12, "minimum_usd"] == pytest.approx(640.0, abs=1e-9)
    assert sam.loc[12, "minimum_usd"] == pytest.approx(640.0, abs=1e-9)
    for component in COMPONENTS:
        _assert_cents(component, vs[component], sam[component])

    sce = dict(records["sce_gs2_tou_b"], minmonthlycharge=6500.0)
    sam = run_sam(sam_rate_inputs(sce), load_kw).monthly
    vs = _vs_monthly(_tariff(sce), load_kw)
    binding = vs["minimum_usd"] > 0
    assert binding.any() and not binding.all()
    for component in COMPONENTS:
        _assert_cents(component, vs[component], sam[component])


RATCHETS = {
    "range_3_months": {"lookbackpercent": 0.8, "lookbackrange": 3, "lookbackmonths": [0] * 12},
    "summer_months": {
        "lookbackpercent": 0.8,
        "lookbackmonths": [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0],
    },
}


def _billed_demand_kw(
    peaks: np.ndarray,
    prior: np.ndarray,
    fraction: float,
    flags: np.ndarray,
    reach: tuple[int, int],
) -> np.ndarray:
    """max(own peak, fraction * highest flagged peak 1..reach months back) per 2018 month.

    ``reach`` may differ for prior-year months (``prior``) and this year's (``peaks``):
    ``reach = (this year, prior year)``.
    """
    out = np.empty(12)
    for k in range(12):
        ref = 0.0
        for j in range(12):
            back_prior = k + 12 - j
            if flags[j] and 1 <= back_prior <= reach[1]:
                ref = max(ref, prior[j])
            back = k - j
            if flags[j] and 1 <= back <= reach[0]:
                ref = max(ref, peaks[j])
        out[k] = max(peaks[k], fraction * ref)
    return out


@pytest.mark.parametrize("variant", list(RATCHETS))
def test_ratchet_reaches_one_month_further_into_prior_year(variant, records, loads):
    """PECO GS-HT ($5.26/kW flat demand) with an 80 % ratchet added.

    Within one year both engines bill max(peak, 0.8 * highest look-back peak) over the same
    months. With a prior year, SAM's look-back into that year reaches one month further
    (``lookbackrange`` R: R + 1 months back; flagged months: the same month a year back, i.e.
    12 months, where valuestack stops at 11). The prior year here is the same building with a
    1.5x hotter June. Closed form: demand gap = 5.26 * (billed_vs - billed_sam) from the
    monthly peaks alone.
    """
    record = dict(records["peco_gs_ht"], **RATCHETS[variant])
    tariff = _tariff(record)
    load_kw = loads[("Chicago", "LargeOffice")]
    month = hourly_index().month.to_numpy()
    peaks = np.array([load_kw[month == m].max() for m in range(1, 13)])
    r = int(record.get("lookbackrange", 0)) or 11
    flags = np.ones(12) if record.get("lookbackrange") else np.array(record["lookbackmonths"])

    # one year, no history: identical
    sam = run_sam(sam_rate_inputs(record), load_kw).monthly
    vs = _vs_monthly(tariff, load_kw)
    billed = _billed_demand_kw(peaks, np.zeros(12), 0.8, flags, (r, r))
    _assert_cents("billed demand", vs["billed_flat_kw"] * 5.26, billed * 5.26)
    for component in COMPONENTS:
        _assert_cents(component, vs[component], sam[component])

    # with a prior year (2017 in the same zone; PECO has one energy period, so weekdays moot)
    prior_index = pd.date_range("2017-01-01", periods=8760, freq="h", tz=SAM_TZ)
    prior_load = load_kw * np.where(prior_index.month == 6, 1.5, 1.0)
    prior_peaks = np.array([prior_load[prior_index.month == m].max() for m in range(1, 13)])
    two_years = pd.Series(
        np.concatenate([prior_load, load_kw]),
        index=pd.date_range("2017-01-01", periods=2 * 8760, freq="h", tz=SAM_TZ),
    )
    vs2 = tariff.bill(two_years).monthly.iloc[12:].set_axis(pd.RangeIndex(1, 13))
    sam2 = run_sam(sam_rate_inputs(record), load_kw, yearzero_peaks_kw=prior_peaks).monthly
    billed_vs = _billed_demand_kw(peaks, prior_peaks, 0.8, flags, (r, r))
    billed_sam = _billed_demand_kw(peaks, prior_peaks, 0.8, flags, (r, r + 1))
    gap = 5.26 * (billed_vs - billed_sam)
    assert (np.abs(gap) > 1.0).any()  # the case exercises the difference
    _assert_cents("valuestack billed demand", vs2["billed_flat_kw"] * 5.26, billed_vs * 5.26)
    _assert_cents("demand gap", vs2["demand_flat_usd"] - sam2["demand_flat_usd"], gap)
    for component in ("energy_usd", "demand_tou_usd", "fixed_usd", "minimum_usd"):
        _assert_cents(component, vs2[component], sam2[component])


def _segment_kwh(lo: np.ndarray, hi: np.ndarray, tier_lo: float, tier_hi: float) -> np.ndarray:
    """kWh of each interval [lo, hi] of the month's running total inside tier [tier_lo, tier_hi]."""
    return np.clip(np.minimum(hi, tier_hi) - np.maximum(lo, tier_lo), 0.0, None)


@pytest.mark.parametrize(
    "tariff_id", ["custom_tiered_a", "custom_tiered_b", "custom_2tier_4period"]
)
def test_net_billing_hourly_tiers(tariff_id, records, loads):
    """SAM's hourly (net billing) reconciliation of tiered rates, in closed form.

    With tier bounds U_t shared by the month's periods and R_h the month's running import after
    hour h, SAM's options 2-4 bill hour h in period p(h) at
    sum_t rate[p(h), t] * |[R_{h-1}, R_h] & [U_{t-1}, U_t]| (the crossing hour is split).
    valuestack (and SAM's monthly options) prorate the month's tiers by period share:
    sum_p E_p / E * sum_t rate[p, t] * |[0, E] & [U_{t-1}, U_t]|.
    With one energy period the two coincide; with several they differ by the closed form.
    """
    record = records[tariff_id]
    rates = sam_rate_inputs(record)["ur_ec_tou_mat"]  # rows: period, tier, max, unit, buy, sell
    n_periods = int(max(row[0] for row in rates))
    n_tiers = int(max(row[1] for row in rates))
    buy = np.zeros((n_periods, n_tiers))
    upper = np.zeros((n_periods, n_tiers))
    for period, tier, ub, _, rate, _ in rates:
        buy[int(period) - 1, int(tier) - 1] = rate
        upper[int(period) - 1, int(tier) - 1] = ub
    index = hourly_index()
    weekend = index.day_of_week >= 5
    months, hours = index.month.to_numpy(), index.hour.to_numpy()
    weekday_p = np.asarray(record["energyweekdayschedule"])[months - 1, hours]
    weekend_p = np.asarray(record["energyweekendschedule"])[months - 1, hours]
    period = np.where(weekend, weekend_p, weekday_p)
    load_kw = loads[("Chicago", "LargeOffice")]

    hourly_usd = np.zeros(12)
    prorated_usd = np.zeros(12)
    for m in range(1, 13):
        sel = months == m
        kwh, p = load_kw[sel], period[sel]
        hi = np.cumsum(kwh)
        lo = hi - kwh
        total = hi[-1]
        bounds = upper[p[0]]  # shared by the month's periods (SAM requires it)
        for t in range(n_tiers):
            tier_lo = 0.0 if t == 0 else bounds[t - 1]
            hourly_usd[m - 1] += float(buy[p, t] @ _segment_kwh(lo, hi, tier_lo, bounds[t]))
            in_tier = float(_segment_kwh(np.zeros(1), np.full(1, total), tier_lo, bounds[t])[0])
            for q in np.unique(p):
                prorated_usd[m - 1] += kwh[p == q].sum() / total * buy[q, t] * in_tier

    sam = run_sam(sam_rate_inputs(record, metering_option=MeteringOption.NET_BILLING), load_kw)
    vs = _vs_monthly(_tariff(record), load_kw)
    _assert_cents("SAM hourly tiers", sam.monthly["energy_usd"], hourly_usd)
    _assert_cents("valuestack prorated tiers", vs["energy_usd"], prorated_usd)
    gap = hourly_usd - prorated_usd
    if tariff_id == "custom_2tier_4period":
        assert (np.abs(gap) > 1.0).any()  # several periods share the tiers: SAM differs
    else:
        assert np.abs(gap).max() < 1e-6  # one period: SAM splits the crossing hour too


def test_local_zone_with_dst_differs_only_in_dst_months(records, loads):
    """SAM's hours are standard time all year. Billed in America/Los_Angeles, the same 8760
    values move one hour later on the local clock from 11 March to 4 November 2018, so TOU
    periods and month boundaries shift there; January, February and December are identical.
    """
    record = records["sce_gs2_tou_b"]
    load_kw = loads[("LosAngeles", "RetailStore")]
    sam = run_sam(sam_rate_inputs(record), load_kw).monthly
    vs = _vs_monthly(_tariff(record), load_kw, tz="America/Los_Angeles")
    standard = [1, 2, 12]
    for component in COMPONENTS:
        _assert_cents(component, vs.loc[standard, component], sam.loc[standard, component])
    summer = list(range(4, 11))
    energy_gap = np.abs(vs.loc[summer, "energy_usd"] - sam.loc[summer, "energy_usd"])
    assert (energy_gap > 1.0).all()


# -- 4. property: random scalings of real loads and PV -----------------------------------------
@settings(max_examples=25)
@given(
    tariff_id=st.sampled_from(list(TARIFFS)),
    building=st.sampled_from(BUILDINGS),
    load_scale=st.floats(0.05, 5.0),
    pv_multiple=st.sampled_from([0.0, 0.5, 2.0]),
)
def test_property_scaled_loads_match_sam(
    tariff_id, building, load_scale, pv_multiple, records, loads, pv_shape_kw
):
    """Any scaling of a real load (tiers and demand tiers cross at other months), with or
    without PV, prices the same in both engines (net energy with export, fixed gap by design)."""
    record = records[tariff_id]
    tariff = _tariff(record)
    load_kw = loads[building] * load_scale
    pv_kw = pv_shape_kw * pv_multiple * loads[building].mean()
    tiered = any(len(p) > 1 for p in record.get("energyratestructure", []))
    if pv_multiple > 0 and tiered:
        pv_kw = np.zeros(8760)  # hourly net billing tiers differ by design (test above)
    option = _metering_option(tariff) if pv_kw.any() else MeteringOption.NET_METERING_KWH_ROLLOVER
    sam = run_sam(sam_rate_inputs(record, metering_option=option), load_kw, pv_kw).monthly
    vs = _vs_monthly(tariff, load_kw - pv_kw)
    net_energy = vs["energy_usd"] - vs["export_credit_usd"]
    if option is MeteringOption.NET_METERING_USD_ROLLOVER:
        assert (net_energy >= 0).all()
    fixed_gap = _daily_fixed_gap_usd(record)
    _assert_cents("energy_net_usd", net_energy, sam["energy_net_usd"])
    for component in ("demand_flat_usd", "demand_tou_usd", "minimum_usd"):
        _assert_cents(component, vs[component], sam[component])
    _assert_cents("total_usd", vs["total_usd"] - fixed_gap, sam["total_usd"])
