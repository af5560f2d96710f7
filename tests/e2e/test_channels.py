"""The email channel and staff notifications, end to end on the local stack (SendGrid and
Slack sandboxes behind the real adapters)."""

from __future__ import annotations

import requests

from tests.e2e.client import NORTHSIDE, PHONE, TIMEOUT, Console, slots
from tests.e2e.conftest import wait_for

STAFF_CHANNEL = "#northside-plumbing-dispatch"  # the demo data's Slack channel


def _emails(url: str, to: str) -> list[dict]:
    response = requests.get(f"{url}/dev/email", params={"to": to}, timeout=TIMEOUT)
    response.raise_for_status()
    return list(response.json())


def _staff_posts(url: str) -> list[dict]:
    response = requests.get(f"{url}/dev/slack", params={"channel": STAFF_CHANNEL}, timeout=TIMEOUT)
    response.raise_for_status()
    return list(response.json())


def test_a_link_emailed_and_texted_is_used_and_staff_hear_of_it(stack_url):
    url = stack_url
    console = Console.sign_in(url, NORTHSIDE)
    pairs = [(c, a) for c, a in console.movable_appointments() if c.get("email")]
    assert pairs, "the demo customers have email addresses"
    posts_before = len(_staff_posts(url))

    # When the dispatcher sends the link by text and email
    for candidate, appointment in pairs:
        customer = candidate
        response = console.post(
            "/api/sessions",
            json={"appointment_id": appointment["id"], "channels": ["sms", "email"]},
        )
        if response.status_code != 409:  # another test's session is on this one
            break
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["channels"] == ["sms", "email"]
    assert created["problems"] == []

    # Then the email is in the customer's mailbox with the same link
    [email] = [e for e in _emails(url, customer["email"]) if created["link"] in (e["text"] or "")]
    assert email["from"] == "schedule@northside-plumbing.example"
    assert created["link"] in email["html"]

    # And when the customer confirms from it, staff are told in Slack
    page = PHONE.get(created["link"], timeout=TIMEOUT)
    confirmed = PHONE.post(
        f"{created['link']}/confirm",
        data={"slot": slots(page.text)[0]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert confirmed.status_code == 303
    console.wait_status(created["id"], "completed")
    posts = wait_for(lambda: _staff_posts(url)[posts_before:] or None)
    assert any(customer["name"] in p["text"] and "completed" in p["text"] for p in posts)
    detail = console.session(created["id"])
    assert [e["type"] for e in detail["timeline"]].count("staff_notified") == 1
