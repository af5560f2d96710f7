"""A dispatcher moves an appointment from the schedule view while the customer is on the phone;
the customer's inbox (the SendGrid sandbox) gets the invitation in Spanish with the .ics."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import Page, expect

from tests.browser.conftest import NewContext, movable_appointment, open_tab, screenshot
from tests.browser.test_accessibility import audit
from tests.e2e.client import Console

# The move runs the confirm workflow (moto's Step Functions); the drawer follows it.
WORKFLOW_TIMEOUT_MS = 45_000


def test_a_dispatcher_moves_an_appointment_from_the_schedule_and_the_customer_is_invited(
    dispatcher: Page, new_context: NewContext, api: Console, stack_url: str
):
    page = dispatcher
    customer, appointment = movable_appointment(api)
    day = datetime.fromisoformat(appointment["start"]).date().isoformat()
    technician = appointment["technician"]

    # Given the schedule, on the appointment's day, for its technician
    open_tab(page, "Schedule")
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Technician").select_option(technician["id"])
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name=technician["name"])).to_be_visible()
    slot = page.locator(f'[data-appointment-id="{appointment["id"]}"]')
    expect(slot).to_contain_text(customer["name"])
    # A week at a time, and back to the day
    page.get_by_role("radio", name="Week").check()
    expect(page.get_by_role("button", name="Next week")).to_be_visible()
    expect(table.get_by_role("columnheader")).to_have_count(8)  # technician + 7 days
    page.get_by_role("radio", name="Day").check()
    expect(table.get_by_role("columnheader")).to_have_count(2)
    problems = audit(page, "schedule")
    screenshot(page, "console-schedule")

    # When they open the appointment
    slot.click()
    drawer = page.get_by_role("dialog", name="Appointment")
    expect(drawer).to_contain_text(customer["name"])
    expect(drawer).to_contain_text(technician["name"])
    openings = drawer.get_by_role("radio", name=re.compile("drive"))
    expect(openings.first).to_be_visible()
    move = drawer.get_by_role("button", name="Move", exact=True)
    expect(move).to_be_disabled()

    # Then a time outside working hours names the rule, and needs the override
    drawer.get_by_role("radio", name="Another time or technician").check()
    drawer.get_by_label("Start").fill("21:00")
    expect(drawer.locator("#move-rules")).to_contain_text("outside working hours")
    override = drawer.get_by_role("checkbox", name=re.compile("Move it anyway"))
    expect(override).to_be_visible()
    expect(move).to_be_disabled()
    override.check()
    expect(move).to_be_enabled()
    problems += audit(page, "move drawer, rules broken")

    # But they pick the first opening (the rules allow it), by text and email, in Spanish
    openings.first.check()
    expect(override).to_be_hidden()
    expect(drawer.get_by_role("checkbox", name=re.compile("^Text"))).to_be_checked()
    email = drawer.get_by_role("checkbox", name=re.compile("^Email"))
    expect(email).to_be_checked()  # the customer has an address on file
    drawer.get_by_role("radio", name="Español").check()
    screenshot(page, "console-move")
    move.click()

    # Then the drawer follows the move until the invitation is out
    status = drawer.locator("[data-move-status]")
    expect(status).to_have_attribute("data-move-status", "completed", timeout=WORKFLOW_TIMEOUT_MS)
    expect(drawer).to_contain_text("Invitation emailed", timeout=WORKFLOW_TIMEOUT_MS)
    expect(drawer).to_contain_text("Invitation texted")
    problems += audit(page, "move drawer, completed")
    screenshot(page, "console-move-done")

    # And the customer's inbox shows the invitation in Spanish, with the .ics attached
    inbox = new_context().new_page()
    inbox.goto(f"{stack_url}/dev/inbox?to={customer['email']}")
    invitation = inbox.locator("article.email", has_text="ahora es el").first
    expect(invitation).to_contain_text(f"Su {appointment['service']} con Northside Plumbing")
    expect(invitation).to_contain_text(technician["name"])
    expect(invitation).to_contain_text("Attachment: invite.ics (text/calendar)")
    invitation.get_by_text("Attachment: invite.ics").click()
    expect(invitation.locator("pre")).to_contain_text("BEGIN:VEVENT")
    expect(invitation.locator("pre")).to_contain_text("DTSTART:")
    screenshot(inbox, "sandbox-invitation-es")

    # And the appointment's timeline records the move
    moved = api.get(f"/api/appointments/{appointment['id']}/timeline").json()
    assert [(s["kind"], s["status"]) for s in moved["sessions"]] == [
        ("dispatcher_move", "completed")
    ]
    assert not problems, "\n".join(problems)
