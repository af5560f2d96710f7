"""Drive time between two places: the port the openings engine asks, and the offline model.

The offline model needs no network and is exact enough to rank and filter openings:

    minutes = ceil(haversine_km(origin, destination) x detour_factor / speed_kmh x 60)

with the great-circle distance on a sphere of radius 6371.0088 km (the IUGG mean earth
radius), a detour factor of 1.3 (roads are longer than the straight line) and 40 km/h (an
urban average). Both figures are business settings. The same place is 0 minutes away.
"""

from __future__ import annotations

import math
from typing import Protocol

from reschedule_dispatch.domain.business import BusinessSettings

EARTH_RADIUS_KM = 6371.0088
_RADIANS = math.pi / 180


class Coordinates(Protocol):
    """A point on the map: a `Location`, or the engine's lighter `Place`."""

    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...


class TravelTime(Protocol):
    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        """Whole minutes to drive from origin to destination, rounded up."""
        ...


def haversine_km(origin: Coordinates, destination: Coordinates) -> float:
    # Degrees to radians by one multiplication, as math.radians does (same result, and
    # this runs thousands of times per search).
    lat1, lat2 = origin.lat * _RADIANS, destination.lat * _RADIANS
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1)
        * math.cos(lat2)
        * math.sin((destination.lon - origin.lon) * _RADIANS / 2) ** 2
    )
    # min() guards asin against a rounding error just above 1 for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class HaversineTravelTime:
    """Great-circle distance x detour factor, at an average speed, rounded up to the minute."""

    def __init__(self, detour_factor: float = 1.3, speed_kmh: float = 40.0) -> None:
        if detour_factor <= 0 or speed_kmh <= 0:
            raise ValueError("detour factor and speed must be positive")
        self.detour_factor = detour_factor
        self.speed_kmh = speed_kmh

    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        # Evaluated in the documented order, so the rounding is exactly the documented one.
        km = haversine_km(origin, destination)
        return math.ceil(km * self.detour_factor / self.speed_kmh * 60)


def travel_from_settings(settings: BusinessSettings) -> HaversineTravelTime:
    return HaversineTravelTime(settings.drive_detour_factor, settings.drive_speed_kmh)
