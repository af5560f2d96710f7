from __future__ import annotations

import importlib
from urllib.parse import urlencode

import pytest

from local.twilio_sandbox import twilio_signature
from reschedule_dispatch.composition import Dependencies
from tests.integration.conftest import TWILIO

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhooks/twilio/status"


def _sign(url: str, params: dict[str, str], token: str = TWILIO["auth_token"]) -> str:
    """Signed as Twilio signs (the sandbox's signer, checked against Twilio's example)."""
    return twilio_signature(token, url, params)


def _event(params: dict[str, str], signature: str | None) -> dict:
    headers = {
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "X-Forwarded-Proto": "https",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return {
        "resource": "/webhooks/twilio/status",
        "path": "/webhooks/twilio/status",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/webhooks/twilio/status",
            "httpMethod": "POST",
            "path": "/prod/webhooks/twilio/status",
            "stage": "prod",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "requestId": "r1",
            "identity": {"sourceIp": "1.2.3.4"},
        },
        "body": urlencode(params),
        "isBase64Encoded": False,
    }


class Context:
    function_name = "webhooks"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:webhooks"
    aws_request_id = "req-1"


@pytest.fixture
def handler(world, monkeypatch):
    module = importlib.import_module("functions.webhooks.handler")
    # on this test's moto, built on first use
    monkeypatch.setattr(module, "services", type(module.services)(Dependencies()))
    return module.lambda_handler


def _sent_sid(world) -> tuple[str, str]:
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    return sent.session.id, str(world.sessions.get("acme", sent.session.id).message_sid)


def test_a_signed_delivery_report_is_recorded(world, handler):
    session_id, sid = _sent_sid(world)
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": TWILIO["account_sid"]}
    response = handler(_event(params, _sign(URL, params)), Context())
    assert response["statusCode"] == 204
    assert world.sessions.get("acme", session_id).delivery_status == "delivered"


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_an_unsigned_or_wrongly_signed_report_is_refused_and_nothing_recorded(
    world, handler, signature
):
    session_id, sid = _sent_sid(world)
    params = {"MessageSid": sid, "MessageStatus": "delivered"}
    response = handler(_event(params, signature), Context())
    assert response["statusCode"] == 403
    assert world.sessions.get("acme", session_id).delivery_status == "queued"


def test_a_signature_for_other_parameters_is_refused(world, handler):
    session_id, sid = _sent_sid(world)
    signed_for = {"MessageSid": sid, "MessageStatus": "sent"}
    sent_params = {"MessageSid": sid, "MessageStatus": "delivered"}
    response = handler(_event(sent_params, _sign(URL, signed_for)), Context())
    assert response["statusCode"] == 403
    assert world.sessions.get("acme", session_id).delivery_status == "queued"


def test_a_signed_report_missing_fields_is_unprocessable(world, handler):
    params = {"MessageStatus": "delivered"}
    response = handler(_event(params, _sign(URL, params)), Context())
    assert response["statusCode"] == 422
