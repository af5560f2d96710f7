"""One reschedule, end to end over HTTP against the local stack, as a new user would try it."""

from __future__ import annotations

from datetime import datetime

import requests

from tests.e2e.client import NORTHSIDE, PHONE, TIMEOUT, Console, inbox, slots
from tests.e2e.conftest import wait_for


def test_a_dispatcher_sends_a_link_and_the_customer_reschedules(stack_url):
    url = stack_url
    console = Console.sign_in(url, NORTHSIDE)

    # 1. Given a dispatcher who finds a customer's upcoming appointment and sends a link
    customer, appointment, session = console.send_any()
    assert appointment["technician"]["name"]
    assert session["status"] == "link_sent"
    assert session["link"].startswith(f"{url}/r/")
    assert datetime.fromisoformat(session["expires_at"]) > console.now()

    # 2. Then the SMS lands in the customer's inbox, with the link, and is delivered
    def delivered_sms():
        mine = [m for m in inbox(url, customer["phone"]) if session["link"] in m["body"]]
        return mine if mine and mine[-1]["status"] == "delivered" else None

    sms = wait_for(delivered_sms)[-1]
    assert sms["to"] == customer["phone"]
    assert sms["from"] == "+13125550100"
    assert sms["body"].endswith(session["link"])

    # And the customer's page shows the appointment, the technician and openings
    page = PHONE.get(session["link"], timeout=TIMEOUT)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert appointment["service"] in page.text
    assert appointment["technician"]["name"] in page.text
    offered = slots(page.text)
    assert offered

    # 3. When the customer confirms the first opening
    texts_before = len(inbox(url, customer["phone"]))
    confirmed = PHONE.post(
        f"{session['link']}/confirm",
        data={"slot": offered[0]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == session["link"]

    # Then the workflow completes the session (the dispatcher sees it, step 4 below)
    detail = console.wait_status(session["id"], "completed")
    # And the page ends on the confirmation, and this confirm texted the customer once more
    assert "all set" in PHONE.get(session["link"], timeout=TIMEOUT).text
    after = wait_for(lambda: inbox(url, customer["phone"])[texts_before:] or None)
    assert any("is now" in m["body"] for m in after)

    # 4. And the dispatcher sees the session completed with its timeline
    types = [event["type"] for event in detail["timeline"]]
    for expected in ("sent", "delivered", "completed"):
        assert expected in types
    assert types.index("sent") < types.index("completed")

    # And the appointment is at its new time in the provider
    same = next(c for c in console.customers(customer["name"]) if c["id"] == customer["id"])
    moved = next(a for a in same["appointments"] if a["id"] == appointment["id"])
    assert moved["start"] != appointment["start"]
    assert datetime.fromisoformat(moved["start"]) == datetime.fromisoformat(detail["new_start"])

    # And the used link cannot book twice
    again = PHONE.post(f"{session['link']}/confirm", data={"slot": offered[-1]}, timeout=TIMEOUT)
    assert again.status_code == 409


def test_bad_links_get_clear_pages_and_change_nothing(stack_url):
    unknown = PHONE.get(f"{stack_url}/r/{'A' * 43}", timeout=TIMEOUT)
    assert unknown.status_code == 404
    assert "Link not found" in unknown.text
    assert "Traceback" not in unknown.text

    assert PHONE.get(f"{stack_url}/r/not-a-token", timeout=TIMEOUT).status_code == 404
    posted = PHONE.post(f"{stack_url}/r/{'A' * 43}/confirm", data={"slot": "x"}, timeout=TIMEOUT)
    assert posted.status_code == 404


def test_a_slot_that_is_not_offered_is_refused_and_the_session_stays_open(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    _, _, session = console.send_any()

    refused = PHONE.post(
        f"{session['link']}/confirm", data={"slot": "20990101T000000Z.nobody"}, timeout=TIMEOUT
    )
    assert refused.status_code == 422
    assert "no longer available" in refused.text
    assert slots(refused.text)  # the page offers the real openings again

    empty = PHONE.post(f"{session['link']}/confirm", data={}, timeout=TIMEOUT)
    assert empty.status_code == 422

    detail = console.session(session["id"])
    assert detail["status"] == "link_sent"
    assert "confirming" not in [e["type"] for e in detail["timeline"]]


def test_the_dispatcher_api_answers_bad_requests_clearly(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customers = f"{stack_url}/api/customers"

    assert requests.get(customers, params={"q": "ol"}, timeout=TIMEOUT).status_code == 401
    forged = {"Authorization": "Bearer x.y.z"}
    assert (
        requests.get(customers, params={"q": "ol"}, headers=forged, timeout=TIMEOUT).status_code
        == 401
    )

    malformed = requests.post(
        f"{stack_url}/api/sessions",
        data="{not json",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {console.token}"},
        timeout=TIMEOUT,
    )
    assert malformed.status_code == 400
    assert malformed.json()["message"] == "The request body is not valid JSON."

    missing = console.post("/api/sessions", json={})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "appointment_id"]
    assert (
        console.post("/api/sessions", json={"appointment_id": "x", "admin": True}).status_code
        == 422
    )

    unknown = console.post("/api/sessions", json={"appointment_id": "nope"})
    assert unknown.status_code == 404
    assert unknown.json()["message"]

    assert console.get("/api/customers", params={"q": "5"}).status_code == 422


def test_health_and_dev_helpers(stack_url):
    assert PHONE.get(f"{stack_url}/health", timeout=TIMEOUT).json() == {"status": "ok"}
    unknown = requests.get(
        f"{stack_url}/dev/token", params={"dispatcher": "x@y.z"}, timeout=TIMEOUT
    )
    assert unknown.status_code == 404
    phone = requests.get(f"{stack_url}/dev/phone", timeout=TIMEOUT)
    assert phone.status_code == 200
    assert "text/html" in phone.headers["Content-Type"]
