"""The local SendGrid sandbox, over real HTTP: Mail Send v3 as SendGrid answers it, the
store and the dev pages."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from local.sendgrid_sandbox import HELP, SendGridSandbox
from reschedule_dispatch.adapters.sendgrid_email import SendGridEmailSender
from tests.serving import serve

API_KEY = "SG.sandbox-key"
TO = "casey@customer.example"
OTHER_TO = "robin@customer.example"
FROM = "dispatch@northside.example"
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def mail(**overrides: Any) -> dict[str, Any]:
    """A valid Mail Send payload; keyword arguments replace (or, as None, drop) fields."""
    payload: dict[str, Any] = {
        "personalizations": [{"to": [{"email": TO, "name": "Casey"}]}],
        "from": {"email": FROM, "name": "Northside Plumbing"},
        "subject": "Your appointment",
        "content": [
            {"type": "text/plain", "value": "Pick a new time: https://x.test/r/abc"},
            {"type": "text/html", "value": "<p>Pick a new time</p>"},
        ],
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


@pytest.fixture
def sandbox() -> SendGridSandbox:
    return SendGridSandbox(API_KEY)


@pytest.fixture
def post(base_url: str) -> Callable[..., requests.Response]:
    def post(payload: object, key: str | None = API_KEY, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        return requests.post(
            f"{base_url}/sendgrid/v3/mail/send", json=payload, headers=headers, timeout=5, **kwargs
        )

    return post


def send(app: Client, to: str = TO, **overrides: Any) -> str:
    """Send through the WSGI app directly (no server needed); return the message id."""
    payload = mail(personalizations=[{"to": [{"email": to}]}], **overrides)
    response = app.post(
        "/sendgrid/v3/mail/send", json=payload, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.headers["X-Message-Id"]


# -- Mail Send ----------------------------------------------------------------------------------


def test_accepted_email_answers_202_with_a_message_id_and_no_body(sandbox, post):
    # Given a valid payload
    # When it is posted with the API key
    response = post(mail())

    # Then SendGrid's answer comes back: 202, an X-Message-Id, an empty body
    assert response.status_code == 202
    assert MESSAGE_ID.fullmatch(response.headers["X-Message-Id"])
    assert response.content == b""
    # And the email is stored with what the inbox and tests need
    [email] = sandbox.messages()
    assert email["message_id"] == response.headers["X-Message-Id"]
    assert (email["to"], email["to_name"]) == (TO, "Casey")
    assert (email["from"], email["from_name"]) == (FROM, "Northside Plumbing")
    assert email["subject"] == "Your appointment"
    assert email["text"] == "Pick a new time: https://x.test/r/abc"
    assert email["html"] == "<p>Pick a new time</p>"
    assert (email["custom_args"], email["categories"]) == ({}, [])


def test_each_recipient_gets_a_copy_with_its_personalizations_overrides(sandbox, post):
    # Given two personalizations, the second overriding the subject and a custom arg
    payload = mail(
        personalizations=[
            {"to": [{"email": TO}, {"email": OTHER_TO}]},
            {"to": [{"email": "third@x.example"}], "subject": "Yours", "custom_args": {"k": "2"}},
        ],
        custom_args={"k": "1", "session_id": "s-1"},
        categories=["reschedule"],
    )

    # When it is sent
    response = post(payload)

    # Then there is one stored email per recipient, all under the one message id
    assert response.status_code == 202
    emails = sandbox.messages()
    assert [e["to"] for e in emails] == [TO, OTHER_TO, "third@x.example"]
    assert {e["message_id"] for e in emails} == {response.headers["X-Message-Id"]}
    assert [e["subject"] for e in emails] == ["Your appointment", "Your appointment", "Yours"]
    assert emails[0]["custom_args"] == {"k": "1", "session_id": "s-1"}
    assert emails[2]["custom_args"] == {"k": "2", "session_id": "s-1"}
    assert emails[2]["categories"] == ["reschedule"]


def test_a_subject_in_every_personalization_replaces_the_top_level_one(sandbox, post):
    # Given no top-level subject, but one per personalization
    payload = mail(subject=None, personalizations=[{"to": [{"email": TO}], "subject": "Hi"}])

    # When it is sent / Then it is accepted with that subject
    assert post(payload).status_code == 202
    assert sandbox.messages()[0]["subject"] == "Hi"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "authorization required"),
        ("SG.wrong", "The provided authorization grant is invalid, expired, or revoked"),
    ],
)
def test_missing_or_wrong_key_answers_401_in_sendgrids_shape(sandbox, post, key, message):
    # Given a request without the right Bearer key
    # When it is posted
    response = post(mail(), key=key)

    # Then SendGrid's 401 comes back and nothing is stored
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": message, "field": None, "help": None}]}
    assert sandbox.messages() == []


def test_basic_auth_is_not_a_bearer_key(base_url, sandbox):
    # Given the right key sent with another scheme
    response = requests.post(
        f"{base_url}/sendgrid/v3/mail/send",
        json=mail(),
        auth=("apikey", API_KEY),
        timeout=5,
    )

    # Then it is refused
    assert response.status_code == 401
    assert sandbox.messages() == []


def test_invalid_recipient_answers_400_naming_the_field(sandbox, post):
    # Given a recipient without a valid address
    payload = mail(personalizations=[{"to": [{"email": TO}, {"email": "not an address"}]}])

    # When it is posted
    response = post(payload)

    # Then it is SendGrid's validation error for that exact field, and nothing is sent
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Does not contain a valid address.",
                "field": "personalizations.0.to.1.email",
                "help": f"{HELP}#message.personalizations.to",
            }
        ]
    }
    assert sandbox.messages() == []


def test_an_empty_payload_lists_every_missing_field(post):
    # Given an empty JSON object
    # When it is posted
    response = post({})

    # Then each required field has its error, in SendGrid's order
    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["personalizations", "from", "subject", "content"]


@pytest.mark.parametrize(
    ("overrides", "field", "message_start"),
    [
        ({"personalizations": [{"to": []}]}, "personalizations.0.to", "The to array is required"),
        ({"personalizations": [{"cc": [{"email": TO}]}]}, "personalizations.0.to", "The to array"),
        ({"from": {"email": "nobody"}}, "from.email", "The from email does not contain"),
        ({"from": {"name": "No address"}}, "from", "The from object must be provided"),
        ({"subject": ""}, "subject", "The subject is required"),
        ({"content": []}, "content", "Unless a valid template_id is provided"),
        (
            {"content": [{"type": "text/plain", "value": ""}]},
            "content.0.value",
            "The content value must be a string at least one character",
        ),
        (
            {"content": [{"type": "text/html", "value": "<p>x</p>"}, {"type": "text/plain", "value": "x"}]},
            "content",
            "If present, text/plain content must be first",
        ),
        (
            {"content": [{"type": "text/plain", "value": "a"}, {"type": "text/plain", "value": "b"}]},
            "content",
            "Each content type may only be provided once",
        ),
        ({"custom_args": {"session_id": 7}}, "custom_args", "Invalid type"),
        ({"categories": [f"c{i}" for i in range(11)]}, "categories", "Too many categories"),
        ({"categories": ["x" * 256]}, "categories", "A category cannot have more than 255"),
        ({"categories": "reschedule"}, "categories", "Invalid type"),
    ],
)  # fmt: skip
def test_each_broken_field_answers_400_with_its_error(
    sandbox, post, overrides, field, message_start
):
    # Given a payload with one broken field
    # When it is posted
    response = post(mail(**overrides))

    # Then that field's validation error comes back and nothing is sent
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["message"].startswith(message_start)
    assert sandbox.messages() == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_a_bad_request(base_url, body):
    # Given a body that is not a JSON object
    # When it is posted
    response = requests.post(
        f"{base_url}/sendgrid/v3/mail/send",
        data=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        timeout=5,
    )

    # Then it is SendGrid's plain "Bad Request"
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Bad Request", "field": None, "help": None}]}


def test_a_payload_over_the_limit_answers_413():
    # Given a sandbox with a small size limit
    sandbox = SendGridSandbox(API_KEY, max_payload_bytes=2000)
    with serve(sandbox) as url:
        # When a larger email is posted
        big = mail(content=[{"type": "text/plain", "value": "x" * 3000}])
        response = requests.post(
            f"{url}/sendgrid/v3/mail/send",
            json=big,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=5,
        )

    # Then it is refused as too large, and nothing is stored
    assert response.status_code == 413
    assert "too large" in response.json()["errors"][0]["message"]
    assert sandbox.messages() == []


def test_only_verified_senders_may_send_when_they_are_configured():
    # Given a sandbox that knows one verified address and one authenticated domain
    sandbox = SendGridSandbox(API_KEY, verified_senders={FROM, "@eastside.example"})
    app = Client(sandbox)
    auth = {"Authorization": f"Bearer {API_KEY}"}

    # When three senders try
    def status(sender: str) -> int:
        payload = mail(**{"from": {"email": sender}})
        return app.post("/sendgrid/v3/mail/send", json=payload, headers=auth).status_code

    # Then the verified address (in any case) and the domain pass, a stranger gets a 403
    assert status(FROM.upper()) == 202
    assert status("ops@eastside.example") == 202
    assert status("ops@westside.example") == 403
    refused = app.post(
        "/sendgrid/v3/mail/send", json=mail(**{"from": {"email": "a@b.example"}}), headers=auth
    ).json
    assert refused is not None
    assert refused["errors"][0]["field"] == "from"
    assert "verified Sender Identity" in refused["errors"][0]["message"]
    assert len(sandbox.messages()) == 2


def test_fail_next_429_carries_rate_limit_headers_then_recovers(sandbox, post):
    # Given two armed rate-limit failures
    sandbox.fail_next(429, count=2, retry_after=30)

    # When three emails are posted
    first, second, third = post(mail()), post(mail()), post(mail())

    # Then the first two are 429s with SendGrid's headers, the third goes through
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 202)
    assert first.json()["errors"][0]["message"] == "too many requests"
    assert first.headers["Retry-After"] == "30"
    assert first.headers["X-RateLimit-Remaining"] == "0"
    reset = int(first.headers["X-RateLimit-Reset"])
    # wall clock: a rate limit's reset is real
    assert 25 <= reset - time.time() <= 31
    assert len(sandbox.messages()) == 1


def test_fail_next_is_only_spent_by_authenticated_calls(sandbox, post):
    # Given an armed 503
    sandbox.fail_next(503)

    # When a call with a wrong key comes first, then a real one
    refused, failed = post(mail(), key="SG.wrong"), post(mail())

    # Then the wrong key is a 401 and the real call gets the 503
    assert (refused.status_code, failed.status_code) == (401, 503)
    assert failed.json()["errors"][0]["message"] == "service unavailable"
    assert "Retry-After" not in failed.headers


def test_other_methods_and_paths_answer_405_and_404(base_url):
    # Given the API mounted at /sendgrid
    # When it is asked with the wrong method and for an unknown path
    wrong_method = requests.get(f"{base_url}/sendgrid/v3/mail/send", timeout=5)
    unknown = requests.post(f"{base_url}/sendgrid/v3/mail/batch", timeout=5)

    # Then both answer in SendGrid's error shape
    assert wrong_method.status_code == 405
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["message"] == "not found"


def test_concurrent_sends_are_all_stored_with_distinct_ids(sandbox, base_url):
    # Given one sender shared by twenty threads
    sender = SendGridEmailSender(API_KEY, f"{base_url}/sendgrid")
    ids: list[str] = []

    def one(index: int) -> None:
        ids.append(sender.send(f"c{index}@x.example", FROM, "N", "S", "text"))

    # When they all send at once
    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every email is stored once, each with its own id
    assert len(set(ids)) == 20
    assert sorted(e["message_id"] for e in sandbox.messages()) == sorted(ids)


# -- Python API and dev pages -------------------------------------------------------------------


def test_messages_filter_by_recipient_in_any_case_and_reset_forgets(sandbox, app):
    # Given emails to two addresses and an armed failure
    first = send(app, TO)
    send(app, OTHER_TO)
    last = send(app, TO)
    sandbox.fail_next(500)

    # When they are read back by recipient, in another case
    mine = sandbox.messages(TO.upper())

    # Then only that mailbox comes back, newest last
    assert [e["message_id"] for e in mine] == [first, last]
    assert len(sandbox.messages()) == 3
    # And reset forgets the emails and the armed failure
    sandbox.reset()
    assert sandbox.messages() == []
    send(app, TO)


def test_dev_email_lists_a_mailbox_as_json_newest_last(app):
    # Given emails to two addresses
    send(app, TO, subject="one", custom_args={"session_id": "s-1"})
    send(app, OTHER_TO, subject="two")
    send(app, TO, subject="three")

    # When /dev/email is asked for one of them
    mine = app.get(f"/dev/email?to={TO}").json
    everything = app.get("/dev/email").json

    # Then that mailbox comes back newest last, with the fields tests rely on
    assert mine is not None
    assert everything is not None
    assert [e["subject"] for e in mine] == ["one", "three"]
    assert [e["subject"] for e in everything] == ["one", "two", "three"]
    keys = {"to", "from", "subject", "text", "html", "message_id", "custom_args"}
    assert keys <= set(mine[0])
    assert mine[0]["custom_args"] == {"session_id": "s-1"}


def test_dev_inbox_escapes_everything_and_links_urls(app):
    # Given an email whose subject, sender name and text carry markup and a link
    send(
        app,
        TO,
        subject="<b>New time</b>",
        content=[
            {"type": "text/plain", "value": "<script>x()</script> https://x.test/r/a?b=1&c=2."},
            {"type": "text/html", "value": '<p onclick="x()">Hi "you"</p><script>x()</script>'},
        ],
        **{"from": {"email": FROM, "name": "A & B <Plumbing>"}},
    )

    # When the inbox page is rendered
    response = app.get("/dev/inbox")
    page = response.get_data(as_text=True)

    # Then no markup from the email is live on the page, and the link is clickable
    assert response.content_type.startswith("text/html")
    assert "<script>x()" not in page
    assert "&lt;b&gt;New time&lt;/b&gt;" in page
    assert "A &amp; B &lt;Plumbing&gt; &lt;dispatch@northside.example&gt;" in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert '<a href="https://x.test/r/a?b=1&amp;c=2" target="_blank"' in page
    # And the HTML part lives only in a sandboxed iframe's escaped srcdoc, scripts off
    assert '<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert "allow-scripts" not in page
    assert 'srcdoc="&lt;base target=&quot;_blank&quot;&gt;&lt;p onclick=&quot;x()&quot;&gt;' in page
    # And the page forbids scripts and remote loads for itself and the frame
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert f'data-address="{TO}"' in page


def test_dev_inbox_filters_to_one_mailbox_and_has_an_empty_state(app):
    # Given emails to two addresses
    send(app, TO, subject="for casey")
    send(app, OTHER_TO, subject="for robin")

    # When the page is asked for one mailbox, and for an address with no mail
    robin = app.get(f"/dev/inbox?to={OTHER_TO}").get_data(as_text=True)
    nobody = app.get("/dev/inbox?to=nobody@x.example").get_data(as_text=True)

    # Then only that mailbox is shown, and the empty one says so
    assert f'data-address="{OTHER_TO}"' in robin
    assert "for casey" not in robin
    assert 'href="/dev/inbox">All mailboxes' in robin
    assert "No emails yet for nobody@x.example." in nobody
    assert 'class="mailbox"' not in nobody


def test_dev_inbox_shows_the_latest_mailbox_first_and_newest_email_first(app):
    # Given casey's two emails, then one to robin
    send(app, TO, subject="older")
    send(app, TO, subject="newer")
    send(app, OTHER_TO, subject="latest")

    # When the page is rendered
    page = app.get("/dev/inbox").get_data(as_text=True)

    # Then robin's mailbox comes first, and casey's newest email before the older one
    assert page.index(OTHER_TO) < page.index(TO)
    assert page.index("newer") < page.index("older")


# -- Mounting -----------------------------------------------------------------------------------


def test_handles_its_api_and_dev_paths_only():
    # Given a sandbox mounted at another prefix
    sandbox = SendGridSandbox(API_KEY, prefix="/fake-sendgrid/", dev_prefix="/devtools")

    # When a gateway asks / Then it claims its own paths and nothing else
    assert sandbox.handles("/fake-sendgrid/v3/mail/send")
    assert sandbox.handles("/devtools/email")
    assert sandbox.handles("/devtools/inbox")
    assert not sandbox.handles("/sendgrid/v3/mail/send")
    assert not sandbox.handles("/dev/inbox")
    assert not sandbox.handles("/fake-sendgridx/v3/mail/send")


def test_works_behind_dispatcher_middleware(sandbox, mounted_app):
    # Given a gateway that mounts the sandbox with SCRIPT_NAME=/sendgrid (mounted_app)
    # When an email is posted through the mount
    response = mounted_app.post(
        "/sendgrid/v3/mail/send", json=mail(), headers={"Authorization": f"Bearer {API_KEY}"}
    )

    # Then the sandbox sees the full path and accepts it
    assert response.status_code == 202
    assert sandbox.messages()[0]["message_id"] == response.headers["X-Message-Id"]


def test_attachments_must_be_base64_with_a_filename_and_show_in_the_inbox():
    app = Client(SendGridSandbox(API_KEY))
    auth = {"Authorization": f"Bearer {API_KEY}"}
    bad = mail(attachments=[{"content": "not base64!", "filename": "x.ics"}, {"content": ""}])
    response = app.post("/sendgrid/v3/mail/send", json=bad, headers=auth)
    assert response.status_code == 400
    fields = [e["field"] for e in response.get_json()["errors"]]
    assert fields == ["attachments.0.content", "attachments.1.filename"]

    send(app, attachments=[{"content": "PGI+aGk8L2I+", "filename": "invite.ics",
                            "type": "text/calendar"}])  # fmt: skip
    page = app.get("/dev/inbox").get_data(as_text=True)
    assert "Attachment: invite.ics (text/calendar)" in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page  # shown as text, escaped
