"""Confirm workflow, on any error: release the hold; the customer picks again or the session fails."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.composition.confirm import CompensateStep
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.logs import SESSION_ID, function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
services = CompensateStep()  # built on first use (composition/family.py)


@logger.inject_lambda_context(correlation_id_path=SESSION_ID)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    error = event.get("error") or {}
    logger.warning(
        "confirm failed", extra={"error": error.get("Error"), "cause": error.get("Cause")}
    )
    status = services.compensate(str(event["session_id"]), str(error.get("Error", "")))
    metrics.add_metric(name="ConfirmsCompensated", unit=MetricUnit.Count, value=1)
    # The same, by why (OpeningTaken, AppointmentChanged, States.Timeout...), each reason its
    # own series: a metric of its own, so the others keep their dimensions.
    with single_metric(
        name="ConfirmsCompensatedByReason", unit=MetricUnit.Count, value=1
    ) as by_reason:
        by_reason.add_dimension(name="reason", value=str(error.get("Error") or "Unknown"))
    if status is SessionStatus.FAILED:
        metrics.add_metric(name="ReschedulesFailed", unit=MetricUnit.Count, value=1)
    return {"session_id": event["session_id"], "status": status.value}
