"""An independent bill reference: NREL SAM's utility-rate module (``PySAM.Utilityrate5``).

This module turns a *raw* URDB rate record (the JSON dict, never valuestack's ``Tariff``) and an
hourly load (and optionally an hourly generation) into SAM's ``ElectricityRates`` inputs, runs
SAM offline and returns SAM's year-1 monthly bill components. It is written from the URDB field
definitions and SAM's input conventions (``cmod_utilityrate5`` / ``lib_utility_rate_equations``
in NREL/ssc) and shares no code with ``markets/``, so agreement between the two is evidence.

SAM's conventions that matter (see docs/sam_crosscheck.md for the comparison itself):

- SAM bills an 8760-hour year that starts on a Monday (calendar 2018), with no DST and no
  holidays; the hour ``h`` of the array is hour ``h % 24`` of day ``h // 24``.
- SAM schedules and period numbers are 1-indexed (URDB's are 0-indexed): ``+1`` everywhere.
- ``ur_ec_tou_mat`` rows are ``[period, tier, max_usage, max_usage_units, buy, sell]``; the tier
  maxima are cumulative kWh per month (units ``0``). SAM requires every energy period used in a
  month to have the same tier count and the same tier maxima, because it applies the month's
  tier boundaries to the month's *total* energy and prorates each period's share
  (``ec_energy_use(ir, ic) = per_energy / tot_energy * ub_tier``).
- ``ur_dc_tou_mat`` rows are ``[period, tier, max_kw, usd_per_kw]``; ``ur_dc_flat_mat`` rows are
  ``[month (0-11), tier, max_kw, usd_per_kw]``; demand tier maxima are cumulative kW.
- SAM has no $/day fixed charge: a URDB ``$/day`` fixed charge is entered as
  ``daily * 365 / 12`` dollars per month (what SAM's own URDB import does).
- Metering options: 0 = net metering with kWh rollover (netting per TOU period and month,
  surplus kWh rolls into the next month), 1 = net metering with $ rollover, 2 = net billing
  (hourly: each imported kWh at the buy rate, each exported kWh at the sell rate, no rollover),
  3 = net billing with $ rollover, 4 = buy all / sell all.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COMPONENTS",
    "HOURS_PER_YEAR",
    "SAM_TZ",
    "SAM_YEAR",
    "UNLIMITED",
    "MeteringOption",
    "SamBill",
    "SamUnsupportedError",
    "clear_sky_pv_kw",
    "crb_load_kw",
    "hourly_index",
    "read_urdb_record",
    "run_sam",
    "sam_rate_inputs",
]

SAM_YEAR = 2018
"""Calendar year whose January 1st is a Monday, like SAM's built-in year."""
SAM_TZ = "Etc/GMT+8"
"""A fixed-offset zone (UTC-8, no DST) for the valuestack side, so both engines see 8760 equal
local hours with the same month boundaries and weekdays."""
HOURS_PER_YEAR = 8760
UNLIMITED = 1e38
"""SAM's "no upper bound" for a tier."""

COMPONENTS = (
    "energy_usd",
    "demand_flat_usd",
    "demand_tou_usd",
    "fixed_usd",
    "minimum_usd",
    "total_usd",
)
"""The monthly components both engines report (valuestack ``Bill.monthly`` column names)."""


class SamUnsupportedError(ValueError):
    """The URDB record has a feature SAM cannot represent as given."""


class MeteringOption(enum.IntEnum):
    """SAM's ``ur_metering_option``."""

    NET_METERING_KWH_ROLLOVER = 0
    NET_METERING_USD_ROLLOVER = 1
    NET_BILLING = 2
    NET_BILLING_USD_ROLLOVER = 3
    BUY_ALL_SELL_ALL = 4


# -- data readers ------------------------------------------------------------------------------
def read_urdb_record(path: str | Path) -> dict[str, Any]:
    """Read one URDB rate record from a JSON file (bare record, list, or ``{"items": [...]}``)."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(f"{path}: expected one rate record, found {len(data)}")
        data = data[0]
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a URDB rate record")
    return data


def crb_load_kw(data_dir: Path, city: str, building: str) -> np.ndarray:
    """A DOE commercial reference building's hourly load [kW] (8760 values).

    The normalized profile (fractions of annual kWh) times the building's annual kWh from
    ``total_electric_annual_kwh.json``; hourly energy [kWh] equals mean power [kW].
    """
    folder = Path(data_dir) / "reopt" / "load_profiles_crb_normalized"
    fractions = np.loadtxt(folder / f"crb8760_norm_{city}_{building}.dat")
    annual = json.loads((folder / "total_electric_annual_kwh.json").read_text())
    annual_kwh = float(annual[city][building.lower()])
    if fractions.shape != (HOURS_PER_YEAR,):
        raise ValueError(f"{city} {building}: {fractions.shape} values, expected 8760")
    return fractions * annual_kwh


def hourly_index(tz: str = SAM_TZ) -> pd.DatetimeIndex:
    """The 8760 interval-start hours of calendar 2018 in ``tz``."""
    return pd.date_range(f"{SAM_YEAR}-01-01", periods=HOURS_PER_YEAR, freq="h", tz=tz)


def clear_sky_pv_kw(
    peak_kw: float, *, latitude: float = 34.05, longitude: float = -118.25, tz: str = SAM_TZ
) -> np.ndarray:
    """A clear-sky PV shape [kW] from pvlib (Ineichen GHI scaled so 1000 W/m2 gives ``peak_kw``).

    The hour-beginning labels are shifted by 30 min so each value is the mid-hour irradiance.
    """
    import pvlib

    index = hourly_index(tz) + pd.Timedelta(minutes=30)
    location = pvlib.location.Location(latitude, longitude, tz=tz)
    ghi = location.get_clearsky(index, model="ineichen")["ghi"].to_numpy()
    return np.clip(ghi, 0.0, None) / 1000.0 * peak_kw


# -- URDB -> SAM ---------------------------------------------------------------------------------
def _tier_max(entry: dict[str, Any], is_last: bool, where: str) -> float:
    """Cumulative upper bound of a tier; the last tier is unbounded.

    URDB writes an unbounded last tier as a missing ``max``, a huge number (1e14, 1e38) or, in
    some REopt custom rates, ``0``. A non-last tier must carry a positive bound.
    """
    raw = entry.get("max")
    if is_last:
        return UNLIMITED
    if raw is None or not float(raw) > 0:
        raise SamUnsupportedError(f"{where}: tier max {raw!r} on a tier that is not the last")
    return float(raw)


def _rate(entry: dict[str, Any]) -> float:
    """URDB ``rate + adj`` (a tier without ``rate`` charges nothing)."""
    return float(entry.get("rate", 0.0) or 0.0) + float(entry.get("adj", 0.0) or 0.0)


def _schedule(record: dict[str, Any], key: str) -> list[list[int]]:
    rows = record[key]
    if len(rows) != 12 or any(len(r) != 24 for r in rows):
        raise ValueError(f"{key}: expected 12 x 24")
    return [[int(p) + 1 for p in row] for row in rows]


def _padded_bounds(
    bounds: list[list[float]], weekday: list[list[int]], weekend: list[list[int]], name: str
) -> list[list[float]]:
    """Tier bounds per period, single-tier periods padded to the bounds of their months.

    SAM demands identical tier maxima for every period that occurs in a month (energy and TOU
    demand alike). A period with one unbounded tier prices every kWh (kW) alike, so giving it
    the month's tier bounds with its one rate repeated in each tier does not change its price; a
    period with tier bounds of its own that differ from another period's in the same month
    cannot be represented and raises :class:`SamUnsupportedError`.
    """
    target = [list(b) for b in bounds]
    for m in range(12):
        used = sorted(set(weekday[m]) | set(weekend[m]))
        multi = {tuple(bounds[p]) for p in used if len(bounds[p]) > 1}
        if len(multi) > 1:
            raise SamUnsupportedError(
                f"{name}, month {m + 1}: periods {used} differ in tier bounds"
            )
        if multi:
            shared = list(next(iter(multi)))
            for p in used:
                if len(bounds[p]) == 1:
                    if len(target[p]) > 1 and target[p] != shared:
                        raise SamUnsupportedError(f"{name}: period {p} needs two tier paddings")
                    target[p] = shared
    return target


def _energy_matrix(record: dict[str, Any]) -> list[list[float]]:
    """``ur_ec_tou_mat`` (with single-tier periods padded, see :func:`_padded_bounds`)."""
    structure = record["energyratestructure"]
    bounds: list[list[float]] = []
    for p, tiers in enumerate(structure):
        for t, entry in enumerate(tiers):
            unit = str(entry.get("unit", "kWh")).lower()
            if unit != "kwh":
                raise SamUnsupportedError(f"energyratestructure[{p}][{t}]: unit {unit!r}")
        bounds.append(
            [
                _tier_max(e, t == len(tiers) - 1, f"energyratestructure[{p}][{t}]")
                for t, e in enumerate(tiers)
            ]
        )
    target = _padded_bounds(
        bounds,
        record["energyweekdayschedule"],
        record["energyweekendschedule"],
        "energyratestructure",
    )
    rows: list[list[float]] = []
    for p, tiers in enumerate(structure):
        for t, ub in enumerate(target[p]):
            entry = tiers[min(t, len(tiers) - 1)]
            sell = float(entry.get("sell", 0.0) or 0.0)
            rows.append([p + 1, t + 1, ub, 0, _rate(entry), sell])
    return rows


def _demand_rows(structure: list[list[dict[str, Any]]], name: str) -> list[list[list[float]]]:
    """Per period, the tiers as ``[max_kw, usd_per_kw]``."""
    out = []
    for p, tiers in enumerate(structure):
        out.append(
            [
                [_tier_max(e, t == len(tiers) - 1, f"{name}[{p}][{t}]"), _rate(e)]
                for t, e in enumerate(tiers)
            ]
        )
    return out


def _fixed_monthly_usd(record: dict[str, Any]) -> float:
    """SAM's ``ur_monthly_fixed_charge``: $/month, or $/day x 365/12, or $/year / 12."""
    if "fixedchargefirstmeter" in record:
        value = float(record["fixedchargefirstmeter"] or 0.0)
        units = record.get("fixedchargeunits", "$/month")
        if units == "$/day":
            return value * 365.0 / 12.0
        if units == "$/year":
            return value / 12.0
        if units != "$/month":
            raise SamUnsupportedError(f"fixedchargeunits {units!r}")
        return value
    return float(record.get("fixedmonthlycharge", 0.0) or 0.0)


def _minimum_charges(record: dict[str, Any]) -> tuple[float, float]:
    """(monthly, annual) minimum charges [$]."""
    monthly = float(record.get("minmonthlycharge", 0.0) or 0.0)
    annual = float(record.get("annualmincharge", 0.0) or 0.0)
    if "mincharge" in record:
        value = float(record["mincharge"] or 0.0)
        units = record.get("minchargeunits", "$/month")
        if units == "$/year":
            annual = value
        elif units == "$/day":
            monthly = value * 365.0 / 12.0
        else:
            monthly = value
    return monthly, annual


def sam_rate_inputs(
    record: dict[str, Any],
    *,
    metering_option: MeteringOption = MeteringOption.NET_METERING_KWH_ROLLOVER,
    sell_eq_buy: bool = False,
    yearend_sell_rate_usd_per_kwh: float = 0.0,
) -> dict[str, Any]:
    """SAM ``ElectricityRates`` inputs for a URDB record.

    Parameters
    ----------
    record : dict
        A URDB rate record.
    metering_option : MeteringOption, default NET_METERING_KWH_ROLLOVER
        SAM's export semantics (SAM's own default is 0). Options 0 and 1 reconcile energy
        monthly per period (tier boundaries prorated across the month's periods, as valuestack
        does); options 2-4 reconcile each hour and bill the hour in its own period's rates for
        the tiers that the month's running total passes through, which differs from the
        prorated rule on rates whose periods share tiers.
    sell_eq_buy : bool, default False
        SAM's ``ur_sell_eq_buy``: credit exports at the buy rate.
    yearend_sell_rate_usd_per_kwh : float, default 0.0
        SAM's ``ur_nm_yearend_sell_rate`` (true-up of kWh credits left in December) [$/kWh].

    Returns
    -------
    dict
        Ready for ``Utilityrate5.ElectricityRates.assign``.

    Raises
    ------
    SamUnsupportedError
        If the record has a feature SAM cannot represent (see :func:`_energy_matrix`).
    """
    inputs: dict[str, Any] = {
        "en_electricity_rates": 1,
        "rate_escalation": (0.0,),
        "ur_metering_option": int(metering_option),
        "ur_sell_eq_buy": int(sell_eq_buy),
        "ur_nm_yearend_sell_rate": float(yearend_sell_rate_usd_per_kwh),
        "ur_nm_credit_month": 11,
        "ur_nm_credit_rollover": 0,
        "ur_en_ts_sell_rate": 0,
        "ur_en_ts_buy_rate": 0,
        "TOU_demand_single_peak": 0,
        "ur_monthly_fixed_charge": _fixed_monthly_usd(record),
        "ur_yearzero_usage_peaks": [0.0] * 12,
    }
    inputs["ur_monthly_min_charge"], inputs["ur_annual_min_charge"] = _minimum_charges(record)

    if record.get("energyratestructure"):
        inputs["ur_ec_sched_weekday"] = _schedule(record, "energyweekdayschedule")
        inputs["ur_ec_sched_weekend"] = _schedule(record, "energyweekendschedule")
        inputs["ur_ec_tou_mat"] = _energy_matrix(record)
    else:
        inputs["ur_ec_sched_weekday"] = [[1] * 24 for _ in range(12)]
        inputs["ur_ec_sched_weekend"] = [[1] * 24 for _ in range(12)]
        inputs["ur_ec_tou_mat"] = [[1, 1, UNLIMITED, 0, 0.0, 0.0]]

    has_tou = bool(record.get("demandratestructure"))
    has_flat = bool(record.get("flatdemandstructure"))
    inputs["ur_dc_enable"] = int(has_tou or has_flat)
    if has_tou:
        inputs["ur_dc_sched_weekday"] = _schedule(record, "demandweekdayschedule")
        inputs["ur_dc_sched_weekend"] = _schedule(record, "demandweekendschedule")
        periods = _demand_rows(record["demandratestructure"], "demandratestructure")
        target = _padded_bounds(
            [[ub for ub, _ in tiers] for tiers in periods],
            record["demandweekdayschedule"],
            record["demandweekendschedule"],
            "demandratestructure",
        )
        inputs["ur_dc_tou_mat"] = [
            [p + 1, t + 1, ub, periods[p][min(t, len(periods[p]) - 1)][1]]
            for p in range(len(periods))
            for t, ub in enumerate(target[p])
        ]
    else:
        # One all-hours TOU period at $0/kW: SAM needs a TOU table when demand charges are on.
        inputs["ur_dc_sched_weekday"] = [[1] * 24 for _ in range(12)]
        inputs["ur_dc_sched_weekend"] = [[1] * 24 for _ in range(12)]
        inputs["ur_dc_tou_mat"] = [[1, 1, UNLIMITED, 0.0]]
    if has_flat:
        flat = _demand_rows(record["flatdemandstructure"], "flatdemandstructure")
        months = record.get("flatdemandmonths", [0] * 12)
        inputs["ur_dc_flat_mat"] = [
            [m, t + 1, ub, rate]
            for m in range(12)
            for t, (ub, rate) in enumerate(flat[int(months[m])])
        ]
    else:
        inputs["ur_dc_flat_mat"] = [[m, 1, UNLIMITED, 0.0] for m in range(12)]

    lookback = float(record.get("lookbackpercent", 0.0) or 0.0)
    if lookback > 0:
        if has_tou:
            raise SamUnsupportedError("a ratchet with TOU demand periods is not mapped here")
        lookback_range = int(record.get("lookbackrange") or 0)
        # URDB: either a range of preceding months (all count) or flagged calendar months
        # among the preceding 11.
        months = [1] * 12 if lookback_range > 0 else list(record.get("lookbackmonths") or [])
        if len(months) != 12 or not any(months):
            raise SamUnsupportedError("lookbackpercent without lookbackrange or lookbackmonths")
        # [percent of month m's peak that counts, whether month's own peak counts at 100 %]
        inputs["ur_billing_demand_lookback_percentages"] = [
            [lookback * 100.0 if months[m] else 0.0, 1] for m in range(12)
        ]
        inputs["ur_billing_demand_lookback_period"] = lookback_range or 11
        inputs["ur_billing_demand_minimum"] = 0.0
        # The dummy all-hours TOU period carries the monthly peak into the billing demand.
        inputs["ur_dc_billing_demand_periods"] = [[1, 1]]
        inputs["ur_enable_billing_demand"] = 1
    else:
        inputs["ur_enable_billing_demand"] = 0
    return inputs


# -- running SAM --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SamBill:
    """SAM's year-1 bill, month by month (index 1..12).

    ``monthly`` has the columns of :data:`COMPONENTS` plus ``export_credit_usd`` (SAM's
    ``net_billing_credits_ym``: the $ credited for exports under net billing) and
    ``energy_net_usd`` (SAM's ``charge_w_sys_ec_ym``, i.e. imports minus export credits). For
    net billing ``energy_usd = energy_net_usd + export_credit_usd`` is the gross import charge.
    """

    monthly: pd.DataFrame
    peak_kw: np.ndarray
    """Monthly peak grid import (SAM's ``year1_monthly_peak_w_system``) [kW]."""

    @property
    def total_usd(self) -> float:
        """Year-1 bill [$]."""
        return float(self.monthly["total_usd"].sum())


def run_sam(
    rate_inputs: dict[str, Any],
    load_kw: np.ndarray,
    gen_kw: np.ndarray | None = None,
    *,
    yearzero_peaks_kw: np.ndarray | None = None,
) -> SamBill:
    """Bill ``load_kw - gen_kw`` (8760 hourly values) with SAM; return year-1 monthly parts.

    Parameters
    ----------
    rate_inputs : dict
        From :func:`sam_rate_inputs`.
    load_kw : numpy.ndarray
        8760 hourly load values, >= 0 [kW].
    gen_kw : numpy.ndarray, optional
        8760 hourly generation values, >= 0 [kW]; zeros if omitted.
    yearzero_peaks_kw : numpy.ndarray, optional
        12 monthly peaks of the year before (SAM's ``ur_yearzero_usage_peaks``), read only by
        demand ratchets [kW]; zeros if omitted.
    """
    import PySAM.Utilityrate5 as utilityrate5

    load = np.asarray(load_kw, dtype=float)
    gen = np.zeros(HOURS_PER_YEAR) if gen_kw is None else np.asarray(gen_kw, dtype=float)
    if load.shape != (HOURS_PER_YEAR,) or gen.shape != (HOURS_PER_YEAR,):
        raise ValueError(f"load {load.shape} / gen {gen.shape}: expected 8760 hourly values")
    if (
        (load < 0).any()
        or (gen < 0).any()
        or not (np.isfinite(load).all() and np.isfinite(gen).all())
    ):
        raise ValueError("load and gen must be finite and >= 0")
    inputs = dict(rate_inputs)
    if yearzero_peaks_kw is not None:
        inputs["ur_yearzero_usage_peaks"] = [float(v) for v in yearzero_peaks_kw]

    model = utilityrate5.new()
    model.Lifetime.analysis_period = 1
    model.Lifetime.system_use_lifetime_output = 0
    model.Lifetime.inflation_rate = 0.0
    model.SystemOutput.gen = tuple(gen)
    model.SystemOutput.degradation = (0.0,)
    model.Load.load = tuple(load)
    model.Load.load_escalation = (0.0,)
    model.ElectricityRates.assign(inputs)
    model.execute(0)
    out = model.Outputs

    def year1(name: str) -> np.ndarray:
        values = np.asarray(getattr(out, name), dtype=float)
        return values[1]  # row 0 is "year 0"

    monthly = pd.DataFrame(
        {
            "energy_net_usd": year1("charge_w_sys_ec_ym"),
            "export_credit_usd": year1("net_billing_credits_ym"),
            "demand_flat_usd": year1("charge_w_sys_dc_fixed_ym"),
            "demand_tou_usd": year1("charge_w_sys_dc_tou_ym"),
            "fixed_usd": year1("charge_w_sys_fixed_ym"),
            "minimum_usd": year1("charge_w_sys_minimum_ym"),
            "total_usd": year1("utility_bill_w_sys_ym"),
        },
        index=pd.RangeIndex(1, 13, name="month"),
    )
    monthly.insert(0, "energy_usd", monthly["energy_net_usd"] + monthly["export_credit_usd"])
    peak = np.asarray(out.year1_monthly_peak_w_system, dtype=float)
    if not math.isclose(float(monthly["total_usd"].sum()), float(out.utility_bill_w_sys[1])):
        raise RuntimeError("SAM's monthly bills do not add up to its annual bill")
    return SamBill(monthly=monthly, peak_kw=peak)
