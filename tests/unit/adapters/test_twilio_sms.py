"""The SMS adapter, with the real twilio client, against the local Twilio sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.twilio_sandbox import TwilioSandbox
from reschedule_dispatch.adapters.twilio_sms import TwilioSmsSender, twilio_client
from reschedule_dispatch.domain.errors import Unprocessable
from tests.serving import serve

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "sandbox-auth-token"
SERVICE_SID = "MG" + "2" * 32
BUSINESS_NUMBER = "+15005550006"
CUSTOMER = "+15551234567"


@pytest.fixture
def sandbox() -> Iterator[TwilioSandbox]:
    box = TwilioSandbox(ACCOUNT_SID, AUTH_TOKEN, poster=lambda callback: None, step_delay=0.01)
    yield box
    box.close()


@pytest.fixture
def sender(sandbox: TwilioSandbox) -> Iterator[TwilioSmsSender]:
    with serve(sandbox) as url:
        yield TwilioSmsSender(twilio_client(ACCOUNT_SID, AUTH_TOKEN, f"{url}/twilio"))


def test_a_business_number_sends_as_from(sender: TwilioSmsSender, sandbox: TwilioSandbox):
    sid = sender.send(CUSTOMER, BUSINESS_NUMBER, "Hi", None)

    [sent] = sandbox.messages(CUSTOMER)
    assert (sent["sid"], sent["from"], sent["messaging_service_sid"]) == (
        sid,
        BUSINESS_NUMBER,
        None,
    )
    assert sender.sent_body(sid) == "Hi"


def test_a_messaging_service_sends_as_messaging_service_sid(
    sender: TwilioSmsSender, sandbox: TwilioSandbox
):
    sid = sender.send(CUSTOMER, SERVICE_SID, "Hi", None)

    [sent] = sandbox.messages(CUSTOMER)
    assert (sent["sid"], sent["messaging_service_sid"]) == (sid, SERVICE_SID)


def test_a_number_twilio_rejects_is_explained(sender: TwilioSmsSender):
    with pytest.raises(Unprocessable, match="not a valid phone number"):
        sender.send("12", BUSINESS_NUMBER, "Hi", None)
