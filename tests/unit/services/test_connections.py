"""Connecting a calendar from Settings on the in-memory fakes: the consent URL an admin gets,
the callback's checks (state unknown, replayed, expired; consent denied; code refused), each
refusal writing nothing, and a disconnect that says so instead of reading another provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from reschedule_dispatch.domain.business import ProviderConnection
from reschedule_dispatch.domain.connections import ConnectionRefused, OAuthClient, s256
from reschedule_dispatch.domain.errors import Conflict, NotAllowed, NotFound
from reschedule_dispatch.services.connections import (
    Disconnect,
    FinishConnection,
    OAuthApps,
    StartConnection,
)
from tests.builders import business
from tests.fakes import (
    FakeBusinesses,
    FakePendingConnections,
    FakeProviderSecrets,
    FakeTokenExchange,
    FixedClock,
)

CALLBACK = "https://api.example/api/connections/callback"
APPS = OAuthApps(
    clients=lambda kind: OAuthClient("app-client", "app-secret"),
    endpoints={},
    fresh_options={"google_calendar": {"token_url": "https://fake.example/token"}},
)


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.businesses = FakeBusinesses(business())
        self.pending = FakePendingConnections()
        self.secrets = FakeProviderSecrets()
        self.exchange = FakeTokenExchange()
        self.start = StartConnection(pending=self.pending, apps=APPS, clock=self.clock)
        self.finish = FinishConnection(
            pending=self.pending,
            apps=APPS,
            exchange=self.exchange,
            secrets=self.secrets,
            businesses=self.businesses,
            clock=self.clock,
        )
        self.disconnect = Disconnect(secrets=self.secrets, businesses=self.businesses)

    def consent(self) -> tuple[str, str]:
        """An admin starts; the provider, approving, answers (code, state)."""
        url = self.start("acme", "ana@acme.example", "admin", "google_calendar", CALLBACK)
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return self.exchange.issue(query["code_challenge"]), query["state"]


@pytest.fixture
def world() -> World:
    return World()


def test_the_consent_url_asks_for_offline_calendar_access_with_pkce_and_state(world):
    url = world.start("acme", "ana@acme.example", "admin", "google_calendar", CALLBACK)

    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://accounts.google.com/o/oauth2/v2/auth"
    )
    assert query["client_id"] == "app-client"  # the product's registration
    assert query["redirect_uri"] == CALLBACK
    assert query["response_type"] == "code"
    assert "https://www.googleapis.com/auth/calendar" in query["scope"].split()
    assert (query["access_type"], query["prompt"]) == ("offline", "consent")
    assert query["code_challenge_method"] == "S256"
    pending = world.pending.items[query["state"]]
    assert query["code_challenge"] == s256(pending.code_verifier)
    assert (pending.business_id, pending.admin_email) == ("acme", "ana@acme.example")
    assert (pending.expires_at - world.clock.now()).total_seconds() == 600
    assert len(query["state"]) >= 32
    assert len(pending.code_verifier) >= 43


def test_only_an_admin_starts_and_only_a_known_kind(world):
    with pytest.raises(NotAllowed):
        world.start("acme", "dan@acme.example", "dispatcher", "google_calendar", CALLBACK)
    with pytest.raises(NotFound):
        world.start("acme", "ana@acme.example", "admin", "servicetitan", CALLBACK)
    assert world.pending.items == {}


def test_an_approved_consent_connects_the_business_with_its_tokens_in_its_secret(world):
    code, state = world.consent()

    connected = world.finish(state, code, None)

    connection = world.businesses.get("acme").provider
    assert (connected.kind, connected.account) == ("google_calendar", "owner@calendar.example")
    assert connection.kind == "google_calendar"
    assert connection.account == "owner@calendar.example"
    assert connection.options["token_url"] == "https://fake.example/token"
    assert connection.options["technicians"][0]["calendar_id"] == "primary"
    secret = world.secrets.values[connection.secret_arn]
    assert secret["refresh_token"] == f"refresh-{code}"
    assert (secret["client_id"], secret["client_secret"]) == ("app-client", "app-secret")
    assert len(secret["channel_token"]) >= 16


def test_a_reconnect_keeps_the_options_and_the_channel_token(world):
    options = {"technicians": [{"id": "t1", "name": "Tess", "calendar_id": "tess@x.example"}]}
    old_arn = "arn:aws:secretsmanager:us-east-1:1:secret:reschedule-dispatch/providers/acme"
    world.secrets.values[old_arn] = {"channel_token": "kept-channel-token-123456"}
    world.businesses.update(
        "acme",
        lambda b: b.model_copy(
            update={
                "provider": ProviderConnection(
                    kind="google_calendar", secret_arn=old_arn, options=options
                )
            }
        ),
    )
    code, state = world.consent()

    world.finish(state, code, None)

    connection = world.businesses.get("acme").provider
    assert connection.options == options
    assert world.secrets.values[connection.secret_arn]["channel_token"] == (
        "kept-channel-token-123456"
    )
    assert old_arn in world.secrets.deleted  # one secret per business


def _nothing_written(world: World) -> None:
    assert world.businesses.get("acme").provider.kind == "demo"
    assert world.secrets.values == {}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown", "unknown_state"),
        ("missing", "missing_state"),
        ("denied", "denied"),
        ("expired", "expired_state"),
        ("wrong_code", "code_refused"),
    ],
)
def test_each_refusal_is_named_and_writes_nothing(world, case, reason):
    code, state = world.consent()
    arguments: tuple[str | None, str | None, str | None] = {
        "unknown": ("not-a-state", code, None),
        "missing": (None, code, None),
        "denied": (state, None, "access_denied"),
        "expired": (state, code, None),
        "wrong_code": (state, "code-forged", None),
    }[case]
    if case == "expired":
        world.clock.advance(minutes=10)

    with pytest.raises(ConnectionRefused) as refused:
        world.finish(*arguments)

    assert refused.value.reason == reason
    assert "Settings" in str(refused.value)
    _nothing_written(world)


def test_a_replayed_state_is_refused_even_after_success(world):
    code, state = world.consent()
    world.finish(state, code, None)
    arn = world.businesses.get("acme").provider.secret_arn

    with pytest.raises(ConnectionRefused) as refused:
        world.finish(state, code, None)

    assert refused.value.reason == "used_state"
    assert world.businesses.get("acme").provider.secret_arn == arn
    assert world.exchange.exchanged == [code]  # the code went to the provider once


def test_a_denied_consent_uses_up_its_state(world):
    _, state = world.consent()
    with pytest.raises(ConnectionRefused):
        world.finish(state, None, "access_denied")
    with pytest.raises(ConnectionRefused) as again:
        world.finish(state, "code-1", None)
    assert again.value.reason == "used_state"


def test_disconnect_marks_the_connection_and_schedules_its_secret_for_deletion(world):
    code, state = world.consent()
    world.finish(state, code, None)
    arn = world.businesses.get("acme").provider.secret_arn

    with pytest.raises(NotAllowed):
        world.disconnect("acme", "dispatcher")
    gone = world.disconnect("acme", "admin")

    assert gone.disconnected
    assert gone.kind == "google_calendar"
    assert gone.secret_arn is None
    assert gone.options["technicians"]  # reconnecting keeps the crew
    assert arn in world.secrets.deleted
    assert world.businesses.connected() == []  # the scheduled jobs leave it alone
    with pytest.raises(Conflict):
        world.disconnect("acme", "admin")


def test_a_disconnected_business_can_connect_again(world):
    code, state = world.consent()
    world.finish(state, code, None)
    world.disconnect("acme", "admin")
    code, state = world.consent()

    world.finish(state, code, None)

    connection = world.businesses.get("acme").provider
    assert not connection.disconnected
    assert world.secrets.read(connection.secret_arn) is not None


def test_a_connection_whose_business_cannot_be_recorded_leaves_no_secret_behind(world):
    # Given a consent approved, and the business's record refusing the write
    code, state = world.consent()

    def refuse(business_id, change):
        raise Conflict("The business was being changed by someone else. Try again.")

    world.businesses.update = refuse

    # When the callback finishes, it fails, and the secret it made is scheduled for deletion
    with pytest.raises(Conflict):
        world.finish(state, code, None)
    assert set(world.secrets.values) == world.secrets.deleted
