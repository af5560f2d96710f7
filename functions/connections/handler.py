"""Connecting the business's calendar from Settings (OAuth 2 code flow with PKCE):
POST /api/connections/{kind}/start (an admin: the provider's consent URL), GET
/api/connections/callback (no token: the browser back from the provider) and DELETE
/api/connections (an admin disconnects)."""

from __future__ import annotations

import html
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.api.http import (
    current_dispatcher,
    dispatcher_route,
    error_answers,
    html_response,
    json_resolver,
    private_response,
    public_base_url,
)
from reschedule_dispatch.api.models import ConnectionStartOut, DisconnectedOut
from reschedule_dispatch.composition.console import ConnectionServices
from reschedule_dispatch.domain.connections import ConnectionRefused
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = ConnectionServices()  # built on first use (composition/family.py)

CALLBACK = "/api/connections/callback"
Kind = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]


def _callback_url() -> str:
    return public_base_url(app.current_event, services.env.public_base_url) + CALLBACK


def _settings_url(**result: str) -> str:
    console = services.env.console_url or public_base_url(app.current_event) + "/console/"
    return f"{console}#/settings?{urlencode(result)}"


@app.post(
    "/api/connections/<kind>/start",
    **dispatcher_route(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def start(kind: Kind) -> ConnectionStartOut:
    dispatcher = current_dispatcher(app.current_event)
    url = services.start(
        dispatcher.business_id, dispatcher.email, dispatcher.role, kind, _callback_url()
    )
    return ConnectionStartOut(authorization_url=url)


@app.get(
    CALLBACK,
    tags=["Connections"],
    summary="Where the provider sends the admin's browser back (no token)",
    description="Checks the single-use state, exchanges the code with the PKCE verifier, "
    "keeps the tokens in the business's secret and redirects to the console's Settings "
    "(`connection=connected`). Any refusal (denied, unknown, used or expired state, a code "
    "the provider refused) answers a page saying what to do next; nothing is written.",
    responses={
        HTTPStatus.SEE_OTHER: {"description": "Connected: back to Settings."},
        **error_answers(),  # never sent (nothing is validated) but always documented
        HTTPStatus.FORBIDDEN: {
            "description": "Refused: a page saying why (data-reason) and what to do next.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
    },
)
def callback() -> Response[str]:
    # Read as sent (no validation answer of Powertools' own: a refusal is the page below).
    query = app.current_event.query_string_parameters or {}
    code, state, error = (
        str(query.get(k) or "")[:2048] or None for k in ("code", "state", "error")
    )
    try:
        connected = services.finish(state, code, error)
    except ConnectionRefused as refused:
        logger.info("connection refused", extra={"reason": refused.reason})
        metrics.add_metric(name="ConnectionsRefused", unit=MetricUnit.Count, value=1)
        return _refused_page(refused)
    metrics.add_metric(name="ConnectionsMade", unit=MetricUnit.Count, value=1)
    logger.info("connected", extra={"business_id": connected.business_id, "kind": connected.kind})
    location = _settings_url(connection="connected", kind=connected.kind)
    return private_response(
        HTTPStatus.SEE_OTHER, "Connected.", "text/plain", {"Location": location}
    )


@app.delete("/api/connections", **dispatcher_route(HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT))
def disconnect() -> DisconnectedOut:
    dispatcher = current_dispatcher(app.current_event)
    connection = services.disconnect(dispatcher.business_id, dispatcher.role)
    logger.info("disconnected", extra={"business_id": dispatcher.business_id})
    return DisconnectedOut(kind=connection.kind, disconnected=True)


def _refused_page(refused: ConnectionRefused) -> Response[str]:
    back = html.escape(_settings_url(connection="refused", reason=refused.reason))
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not connected'
        f'</title></head><body><main><h1>Not connected</h1><p id="reason" data-reason="'
        f'{html.escape(refused.reason)}">{html.escape(str(refused))}</p>'
        f'<p><a href="{back}">Back to Settings</a></p></main></body></html>'
    )
    return html_response(HTTPStatus.FORBIDDEN, body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
