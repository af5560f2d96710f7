"""Twilio's webhooks, accepted only when signed: delivery reports and customers' texts.

POST /webhooks/twilio/status: message status callbacks.
POST /webhooks/twilio/inbound: a text to the business number (keywords, replies); TwiML.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ForbiddenError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from reschedule_dispatch.api.http import error_answers, json_resolver, public_base_url
from reschedule_dispatch.composition.messaging import TwilioWebhooks
from reschedule_dispatch.domain.errors import Unprocessable
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.tracing import function_tracer

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
app = json_resolver(logger)
services = TwilioWebhooks()  # built on first use (composition/family.py)
WEBHOOKS = ["Webhooks"]


def _verified_form() -> dict[str, str]:
    """The callback's form fields, if X-Twilio-Signature proves Twilio sent them."""
    event = app.current_event
    params = dict(parse_qsl(event.decoded_body or "", keep_blank_values=True))
    # Twilio signs the URL it called, which is the one we gave it: our public URL + path.
    url = public_base_url(event, services.env.public_base_url) + event.path
    if event.query_string_parameters:
        url += "?" + "&".join(f"{k}={v}" for k, v in event.query_string_parameters.items())
    signature = event.headers.get("X-Twilio-Signature") or event.headers.get(
        "x-twilio-signature", ""
    )
    auth_token = services.auth_token
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise ForbiddenError("The request is not signed by Twilio.")
    return params


@app.post(
    "/webhooks/twilio/status",
    tags=WEBHOOKS,
    description="Twilio's message status callback, form-encoded (MessageSid, MessageStatus, "
    "ErrorCode) and signed.",
    responses={
        HTTPStatus.NO_CONTENT: {
            "description": "Recorded, or ignored as late or a duplicate.",
            "content": {},
        },
        **error_answers(HTTPStatus.FORBIDDEN),
    },
)
def delivery_status() -> Response[str]:
    form = _verified_form()
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if not sid or not status:
        raise Unprocessable("MessageSid and MessageStatus are required.")
    if services.record_delivery(sid, status, form.get("ErrorCode") or None):
        metrics.add_metric(name="DeliveryReports", unit=MetricUnit.Count, value=1)
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


@app.post(
    "/webhooks/twilio/inbound",
    tags=WEBHOOKS,
    description="A text to a business number, form-encoded (From, To, Body) and signed.",
    responses={
        HTTPStatus.OK: {
            "description": "TwiML: the reply to text back, if any.",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        },
        **error_answers(HTTPStatus.FORBIDDEN),
    },
)
def inbound() -> Response[str]:
    form = _verified_form()
    sender, to = form.get("From", ""), form.get("To", "")
    if not sender or not to:
        raise Unprocessable("From and To are required.")
    reply = services.inbound_message(sender, to, form.get("Body", ""))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    metrics.add_metric(name="InboundTexts", unit=MetricUnit.Count, value=1)
    return Response(status_code=HTTPStatus.OK, content_type="application/xml", body=str(twiml))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
