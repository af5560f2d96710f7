"""The customer's page in Chromium with JavaScript off, and at the narrowest phone width."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import NewContext
from tests.e2e.client import Console

NARROW = {"width": 320, "height": 640}
WORKFLOW_TIMEOUT_MS = 45_000


def test_a_customer_reschedules_with_javascript_off(new_context: NewContext, api: Console):
    # Given a link texted to the customer, opened on a phone with JavaScript disabled
    _, _, session = api.send_any()
    phone = new_context(viewport=NARROW, java_script_enabled=False, is_mobile=True).new_page()
    phone.goto(session["link"])
    # Without the script that opens it, the link's first screen names only the business
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your appointment")
    expect(phone.locator("a.slot")).to_have_count(0)
    phone.get_by_role("button", name="Show my appointment").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pick a new time")

    # When they tap the first time, then Confirm
    first = phone.locator("a.slot").first
    first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm your new time")
    phone.get_by_role("button", name="Confirm").click()

    # Then the page follows the workflow by itself (meta refresh) to the confirmation
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "You're all set", timeout=WORKFLOW_TIMEOUT_MS
    )
    expect(phone.get_by_role("link", name="Add to calendar")).to_be_visible()
    # And nothing told us the page was viewed: without its script, a page view is no signal
    timeline = [e["type"] for e in api.session(session["id"])["timeline"]]
    assert "viewed" not in timeline
    assert "completed" in timeline


def test_the_page_fits_320_pixels_and_reports_a_real_view(new_context: NewContext, api: Console):
    _, _, session = api.send_any()
    phone = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    phone.goto(session["link"])
    expect(phone.locator("a.slot").first).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    # Every time is a comfortable touch target (44 px)
    heights = phone.locator("a.slot").evaluate_all("els => els.map(e => e.offsetHeight)")
    assert heights
    assert min(heights) >= 44
    # With JavaScript on, the page tells us a person saw it
    api.wait_status(session["id"], "viewed")


def test_a_forwarded_link_asks_another_browser_for_the_phones_last_four_digits(
    new_context: NewContext, api: Console
):
    customer, appointment, session = api.send_any()
    mine = new_context(viewport=NARROW, is_mobile=True).new_page()
    mine.goto(session["link"])
    expect(mine.locator("a.slot").first).to_be_visible()  # opened at once on their phone

    # The link forwarded: another browser sees only the business, and a digits field
    other = new_context(viewport=NARROW, is_mobile=True).new_page()
    other.goto(session["link"])
    expect(other.get_by_role("heading", level=1)).to_have_text("Your appointment")
    expect(other.get_by_text(appointment["service"])).to_have_count(0)
    digits = other.get_by_label("Last four digits of the phone number")
    digits.fill("".join(c for c in customer["phone"] if c.isdigit())[-4:])
    other.get_by_role("button", name="Show the appointment").click()
    expect(other.locator("a.slot").first).to_be_visible()
