"""The local Twilio sandbox, driven by the real twilio client over real HTTP."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from local.sandbox_base import linkify
from local.twilio_sandbox import (
    SERVICE_SENDER,
    StatusCallback,
    TwilioSandbox,
    normalize_number,
    twilio_signature,
)
from reschedule_dispatch.adapters.twilio_sms import twilio_client
from tests.serving import free_port, serve

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "sandbox-auth-token"
SERVICE_SID = "MG" + "2" * 32
FROM = "+15005550006"
TO = "+15551234567"
OTHER_TO = "+15557654321"
UNREACHABLE_TO = "+15555553003"
CALLBACK_URL = "https://app.example/webhooks/twilio/status?tenant=acme"
RFC_2822 = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000")
DEADLINE_SECONDS = 5.0


def eventually(check: Callable[[], bool], timeout: float = DEADLINE_SECONDS) -> None:
    """Poll until `check()` holds; the lifecycle runs on background threads."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.005)


class CapturingPoster:
    """A poster that records callbacks instead of sending them."""

    def __init__(self) -> None:
        self.callbacks: list[StatusCallback] = []
        self._lock = threading.Lock()

    def __call__(self, callback: StatusCallback) -> None:
        with self._lock:
            self.callbacks.append(callback)

    def wait_for(self, count: int) -> list[StatusCallback]:
        eventually(lambda: len(self.callbacks) >= count)
        with self._lock:
            return list(self.callbacks)


def send(app: Client, **form: str) -> dict[str, object]:
    """Create a message through the WSGI app directly (no server needed)."""
    response = app.post(
        f"/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data=form,
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.json or {})


@pytest.fixture
def captured() -> CapturingPoster:
    return CapturingPoster()


@pytest.fixture
def sandbox(captured: CapturingPoster) -> Iterator[TwilioSandbox]:
    box = TwilioSandbox(ACCOUNT_SID, AUTH_TOKEN, poster=captured, step_delay=0.01)
    yield box
    box.close()


@pytest.fixture
def client(base_url: str):
    return twilio_client(ACCOUNT_SID, AUTH_TOKEN, f"{base_url}/twilio")


# -- Messages API through the twilio client ---------------------------------------------------


def test_create_answers_a_queued_message_resource_the_twilio_client_parses(client):
    # Given a sandbox and the app's twilio client pointed at it
    # When the app sends a text
    message = client.messages.create(
        to=TO, from_=FROM, body="Pick a new time", status_callback=CALLBACK_URL
    )

    # Then the library parses Twilio's Message resource
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.account_sid == ACCOUNT_SID
    assert (message.to, message.from_, message.body) == (TO, FROM, "Pick a new time")
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.api_version == "2010-04-01"
    assert (message.num_segments, message.num_media) == ("1", "0")
    assert (message.price, message.error_code, message.error_message) == (None, None, None)
    assert message.messaging_service_sid is None
    assert isinstance(message.date_created, datetime)
    assert message.date_created.utcoffset() is not None
    assert message.date_sent is None
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"


def test_create_response_has_twilios_json_fields_and_formats(base_url):
    # Given a raw HTTP client, to see the JSON the library hides
    url = f"{base_url}/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    # When a message is created
    response = requests.post(
        url, data={"To": TO, "From": FROM, "Body": "Hi"}, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    )

    # Then it is a 201 JSON Message resource with RFC 2822 dates and subresource URIs
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {
        "account_sid", "api_version", "body", "date_created", "date_sent", "date_updated",
        "direction", "error_code", "error_message", "from", "messaging_service_sid",
        "num_media", "num_segments", "price", "price_unit", "sid", "status",
        "subresource_uris", "to", "uri",
    }  # fmt: skip
    assert RFC_2822.fullmatch(body["date_created"])
    assert RFC_2822.fullmatch(body["date_updated"])
    media_uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{body['sid']}/Media.json"
    assert body["subresource_uris"]["media"] == media_uri


def test_fetch_returns_the_message_and_follows_its_delivery(client):
    # Given a sent message
    sid = client.messages.create(to=TO, from_=FROM, body="Hello").sid

    # When it is fetched, until delivery completes
    eventually(lambda: client.messages(sid).fetch().status == "delivered")
    fetched = client.messages(sid).fetch()

    # Then it is the same message, now delivered with a send date
    assert (fetched.sid, fetched.to, fetched.body) == (sid, TO, "Hello")
    assert isinstance(fetched.date_sent, datetime)


def test_fetch_of_an_unknown_sid_raises_twilios_404(client):
    # Given no message with this sid
    sid = "SM" + "0" * 32

    # When it is fetched
    with pytest.raises(TwilioRestException) as raised:
        client.messages(sid).fetch()

    # Then the library raises Twilio's 20404
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_list_filters_by_to_and_from_newest_first(client):
    # Given two texts to one phone and one to another, one of them from another sender
    first = client.messages.create(to=TO, from_=FROM, body="one").sid
    second = client.messages.create(to=TO, from_="+15005550007", body="two").sid
    client.messages.create(to=OTHER_TO, from_=FROM, body="three")

    # When the app lists by recipient and by sender
    to_phone = client.messages.list(to=TO)
    from_sender = client.messages.list(from_="+15005550007")

    # Then only the matches come back, newest first as Twilio lists them
    assert [m.sid for m in to_phone] == [second, first]
    assert [m.sid for m in from_sender] == [second]


def test_list_pages_through_next_page_uri(client):
    # Given more messages than fit on one page
    sids = [client.messages.create(to=TO, from_=FROM, body=f"#{n}").sid for n in range(5)]

    # When the library lists with a small page size
    listed = client.messages.list(page_size=2)

    # Then it follows next_page_uri through the base-URL override to collect them all
    assert [m.sid for m in listed] == list(reversed(sids))


def test_list_page_has_twilios_page_shape(base_url):
    # Given one message
    requests.post(
        f"{base_url}/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"To": TO, "From": FROM, "Body": "Hi"},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    )

    # When the list is fetched raw
    page = requests.get(
        f"{base_url}/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        params={"To": TO},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    ).json()

    # Then it has Twilio's paging fields, URIs relative to the API root
    assert len(page["messages"]) == 1
    assert (page["page"], page["page_size"], page["next_page_uri"]) == (0, 50, None)
    assert page["first_page_uri"].startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json?")
    assert "To=%2B15551234567" in page["uri"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({"to": "", "from_": FROM, "body": "x"}, 21604, id="missing To"),
        pytest.param({"to": "555-1234", "from_": FROM, "body": "x"}, 21211, id="To not E.164"),
        pytest.param({"to": "+15005550001", "from_": FROM, "body": "x"}, 21211, id="magic"),
        pytest.param({"to": TO, "body": "x"}, 21603, id="missing From"),
        pytest.param({"to": TO, "from_": "not a number!", "body": "x"}, 21212, id="bad From"),
        pytest.param({"to": TO, "from_": FROM}, 21602, id="missing Body"),
        pytest.param({"to": TO, "from_": FROM, "body": "x" * 1601}, 21617, id="Body too long"),
    ],
)
def test_invalid_create_raises_twilios_400(client, sandbox, fields, code):
    # Given a request Twilio would reject
    # When the app sends it
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**fields)

    # Then the library raises with Twilio's code, and nothing was stored
    assert (raised.value.status, raised.value.code) == (400, code)
    assert sandbox.messages() == []


def test_a_1600_character_body_is_accepted(client):
    # Given a body exactly at Twilio's limit
    # When it is sent
    message = client.messages.create(to=TO, from_=FROM, body="x" * 1600)

    # Then it is accepted and billed as 11 concatenated GSM-7 segments
    assert message.num_segments == "11"


def test_wrong_auth_token_raises_twilios_401(base_url):
    # Given a client with the wrong token
    client = twilio_client(ACCOUNT_SID, "wrong-token", f"{base_url}/twilio")

    # When it sends
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=TO, from_=FROM, body="x")

    # Then Twilio's "Authenticate" error comes back
    assert (raised.value.status, raised.value.code) == (401, 20003)


def test_account_sid_in_path_must_match_the_credentials(base_url):
    # Given the right credentials but another account in the path
    other = "AC" + "9" * 32
    url = f"{base_url}/twilio/2010-04-01/Accounts/{other}/Messages.json"

    # When a message is posted
    response = requests.post(
        url, data={"To": TO, "From": FROM, "Body": "x"}, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    )

    # Then it is Twilio's exact 401 error JSON
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/twilio/2010-04-01/Accounts/{sid}/Calls.json",
        "/twilio/2010-04-01/Accounts/{sid}/Messages",
        "/twilio/anything",
    ],
)
def test_unknown_paths_under_the_prefix_answer_twilios_404(app, path):
    # Given a path the sandbox does not implement
    # When it is requested with valid credentials
    response = app.get(path.format(sid=ACCOUNT_SID), auth=(ACCOUNT_SID, AUTH_TOKEN))

    # Then it is a 404 in Twilio's error shape
    assert response.status_code == 404
    assert response.json is not None
    assert (response.json["code"], response.json["status"]) == (20404, 404)


# -- Delivery lifecycle and status callbacks --------------------------------------------------


def test_delivery_posts_a_signed_callback_for_each_status(client, captured):
    # Given a message sent with a StatusCallback
    sid = client.messages.create(to=TO, from_=FROM, body="Hi", status_callback=CALLBACK_URL).sid

    # When the lifecycle plays out
    callbacks = captured.wait_for(3)

    # Then Twilio's status callbacks arrive in order, with Twilio's parameters
    assert [c.params["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    assert callbacks[-1].url == CALLBACK_URL
    assert callbacks[-1].params == {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": FROM,
        "MessageSid": sid,
        "MessageStatus": "delivered",
        "SmsSid": sid,
        "SmsStatus": "delivered",
        "To": TO,
    }
    assert callbacks[-1].headers["X-Twilio-Signature"] == callbacks[-1].signature
    assert client.messages(sid).fetch().status == "delivered"


def test_callback_signatures_validate_with_twilios_request_validator(client, captured):
    # Given the callbacks of one delivered message
    client.messages.create(to=TO, from_=FROM, body="Hi", status_callback=CALLBACK_URL)
    callbacks = captured.wait_for(3)
    validator = RequestValidator(AUTH_TOKEN)

    # When the app checks them as the real webhook handler does
    # Then every genuine callback validates
    assert all(validator.validate(c.url, c.params, c.signature) for c in callbacks)
    # And a tampered parameter or URL does not
    last = callbacks[-1]
    assert not validator.validate(
        last.url, {**last.params, "MessageStatus": "failed"}, last.signature
    )
    assert not validator.validate(last.url + "&x=1", last.params, last.signature)


def test_signature_matches_twilios_documented_example():
    # Given the example from Twilio's webhook security docs
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }

    # When the sandbox signs it
    signature = twilio_signature("12345", url, params)

    # Then it is Twilio's published signature
    assert signature == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_unreachable_number_ends_undelivered_with_30003(client, captured):
    # Given a number the sandbox treats as an unreachable handset
    sid = client.messages.create(
        to=UNREACHABLE_TO, from_=FROM, body="Hi", status_callback=CALLBACK_URL
    ).sid

    # When the lifecycle plays out
    callbacks = captured.wait_for(3)

    # Then delivery fails with 30003 in the callback and on the resource
    assert [c.params["MessageStatus"] for c in callbacks] == ["queued", "sent", "undelivered"]
    assert callbacks[-1].params["ErrorCode"] == "30003"
    assert all("ErrorCode" not in c.params for c in callbacks[:-1])
    fetched = client.messages(sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_unreachable_numbers_can_be_given_as_a_set(captured):
    # Given a sandbox with an explicit unreachable set
    sandbox = TwilioSandbox(
        ACCOUNT_SID, AUTH_TOKEN, poster=captured, step_delay=0.001, unreachable={TO}
    )
    app = Client(sandbox)

    # When texts go to that number and to another
    send(app, To=TO, From=FROM, Body="a", StatusCallback=CALLBACK_URL)
    send(app, To=UNREACHABLE_TO, From=FROM, Body="b", StatusCallback=CALLBACK_URL)
    callbacks = captured.wait_for(6)

    # Then only the listed number fails
    final = {c.params["To"]: c.params["MessageStatus"] for c in callbacks}
    assert final == {TO: "undelivered", UNREACHABLE_TO: "delivered"}
    sandbox.close()


def test_messaging_service_messages_start_accepted_and_get_a_sender(client, captured):
    # Given a text sent through a Messaging Service rather than a From number
    message = client.messages.create(
        to=TO, messaging_service_sid=SERVICE_SID, body="Hi", status_callback=CALLBACK_URL
    )

    # When the lifecycle plays out
    callbacks = captured.wait_for(4)

    # Then it starts accepted with no sender, then the service picks one
    assert (message.status, message.from_) == ("accepted", None)
    assert message.messaging_service_sid == SERVICE_SID
    statuses = [c.params["MessageStatus"] for c in callbacks]
    assert statuses == ["accepted", "queued", "sent", "delivered"]
    assert callbacks[-1].params["MessagingServiceSid"] == SERVICE_SID
    assert callbacks[-1].params["From"] == SERVICE_SENDER


def test_default_poster_delivers_signed_callbacks_over_http():
    # Given a webhook receiver and a sandbox using its default requests poster
    received: list[tuple[str, dict[str, str], str]] = []

    @Request.application
    def receiver(request: Request) -> Response:
        received.append((request.url, dict(request.form), request.headers["X-Twilio-Signature"]))
        return Response(status=204)

    sandbox = TwilioSandbox(ACCOUNT_SID, AUTH_TOKEN, step_delay=0.001)
    with serve(receiver) as webhook_base:
        callback_url = f"{webhook_base}/webhooks/twilio/status?tenant=acme"

        # When a message with that StatusCallback is delivered
        send(Client(sandbox), To=TO, From=FROM, Body="Hi", StatusCallback=callback_url)
        eventually(lambda: len(received) == 3)

    # Then the receiver got form posts whose signature validates on the URL it saw
    validator = RequestValidator(AUTH_TOKEN)
    assert [form["MessageStatus"] for _, form, _ in received] == ["queued", "sent", "delivered"]
    assert all(url == callback_url for url, _, _ in received)
    assert all(validator.validate(url, form, sig) for url, form, sig in received)
    sandbox.close()


def test_failing_callbacks_are_logged_and_delivery_goes_on(caplog):
    # Given one webhook that refuses connections and one that answers 500
    @Request.application
    def broken(request: Request) -> Response:
        return Response("boom", status=500)

    caplog.set_level(logging.WARNING, logger="local.twilio_sandbox")
    sandbox = TwilioSandbox(ACCOUNT_SID, AUTH_TOKEN, step_delay=0.001)
    app = Client(sandbox)
    refused = f"http://127.0.0.1:{free_port()}/status"

    with serve(broken) as broken_base:
        # When messages are sent with those callbacks
        send(app, To=TO, From=FROM, Body="a", StatusCallback=refused)
        send(app, To=OTHER_TO, From=FROM, Body="b", StatusCallback=f"{broken_base}/status")
        eventually(lambda: all(m["status"] == "delivered" for m in sandbox.messages()))

    # Then both failures are logged, delivery still completes and the sandbox still serves
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("failed" in w and "127.0.0.1" in w for w in warnings)
    assert any("HTTP 500" in w for w in warnings)
    assert send(app, To=TO, From=FROM, Body="still up")["status"] == "queued"
    sandbox.close()


# -- Python API and dev pages ----------------------------------------------------------------


def test_messages_filters_by_recipient_and_reset_forgets_them(sandbox, app):
    # Given texts to two phones
    first = send(app, To=TO, From=FROM, Body="one")
    send(app, To=OTHER_TO, From=FROM, Body="two")
    last = send(app, To=TO, From=FROM, Body="three")

    # When they are read back by recipient
    to_phone = sandbox.messages(TO)

    # Then only that phone's texts come back, newest last
    assert [m["sid"] for m in to_phone] == [first["sid"], last["sid"]]
    assert len(sandbox.messages()) == 3
    # And reset forgets everything
    sandbox.reset()
    assert sandbox.messages() == []


@pytest.mark.parametrize("raw", ["+15551234567", " 15551234567", "15551234567", "+1 555-123-4567"])
def test_normalize_number_recovers_e164(raw):
    # Given a number as it may arrive in a query string / When normalized / Then E.164
    assert normalize_number(raw) == TO


def test_dev_sms_lists_a_phones_texts_even_with_an_unencoded_plus(app):
    # Given texts to two phones
    send(app, To=TO, From=FROM, Body="one")
    send(app, To=OTHER_TO, From=FROM, Body="two")
    send(app, To=TO, From=FROM, Body="three")

    # When /dev/sms is asked for one phone with a raw "+" (decoded as a space)
    filtered = app.get("/dev/sms?to=+15551234567").json
    everything = app.get("/dev/sms").json

    # Then that phone's texts come back newest last, with the fields tests rely on
    assert filtered is not None
    assert everything is not None
    assert [m["body"] for m in filtered] == ["one", "three"]
    assert [m["body"] for m in everything] == ["one", "two", "three"]
    keys = {"to", "from", "body", "status", "sid", "date_created", "error_code"}
    assert keys <= set(filtered[0])


def test_dev_phone_shows_escaped_bodies_with_clickable_links(app):
    # Given a text with markup and a link in it
    body = "<script>alert(1)</script> Reschedule: https://x.test/r/abc?a=1&b=2."
    send(app, To=TO, From=FROM, Body=body)

    # When the phone page is rendered
    response = app.get("/dev/phone")
    page = response.get_data(as_text=True)

    # Then the markup is inert, the link is clickable (without the full stop), and it refreshes
    assert response.content_type.startswith("text/html")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://x.test/r/abc?a=1&amp;b=2" target="_blank"' in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert f'data-number="{TO}"' in page
    assert FROM in page


def test_dev_phone_filters_to_one_phone(app):
    # Given texts to two phones
    send(app, To=TO, From=FROM, Body="for the first phone")
    send(app, To=OTHER_TO, From=FROM, Body="for the second phone")

    # When the page is asked for one of them (with an unencoded plus)
    page = app.get("/dev/phone?to=+15557654321").get_data(as_text=True)

    # Then only that phone is shown
    assert f'data-number="{OTHER_TO}"' in page
    assert f'data-number="{TO}"' not in page
    assert "for the first phone" not in page


def test_dev_phone_shows_undelivered_status(sandbox, app):
    # Given a text to an unreachable phone
    send(app, To=UNREACHABLE_TO, From=FROM, Body="hello?")

    # When its delivery has failed and the page is rendered
    eventually(lambda: sandbox.messages()[0]["status"] == "undelivered")
    page = app.get("/dev/phone").get_data(as_text=True)

    # Then the failure and its error code are visible on the phone
    assert "Not delivered (30003)" in page


def test_dev_phone_without_messages_shows_an_empty_state(app):
    # Given no texts / When the page is rendered
    page = app.get("/dev/phone").get_data(as_text=True)

    # Then it says so instead of showing empty phones
    assert "No messages yet" in page
    assert 'class="phone"' not in page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://a.test/x.", 'see <a href="https://a.test/x" target="_blank" rel="noopener">'
         "https://a.test/x</a>."),
        ('"https://a.test/q"', '&quot;<a href="https://a.test/q" target="_blank" rel="noopener">'
         "https://a.test/q</a>&quot;"),
        ("javascript:alert(1) ftp://a.test", "javascript:alert(1) ftp://a.test"),
    ],
)  # fmt: skip
def test_linkify_escapes_then_links_only_http_urls(text, expected):
    # Given a body / When linkified / Then only http(s) URLs become links, quotes stay out
    assert linkify(text) == expected


# -- Mounting -------------------------------------------------------------------------------


def test_custom_prefix_is_where_the_api_lives(captured):
    # Given a sandbox mounted at another prefix
    sandbox = TwilioSandbox(ACCOUNT_SID, AUTH_TOKEN, prefix="/fake-twilio/", poster=captured)
    with serve(sandbox) as url:
        client = twilio_client(ACCOUNT_SID, AUTH_TOKEN, f"{url}/fake-twilio")

        # When the client sends through it
        message = client.messages.create(to=TO, from_=FROM, body="Hi")

        # Then the message is created there, and the old prefix is unknown
        assert message.uri.startswith("/2010-04-01/")
        missing = requests.get(f"{url}/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
        assert missing.status_code == 404
    assert sandbox.handles("/fake-twilio/2010-04-01/Accounts")
    assert sandbox.handles("/dev/phone")
    assert not sandbox.handles("/twilio/2010-04-01/Accounts")
    assert not sandbox.handles("/api/sessions")
    sandbox.close()


def test_works_behind_dispatcher_middleware(mounted_app):
    # Given a gateway that mounts the sandbox with SCRIPT_NAME=/twilio (mounted_app)
    # When a message is posted through the mount
    response = mounted_app.post(
        f"/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"To": TO, "From": FROM, "Body": "via mount"},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    )

    # Then the sandbox sees the full path and creates it
    assert response.status_code == 201
    assert json.loads(response.get_data())["body"] == "via mount"


@pytest.mark.parametrize("body", [[1, 2], "text", 7, {"from": "+15551234567"}])
def test_a_phone_reply_without_from_to_and_body_is_a_400_not_a_crash(app: Client, body):
    response = app.post("/dev/phone/reply", json=body)
    assert response.status_code == 400
    assert response.json == {"message": "from, to and body are required"}
