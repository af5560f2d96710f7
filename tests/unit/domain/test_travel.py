from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.scheduling import Location
from reschedule_dispatch.domain.travel import (
    EARTH_RADIUS_KM,
    HaversineTravelTime,
    haversine_km,
    travel_from_settings,
)

CHICAGO = Location(lat=41.8781, lon=-87.6298)
MILWAUKEE = Location(lat=43.0389, lon=-87.9065)

places = st.builds(
    Location,
    lat=st.floats(min_value=-89.9, max_value=89.9),
    lon=st.floats(min_value=-180, max_value=180),
)


def _law_of_cosines_km(a: Location, b: Location) -> float:
    """An independent great-circle formula, to check the haversine against."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(
        math.radians(b.lon - a.lon)
    )
    return EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, cos_angle)))


def test_one_degree_of_latitude_at_the_defaults():
    # Given two places one degree of latitude apart: 6371.0088 x pi / 180 = 111.195 km
    north = Location(lat=42.0, lon=-87.0)
    south = Location(lat=41.0, lon=-87.0)
    assert haversine_km(north, south) == pytest.approx(111.19508, abs=1e-5)
    # Then at x1.3 and 40 km/h that is 216.83 minutes, rounded up to 217
    assert HaversineTravelTime().minutes(north, south) == 217


def test_chicago_to_milwaukee():
    # 131.06 km in a straight line -> x1.3 / 40 km/h -> 255.56 min -> 256
    assert haversine_km(CHICAGO, MILWAUKEE) == pytest.approx(131.06, abs=0.01)
    assert HaversineTravelTime().minutes(CHICAGO, MILWAUKEE) == 256


def test_the_same_place_is_no_drive_and_a_few_metres_is_one_minute():
    assert HaversineTravelTime().minutes(CHICAGO, CHICAGO) == 0
    nearby = Location(lat=CHICAGO.lat + 0.0001, lon=CHICAGO.lon)
    assert HaversineTravelTime().minutes(CHICAGO, nearby) == 1


def test_both_figures_are_settings():
    # Given a business that drives the straight line at 60 km/h
    travel = travel_from_settings(BusinessSettings(drive_detour_factor=1.0, drive_speed_kmh=60))
    # Then one degree of latitude (111.195 km) takes 111.195 minutes, so 112
    assert travel.minutes(Location(lat=42, lon=-87), Location(lat=41, lon=-87)) == 112
    assert (travel.detour_factor, travel.speed_kmh) == (1.0, 60)


@pytest.mark.parametrize(("detour", "speed"), [(0, 40), (1.3, 0), (-1, 40)])
def test_nonsense_figures_are_refused(detour, speed):
    with pytest.raises(ValueError, match="positive"):
        HaversineTravelTime(detour, speed)


@given(places, places)
def test_the_model_is_exactly_the_documented_formula(a, b):
    km = haversine_km(a, b)
    assert km == pytest.approx(_law_of_cosines_km(a, b), abs=1e-3)
    assert 0 <= km <= math.pi * EARTH_RADIUS_KM + 1e-6
    assert HaversineTravelTime().minutes(a, b) == math.ceil(km * 1.3 / 40 * 60)
    assert HaversineTravelTime().minutes(a, b) == HaversineTravelTime().minutes(b, a)


@given(places, places, places)
def test_great_circle_distance_obeys_the_triangle_inequality(a, b, c):
    assert haversine_km(a, c) <= haversine_km(a, b) + haversine_km(b, c) + 1e-6
