"""Confirm workflow step 1: hold the chosen technician time (OpeningTaken if someone has it)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.composition.confirm import HoldStep
from reschedule_dispatch.logs import SESSION_ID, function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
services = HoldStep()  # built on first use (composition/family.py)


@logger.inject_lambda_context(correlation_id_path=SESSION_ID)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A raised error's class name (OpeningTaken, AppointmentChanged...) is the state's Error.
    services.hold_opening(str(event["session_id"]))
    metrics.add_metric(name="OpeningsHeld", unit=MetricUnit.Count, value=1)
    return {"session_id": event["session_id"]}
