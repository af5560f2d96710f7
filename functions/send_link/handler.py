"""POST /api/sessions: a dispatcher texts (or emails) a customer a reschedule link.

The same function sends the links it scheduled past the customer's quiet hours: EventBridge
Scheduler invokes it with `{"scheduled_send": {...}}` when they end. The provider-webhook
function invokes it with `{"suggested_send": {...}}` for a reschedule the provider triggered,
when the business sends those automatically.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from reschedule_dispatch.adapters.lambda_suggested_sends import SuggestedSend
from reschedule_dispatch.api.http import (
    current_dispatcher,
    dispatcher_route,
    json_resolver,
    public_base_url,
)
from reschedule_dispatch.api.models import CreateSessionRequest, SessionCreated
from reschedule_dispatch.composition.messaging import LinkSending
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = LinkSending()  # built on first use (composition/family.py)


@app.post(
    "/api/sessions",
    **dispatcher_route(
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
        HTTPStatus.BAD_GATEWAY,
        HTTPStatus.SERVICE_UNAVAILABLE,
        success=HTTPStatus.CREATED,
    ),
)
def create_session(
    request: Annotated[CreateSessionRequest, Body()],
) -> Response[SessionCreated]:
    dispatcher = current_dispatcher(app.current_event)
    sent = services.send_link(app.lambda_context.invoked_function_arn)(
        business_id=dispatcher.business_id,
        dispatcher=dispatcher.email,
        appointment_id=request.appointment_id,
        message=request.message,
        public_base_url=public_base_url(app.current_event, services.env.public_base_url),
        language=request.language,
        channels=request.channels,
        send_when_allowed=request.send_when_allowed,
    )
    if sent.link:
        metrics.add_metric(name="LinksSent", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type=content_types.APPLICATION_JSON,
        body=SessionCreated(
            id=sent.session.id,
            status=sent.session.status.value,
            link=sent.link,
            expires_at=sent.session.expires_at,
            channels=list(sent.session.channels),
            problems=sent.problems,
            scheduled_for=sent.session.scheduled_for,
        ),
    )


class ScheduledSend(BaseModel):
    """What a send schedule carries (adapters/eventbridge_scheduler.py)."""

    session_id: str = Field(min_length=1, max_length=64)
    public_base_url: str


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "scheduled_send" in event:
        scheduled = ScheduledSend.model_validate(event["scheduled_send"])
        status = services.send_link(context.invoked_function_arn).send_scheduled(
            scheduled.session_id, scheduled.public_base_url
        )
        if status is SessionStatus.LINK_SENT:
            metrics.add_metric(name="LinksSent", unit=MetricUnit.Count, value=1)
        return {"session_id": scheduled.session_id, "status": status.value}
    if "suggested_send" in event:
        suggested = SuggestedSend.model_validate(event["suggested_send"])
        sent = services.send_link(context.invoked_function_arn).send_suggested(
            suggested.suggestion(), suggested.public_base_url
        )
        if sent and sent.link:
            metrics.add_metric(name="LinksSent", unit=MetricUnit.Count, value=1)
        return {"appointment_id": suggested.appointment_id, "sent": sent is not None}
    return app.resolve(event, context)
