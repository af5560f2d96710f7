"""Replies and keywords, as a phone sends them: the sandbox posts signed webhooks like Twilio."""

from __future__ import annotations

import requests

from tests.e2e.client import NORTHSIDE, TIMEOUT, Console, inbox
from tests.e2e.conftest import wait_for

BUSINESS_PHONE = "+13125550100"


def _text(url: str, phone: str, body: str) -> dict:
    response = requests.post(
        f"{url}/dev/phone/reply",
        json={"from": phone, "to": BUSINESS_PHONE, "body": body},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_stop_opts_out_start_opts_back_in(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, appointment, session = console.send_any()
    # When the customer replies " stop " (any case, trimmed)
    answer = _text(stack_url, customer["phone"], "  Stop ")
    assert answer["status"] == 200
    assert answer["replies"] == []  # Twilio itself confirms opt-outs
    assert "opted_out" in [e["type"] for e in console.session(session["id"])["timeline"]]
    # Then no message goes to that number: a clear 409 for the dispatcher
    console.post(f"/api/sessions/{session['id']}/cancel")
    refused = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert refused.status_code == 409
    assert "opted out" in refused.json()["message"]
    # And START opts back in, with a confirmation to the phone
    answer = _text(stack_url, customer["phone"], "START")
    assert "subscribed again" in answer["replies"][0]
    assert any("subscribed again" in m["body"] for m in inbox(stack_url, customer["phone"]))
    again = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert again.status_code == 201, again.text


def test_every_opt_out_keyword_counts(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, _, session = console.send_any()
    for keyword in ("STOPALL", "unsubscribe", "Cancel", "END", "quit", "REVOKE", "optout"):
        _text(stack_url, customer["phone"], keyword)
        resend = console.post(f"/api/sessions/{session['id']}/resend")
        assert resend.status_code == 409, keyword
        assert "opted out" in resend.json()["message"].lower(), keyword
        # UNSTOP opts back in, so the next keyword's 409 is its own
        _text(stack_url, customer["phone"], "unstop")
    # (one resend at the end: a link is resent at most three times)
    assert console.post(f"/api/sessions/{session['id']}/resend").status_code == 200


def test_help_answers_with_the_business_name_and_phone(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, _, _ = console.send_any()
    for keyword in ("HELP", "info"):
        [reply] = _text(stack_url, customer["phone"], keyword)["replies"]
        assert "Northside Plumbing" in reply
        assert BUSINESS_PHONE in reply


def test_any_other_reply_lands_on_the_timeline(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, _, session = console.send_any()
    assert _text(stack_url, customer["phone"], "Can you come after 3pm?")["replies"] == []

    def replied():
        detail = console.session(session["id"])
        return detail if "customer_replied" in [e["type"] for e in detail["timeline"]] else None

    detail = wait_for(replied)
    [reply] = [e for e in detail["timeline"] if e["type"] == "customer_replied"]
    assert reply["detail"] == "Customer replied: Can you come after 3pm?"
    assert reply["actor"] == "customer"


def test_unsigned_or_forged_inbound_texts_are_refused_and_change_nothing(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, _, session = console.send_any()
    form = {"From": customer["phone"], "To": BUSINESS_PHONE, "Body": "STOP", "MessageSid": "SMx"}
    for headers in ({}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}):
        forged = requests.post(
            f"{stack_url}/webhooks/twilio/inbound", data=form, headers=headers, timeout=TIMEOUT
        )
        assert forged.status_code == 403
    assert "opted_out" not in [e["type"] for e in console.session(session["id"])["timeline"]]
    assert console.post(f"/api/sessions/{session['id']}/resend").status_code == 200
