"""Connecting Google Calendar from Settings on the local stack: the admin starts, follows
the consent URL to the Google fake's consent page, allows, and the callback connects the
business; deny, a wrong or replayed state and an expired code are each answered clearly
with nothing written."""

from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import requests

from tests.e2e.client import Console
from tests.e2e.conftest import advance


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def _new_admin(stack_url: str) -> Console:
    suffix = secrets.token_hex(3)
    email = f"ana-{suffix}@connect.example"
    started = requests.post(
        f"{stack_url}/api/signup",
        json={
            "name": "Connect Plumbing",
            "phone": "+1312555" + str(secrets.randbelow(9000) + 1000),
            "time_zone": "America/Chicago",
            "admin_email": email,
        },
        timeout=10,
    )
    assert started.status_code == 201, started.text
    return Console.sign_in(stack_url, email)


def _consent(admin: Console, decision: str) -> str:
    """Start, open the consent page, answer it; the URL the browser is sent back to."""
    started = admin.post("/api/connections/google_calendar/start")
    assert started.status_code == 200, started.text
    page = requests.get(started.json()["authorization_url"], timeout=10)
    assert page.status_code == 200
    assert "wants to access your Google Account" in page.text
    form = _Form()
    form.feed(page.text)
    answer = requests.post(
        page.url, data={**form.fields, "decision": decision}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _callback(url: str) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=20)


def _reason(response: requests.Response) -> str:
    found = re.search(r'data-reason="([a-z_]+)"', response.text)
    assert found, response.text
    return found.group(1)


def test_an_admin_connects_google_calendar_through_its_consent_page(stack_url):
    admin = _new_admin(stack_url)
    assert admin.get("/api/provider").json()["kind"] == "demo"

    back = _consent(admin, "allow")
    query = parse_qs(urlsplit(back).query)
    assert query["code"]
    assert query["state"]
    done = _callback(back)

    assert done.status_code == 303, done.text
    assert "#/settings?connection=connected" in done.headers["Location"]
    status = admin.get("/api/provider").json()
    assert status["kind"] == "google_calendar"
    assert status["state"] == "connected", status
    assert status["account"] == "owner@calendar.example"

    # The same callback again (a replayed state): refused, nothing changes
    replay = _callback(back)
    assert replay.status_code == 403
    assert _reason(replay) == "used_state"
    assert admin.get("/api/provider").json()["state"] == "connected"

    # The admin disconnects, and the business says so
    assert admin.delete("/api/connections").status_code == 200
    gone = admin.get("/api/provider").json()
    assert (gone["kind"], gone["state"]) == ("google_calendar", "unauthorized")
    assert "connects it again" in gone["detail"]


def test_refusals_are_clear_and_write_nothing(stack_url):
    admin = _new_admin(stack_url)

    denied = _callback(_consent(admin, "deny"))
    assert denied.status_code == 403
    assert _reason(denied) == "denied"
    assert "not granted" in denied.text

    wrong = _callback(f"{stack_url}/api/connections/callback?code=4/x&state=forged")
    assert wrong.status_code == 403
    assert _reason(wrong) == "unknown_state"

    assert admin.get("/api/provider").json()["kind"] == "demo"


def test_an_expired_code_is_refused(stack_url):
    admin = _new_admin(stack_url)
    back = _consent(admin, "allow")
    advance(stack_url, "PT6M")  # the fake's codes last 5 minutes; the state 10

    expired = _callback(back)

    assert expired.status_code == 403
    assert _reason(expired) == "code_refused"
    assert "start again" in expired.text.lower()
    assert admin.get("/api/provider").json()["kind"] == "demo"
