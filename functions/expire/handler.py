"""Target of a session's one-time expiry schedule. Safe to run more than once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.composition.confirm import ExpiryServices
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.logs import SESSION_ID, function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
services = ExpiryServices()  # built on first use (composition/family.py)


@logger.inject_lambda_context(correlation_id_path=SESSION_ID)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    status = services.expire_session(str(event["session_id"]))
    if status is SessionStatus.EXPIRED:
        metrics.add_metric(name="LinksExpired", unit=MetricUnit.Count, value=1)
    return {"session_id": event["session_id"], "status": status.value}
