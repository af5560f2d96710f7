"""The console's reads: customers, openings, the session lists, a session's detail. Read-only."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch import wiring
from reschedule_dispatch.api.http import (
    current_dispatcher,
    dispatcher_route,
    json_resolver,
    public_base_url,
)
from reschedule_dispatch.api.models import (
    BusinessOut,
    CustomerOut,
    MeOut,
    OpeningsOut,
    PreviewOut,
    PreviewRequest,
    SessionList,
    SessionOut,
    SessionSummary,
)
from reschedule_dispatch.tracing import function_tracer

if TYPE_CHECKING:  # each route's service loads with its first request (the openings engine...)
    from reschedule_dispatch.services.business_settings import GetBusiness
    from reschedule_dispatch.services.openings import AppointmentOpeningsQuery
    from reschedule_dispatch.services.queries import GetSession, PreviewMessage, SearchCustomers
    from reschedule_dispatch.services.session_actions import ListSessions

logger = Logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)

# What a route that asks the scheduling provider may also answer.
PROVIDER_ERRORS = (HTTPStatus.NOT_FOUND, HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE)


@cache
def _search_customers() -> SearchCustomers:
    return wiring.search_customers()


@cache
def _get_session() -> GetSession:
    return wiring.get_session()


@cache
def _list_sessions() -> ListSessions:
    return wiring.list_sessions()


@cache
def _env() -> wiring.DispatcherEnv:
    return wiring.DispatcherEnv()


@cache
def _get_business() -> GetBusiness:
    return wiring.get_business(_env())


@cache
def _preview_message() -> PreviewMessage:
    return wiring.preview_message(_env())


@app.get("/api/me", **dispatcher_route(HTTPStatus.NOT_FOUND))
def me() -> MeOut:
    dispatcher = current_dispatcher(app.current_event)
    business = _get_business()(dispatcher.business_id)
    return MeOut(
        email=dispatcher.email,
        business=BusinessOut(
            id=business.id, name=business.name, phone=business.phone, time_zone=business.time_zone
        ),
    )


@app.post("/api/messages/preview", **dispatcher_route(*PROVIDER_ERRORS))
def preview_message(request: Annotated[PreviewRequest, Body()]) -> PreviewOut:
    dispatcher = current_dispatcher(app.current_event)
    preview = _preview_message()(
        dispatcher.business_id,
        request.appointment_id,
        request.message,
        request.language,
        public_base_url(app.current_event, _env().public_base_url),
    )
    return PreviewOut(**vars(preview))


@cache
def _appointment_openings() -> AppointmentOpeningsQuery:
    return wiring.appointment_openings()


@app.get("/api/appointments/<appointment_id>/openings", **dispatcher_route(*PROVIDER_ERRORS))
def appointment_openings(
    appointment_id: Annotated[str, Path(min_length=1, max_length=128)],
    explain: Annotated[
        bool, Query(description="Also list rejected times near the top ones")
    ] = False,
) -> OpeningsOut:
    dispatcher = current_dispatcher(app.current_event)
    business, found = _appointment_openings()(
        dispatcher.business_id, appointment_id, explain=explain
    )
    return OpeningsOut.of(business, found, explain)


@app.get("/api/customers", **dispatcher_route(*PROVIDER_ERRORS))
def search_customers(
    q: Annotated[str, Query(min_length=1, max_length=100, description="Name or phone")],
) -> list[CustomerOut]:
    dispatcher = current_dispatcher(app.current_event)
    return [CustomerOut.of(found) for found in _search_customers()(dispatcher.business_id, q)]


@app.get("/api/sessions/<session_id>", **dispatcher_route(HTTPStatus.NOT_FOUND))
def get_session(session_id: Annotated[str, Path(min_length=1, max_length=64)]) -> SessionOut:
    dispatcher = current_dispatcher(app.current_event)
    session, timeline = _get_session()(dispatcher.business_id, session_id)
    return SessionOut.of(session, timeline)


@app.get("/api/sessions", **dispatcher_route())
def list_sessions(
    view: Annotated[Literal["in_progress", "history"], Query()] = "in_progress",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> SessionList:
    dispatcher = current_dispatcher(app.current_event)
    page = _list_sessions()(dispatcher.business_id, view == "in_progress", limit, cursor)
    return SessionList(sessions=[SessionSummary.of(s) for s in page.sessions], cursor=page.cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
