"""POST /webhooks/providers/{provider}: the handler, a business connected to Google Calendar
(the real adapter against the local Google Calendar fake), moto for the rest."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from local.fakes.google_calendar import GoogleCalendarFake
from reschedule_dispatch import composition
from reschedule_dispatch.composition import Dependencies
from reschedule_dispatch.composition.settings import ProviderWebhooksEnv
from reschedule_dispatch.domain.business import ProviderConnection
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.provider_events import CHANGED_ELSEWHERE
from reschedule_dispatch.services.send_link import SendLink
from tests.integration.test_webhooks_handler import Context
from tests.serving import serve

CALENDAR = "alex@acme.example"
CHANNEL = "channel-1"
CREDENTIALS = {
    "client_id": "client-1.apps.googleusercontent.com",
    "client_secret": "client-secret",
    "refresh_token": "1//refresh-token",
    "channel_token": "channel-token-0123456789",
}
# Wednesday 10:00 in Chicago; the tests' clock is Monday 9:00.
START = datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("America/Chicago"))


def _event_body(start: datetime) -> dict[str, Any]:
    return {
        "id": "g-1",
        "summary": "Drain cleaning",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        "extendedProperties": {
            "private": {
                "customer_id": "cust-1",
                "customer_name": "Olivia Garcia",
                "customer_phone": "+13125550142",
                "service": "Drain cleaning",
                "lat": "41.9",
                "lon": "-87.6",
            }
        },
    }


def _forget_connections() -> None:
    # A process keeps one directory and one set of connections: a test that reconnects a
    # business starts the process's set afresh, and leaves a fresh one to the next test.
    composition.start()


@pytest.fixture
def google(world) -> Iterator[GoogleCalendarFake]:
    fake = GoogleCalendarFake(
        client_id=CREDENTIALS["client_id"],
        client_secret=CREDENTIALS["client_secret"],
        refresh_token=CREDENTIALS["refresh_token"],
    )
    fake.add_calendar(CALENDAR, "America/Chicago")
    fake.add_event(CALENDAR, _event_body(START))
    with serve(fake) as url:
        arn = boto3.client("secretsmanager").create_secret(
            Name="reschedule-dispatch/providers/acme", SecretString=json.dumps(CREDENTIALS)
        )["ARN"]
        business = world.businesses.get("acme", fresh=True)
        hours = [{"weekday": d, "start": "08:00:00", "end": "17:00:00"} for d in range(5)]
        connection = ProviderConnection(
            kind="google_calendar",
            secret_arn=arn,
            options={
                "technicians": [
                    {
                        "id": "tech-1",
                        "name": "Alex Rivera",
                        "calendar_id": CALENDAR,
                        "working_hours": hours,
                    }
                ],
                "api_base_url": f"{url}/google/calendar/v3",
                "token_url": f"{url}/google/token",
            },
        )
        world.businesses.put(business.model_copy(update={"provider": connection}))
        _forget_connections()
        yield fake
    _forget_connections()


@pytest.fixture
def handler(world, monkeypatch):
    module = importlib.import_module("functions.provider_webhooks.handler")
    # on this test's moto, built on first use
    monkeypatch.setattr(module, "services", type(module.services)(Dependencies()))
    return module.lambda_handler


def _request(
    provider: str = "google_calendar",
    business: str | None = "acme",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: str = "",
) -> dict[str, Any]:
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", **(headers or {})}
    query = {**({"business": business} if business else {}), **(query or {})}
    path = f"/webhooks/providers/{provider}"
    return {
        "resource": "/webhooks/providers/{provider}",
        "path": path,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": {"provider": provider},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/webhooks/providers/{provider}",
            "httpMethod": "POST",
            "path": f"/prod{path}",
            "stage": "prod",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "requestId": "r1",
            "identity": {"sourceIp": "1.2.3.4"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def _google_headers(token: str | None = CREDENTIALS["channel_token"]) -> dict[str, str]:
    """What Google sends with a push notification (the fake's `notify` sends the same)."""
    headers = {
        "X-Goog-Channel-ID": CHANNEL,
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "2",
    }
    if token is not None:
        headers["X-Goog-Channel-Token"] = token
    return headers


@pytest.fixture
def open_link(world, google):
    """A link out for the Google Calendar appointment, and our watch channel on its calendar."""
    env = ProviderWebhooksEnv()
    calendar = composition.dependencies().business_providers(env).of("acme")
    calendar.watch(  # type: ignore[attr-defined]
        "tech-1", "https://abc123.example/webhooks/providers/google_calendar", CHANNEL
    )
    sent = SendLink(
        sessions=world.sessions,
        provider=composition.dependencies().people_schedule(env),
        businesses=world.businesses,
        sms=world.sms,
        expiry=world.expiry,
        clock=world.clock,
        contacts=world.contacts,
    )("acme", "d@acme.example", "g-1", None, "https://abc123.example")
    return sent.session


def test_a_verified_push_for_a_moved_appointment_fails_its_link(world, google, open_link, handler):
    # Given the appointment moved an hour later in Google Calendar
    google.change_event(
        CALENDAR,
        "g-1",
        {
            "start": {"dateTime": (START + timedelta(hours=1)).isoformat()},
            "end": {"dateTime": (START + timedelta(hours=2)).isoformat()},
        },
    )
    # When Google's push arrives with our channel token
    response = handler(_request(headers=_google_headers()), Context())
    # Then it is accepted and the link has failed with the reason
    assert response["statusCode"] == 202
    session = world.sessions.get("acme", open_link.id)
    assert (session.status, session.failure_reason) == (SessionStatus.FAILED, CHANGED_ELSEWHERE)


NOT_VERIFIED = {"message": "This webhook could not be verified."}


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789"])
def test_an_unverified_push_is_refused_and_nothing_recorded(
    world, google, open_link, handler, token
):
    google.cancel_event(CALENDAR, "g-1")
    response = handler(_request(headers=_google_headers(token)), Context())
    assert response["statusCode"] == 403
    assert json.loads(response["body"]) == NOT_VERIFIED
    assert world.sessions.get("acme", open_link.id).status is SessionStatus.LINK_SENT


def test_a_stranger_cannot_tell_which_businesses_exist_or_what_they_use(world, google, handler):
    # "other" uses the demo provider; "acme" is on Google, not Outlook; "ghost" is nobody:
    # each answers exactly as a real business's wrong signature does
    unsigned = handler(_request(headers=_google_headers(None)), Context())
    for provider, business in (
        ("google_calendar", "other"),
        ("microsoft_graph", "acme"),
        ("google_calendar", "ghost"),
    ):
        response = handler(_request(provider, business, _google_headers()), Context())
        assert (response["statusCode"], response["body"]) == (
            unsigned["statusCode"],
            unsigned["body"],
        ), (provider, business)
    assert handler(_request("nobody", "acme"), Context())["statusCode"] == 422
    assert handler(_request(business=None), Context())["statusCode"] == 422


def test_the_renewal_job_opens_channels_to_the_webhook_route(world, google, monkeypatch):
    # Given another business on Google whose refresh token Google no longer accepts
    other = world.businesses.get("other", fresh=True)
    acme = world.businesses.get("acme", fresh=True)
    refused = {**CREDENTIALS, "refresh_token": "1//revoked"}
    arn = boto3.client("secretsmanager").create_secret(
        Name="reschedule-dispatch/providers/other", SecretString=json.dumps(refused)
    )["ARN"]
    world.businesses.put(
        other.model_copy(update={"provider": acme.provider.model_copy(update={"secret_arn": arn})})
    )
    monkeypatch.setenv("WEBHOOK_BASE_URL", "https://api.example/prod/")
    _forget_connections()
    module = importlib.import_module("functions.provider_channels.handler")
    monkeypatch.setattr(module, "services", type(module.services)(Dependencies()))
    # When the twice-daily job runs
    result = module.lambda_handler({"source": "aws.events"}, Context())
    # Then acme's calendar pushes to the webhook route, and other's refusal is reported
    assert result["opened"] == {"acme": 1}
    assert "refused our credentials" in result["failed"]["other"]
    [channel] = google.channels()
    assert channel["address"] == (
        "https://api.example/prod/webhooks/providers/google_calendar?business=acme"
    )
    assert channel["token"] == CREDENTIALS["channel_token"]
