"""The URDB loader: real records parse to the right numbers; malformed ones name the field."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import math

import pytest

from core.errors import InputError
from markets.tariff import ExportCompensation, ExportMode, Tariff, tariff_from_urdb
from markets.urdb import load_urdb_record
from tests.conftest import shared_data_dir

URDB = shared_data_dir() / "reopt" / "urdb"
MORE = shared_data_dir() / "urdb_more"
E19 = URDB / "pge_e19_secondary_5cef0a415457a33576f60fe2.json"


def _record(name: str) -> dict:
    return json.loads((URDB / name).read_text())


def test_pge_e19_fields():
    tariff = Tariff.from_urdb(E19)
    assert tariff.name == "E-19 Medium General Demand TOU (Secondary)"
    assert tariff.label == "5cef0a415457a33576f60fe2"
    # energyratestructure: 5 single-tier periods; the summer peak is $0.16484/kWh
    assert [t[0].rate_usd_per_kwh for t in tariff.energy.periods] == [
        0.09593,
        0.11253,
        0.08837,
        0.11883,
        0.16484,
    ]
    assert tariff.tou_demand.periods[3][0].rate_usd_per_kw == 20.97
    assert tariff.flat_demand.month_periods == (0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0)
    assert tariff.fixed_daily_usd == 19.71253 and tariff.fixed_monthly_usd == 0.0
    assert tariff.export.mode is ExportMode.NET_METERING  # dgrules "Net Metering"
    assert set(tariff.unsupported) == {"demandattrs", "energyattrs"}


def test_adj_is_added_to_rate_and_window_read():
    # Entergy LPS-TOU: energy period 0 rate 0.01973 + adj 0.01882; demand 18.18 + 0.707.
    tariff = Tariff.from_urdb(URDB / "entergy_ar_lps_tou_5a592c995457a3371c423a7d.json")
    assert tariff.energy.periods[0][0].rate_usd_per_kwh == pytest.approx(0.01973 + 0.01882)
    assert tariff.tou_demand.periods[0][0].rate_usd_per_kw == pytest.approx(18.18 + 0.707)
    assert tariff.demand_window_minutes == 15.0
    assert tariff.fixed_monthly_usd == 468.6  # legacy fixedmonthlycharge
    assert tariff.export.mode is ExportMode.NET_METERING  # usenetmetering true


def test_last_tier_is_unbounded_whatever_its_max():
    # customRatePOST writes "max": 0 on last tiers, the subhourly rate 1e38, tiered A 1e14.
    two_tier = Tariff.from_urdb(URDB / "custom_rate_2tier_energy_4period_tou_demand.json")
    assert [t.max_kwh for t in two_tier.energy.periods[1]] == [355.0, math.inf]
    assert [t.max_kw for t in two_tier.tou_demand.periods[2]] == [480.0, math.inf]
    sub = Tariff.from_urdb(URDB / "custom_subhourly_test_rate.json")
    assert sub.energy.periods[0][0].max_kwh == math.inf
    tiered = Tariff.from_urdb(URDB / "custom_tiered_energy_tiered_tou_demand_A.json")
    assert [t.max_kwh for t in tiered.energy.periods[0]] == [74400.0, math.inf]


def test_sell_rates_and_net_billing():
    sub = Tariff.from_urdb(URDB / "custom_subhourly_test_rate.json")
    assert sub.export.mode is ExportMode.SELL_RATE  # dgrules "Net Billing Hourly"
    assert sub.energy.periods[4][0].sell_usd_per_kwh == 0.05819
    assert sub.fixed_monthly_usd == 435
    assert sub.flat_demand.month_periods == (0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0)


def test_peco_sell_rate_and_coincident_demand(caplog):
    with caplog.at_level(logging.WARNING, logger="markets.urdb"):
        tariff = Tariff.from_urdb(URDB / "peco_gs_ht_53ac8daa5257a3406ac32a35.json")
    assert tariff.export.mode is ExportMode.SELL_RATE
    assert tariff.flat_demand.periods[0][0].rate_usd_per_kw == pytest.approx(3.55 + 1.71)
    assert {"coincidentratestructure", "coincidentschedule"} <= set(tariff.unsupported)
    assert "coincidentratestructure" in caplog.text


def test_tier_without_price_is_zero_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="markets.urdb"):
        tariff = Tariff.from_urdb(
            URDB / "dixie_escalante_net_metering_539fc25dec4f024c27d8b0a5.json"
        )
    assert tariff.energy.periods[0][0].rate_usd_per_kwh == 0.0
    assert "energyratestructure[0][0] has neither rate nor adj" in caplog.text
    assert tariff.fixed_monthly_usd == 30


def test_zero_lookback_is_no_ratchet_and_daily_fixed_charge():
    tariff = Tariff.from_urdb(URDB / "custom_leap_year_tou_energy_tou_demand_flat_demand.json")
    assert tariff.ratchet is None
    assert tariff.fixed_daily_usd == 24.878
    assert len(tariff.flat_demand.periods) == 13


def test_api_response_shape_and_case_insensitive_keys():
    tariff = Tariff.from_urdb(MORE / "SDGE_AL-TOU_Secondary_above500kW.json")
    assert tariff.export.mode is ExportMode.NET_METERING  # "dgRules"
    assert tariff.unsupported == ("demandreactpwrcharge",)
    assert tariff.fixed_monthly_usd == 766.91


def test_options_holidays_and_export_override():
    tariff = tariff_from_urdb(
        E19,
        holiday_country="US",
        holiday_subdivision="CA",
        extra_holidays=[dt.date(2023, 12, 26)],
        export=ExportCompensation(mode=ExportMode.FLAT_RATE, flat_rate_usd_per_kwh=0.04),
    )
    assert tariff.holiday_country == "US" and tariff.holiday_subdivision == "CA"
    assert tariff.extra_holidays == frozenset({dt.date(2023, 12, 26)})
    assert tariff.export.flat_rate_usd_per_kwh == 0.04


def test_ratchet_fields():
    record = _record("custom_multi_tier_energy_demand_seasonal.json")
    record["flatdemandstructure"] = [[{"rate": 5.0}]]
    record["flatdemandmonths"] = [0] * 12
    record["lookbackpercent"] = 0.75
    record["lookbackrange"] = 11
    tariff = Tariff.from_urdb(record)
    assert tariff.ratchet.lookback_fraction == 0.75
    assert tariff.ratchet.lookback_range_months == 11
    record["lookbackrange"] = 0
    record["lookbackmonths"] = [1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    tariff = Tariff.from_urdb(record)
    assert tariff.ratchet.lookback_months[0] and tariff.ratchet.lookback_months[6]
    del record["flatdemandstructure"], record["flatdemandmonths"]
    # a ratchet without flat demand charges is not priced: recorded as unsupported
    assert "lookbackpercent" in Tariff.from_urdb(record).unsupported


def test_unknown_field_is_recorded(caplog):
    record = _record("custom_tiered_energy_tiered_tou_demand_A.json")
    record["energytouadder"] = 0.01
    with caplog.at_level(logging.WARNING, logger="markets.urdb"):
        tariff = Tariff.from_urdb(record)
    assert tariff.unsupported == ("energytouadder",)
    assert "energytouadder" in caplog.text


def test_minimum_charges():
    record = _record("custom_tiered_energy_tiered_tou_demand_A.json")
    record.update(
        minmonthlycharge=50.0, annualmincharge=900.0, mincharge=2.0, minchargeunits="$/day"
    )
    tariff = Tariff.from_urdb(record)
    assert (tariff.minimum_monthly_usd, tariff.minimum_daily_usd, tariff.minimum_annual_usd) == (
        50.0,
        2.0,
        900.0,
    )


# -- malformed records ------------------------------------------------------------------------
def _broken(mutate) -> dict:
    record = copy.deepcopy(_record("custom_rate_2tier_energy_4period_tou_demand.json"))
    mutate(record)
    return record


MALFORMED = [
    # (mutation, field named in the error)
    (lambda r: r["energyweekdayschedule"].pop(), "energyweekdayschedule"),
    (lambda r: r["demandweekendschedule"][3].append(1), "demandweekendschedule"),
    (lambda r: r["energyweekdayschedule"][0].__setitem__(5, 7), "energyweekdayschedule[0][5]"),
    (lambda r: r["energyweekendschedule"][2].__setitem__(0, 1.5), "energyweekendschedule[2][0]"),
    (
        lambda r: r["energyratestructure"][1][0].__setitem__("max", -355),
        "energyratestructure[1][0].max",
    ),
    (
        lambda r: r["energyratestructure"][1][0].__setitem__("max", 0),
        "energyratestructure[1][0].max",
    ),
    (lambda r: r["energyratestructure"][1][0].pop("max"), "energyratestructure[1][0].max"),
    (
        lambda r: r["demandratestructure"][2][1].__setitem__("max", -1),
        "demandratestructure[2][1].max",
    ),
    (
        lambda r: r["energyratestructure"][2][0].__setitem__("unit", "kWh daily"),
        "energyratestructure[2][0].unit",
    ),
    (
        lambda r: r["energyratestructure"][2][0].__setitem__("rate", "0.08"),
        "energyratestructure[2][0].rate",
    ),
    (
        lambda r: r["energyratestructure"][3][0].__setitem__("sell", -0.01),
        "energyratestructure[3][0].sell",
    ),
    (lambda r: r.update(demandrateunit="kVA"), "demandrateunit"),
    (
        lambda r: r.update(fixedchargefirstmeter=10, fixedchargeunits="$/fortnight"),
        "fixedchargeunits",
    ),
    (lambda r: r.update(mincharge=10, minchargeunits="$/kWh"), "minchargeunits"),
    (lambda r: r.update(lookbackpercent=80, lookbackrange=11), "lookbackpercent"),
    (lambda r: r.update(lookbackpercent=0.8), "lookbackmonths"),
    (lambda r: r.update(demandwindow=-15), "demandwindow"),
    (lambda r: r.update(dgrules="Feed-in Tariff"), "dgrules"),
    (lambda r: r.update(flatdemandstructure=[[{"rate": 3}]]), "flatdemandmonths"),
    (
        lambda r: r.update(flatdemandstructure=[[{"rate": 3}]], flatdemandmonths=[0] * 11 + [1]),
        "flatdemandmonths[11]",
    ),
    (lambda r: r.pop("demandweekendschedule"), "demandweekendschedule"),
    (lambda r: r.pop("energyratestructure"), "energyratestructure"),
    (lambda r: r.update(energyratestructure=[[]]), "energyratestructure[0]"),
]


@pytest.mark.parametrize(("mutate", "field"), MALFORMED, ids=[f for _, f in MALFORMED])
def test_malformed_record_names_the_field(mutate, field):
    with pytest.raises(InputError) as err:
        Tariff.from_urdb(_broken(mutate))
    assert err.value.field == field


def test_items_must_hold_one_record():
    record = _record("custom_tiered_energy_tiered_tou_demand_A.json")
    with pytest.raises(InputError) as err:
        Tariff.from_urdb({"items": [record, record]})
    assert err.value.field == "items"
    with pytest.raises(InputError) as err:
        Tariff.from_urdb(URDB / "no_such_file.json")
    assert err.value.field == "source"


def test_duplicate_keys_differing_in_case_are_rejected():
    with pytest.raises(InputError):
        load_urdb_record({"dgrules": "Net Metering", "dgRules": "Net Metering"})
