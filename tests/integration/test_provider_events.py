"""What the product does with a provider's events: open links end when their appointment
changes elsewhere; reasons to reschedule become suggestions, or links sent automatically."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from reschedule_dispatch.adapters.dynamodb_suggestions import DynamoSuggestions
from reschedule_dispatch.adapters.eventbridge_scheduler import EventBridgeScheduledSends
from reschedule_dispatch.domain.errors import NotFound
from reschedule_dispatch.domain.provider_events import ProviderChange, ProviderEvent, Suggestion
from reschedule_dispatch.domain.session import Actor, Opening, SessionStatus
from reschedule_dispatch.services.closed_sessions import LinkClosed
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.provider_events import (
    APPOINTMENT_CANCELED,
    CHANGED_ELSEWHERE,
    ApplyProviderEvent,
    DismissSuggestion,
)
from reschedule_dispatch.services.send_link import SendLink

BASE = "https://api.example"


def _suggestions(world) -> DynamoSuggestions:
    return DynamoSuggestions(boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]))


def _apply(world, sent: list[Suggestion] | None = None) -> ApplyProviderEvent:
    return ApplyProviderEvent(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        suggestions=_suggestions(world),
        expiry=world.expiry,
        sends=EventBridgeScheduledSends(
            boto3.client("scheduler"), world.env["SCHEDULE_GROUP_NAME"], "", "", ""
        ),
        clock=world.clock,
        send_automatically=None if sent is None else sent.append,
    )


def _send_link(world) -> SendLink:
    return SendLink(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        sms=world.sms,
        expiry=world.expiry,
        clock=world.clock,
        contacts=world.contacts,
        suggestions=_suggestions(world),
    )


def _event(change: ProviderChange, appointment_id: str = "appt-1") -> ProviderEvent:
    return ProviderEvent("acme", appointment_id, change, event_id=f"e-{change}")


def _schedule_exists(world, name: str) -> bool:
    try:
        boto3.client("scheduler").get_schedule(
            Name=name, GroupName=world.env["SCHEDULE_GROUP_NAME"]
        )
    except boto3.client("scheduler").exceptions.ResourceNotFoundException:
        return False
    return True


@pytest.fixture
def open_link(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    assert sent.link
    return sent


def test_an_appointment_moved_elsewhere_fails_its_open_link(world, open_link):
    # Given the appointment moved an hour later in the provider
    moved = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(
        moved.model_copy(
            update={
                "start": moved.start + timedelta(hours=1),
                "end": moved.end + timedelta(hours=1),
            }
        )
    )
    # When the provider says so
    _apply(world)(_event(ProviderChange.UPDATED))
    # Then the link has failed, by the provider, with the reason; its expiry is gone
    session = world.sessions.get("acme", open_link.session.id)
    assert session.status is SessionStatus.FAILED
    assert session.failure_reason == CHANGED_ELSEWHERE
    last = world.sessions.timeline(session.id)[-1]
    assert (last.type, last.actor) == ("changed_elsewhere", Actor.PROVIDER)
    assert not _schedule_exists(world, f"session-{session.id}")
    # And the customer's page says so, with the appointment's time as it is now
    token = open_link.link.rsplit("/", 1)[-1]
    page = CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
    ).page(token)
    assert page.session.status is SessionStatus.FAILED
    assert page.appointment.start == moved.start + timedelta(hours=1)


def test_an_appointment_only_touched_keeps_its_link(world, open_link):
    # Given the provider reports a change that left time and technician as they were
    _apply(world)(_event(ProviderChange.UPDATED))
    # Then the link is still open and its expiry still scheduled
    session = world.sessions.get("acme", open_link.session.id)
    assert session.status is SessionStatus.LINK_SENT
    assert _schedule_exists(world, f"session-{session.id}")


def _cancel_in_provider(world, appointment_id: str = "appt-1") -> None:
    appointment = world.provider.get_appointment("acme", appointment_id)
    world.provider.put_appointment(appointment.model_copy(update={"status": "canceled"}))


def test_a_canceled_appointment_cancels_its_link_and_the_page_says_why(world, open_link):
    _cancel_in_provider(world)
    _apply(world)(_event(ProviderChange.CANCELED))
    session = world.sessions.get("acme", open_link.session.id)
    assert session.status is SessionStatus.CANCELED
    assert world.sessions.timeline(session.id)[-1].type == "appointment_canceled"
    token = open_link.link.rsplit("/", 1)[-1]
    links = CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
    )
    with pytest.raises(LinkClosed, match=APPOINTMENT_CANCELED):
        links.page(token)


def test_a_cancellation_the_provider_does_not_confirm_leaves_the_link(world, open_link):
    # A notification says canceled (replayed, or forged), but the provider's own API still
    # has the appointment as it was: the customer's link stays
    _apply(world)(_event(ProviderChange.CANCELED))
    session = world.sessions.get("acme", open_link.session.id)
    assert session.status is SessionStatus.LINK_SENT


def test_a_cancellation_of_an_appointment_that_moved_ends_the_link_as_changed(world, open_link):
    appointment = world.provider.get_appointment("acme", "appt-1")
    later = appointment.start + timedelta(hours=2)
    world.provider.move_appointment(
        appointment,
        Opening(start=later, end=later + timedelta(hours=1), technician_id="tech-1"),
        "elsewhere",
    )
    _apply(world)(_event(ProviderChange.CANCELED))
    session = world.sessions.get("acme", open_link.session.id)
    assert (session.status, session.failure_reason) == (SessionStatus.FAILED, CHANGED_ELSEWHERE)


def test_a_link_being_confirmed_is_left_to_its_workflow(world, open_link):
    # Given the customer is confirming (our own move is what the provider reports)
    opening = world.provider.get_appointment("acme", "appt-1")
    world.sessions.transition(
        open_link.session.id,
        SessionStatus.LINK_SENT,
        SessionStatus.CONFIRMING,
        world.sessions.timeline(open_link.session.id)[0],
        new_opening=Opening(
            start=opening.start + timedelta(days=1),
            end=opening.end + timedelta(days=1),
            technician_id=opening.technician_id,
        ),
    )
    # When the provider reports the appointment canceled
    _apply(world)(_event(ProviderChange.CANCELED))
    # Then the session is still confirming: the workflow decides
    assert world.sessions.get("acme", open_link.session.id).status is SessionStatus.CONFIRMING


def test_a_reason_to_reschedule_is_suggested_until_a_link_is_sent(world):
    # Given the customer canceled in the provider, and the business suggests (the default)
    _apply(world)(_event(ProviderChange.CUSTOMER_CANCELED))
    # Then a dispatcher sees it, in words
    [suggestion] = _suggestions(world).list("acme")
    assert (suggestion.appointment_id, suggestion.customer_name) == ("appt-1", "Olivia Garcia")
    assert suggestion.reason == "Customer canceled"
    assert _suggestions(world).list("other") == []
    # When a dispatcher sends a link for it
    _send_link(world)("acme", "d@acme.example", "appt-1", None, BASE)
    # Then the suggestion is answered
    assert _suggestions(world).list("acme") == []
    # And a new reason while the link is out suggests nothing
    _apply(world)(_event(ProviderChange.NO_SHOW))
    assert _suggestions(world).list("acme") == []


def test_a_reason_to_reschedule_for_an_appointment_that_is_gone_is_ignored(world):
    _apply(world)(_event(ProviderChange.NO_ACCESS, appointment_id="gone"))
    assert _suggestions(world).list("acme") == []
    with pytest.raises(NotFound):
        world.provider.get_appointment("acme", "gone")


def test_a_business_that_sends_automatically_gets_the_link_sent(world):
    # Given the business sends links for provider triggers itself
    business = world.businesses.get("acme", fresh=True)
    world.businesses.put(
        business.model_copy(
            update={"settings": business.settings.model_copy(update={"provider_triggers": "send"})}
        )
    )
    handed_over: list[Suggestion] = []
    # When the provider reports a no-show
    _apply(world, handed_over)(_event(ProviderChange.NO_SHOW))
    # Then the send is handed to the send-link function, and nothing waits for a dispatcher
    [suggestion] = handed_over
    assert suggestion.change is ProviderChange.NO_SHOW
    assert _suggestions(world).list("acme") == []
    # And there, the link goes out by text, marked as automatic
    sent = _send_link(world).send_suggested(suggestion, BASE)
    assert sent is not None
    assert sent.link
    assert sent.session.dispatcher == "Automatic: Technician reported a no-show"
    assert world.sms.sent[-1]["to"] == "+13125550142"
    # And a redelivery changes nothing: the link is already out
    assert _send_link(world).send_suggested(suggestion, BASE) is None
    assert len(world.sms.sent) == 1


def test_an_automatic_send_that_cannot_go_becomes_a_suggestion_with_the_reason(world):
    # Given the customer opted out of texts
    world.contacts.opt_out("acme", "+13125550142", world.clock.now(), "STOP")
    suggestion = Suggestion(
        "acme", "appt-1", "cust-1", "Olivia Garcia", ProviderChange.NO_SHOW, world.clock.now()
    )
    # When the send-link function tries to send it
    assert _send_link(world).send_suggested(suggestion, BASE) is None
    # Then nothing was sent, and a dispatcher sees why
    assert world.sms.sent == []
    [waiting] = _suggestions(world).list("acme")
    assert waiting.detail.startswith("Not sent automatically: The customer has opted out")


def test_dismissing_a_suggestion_removes_it_once(world):
    _apply(world)(_event(ProviderChange.MANUAL_OVERRIDE))
    dismiss = DismissSuggestion(suggestions=_suggestions(world))
    # Another business cannot dismiss it (and learns nothing: not found)
    with pytest.raises(NotFound):
        dismiss("other", "appt-1")
    assert [s.appointment_id for s in _suggestions(world).list("acme")] == ["appt-1"]
    dismiss("acme", "appt-1")
    assert _suggestions(world).list("acme") == []
    with pytest.raises(NotFound):
        dismiss("acme", "appt-1")


def test_the_newest_suggestions_are_listed_whatever_their_appointment_ids(world, monkeypatch):
    # Given more suggestions than a page holds, the newest with the lowest appointment ids
    monkeypatch.setattr("reschedule_dispatch.adapters.dynamodb_suggestions.MAX_SUGGESTIONS", 3)
    suggestions = _suggestions(world)
    for n in range(5):
        suggestions.put(
            Suggestion(
                "acme",
                f"appt-{9 - n}",  # newer suggestions sort first by id only in reverse
                "cust-1",
                "Olivia Garcia",
                ProviderChange.NO_SHOW,
                world.clock.now() + timedelta(minutes=n),
            )
        )
    # Then the page is the three newest, newest first
    assert [s.appointment_id for s in suggestions.list("acme")] == ["appt-5", "appt-6", "appt-7"]
