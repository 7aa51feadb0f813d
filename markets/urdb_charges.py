"""URDB charge fields -> the parts of a tariff (:mod:`markets.tariff_parts`).

One function per group of URDB fields (energy, flat demand, ratchet, demand window, fixed and
minimum charges, export compensation), and the helpers the peak charges' own readers share
(:func:`schedule`, :func:`demand_periods`, :func:`check_demand_units`; TOU demand is read in
:mod:`markets.tou_demand`), each reading a record with lower-cased keys
(see :func:`markets.urdb.load_urdb_record`) and raising :class:`~core.errors.InputError` that
names the URDB field. The semantics are listed in :mod:`markets.urdb`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from core.errors import InputError
from markets.tariff_parts import (
    DemandRatchet,
    DemandTier,
    EnergyCharges,
    EnergyTier,
    ExportCompensation,
    ExportMode,
    FlatDemandCharges,
)

__all__ = [
    "check_demand_units",
    "demand_periods",
    "demand_ratchet",
    "demand_window_minutes",
    "energy_charges",
    "export_compensation",
    "fixed_charges",
    "flat_demand_charges",
    "minimum_charges",
    "schedule",
    "text",
]

logger = logging.getLogger("markets.urdb")
"""The URDB reader's one logger, whichever of its modules warns."""

_LAST_TIER_WARN_BELOW = 1e9
"""A finite ``max`` on a last tier below this is logged (it may be a typo for a middle tier)."""


def text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(field, value, "a number")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(field, value, "a finite number")
    return number


def schedule(rec: Mapping[str, Any], field: str, n_periods: int, kind: str) -> tuple:
    if field not in rec:
        raise InputError(field, None, f"a 12 x 24 schedule (required with {kind})")
    rows = rec[field]
    if (
        not isinstance(rows, list)
        or len(rows) != 12
        or any(not isinstance(r, list) or len(r) != 24 for r in rows)
    ):
        shape = (
            (len(rows), sorted({len(r) if isinstance(r, list) else -1 for r in rows}))
            if isinstance(rows, list)
            else type(rows).__name__
        )
        raise InputError(field, f"shape {shape}", "12 rows (months) of 24 hours each")
    for m, row in enumerate(rows):
        for h, period in enumerate(row):
            if isinstance(period, bool) or not isinstance(period, int):
                raise InputError(f"{field}[{m}][{h}]", period, "an integer period index")
            if not 0 <= period < n_periods:
                raise InputError(
                    f"{field}[{m}][{h}]",
                    period,
                    f"a period index in 0..{n_periods - 1} (a period with a rate in {kind})",
                )
    return tuple(tuple(row) for row in rows)


def _tier_price(field: str, tier: Mapping[str, Any], key: str = "rate") -> float | None:
    """``rate + adj`` of a tier; None if it has neither."""
    if key not in tier and "adj" not in tier:
        return None
    price = 0.0
    if tier.get(key) is not None:
        price += _number(f"{field}.{key}", tier[key])
    if tier.get("adj") is not None:
        price += _number(f"{field}.adj", tier["adj"])
    return price


def _tier_limits(field: str, tiers: list[Mapping[str, Any]]) -> list[float]:
    limits: list[float] = []
    previous = 0.0
    for t, tier in enumerate(tiers):
        name = f"{field}[{t}].max"
        raw = tier.get("max")
        if t == len(tiers) - 1:
            if raw is not None:
                value = _number(name, raw)
                if value < 0:
                    raise InputError(name, raw, "a cumulative tier limit >= 0")
                if 0 < value < _LAST_TIER_WARN_BELOW:
                    logger.warning(
                        "%s = %s on the last tier: usage above it is billed at this tier's "
                        "rate (the last tier is unbounded, as in SAM and REopt)",
                        name,
                        raw,
                    )
            limits.append(math.inf)
            continue
        if raw is None:
            raise InputError(name, None, "a cumulative tier limit (every tier but the last)")
        value = _number(name, raw)
        if value <= 0:
            raise InputError(name, raw, "a positive cumulative tier limit")
        if value <= previous:
            raise InputError(name, raw, f"a limit above the previous tier's {previous:g}")
        limits.append(value)
        previous = value
    return limits


def _structure(rec: Mapping[str, Any], field: str) -> list[list[Mapping[str, Any]]]:
    periods = rec[field]
    if not isinstance(periods, list) or not periods:
        raise InputError(field, periods, "a non-empty list of periods")
    for p, tiers in enumerate(periods):
        if not isinstance(tiers, list) or not tiers:
            raise InputError(f"{field}[{p}]", tiers, "a non-empty list of tiers")
        for t, tier in enumerate(tiers):
            if not isinstance(tier, Mapping):
                raise InputError(f"{field}[{p}][{t}]", tier, "a tier object")
    return periods


def _check_unit(field: str, value: Any, expected: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or value.strip().lower() != expected.lower():
        raise InputError(
            field, value, f"{expected!r} (other units need data this model does not have)"
        )


def energy_charges(rec: Mapping[str, Any]) -> EnergyCharges | None:
    if not rec.get("energyratestructure"):
        for field in ("energyweekdayschedule", "energyweekendschedule"):
            if rec.get(field):
                raise InputError("energyratestructure", None, f"rates for {field}")
        return None
    field = "energyratestructure"
    periods = []
    for rows in _tier_rows(rec, field, unit="kWh"):
        parsed = []
        for name, tier, limit, price in rows:
            sell = 0.0 if tier.get("sell") is None else _number(f"{name}.sell", tier["sell"])
            if sell < 0:
                raise InputError(f"{name}.sell", sell, "a sell rate >= 0")
            parsed.append(EnergyTier(max_kwh=limit, rate_usd_per_kwh=price, sell_usd_per_kwh=sell))
        periods.append(tuple(parsed))
    n = len(periods)
    return EnergyCharges(
        periods=tuple(periods),
        weekday_schedule=schedule(rec, "energyweekdayschedule", n, field),
        weekend_schedule=schedule(rec, "energyweekendschedule", n, field),
    )


def _tier_rows(
    rec: Mapping[str, Any], field: str, *, unit: str
) -> list[list[tuple[str, Mapping[str, Any], float, float]]]:
    """Per period, per tier: ``(field name, raw tier, cumulative limit, rate + adj)``.

    Checks each tier's unit against ``unit``; a tier with neither ``rate`` nor ``adj`` is
    priced at 0 with a warning.
    """
    periods = []
    for p, tiers in enumerate(_structure(rec, field)):
        limits = _tier_limits(f"{field}[{p}]", tiers)
        rows = []
        for t, tier in enumerate(tiers):
            name = f"{field}[{p}][{t}]"
            _check_unit(f"{name}.unit", tier.get("unit"), unit)
            price = _tier_price(name, tier)
            if price is None:
                logger.warning("%s has neither rate nor adj: priced at 0 $/%s", name, unit)
                price = 0.0
            rows.append((name, tier, limits[t], price))
        periods.append(rows)
    return periods


def demand_periods(rec: Mapping[str, Any], field: str) -> tuple[tuple[DemandTier, ...], ...]:
    return tuple(
        tuple(DemandTier(max_kw=limit, rate_usd_per_kw=price) for _, _, limit, price in rows)
        for rows in _tier_rows(rec, field, unit="kW")
    )


def check_demand_units(rec: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        _check_unit(field, rec.get(field), "kW")


def flat_demand_charges(rec: Mapping[str, Any]) -> FlatDemandCharges | None:
    if not rec.get("flatdemandstructure"):
        return None
    check_demand_units(rec, ("flatdemandunit", "flatdemandunits", "demandunits"))
    periods = demand_periods(rec, "flatdemandstructure")
    months = rec.get("flatdemandmonths")
    if not isinstance(months, list) or len(months) != 12:
        raise InputError(
            "flatdemandmonths", months, "12 flat demand period indexes (one per month)"
        )
    for m, period in enumerate(months):
        if isinstance(period, bool) or not isinstance(period, int):
            raise InputError(f"flatdemandmonths[{m}]", period, "an integer period index")
        if not 0 <= period < len(periods):
            raise InputError(
                f"flatdemandmonths[{m}]",
                period,
                f"a period index in 0..{len(periods) - 1} (a period in flatdemandstructure)",
            )
    return FlatDemandCharges(periods=periods, month_periods=tuple(months))


def demand_ratchet(rec: Mapping[str, Any]) -> DemandRatchet | None:
    raw = rec.get("lookbackpercent")
    if raw is None:
        return None
    fraction = _number("lookbackpercent", raw)
    if not 0 <= fraction <= 1:
        raise InputError("lookbackpercent", raw, "a fraction in [0, 1] (0.8 means 80 %)")
    if fraction == 0:
        return None
    months_raw = rec.get("lookbackmonths") or [0] * 12
    if not isinstance(months_raw, list) or len(months_raw) != 12:
        raise InputError("lookbackmonths", months_raw, "12 flags (0 or 1)")
    for m, flag in enumerate(months_raw):
        if flag not in (0, 1):
            raise InputError(f"lookbackmonths[{m}]", flag, "0 or 1")
    range_raw = rec.get("lookbackrange") or 0
    if isinstance(range_raw, bool) or not isinstance(range_raw, int) or range_raw < 0:
        raise InputError("lookbackrange", range_raw, "a whole number of months >= 0")
    months = tuple(bool(flag) for flag in months_raw)
    if not any(months) and range_raw == 0:
        raise InputError(
            "lookbackmonths", months_raw, "a look-back month or lookbackrange > 0 with a percent"
        )
    return DemandRatchet(
        lookback_fraction=fraction, lookback_months=months, lookback_range_months=range_raw
    )


def demand_window_minutes(rec: Mapping[str, Any]) -> float | None:
    raw = rec.get("demandwindow")
    if raw is None:
        return None
    minutes = _number("demandwindow", raw)
    if minutes <= 0:
        raise InputError("demandwindow", raw, "a positive number of minutes")
    return minutes


def fixed_charges(rec: Mapping[str, Any], unsupported: list[str]) -> tuple[float, float]:
    monthly = daily = 0.0
    legacy = rec.get("fixedmonthlycharge")
    legacy_usd = None if legacy is None else _number("fixedmonthlycharge", legacy)
    first = rec.get("fixedchargefirstmeter")
    if first is not None:
        amount = _number("fixedchargefirstmeter", first)
        units = rec.get("fixedchargeunits", "$/month")
        if units == "$/month":
            monthly = amount
        elif units == "$/day":
            daily = amount
        else:
            raise InputError("fixedchargeunits", units, "'$/month' or '$/day'")
        if legacy_usd is not None and not (units == "$/month" and legacy_usd == amount):
            unsupported.append("fixedmonthlycharge")
    elif legacy_usd is not None:
        monthly = legacy_usd
    return monthly, daily


def minimum_charges(rec: Mapping[str, Any]) -> tuple[float, float, float]:
    monthly = daily = annual = 0.0
    if rec.get("minmonthlycharge") is not None:
        monthly += _number("minmonthlycharge", rec["minmonthlycharge"])
    if rec.get("annualmincharge") is not None:
        annual += _number("annualmincharge", rec["annualmincharge"])
    if rec.get("mincharge") is not None:
        amount = _number("mincharge", rec["mincharge"])
        units = rec.get("minchargeunits", "$/month")
        if units == "$/month":
            monthly += amount
        elif units == "$/day":
            daily += amount
        elif units == "$/year":
            annual += amount
        else:
            raise InputError("minchargeunits", units, "'$/month', '$/day' or '$/year'")
    for name, value in (("minmonthlycharge", monthly), ("annualmincharge", annual)):
        if value < 0:
            raise InputError(name, value, "a minimum charge >= 0")
    if daily < 0:
        raise InputError("mincharge", daily, "a minimum charge >= 0")
    return monthly, daily, annual


def export_compensation(
    rec: Mapping[str, Any], energy: EnergyCharges | None, unsupported: list[str]
) -> ExportCompensation:
    rules = rec.get("dgrules")
    has_sell = energy is not None and any(
        tier.sell_usd_per_kwh > 0 for tiers in energy.periods for tier in tiers
    )
    sell_mode = ExportMode.SELL_RATE if energy is not None else ExportMode.NONE
    if rules is not None:
        text = str(rules).strip().lower()
        if text == "net metering":
            return ExportCompensation(mode=ExportMode.NET_METERING)
        if text in ("net billing instantaneous", "net billing hourly"):
            return ExportCompensation(mode=sell_mode)
        if text == "buy all sell all":
            unsupported.append("dgrules")
            return ExportCompensation(mode=sell_mode)
        raise InputError(
            "dgrules",
            rules,
            "'Net Metering', 'Net Billing Instantaneous', 'Net Billing Hourly' or "
            "'Buy All Sell All'",
        )
    if rec.get("usenetmetering") is True:
        return ExportCompensation(mode=ExportMode.NET_METERING)
    if has_sell:
        return ExportCompensation(mode=ExportMode.SELL_RATE)
    return ExportCompensation(mode=ExportMode.NONE)
