"""Email links (SendGrid), staff notifications (Slack) and the cancel notice, with the real
adapters talking to the local sandboxes over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from local.sendgrid_sandbox import SendGridSandbox
from local.slack_sandbox import SlackSandbox
from reschedule_dispatch.adapters.eventbridge_scheduler import EventBridgeScheduledSends
from reschedule_dispatch.adapters.sendgrid_email import SendGridEmailSender
from reschedule_dispatch.adapters.slack_notifier import SlackNotifier
from reschedule_dispatch.domain.errors import Conflict, MessagingUnavailable, Unprocessable
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.lifecycle import (
    CheckAppointment,
    Compensate,
    FinalizeReschedule,
    HoldOpening,
    MoveAppointment,
)
from reschedule_dispatch.services.session_actions import CancelSession, ResendLink
from reschedule_dispatch.services.staff_notifications import TellStaff
from tests.integration.conftest import World
from tests.serving import serve

BASE = "https://api.example"
API_KEY = "SG.test-key"
BOT_TOKEN = "xoxb-test-token"
OLIVIA_EMAIL = "olivia@example.com"
CHANNEL = "#acme-dispatch"


@pytest.fixture
def mail() -> Iterator[tuple[SendGridSandbox, SendGridEmailSender]]:
    sandbox = SendGridSandbox(API_KEY)
    with serve(sandbox) as url:
        yield sandbox, SendGridEmailSender(API_KEY, api_base_url=f"{url}/sendgrid")


@pytest.fixture
def slack() -> Iterator[tuple[SlackSandbox, SlackNotifier]]:
    sandbox = SlackSandbox(BOT_TOKEN)
    with serve(sandbox) as url:
        yield sandbox, SlackNotifier(BOT_TOKEN, api_base_url=f"{url}/slack")


@pytest.fixture
def emailable(world: World) -> World:
    """Acme sends email from a verified sender, and Olivia has an address."""
    business = world.businesses.get("acme")
    world.businesses.put(
        business.model_copy(
            update={
                "email_from": "schedule@acme.example",
                "settings": business.settings.model_copy(update={"slack_channel": CHANNEL}),
            }
        )
    )
    olivia = world.provider.get_customer("acme", "cust-1")
    world.provider.put_customer(olivia.model_copy(update={"email": OLIVIA_EMAIL}))
    return world


def _app_items(world: World) -> list[dict]:
    return boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]).scan()["Items"]


def test_a_link_can_go_by_text_and_email_with_the_same_words(emailable, mail):
    sandbox, sender = mail

    sent = emailable.send_link(sender)(
        "acme", "d@acme.example", "appt-1", None, BASE, "es", channels=["sms", "email"]
    )

    [sms] = emailable.sms.sent
    [email] = sandbox.messages(OLIVIA_EMAIL)
    assert (email["from"], email["from_name"]) == ("schedule@acme.example", "Acme Plumbing")
    assert email["custom_args"] == {"session_id": sent.session.id}
    assert email["subject"] == "Acme Plumbing: elija un nuevo horario para su Drain cleaning"
    assert email["text"] == sms["body"]  # the same template, language and link
    assert sent.link in email["html"]
    assert sent.session.channels == ("sms", "email")
    assert sent.problems == []
    types = [e.type for e in emailable.sessions.timeline(sent.session.id)]
    assert types == ["created", "sent", "emailed"]


def test_an_email_only_link_texts_nothing_and_cannot_be_resent(emailable, mail):
    sandbox, sender = mail

    sent = emailable.send_link(sender)(
        "acme", "d@acme.example", "appt-1", None, BASE, channels=["email"]
    )

    assert emailable.sms.sent == []
    assert len(sandbox.messages(OLIVIA_EMAIL)) == 1
    resend = ResendLink(
        sessions=emailable.sessions,
        businesses=emailable.businesses,
        sms=emailable.sms,
        clock=emailable.clock,
        contacts=emailable.contacts,
    )
    with pytest.raises(Conflict, match="emailed"):
        resend("acme", "d@acme.example", sent.session.id, BASE)


def test_email_to_a_customer_without_an_address_is_refused_before_anything_is_written(world, mail):
    _, sender = mail
    business = world.businesses.get("acme")
    world.businesses.put(business.model_copy(update={"email_from": "schedule@acme.example"}))
    before = _app_items(world)

    with pytest.raises(Unprocessable, match="no email address"):
        world.send_link(sender)(
            "acme", "d@acme.example", "appt-1", None, BASE, channels=["sms", "email"]
        )

    assert _app_items(world) == before
    assert world.sms.sent == []


def test_email_without_a_sender_set_up_is_refused(emailable):
    with pytest.raises(Unprocessable, match="not set up"):
        emailable.send_link(None)(
            "acme", "d@acme.example", "appt-1", None, BASE, channels=["email"]
        )


def test_a_failed_email_beside_a_sent_text_is_reported_not_fatal(emailable, mail):
    sandbox, sender = mail
    sandbox.fail_next(503)

    sent = emailable.send_link(sender)(
        "acme", "d@acme.example", "appt-1", None, BASE, channels=["sms", "email"]
    )

    assert sent.session.status is SessionStatus.LINK_SENT
    assert len(emailable.sms.sent) == 1
    [problem] = sent.problems
    assert problem.startswith("Email not sent:")
    [failed] = [e for e in emailable.sessions.timeline(sent.session.id) if e.type == "email_failed"]
    assert failed.detail == problem


def test_when_no_channel_carries_the_link_the_session_is_withdrawn(emailable, mail):
    sandbox, sender = mail
    sandbox.fail_next(503)

    with pytest.raises(MessagingUnavailable):
        emailable.send_link(sender)(
            "acme", "d@acme.example", "appt-1", None, BASE, channels=["email"]
        )

    [session] = [
        emailable.sessions.get_by_id(str(i["id"]))
        for i in _app_items(emailable)
        if str(i["sk"]) == "SESSION"
    ]
    assert session.status is SessionStatus.CANCELED
    assert (session.failure_reason or "").startswith("Email not sent:")


def _tell_staff(world: World, notifier: SlackNotifier) -> TellStaff:
    return TellStaff(
        notifier=notifier,
        businesses=world.businesses,
        sessions=world.sessions,
        clock=world.clock,
        console_url="https://console.example/",
    )


def _confirm(world: World, email: SendGridEmailSender | None = None):
    sent = world.send_link(email)("acme", "d@acme.example", "appt-1", None, BASE)
    assert sent.link
    token = sent.link.rsplit("/", 1)[1]
    links = CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
    )
    links.confirm(token, links.page(token).openings[0].key)
    return sent.session


def test_staff_hear_of_a_completed_reschedule_once(emailable, slack):
    sandbox, notifier = slack
    session = _confirm(emailable)
    HoldOpening(sessions=emailable.sessions, holds=emailable.holds, clock=emailable.clock)(
        session.id
    )
    CheckAppointment(sessions=emailable.sessions, provider=emailable.provider)(session.id)
    MoveAppointment(sessions=emailable.sessions, provider=emailable.provider)(session.id)
    finalize = FinalizeReschedule(
        sessions=emailable.sessions,
        businesses=emailable.businesses,
        expiry=emailable.expiry,
        sms=emailable.sms,
        clock=emailable.clock,
        contacts=emailable.contacts,
        holds=emailable.holds,
        tell_staff=_tell_staff(emailable, notifier),
    )

    finalize(session.id)
    finalize(session.id)  # a retried step

    [post] = sandbox.posts(CHANNEL)
    assert "Reschedule completed" in post["text"]
    assert "Olivia Garcia" in post["text"]
    assert "https://console.example/#/history" in str(post["blocks"])
    assert emailable.sessions.get_by_id(session.id).staff_notified


def test_staff_hear_of_a_failure_with_its_reason_unless_the_business_opted_out(emailable, slack):
    sandbox, notifier = slack
    session = _confirm(emailable)

    Compensate(
        sessions=emailable.sessions,
        holds=emailable.holds,
        clock=emailable.clock,
        tell_staff=_tell_staff(emailable, notifier),
    )(session.id, "AppointmentChanged")

    [post] = sandbox.posts(CHANNEL)
    assert "Reschedule failed" in post["text"]
    assert "The appointment changed elsewhere." in post["text"]

    # A business that only wants completions hears nothing of failures
    business = emailable.businesses.get("acme")
    emailable.businesses.put(
        business.model_copy(
            update={
                "settings": business.settings.model_copy(update={"slack_events": ("completed",)})
            }
        )
    )
    again = _confirm(emailable)
    Compensate(
        sessions=emailable.sessions,
        holds=emailable.holds,
        clock=emailable.clock,
        tell_staff=_tell_staff(emailable, notifier),
    )(again.id, "AppointmentChanged")
    assert len(sandbox.posts(CHANNEL)) == 1


def test_a_slack_failure_leaves_the_outcome_and_says_so_on_the_timeline(emailable, slack):
    sandbox, notifier = slack
    sandbox.fail_next("channel_not_found")
    session = _confirm(emailable)

    status = Compensate(
        sessions=emailable.sessions,
        holds=emailable.holds,
        clock=emailable.clock,
        tell_staff=_tell_staff(emailable, notifier),
    )(session.id, "ProviderUnavailable")

    assert status is SessionStatus.FAILED
    [event] = [e for e in emailable.sessions.timeline(session.id) if e.type.startswith("staff")]
    assert event.type == "staff_not_notified"
    assert CHANNEL in event.detail


def _cancel(world: World) -> CancelSession:
    sends = EventBridgeScheduledSends(
        boto3.client("scheduler"), world.env["SCHEDULE_GROUP_NAME"], "", "", ""
    )
    return CancelSession(
        sessions=world.sessions,
        expiry=world.expiry,
        clock=world.clock,
        businesses=world.businesses,
        sms=world.sms,
        contacts=world.contacts,
        sends=sends,
    )


def test_a_dispatcher_may_text_the_customer_that_the_link_was_canceled(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE, "es")

    canceled, timeline = _cancel(world)(
        "acme", "d@acme.example", sent.session.id, notify_customer=True
    )

    assert canceled.status is SessionStatus.CANCELED
    notice = world.sms.sent[-1]
    assert notice["to"] == "+13125550142"
    assert "ya no funciona" in notice["body"]
    assert sent.link not in notice["body"]
    assert [e.type for e in timeline][-2:] == ["canceled", "notice_sent"]


def test_the_cancel_notice_respects_opt_outs_and_the_cancel_still_happens(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    world.contacts.opt_out("acme", "+13125550142", world.clock.now(), "STOP")

    canceled, timeline = _cancel(world)(
        "acme", "d@acme.example", sent.session.id, notify_customer=True
    )

    assert canceled.status is SessionStatus.CANCELED
    assert len(world.sms.sent) == 1  # only the link
    assert timeline[-1].type == "notice_not_sent"
    assert "opted out" in timeline[-1].detail


def test_without_the_notice_the_customer_gets_nothing_more(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    _cancel(world)("acme", "d@acme.example", sent.session.id)
    assert len(world.sms.sent) == 1


def test_a_business_with_a_messaging_service_sends_through_it(world):
    business = world.businesses.get("acme")
    service = "MG" + "3" * 32
    world.businesses.put(business.model_copy(update={"messaging_service_sid": service}))

    world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)

    assert world.sms.sent[0]["from"] == service
