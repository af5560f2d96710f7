"""Providers tell us about changes on their own: the business moves or cancels an appointment
in Google Calendar, Outlook or ServiceTitan (each a local fake that pushes, as the real one
does, through the channels the stack opened at start or the webhook registered for it), and
the open link for it ends at once, before the customer confirms anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from tests.e2e.client import TIMEOUT
from tests.e2e.test_providers import CHANGED_ELSEWHERE, DISPATCHERS, link_opened


@pytest.mark.parametrize("kind", list(DISPATCHERS))
def test_an_appointment_moved_in_the_provider_ends_its_open_link(stack_url, kind):
    # Given a link sent and opened by the customer
    console, api, appointment, session, offered = link_opened(stack_url, kind)
    technician_id = appointment["technician"]["id"]
    before = api.read(appointment["id"], technician_id)

    # When the business moves the appointment an hour later in its own tool
    later = before.start + timedelta(hours=1)
    api.move(appointment["id"], technician_id, later, before.end + timedelta(hours=1))

    # Then the provider's notification ends the link, with the reason, by the provider
    detail = console.wait_status(session["id"], "failed")
    assert detail["failure_reason"] == CHANGED_ELSEWHERE
    last = detail["timeline"][-1]
    assert (last["type"], last["actor"]) == ("changed_elsewhere", "provider")

    # And the customer's page says so, with the appointment's new time
    page = requests.get(session["link"], timeout=TIMEOUT)
    assert CHANGED_ELSEWHERE in page.text
    assert "Confirm" not in page.text
    # And the time the business chose stands
    assert api.read(appointment["id"], technician_id).start == later
    assert offered  # the customer had openings to pick from before
