"""A dispatcher acts on a session: POST /api/sessions/{id}/resend and /cancel; and on a
provider's suggestion: POST /api/suggestions/{appointment_id}/dismiss."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
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
from reschedule_dispatch.api.models import CancelRequest, SessionOut
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.services.provider_events import DismissSuggestion
from reschedule_dispatch.services.session_actions import CancelSession, ResendLink
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)

# Not this business's session; closed or being confirmed; Twilio or the scheduler unreachable.
ACTION_ERRORS = (HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.SERVICE_UNAVAILABLE)
SessionId = Annotated[str, Path(min_length=1, max_length=64)]


@cache
def _env() -> wiring.SessionActionsEnv:
    return wiring.SessionActionsEnv()


@cache
def _resend_link() -> ResendLink:
    return wiring.resend_link(_env())


@cache
def _cancel_session() -> CancelSession:
    return wiring.cancel_session(_env())


@app.post("/api/sessions/<session_id>/resend", **dispatcher_route(*ACTION_ERRORS))
def resend(session_id: SessionId) -> SessionOut:
    dispatcher = current_dispatcher(app.current_event)
    session, timeline = _resend_link()(
        dispatcher.business_id,
        dispatcher.email,
        session_id,
        public_base_url(app.current_event, _env().public_base_url),
    )
    metrics.add_metric(name="LinksResent", unit=MetricUnit.Count, value=1)
    return SessionOut.of(session, timeline)


@app.post("/api/sessions/<session_id>/cancel", **dispatcher_route(*ACTION_ERRORS))
def cancel(
    session_id: SessionId, request: Annotated[CancelRequest | None, Body()] = None
) -> SessionOut:
    dispatcher = current_dispatcher(app.current_event)
    session, timeline = _cancel_session()(
        dispatcher.business_id,
        dispatcher.email,
        session_id,
        notify_customer=bool(request and request.notify_customer),
    )
    metrics.add_metric(name="SessionsCanceled", unit=MetricUnit.Count, value=1)
    return SessionOut.of(session, timeline)


@cache
def _dismiss_suggestion() -> DismissSuggestion:
    return wiring.dismiss_suggestion(_env())


@app.post(
    "/api/suggestions/<appointment_id>/dismiss",
    **dispatcher_route(HTTPStatus.NOT_FOUND, success=HTTPStatus.NO_CONTENT),
)
def dismiss_suggestion(
    appointment_id: Annotated[str, Path(min_length=1, max_length=128)],
) -> Response[str]:
    """The dispatcher will not send a link for it."""
    _dismiss_suggestion()(current_dispatcher(app.current_event).business_id, appointment_id)
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
