"""Twice a day (an EventBridge rule): every business on Google Calendar or Microsoft Outlook
has push channels (subscriptions) to the provider-webhook route, none about to end."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.composition.providers import ProviderChannels
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
services = ProviderChannels()  # built on first use (composition/family.py)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kept = services.keep_providers_notified()
    metrics.add_metric(
        name="ProviderChannelsOpened", unit=MetricUnit.Count, value=sum(kept.opened.values())
    )
    metrics.add_metric(name="ProviderChannelsFailed", unit=MetricUnit.Count, value=len(kept.failed))
    return {"opened": kept.opened, "failed": kept.failed}
