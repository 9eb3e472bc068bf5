"""Energy of a job in the units people read: kWh, and the CO2 it stands for on the grid."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class Energy:
    joules: float
    kwh: float
    co2_kg: float
    grid_factor: float  # kg CO2 per kWh
    grid_source: str


def energy(joules: float) -> Energy:
    """`joules` of simulated board energy, in kWh and kg CO2 at the configured grid factor."""
    kwh = (joules or 0.0) / JOULES_PER_KWH
    factor = settings.GRID_CO2_KG_PER_KWH
    return Energy(joules or 0.0, kwh, kwh * factor, factor, settings.GRID_CO2_SOURCE)
