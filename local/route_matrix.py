"""Amazon Location's CalculateRouteMatrix answered locally, with every route counted as billed.

A real boto3 `location` client (so botocore validates each request against the service's
own model: positions as [longitude, latitude], at most 350 a side) whose calls are answered
here, before anything leaves the process, with the shapes the API documents: a `RouteMatrix`
row per departure and an entry per destination (`DurationSeconds`, `Distance`), and a
`Summary`. Durations come from the offline model, so a test can tell what to expect.

The service bills each route of a matrix (departures x destinations): `routes` counts them,
`requests` the calls. Tests and `make bench` use it to measure what a page or a sync costs.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from reschedule_dispatch.domain.scheduling import Place
from reschedule_dispatch.domain.travel import HaversineTravelTime, TravelTime, haversine_km

# At most 350 departure and 350 destination positions a request (the botocore model does
# not say so; the service refuses more).
MAX_POSITIONS = 350


class RouteMatrixService:
    def __init__(self, travel: TravelTime | None = None) -> None:
        self._travel = travel or HaversineTravelTime()
        self.requests = 0
        self.routes = 0
        self.client = boto3.client(
            "location",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 -- nothing leaves the process
        )
        self.client.meta.events.register("before-call.location.CalculateRouteMatrix", self._answer)

    def reset(self) -> None:
        self.requests = self.routes = 0

    def _answer(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # `params` is the request as serialized for the wire: the JSON body botocore built.
        body = params["body"]
        params = json.loads(body.decode() if isinstance(body, bytes) else body)
        departures = [Place(lat, lon) for lon, lat in params["DeparturePositions"]]
        destinations = [Place(lat, lon) for lon, lat in params["DestinationPositions"]]
        if max(len(departures), len(destinations)) > MAX_POSITIONS:  # the service's limit
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Too many positions"}},
                "CalculateRouteMatrix",
            )
        self.requests += 1
        self.routes += len(departures) * len(destinations)
        matrix = [
            [
                {
                    "Distance": round(haversine_km(origin, target), 3),
                    "DurationSeconds": float(self._travel.minutes(origin, target) * 60),
                }
                for target in destinations
            ]
            for origin in departures
        ]
        summary = {
            "DataSource": "Esri",
            "RouteCount": len(departures) * len(destinations),
            "ErrorCount": 0,
            "DistanceUnit": params.get("DistanceUnit", "Kilometers"),
        }
        return (
            AWSResponse("https://routes.geo.local", 200, HTTPHeaders(), None),
            {"RouteMatrix": matrix, "Summary": summary},
        )
