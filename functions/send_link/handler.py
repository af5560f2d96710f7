"""POST /api/sessions: a dispatcher texts a customer a reschedule link."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch import wiring
from reschedule_dispatch.api.http import (
    current_dispatcher,
    dispatcher_route,
    json_resolver,
    public_base_url,
)
from reschedule_dispatch.api.models import CreateSessionRequest, SessionCreated
from reschedule_dispatch.services.send_link import SendLink

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = json_resolver(logger)


@cache
def _env() -> wiring.SendLinkEnv:
    return wiring.SendLinkEnv()


@cache
def _send_link() -> SendLink:
    return wiring.send_link(_env())


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
    sent = _send_link()(
        business_id=dispatcher.business_id,
        dispatcher=dispatcher.email,
        appointment_id=request.appointment_id,
        message=request.message,
        public_base_url=public_base_url(app.current_event, _env().public_base_url),
        language=request.language,
    )
    metrics.add_metric(name="LinksSent", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type=content_types.APPLICATION_JSON,
        body=SessionCreated(
            id=sent.session.id,
            status=sent.session.status.value,
            link=sent.link,
            expires_at=sent.session.expires_at,
        ),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
