"""Retail tariffs, the bill engine, wholesale and ancillary prices and market products.

Never imports Pyomo.
"""

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

__all__ = [
    "DemandRatchet",
    "DemandTier",
    "EnergyCharges",
    "EnergyTier",
    "ExportCompensation",
    "ExportMode",
    "FlatDemandCharges",
    "Tariff",
    "TouDemandCharges",
]
