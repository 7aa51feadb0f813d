"""Read OpenEI Utility Rate Database (URDB) records into :class:`~markets.tariff.Tariff`.

The I/O edge for retail tariffs: a URDB record (a JSON file, a dict, or an API response of the
shape ``{"items": [record]}``) is checked field by field and turned into frozen dataclasses.
A malformed record raises :class:`~core.errors.InputError` naming the URDB field, e.g.
``"energyratestructure[1][0].max"``; nothing is guessed.

Semantics (URDB leaves some open; NREL SAM's utility-rate model is the reference):

- Keys are matched case-insensitively (real records spell ``dgRules`` and ``dgrules``).
- Periods are 0-indexed; schedules are 12 months x 24 hours of period indexes. A schedule
  entry that names a period with no rate structure is an error.
- A tier's price is ``rate + adj`` (either may be absent; a tier with neither is priced at
  0 and a warning is logged, as in the Dixie Escalante net-metering record whose only tier
  has no price).
- Tier ``max`` is a cumulative upper bound. Every tier but the last needs a positive ``max``
  above the previous one. The last tier is unbounded whatever its ``max`` says (absent,
  ``0`` as REopt's custom rates write it, or ``1e38`` as SAM writes it), as SAM and REopt
  treat it; a finite last-tier ``max`` below 1e9 is logged as a warning.
- Energy tier ``unit`` must be ``kWh``; demand units (``demandrateunit``, ``flatdemandunit``,
  ``demandunits`` and tier ``unit``) must be ``kW``. Other units (``kWh/kW``, ``kWh daily``,
  ``kVA``, ``hp``) raise: they need billing data this model does not have.
- Fixed charges: ``fixedchargefirstmeter`` with ``fixedchargeunits`` ``$/month`` or ``$/day``;
  the legacy ``fixedmonthlycharge`` is $/month. If both are given the current field wins and
  the legacy one is recorded as unsupported (unless it is the same $/month figure).
- Minimum charges: ``minmonthlycharge`` ($/month), ``annualmincharge`` ($/year) and
  ``mincharge`` with ``minchargeunits`` (``$/month``, ``$/day`` or ``$/year``).
- Ratchets: ``lookbackpercent`` is a fraction (0-1; a value above 1 is rejected rather than
  read as a percentage), with ``lookbackmonths`` (12 flags) or ``lookbackrange`` (months).
  A zero ``lookbackpercent`` means no ratchet. The ratchet applies to the flat (monthly)
  demand, as in REopt; on a tariff without flat demand charges it is recorded as unsupported.
- Export compensation, unless the caller passes ``export``: ``dgrules`` "Net Metering" (or
  ``usenetmetering`` true) -> net metering; "Net Billing Instantaneous" / "Net Billing Hourly"
  -> each exported kWh earns its period's ``sell`` rate; "Buy All Sell All" is not modelled
  (recorded as unsupported, exports then earn the sell rate). Without ``dgrules``: sell rates
  present -> sell rate, else exports earn nothing.
- Fields that change a bill but are not modelled (coincident demand, reactive power charges,
  ``energyattrs`` / ``demandattrs`` riders, additional-meter charges, and any field this
  loader does not know) are listed in ``Tariff.unsupported`` and logged as a warning.
  Descriptive metadata (name, dates, voltage and capacity applicability limits, comments) is
  read or ignored silently.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.plausibility import check_rate
from markets.tariff import (
    DemandRatchet,
    DemandTier,
    EnergyCharges,
    EnergyTier,
    ExportCompensation,
    ExportMode,
    FlatDemandCharges,
    Tariff,
    TouDemandCharges,
)

__all__ = ["load_urdb_record", "tariff_from_urdb"]

logger = logging.getLogger(__name__)

_LAST_TIER_WARN_BELOW = 1e9
"""A finite ``max`` on a last tier below this is logged (it may be a typo for a middle tier)."""

_MODELLED = frozenset(
    {
        "energyratestructure",
        "energyweekdayschedule",
        "energyweekendschedule",
        "demandratestructure",
        "demandweekdayschedule",
        "demandweekendschedule",
        "flatdemandstructure",
        "flatdemandmonths",
        "demandwindow",
        "lookbackpercent",
        "lookbackmonths",
        "lookbackrange",
        "fixedchargefirstmeter",
        "fixedchargeunits",
        "fixedmonthlycharge",
        "minmonthlycharge",
        "annualmincharge",
        "mincharge",
        "minchargeunits",
        "dgrules",
        "usenetmetering",
        "demandrateunit",
        "demandrateunits",
        "flatdemandunit",
        "flatdemandunits",
        "demandunits",
        "name",
        "utility",
        "label",
    }
)
"""Fields this loader prices or checks."""

_METADATA = frozenset(
    {
        "uri",
        "sector",
        "description",
        "source",
        "sourceparent",
        "sourcereference",
        "startdate",
        "enddate",
        "approved",
        "is_default",
        "revisions",
        "supersedes",
        "supercedes",
        "eiaid",
        "country",
        "servicetype",
        "voltagecategory",
        "voltageminimum",
        "voltagemaximum",
        "phasewiring",
        "peakkwcapacitymin",
        "peakkwcapacitymax",
        "peakkwcapacityhistory",
        "peakkwhusagemin",
        "peakkwhusagemax",
        "peakkwhusagehistory",
        "mindemand",
        "maxdemand",
        "servicemax",
        "basicinformationcomments",
        "energycomments",
        "demandcomments",
        "utility_name",
        "rateurl",
        "jsonurl",
        "latest_update",
    }
)
"""Descriptive fields: who, where, when and to whom the rate applies; no charge."""


# -- entry point ------------------------------------------------------------------------------
def load_urdb_record(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Read one URDB record and return it with lower-cased keys.

    Parameters
    ----------
    source : str, pathlib.Path or mapping
        A path to a JSON file, or the parsed JSON: a record, or an API response
        ``{"items": [record]}`` holding exactly one record.

    Returns
    -------
    dict
        The record, keys lower-cased.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError("source", str(source), "a path to a URDB JSON file")
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise InputError(
                "source", f"{source} (byte {exc.start})", "a UTF-8 encoded JSON file"
            ) from None
        except json.JSONDecodeError as exc:
            raise InputError("source", str(source), f"valid JSON ({exc})") from exc
    else:
        data = source
    if not isinstance(data, Mapping):
        raise InputError("source", type(data).__name__, "a URDB record (a JSON object)")
    if "error" in data or "errors" in data:
        error = data.get("error", data.get("errors"))
        raise InputError(
            "source", error, "a URDB rate record, not an API error response (check the API key)"
        )
    if "items" in data:
        items = data["items"]
        if not isinstance(items, list) or len(items) != 1:
            count = len(items) if isinstance(items, list) else type(items).__name__
            raise InputError("items", count, "a list holding exactly one rate record")
        data = items[0]
        if not isinstance(data, Mapping):
            raise InputError("items[0]", type(data).__name__, "a URDB record (a JSON object)")
    record: dict[str, Any] = {}
    for key, value in data.items():
        lower = str(key).lower()
        if lower in record:
            raise InputError(str(key), value, f"one field named {lower!r} (case-insensitive)")
        record[lower] = value
    return record


def tariff_from_urdb(
    source: str | Path | Mapping[str, Any],
    *,
    holiday_country: str | None = None,
    holiday_subdivision: str | None = None,
    extra_holidays: Iterable[dt.date] = (),
    export: ExportCompensation | None = None,
    allow_negative_rates: bool = False,
) -> Tariff:
    """Parse a URDB rate record into a :class:`~markets.tariff.Tariff`.

    Parameters
    ----------
    source : str, pathlib.Path or mapping
        A URDB JSON file, a record, or an API response ``{"items": [record]}``.
    holiday_country : str, optional
        Bill this country's public holidays (``holidays`` package, e.g. ``"US"``) on the weekend
        schedules. URDB records do not list holidays, so the default bills none.
    holiday_subdivision : str, optional
        State or province for ``holiday_country`` (e.g. ``"CA"``).
    extra_holidays : iterable of datetime.date, default ()
        Further dates billed on the weekend schedules.
    export : ExportCompensation, optional
        Override the export compensation read from the record (e.g. a flat export rate).
    allow_negative_rates : bool, default False
        Accept negative energy or demand rates (credits); otherwise they are errors.

    Returns
    -------
    Tariff

    Raises
    ------
    InputError
        Naming the URDB field that is malformed, a rate outside the plausible range
        (:mod:`core.plausibility`), or a record with no energy, demand, fixed or minimum
        charge at all (an empty ``{}`` would bill $0).
    """
    rec = load_urdb_record(source)
    unsupported: list[str] = []

    energy = _energy_charges(rec)
    tou_demand = _tou_demand_charges(rec)
    flat_demand = _flat_demand_charges(rec)
    ratchet = _ratchet(rec)
    if ratchet is not None and flat_demand is None:
        unsupported.append("lookbackpercent")
        ratchet = None
    window = _demand_window(rec)
    fixed_monthly, fixed_daily = _fixed_charges(rec, unsupported)
    min_monthly, min_daily, min_annual = _minimum_charges(rec)
    export_comp = export if export is not None else _export(rec, energy, unsupported)
    if not isinstance(export_comp, ExportCompensation):
        raise InputError("export", export_comp, "an ExportCompensation")

    for key, value in rec.items():
        if key in _MODELLED or key in _METADATA or key in unsupported:
            continue
        if value in (None, "", [], {}, 0, 0.0, False):
            continue  # an empty field charges nothing
        unsupported.append(key)

    _check_plausible(energy, tou_demand, flat_demand, allow_negative=allow_negative_rates)
    if energy is None and tou_demand is None and flat_demand is None:
        _check_charges_something(
            rec, fixed_monthly, fixed_daily, min_monthly, min_daily, min_annual
        )
    tariff = Tariff(
        name=_text(rec.get("name")) or _text(rec.get("label")) or "unnamed URDB record",
        utility=_text(rec.get("utility")),
        label=_text(rec.get("label")),
        energy=energy,
        tou_demand=tou_demand,
        flat_demand=flat_demand,
        ratchet=ratchet,
        demand_window_minutes=window,
        fixed_monthly_usd=fixed_monthly,
        fixed_daily_usd=fixed_daily,
        minimum_monthly_usd=min_monthly,
        minimum_daily_usd=min_daily,
        minimum_annual_usd=min_annual,
        export=export_comp,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        extra_holidays=frozenset(extra_holidays),
        unsupported=tuple(sorted(set(unsupported))),
    )
    if tariff.unsupported:
        logger.warning(
            "URDB record %r: fields not modelled, their charges are left out of bills: %s",
            tariff.name,
            ", ".join(tariff.unsupported),
        )
    return tariff


# -- pieces ---------------------------------------------------------------------------------
def _check_charges_something(rec: Mapping[str, Any], *amounts_usd: float) -> None:
    """A record without energy and demand charges must charge a fixed or minimum amount."""
    if not any(amounts_usd):
        raise InputError(
            "source",
            _text(rec.get("name")) or (f"a record with only {sorted(rec)[:8]}" if rec else "{}"),
            "a rate with at least one energy, demand, fixed or minimum charge",
        )


def _check_plausible(
    energy: EnergyCharges | None,
    tou_demand: TouDemandCharges | None,
    flat_demand: FlatDemandCharges | None,
    *,
    allow_negative: bool,
) -> None:
    """Every energy and demand rate within :mod:`core.plausibility`'s limits."""
    parts = [
        ("energyratestructure", energy, "kWh", "rate_usd_per_kwh"),
        ("demandratestructure", tou_demand, "kW", "rate_usd_per_kw"),
        ("flatdemandstructure", flat_demand, "kW", "rate_usd_per_kw"),
    ]
    for field, part, unit, attribute in parts:
        if part is None:
            continue
        for p, tiers in enumerate(part.periods):
            for t, tier in enumerate(tiers):
                check_rate(
                    f"{field}[{p}][{t}].rate+adj",
                    getattr(tier, attribute),
                    unit=unit,
                    allow_negative=allow_negative,
                )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(field, value, "a number")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(field, value, "a finite number")
    return number


def _schedule(rec: Mapping[str, Any], field: str, n_periods: int, kind: str) -> tuple:
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


def _energy_charges(rec: Mapping[str, Any]) -> EnergyCharges | None:
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
        weekday_schedule=_schedule(rec, "energyweekdayschedule", n, field),
        weekend_schedule=_schedule(rec, "energyweekendschedule", n, field),
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


def _demand_periods(rec: Mapping[str, Any], field: str) -> tuple[tuple[DemandTier, ...], ...]:
    return tuple(
        tuple(DemandTier(max_kw=limit, rate_usd_per_kw=price) for _, _, limit, price in rows)
        for rows in _tier_rows(rec, field, unit="kW")
    )


def _check_demand_units(rec: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        _check_unit(field, rec.get(field), "kW")


def _tou_demand_charges(rec: Mapping[str, Any]) -> TouDemandCharges | None:
    if not rec.get("demandratestructure"):
        for field in ("demandweekdayschedule", "demandweekendschedule"):
            if rec.get(field):
                raise InputError("demandratestructure", None, f"rates for {field}")
        return None
    _check_demand_units(rec, ("demandrateunit", "demandrateunits", "demandunits"))
    periods = _demand_periods(rec, "demandratestructure")
    n = len(periods)
    return TouDemandCharges(
        periods=periods,
        weekday_schedule=_schedule(rec, "demandweekdayschedule", n, "demandratestructure"),
        weekend_schedule=_schedule(rec, "demandweekendschedule", n, "demandratestructure"),
    )


def _flat_demand_charges(rec: Mapping[str, Any]) -> FlatDemandCharges | None:
    if not rec.get("flatdemandstructure"):
        return None
    _check_demand_units(rec, ("flatdemandunit", "flatdemandunits", "demandunits"))
    periods = _demand_periods(rec, "flatdemandstructure")
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


def _ratchet(rec: Mapping[str, Any]) -> DemandRatchet | None:
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


def _demand_window(rec: Mapping[str, Any]) -> float | None:
    raw = rec.get("demandwindow")
    if raw is None:
        return None
    minutes = _number("demandwindow", raw)
    if minutes <= 0:
        raise InputError("demandwindow", raw, "a positive number of minutes")
    return minutes


def _fixed_charges(rec: Mapping[str, Any], unsupported: list[str]) -> tuple[float, float]:
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


def _minimum_charges(rec: Mapping[str, Any]) -> tuple[float, float, float]:
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


def _export(
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
