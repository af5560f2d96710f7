"""`/dev/clock`: read, set or advance the local stack's clock (local/clock.py).

    GET  /dev/clock                        {"now", "real", "simulated"}
    POST /dev/clock {"now": "<ISO 8601>"}  to that moment (with its UTC offset)
    POST /dev/clock {"advance": "PT3H"}    forward by an ISO 8601 duration

A malformed time or duration answers 422 with the reason, a moment before the clock's
current time 409; neither changes anything. After a change the scheduler pump fires what
became due, in order, before the answer, so the answer's `fired` says what it set off.
Only the local stack has this route: the CDK app has no `/dev` path (tests/infra).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator
from werkzeug.wrappers import Request, Response

from local.clock import ClockBackwards, LocalClock, real_now
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


class _Never(Exception):
    """DevClock answers every error itself."""


class DevClock(Sandbox):
    """The clock's page. `fire_due` runs the scheduler pump once and answers how many fired."""

    ERROR = _Never

    def __init__(self, clock: LocalClock, fire_due: Callable[[], int]) -> None:
        super().__init__("/dev/clock", "/dev", clock.now)
        self._local_clock = clock
        self._fire_due = fire_due

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
        try:
            if change.now is not None:
                self._local_clock.set(change.now)
            elif change.advance is not None:
                self._local_clock.advance(change.advance)
        except ClockBackwards as refused:
            return json_response({"message": str(refused), **self._shown()}, 409)
        return json_response({**self._shown(), "fired": self._fire_due()}, 200)

    def _shown(self) -> dict[str, Any]:
        return {
            "now": self._local_clock.now().isoformat(),
            "real": real_now().isoformat(),
            "simulated": self._local_clock.simulated,
        }
