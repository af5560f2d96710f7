"""The console's reads: customers, openings, the session lists, a session's detail, an
appointment's timeline, a check of a time against the rules, the schedule, the provider's
suggestions and connection. Read-only (a move is functions/dispatcher_move)."""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.api.http import (
    current_dispatcher,
    dispatcher_route,
    json_resolver,
    public_base_url,
)
from reschedule_dispatch.api.models import (
    AppointmentTimelineOut,
    BusinessOut,
    CustomerOut,
    MeOut,
    MoveCheckBody,
    MoveCheckOut,
    OpeningsOut,
    PreviewOut,
    PreviewRequest,
    ProviderStatusOut,
    ScheduleOut,
    SessionList,
    SessionOut,
    SessionSummary,
    SuggestionList,
    SuggestionOut,
    TechnicianOut,
)
from reschedule_dispatch.composition.console import ConsoleReads
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.services.schedule import MAX_DAYS
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = ConsoleReads()  # built on first use (composition/family.py)

# What a route that asks the scheduling provider may also answer.
PROVIDER_ERRORS = (HTTPStatus.NOT_FOUND, HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE)


@app.get("/api/me", **dispatcher_route(HTTPStatus.NOT_FOUND))
def me() -> MeOut:
    dispatcher = current_dispatcher(app.current_event)
    business = services.get_business(dispatcher.business_id)
    return MeOut(
        email=dispatcher.email,
        role=dispatcher.role,
        business=BusinessOut(
            id=business.id, name=business.name, phone=business.phone, time_zone=business.time_zone
        ),
    )


@app.post("/api/messages/preview", **dispatcher_route(*PROVIDER_ERRORS))
def preview_message(request: Annotated[PreviewRequest, Body()]) -> PreviewOut:
    dispatcher = current_dispatcher(app.current_event)
    preview = services.preview_message(
        dispatcher.business_id,
        request.appointment_id,
        request.message,
        request.language,
        public_base_url(app.current_event, services.env.public_base_url),
    )
    return PreviewOut(**vars(preview))


@app.get("/api/appointments/<appointment_id>/openings", **dispatcher_route(*PROVIDER_ERRORS))
def appointment_openings(
    appointment_id: Annotated[str, Path(min_length=1, max_length=128)],
    explain: Annotated[
        bool, Query(description="Also list rejected times near the top ones")
    ] = False,
) -> OpeningsOut:
    dispatcher = current_dispatcher(app.current_event)
    business, found = services.appointment_openings(
        dispatcher.business_id, appointment_id, explain=explain
    )
    return OpeningsOut.of(business, found, explain)


@app.get("/api/customers", **dispatcher_route(*PROVIDER_ERRORS))
def search_customers(
    q: Annotated[str, Query(min_length=1, max_length=100, description="Name or phone")],
) -> list[CustomerOut]:
    dispatcher = current_dispatcher(app.current_event)
    return [CustomerOut.of(found) for found in services.search_customers(dispatcher.business_id, q)]


@app.get("/api/sessions/<session_id>", **dispatcher_route(HTTPStatus.NOT_FOUND))
def get_session(session_id: Annotated[str, Path(min_length=1, max_length=64)]) -> SessionOut:
    dispatcher = current_dispatcher(app.current_event)
    session, timeline = services.get_session(dispatcher.business_id, session_id)
    return SessionOut.of(session, timeline)


@app.get("/api/suggestions", **dispatcher_route())
def list_suggestions() -> SuggestionList:
    """Appointments the scheduling provider says need a new time, newest first."""
    business_id = current_dispatcher(app.current_event).business_id
    found = services.list_suggestions(business_id)
    return SuggestionList(suggestions=[SuggestionOut.of(s) for s in found])


@app.get("/api/provider", **dispatcher_route(HTTPStatus.NOT_FOUND))
def provider_status() -> ProviderStatusOut:
    """The business's scheduling provider, and whether it answers right now."""
    status = services.check_provider_connection(current_dispatcher(app.current_event).business_id)
    return ProviderStatusOut.model_validate(status, from_attributes=True)


@app.get("/api/sessions", **dispatcher_route())
def list_sessions(
    view: Annotated[Literal["in_progress", "history"], Query()] = "in_progress",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> SessionList:
    dispatcher = current_dispatcher(app.current_event)
    page = services.list_sessions(dispatcher.business_id, view == "in_progress", limit, cursor)
    return SessionList(sessions=[SessionSummary.of(s) for s in page.sessions], cursor=page.cursor)


AppointmentId = Annotated[str, Path(min_length=1, max_length=128)]


@app.post(
    "/api/appointments/<appointment_id>/move/check",
    summary="Check a start and technician against the rules (changes nothing)",
    **dispatcher_route(*PROVIDER_ERRORS, HTTPStatus.CONFLICT),
)
def check_move(
    appointment_id: AppointmentId, request: Annotated[MoveCheckBody, Body()]
) -> MoveCheckOut:
    dispatcher = current_dispatcher(app.current_event)
    checked = services.check_move(
        dispatcher.business_id, appointment_id, request.start, request.technician_id
    )
    zone = checked.business.zone
    return MoveCheckOut(
        start=checked.opening.start.astimezone(zone),
        end=checked.opening.end.astimezone(zone),
        technician=TechnicianOut(id=checked.technician.id, name=checked.technician.name),
        allowed=not checked.broken,
        broken_rules=checked.broken,
    )


@app.get("/api/schedule", **dispatcher_route(*PROVIDER_ERRORS))
def schedule(
    start: Annotated[date, Query(description="The first day, in the business's time zone")],
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="1 (a day) to 7 (a week)")] = 1,
    technician_id: Annotated[
        str | None, Query(min_length=1, max_length=128, description="Only this technician")
    ] = None,
) -> ScheduleOut:
    dispatcher = current_dispatcher(app.current_event)
    return ScheduleOut.of(services.schedule(dispatcher.business_id, start, days, technician_id))


@app.get("/api/appointments/<appointment_id>/timeline", **dispatcher_route(*PROVIDER_ERRORS))
def appointment_timeline(appointment_id: AppointmentId) -> AppointmentTimelineOut:
    dispatcher = current_dispatcher(app.current_event)
    found = services.appointment_timeline(dispatcher.business_id, appointment_id)
    return AppointmentTimelineOut(
        appointment_id=appointment_id,
        sessions=[SessionOut.of(session, timeline) for session, timeline in found],
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
