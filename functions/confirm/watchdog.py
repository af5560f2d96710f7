"""The watchdog: settles confirming sessions whose confirm workflow stopped.

Invoked three ways: by the state machine's Catch when Finalize or Compensate kept failing
(`{"session_id"}`: that session, at once), by its Catch on Move (`{"session_id", "error"}`:
moved, half moved or not, with Move's error as the reason if it fails), and every few
minutes by an EventBridge rule (`{"state_machine_arn"}`: every business's confirming
sessions with no execution running).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.composition.confirm import Watchdog
from reschedule_dispatch.logs import SESSION_ID, function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
services = Watchdog()  # built on first use (composition/family.py)


@logger.inject_lambda_context(correlation_id_path=SESSION_ID)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "session_id" in event:  # the workflow's Catch: its own session
        error = event.get("error")
        if error:  # Move failed: where did the appointment end up?
            status = services.resolve_session(str(event["session_id"]), str(error))
        else:
            status = services.resolve_session(str(event["session_id"]))
        logger.warning(
            "the watchdog settled the session",
            extra={"status": status.value, "error": error or "finishing failed"},
        )
        metrics.add_metric(name="SessionsSettledByWatchdog", unit=MetricUnit.Count, value=1)
        return {"session_id": event["session_id"], "status": status.value}
    report = services.watch_stuck_sessions(str(event["state_machine_arn"]))()
    if report.settled:
        logger.warning("stuck sessions settled", extra={"settled": report.settled})
    metrics.add_metric(
        name="SessionsSettledByWatchdog", unit=MetricUnit.Count, value=len(report.settled)
    )
    metrics.add_metric(
        name="SessionsStuckUnresolved", unit=MetricUnit.Count, value=len(report.unresolved)
    )
    return asdict(report)
