"""Provider fault injection for the local stack: make the scheduling provider fail on purpose.

`POST /dev/provider-faults` with `{"operation": "move_appointment", "fault": "unavailable",
"times": 2, "appointment_id": "..."}` makes the next two matching calls fail the way a real
provider does (5xx, timeout, 412 conflict, 429), or, with `"fault": "answer_lost"`, go
through and then time out (the provider did it; its answer never came back). Tests use it to prove the confirm workflow
retries and compensates; a developer can use it in `make dev` to see what customers see.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from reschedule_dispatch.domain.ports import SchedulingProvider

TIMEOUT_SECONDS = 0.2  # long enough to be a timeout in spirit, short enough for tests

Fault = Literal["unavailable", "timeout", "conflict", "rate_limited", "answer_lost"]


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: str = Field(min_length=1, description="A provider port method, or * for any")
    fault: Fault
    times: int = Field(default=1, ge=1, le=1000)
    appointment_id: str | None = None


def _error(fault: Fault) -> ProviderError:
    if fault == "unavailable":
        return ProviderUnavailable("The provider answered 503 Service Unavailable.")
    if fault in ("timeout", "answer_lost"):
        time.sleep(TIMEOUT_SECONDS)
        return ProviderUnavailable("The provider timed out.")
    if fault == "conflict":
        return AppointmentChanged("The provider answered 412 Precondition Failed.")
    return ProviderRateLimited("The provider answered 429 Too Many Requests.", 1.0)


@dataclass
class _Armed:
    rule: FaultRule
    left: int


class FaultPlan:
    """Thread-safe list of armed faults; each matching call uses up one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._armed.append(_Armed(rule, rule.times))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def armed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**a.rule.model_dump(), "left": a.left} for a in self._armed]

    def take(self, operation: str, appointment_id: str | None) -> Fault | None:
        with self._lock:
            for armed in self._armed:
                rule = armed.rule
                if rule.operation not in ("*", operation):
                    continue
                if rule.appointment_id and rule.appointment_id != appointment_id:
                    continue
                armed.left -= 1
                if armed.left == 0:
                    self._armed.remove(armed)
                return rule.fault
        return None


def _appointment_id(operation: str, args: tuple[Any, ...]) -> str | None:
    """The appointment a call is about, for the calls that are about one."""
    if operation == "get_appointment" and len(args) >= 2:
        return str(args[1])  # (business_id, appointment_id)
    if operation == "move_appointment" and args:
        return str(args[0].id)  # (appointment, opening, ...)
    return None


class FaultyProvider:
    """Wraps a provider; fails a call if the plan says so (before it, or after it for a lost
    answer)."""

    def __init__(self, inner: SchedulingProvider, plan: FaultPlan) -> None:
        self._inner = inner
        self._plan = plan

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            fault = self._plan.take(name, _appointment_id(name, args))
            if fault == "answer_lost":
                method(*args, **kwargs)
                raise _error(fault)
            if fault is not None:
                raise _error(fault)
            return method(*args, **kwargs)

        return call
