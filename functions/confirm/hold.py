"""Confirm workflow step 1: hold the chosen technician time (OpeningTaken if someone has it)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch import wiring
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.services.lifecycle import HoldOpening
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()


@cache
def _step() -> HoldOpening:
    return wiring.hold_opening()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A raised error's class name (OpeningTaken, AppointmentChanged...) is the state's Error.
    _step()(str(event["session_id"]))
    return {"session_id": event["session_id"]}
