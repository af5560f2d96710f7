"""A business starts and its team changes: POST /api/signup (anyone: a person names their
business and becomes its admin), and GET, POST /api/team and DELETE /api/team/{email} (an
admin invites and removes dispatchers; everyone on the team sees it)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.api.http import (
    current_dispatcher,
    dispatcher_route,
    error_answers,
    json_resolver,
)
from reschedule_dispatch.api.models import BusinessOut, InviteBody, SignedUp, TeamMemberOut
from reschedule_dispatch.composition.console import TeamServices
from reschedule_dispatch.domain.team import NewBusiness
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = TeamServices()  # built on first use (composition/family.py)

Email = Annotated[str, Path(min_length=3, max_length=254)]


@app.post(
    "/api/signup",
    tags=["Sign-up"],
    summary="Start a business: its name, number and zone; the caller becomes its admin",
    description="No token: the identity provider emails the admin how to sign in (a "
    "temporary password, then their own and an authenticator app). 409 when the number is "
    "another business's or the email is on a team already; nothing is written then.",
    responses={
        HTTPStatus.CREATED: {"description": "The business exists; sign-in instructions sent."},
        **error_answers(HTTPStatus.CONFLICT),
    },
)
def sign_up(request: Annotated[NewBusiness, Body()]) -> Response[SignedUp]:
    business = services.sign_up(request)
    metrics.add_metric(name="BusinessesStarted", unit=MetricUnit.Count, value=1)
    logger.info("business started", extra={"business_id": business.id})
    body = SignedUp(
        business=BusinessOut(
            id=business.id, name=business.name, phone=business.phone, time_zone=business.time_zone
        ),
        admin_email=request.admin_email,
    )
    return Response(HTTPStatus.CREATED, content_types.APPLICATION_JSON, body)


@app.get("/api/team", **dispatcher_route())
def team() -> list[TeamMemberOut]:
    dispatcher = current_dispatcher(app.current_event)
    return [TeamMemberOut.of(m) for m in services.list_team(dispatcher.business_id)]


@app.post(
    "/api/team",
    **dispatcher_route(HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT, success=HTTPStatus.CREATED),
)
def invite(request: Annotated[InviteBody, Body()]) -> Response[TeamMemberOut]:
    dispatcher = current_dispatcher(app.current_event)
    member = services.invite(
        dispatcher.business_id, dispatcher.email, dispatcher.role, request.email, request.role
    )
    return Response(HTTPStatus.CREATED, content_types.APPLICATION_JSON, TeamMemberOut.of(member))


@app.delete(
    "/api/team/<email>",
    **dispatcher_route(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
)
def remove(email: Email) -> TeamMemberOut:
    dispatcher = current_dispatcher(app.current_event)
    # API Gateway hands the path segment on as sent: "ana%40acme.example" is ana@acme.example.
    removed = services.remove(
        dispatcher.business_id, dispatcher.email, dispatcher.role, unquote(email)
    )
    return TeamMemberOut.of(removed)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
