"""The retail tariff as data: :class:`Tariff`, with its URDB reader and bill as methods.

A :class:`Tariff` is a frozen tree of dataclasses (its parts in :mod:`markets.tariff_parts`,
except the peak charges, each in its own module such as :mod:`markets.tou_demand`, see
:mod:`markets.peak_charges`; its fields, checks and calendar lookups in
:mod:`markets.tariff_terms`), parsed from a URDB record at the I/O edge by
:meth:`Tariff.from_urdb` (see :mod:`markets.urdb`) and priced by :meth:`Tariff.bill` (see
:mod:`markets.bill`). The optimizer reads the same objects, so the bill and the dispatch
objective can never disagree on what a tariff says.

Import layering (no circles): ``tariff_parts``, ``urdb_charges`` <- ``peak_charges`` <- each
peak charge's module <- ``tariff_terms``, ``month_to_date`` <- ``urdb``, ``meter`` <- ``bill``
<- ``tariff`` (see ``docs/tariff_parts.md``). The URDB reader returns the fields of a tariff
and the bill engine accepts any :class:`~markets.tariff_terms.TariffTerms`, so neither imports
this module.

Conventions (as in URDB): periods are 0-indexed; a schedule is 12 months x 24 hours of period
indexes, evaluated in the site's local time on the *start* of each interval; tier limits are
cumulative upper bounds within a billing month (energy, kWh) or within the demand window's peak
(demand, kW); the last tier has ``max = inf``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from markets.bill import Bill, compute_bill
from markets.tariff_parts import (
    DemandRatchet,
    DemandTier,
    EnergyCharges,
    EnergyTier,
    ExportCompensation,
    ExportMode,
    FlatDemandCharges,
    Schedule,
)
from markets.tariff_terms import TariffTerms
from markets.tou_demand import TouDemandCharges
from markets.urdb import tariff_fields_from_urdb

__all__ = [
    "DemandRatchet",
    "DemandTier",
    "EnergyCharges",
    "EnergyTier",
    "ExportCompensation",
    "ExportMode",
    "FlatDemandCharges",
    "Schedule",
    "Tariff",
    "TouDemandCharges",
    "tariff_from_urdb",
]


class Tariff(TariffTerms):
    """A retail electricity tariff.

    Parameters
    ----------
    name : str
        Human-readable name (URDB ``name``).
    utility : str, default ""
        URDB ``utility``.
    label : str, default ""
        URDB ``label`` (record id).
    energy : EnergyCharges or None
        TOU/tiered energy charges; None if the tariff has none.
    tou_demand : TouDemandCharges or None
        Demand charges per TOU window (:mod:`markets.tou_demand`); None if none. Each peak
        charge of :data:`markets.tariff_terms.PEAK_CHARGES` has such a field, documented in
        the charge's own module (see :mod:`markets.peak_charges`).
    flat_demand : FlatDemandCharges or None
        Monthly all-hours demand charges; None if none.
    ratchet : DemandRatchet or None
        Demand ratchet on the flat monthly demand; None if none.
    demand_window_minutes : float or None, default None
        Averaging window for demand [min] (URDB ``demandwindow``); None means the data's own
        interval.
    fixed_monthly_usd : float, default 0.0
        Fixed charge per billing month [$].
    fixed_daily_usd : float, default 0.0
        Fixed charge per day of the billing month [$/day].
    minimum_monthly_usd : float, default 0.0
        Minimum bill per month [$]: the month's energy + demand + fixed charges less export
        credit are raised to it (see :mod:`markets.bill` for partial months).
    minimum_daily_usd : float, default 0.0
        Minimum bill per day of the billing month [$/day] (URDB ``mincharge`` in ``$/day``),
        applied like ``minimum_monthly_usd``.
    minimum_annual_usd : float, default 0.0
        Minimum bill per year [$] (URDB ``annualmincharge``).
    export : ExportCompensation
        Export compensation.
    holiday_country : str or None, default None
        If set (e.g. ``"US"``), the public holidays of this country from the ``holidays``
        package are billed on the weekend schedules.
    holiday_subdivision : str or None, default None
        State or province for ``holiday_country`` (e.g. ``"CA"``).
    extra_holidays : frozenset of datetime.date, default empty
        Further dates billed on the weekend schedules.
    unsupported : tuple of str, default ()
        Names of URDB fields present in the source record that this model does not price
        (e.g. ``"coincidentratestructure"``); :func:`markets.urdb.tariff_fields_from_urdb` logs
        a warning for each. A bill of such a tariff leaves those charges out.
    """

    # -- I/O edge -------------------------------------------------------------------------
    @classmethod
    def from_urdb(cls, source: str | Path | Mapping[str, Any], **options: Any) -> Tariff:
        """Parse a URDB rate record (options as in :func:`markets.urdb.tariff_fields_from_urdb`)."""
        return cls(**tariff_fields_from_urdb(source, **options))

    # -- billing --------------------------------------------------------------------------
    def bill(self, net_load_kw: pd.Series, **options: Any) -> Bill:
        """Price a net-load series (see :func:`markets.bill.compute_bill`)."""
        return compute_bill(self, net_load_kw, **options)


def tariff_from_urdb(source: str | Path | Mapping[str, Any], **options: Any) -> Tariff:
    """Parse a URDB rate record into a :class:`Tariff`.

    Parameters
    ----------
    source : str, pathlib.Path or mapping
        A URDB JSON file, a record, or an API response ``{"items": [record]}``.
    **options
        ``holiday_country``, ``holiday_subdivision``, ``extra_holidays``, ``export`` and
        ``allow_negative_rates``, as in :func:`markets.urdb.tariff_fields_from_urdb`.

    Returns
    -------
    Tariff
    """
    return Tariff.from_urdb(source, **options)
