"""A dispatcher moves an appointment directly: POST /api/appointments/{id}/move.

Closes the customer's open link, records the move as a session and starts the confirm
workflow; answers 202 with the session to follow.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response, content_types
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
from reschedule_dispatch.api.models import MoveAccepted, MoveBody, TechnicianOut
from reschedule_dispatch.composition.console import DispatcherMoves
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.services.dispatcher_move import MoveRequest
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = DispatcherMoves()  # built on first use (composition/family.py)

# Not this business's appointment or technician; a clash (rules, a session in progress);
# the provider refusing us or unreachable.
MOVE_ERRORS = (
    HTTPStatus.NOT_FOUND,
    HTTPStatus.CONFLICT,
    HTTPStatus.BAD_GATEWAY,
    HTTPStatus.SERVICE_UNAVAILABLE,
)
AppointmentId = Annotated[str, Path(min_length=1, max_length=128)]


@app.post(
    "/api/appointments/<appointment_id>/move",
    summary="Move the appointment now, through the confirm workflow",
    **dispatcher_route(*MOVE_ERRORS, success=HTTPStatus.ACCEPTED),
)
def move(
    appointment_id: AppointmentId, request: Annotated[MoveBody, Body()]
) -> Response[MoveAccepted]:
    dispatcher = current_dispatcher(app.current_event)
    notify = request.notify
    started = services.move_by_dispatcher(
        dispatcher.business_id,
        dispatcher.email,
        appointment_id,
        MoveRequest(
            start=request.start,
            technician_id=request.technician_id,
            override=request.override,
            sms=notify.sms,
            email=notify.email,
            language=notify.language,
            phone=notify.phone,
            email_address=notify.email_address,
        ),
        public_base_url(app.current_event, services.env.public_base_url),
    )
    metrics.add_metric(name="DispatcherMovesStarted", unit=MetricUnit.Count, value=1)
    session = started.session
    opening = session.new_opening
    assert opening is not None
    assert session.invitation is not None
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=MoveAccepted(
            session_id=session.id,
            status=session.status.value,
            start=opening.start,
            technician=TechnicianOut(
                id=opening.technician_id, name=session.invitation.technician_name
            ),
            rules_overridden=started.rules_overridden,
            canceled_session_id=started.canceled_session_id,
            problems=started.problems,
        ),
        headers={"Location": f"/api/sessions/{session.id}"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
