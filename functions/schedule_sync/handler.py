"""Every few minutes (an EventBridge rule): every business's schedule mirror is read whole
from its provider, healing any push that was missed; nightly, customers are read again too.

Publishes how far behind the worst mirror was (MirrorLagSeconds, alarmed) and how many
businesses could not be read (MirrorSyncsFailed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.composition.providers import ScheduleSync
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
services = ScheduleSync()  # built on first use (composition/family.py)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    done = services.reconcile_mirrors(reread_customers=bool(event.get("reread_customers")))
    metrics.add_metric(
        name="MirrorLagSeconds", unit=MetricUnit.Seconds, value=done.worst_lag_seconds
    )
    metrics.add_metric(name="MirrorSyncsFailed", unit=MetricUnit.Count, value=len(done.failed))
    return {
        "synced": {b: r.items_written for b, r in done.synced.items()},
        "failed": done.failed,
    }
