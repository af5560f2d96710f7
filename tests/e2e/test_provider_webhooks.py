"""Providers tell us about changes on their own: the business moves or cancels an appointment
in Google Calendar, Outlook or ServiceTitan (each a local fake that pushes, as the real one
does, through the channels the stack opened at start or the webhook registered for it), and
the open link for it ends at once, before the customer confirms anything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.client import BAYSIDE, PHONE, TIMEOUT, Console, report_provider_event
from tests.e2e.conftest import wait_for
from tests.e2e.test_providers import CHANGED_ELSEWHERE, DISPATCHERS, link_opened


@pytest.mark.parametrize("kind", list(DISPATCHERS))
def test_an_appointment_moved_in_the_provider_ends_its_open_link(stack_url, kind):
    # Given a link sent and opened by the customer
    console, api, appointment, session, _ = link_opened(stack_url, kind)  # it had openings
    technician_id = appointment["technician"]["id"]
    before = api.read(appointment["id"], technician_id)

    # When the business moves the appointment an hour later in its own tool
    later = before.start + timedelta(hours=1)
    api.move(appointment["id"], technician_id, later, before.end + timedelta(hours=1))

    # Then the provider's notification ends the link, with the reason, by the provider
    detail = console.wait_status(session["id"], "failed")
    assert detail["failure_reason"] == CHANGED_ELSEWHERE
    # (a delivery report of the text may land before or after it, as Twilio's do)
    ended = [e["actor"] for e in detail["timeline"] if e["type"] == "changed_elsewhere"]
    assert ended == ["provider"]

    # And the customer's page says so, with the appointment's new time
    page = PHONE.get(session["link"], timeout=TIMEOUT)
    assert CHANGED_ELSEWHERE in page.text
    assert "Confirm" not in page.text
    # And the time the business chose stands
    assert api.read(appointment["id"], technician_id).start == later


def test_a_business_that_sends_automatically_gets_the_link_out_on_a_no_show(stack_url):
    # Given Bayside sends links for the provider's reasons to reschedule itself
    console = Console.sign_in(stack_url, BAYSIDE)
    settings = console.get("/api/settings").json()
    saved = console.put("/api/settings", json={**settings, "provider_triggers": "send"})
    assert saved.status_code == 200, saved.text
    try:
        customer, appointment = next(
            (c, a) for c, a in console.movable_appointments() if a["session"] is None
        )
        # When the provider reports a no-show for one of its appointments
        report_provider_event(stack_url, "bayside-hvac", appointment["id"], "no_show")

        # Then the send-link function (invoked asynchronously) texts the customer a link,
        # marked as automatic, and nothing waits in Suggested
        def sent() -> dict | None:
            for _, a in console.movable_appointments(customer["name"]):
                if a["id"] == appointment["id"] and a["session"]:
                    return dict(a["session"])
            return None

        chip = wait_for(sent)
        session = console.session(chip["id"])
        assert session["dispatcher"] == "Automatic: Technician reported a no-show"
        assert session["status"] in ("link_sent", "viewed", "scheduled")
        listed = console.get("/api/suggestions").json()["suggestions"]
        assert appointment["id"] not in [s["appointment_id"] for s in listed]
        console.post(f"/api/sessions/{chip['id']}/cancel")
    finally:
        assert console.put("/api/settings", json=settings).status_code == 200
