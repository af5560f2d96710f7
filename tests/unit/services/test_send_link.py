"""SendLink: a session per appointment, its link texted (or emailed) with an end date, and
nothing written when it is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reschedule_dispatch.domain.errors import (
    Conflict,
    MessagingUnavailable,
    NotFound,
    QuietHours,
    SessionAlreadyOpen,
    Unprocessable,
)
from reschedule_dispatch.domain.links import token_hash
from reschedule_dispatch.domain.provider_events import ProviderChange, Suggestion
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.send_link import (
    NO_EMAIL_ADDRESS,
    NO_EMAIL_SENDER,
    NO_PHONE_NUMBER,
    OPTED_OUT,
)
from tests.builders import NOW
from tests.unit.services.conftest import (
    ACME_NUMBER,
    BASE,
    DISPATCHER,
    LATE_EVENING,
    OLIVIA,
    QUIET_HOURS_END,
    WEDNESDAY_10AM,
)

OLIVIA_EMAIL = "olivia@example.com"


def _nothing_written(world) -> None:
    assert world.sessions.list_sessions("acme", True, 10, None).sessions == []
    assert world.sessions.list_sessions("acme", False, 10, None).sessions == []
    assert world.sms.sent == []
    assert world.expiry.scheduled == {}
    assert world.sends.scheduled == {}


def _emailable(world) -> None:
    world.change_business(business_email_from="schedule@acme.example")
    olivia = world.provider.get_customer("acme", "cust-1")
    world.provider.put_customer(olivia.model_copy(update={"email": OLIVIA_EMAIL}))


def test_a_link_is_texted_with_its_end_date_and_only_its_hash_is_kept(world):
    sent = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)

    session = world.sessions.get("acme", sent.session.id)
    assert session.status is SessionStatus.LINK_SENT
    assert session.expires_at == NOW + timedelta(hours=12)
    assert world.expiry.scheduled == {session.id: session.expires_at}
    [sms] = world.sms.sent
    assert (sms.to, sms.from_, sms.status_callback) == (
        OLIVIA,
        ACME_NUMBER,
        f"{BASE}/webhooks/twilio/status",
    )
    assert sent.link is not None
    assert sent.link.startswith(f"{BASE}/r/")
    assert sms.body.endswith(sent.link)
    token = sent.link.rsplit("/", 1)[1]
    assert world.sessions.find_by_token_hash(token_hash(token)).id == session.id
    assert token not in session.message  # the token is the credential: never stored
    assert session.message_sid == "SM" + "1".zfill(32)
    assert session.delivery_status == "queued"
    assert world.contacts.latest_session("acme", OLIVIA) == session.id  # where replies go
    assert world.timeline(session.id) == ["created", "sent"]
    assert sent.problems == []


def test_the_link_ends_before_the_notice_period_when_that_is_sooner(world):
    world.clock.at = WEDNESDAY_10AM - timedelta(hours=26)
    sent = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    assert sent.session.expires_at == WEDNESDAY_10AM - timedelta(hours=24)


def test_an_appointment_too_soon_is_refused_and_nothing_is_written(world):
    with pytest.raises(Unprocessable, match="24 hours"):
        world.send_link()("acme", DISPATCHER, "appt-soon", None, BASE)
    _nothing_written(world)


def test_another_business_appointment_is_not_found(world):
    world.provider.put_appointment(
        world.provider.get_appointment("acme", "appt-1").model_copy(update={"id": "acme-only"})
    )
    with pytest.raises(NotFound):
        world.send_link()("other", DISPATCHER, "acme-only", None, BASE)
    assert world.sms.sent == []


def test_the_dispatchers_words_are_filled_in_and_the_link_appended(world):
    sent = world.send_link()(
        "acme", DISPATCHER, "appt-1", "Hi {customer_first_name}, {unknown} pick a time", BASE
    )
    assert world.sms.sent[0].body == f"Hi Olivia, {{unknown}} pick a time {sent.link}"


def test_the_business_template_in_the_customers_language_is_used(world):
    world.change_business(
        templates={"en": "EN {customer_first_name}", "es": "ES {business_name} {service}"}
    )
    sent = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE, "es")
    assert world.sms.sent[0].body == f"ES Acme Plumbing Drain cleaning {sent.link}"
    assert sent.session.language == "es"


def test_a_language_without_a_template_uses_the_english_one(world):
    world.change_business(templates={"en": "EN {customer_first_name}"})
    sent = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE, "es")
    assert world.sms.sent[0].body == f"EN Olivia {sent.link}"


def test_a_business_with_a_messaging_service_sends_through_it(world):
    service = "MG" + "3" * 32
    world.change_business(business_messaging_service_sid=service)
    world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    assert world.sms.sent[0].from_ == service


def test_a_failed_text_withdraws_the_session_says_why_and_drops_its_expiry(world):
    world.sms.fail_with = MessagingUnavailable("The SMS service could not be reached.")
    with pytest.raises(MessagingUnavailable):
        world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    [session] = world.sessions.list_sessions("acme", False, 10, None).sessions
    assert session.status is SessionStatus.CANCELED
    assert session.failure_reason == "SMS not sent: The SMS service could not be reached."
    assert world.expiry.scheduled == {}
    # The appointment is free for another try
    world.sms.fail_with = None
    assert world.send_link()("acme", DISPATCHER, "appt-1", None, BASE).session.in_progress


def test_an_unexpected_failure_is_withdrawn_without_its_details(world):
    world.sms.fail_with = RuntimeError("socket closed at 10.0.0.7")
    with pytest.raises(RuntimeError):
        world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    [session] = world.sessions.list_sessions("acme", False, 10, None).sessions
    assert session.failure_reason == "SMS not sent: unexpected error"


def test_a_link_that_cannot_be_given_an_end_is_never_sent(world):
    world.expiry.fail_with = MessagingUnavailable("The link could not be scheduled to expire.")
    with pytest.raises(MessagingUnavailable):
        world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    assert world.sms.sent == []
    [session] = world.sessions.list_sessions("acme", False, 10, None).sessions
    assert session.status is SessionStatus.CANCELED
    assert (session.failure_reason or "").startswith("Link not sent:")


def test_quiet_hours_refuse_and_say_when_texts_may_go_and_nothing_is_written(world):
    world.clock.at = LATE_EVENING
    with pytest.raises(QuietHours) as quiet:
        world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    assert quiet.value.next_allowed_at == QUIET_HOURS_END
    _nothing_written(world)


def test_an_opted_out_customer_gets_nothing_and_nothing_is_written(world):
    world.contacts.opt_out("acme", OLIVIA, NOW, "replied STOP")
    with pytest.raises(Conflict) as refused:
        world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    assert str(refused.value) == OPTED_OUT
    _nothing_written(world)


def test_no_channel_is_refused(world):
    with pytest.raises(Unprocessable):
        world.send_link()("acme", DISPATCHER, "appt-1", None, BASE, channels=[])
    _nothing_written(world)


def test_a_link_in_progress_holds_the_appointment(world):
    first, _ = world.sent()
    with pytest.raises(SessionAlreadyOpen) as held:
        world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    assert held.value.session_id == first.id
    assert len(world.sms.sent) == 1


def test_an_overdue_link_is_expired_and_a_new_one_sent(world):
    old, _ = world.sent()
    world.clock.at = old.expires_at + timedelta(hours=12)  # the next morning
    new = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE).session
    assert world.status(old.id) is SessionStatus.EXPIRED
    assert world.timeline(old.id)[-1] == "expired"
    assert world.status(new.id) is SessionStatus.LINK_SENT


def test_sending_answers_the_providers_suggestion(world):
    suggestion = Suggestion(
        "acme", "appt-1", "cust-1", "Olivia Garcia", ProviderChange.NO_SHOW, NOW
    )
    world.suggestions.put(suggestion)
    world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)
    assert world.suggestions.list("acme") == []


# --- email ------------------------------------------------------------------------------


def test_a_link_by_text_and_email_carries_the_same_words(world):
    _emailable(world)
    sent = world.send_link(email=world.email)(
        "acme", DISPATCHER, "appt-1", None, BASE, channels=["sms", "email", "sms"]
    )
    [sms] = world.sms.sent
    [email] = world.email.sent
    assert (email.to, email.from_email, email.from_name) == (
        OLIVIA_EMAIL,
        "schedule@acme.example",
        "Acme Plumbing",
    )
    assert email.text == sms.body
    assert sent.link is not None
    assert email.html is not None
    assert sent.link in email.html
    assert email.custom_args == {"session_id": sent.session.id}
    assert sent.session.channels == ("sms", "email")  # each once, in the order given
    assert sent.session.customer_email == OLIVIA_EMAIL
    assert world.timeline(sent.session.id) == ["created", "sent", "emailed"]


def test_an_email_only_link_texts_nothing(world):
    _emailable(world)
    sent = world.send_link(email=world.email)(
        "acme", DISPATCHER, "appt-1", None, BASE, channels=["email"]
    )
    assert world.sms.sent == []
    assert len(world.email.sent) == 1
    assert world.sessions.get_by_id(sent.session.id).message_sid is None


def test_an_email_waits_in_the_inbox_whatever_the_hour(world):
    _emailable(world)
    world.clock.at = LATE_EVENING
    sent = world.send_link(email=world.email)(
        "acme", DISPATCHER, "appt-1", None, BASE, channels=["email"]
    )
    assert sent.session.status is SessionStatus.LINK_SENT
    assert len(world.email.sent) == 1


def test_email_without_an_address_or_a_sender_is_refused_before_anything_is_written(world):
    world.change_business(business_email_from="schedule@acme.example")
    with pytest.raises(Unprocessable) as no_address:
        world.send_link(email=world.email)(
            "acme", DISPATCHER, "appt-1", None, BASE, channels=["sms", "email"]
        )
    assert str(no_address.value) == NO_EMAIL_ADDRESS
    _emailable(world)
    with pytest.raises(Unprocessable) as no_sender:
        world.send_link(email=None)("acme", DISPATCHER, "appt-1", None, BASE, channels=["email"])
    assert str(no_sender.value) == NO_EMAIL_SENDER
    world.change_business(business_email_from=None)
    with pytest.raises(Unprocessable, match=NO_EMAIL_SENDER):
        world.send_link(email=world.email)(
            "acme", DISPATCHER, "appt-1", None, BASE, channels=["email"]
        )
    _nothing_written(world)


def test_a_failed_email_beside_a_sent_text_is_reported_not_fatal(world):
    _emailable(world)
    world.email.fail_with = MessagingUnavailable("SendGrid answered 503.")
    sent = world.send_link(email=world.email)(
        "acme", DISPATCHER, "appt-1", None, BASE, channels=["sms", "email"]
    )
    assert sent.session.status is SessionStatus.LINK_SENT
    assert sent.problems == ["Email not sent: SendGrid answered 503."]
    failed = [e for e in world.sessions.timeline(sent.session.id) if e.type == "email_failed"]
    assert [e.detail for e in failed] == sent.problems
    assert sent.session.id in world.expiry.scheduled


def test_when_no_channel_carries_the_link_the_session_is_withdrawn(world):
    _emailable(world)
    world.email.fail_with = MessagingUnavailable("SendGrid answered 503.")
    world.sms.fail_with = MessagingUnavailable("Twilio answered 503.")
    with pytest.raises(MessagingUnavailable, match="Twilio"):  # the first channel's error
        world.send_link(email=world.email)(
            "acme", DISPATCHER, "appt-1", None, BASE, channels=["sms", "email"]
        )
    [session] = world.sessions.list_sessions("acme", False, 10, None).sessions
    assert session.status is SessionStatus.CANCELED
    assert session.failure_reason == (
        "SMS not sent: Twilio answered 503.; Email not sent: SendGrid answered 503."
    )
    assert world.expiry.scheduled == {}


# --- past quiet hours -------------------------------------------------------------------


def _scheduled(world):
    world.clock.at = LATE_EVENING
    return world.send_link()("acme", DISPATCHER, "appt-1", None, BASE, send_when_allowed=True)


def test_during_quiet_hours_the_link_is_scheduled_for_when_they_end(world):
    sent = _scheduled(world)
    assert sent.link is None
    assert world.sms.sent == []
    session = world.sessions.get("acme", sent.session.id)
    assert session.status is SessionStatus.SCHEDULED
    assert session.in_progress
    assert session.scheduled_for == QUIET_HOURS_END
    # Its life starts when it is sent, and still ends before the notice period
    assert session.expires_at == WEDNESDAY_10AM - timedelta(hours=24)
    assert world.sends.scheduled == {session.id: (QUIET_HOURS_END, BASE)}
    assert world.expiry.scheduled == {}  # no link out: nothing to end yet
    assert world.timeline(session.id) == ["created", "scheduled"]


def test_without_a_scheduler_quiet_hours_still_refuse(world):
    world.clock.at = LATE_EVENING
    with pytest.raises(QuietHours):
        world.send_link(with_sends=False)(
            "acme", DISPATCHER, "appt-1", None, BASE, send_when_allowed=True
        )
    _nothing_written(world)


def test_what_quiet_hours_cannot_fix_is_refused_up_front(world):
    world.change_business(business_email_from="schedule@acme.example")
    world.clock.at = LATE_EVENING
    with pytest.raises(Unprocessable, match=NO_EMAIL_ADDRESS):
        world.send_link(email=world.email)(
            "acme",
            DISPATCHER,
            "appt-1",
            None,
            BASE,
            channels=["sms", "email"],
            send_when_allowed=True,
        )
    _nothing_written(world)


def test_a_send_that_cannot_be_scheduled_is_withdrawn(world):
    world.sends.fail_with = MessagingUnavailable("The link could not be scheduled. Try again.")
    with pytest.raises(MessagingUnavailable):
        _scheduled(world)
    [session] = world.sessions.list_sessions("acme", False, 10, None).sessions
    assert session.status is SessionStatus.CANCELED
    assert (session.failure_reason or "").startswith("Link not scheduled:")


def test_when_quiet_hours_end_the_link_goes_out_once(world):
    sent = _scheduled(world)
    world.clock.at = QUIET_HOURS_END
    send = world.send_link()

    assert send.send_scheduled(sent.session.id, BASE) is SessionStatus.LINK_SENT
    assert send.send_scheduled(sent.session.id, BASE) is SessionStatus.LINK_SENT

    [sms] = world.sms.sent
    token = sms.body.rsplit("/", 1)[1]
    session = world.sessions.find_by_token_hash(token_hash(token))
    assert session.id == sent.session.id
    assert session.status is SessionStatus.LINK_SENT
    assert token not in session.message
    assert session.expires_at == WEDNESDAY_10AM - timedelta(hours=24)
    assert world.expiry.scheduled == {session.id: session.expires_at}
    assert world.timeline(session.id) == ["created", "scheduled", "sending", "sent"]


def test_a_scheduled_link_canceled_meanwhile_never_goes_out(world):
    sent = _scheduled(world)
    world.close(sent.session.id, SessionStatus.CANCELED)
    world.clock.at = QUIET_HOURS_END
    assert world.send_link().send_scheduled(sent.session.id, BASE) is SessionStatus.CANCELED
    assert world.sms.sent == []


def test_a_customer_who_opted_out_meanwhile_gets_nothing_and_the_timeline_says_why(world):
    sent = _scheduled(world)
    world.contacts.opt_out("acme", OLIVIA, LATE_EVENING, "STOP")
    world.clock.at = QUIET_HOURS_END
    assert world.send_link().send_scheduled(sent.session.id, BASE) is SessionStatus.CANCELED
    assert world.sms.sent == []
    session = world.sessions.get_by_id(sent.session.id)
    assert OPTED_OUT in (session.failure_reason or "")
    assert world.timeline(session.id)[-1] == "canceled"
    assert world.expiry.scheduled == {}


# --- sent by the provider's trigger --------------------------------------------------------


def _suggestion() -> Suggestion:
    return Suggestion("acme", "appt-1", "cust-1", "Olivia Garcia", ProviderChange.NO_SHOW, NOW)


def test_a_provider_trigger_sends_the_link_marked_automatic_once(world):
    sent = world.send_link().send_suggested(_suggestion(), BASE)
    assert sent is not None
    assert sent.link
    assert sent.session.dispatcher == f"Automatic: {_suggestion().reason}"
    assert world.sms.to(OLIVIA) == [world.sms.sent[0].body]
    assert world.send_link().send_suggested(_suggestion(), BASE) is None  # a redelivery
    assert len(world.sms.sent) == 1
    assert world.suggestions.list("acme") == []


def test_a_provider_trigger_during_quiet_hours_is_scheduled(world):
    world.clock.at = LATE_EVENING
    sent = world.send_link().send_suggested(_suggestion(), BASE)
    assert sent is not None
    assert sent.session.status is SessionStatus.SCHEDULED


def test_a_provider_trigger_that_cannot_go_waits_for_a_dispatcher_with_the_reason(world):
    world.contacts.opt_out("acme", OLIVIA, NOW, "STOP")
    assert world.send_link().send_suggested(_suggestion(), BASE) is None
    assert world.sms.sent == []
    [waiting] = world.suggestions.list("acme")
    assert waiting.appointment_id == "appt-1"
    assert waiting.detail == f"Not sent automatically: {OPTED_OUT}"


def test_a_customer_with_no_number_is_not_texted_but_may_be_emailed(world):
    # Given a customer read from a calendar event by an attendee: an email, no number
    _emailable(world)
    olivia = world.provider.get_customer("acme", "cust-1")
    world.provider.put_customer(olivia.model_copy(update={"phone": ""}))

    # When a dispatcher would text them, it is refused with what to do, and nothing is written
    with pytest.raises(Unprocessable, match=NO_PHONE_NUMBER):
        world.send_link(email=world.email)(
            "acme", DISPATCHER, "appt-1", None, BASE, channels=["sms", "email"]
        )
    _nothing_written(world)

    # When they email it, it goes
    sent = world.send_link(email=world.email)(
        "acme", DISPATCHER, "appt-1", None, BASE, channels=["email"]
    )
    assert sent.session.status is SessionStatus.LINK_SENT
    assert world.sms.sent == []


def test_a_customer_with_no_name_is_greeted_without_a_gap(world):
    olivia = world.provider.get_customer("acme", "cust-1")
    world.provider.put_customer(olivia.model_copy(update={"name": ""}))
    world.change_business(templates={"en": "Hi {customer_first_name}, pick a new time:"})

    world.send_link()("acme", DISPATCHER, "appt-1", None, BASE)

    [text] = world.sms.sent
    assert text.body.startswith("Hi, pick a new time:")
