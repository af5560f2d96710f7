"""`/dev/clock`: read, set or advance the local stack's clock (local/clock.py).

    GET  /dev/clock                        {"now", "real", "simulated"}
    POST /dev/clock {"now": "<ISO 8601>"}  to that moment (with its UTC offset)
    POST /dev/clock {"advance": "PT3H"}    forward by an ISO 8601 duration

A malformed time or duration answers 422 with the reason, a moment before the clock's
current time 409; neither changes anything. The clock then moves as if time had passed:
it stops at each one-time schedule due on the way, in order, and the scheduler pump fires
it there (a text held until 08:00 goes out at 08:00, on 08:00's clock), then goes on to the
moment asked for; the answer's `fired` counts what went off.
Only the local stack has this route: the CDK app has no `/dev` path (tests/infra).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator
from werkzeug.wrappers import Request, Response

from local.clock import LocalClock, backwards, real_now
from local.sandbox_base import Sandbox, json_response


class ClockChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    now: AwareDatetime | None = None
    advance: timedelta | None = None

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        if (self.now is None) == (self.advance is None):
            raise ValueError(
                'give either "now" (an ISO 8601 time with its UTC offset, e.g. '
                '"2026-12-08T09:00:00-06:00") or "advance" (an ISO 8601 duration, e.g. "PT3H")'
            )
        return self


class Pump(Protocol):
    """The scheduler pump, as the clock moves time through it (local/scheduler_pump.py)."""

    def next_due(self, until: datetime) -> datetime | None: ...

    def fire_due(self) -> int: ...


class _Never(Exception):
    """DevClock answers every error itself."""


class DevClock(Sandbox):
    """The clock's page, and the scheduler pump it moves time through."""

    ERROR = _Never

    def __init__(self, clock: LocalClock, pump: Pump) -> None:
        super().__init__("/dev/clock", "/dev", clock.now)
        self._local_clock = clock
        self._pump = pump

    def _dispatch(self, request: Request, path: str) -> Response:
        if path != self.prefix:
            return json_response({"message": "GET or POST /dev/clock only."}, 404)
        if request.method == "GET":
            return json_response(self._shown(), 200, {"Cache-Control": "no-store"})
        if request.method != "POST":
            return json_response(
                {"message": "GET or POST /dev/clock only."}, 405, {"Allow": "GET, POST"}
            )
        try:
            change = ClockChange.model_validate_json(request.get_data())
        except ValidationError as error:
            return json_response(
                {
                    "message": "Invalid clock change.",
                    "detail": error.errors(
                        include_url=False, include_context=False, include_input=False
                    ),
                },
                422,
            )
        clock = self._local_clock
        now = clock.now()
        target = change.now if change.now is not None else now + (change.advance or timedelta(0))
        if target < now:
            refused = str(backwards(target, now))
            return json_response({"message": refused, **self._shown()}, 409)
        fired = 0
        # Stop at each schedule due on the way, so it runs on its own moment's clock.
        while (due := self._pump.next_due(target)) is not None:
            clock.forward_to(due)
            fired += self._pump.fire_due()
        clock.forward_to(target)
        fired += self._pump.fire_due()
        return json_response({**self._shown(), "fired": fired}, 200)

    def _shown(self) -> dict[str, Any]:
        return {
            "now": self._local_clock.now().isoformat(),
            "real": real_now().isoformat(),
            "simulated": self._local_clock.simulated,
        }
