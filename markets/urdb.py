"""Read OpenEI Utility Rate Database (URDB) records into the fields of a ``Tariff``.

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
- Each peak charge (TOU demand, see :mod:`markets.peak_charges`) is read by its own module
  (:meth:`~markets.peak_charges.PeakCharges.from_urdb`), with the helpers of
  :mod:`markets.urdb_charges` and these rules.
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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.plausibility import check_rate
from markets import urdb_charges
from markets.tariff_parts import ExportCompensation
from markets.tariff_terms import PEAK_CHARGES

__all__ = ["load_urdb_record", "tariff_fields_from_urdb"]

logger = logging.getLogger(__name__)

_MODELLED = frozenset(
    {
        "energyratestructure",
        "energyweekdayschedule",
        "energyweekendschedule",
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
        "flatdemandunit",
        "flatdemandunits",
        "demandunits",
        "name",
        "utility",
        "label",
    }
).union(*(kind.urdb_fields for kind in PEAK_CHARGES))
"""Fields this loader prices or checks (those of the peak charges included)."""

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


def tariff_fields_from_urdb(
    source: str | Path | Mapping[str, Any],
    *,
    holiday_country: str | None = None,
    holiday_subdivision: str | None = None,
    extra_holidays: Iterable[dt.date] = (),
    export: ExportCompensation | None = None,
    allow_negative_rates: bool = False,
) -> dict[str, Any]:
    """Parse a URDB rate record into the fields of a :class:`~markets.tariff.Tariff`.

    ``Tariff.from_urdb(source, **options)`` is ``Tariff(**tariff_fields_from_urdb(source,
    **options))``; fields the record has but this model does not price are logged here.

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
    dict
        Keyword arguments of ``Tariff`` (every field).

    Raises
    ------
    InputError
        Naming the URDB field that is malformed, a rate outside the plausible range
        (:mod:`core.plausibility`), or a record with no energy, demand, fixed or minimum
        charge at all (an empty ``{}`` would bill $0).
    """
    rec = load_urdb_record(source)
    unsupported: list[str] = []
    fields = _charge_fields(rec, unsupported, export)
    unsupported += _unknown_fields(rec, known=unsupported)
    _check_plausible(fields, allow_negative=allow_negative_rates)
    demand = [fields[kind.field] for kind in PEAK_CHARGES] + [fields["flat_demand"]]
    if fields["energy"] is None and all(part is None for part in demand):
        _check_charges_something(rec, *(fields[name] for name in _AMOUNT_FIELDS))
    name = urdb_charges.text(rec.get("name")) or urdb_charges.text(rec.get("label"))
    fields.update(
        name=name or "unnamed URDB record",
        utility=urdb_charges.text(rec.get("utility")),
        label=urdb_charges.text(rec.get("label")),
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        extra_holidays=frozenset(extra_holidays),
        unsupported=tuple(sorted(set(unsupported))),
    )
    if fields["unsupported"]:
        logger.warning(
            "URDB record %r: fields not modelled, their charges are left out of bills: %s",
            fields["name"],
            ", ".join(fields["unsupported"]),
        )
    return fields


_AMOUNT_FIELDS = (
    "fixed_monthly_usd",
    "fixed_daily_usd",
    "minimum_monthly_usd",
    "minimum_daily_usd",
    "minimum_annual_usd",
)
"""The charges a record without energy or demand charges must have one of."""


def _charge_fields(
    rec: Mapping[str, Any], unsupported: list[str], export: ExportCompensation | None
) -> dict[str, Any]:
    """The charge fields of a ``Tariff``; appends charge fields not priced to ``unsupported``."""
    energy = urdb_charges.energy_charges(rec)
    peaks = {kind.field: kind.from_urdb(rec) for kind in PEAK_CHARGES}
    flat_demand = urdb_charges.flat_demand_charges(rec)
    ratchet = urdb_charges.demand_ratchet(rec)
    if ratchet is not None and flat_demand is None:
        unsupported.append("lookbackpercent")
        ratchet = None
    window = urdb_charges.demand_window_minutes(rec)
    fixed_monthly, fixed_daily = urdb_charges.fixed_charges(rec, unsupported)
    min_monthly, min_daily, min_annual = urdb_charges.minimum_charges(rec)
    if export is None:
        export = urdb_charges.export_compensation(rec, energy, unsupported)
    if not isinstance(export, ExportCompensation):
        raise InputError("export", export, "an ExportCompensation")
    return {
        "energy": energy,
        **peaks,
        "flat_demand": flat_demand,
        "ratchet": ratchet,
        "demand_window_minutes": window,
        "fixed_monthly_usd": fixed_monthly,
        "fixed_daily_usd": fixed_daily,
        "minimum_monthly_usd": min_monthly,
        "minimum_daily_usd": min_daily,
        "minimum_annual_usd": min_annual,
        "export": export,
    }


def _unknown_fields(rec: Mapping[str, Any], *, known: list[str]) -> list[str]:
    """Non-empty fields that are neither priced, descriptive nor already in ``known``."""
    return [
        key
        for key, value in rec.items()
        if key not in _MODELLED
        and key not in _METADATA
        and key not in known
        # an empty field charges nothing
        and value not in (None, "", [], {}, 0, 0.0, False)
    ]


# -- pieces ---------------------------------------------------------------------------------
def _check_charges_something(rec: Mapping[str, Any], *amounts_usd: float) -> None:
    """A record without energy and demand charges must charge a fixed or minimum amount."""
    if not any(amounts_usd):
        raise InputError(
            "source",
            urdb_charges.text(rec.get("name"))
            or (f"a record with only {sorted(rec)[:8]}" if rec else "{}"),
            "a rate with at least one energy, demand, fixed or minimum charge",
        )


def _check_plausible(fields: Mapping[str, Any], *, allow_negative: bool) -> None:
    """Every energy and demand rate within :mod:`core.plausibility`'s limits."""
    parts = [
        ("energyratestructure", fields["energy"], "kWh", "rate_usd_per_kwh"),
        *((k.urdb_structure, fields[k.field], "kW", "rate_usd_per_kw") for k in PEAK_CHARGES),
        ("flatdemandstructure", fields["flat_demand"], "kW", "rate_usd_per_kw"),
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
