"""Confirm workflow step: the move failed, so the session records why."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch import wiring
from reschedule_dispatch.services.lifecycle import RecordFailure

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@cache
def _record_failure() -> RecordFailure:
    return wiring.record_failure()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    error = event.get("error") or {}
    logger.warning(
        "confirm failed", extra={"error": error.get("Error"), "cause": error.get("Cause")}
    )
    status = _record_failure()(str(event["session_id"]), str(error.get("Error", "")))
    metrics.add_metric(name="ReschedulesFailed", unit=MetricUnit.Count, value=1)
    return {"session_id": event["session_id"], "status": status.value}
