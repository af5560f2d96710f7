"""The SendGrid email sender against the local SendGrid sandbox over real HTTP: the request
it makes, and every answer mapped to its domain error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.message import Message
from email.utils import formatdate

import pytest
from werkzeug.wrappers import Request, Response

from local.sendgrid_sandbox import SendGridSandbox
from reschedule_dispatch.adapters.json_http import retry_after_seconds
from reschedule_dispatch.adapters.sendgrid_email import SendGridEmailSender
from reschedule_dispatch.domain.errors import MessagingUnavailable, Unprocessable
from reschedule_dispatch.domain.ports import EmailAttachment
from tests.serving import free_port, serve

API_KEY = "SG.sandbox-key"
TO = "casey@customer.example"
FROM = "dispatch@northside.example"
NOW = 1_750_000_000.0


@pytest.fixture
def sandbox() -> SendGridSandbox:
    return SendGridSandbox(API_KEY, verified_senders={"@northside.example"})


@pytest.fixture
def base_url(sandbox: SendGridSandbox) -> Iterator[str]:
    with serve(sandbox) as url:
        yield url


@pytest.fixture
def sender(base_url: str) -> SendGridEmailSender:
    return SendGridEmailSender(API_KEY, api_base_url=f"{base_url}/sendgrid/", timeout=2)


def send(
    sender: SendGridEmailSender, to: str = TO, from_email: str = FROM, html: str | None = None
) -> str:
    return sender.send(
        to, from_email, "Northside Plumbing", "Your appointment", "Pick a time", html
    )


# -- Sending --------------------------------------------------------------------------------------


def test_send_returns_sendgrids_message_id_and_the_email_arrives(sandbox, sender):
    # Given the sender pointed at the sandbox
    # When it sends an email with an HTML part, categories and a session id
    message_id = sender.send(
        TO,
        FROM,
        "Northside Plumbing",
        "Your appointment",
        "Pick a new time: https://x.test/r/abc",
        "<p>Pick a new time</p>",
        categories=["reschedule-link"],
        custom_args={"session_id": "s-123"},
    )

    # Then the id is the one SendGrid answered, and the email is exactly what was sent
    [email] = sandbox.messages(TO)
    assert message_id == email["message_id"]
    assert (email["from"], email["from_name"]) == (FROM, "Northside Plumbing")
    assert email["subject"] == "Your appointment"
    assert email["text"] == "Pick a new time: https://x.test/r/abc"
    assert email["html"] == "<p>Pick a new time</p>"
    assert email["categories"] == ["reschedule-link"]
    assert email["custom_args"] == {"session_id": "s-123"}


def test_send_turns_click_and_open_tracking_off(sandbox, sender):
    # Given an email whose text holds a private link
    # When it is sent
    send(sender)

    # Then SendGrid is told not to rewrite links or add a pixel, whatever the account says
    tracking = sandbox.messages()[0]["tracking_settings"]
    assert tracking == {
        "click_tracking": {"enable": False, "enable_text": False},
        "open_tracking": {"enable": False},
    }


def test_send_without_html_sends_only_the_text_part(sandbox, sender):
    # Given no HTML body / When sent / Then only text/plain goes, no categories or args
    send(sender, html=None)
    email = sandbox.messages()[0]
    assert (email["text"], email["html"]) == ("Pick a time", None)
    assert (email["categories"], email["custom_args"]) == ([], {})


def test_an_accepted_email_without_a_message_id_is_still_sent():
    # Given a service that accepts (202) but leaves the X-Message-Id header out
    @Request.application
    def accepts(request: Request) -> Response:
        return Response(status=202)

    with serve(accepts) as url:
        # When an email is sent
        message_id = send(SendGridEmailSender(API_KEY, url))

    # Then no error invites a retry (that would send twice); the id is just unknown
    assert message_id == ""


def test_base_url_must_be_http():
    # Given a base URL with another scheme / When the sender is built / Then it is refused
    with pytest.raises(ValueError, match="http"):
        SendGridEmailSender(API_KEY, "file:///etc/passwd")


# -- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("to", ["not-an-address", "casey@", "casey example@x.example"])
def test_a_bad_recipient_address_is_unprocessable(sandbox, sender, to):
    # Given an address SendGrid rejects (400, field personalizations.0.to.0.email)
    # When it is sent to
    with pytest.raises(Unprocessable) as raised:
        send(sender, to=to)

    # Then the dispatcher is told the address is the problem, and nothing was sent
    assert str(raised.value) == "The recipient's email address is not valid."
    assert sandbox.messages() == []


def test_a_bad_sender_address_is_unprocessable(sender):
    # Given a business sender address that is not an address
    # When it is used / Then the sender setting is named
    with pytest.raises(Unprocessable, match="sender email address is not valid"):
        send(sender, from_email="dispatch")


def test_other_validation_errors_carry_sendgrids_message(sender):
    # Given an empty subject (SendGrid: 400 on field "subject")
    # When it is sent
    with pytest.raises(Unprocessable) as raised:
        sender.send(TO, FROM, "Northside", "", "text")

    # Then SendGrid's own explanation is passed on
    assert str(raised.value).startswith("SendGrid rejected the email: The subject is required.")


def test_a_wrong_api_key_says_to_check_the_settings(base_url, sandbox):
    # Given a sender with a revoked key
    sender = SendGridEmailSender("SG.revoked", f"{base_url}/sendgrid")

    # When it sends
    with pytest.raises(MessagingUnavailable) as raised:
        send(sender)

    # Then it is the settings, not the moment, that need attention
    assert str(raised.value) == "SendGrid refused the API key (HTTP 401). Check the email settings."
    assert "Try again" not in str(raised.value)
    assert sandbox.messages() == []


def test_an_unverified_sender_says_so(sender):
    # Given a sender outside the verified domain (403, Sender Identity)
    # When it sends / Then the message says the sender is not verified
    with pytest.raises(MessagingUnavailable, match="not a verified sender"):
        send(sender, from_email="dispatch@elsewhere.example")


def test_a_403_for_another_reason_blames_the_key(sandbox, sender):
    # Given SendGrid answering a plain 403 (a key without the Mail Send permission)
    sandbox.fail_next(403)

    # When an email is sent / Then the key's permissions are named
    with pytest.raises(MessagingUnavailable, match="refused to send with this API key"):
        send(sender)


def test_an_email_over_the_size_limit_is_unprocessable():
    # Given a sandbox with a small limit
    sandbox = SendGridSandbox(API_KEY, max_payload_bytes=1000)
    with serve(sandbox) as url:
        sender = SendGridEmailSender(API_KEY, f"{url}/sendgrid")

        # When a larger email is sent / Then it is too large, not a passing problem
        with pytest.raises(Unprocessable, match="too large"):
            sender.send(TO, FROM, "N", "S", "x" * 2000)


def test_rate_limiting_says_when_to_try_again_from_retry_after(sandbox, sender):
    # Given SendGrid rate limiting with a Retry-After
    sandbox.fail_next(429, retry_after=17)

    # When an email is sent / Then the delay is passed on, with the advice to retry
    with pytest.raises(MessagingUnavailable) as raised:
        send(sender)
    assert (
        str(raised.value) == "SendGrid is rate limiting email (HTTP 429). Try again in 17 seconds."
    )


def test_rate_limiting_reads_the_reset_time_without_retry_after(sandbox, sender):
    # Given SendGrid's usual 429: only X-RateLimit-Reset, 60 seconds away
    sandbox.fail_next(429)

    # When an email is sent
    with pytest.raises(MessagingUnavailable) as raised:
        send(sender)

    # Then the delay is counted from the reset time (whole seconds: allow a second's drift)
    assert str(raised.value).endswith(("Try again in 60 seconds.", "Try again in 59 seconds."))


def test_rate_limiting_without_any_header_says_a_minute():
    # Given a 429 with neither Retry-After nor X-RateLimit-Reset
    @Request.application
    def limited(request: Request) -> Response:
        return Response('{"errors":[{"message":"too many requests"}]}', status=429)

    # When an email is sent / Then it still says when, roughly
    with serve(limited) as url, pytest.raises(MessagingUnavailable, match="Try again in a minute"):
        send(SendGridEmailSender(API_KEY, url))


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_say_try_again(sandbox, sender, status):
    # Given SendGrid failing on its side
    sandbox.fail_next(status)

    # When an email is sent
    with pytest.raises(MessagingUnavailable) as raised:
        send(sender)

    # Then the status is named and retrying is the advice; the next send goes through
    assert str(raised.value) == (
        f"The email service could not take the message (HTTP {status}). Try again."
    )
    assert send(sender)


def test_a_400_that_is_not_sendgrids_json_is_still_unprocessable():
    # Given a 400 whose body is a proxy's HTML page
    @Request.application
    def proxy(request: Request) -> Response:
        return Response("<html>400 Bad Request</html>", status=400, mimetype="text/html")

    # When an email is sent / Then it is refused without a detail to pass on
    with serve(proxy) as url, pytest.raises(Unprocessable) as raised:
        send(SendGridEmailSender(API_KEY, url))
    assert str(raised.value) == "SendGrid rejected the email."


def test_an_unreachable_service_says_try_again():
    # Given nothing listening on the port
    sender = SendGridEmailSender(API_KEY, f"http://127.0.0.1:{free_port()}", timeout=1)

    # When an email is sent / Then it is a passing problem
    with pytest.raises(MessagingUnavailable, match=r"could not be reached\. Try again\."):
        send(sender)


def test_a_slow_service_times_out_as_unavailable():
    # Given a service that does not answer within the sender's timeout
    release = threading.Event()

    @Request.application
    def slow(request: Request) -> Response:
        release.wait(5)
        return Response(status=202)

    with serve(slow) as url:
        sender = SendGridEmailSender(API_KEY, url, timeout=0.2)

        # When an email is sent
        try:
            with pytest.raises(MessagingUnavailable, match="could not be reached"):
                send(sender)
        finally:
            release.set()  # let the handler finish so the server stops at once


# -- Retry-After parsing --------------------------------------------------------------------------


def headers(**values: str) -> Message:
    message = Message()
    for name, value in values.items():
        message[name.replace("_", "-")] = value
    return message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(headers(Retry_After="12"), 12, id="seconds"),
        pytest.param(headers(Retry_After=formatdate(NOW + 90, usegmt=True)), 90, id="http-date"),
        pytest.param(headers(Retry_After=formatdate(NOW - 90, usegmt=True)), 0, id="past-date"),
        pytest.param(headers(X_RateLimit_Reset=str(int(NOW) + 45)), 45, id="rate-limit-reset"),
        pytest.param(
            headers(Retry_After="soon", X_RateLimit_Reset=str(int(NOW) + 5)), 5, id="junk"
        ),
        pytest.param(headers(), None, id="none"),
    ],
)
def test_retry_after_seconds_reads_every_header_shape(given, expected):
    # Given rate-limit headers / When read / Then the whole seconds to wait
    assert retry_after_seconds(given, now=NOW) == expected


def test_attachments_go_base64_and_arrive_as_sent(sandbox, sender):
    # Given an .ics to attach
    calendar = "BEGIN:VCALENDAR\r\nSUMMARY:Reparación\r\nEND:VCALENDAR\r\n"
    # When it is sent with the email
    sender.send(
        TO,
        FROM,
        "Northside Plumbing",
        "Su cita",
        "Adjuntamos la invitación.",
        attachments=[EmailAttachment("invite.ics", "text/calendar", calendar.encode())],
    )
    # Then SendGrid (the sandbox) stores it, decoded, under its name and type
    [email] = sandbox.messages(TO)
    assert email["attachments"] == [
        {"filename": "invite.ics", "type": "text/calendar", "content": calendar}
    ]
