"""The dev sign-in's session behaves as the console's Cognito app client's: an ID token for
an hour, renewed with a refresh token that rotates on every use, a used one refused after a
short grace, the whole sign-in ending a shift after it began (rotation never extends it),
and sign-out revoking it. The local gateway serves it as Cognito's token endpoint does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from local.dev_auth import (
    ID_TOKEN_SECONDS,
    REFRESH_TOKEN_SECONDS,
    ROTATION_GRACE_SECONDS,
    DevTokens,
    RefreshRefused,
    _unb64,
)
from local.gateway import LocalGateway
from local.template import Route, _path_pattern

DISPATCHERS = {
    "dana@northside.example": {
        "email": "dana@northside.example",
        "name": "Dana",
        "custom:business_id": "northside",
    },
    "maria@bayside.example": {
        "email": "maria@bayside.example",
        "name": "Maria",
        "custom:business_id": "bayside",
    },
}
SIGNED_IN_AT = 1_796_000_000.25


class FakeClock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, now: float = SIGNED_IN_AT) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def claims_of(token: str) -> dict[str, Any]:
    return dict(json.loads(_unb64(token.split(".")[1])))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> DevTokens:
    monkeypatch.delenv("DEV_ID_TOKEN_SECONDS", raising=False)
    monkeypatch.delenv("DEV_REFRESH_TOKEN_SECONDS", raising=False)
    return DevTokens(DISPATCHERS, clock=clock)


def test_a_sign_in_gives_an_hours_id_token_with_the_nonce_and_a_refresh_token(tokens, clock):
    signed_in = tokens.sign_in("Dana@Northside.example ", nonce="n-123")
    assert signed_in is not None
    claims = claims_of(signed_in.id_token)
    assert claims["nonce"] == "n-123"
    assert claims["aud"] == "dev-console"  # the console's client id, as Cognito's carry
    assert claims["exp"] == int(SIGNED_IN_AT) + ID_TOKEN_SECONDS
    # whole seconds left, rounded down: a client timing it from the answer is never late
    assert signed_in.expires_in == ID_TOKEN_SECONDS - 1
    assert signed_in.refresh_token
    assert signed_in.refresh_token != signed_in.id_token
    assert tokens.verify(signed_in.id_token) is not None
    assert tokens.sign_in("eve@example.com") is None


def test_the_id_token_ends_after_its_lifetime_and_the_refresh_token_renews_it(tokens, clock):
    signed_in = tokens.sign_in("dana@northside.example")
    assert signed_in is not None
    clock.advance(ID_TOKEN_SECONDS)
    assert tokens.verify(signed_in.id_token) is None

    renewed = tokens.refresh(signed_in.refresh_token)

    claims = tokens.verify(renewed.id_token)
    assert claims is not None
    assert claims["custom:business_id"] == "northside"
    assert claims["sub"] == claims_of(signed_in.id_token)["sub"]
    assert "nonce" not in claims  # only the sign-in's token answers a nonce
    assert renewed.refresh_token != signed_in.refresh_token  # rotated


def test_a_used_refresh_token_works_within_the_grace_then_is_refused(tokens, clock):
    signed_in = tokens.sign_in("dana@northside.example")
    assert signed_in is not None
    first = tokens.refresh(signed_in.refresh_token)

    # A retry whose first answer was lost, within the grace: served again
    clock.advance(ROTATION_GRACE_SECONDS - 1)
    retry = tokens.refresh(signed_in.refresh_token)
    assert retry.refresh_token not in (first.refresh_token, signed_in.refresh_token)

    # Past the grace (counted from its first use), a replay is refused
    clock.advance(2)
    with pytest.raises(RefreshRefused, match="already been used"):
        tokens.refresh(signed_in.refresh_token)
    # and the rotated one still works
    assert tokens.verify(tokens.refresh(first.refresh_token).id_token) is not None


def test_rotation_never_extends_the_sign_in_past_its_shift(tokens, clock):
    signed_in = tokens.sign_in("dana@northside.example")
    assert signed_in is not None
    refresh_token = signed_in.refresh_token
    # Renewed every 55 minutes through the shift
    elapsed = 0
    while elapsed + 55 * 60 < REFRESH_TOKEN_SECONDS:
        clock.advance(55 * 60)
        elapsed += 55 * 60
        refresh_token = tokens.refresh(refresh_token).refresh_token

    clock.advance(REFRESH_TOKEN_SECONDS - elapsed)
    with pytest.raises(RefreshRefused, match="expired"):
        tokens.refresh(refresh_token)


def test_revoking_ends_that_sign_in_only(tokens):
    first = tokens.sign_in("dana@northside.example")
    other = tokens.sign_in("dana@northside.example")  # another browser
    assert first is not None
    assert other is not None
    rotated = tokens.refresh(first.refresh_token)

    tokens.revoke(first.refresh_token)

    for used in (first.refresh_token, rotated.refresh_token):
        with pytest.raises(RefreshRefused):
            tokens.refresh(used)
    assert tokens.refresh(other.refresh_token).id_token
    tokens.revoke("never-issued")  # unknown: nothing happens, as Cognito answers it


def test_unknown_or_foreign_refresh_tokens_are_refused(tokens, clock):
    with pytest.raises(RefreshRefused):
        tokens.refresh("not-a-refresh-token")
    elsewhere = DevTokens(DISPATCHERS, clock=clock).sign_in("dana@northside.example")
    assert elsewhere is not None
    with pytest.raises(RefreshRefused):
        tokens.refresh(elsewhere.refresh_token)  # another stack's


def test_lifetimes_come_from_the_environment_for_tests(monkeypatch, clock):
    monkeypatch.setenv("DEV_ID_TOKEN_SECONDS", "5")
    monkeypatch.setenv("DEV_REFRESH_TOKEN_SECONDS", "20")
    tokens = DevTokens(DISPATCHERS, clock=clock)
    signed_in = tokens.sign_in("dana@northside.example")
    assert signed_in is not None
    assert claims_of(signed_in.id_token)["exp"] - claims_of(signed_in.id_token)["iat"] == 5
    clock.advance(20)
    with pytest.raises(RefreshRefused, match="expired"):
        tokens.refresh(signed_in.refresh_token)

    for wrong in ("soon", "0", "-3"):
        monkeypatch.setenv("DEV_ID_TOKEN_SECONDS", wrong)
        with pytest.raises(ValueError, match="DEV_ID_TOKEN_SECONDS"):
            DevTokens(DISPATCHERS)


# --- the gateway's token endpoint -------------------------------------------------------


@pytest.fixture
def gateway(tokens: DevTokens) -> Client:
    protected = Route(
        "GET", "/api/me", None, "COGNITO_USER_POOLS", _path_pattern("/api/me")
    )  # no function: answers 200 once authorized
    app = LocalGateway([protected], runtime=None, tokens=tokens, sandboxes=[])  # type: ignore[arg-type]
    return Client(app)


def sign_in_over_http(gateway: Client, nonce: str = "") -> dict[str, Any]:
    query = {"dispatcher": "dana@northside.example", **({"nonce": nonce} if nonce else {})}
    response = gateway.get("/dev/token", query_string=query)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert isinstance(body, dict)
    return body


def refresh_over_http(gateway: Client, refresh_token: str, **extra: str) -> Any:
    form = {
        "grant_type": "refresh_token",
        "client_id": "dev-console",
        "refresh_token": refresh_token,
    }
    return gateway.post("/oauth2/token", data={**form, **extra})


def test_the_dev_sign_in_answers_as_a_token_endpoint_and_keeps_token_for_scripts(gateway):
    body = sign_in_over_http(gateway, nonce="abc")
    assert body["token"] == body["id_token"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] in (ID_TOKEN_SECONDS - 1, ID_TOKEN_SECONDS)
    assert claims_of(body["id_token"])["nonce"] == "abc"
    assert body["refresh_token"]


def test_the_token_endpoint_renews_and_the_api_accepts_the_new_token(gateway, clock):
    signed_in = sign_in_over_http(gateway)
    clock.advance(ID_TOKEN_SECONDS + 1)
    headers = {"Authorization": f"Bearer {signed_in['id_token']}"}
    assert gateway.get("/api/me", headers=headers).status_code == 401

    response = refresh_over_http(gateway, signed_in["refresh_token"])

    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert set(body) == {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    assert body["refresh_token"] != signed_in["refresh_token"]
    headers = {"Authorization": f"Bearer {body['id_token']}"}
    assert gateway.get("/api/me", headers=headers).status_code == 200


def test_the_token_endpoint_refuses_as_cognito_does(gateway, clock):
    signed_in = sign_in_over_http(gateway)
    refresh_token = signed_in["refresh_token"]

    assert gateway.get("/oauth2/token").status_code == 405
    as_json = gateway.post(
        "/oauth2/token",
        json={
            "grant_type": "refresh_token",
            "client_id": "dev-console",
            "refresh_token": refresh_token,
        },
    )
    assert (as_json.status_code, as_json.json["error"]) == (400, "invalid_request")
    code = refresh_over_http(gateway, refresh_token, grant_type="authorization_code")
    assert (code.status_code, code.json["error"]) == (400, "unsupported_grant_type")
    missing = refresh_over_http(gateway, "")
    assert (missing.status_code, missing.json["error"]) == (400, "invalid_request")
    other_client = refresh_over_http(gateway, refresh_token, client_id="someone-else")
    assert (other_client.status_code, other_client.json["error"]) == (400, "invalid_client")

    assert refresh_over_http(gateway, refresh_token).status_code == 200
    clock.advance(ROTATION_GRACE_SECONDS + 1)
    replayed = refresh_over_http(gateway, refresh_token)
    assert (replayed.status_code, replayed.json["error"]) == (400, "invalid_grant")
    assert replayed.json["error_description"]


def test_revocation_ends_the_sign_in(gateway):
    signed_in = sign_in_over_http(gateway)
    revoked = gateway.post(
        "/oauth2/revoke", data={"token": signed_in["refresh_token"], "client_id": "dev-console"}
    )
    assert revoked.status_code == 200
    refused = refresh_over_http(gateway, signed_in["refresh_token"])
    assert (refused.status_code, refused.json["error"]) == (400, "invalid_grant")
    assert gateway.post("/oauth2/revoke", data={}).status_code == 400
