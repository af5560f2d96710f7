"""A dispatcher acts on a session: POST /api/sessions/{id}/resend and /cancel; and on a
provider's suggestion: POST /api/suggestions/{appointment_id}/dismiss."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.api.http import (
    current_dispatcher,
    dispatcher_route,
    json_resolver,
    public_base_url,
)
from reschedule_dispatch.api.models import CancelRequest, SessionOut
from reschedule_dispatch.composition.console import SessionActions
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = SessionActions()  # built on first use (composition/family.py)

# Not this business's session; closed or being confirmed; Twilio or the scheduler unreachable.
ACTION_ERRORS = (HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.SERVICE_UNAVAILABLE)
SessionId = Annotated[str, Path(min_length=1, max_length=64)]


@app.post("/api/sessions/<session_id>/resend", **dispatcher_route(*ACTION_ERRORS))
def resend(session_id: SessionId) -> SessionOut:
    dispatcher = current_dispatcher(app.current_event)
    session, timeline = services.resend_link(
        dispatcher.business_id,
        dispatcher.email,
        session_id,
        public_base_url(app.current_event, services.env.public_base_url),
    )
    metrics.add_metric(name="LinksResent", unit=MetricUnit.Count, value=1)
    return SessionOut.of(session, timeline)


@app.post("/api/sessions/<session_id>/cancel", **dispatcher_route(*ACTION_ERRORS))
def cancel(
    session_id: SessionId, request: Annotated[CancelRequest | None, Body()] = None
) -> SessionOut:
    dispatcher = current_dispatcher(app.current_event)
    session, timeline = services.cancel_session(
        dispatcher.business_id,
        dispatcher.email,
        session_id,
        notify_customer=bool(request and request.notify_customer),
    )
    metrics.add_metric(name="SessionsCanceled", unit=MetricUnit.Count, value=1)
    return SessionOut.of(session, timeline)


@app.post(
    "/api/suggestions/<appointment_id>/dismiss",
    **dispatcher_route(HTTPStatus.NOT_FOUND, success=HTTPStatus.NO_CONTENT),
)
def dismiss_suggestion(
    appointment_id: Annotated[str, Path(min_length=1, max_length=128)],
) -> Response[str]:
    """The dispatcher will not send a link for it."""
    services.dismiss_suggestion(current_dispatcher(app.current_event).business_id, appointment_id)
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
