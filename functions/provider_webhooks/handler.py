"""POST /webhooks/providers/{provider}?business={id}: a scheduling provider's notifications.

The business's own provider adapter verifies each request (Google's channel token, Graph's
client state, ServiceTitan's signature) before anything is read or recorded: unverified
requests get 401/403. Its events end open links for appointments changed elsewhere and
suggest (or send) reschedules (services/provider_events.py). Graph's subscription
handshake (`validationToken`) is answered with the token, as text.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlencode

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch import providers
from reschedule_dispatch.api.http import ErrorBody, error_answers, json_resolver, public_base_url
from reschedule_dispatch.composition.providers import ProviderWebhooks
from reschedule_dispatch.domain.provider_events import WebhookRequest
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = ProviderWebhooks()  # built on first use (composition/family.py)

if TYPE_CHECKING:
    ConnectedProvider = str
else:  # the registered providers that send webhooks, as the route's enum (OpenAPI, 422)
    ConnectedProvider = Literal[providers.kinds(webhooks=True)]


def _json_error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorBody}}}


@app.post(
    "/webhooks/providers/<provider>",
    tags=["Webhooks"],
    description="A scheduling provider's change notification, as the provider sends it; "
    "`business` is the query parameter given to the provider when the channel, "
    "subscription or webhook was registered.",
    responses={
        HTTPStatus.OK: {
            "description": "A subscription handshake: the validation token, echoed.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        HTTPStatus.ACCEPTED: {"description": "Verified and applied.", "content": {}},
        HTTPStatus.FORBIDDEN: _json_error(
            "Not verified: no business on this provider with this address, or no or a wrong "
            "signature, channel token or client state (one answer for all, so the route "
            "says nothing about which businesses exist). Nothing was recorded."
        ),
        # 404 only for a path the router cannot read at all (never for a business)
        **error_answers(
            HTTPStatus.NOT_FOUND, HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE
        ),
    },
)
def provider_webhook(
    provider: Annotated[ConnectedProvider, Path()],
    business: Annotated[str, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")],
) -> Response[str]:
    event = app.current_event
    query = event.query_string_parameters or {}
    origin = public_base_url(event, services.env.public_base_url)
    request = WebhookRequest(
        method="POST",
        url=f"{origin}{event.path}" + (f"?{urlencode(query)}" if query else ""),
        headers={k.lower(): v for k, v in (event.headers or {}).items()},
        query=query,
        body=(event.decoded_body or "").encode(),
    )
    reply = services.receive(origin)(business, provider, request)
    metrics.add_metric(name="ProviderWebhooks", unit=MetricUnit.Count, value=1)
    return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
