"""Suggestions, provider events seen and link guesses: each fake and its DynamoDB adapter
keep the same promises."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.adapters.dynamodb_guesses import DynamoGuessThrottle
from reschedule_dispatch.adapters.dynamodb_seen_events import DynamoSeenEvents
from reschedule_dispatch.adapters.dynamodb_suggestions import DynamoSuggestions
from reschedule_dispatch.domain.provider_events import ProviderChange, Suggestion
from tests.builders import NOW
from tests.fakes import FakeGuessThrottle, FakeSeenEvents, FakeSuggestions


def _implementation(request: pytest.FixtureRequest, fake: Any, adapter: Any) -> Any:
    if request.param == "fake":
        return fake()
    return adapter(request.getfixturevalue("tables").app)


@pytest.fixture(params=["fake", "dynamodb"])
def suggestions(request: pytest.FixtureRequest) -> Any:
    return _implementation(request, FakeSuggestions, DynamoSuggestions)


@pytest.fixture(params=["fake", "dynamodb"])
def seen(request: pytest.FixtureRequest) -> Any:
    return _implementation(request, FakeSeenEvents, DynamoSeenEvents)


@pytest.fixture(params=["fake", "dynamodb"])
def guesses(request: pytest.FixtureRequest) -> Any:
    return _implementation(request, FakeGuessThrottle, DynamoGuessThrottle)


def _suggestion(appointment_id: str, minutes: int, **changes: Any) -> Suggestion:
    return Suggestion(
        business_id=changes.pop("business_id", "acme"),
        appointment_id=appointment_id,
        customer_id="cust-1",
        customer_name="Olivia Garcia",
        change=changes.pop("change", ProviderChange.NO_SHOW),
        at=NOW + timedelta(minutes=minutes),
        **changes,
    )


def test_suggestions_are_one_per_appointment_newest_first(suggestions):
    suggestions.put(_suggestion("appt-b", 1))
    suggestions.put(_suggestion("appt-a", 2))
    suggestions.put(_suggestion("appt-c", 0, business_id="other"))
    later = _suggestion("appt-b", 3, change=ProviderChange.NO_ACCESS, detail="Not sent: opted out")
    suggestions.put(later)  # a later reason replaces the earlier one
    assert suggestions.list("acme") == [later, _suggestion("appt-a", 2)]
    assert suggestions.list("nobody") == []


def test_a_suggestion_is_resolved_once_and_only_by_its_business(suggestions):
    suggestions.put(_suggestion("appt-1", 0))
    assert not suggestions.resolve("other", "appt-1")
    assert suggestions.resolve("acme", "appt-1")
    assert not suggestions.resolve("acme", "appt-1")
    assert suggestions.list("acme") == []


def test_an_event_is_new_once_per_business_until_forgotten(seen):
    assert seen.first_time("acme", "evt-1", 0)
    assert not seen.first_time("acme", "evt-1", 0)
    assert seen.first_time("other", "evt-1", 0)
    seen.forget("acme", "evt-1")
    seen.forget("acme", "never-seen")
    assert seen.first_time("acme", "evt-1", 0)


def test_unknown_links_are_counted_per_client_and_window(guesses):
    assert guesses.unknown_links("client", 300) == 0
    assert [guesses.add_unknown_link("client", 300, 900) for _ in range(3)] == [1, 2, 3]
    assert guesses.unknown_links("client", 300) == 3
    assert guesses.unknown_links("client", 600) == 0
    assert guesses.unknown_links("another", 300) == 0
