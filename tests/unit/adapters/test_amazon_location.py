"""The Amazon Location adapter against botocore's Stubber: real request and response shapes
(validated against the service model), no network."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reschedule_dispatch.adapters.amazon_location import (
    MAX_POSITIONS,
    AmazonLocationTravelTime,
    RouteCache,
)
from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.openings import find_openings, travel_legs
from reschedule_dispatch.domain.scheduling import Location
from reschedule_dispatch.domain.travel import Coordinates, HaversineTravelTime
from tests.builders import NOW, appointment, technician

CALCULATOR = "dispatch-routes"
SHOP = Location(address="shop", lat=41.881234, lon=-87.629876)
CUSTOMER = Location(address="customer", lat=41.9, lon=-87.65)
OTHER = Location(address="other", lat=41.95, lon=-87.7)


def _client() -> Any:
    return boto3.client("location", region_name="us-east-1")


def _position(place: Coordinates) -> list[float]:
    """The adapter sends [longitude, latitude], rounded to 4 decimals."""
    return [round(place.lon, 4), round(place.lat, 4)]


def _request(origins: Sequence[Coordinates], destinations: Sequence[Coordinates]) -> dict[str, Any]:
    return {
        "CalculatorName": CALCULATOR,
        "DeparturePositions": [_position(p) for p in origins],
        "DestinationPositions": [_position(p) for p in destinations],
        "TravelMode": "Car",
        "DistanceUnit": "Kilometers",
    }


def _matrix(rows: list[list[float | str]]) -> dict[str, Any]:
    """A CalculateRouteMatrix response: a number is a duration in seconds, a string an
    error code for that pair."""
    errors = sum(isinstance(cell, str) for row in rows for cell in row)
    return {
        "RouteMatrix": [
            [
                {"Error": {"Code": cell, "Message": "No route found"}}
                if isinstance(cell, str)
                else {"Distance": cell / 60, "DurationSeconds": cell}
                for cell in row
            ]
            for row in rows
        ],
        "Summary": {
            "DataSource": "Esri",
            "RouteCount": sum(len(row) for row in rows),
            # The service model says ErrorCount >= 1 and the Stubber enforces it, although
            # a clean answer reports 0; the adapter never reads it.
            "ErrorCount": max(1, errors),
            "DistanceUnit": "Kilometers",
        },
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_drive_is_one_request_then_cached():
    client = _client()
    travel = AmazonLocationTravelTime(client, CALCULATOR)
    with Stubber(client) as stub:
        # Given the service answers 1234.5 seconds from the shop to the customer
        stub.add_response(
            "calculate_route_matrix", _matrix([[1234.5]]), _request([SHOP], [CUSTOMER])
        )
        # When the drive is asked twice
        first = travel.minutes(SHOP, CUSTOMER)
        second = travel.minutes(SHOP, CUSTOMER)
        # Then it is rounded up to 21 minutes, and only one request was made
        stub.assert_no_pending_responses()
    assert first == second == 21


def test_the_same_place_is_zero_minutes_without_a_request():
    client = _client()
    counting = CountingClient(client)
    with Stubber(client):
        assert AmazonLocationTravelTime(counting, CALCULATOR).minutes(SHOP, SHOP) == 0
    assert counting.calls == 0


def test_an_unroutable_pair_gets_the_offline_estimate():
    client = _client()
    counting = CountingClient(client)
    travel = AmazonLocationTravelTime(counting, CALCULATOR)
    with Stubber(client) as stub:
        # Given the service cannot route the pair
        stub.add_response(
            "calculate_route_matrix", _matrix([["RouteNotFound"]]), _request([SHOP], [OTHER])
        )
        minutes = travel.minutes(SHOP, OTHER)
        # Then the haversine estimate stands in, and is kept: no second request
        assert travel.minutes(SHOP, OTHER) == minutes
        stub.assert_no_pending_responses()
    assert counting.calls == 1
    rounded = Location(lat=round(SHOP.lat, 4), lon=round(SHOP.lon, 4))
    assert minutes == HaversineTravelTime().minutes(rounded, OTHER)


def test_prefetch_asks_once_for_every_pair_and_only_for_what_is_missing():
    client = _client()
    travel = AmazonLocationTravelTime(client, CALCULATOR)
    with Stubber(client) as stub:
        # Given two technicians' stops and the customer
        stub.add_response(
            "calculate_route_matrix",
            _matrix([[600, 900], [300, 60]]),
            _request([SHOP, OTHER], [CUSTOMER, SHOP]),
        )
        # When every stop-to-customer drive is prefetched (a repeated place asked once)
        travel.prefetch([SHOP, OTHER, SHOP], [CUSTOMER, SHOP])
        stub.assert_no_pending_responses()
        # Then the engine's single drives come from the cache
        assert travel.minutes(SHOP, CUSTOMER) == 10
        assert travel.minutes(OTHER, SHOP) == 1
        # And a second prefetch asks only for the row and column still missing
        # (other to customer and to shop are known, customer to itself is 0)
        stub.add_response("calculate_route_matrix", _matrix([[120]]), _request([CUSTOMER], [SHOP]))
        travel.prefetch([OTHER, CUSTOMER], [CUSTOMER, SHOP])
        stub.assert_no_pending_responses()
    assert travel.minutes(CUSTOMER, SHOP) == 2


def test_prefetch_splits_at_350_positions_a_side():
    client = _client()
    travel = AmazonLocationTravelTime(client, CALCULATOR)
    origins = [Location(lat=40 + i / 1000, lon=-87.0) for i in range(MAX_POSITIONS + 1)]
    with Stubber(client) as stub:
        stub.add_response(
            "calculate_route_matrix",
            _matrix([[60.0]] * MAX_POSITIONS),
            _request(origins[:MAX_POSITIONS], [CUSTOMER]),
        )
        stub.add_response(
            "calculate_route_matrix",
            _matrix([[120.0]]),
            _request(origins[MAX_POSITIONS:], [CUSTOMER]),
        )
        travel.prefetch(origins, [CUSTOMER])
        stub.assert_no_pending_responses()
    assert travel.minutes(origins[-1], CUSTOMER) == 2


def test_prefetch_pairs_groups_scattered_legs():
    client = _client()
    travel = AmazonLocationTravelTime(client, CALCULATOR)
    pairs = [(SHOP, OTHER), (OTHER, CUSTOMER), (CUSTOMER, SHOP)]
    with Stubber(client) as stub:
        # Given two pairs to a request: the first two pairs, then the third
        stub.add_response(
            "calculate_route_matrix",
            _matrix([[300, 400], [500, 600]]),
            _request([SHOP, OTHER], [OTHER, CUSTOMER]),
        )
        stub.add_response("calculate_route_matrix", _matrix([[700]]), _request([CUSTOMER], [SHOP]))
        travel.prefetch_pairs(pairs, per_request=2)
        stub.assert_no_pending_responses()
    assert [travel.minutes(a, b) for a, b in pairs] == [5, 10, 12]


def test_a_failed_request_falls_back_and_waits_before_trying_again():
    client = _client()
    counting = CountingClient(client)
    clock = FakeClock()
    travel = AmazonLocationTravelTime(counting, CALCULATOR, retry_after_seconds=60, clock=clock)
    estimate = HaversineTravelTime().minutes(SHOP, CUSTOMER)
    with Stubber(client) as stub:
        # Given the service is throttling
        stub.add_client_error(
            "calculate_route_matrix", service_error_code="ThrottlingException", http_status_code=429
        )
        # Then the offline estimate is used, for this pair and others, without new requests
        assert travel.minutes(SHOP, CUSTOMER) == estimate
        assert travel.minutes(OTHER, CUSTOMER) == HaversineTravelTime().minutes(OTHER, CUSTOMER)
        stub.assert_no_pending_responses()
        assert counting.calls == 1  # the failed one only
        # And a minute later the service is asked again, and its answer is kept
        clock.now += 61
        stub.add_response("calculate_route_matrix", _matrix([[60]]), _request([SHOP], [CUSTOMER]))
        assert travel.minutes(SHOP, CUSTOMER) == 1
        stub.assert_no_pending_responses()
    assert counting.calls == 2


def test_the_cache_is_bounded_and_least_recently_used_goes_first():
    cache = RouteCache(maxsize=2)
    a, b, c = ((0.0, 0.0), (0.0, 1.0)), ((0.0, 0.0), (0.0, 2.0)), ((0.0, 0.0), (0.0, 3.0))
    cache.put(a, 1)
    cache.put(b, 2)
    assert cache.get(a) == 1  # a is now the most recent
    cache.put(c, 3)
    assert (len(cache), a in cache, b in cache, c in cache) == (2, True, False, True)
    with pytest.raises(ValueError, match="maxsize"):
        RouteCache(maxsize=0)


class CountingClient:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def calculate_route_matrix(self, **request: Any) -> Any:
        self.calls += 1
        return self.client.calculate_route_matrix(**request)


def test_prefetching_the_travel_legs_leaves_the_engine_nothing_to_ask():
    # Given a technician with a home base and two jobs, and the customer's address
    zone = ZoneInfo("America/Chicago")
    moving = appointment(datetime(2026, 11, 25, 10, tzinfo=zone), location=CUSTOMER)
    busy = {
        "tech-1": [
            appointment(datetime(2026, 11, 24, 9, tzinfo=zone), id="a", location=OTHER),
            appointment(datetime(2026, 11, 26, 13, tzinfo=zone), id="b", location=SHOP),
        ]
    }
    techs = [technician()]
    settings = BusinessSettings()
    legs = travel_legs(moving, techs, busy, settings, zone, NOW)
    boto = _client()
    client = CountingClient(boto)
    travel = AmazonLocationTravelTime(client, CALCULATOR)
    with Stubber(boto) as stub:
        stub.add_response(
            "calculate_route_matrix",
            _matrix([[900.0]] * len(legs.to_customer)),
            _request(list(legs.to_customer), [CUSTOMER]),
        )
        stub.add_response(
            "calculate_route_matrix",
            _matrix([[900.0] * len(legs.from_customer)]),
            _request([CUSTOMER], list(legs.from_customer)),
        )
        # (the legs between stops, other than a place to itself, fit in one request)
        between = [(a, b) for a, b in legs.between if _position(a) != _position(b)]
        rows = len({tuple(_position(a)) for a, _ in between})
        columns = len({tuple(_position(b)) for _, b in between})
        stub.add_response(
            "calculate_route_matrix",
            _matrix([[900.0] * columns] * rows),
            {**_request([], []), "DeparturePositions": ANY, "DestinationPositions": ANY},
        )
        # When the service prefetches the legs, then runs the engine
        travel.prefetch(legs.to_customer, [CUSTOMER])
        travel.prefetch([CUSTOMER], legs.from_customer)
        travel.prefetch_pairs(legs.between)
        before = client.calls
        result = find_openings(moving, techs, busy, settings, zone, NOW, travel)
        stub.assert_no_pending_responses()
    # Then the engine made no request of its own, and every drive shown is 15 minutes
    assert (before, client.calls) == (3, 3)
    assert result.openings
    assert {o.drive_minutes_before for o in result.openings} <= {0, 15}
    assert all(o.start >= NOW.astimezone(UTC) + timedelta(hours=24) for o in result.openings)
