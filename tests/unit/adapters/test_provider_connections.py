"""ProviderConnections: the adapter a business's connection names, built from its options
and its credentials secret, against the local fakes of each provider."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.clock import LocalClock
from local.fakes.google_calendar import GoogleCalendarFake
from local.fakes.microsoft_graph import MicrosoftGraphFake
from local.fakes.servicetitan import ServiceTitanFake
from reschedule_dispatch.adapters.demo_provider import DemoProvider
from reschedule_dispatch.adapters.google_calendar import GoogleCalendarProvider
from reschedule_dispatch.adapters.microsoft_graph import MicrosoftGraphProvider
from reschedule_dispatch.adapters.provider_connections import ProviderConnections
from reschedule_dispatch.adapters.servicetitan import ServiceTitanProvider
from reschedule_dispatch.domain.business import ProviderConnection
from reschedule_dispatch.domain.errors import ProviderUnauthorized
from tests.builders import business
from tests.serving import serve
from tests.tables import pk_sk_table

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lakeside-provider-AbCdEf"
GOOGLE_SECRET = {
    "client_id": "client-1.apps.googleusercontent.com",
    "client_secret": "google-client-secret-value",
    "refresh_token": "1//google-refresh-token-value",
    "channel_token": "google-channel-token-value",
}
GRAPH_TENANT = "8f1d2c3b-0000-4000-8000-000000000001"
GRAPH_SECRET = {
    "client_id": "2a7e0f4c-0000-4000-8000-000000000002",
    "client_secret": "graph-client-secret-value",
    "client_state": "graph-client-state-value",
}
ALEX = "alex@lakeside.example"
TECHNICIAN = {"id": "tech-alex", "name": "Alex Rivera"}

PINNED = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)  # what the adapters take for now


class Secrets:
    """read_secret over a dict, remembering which ARNs were read."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.read: list[str] = []

    def __call__(self, arn: str) -> Any:
        self.read.append(arn)
        return self.values[arn]


@pytest.fixture
def app_table() -> Iterator[Any]:
    with mock_aws():
        yield pk_sk_table(boto3.resource("dynamodb"))


def connected(kind: str, options: dict[str, Any], secret: Any, app_table: Any) -> Any:
    connection = ProviderConnection.model_validate(
        {"kind": kind, "secret_arn": ARN, "options": options}
    )
    connections = ProviderConnections(
        object(), app_table, Secrets({ARN: secret}), clock=LocalClock(PINNED)
    )
    return connections(business(id="lakeside", provider=connection))


@pytest.fixture
def google_url() -> Iterator[str]:
    fake = GoogleCalendarFake(
        client_id=GOOGLE_SECRET["client_id"],
        client_secret=GOOGLE_SECRET["client_secret"],
        refresh_token=GOOGLE_SECRET["refresh_token"],
    )
    fake.add_calendar(ALEX, "America/Chicago")
    start = PINNED + timedelta(days=2)
    fake.add_event(
        ALEX,
        {
            "id": "appt1",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            "extendedProperties": {
                "private": {
                    "customer_id": "c-1",
                    "customer_name": "Olivia Garcia",
                    "customer_phone": "+13125550142",
                    "service": "Panel upgrade",
                }
            },
        },
    )
    with serve(fake) as url:
        yield url


def google_options(url: str) -> dict[str, Any]:
    return {
        "technicians": [{**TECHNICIAN, "calendar_id": ALEX}],
        "api_base_url": f"{url}/google/calendar/v3",
        "token_url": f"{url}/google/token",
    }


def test_google_calendar_connects_to_the_calendars_its_options_name(google_url, app_table):
    provider = connected("google_calendar", google_options(google_url), GOOGLE_SECRET, app_table)
    assert isinstance(provider, GoogleCalendarProvider)
    # The business id was given to the adapter, and its calls reach the configured API.
    [olivia] = provider.search_customers("lakeside", "olivia")
    assert (olivia.id, olivia.business_id) == ("c-1", "lakeside")


def test_microsoft_graph_connects_to_the_tenant_its_options_name(app_table):
    fake = MicrosoftGraphFake(
        tenant_id=GRAPH_TENANT,
        client_id=GRAPH_SECRET["client_id"],
        client_secret=GRAPH_SECRET["client_secret"],
    )
    fake.add_user(ALEX)
    with serve(fake) as url:
        options = {
            "tenant_id": GRAPH_TENANT,
            "technicians": [{**TECHNICIAN, "user_id": ALEX}],
            "api_base_url": f"{url}/msgraph/v1.0",
            "login_base_url": f"{url}/msgraph",
        }
        provider = connected("microsoft_graph", options, GRAPH_SECRET, app_table)
        assert isinstance(provider, MicrosoftGraphProvider)
        # Working hours come from the mailbox: a call through the configured endpoints.
        alex = provider.get_technician("lakeside", "tech-alex")
    assert len(alex.working_hours) == 5


def test_servicetitan_connects_to_the_endpoints_its_options_name(app_table):
    fake = ServiceTitanFake(prefix="/fakes/servicetitan")
    fake.add_technician("Ana Ortiz")
    secret = {
        "tenant_id": fake.tenant_id,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "app_key": fake.app_key,
        # Endpoints in the secret lose to the connection's options.
        "api_base_url": "http://127.0.0.1:9/nowhere",
    }
    with serve(fake) as url:
        options = {
            "api_base_url": f"{url}/fakes/servicetitan",
            "auth_url": f"{url}/fakes/servicetitan/connect/token",
        }
        provider = connected("servicetitan", options, secret, app_table)
        assert isinstance(provider, ServiceTitanProvider)
        [ana] = provider.technicians("lakeside")
    assert ana.name == "Ana Ortiz"
    assert ana.business_id == "lakeside"


def test_the_demo_provider_reads_no_secret(app_table):
    secrets = Secrets({})
    connections = ProviderConnections(object(), app_table, secrets)
    # Even a demo connection that names a secret: the demo provider has no credentials.
    connection = ProviderConnection(kind="demo", secret_arn=ARN)
    for demo in (business(), business(provider=connection)):
        assert isinstance(connections(demo), DemoProvider)
    assert secrets.read == []


@pytest.mark.parametrize(
    ("kind", "options", "secret", "named"),
    [
        (
            "google_calendar",
            {"technicians": []},
            {k: v for k, v in GOOGLE_SECRET.items() if k != "refresh_token"},
            "options: technicians; credentials: refresh_token",
        ),
        (
            "microsoft_graph",
            {"technicians": [{**TECHNICIAN, "user_id": ALEX}]},
            {**GRAPH_SECRET, "client_state": "short"},
            "options: tenant_id; credentials: client_state",
        ),
        (
            "servicetitan",
            {"calendar": "x"},
            {"tenant_id": "1011", "client_id": "cid", "client_secret": "s3cret-value"},
            "options: calendar; credentials: app_key",
        ),
        ("servicetitan", {}, "not-json-object-secret-value", "credentials: not a JSON object"),
    ],
)
def test_an_incomplete_connection_is_refused_naming_its_fields_never_its_values(
    app_table, kind, options, secret, named
):
    with pytest.raises(ProviderUnauthorized) as refused:
        connected(kind, options, secret, app_table)
    message = str(refused.value)
    assert f"({named})" in message
    assert "reconnect it" in message
    values = secret.values() if isinstance(secret, dict) else [secret]
    for value in values:
        assert str(value) not in message
    # Nothing of the secret hides in the exception's chain either (logged tracebacks).
    assert refused.value.__cause__ is None
    assert refused.value.__context__ is None or refused.value.__suppress_context__


def test_the_adapters_keep_their_state_per_business_in_the_app_table(google_url, app_table):
    provider = connected("google_calendar", google_options(google_url), GOOGLE_SECRET, app_table)
    # A watch stores the calendar's sync token and the channel through the state port.
    provider.watch("tech-alex", "https://example.com/webhooks/providers/google", "channel-1")
    keys = {item["sk"] for item in app_table.scan()["Items"] if item["pk"] == "PROVIDER#lakeside"}
    assert f"STATE#google:sync-token:{ALEX}" in keys
    assert "STATE#google:channel:channel-1" in keys


def test_the_same_connection_and_credentials_keep_the_adapter_until_the_secret_rotates(
    google_url, app_table
):
    connection = ProviderConnection.model_validate(
        {"kind": "google_calendar", "secret_arn": ARN, "options": google_options(google_url)}
    )
    secrets = Secrets({ARN: GOOGLE_SECRET})
    connections = ProviderConnections(object(), app_table, secrets)
    lakeside = business(id="lakeside", provider=connection)
    first = connections(lakeside)
    # Asked again (the router's recheck): the same adapter, with its token; the secret is
    # read each time, so a rotation is seen
    assert connections(lakeside) is first
    assert secrets.read == [ARN, ARN]
    secrets.values[ARN] = {**GOOGLE_SECRET, "refresh_token": "1//rotated"}
    rotated = connections(lakeside)
    assert rotated is not first
    assert isinstance(rotated, GoogleCalendarProvider)
