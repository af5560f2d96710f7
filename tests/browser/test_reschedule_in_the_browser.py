"""One reschedule in real browsers: the dispatcher's console on a desktop, the customer's phone."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import (
    PHONE,
    NewContext,
    movable_appointment,
    open_tab,
    screenshot,
)
from tests.e2e.client import Console

# The customer's confirmation runs the confirm workflow; the console polls every 5 s.
WORKFLOW_TIMEOUT_MS = 45_000


def test_a_dispatcher_sends_a_link_and_watches_the_customer_reschedule(
    dispatcher: Page, new_context: NewContext, api: Console, stack_url: str
):
    page = dispatcher
    customer, appointment = movable_appointment(api)
    origin = urlsplit(stack_url).netloc
    elsewhere: list[str] = []

    def same_origin_only(request: Request) -> None:
        if urlsplit(request.url).netloc != origin:
            elsewhere.append(request.url)

    page.on("request", same_origin_only)

    # Given the dispatcher signed in, with the business named from /api/me
    expect(page.locator("#business")).to_contain_text("Northside Plumbing")
    screenshot(page, "console-search-empty")

    # When they search by name as they type
    search = page.get_by_role("searchbox", name="Search customers by name or phone")
    search.press_sequentially(customer["name"], delay=20)
    row = page.locator(f'[data-appointment-id="{appointment["id"]}"]')
    expect(row).to_contain_text(appointment["service"])
    expect(row).to_contain_text(appointment["technician"]["name"])
    expect(page.locator("#search-status")).to_contain_text("upcoming appointment")
    screenshot(page, "console-search")

    # And review the message for one appointment
    row.get_by_role("button", name="Review & send").click()
    drawer = page.get_by_role("dialog", name="Review & send")
    message = drawer.get_by_role("textbox", name="Message")
    expect(message).not_to_have_value("")
    template = message.input_value()
    assert customer["name"].split()[0] in template
    counter = drawer.locator("#review-count")
    expect(counter).to_contain_text("characters")
    expect(counter).to_contain_text("SMS segment")
    expect(counter).to_contain_text("GSM-7")
    # The link is shown after the text, outside the editable box: it can't be deleted.
    link = drawer.locator("#review-link")
    expect(link).to_contain_text("/r/")
    assert "/r/" not in template
    expect(drawer).to_contain_text(appointment["technician"]["name"])
    screenshot(page, "console-review")

    # Then the count follows the text: a character outside GSM-7 makes the text UCS-2
    message.fill(template + " Gracias ✓")
    expect(counter).to_contain_text("UCS-2")
    expect(drawer.locator(".encoding-note")).to_contain_text("✓")
    screenshot(page, "console-review-ucs2")
    message.fill(template)
    expect(counter).to_contain_text("GSM-7")

    # And Spanish fills in the Spanish template
    drawer.get_by_role("radio", name="Español").check()
    expect(message).to_have_value(re.compile("Hola"))
    drawer.get_by_role("radio", name="English").check()
    expect(message).to_have_value(template)

    # When they send it
    page.evaluate("window.__noReload = true")
    drawer.get_by_role("button", name="Send request").click()
    expect(drawer).to_be_hidden()
    expect(page.locator(".toast")).to_contain_text(f"Link sent to {customer['name']}")
    screenshot(page, "console-sent")

    # Then In progress lists it
    open_tab(page, "In progress")
    expect(page.locator("tbody tr").filter(has_text=customer["name"]).first).to_contain_text(
        "Link sent"
    )
    screenshot(page, "console-in-progress")
    open_tab(page, "Reschedule")

    # And the appointment shows the session in progress, and opens its timeline
    expect(row.locator(".chip")).to_have_text("Link sent")
    row.get_by_role("button", name="Review & resend").click()
    timeline = page.get_by_role("dialog", name=customer["name"])
    banner = timeline.locator(".banner")
    expect(banner).to_contain_text("Link sent")
    expect(timeline.get_by_role("button", name="Resend")).to_be_visible()
    expect(timeline.locator(".timeline")).to_contain_text("Text sent")

    # When the customer opens the link from their phone's inbox
    phone_context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    phone.goto(f"{stack_url}/dev/phone?to={quote(customer['phone'])}")
    sms_link = phone.locator(".bubble a").last
    expect(sms_link).to_be_visible()
    screenshot(phone, "customer-sms")
    with phone_context.expect_page() as opened:
        sms_link.click()
    customer_page = opened.value
    expect(customer_page.get_by_role("heading", level=1)).to_be_visible()
    expect(customer_page.locator("body")).to_contain_text(appointment["service"])
    screenshot(customer_page, "customer-openings", full_page=True)

    # Then the dispatcher sees it viewed, without reloading
    expect(banner).to_contain_text("Viewed by client", timeout=WORKFLOW_TIMEOUT_MS)
    expect(timeline.locator(".timeline")).to_contain_text("Viewed by client")
    screenshot(page, "console-timeline")

    # When the customer picks the first opening and confirms it
    customer_page.locator("a.slot").first.click()
    confirm = customer_page.get_by_role("button", name="Confirm")
    expect(confirm).to_be_visible()
    screenshot(customer_page, "customer-confirm")
    confirm.click()
    expect(customer_page.get_by_role("heading", name="You're all set")).to_be_visible(
        timeout=WORKFLOW_TIMEOUT_MS
    )
    screenshot(customer_page, "customer-done", full_page=True)

    # Then the dispatcher's timeline says so, still without a reload
    expect(banner).to_contain_text("Reschedule completed", timeout=WORKFLOW_TIMEOUT_MS)
    expect(timeline.locator(".timeline")).to_contain_text("Reschedule completed")
    expect(timeline.get_by_role("button", name="Resend")).to_be_hidden()
    screenshot(page, "console-completed")
    assert page.evaluate("window.__noReload") is True

    # And History lists it, with the new time
    timeline.get_by_role("button", name="Close").click()
    open_tab(page, "History")
    history_row = page.locator("tbody tr").filter(has_text=customer["name"]).first
    expect(history_row).to_contain_text("Reschedule completed")
    expect(history_row.locator(".new-time")).to_be_visible()
    screenshot(page, "console-history")

    # And nothing was fetched from anywhere but the console's own origin
    assert not elsewhere, elsewhere
