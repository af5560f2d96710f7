"""SMS, email and Slack: each fake and its adapter, against the local sandbox of the service
(the adapters' own tests cover how each service's errors are told)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.sendgrid_sandbox import SendGridSandbox
from local.slack_sandbox import SlackSandbox
from local.twilio_sandbox import TwilioSandbox
from reschedule_dispatch.adapters.sendgrid_email import SendGridEmailSender
from reschedule_dispatch.adapters.slack_notifier import SlackNotifier
from reschedule_dispatch.adapters.twilio_sms import TwilioSmsSender, twilio_client
from reschedule_dispatch.domain.errors import Conflict
from reschedule_dispatch.domain.ports import EmailAttachment, SessionOutcome
from tests.fakes import FakeEmail, FakeSms, FakeStaffNotifier
from tests.serving import serve

ACCOUNT_SID, AUTH_TOKEN = "AC" + "1" * 32, "sandbox-auth-token"
BUSINESS, CUSTOMER = "+15005550006", "+15551234567"


@pytest.fixture(params=["fake", "sandbox"])
def sms(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "fake":
        yield FakeSms()
        return
    box = TwilioSandbox(ACCOUNT_SID, AUTH_TOKEN, poster=lambda callback: None, step_delay=0.01)
    with serve(box) as url:
        yield TwilioSmsSender(twilio_client(ACCOUNT_SID, AUTH_TOKEN, f"{url}/twilio"))
    box.close()


@pytest.fixture(params=["fake", "sandbox"])
def email(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "fake":
        yield FakeEmail()
        return
    with serve(SendGridSandbox("SG.key")) as url:
        yield SendGridEmailSender("SG.key", api_base_url=f"{url}/sendgrid")


@pytest.fixture(params=["fake", "sandbox"])
def slack(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "fake":
        yield FakeStaffNotifier()
        return
    with serve(SlackSandbox("xoxb-token")) as url:
        yield SlackNotifier("xoxb-token", api_base_url=f"{url}/slack")


def test_each_text_has_its_own_id_and_its_body_is_read_back_by_it(sms):
    first = sms.send(CUSTOMER, BUSINESS, "Pick a new time: https://x/r/abc", None)
    second = sms.send(CUSTOMER, BUSINESS, "Your appointment is now Wed", None)
    assert first != second
    assert sms.sent_body(first) == "Pick a new time: https://x/r/abc"
    assert sms.sent_body(second) == "Your appointment is now Wed"


def test_a_text_that_is_not_there_is_a_conflict(sms):
    with pytest.raises(Conflict):
        sms.sent_body("SM" + "f" * 32)


def test_each_email_has_its_own_id(email):
    sent = [
        email.send(
            "olivia@example.com",
            "hello@acme.example",
            "Acme Plumbing",
            "Pick a new time",
            "Pick a new time: https://x/r/abc",
            "<p>Pick</p>",
            categories=("reschedule-link",),
            custom_args={"session_id": "s1"},
            attachments=(EmailAttachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR"),),
        )
        for _ in range(2)
    ]
    assert all(sent)
    assert sent[0] != sent[1]


def test_each_staff_post_has_its_own_id(slack):
    outcome = SessionOutcome(
        business_name="Acme Plumbing",
        customer_name="Olivia Garcia",
        status_label="Reschedule completed",
        when_text="Wed, Nov 25 at 2:00 PM",
        reason=None,
        console_url="https://console.example/#/history",
    )
    first = slack.session_ended("#dispatch", outcome)
    second = slack.session_ended("#dispatch", outcome)
    assert first
    assert first != second
