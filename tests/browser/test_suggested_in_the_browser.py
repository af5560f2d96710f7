"""The Suggested tab and the settings page's scheduling-provider card, in a real browser.

Suggestions come from the local stack's `/dev/provider-events`: the event a verified
provider webhook carries, applied by the same service (the demo provider sends no webhooks).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from local.demo_data import BUSINESSES
from tests.browser.conftest import (
    EXPECT_TIMEOUT_MS,
    movable_appointment,
    open_tab,
    screenshot,
    suggest,
)
from tests.e2e.client import Console

# Changes made elsewhere arrive with the console's poll (every 5 s), not at once.
POLLED_MS = EXPECT_TIMEOUT_MS


def in_progress(api: Console) -> dict[str, dict[str, Any]]:
    """The sessions in progress, by appointment."""
    response = api.get("/api/sessions", params={"view": "in_progress", "limit": 100})
    response.raise_for_status()
    return {s["appointment_id"]: s for s in response.json()["sessions"]}


def suggested(api: Console) -> dict[str, dict[str, Any]]:
    response = api.get("/api/suggestions")
    response.raise_for_status()
    return {s["appointment_id"]: s for s in response.json()["suggestions"]}


@pytest.fixture
def suggestion(stack_url: str, api: Console) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer and an appointment the provider says needs a new time (no-show)."""
    customer, appointment = movable_appointment(api)
    suggest(stack_url, api, appointment["id"], "no_show")
    assert appointment["id"] in suggested(api)
    return customer, appointment


def test_review_and_send_from_suggested_sends_the_link_and_answers_the_suggestion(
    dispatcher: Page, api: Console, suggestion: tuple[dict[str, Any], dict[str, Any]]
):
    page = dispatcher
    customer, appointment = suggestion

    # Given the tab's count, and the suggestion in the list with its reason
    tab = page.get_by_role("navigation", name="Sections").get_by_role("link", name="Suggested")
    expect(tab.locator(".count")).to_have_text(str(len(suggested(api))), timeout=POLLED_MS)
    open_tab(page, "Suggested")
    row = page.locator(f'tr[data-appointment-id="{appointment["id"]}"]')
    expect(row).to_contain_text(customer["name"])
    expect(row).to_contain_text("Technician reported a no-show")
    screenshot(page, "console-suggested")

    # When the dispatcher reviews it: the drawer is the one Reschedule opens, for this appointment
    row.get_by_role("button", name="Review & send").click()
    drawer = page.get_by_role("dialog", name="Review & send")
    expect(drawer).to_contain_text(customer["name"])
    expect(drawer).to_contain_text(appointment["service"])
    expect(drawer.get_by_role("textbox", name="Message")).not_to_have_value("")
    drawer.get_by_role("button", name="Send request").click()

    # Then the link is sent, the row is gone without a reload, and the API agrees
    expect(drawer).to_be_hidden()
    expect(page.locator(".toast.success")).to_contain_text(f"Link sent to {customer['name']}")
    expect(row).to_be_hidden()
    assert appointment["id"] not in suggested(api)

    # And the session is in progress
    session = in_progress(api)[appointment["id"]]
    open_tab(page, "In progress")
    expect(page.locator(f'tr[data-session-id="{session["id"]}"]')).to_contain_text(customer["name"])


def test_dismiss_asks_first_then_removes_the_suggestion(
    dispatcher: Page, api: Console, suggestion: tuple[dict[str, Any], dict[str, Any]]
):
    page = dispatcher
    customer, appointment = suggestion
    open_tab(page, "Suggested")
    row = page.locator(f'tr[data-appointment-id="{appointment["id"]}"]')

    # When the dispatcher asks to dismiss, the safe answer has focus, and keeping it keeps it
    row.get_by_role("button", name="Dismiss").click()
    question = page.get_by_role("alertdialog", name="Dismiss this suggestion?")
    expect(question).to_contain_text(customer["name"])
    expect(question.get_by_role("button", name="Keep it")).to_be_focused()
    question.get_by_role("button", name="Keep it").click()
    expect(question).to_be_hidden()
    expect(row).to_be_visible()
    assert appointment["id"] in suggested(api)

    # When they dismiss and confirm
    row.get_by_role("button", name="Dismiss").click()
    question.get_by_role("button", name="Dismiss").click()

    # Then the row is gone, the API agrees, and no link was sent
    expect(row).to_be_hidden()
    # (and the keyboard goes on from the next suggestion, or the page's heading: not from the top)
    focused = page.locator(":focus")
    expect(focused).to_have_text(re.compile(r"^(Suggested|Review & send)$"))
    assert appointment["id"] not in suggested(api)
    assert appointment["id"] not in in_progress(api)


def test_a_suggestion_reported_while_the_tab_is_open_shows_up_on_its_own(
    dispatcher: Page, api: Console, stack_url: str
):
    page = dispatcher
    open_tab(page, "Suggested")
    customer, appointment = movable_appointment(api)

    # When the provider reports a customer cancellation while the dispatcher looks
    suggest(stack_url, api, appointment["id"], "customer_canceled")

    # Then the poll brings it in, with its reason
    row = page.locator(f'tr[data-appointment-id="{appointment["id"]}"]')
    expect(row).to_contain_text(customer["name"], timeout=POLLED_MS)
    expect(row).to_contain_text("Customer canceled")

    # And takes it away once another dispatcher dismissed it
    api.post(f"/api/suggestions/{appointment['id']}/dismiss").raise_for_status()
    expect(row).to_be_hidden(timeout=POLLED_MS)


def test_settings_shows_the_scheduling_provider_and_checks_again(dispatcher: Page):
    page = dispatcher
    # Northside Plumbing's technicians, as the demo data seeds them
    technicians = len(next(b for b in BUSINESSES if b["id"] == "northside-plumbing")["technicians"])

    open_tab(page, "Settings")
    card = page.get_by_role("region", name="Scheduling provider")
    expect(card).to_contain_text("Demo scheduling (built in)")
    expect(card).to_contain_text(f"Connected · {technicians} technicians")
    # The rest of the settings load beside it
    expect(page.get_by_role("spinbutton", name="Link expires after")).to_be_visible()

    # "Check again" asks the provider again, and says when
    checked = card.locator(".provider-checked")
    expect(checked).to_contain_text("Checked")
    with page.expect_response(lambda r: r.url.endswith("/api/provider")) as answer:
        card.get_by_role("button", name="Check again").click()
    assert answer.value.status == 200
    expect(card).to_contain_text(f"Connected · {technicians} technicians")
    expect(card.get_by_role("button", name="Check again")).to_be_enabled()
    screenshot(page, "console-settings-provider")


def test_a_provider_that_does_not_answer_says_so_and_check_again_recovers(
    dispatcher: Page, stack_url: str
):
    page = dispatcher
    # Given the provider fails the next technicians read (503), as a provider outage does
    armed = requests.post(
        f"{stack_url}/dev/provider-faults",
        json={"operation": "technicians", "fault": "unavailable", "times": 1},
        timeout=10,
    )
    assert armed.status_code == 201, armed.text
    try:
        # When the dispatcher opens Settings
        open_tab(page, "Settings")
        card = page.get_by_role("region", name="Scheduling provider")

        # Then the card says the provider is not reachable, with the provider's answer
        expect(card).to_contain_text("Not reachable: The provider answered 503")
        # And the settings themselves load all the same
        expect(page.get_by_role("button", name="Save settings")).to_be_visible()

        # When the provider is back and they check again, the card says so
        card.get_by_role("button", name="Check again").click()
        expect(card).to_contain_text("Connected ·")
        expect(card).not_to_contain_text("Not reachable")
    finally:
        requests.delete(f"{stack_url}/dev/provider-faults", timeout=10)
