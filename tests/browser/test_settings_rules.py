"""Every rule in Settings, in a browser: openings, quiet hours with the law's floor, Slack;
what the form refuses before asking, what the API refuses after, and what is saved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import open_tab, screenshot
from tests.e2e.client import Console


@pytest.fixture
def settings_restored(api: Console) -> Iterator[dict[str, Any]]:
    """The business's settings before the test, put back after it."""
    before = dict(api.get("/api/settings").json())
    yield before
    restored = api.put("/api/settings", json=before)
    assert restored.status_code == 200, restored.text


def test_every_rule_is_editable_and_quiet_hours_keep_the_laws_floor(
    dispatcher: Page, api: Console, settings_restored: dict[str, Any]
):
    page = dispatcher
    before = settings_restored
    open_tab(page, "Settings")
    save = page.get_by_role("button", name="Save settings")
    grid = page.get_by_role("spinbutton", name="Openings start every")
    expect(grid).to_have_value(str(before["slot_minutes"]))

    # When quiet hours would let a text go at 10:30 pm
    quiet = page.get_by_role("checkbox", name="Quiet hours")
    if not quiet.is_checked():
        quiet.check()
    page.get_by_label("No texts from").fill("22:30")
    page.get_by_label("Until the next morning at").fill("08:00")
    grid.fill("15")
    save.click()

    # Then the form names the law before asking the API, and nothing is saved
    expect(page.locator(".error-summary")).to_contain_text("9:00 pm to 8:00 am")
    expect(page.get_by_label("Until the next morning at")).to_have_attribute("aria-invalid", "true")
    assert api.get("/api/settings").json() == before

    # When they widen them, and set the other rules
    page.get_by_label("No texts from").fill("20:00")
    page.get_by_label("Until the next morning at").fill("08:30")
    page.get_by_role("spinbutton", name="Free time next to other jobs").fill("10")
    page.get_by_role("spinbutton", name="Openings shown").fill("8")
    page.get_by_role("spinbutton", name="Roads vs. straight line").fill("1.5")
    page.get_by_label("Slack channel").fill("#dispatch")
    page.get_by_role("checkbox", name="Failed reschedules").uncheck()
    screenshot(page, "console-settings-rules", full_page=True)
    save.click()

    # Then everything is saved as typed
    expect(page.locator(".save-status")).to_contain_text("Saved")
    saved = api.get("/api/settings").json()
    assert saved["slot_minutes"] == 15
    assert (saved["quiet_hours_start"], saved["quiet_hours_end"]) == ("20:00", "08:30")
    assert saved["buffer_minutes"] == 10
    assert saved["max_openings"] == 8
    assert saved["drive_detour_factor"] == 1.5
    assert saved["slack_channel"] == "#dispatch"
    assert saved["slack_events"] == ["completed"]


def test_the_apis_refusal_of_quiet_hours_lands_on_the_field(
    dispatcher: Page, api: Console, settings_restored: dict[str, Any]
):
    page = dispatcher
    before = settings_restored
    open_tab(page, "Settings")

    # When the request is changed on its way (a rule the browser would have caught)
    def too_late(route: Route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        body = json.loads(route.request.post_data or "{}")
        route.continue_(
            post_data=json.dumps({**body, "quiet_hours_start": "23:00", "quiet_hours_end": "06:00"})
        )

    page.route("**/api/settings", too_late)
    page.get_by_role("button", name="Save settings").click()

    # Then the API's reason shows next to the field, and nothing is saved
    field_error = page.locator("#quiet-hours-end ~ .field-error")
    expect(field_error).to_contain_text("9:00 pm to 8:00 am")
    assert api.get("/api/settings").json() == before
    page.unroute("**/api/settings")
