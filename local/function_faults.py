"""Function fault injection for the local stack: a Lambda function killed or timed out.

`POST /dev/function-faults` with `{"function": "confirm.move", "fault": "killed", "when":
"after", "times": 1}` makes the next matching invocation of a handler (its module's name
ends with `function`) fail as Lambda reports it: killed (out of memory, a crash: errorType
`Runtime.ExitError`) or timed out (`Sandbox.Timedout`), before it runs or after it has done
its work (its answer lost). Step Functions, the gateway (502) and the scheduler pump see
what they would see in AWS. The fault matrix (`bench/fault_matrix.py`) uses it.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FunctionFault = Literal["killed", "timed_out"]

# What Lambda answers for each (the error type becomes the Step Functions state's error).
ERRORS: dict[str, tuple[str, str]] = {
    "killed": ("Runtime.ExitError", "Runtime exited with error: signal: killed"),
    "timed_out": ("Sandbox.Timedout", "Task timed out after 30.00 seconds"),
}


class FunctionFaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    function: str = Field(
        min_length=1, description="The end of a handler's module name: confirm.move, expire..."
    )
    fault: FunctionFault
    when: Literal["before", "after"] = "before"
    times: int = Field(default=1, ge=1, le=1000)


class FunctionFaults:
    """Thread-safe list of armed function faults; each matching invocation uses one up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[list[Any]] = []  # [rule, left]

    def add(self, rule: FunctionFaultRule) -> None:
        with self._lock:
            self._armed.append([rule, rule.times])

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def armed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**rule.model_dump(), "left": left} for rule, left in self._armed]

    def take(self, module: str) -> FunctionFaultRule | None:
        with self._lock:
            for armed in self._armed:
                rule: FunctionFaultRule = armed[0]
                if module == rule.function or module.endswith(f".{rule.function}"):
                    armed[1] -= 1
                    if armed[1] == 0:
                        self._armed.remove(armed)
                    return rule
        return None


def error_payload(rule: FunctionFaultRule) -> dict[str, Any]:
    error_type, message = ERRORS[rule.fault]
    return {"errorType": error_type, "errorMessage": message}
