"""Drive times from Amazon Location Service, behind the engine's `TravelTime` port.

One `CalculateRouteMatrix` request (Routes API v1, boto3 client "location") answers every
departure x destination pair at once, so the service should `prefetch` the drives a search
will ask for (`openings.travel_legs` lists them) and let the engine's single `minutes`
calls hit the cache. Results are kept in a bounded LRU keyed by coordinates rounded to
`precision` decimals (4: about 11 m), which also lives across invocations of a warm Lambda
when the adapter is built once per cold start.

Durations are rounded up to the whole minute, like the offline model. A pair the service
cannot route (an `Error` entry: RouteNotFound, RouteTooLong, PositionsNotFound...) gets
the offline estimate, cached like an answer. When the request itself fails (throttling,
network, permissions) the offline estimate is used without caching it, and the service is
left alone for `retry_after_seconds`, so one bad moment costs one failed call, not one per
pair. Coordinates are customer addresses: they are never logged.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from reschedule_dispatch.domain.scheduling import Leg, Location, Place
from reschedule_dispatch.domain.travel import Coordinates, HaversineTravelTime, TravelTime

logger = logging.getLogger(__name__)

# CalculateRouteMatrix takes at most 350 departure and 350 destination positions.
MAX_POSITIONS = 350

T = TypeVar("T")
Point = tuple[float, float]  # (lat, lon), rounded
Route = tuple[Point, Point]  # (origin, destination)


class RouteCache:
    """Drive minutes by route, least recently used first out, at most `maxsize` routes."""

    def __init__(self, maxsize: int = 20_000) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._routes: OrderedDict[Route, int] = OrderedDict()

    def get(self, route: Route) -> int | None:
        minutes = self._routes.get(route)
        if minutes is not None:
            self._routes.move_to_end(route)
        return minutes

    def put(self, route: Route, minutes: int) -> None:
        self._routes[route] = minutes
        self._routes.move_to_end(route)
        if len(self._routes) > self.maxsize:
            self._routes.popitem(last=False)

    def __contains__(self, route: object) -> bool:
        return route in self._routes

    def __len__(self) -> int:
        return len(self._routes)


class AmazonLocationTravelTime:
    def __init__(
        self,
        client: Any,
        calculator_name: str,
        *,
        cache: RouteCache | None = None,
        fallback: TravelTime | None = None,
        precision: int = 4,
        travel_mode: str = "Car",
        retry_after_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._calculator = calculator_name
        self._cache = cache if cache is not None else RouteCache()
        self._fallback = fallback if fallback is not None else HaversineTravelTime()
        self._precision = precision
        self._travel_mode = travel_mode
        self._retry_after = retry_after_seconds
        self._clock = clock
        self._unavailable_until = -math.inf

    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        route = (self._point(origin), self._point(destination))
        if route[0] == route[1]:
            return 0
        minutes = self._cache.get(route)
        if minutes is None:
            self._calculate([route[0]], [route[1]])
            minutes = self._cache.get(route)
        return minutes if minutes is not None else self._fallback.minutes(origin, destination)

    def prefetch(self, origins: Iterable[Coordinates], destinations: Iterable[Coordinates]) -> None:
        """Caches every origin x destination drive not cached yet: one request for up to
        350 distinct places on each side, more only beyond that."""
        sources = list(dict.fromkeys(self._point(place) for place in origins))
        targets = list(dict.fromkeys(self._point(place) for place in destinations))
        missing = [(o, d) for o in sources for d in targets if o != d and (o, d) not in self._cache]
        # Ask only for the rows and columns that still have a gap: routes are billed.
        rows = list(dict.fromkeys(o for o, _ in missing))
        columns = list(dict.fromkeys(d for _, d in missing))
        for row_chunk in _chunks(rows, MAX_POSITIONS):
            for column_chunk in _chunks(columns, MAX_POSITIONS):
                self._calculate(row_chunk, column_chunk)

    def prefetch_pairs(
        self, pairs: Iterable[tuple[Coordinates, Coordinates]], per_request: int = 20
    ) -> None:
        """Caches scattered (origin, destination) drives, such as the legs between a
        technician's stops, `per_request` pairs to a request.

        A matrix request prices every origin x destination, so grouping n pairs costs at
        most n x `per_request` routes in n / `per_request` requests: 20 keeps a page of a
        few dozen legs to two or three requests at a few hundred routes.
        """
        routes = list(
            dict.fromkeys(
                route
                for route in ((self._point(a), self._point(b)) for a, b in pairs)
                if route[0] != route[1] and route not in self._cache
            )
        )
        for group in _chunks(routes, max(1, min(per_request, MAX_POSITIONS))):
            self._calculate(
                list(dict.fromkeys(o for o, _ in group)), list(dict.fromkeys(d for _, d in group))
            )

    def drives(self, legs: Iterable[Leg]) -> dict[Leg, int]:
        """Minutes for each leg, each route billed at most once: the legs not cached yet go
        one departure to a request with its own destinations (a matrix request bills every
        departure x destination, and these legs are scattered). Legs the service could not
        be asked for (it is failing) are left out: the caller asks again later.

        For the drives between a technician's own stops, which the schedule mirror keeps
        so that no page pays for them.
        """
        wanted = list(dict.fromkeys(legs))
        routes = {
            leg: (self._point(Place(leg[0], leg[1])), self._point(Place(leg[2], leg[3])))
            for leg in wanted
        }
        by_origin: dict[Point, list[Point]] = {}
        for origin, destination in routes.values():
            if origin != destination and (origin, destination) not in self._cache:
                by_origin.setdefault(origin, []).append(destination)
        for origin, destinations in by_origin.items():
            for chunk in _chunks(list(dict.fromkeys(destinations)), MAX_POSITIONS):
                self._calculate([origin], chunk)
        found: dict[Leg, int] = {}
        for leg, (origin, destination) in routes.items():
            minutes = 0 if origin == destination else self._cache.get((origin, destination))
            if minutes is not None:
                found[leg] = minutes
        return found

    def _calculate(self, origins: Sequence[Point], destinations: Sequence[Point]) -> None:
        if not origins or not destinations or self._clock() < self._unavailable_until:
            return
        try:
            response = self._client.calculate_route_matrix(
                CalculatorName=self._calculator,
                DeparturePositions=[[lon, lat] for lat, lon in origins],
                DestinationPositions=[[lon, lat] for lat, lon in destinations],
                TravelMode=self._travel_mode,
                DistanceUnit="Kilometers",
            )
        except (ClientError, BotoCoreError) as error:
            code = (
                error.response.get("Error", {}).get("Code", "")
                if isinstance(error, ClientError)
                else ""
            )
            logger.warning(
                "Amazon Location CalculateRouteMatrix failed (%s %s); offline estimates "
                "for %d x %d routes, next try in %.0f s",
                type(error).__name__,
                code,
                len(origins),
                len(destinations),
                self._retry_after,
            )
            self._unavailable_until = self._clock() + self._retry_after
            return
        errors = 0
        # Rows follow DeparturePositions and entries DestinationPositions, in order. A short
        # answer leaves the rest uncached, and `minutes` falls back for those.
        for origin, row in zip(origins, response["RouteMatrix"], strict=False):
            for destination, entry in zip(destinations, row, strict=False):
                seconds = entry.get("DurationSeconds")
                if "Error" in entry or seconds is None:
                    errors += 1
                    minutes = self._fallback.minutes(_location(origin), _location(destination))
                else:
                    minutes = math.ceil(seconds / 60)
                self._cache.put((origin, destination), minutes)
        if errors:
            logger.info("Amazon Location could not route %d pairs; offline estimates", errors)

    def _point(self, place: Coordinates) -> Point:
        return (round(place.lat, self._precision), round(place.lon, self._precision))


def _location(point: Point) -> Location:
    return Location(lat=point[0], lon=point[1])


def _chunks(values: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
