"""One reschedule, end to end over HTTP against the local stack, as a new user would try it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import requests

from tests.e2e.conftest import token_for, wait_for

NORTHSIDE = "dana@northside.example"
BAYSIDE = "maria@bayside.example"


def _api(url: str, token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _an_appointment_to_move(api: requests.Session, url: str, query: str) -> tuple[dict, dict]:
    """A customer matching `query` with an appointment at least two days away."""
    customers = api.get(f"{url}/api/customers", params={"q": query}, timeout=10).json()
    soon = datetime.now().astimezone() + timedelta(days=2)
    for customer in customers:
        for appointment in customer["appointments"]:
            if datetime.fromisoformat(appointment["start"]) > soon:
                return customer, appointment
    raise AssertionError(f"no customer matching {query!r} has an appointment to move")


def _slots(html: str) -> list[str]:
    return re.findall(r"name='slot' value='([^']+)'", html)


def test_a_dispatcher_sends_a_link_and_the_customer_reschedules(stack_url):
    url = stack_url
    api = _api(url, token_for(url, NORTHSIDE))

    # 1. Given a dispatcher who finds a customer and an upcoming appointment
    customer, appointment = _an_appointment_to_move(api, url, "ar")
    assert appointment["technician"]["name"]

    # When they send the link
    created = api.post(
        f"{url}/api/sessions", json={"appointment_id": appointment["id"]}, timeout=10
    )
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["status"] == "link_sent"
    assert session["link"].startswith(f"{url}/r/")
    assert datetime.fromisoformat(session["expires_at"]) > datetime.now().astimezone()

    # 2. Then the SMS lands in the customer's inbox, with the link, and is delivered
    def delivered_sms():
        inbox = requests.get(f"{url}/dev/sms", params={"to": customer["phone"]}, timeout=5).json()
        mine = [m for m in inbox if session["link"] in m["body"]]
        return mine if mine and mine[-1]["status"] == "delivered" else None

    sms = wait_for(delivered_sms)[-1]
    assert sms["to"] == customer["phone"]
    assert sms["from"] == "+13125550100"
    assert sms["body"].endswith(session["link"])

    # And the customer's page shows the appointment, the technician and openings
    page = requests.get(session["link"], timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert appointment["service"] in page.text
    assert appointment["technician"]["name"] in page.text
    slots = _slots(page.text)
    assert slots

    # 3. When the customer confirms the first opening
    confirmed = requests.post(
        f"{session['link']}/confirm", data={"slot": slots[0]}, allow_redirects=False, timeout=10
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == session["link"]

    # Then the page ends on the confirmation
    wait_for(lambda: "all set" in requests.get(session["link"], timeout=5).text)

    # 4. And the dispatcher sees the session completed with its timeline
    detail = wait_for(
        lambda: (
            d
            if (d := api.get(f"{url}/api/sessions/{session['id']}", timeout=5).json())["status"]
            == "completed"
            else None
        )
    )
    types = [event["type"] for event in detail["timeline"]]
    for expected in ("sent", "delivered", "completed"):
        assert expected in types
    assert types.index("sent") < types.index("completed")

    # And the appointment is at its new time in the provider
    found = api.get(f"{url}/api/customers", params={"q": customer["name"]}, timeout=10).json()
    same = next(c for c in found if c["id"] == customer["id"])
    moved = next(a for a in same["appointments"] if a["id"] == appointment["id"])
    assert moved["start"] != appointment["start"]
    assert datetime.fromisoformat(moved["start"]) == datetime.fromisoformat(detail["new_start"])

    # And the used link cannot book twice
    again = requests.post(f"{session['link']}/confirm", data={"slot": slots[-1]}, timeout=10)
    assert again.status_code == 409


def test_bad_links_get_clear_pages_and_change_nothing(stack_url):
    url = stack_url
    unknown = requests.get(f"{url}/r/{'A' * 43}", timeout=5)
    assert unknown.status_code == 404
    assert "Link not found" in unknown.text
    assert "Traceback" not in unknown.text

    malformed = requests.get(f"{url}/r/not-a-token", timeout=5)
    assert malformed.status_code == 404

    posted = requests.post(f"{url}/r/{'A' * 43}/confirm", data={"slot": "x"}, timeout=5)
    assert posted.status_code == 404


def test_a_slot_that_is_not_offered_is_refused_and_the_session_stays_open(stack_url):
    url = stack_url
    api = _api(url, token_for(url, NORTHSIDE))
    _, appointment = _an_appointment_to_move(api, url, "er")
    created = api.post(
        f"{url}/api/sessions", json={"appointment_id": appointment["id"]}, timeout=10
    )
    assert created.status_code == 201, created.text
    session = created.json()

    refused = requests.post(
        f"{session['link']}/confirm", data={"slot": "20990101T000000Z.nobody"}, timeout=10
    )
    assert refused.status_code == 422
    assert "no longer available" in refused.text
    assert _slots(refused.text)  # the page offers the real openings again

    empty = requests.post(f"{session['link']}/confirm", data={}, timeout=10)
    assert empty.status_code == 422

    detail = api.get(f"{url}/api/sessions/{session['id']}", timeout=5).json()
    assert detail["status"] == "link_sent"
    assert "confirming" not in [e["type"] for e in detail["timeline"]]


def test_the_dispatcher_api_answers_bad_requests_clearly(stack_url):
    url = stack_url
    api = _api(url, token_for(url, NORTHSIDE))

    assert requests.get(f"{url}/api/customers", params={"q": "ol"}, timeout=5).status_code == 401
    bad_token = requests.get(
        f"{url}/api/customers",
        params={"q": "ol"},
        headers={"Authorization": "Bearer x.y.z"},
        timeout=5,
    )
    assert bad_token.status_code == 401

    malformed = api.post(
        f"{url}/api/sessions",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert malformed.status_code == 400
    assert malformed.json()["message"] == "The request body is not valid JSON."

    missing = api.post(f"{url}/api/sessions", json={}, timeout=5)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "appointment_id"]
    extra = api.post(f"{url}/api/sessions", json={"appointment_id": "x", "admin": True}, timeout=5)
    assert extra.status_code == 422

    unknown = api.post(f"{url}/api/sessions", json={"appointment_id": "nope"}, timeout=5)
    assert unknown.status_code == 404
    assert unknown.json()["message"]

    short = api.get(f"{url}/api/customers", params={"q": "5"}, timeout=5)
    assert short.status_code == 422


def test_a_dispatcher_never_sees_another_business(stack_url):
    url = stack_url
    northside = _api(url, token_for(url, NORTHSIDE))
    bayside = _api(url, token_for(url, BAYSIDE))
    _, appointment = _an_appointment_to_move(northside, url, "on")
    session = northside.post(
        f"{url}/api/sessions", json={"appointment_id": appointment["id"]}, timeout=10
    ).json()

    # Another business's session and appointment answer exactly like missing ones
    assert bayside.get(f"{url}/api/sessions/{session['id']}", timeout=5).status_code == 404
    stolen = bayside.post(
        f"{url}/api/sessions", json={"appointment_id": appointment["id"]}, timeout=5
    )
    assert stolen.status_code == 404
    # And searching finds only the caller's customers
    phones = [
        c["phone"]
        for c in bayside.get(f"{url}/api/customers", params={"q": "312"}, timeout=5).json()
    ]
    assert all(not p.startswith("+1312") for p in phones)


def test_health_and_dev_helpers(stack_url):
    assert requests.get(f"{stack_url}/health", timeout=5).json() == {"status": "ok"}
    assert (
        requests.get(
            f"{stack_url}/dev/token", params={"dispatcher": "x@y.z"}, timeout=5
        ).status_code
        == 404
    )
    phone = requests.get(f"{stack_url}/dev/phone", timeout=5)
    assert phone.status_code == 200
    assert "text/html" in phone.headers["Content-Type"]
