from __future__ import annotations

import json
import time

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.dev_auth import DevTokens
from local.gateway import proxy_event
from local.template import Route, _path_pattern

DISPATCHERS = {
    "dana@northside.example": {
        "email": "dana@northside.example",
        "name": "Dana",
        "custom:business_id": "northside",
    }
}


def test_a_dev_token_carries_the_cognito_claims_and_verifies():
    tokens = DevTokens(DISPATCHERS)
    token = tokens.issue("Dana@Northside.example ")
    assert token is not None
    claims = tokens.verify(token)
    assert claims is not None
    assert claims["custom:business_id"] == "northside"
    assert claims["email"] == "dana@northside.example"


def test_unknown_dispatchers_get_no_token():
    assert DevTokens(DISPATCHERS).issue("eve@example.com") is None


def test_tampered_foreign_or_expired_tokens_are_refused(monkeypatch):
    tokens = DevTokens(DISPATCHERS)
    token = tokens.issue("dana@northside.example")
    assert token is not None
    header, body, signature = token.split(".")
    forged_body = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    assert tokens.verify(f"{header}.{forged_body}.{signature}") is None
    assert DevTokens(DISPATCHERS).verify(token) is None  # another process's key
    assert tokens.verify("not-a-token") is None

    expired = DevTokens(DISPATCHERS, key=b"k" * 32)
    old = expired.issue("dana@northside.example")
    assert old is not None
    # wall clock: tokens live real hours
    later = time.time() + 13 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert expired.verify(old) is None


def test_the_proxy_event_has_api_gateway_rest_shape():
    route = Route("POST", "/r/{token}/confirm", "Fn", "NONE", _path_pattern("/r/{token}/confirm"))
    builder = EnvironBuilder(
        path="/r/abc/confirm",
        method="POST",
        query_string="a=1&a=2&b=3",
        data="slot=x",
        content_type="application/x-www-form-urlencoded",
        headers=[("Host", "127.0.0.1:8000")],
    )
    event = proxy_event(route, {"token": "abc"}, Request(builder.get_environ()), None)
    assert event["resource"] == "/r/{token}/confirm"
    assert event["path"] == "/r/abc/confirm"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"token": "abc"}
    assert event["queryStringParameters"] == {"a": "2", "b": "3"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["3"]}
    assert event["body"] == "slot=x"
    assert event["isBase64Encoded"] is False
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["requestContext"]["resourcePath"] == "/r/{token}/confirm"
    assert "authorizer" not in event["requestContext"]
    json.dumps(event)  # serializable, as Lambda requires


def test_binary_bodies_are_base64_encoded_and_claims_are_passed():
    route = Route("POST", "/x", "Fn", "COGNITO_USER_POOLS", _path_pattern("/x"))
    builder = EnvironBuilder(
        path="/x", method="POST", data=b"\x00\x01", content_type="application/octet-stream"
    )
    claims = {"email": "d@x", "custom:business_id": "b"}
    event = proxy_event(route, {}, Request(builder.get_environ()), claims)
    assert event["isBase64Encoded"] is True
    assert event["body"] == "AAE="
    assert event["requestContext"]["authorizer"] == {"claims": claims}
    assert event["pathParameters"] is None


def test_the_source_ip_is_the_socket_peer_not_a_header_the_client_sets():
    # The portal throttles link guessing per sourceIp: a client must not choose its own
    route = Route("GET", "/r/{token}", "Fn", "NONE", _path_pattern("/r/{token}"))
    builder = EnvironBuilder(
        path="/r/abc",
        headers=[("X-Forwarded-For", "198.51.100.1")],
        environ_overrides={"REMOTE_ADDR": "203.0.113.9"},
    )
    event = proxy_event(route, {"token": "abc"}, Request(builder.get_environ()), None)
    assert event["requestContext"]["identity"]["sourceIp"] == "203.0.113.9"
