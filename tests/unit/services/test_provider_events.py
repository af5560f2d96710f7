"""What the product does with the provider's own news (services/provider_events.py): an open
link ends when its appointment changes elsewhere; a reason to reschedule becomes a
suggestion, or a link sent automatically; webhooks are applied once each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import (
    NotFound,
    ProviderUnauthorized,
    ProviderUnavailable,
    WebhookRejected,
)
from reschedule_dispatch.domain.provider_events import (
    ProviderChange,
    ProviderEvent,
    Suggestion,
    WebhookOutcome,
    WebhookReply,
    WebhookRequest,
)
from reschedule_dispatch.domain.session import Actor, Opening, SessionStatus
from reschedule_dispatch.services.provider_events import (
    APPOINTMENT_CANCELED,
    CHANGED_ELSEWHERE,
    NOT_VERIFIED,
    REMEMBER_EVENTS,
    ApplyProviderEvent,
    DismissSuggestion,
    KeepProvidersNotified,
    ListSuggestions,
    ReceiveProviderWebhook,
)
from tests.builders import NOW, business
from tests.fakes import FakeBusinesses, FakeSeenEvents
from tests.unit.services.conftest import DISPATCHER, LATE_EVENING, WEDNESDAY_10AM

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"


def _apply(world, *, sent: list[Suggestion] | None = None, resync: Any = None):
    return ApplyProviderEvent(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        suggestions=world.suggestions,
        expiry=world.expiry,
        sends=world.sends,
        clock=world.clock,
        send_automatically=None if sent is None else sent.append,
        resync=resync,
    )


def _event(change: ProviderChange, appointment_id: str = "appt-1") -> ProviderEvent:
    return ProviderEvent("acme", appointment_id, change, event_id=f"e-{change}")


def _move_in_provider(world, **update: Any) -> None:
    current = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(current.model_copy(update=update))


# --- the appointment changed elsewhere ------------------------------------------------------


def test_an_appointment_moved_elsewhere_fails_its_open_link(world):
    session, _ = world.sent()
    hour = timedelta(hours=1)
    _move_in_provider(world, start=WEDNESDAY_10AM + hour, end=WEDNESDAY_10AM + 2 * hour)
    _apply(world)(_event(ProviderChange.UPDATED))
    failed = world.sessions.get_by_id(session.id)
    assert (failed.status, failed.failure_reason) == (SessionStatus.FAILED, CHANGED_ELSEWHERE)
    last = world.sessions.timeline(session.id)[-1]
    assert (last.type, last.actor) == ("changed_elsewhere", Actor.PROVIDER)
    assert world.expiry.scheduled == {}


def test_an_appointment_reassigned_elsewhere_fails_its_open_link(world):
    session, _ = world.sent()
    _move_in_provider(world, technician_id="tech-2")
    _apply(world)(_event(ProviderChange.UPDATED))
    assert world.status(session.id) is SessionStatus.FAILED


def test_an_appointment_only_touched_keeps_its_link(world):
    session, _ = world.sent()
    _move_in_provider(world, service="Drain cleaning (2 drains)", version=2)
    _apply(world)(_event(ProviderChange.UPDATED))
    assert world.status(session.id) is SessionStatus.LINK_SENT
    assert session.id in world.expiry.scheduled


def test_a_canceled_appointment_cancels_its_link(world):
    session, _ = world.sent()
    _move_in_provider(world, status="canceled")
    _apply(world)(_event(ProviderChange.CANCELED))
    canceled = world.sessions.get_by_id(session.id)
    assert (canceled.status, canceled.failure_reason) == (
        SessionStatus.CANCELED,
        APPOINTMENT_CANCELED,
    )
    assert world.timeline(session.id)[-1] == "appointment_canceled"
    assert world.expiry.scheduled == {}


def test_an_appointment_gone_from_the_provider_cancels_its_link(world):
    session, _ = world.sent()
    world.provider.failures["get_appointment"] = NotFound("Appointment not found.")
    _apply(world)(_event(ProviderChange.UPDATED))
    assert world.status(session.id) is SessionStatus.CANCELED


def test_a_cancellation_the_provider_does_not_confirm_leaves_the_link(world):
    session, _ = world.sent()
    _apply(world)(_event(ProviderChange.CANCELED))  # replayed, or forged
    assert world.status(session.id) is SessionStatus.LINK_SENT


def test_a_cancellation_of_an_appointment_that_moved_ends_the_link_as_changed(world):
    session, _ = world.sent()
    hour = timedelta(hours=2)
    _move_in_provider(world, start=WEDNESDAY_10AM + hour, end=WEDNESDAY_10AM + 1.5 * hour)
    _apply(world)(_event(ProviderChange.CANCELED))
    failed = world.sessions.get_by_id(session.id)
    assert (failed.status, failed.failure_reason) == (SessionStatus.FAILED, CHANGED_ELSEWHERE)


def test_a_link_being_confirmed_is_left_to_its_workflow(world):
    session, _, _ = world.confirming()
    _move_in_provider(world, status="canceled")
    world.provider.calls.clear()
    _apply(world)(_event(ProviderChange.CANCELED))
    assert world.status(session.id) is SessionStatus.CONFIRMING
    assert world.provider.calls["get_appointment"] == 0  # its If-Match finds any change


def test_a_link_not_sent_yet_is_withdrawn_with_its_send(world):
    world.clock.at = LATE_EVENING
    scheduled = world.send_link()(
        "acme", DISPATCHER, "appt-1", None, "https://x", send_when_allowed=True
    ).session
    hour = timedelta(hours=1)
    _move_in_provider(world, start=WEDNESDAY_10AM + hour, end=WEDNESDAY_10AM + 2 * hour)
    _apply(world)(_event(ProviderChange.UPDATED))
    assert world.status(scheduled.id) is SessionStatus.CANCELED  # a link not out cannot fail
    assert world.sends.scheduled == {}


def test_news_of_an_appointment_with_no_link_changes_nothing(world):
    _apply(world)(_event(ProviderChange.UPDATED))
    assert world.sessions.for_appointment("acme", "appt-1") == []
    assert world.suggestions.list("acme") == []


def test_a_link_that_moved_on_meanwhile_keeps_what_won(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]
    hour = timedelta(hours=1)
    _move_in_provider(world, start=WEDNESDAY_10AM + hour, end=WEDNESDAY_10AM + 2 * hour)

    class ConfirmedMeanwhile:
        def __getattr__(self, name: str) -> Any:
            return getattr(world.sessions, name)

        def transition(self, session_id, expected, new, event, **changes):
            world.sessions.transition(
                session_id,
                expected,
                SessionStatus.CONFIRMING,
                event,
                new_opening=Opening(
                    start=opening.start, end=opening.end, technician_id=opening.technician_id
                ),
            )
            return world.sessions.transition(session_id, expected, new, event, **changes)

    apply = _apply(world)
    apply._sessions = ConfirmedMeanwhile()
    apply(_event(ProviderChange.UPDATED))
    assert world.status(session.id) is SessionStatus.CONFIRMING
    assert session.id in world.expiry.scheduled  # its schedule kept


class Resyncs:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.asked: list[tuple[str, str]] = []
        self.fail_with = fail_with

    def __call__(self, business_id: str, appointment_id: str) -> None:
        self.asked.append((business_id, appointment_id))
        if self.fail_with:
            raise self.fail_with


def test_the_mirror_is_brought_in_step_with_a_change_and_a_failure_is_no_error(world):
    resync = Resyncs(fail_with=ProviderUnavailable("503"))
    _apply(world, resync=resync)(_event(ProviderChange.UPDATED))
    assert resync.asked == [("acme", "appt-1")]
    _apply(world, resync=resync)(_event(ProviderChange.NO_SHOW))  # a trigger: not a change
    assert resync.asked == [("acme", "appt-1")]


# --- a reason to reschedule ---------------------------------------------------------------


def test_a_reason_to_reschedule_is_suggested_to_a_dispatcher(world):
    _apply(world)(_event(ProviderChange.CUSTOMER_CANCELED))
    [suggestion] = world.suggestions.list("acme")
    assert (suggestion.appointment_id, suggestion.customer_id, suggestion.customer_name) == (
        "appt-1",
        "cust-1",
        "Olivia Garcia",
    )
    assert (suggestion.change, suggestion.at) == (ProviderChange.CUSTOMER_CANCELED, NOW)
    assert world.suggestions.list("other") == []


def test_no_suggestion_while_a_link_is_out_but_one_past_an_overdue_link(world):
    link, _ = world.sent()
    _apply(world)(_event(ProviderChange.NO_SHOW))
    assert world.suggestions.list("acme") == []
    world.clock.at = link.expires_at + timedelta(seconds=1)
    _apply(world)(_event(ProviderChange.NO_SHOW))
    assert world.status(link.id) is SessionStatus.EXPIRED
    assert [s.appointment_id for s in world.suggestions.list("acme")] == ["appt-1"]


def test_a_reason_for_an_appointment_that_is_gone_is_ignored(world):
    _apply(world)(_event(ProviderChange.NO_ACCESS, appointment_id="gone"))
    assert world.suggestions.list("acme") == []


def test_a_business_that_sends_automatically_hands_the_send_over(world):
    world.change_business(provider_triggers="send")
    handed: list[Suggestion] = []
    _apply(world, sent=handed)(_event(ProviderChange.NO_SHOW))
    [suggestion] = handed
    assert (suggestion.appointment_id, suggestion.change) == ("appt-1", ProviderChange.NO_SHOW)
    assert world.suggestions.list("acme") == []
    # Where nothing can send it, a dispatcher gets it
    _apply(world)(_event(ProviderChange.NO_SHOW))
    assert len(world.suggestions.list("acme")) == 1


def test_suggestions_are_listed_and_dismissed_once_by_their_business(world):
    _apply(world)(_event(ProviderChange.MANUAL_OVERRIDE))
    dismiss = DismissSuggestion(suggestions=world.suggestions)
    with pytest.raises(NotFound):
        dismiss("other", "appt-1")
    assert [s.appointment_id for s in ListSuggestions(suggestions=world.suggestions)("acme")] == [
        "appt-1"
    ]
    dismiss("acme", "appt-1")
    assert world.suggestions.list("acme") == []
    with pytest.raises(NotFound):
        dismiss("acme", "appt-1")


# --- webhooks, each event once ---------------------------------------------------------------

REQUEST = WebhookRequest("POST", "https://api.test/webhooks", {}, {}, b"{}")


class Receivers:
    def __init__(self, answer: WebhookOutcome | Exception) -> None:
        self.answer = answer

    def webhooks(self, business_id: str, kind: str) -> Any:
        if business_id != "acme" or kind != "servicetitan":
            raise NotFound("No such webhook.")
        answer = self.answer

        class Receiver:
            def parse_webhook(self, request: WebhookRequest) -> WebhookOutcome:
                if isinstance(answer, Exception):
                    raise answer
                return answer

        return Receiver()


class Applied:
    def __init__(self, fail_first: bool = False) -> None:
        self.events: list[ProviderEvent] = []
        self.fail_first = fail_first

    def __call__(self, event: ProviderEvent) -> None:
        if self.fail_first:
            self.fail_first = False
            raise ProviderUnavailable("503")
        self.events.append(event)


def _receive(answer: Any, applied: Applied, seen: FakeSeenEvents | None, clock: Any = None):
    return ReceiveProviderWebhook(
        receivers=Receivers(answer),
        apply=applied,  # type: ignore[arg-type]
        seen=seen,
        clock=clock,
    )


@pytest.mark.parametrize(
    ("business_id", "answer"),
    [
        ("acme", WebhookRejected("bad signature", status=401)),
        ("other", WebhookOutcome()),  # another provider's business, or none
    ],
)
def test_anything_unverified_gets_one_answer(world, business_id, answer):
    receive = _receive(answer, Applied(), FakeSeenEvents(), world.clock)
    with pytest.raises(WebhookRejected) as refused:
        receive(business_id, "servicetitan", REQUEST)
    assert (refused.value.status, str(refused.value)) == (403, NOT_VERIFIED)


def test_each_event_is_applied_once_and_remembered_for_a_while(world):
    event = _event(ProviderChange.NO_SHOW)
    reply = WebhookReply(status=200, body="ok")
    seen, applied = FakeSeenEvents(), Applied()
    receive = _receive(WebhookOutcome(reply, (event, event)), applied, seen, world.clock)
    assert receive("acme", "servicetitan", REQUEST) == reply
    assert receive("acme", "servicetitan", REQUEST) == reply
    assert applied.events == [event]
    assert seen.seen == {("acme", event.event_id): int((NOW + REMEMBER_EVENTS).timestamp())}


def test_an_event_for_another_business_is_dropped(world):
    theirs = ProviderEvent("other", "appt-1", ProviderChange.NO_SHOW, event_id="x")
    applied = Applied()
    _receive(WebhookOutcome(events=(theirs,)), applied, FakeSeenEvents(), world.clock)(
        "acme", "servicetitan", REQUEST
    )
    assert applied.events == []


def test_an_event_that_failed_to_apply_is_new_again_for_the_redelivery(world):
    event = _event(ProviderChange.NO_SHOW)
    seen, applied = FakeSeenEvents(), Applied(fail_first=True)
    receive = _receive(WebhookOutcome(events=(event,)), applied, seen, world.clock)
    with pytest.raises(ProviderUnavailable):
        receive("acme", "servicetitan", REQUEST)
    assert seen.seen == {}
    receive("acme", "servicetitan", REQUEST)
    assert applied.events == [event]


def test_without_a_record_of_events_each_delivery_is_applied(world):
    event = _event(ProviderChange.NO_SHOW)
    applied = Applied()
    receive = _receive(WebhookOutcome(events=(event,)), applied, None)
    receive("acme", "servicetitan", REQUEST)
    receive("acme", "servicetitan", REQUEST)
    assert applied.events == [event, event]


# --- keeping the providers' channels open -------------------------------------------------------


class Channels:
    def __init__(self, opened: int = 0, fail_with: Exception | None = None) -> None:
        self.opened = opened
        self.fail_with = fail_with
        self.asked: list[tuple[str, Any]] = []

    def keep_notified(self, address: str, now: Any) -> int:
        self.asked.append((address, now))
        if self.fail_with:
            raise self.fail_with
        return self.opened


class NoChannels:
    """A provider whose webhooks are registered in its own portal (ServiceTitan)."""


def test_every_connected_business_keeps_its_channels_and_one_failure_stops_none(world):
    businesses = FakeBusinesses(
        business(),  # the demo provider: nothing to keep
        *(
            business(
                id=kind_id, phone=f"+1312555{n:04d}", provider={"kind": kind, "secret_arn": SECRET}
            )
            for n, (kind_id, kind) in enumerate(
                [("g", "google_calendar"), ("m", "microsoft_graph"), ("s", "servicetitan")]
            )
        ),
    )
    providers: dict[str, Any] = {
        "g": Channels(opened=2),
        "m": Channels(fail_with=ProviderUnauthorized("The credentials were refused.")),
        "s": NoChannels(),
    }

    class Source:
        def of(self, business_id: str) -> Any:
            return providers[business_id]

    kept = KeepProvidersNotified(
        businesses=businesses,
        providers=Source(),
        public_base_url="https://api.example/",
        clock=world.clock,
    )()
    assert kept.opened == {"g": 2}
    assert kept.failed == {"m": "The credentials were refused."}
    [(address, now)] = providers["g"].asked
    assert address == "https://api.example/webhooks/providers/google_calendar?business=g"
    assert now == NOW
