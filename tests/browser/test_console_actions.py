"""The console's other actions in a browser: cancel, errors from the API, settings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import (
    NewContext,
    movable_appointment,
    open_tab,
    screenshot,
    sign_in,
)
from tests.e2e.client import Console


def test_cancel_asks_first_then_revokes_the_link(dispatcher: Page, api: Console):
    page = dispatcher
    # Given a session in progress
    customer, appointment = movable_appointment(api)
    sent = api.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert sent.status_code == 201, sent.text
    session_id = sent.json()["id"]

    # When the dispatcher opens it from In progress
    open_tab(page, "In progress")
    row = page.locator(f'tr[data-session-id="{session_id}"]')
    row.get_by_role("button", name=customer["name"]).click()
    drawer = page.get_by_role("dialog", name=customer["name"])
    expect(drawer.locator(".banner")).to_contain_text("Link sent")

    # And asks to cancel, then keeps the link after all
    drawer.get_by_role("button", name="Cancel link").click()
    question = page.get_by_role("alertdialog", name="Cancel this link?")
    expect(question).to_contain_text(customer["name"])
    # The safe answer has focus first
    expect(question.get_by_role("button", name="Keep link")).to_be_focused()
    screenshot(page, "console-cancel-confirm")
    question.get_by_role("button", name="Keep link").click()
    expect(question).to_be_hidden()
    assert api.session(session_id)["status"] == "link_sent"

    # When they cancel and confirm
    drawer.get_by_role("button", name="Cancel link").click()
    question.get_by_role("button", name="Cancel link").click()

    # Then the link is revoked: the banner, the API and the lists agree
    expect(drawer.locator(".banner")).to_contain_text("Canceled")
    expect(drawer.get_by_role("button", name="Resend")).to_be_hidden()
    expect(drawer.locator(".timeline")).to_contain_text("Canceled")
    assert api.session(session_id)["status"] == "canceled"
    drawer.get_by_role("button", name="Close").click()
    expect(row).to_be_hidden()  # gone from In progress without a reload
    open_tab(page, "History")
    expect(page.locator(f'tr[data-session-id="{session_id}"]')).to_contain_text("Canceled")


def test_a_send_the_api_refuses_shows_its_message_and_the_way_on(dispatcher: Page, api: Console):
    page = dispatcher
    customer, appointment = movable_appointment(api)
    page.get_by_role("searchbox", name="Search customers by name or phone").fill(customer["name"])
    row = page.locator(f'[data-appointment-id="{appointment["id"]}"]')
    row.get_by_role("button", name="Review & send").click()
    drawer = page.get_by_role("dialog", name="Review & send")
    expect(drawer.get_by_role("textbox", name="Message")).not_to_have_value("")

    # Given another dispatcher sent a link for the same appointment meanwhile
    first = api.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert first.status_code == 201, first.text
    refused = api.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert refused.status_code == 409

    # When this dispatcher sends
    drawer.get_by_role("button", name="Send request").click()

    # Then the API's own message shows, the drawer stays open, and the session is one click away
    alert = drawer.get_by_role("alert")
    expect(alert).to_contain_text(refused.json()["message"])
    expect(drawer.get_by_role("button", name="Send request")).to_be_enabled()
    screenshot(page, "console-send-error")
    alert.get_by_role("button", name="Open the session in progress").click()
    session_drawer = page.get_by_role("dialog", name=customer["name"])
    expect(session_drawer.locator(".banner")).to_contain_text("Link sent")
    assert api.post(f"/api/sessions/{first.json()['id']}/cancel").status_code == 200


@pytest.fixture
def settings_restored(api: Console, stack_url: str) -> Iterator[dict[str, Any]]:
    """The business's settings before the test, put back after it."""
    before = dict(api.get("/api/settings").json())
    yield before
    restored = api.put("/api/settings", json=before)
    assert restored.status_code == 200, restored.text


def test_settings_check_input_show_the_apis_422_and_save(
    dispatcher: Page,
    api: Console,
    new_context: NewContext,
    stack_url: str,
    settings_restored: dict[str, Any],
):
    page = dispatcher
    before = settings_restored
    open_tab(page, "Settings")
    expiry = page.get_by_role("spinbutton", name="Link expires after")
    save = page.get_by_role("button", name="Save settings")
    expect(expiry).to_have_value(str(before["link_ttl_hours"]))
    screenshot(page, "console-settings", full_page=True)

    # When the expiry is out of range, the form says so before asking the API
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    expiry.fill("0")
    save.click()
    expect(page.locator(".error-summary")).to_contain_text("from 1 to 72")
    expect(expiry).to_have_attribute("aria-invalid", "true")
    assert puts == []  # the browser did not ask
    assert api.get("/api/settings").json() == before  # nothing saved

    # When the API refuses what the form let through (a rule the browser doesn't know: here
    # the request is changed on its way, min notice 500 h), its 422 detail lands on the field
    def over_the_limit(route: Route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "min_notice_hours": 500}))

    page.route("**/api/settings", over_the_limit)
    expiry.fill("6")
    save.click()
    notice = page.get_by_role("spinbutton", name="Minimum notice")
    notice_error = page.locator(".field").filter(has=notice).locator(".field-error")
    expect(notice_error).to_contain_text("168")
    expect(notice).to_have_attribute("aria-invalid", "true")
    expect(expiry).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary")).to_contain_text("168")
    screenshot(page, "console-settings-errors")
    assert api.get("/api/settings").json() == before
    page.unroute("**/api/settings")

    # When the values are good, they are saved and the form says so
    page.get_by_role("radio", name="45 min").check()
    page.get_by_role("checkbox", name="Allow technician change").check()
    automatic = page.get_by_role("radio", name="Send the customer a link automatically")
    expect(
        page.get_by_role("radio", name=re.compile("^Suggest it to a dispatcher"))
    ).to_be_checked()
    automatic.check()
    save.click()
    expect(page.locator(".save-status")).to_contain_text("Saved")
    expect(page.locator(".error-summary")).to_be_hidden()
    saved = api.get("/api/settings").json()
    assert saved["max_drive_minutes"] == 45
    assert saved["allow_technician_change"] is True
    assert saved["link_ttl_hours"] == 6
    assert saved["provider_triggers"] == "send"

    # And another browser sees them
    other = new_context().new_page()
    sign_in(other, stack_url)
    open_tab(other, "Settings")
    expect(other.get_by_role("spinbutton", name="Link expires after")).to_have_value("6")
    expect(other.get_by_role("radio", name="45 min")).to_be_checked()
    expect(
        other.get_by_role("radio", name="Send the customer a link automatically")
    ).to_be_checked()


def test_signing_in_with_an_unknown_email_says_why(new_context: NewContext, stack_url: str):
    page = new_context().new_page()
    page.goto(f"{stack_url}/")
    email = page.get_by_label("Dispatcher email")
    email.fill("nobody@example.com")
    page.get_by_role("button", name="Sign in", exact=True).click()
    message = requests.get(
        f"{stack_url}/dev/token", params={"dispatcher": "nobody@example.com"}, timeout=5
    ).json()["message"]
    expect(page.get_by_role("alert")).to_have_text(message)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()


def test_a_simulated_clock_is_shown_on_the_console_and_the_phone(dispatcher: Page, api: Console):
    # Given the test stack, whose clock is pinned away from the real time
    page = dispatcher
    now = api.now()

    # Then the console says the time is simulated, and which it is
    banner = page.locator("#clock-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Simulated time")
    expect(banner).to_contain_text(f"{now.astimezone(ZoneInfo('America/Chicago')):%b} ")

    # And so do the sandbox phones
    page.goto(f"{api.url}/dev/phone")
    expect(page.locator(".clock")).to_contain_text(
        f"Simulated time: {now:%a} {now.day} {now:%b %Y}"
    )
