"""The router: each business's calls go to its own provider, connected once per connection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.adapters.provider_router import BusinessProviders, RoutedProvider
from reschedule_dispatch.domain.business import Business, ProviderConnection
from reschedule_dispatch.domain.errors import NotFound, ProviderUnauthorized
from reschedule_dispatch.domain.provider_events import WebhookOutcome, WebhookRequest
from reschedule_dispatch.domain.session import Opening
from tests.builders import NOW, appointment, business

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:provider-{}"


def connection(kind: str = "google_calendar", **options: Any) -> ProviderConnection:
    return ProviderConnection.model_validate(
        {"kind": kind, "secret_arn": ARN.format(kind), "options": options}
    )


class Directory:
    """BusinessDirectory in a dict; a test edits a business by putting it again."""

    def __init__(self, *businesses: Business) -> None:
        self.businesses = {b.id: b for b in businesses}

    def get(self, business_id: str, *, fresh: bool = False) -> Business:
        if business_id not in self.businesses:
            raise NotFound("Business not found.")
        return self.businesses[business_id]

    def put(self, business: Business) -> None:
        self.businesses[business.id] = business

    def by_phone(self, phone: str) -> Business:
        return next(b for b in self.businesses.values() if b.phone == phone)

    def update(self, business_id: str, change: Callable[[Business], Business]) -> Business:
        self.businesses[business_id] = change(self.get(business_id))
        return self.businesses[business_id]


class Recording:
    """A provider that records the calls it answers, under its own name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, method: str) -> Any:
        if method == "parse_webhook":  # only Hooked takes webhooks
            raise AttributeError(method)

        def call(*args: Any) -> Any:
            self.calls.append((method, *args))
            return f"{self.name}:{method}"

        return call


class Hooked(Recording):
    """A provider that takes webhooks."""

    def parse_webhook(self, request: WebhookRequest) -> WebhookOutcome:
        return WebhookOutcome()


class Connector:
    """Connects a fresh provider per call, of the class the business's kind names."""

    def __init__(self, fail_for: set[str] | None = None) -> None:
        self.connected: list[Recording] = []
        self.fail_for = fail_for or set()

    def __call__(self, business: Business) -> Any:
        if business.id in self.fail_for:
            raise ProviderUnauthorized("incomplete")
        kind = business.provider.kind
        provider = (Recording if kind == "demo" else Hooked)(f"{business.id}#{len(self.connected)}")
        self.connected.append(provider)
        return provider


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def directory() -> Directory:
    return Directory(
        business(id="lakeside", provider=connection()),
        business(id="acme", phone="+13125550101"),  # the demo provider
    )


@pytest.fixture
def connector() -> Connector:
    return Connector()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def providers(directory: Directory, connector: Connector, ticks: Ticks) -> BusinessProviders:
    return BusinessProviders(directory, connector, max_age_seconds=300, clock=ticks)


def test_each_call_goes_to_the_provider_of_the_business_it_names(providers, connector):
    # Given two businesses on different providers
    routed = RoutedProvider(providers)
    # When each is asked for its customers and its appointment moved
    answers: list[Any] = [routed.search_customers(b, "olivia") for b in ("lakeside", "acme")]
    assert answers == ["lakeside#0:search_customers", "acme#1:search_customers"]
    moving = appointment(NOW + timedelta(days=2), business_id="acme")
    opening = Opening(
        technician_id="tech-1", start=moving.start + timedelta(hours=2), end=moving.end
    )
    routed.move_appointment(moving, opening, "session-1")
    # Then each call reached its own business's provider, with its arguments unchanged
    lakeside, acme = connector.connected
    assert lakeside.calls == [("search_customers", "lakeside", "olivia")]
    assert acme.calls[-1] == ("move_appointment", moving, opening, "session-1")


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("get_customer", ("c-1",)),
        ("upcoming_appointments", ("c-1", NOW)),
        ("get_appointment", ("a-1", "t-1")),
        ("get_technician", ("t-1",)),
        ("technicians", ()),
        ("technician_appointments", ("t-1", NOW, NOW + timedelta(days=1))),
        ("technician_schedule", ("t-1", NOW, NOW + timedelta(days=1))),
    ],
)
def test_every_port_method_is_delegated_with_its_arguments(providers, connector, method, args):
    answer = getattr(RoutedProvider(providers), method)("lakeside", *args)
    assert answer == f"lakeside#0:{method}"
    assert connector.connected[0].calls == [(method, "lakeside", *args)]


def test_a_provider_is_connected_once_and_kept_while_its_connection_is_unchanged(
    providers, connector, ticks
):
    first = providers.of("lakeside")
    ticks.now += 299
    assert providers.of("lakeside") is first
    assert len(connector.connected) == 1


def test_a_changed_connection_is_connected_again(providers, directory, connector):
    # Given a connected business
    first = providers.of("lakeside")
    # When its connection is edited (another calendar, say)
    lakeside = directory.get("lakeside")
    directory.put(lakeside.model_copy(update={"provider": connection(search_days=30)}))
    # Then the next call connects the new one, and keeps it
    second = providers.of("lakeside")
    assert second is not first
    assert providers.of("lakeside") is second
    assert len(connector.connected) == 2


def test_a_connection_older_than_the_secret_cache_is_connected_again(providers, ticks):
    # Credentials rotated under the same ARN reach the adapter without a connection edit.
    first = providers.of("lakeside")
    ticks.now += 300
    assert providers.of("lakeside") is not first


def test_a_connection_that_fails_is_not_kept(directory, ticks):
    connector = Connector(fail_for={"lakeside"})
    providers = BusinessProviders(directory, connector, clock=ticks)
    with pytest.raises(ProviderUnauthorized):
        providers.of("lakeside")
    connector.fail_for.clear()
    assert providers.of("lakeside") is connector.connected[0]


def test_webhooks_answer_the_business_provider_of_that_kind(providers, connector):
    assert providers.webhooks("lakeside", "google_calendar") is connector.connected[0]


@pytest.mark.parametrize(
    ("business_id", "kind"),
    [
        ("lakeside", "servicetitan"),  # another provider than the business's
        ("acme", "demo"),  # the demo provider takes no webhooks
        ("nobody", "google_calendar"),  # no such business
    ],
)
def test_webhooks_for_anything_else_are_not_found(providers, business_id, kind):
    with pytest.raises(NotFound, match="No such webhook"):
        providers.webhooks(business_id, kind)


def test_a_webhook_of_the_wrong_kind_never_connects_the_business(directory, ticks):
    # Given a business whose connection cannot be built
    connector = Connector(fail_for={"lakeside"})
    providers = BusinessProviders(directory, connector, clock=ticks)
    # Then a webhook naming another kind is NotFound, not "reconnect it" (which would tell
    # the caller which provider the business uses)
    with pytest.raises(NotFound):
        providers.webhooks("lakeside", "microsoft_graph")
