"""Accessibility: axe-core (vendored from npm, tests only) on every screen and dialog, names
for every control from Chromium's accessibility tree, keyboard order and visible focus."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    PHONE,
    NewContext,
    movable_appointment,
    open_tab,
    screenshot,
    sign_in,
    suggest,
)
from tests.e2e.client import Console
from tests.e2e.conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, plus axe's best practices (landmarks, one h1, heading order…).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Roles a person operates; each must have a name in the accessibility tree.
CONTROL_ROLES = (
    "button|link|textbox|searchbox|checkbox|radio|spinbutton|combobox|switch|slider|dialog|"
    "alertdialog|tab"
)
UNNAMED_CONTROL = re.compile(rf"^\s*- ({CONTROL_ROLES})(?: \[[^\]]*\])*(?::.*)?$")


@cache
def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core is missing from node_modules: run `make install`")
    return AXE.read_text()


def audit(page: Page, where: str) -> list[str]:
    """axe-core's violations and unnamed controls on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
            }));
        }""",
        AXE_TAGS,
    )
    problems = [
        f"{where}: axe {v['id']} ({v['impact']}): {v['help']} {v['nodes']}" for v in violations
    ]
    snapshot = page.locator("body").aria_snapshot()
    problems += [
        f"{where}: unnamed control: {line.strip()}"
        for line in snapshot.splitlines()
        if UNNAMED_CONTROL.match(line)
    ]
    return problems


def test_every_screen_passes_axe_and_names_every_control(
    new_context: NewContext, api: Console, stack_url: str
):
    problems: list[str] = []
    page = new_context().new_page()

    page.goto(f"{stack_url}/")
    page.get_by_label("Dispatcher email").wait_for()
    problems += audit(page, "sign-in")
    page.get_by_role("button", name="Start a business").click()
    expect(page.get_by_role("heading", level=1, name="Start a business")).to_be_visible()
    problems += audit(page, "sign-up")
    page.get_by_role("button", name="Start the business").click()
    expect(page.locator(".error-summary")).to_be_visible()
    problems += audit(page, "sign-up with errors")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Dispatcher email").wait_for()

    sign_in(page, stack_url)
    problems += audit(page, "reschedule, empty")
    customer, appointment = movable_appointment(api)
    page.get_by_role("searchbox", name="Search customers by name or phone").fill(customer["name"])
    row = page.locator(f'[data-appointment-id="{appointment["id"]}"]')
    expect(row).to_be_visible()
    problems += audit(page, "reschedule, results")

    row.get_by_role("button", name="Review & send").click()
    drawer = page.get_by_role("dialog", name="Review & send")
    expect(drawer.get_by_role("textbox", name="Message")).not_to_have_value("")
    problems += audit(page, "review drawer")
    drawer.get_by_role("button", name="Send request").click()
    expect(drawer).to_be_hidden()

    row.get_by_role("button", name="Review & resend").click()
    session = page.get_by_role("dialog", name=customer["name"])
    expect(session.locator(".event").first).to_be_visible()
    problems += audit(page, "session timeline")
    session.get_by_role("button", name="Cancel link").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    problems += audit(page, "cancel confirmation")
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel link").click()
    expect(session.locator(".banner")).to_contain_text("Canceled")
    session.get_by_role("button", name="Close").click()

    # A suggestion from the provider, so the Suggested tab has a row and its dismiss question
    _, suggested_appointment = movable_appointment(api)
    suggest(stack_url, api, suggested_appointment["id"], "no_access")
    open_tab(page, "Suggested")
    suggestion_row = page.locator(f'tr[data-appointment-id="{suggested_appointment["id"]}"]')
    expect(suggestion_row).to_be_visible()
    problems += audit(page, "Suggested")
    suggestion_row.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    problems += audit(page, "dismiss confirmation")
    page.get_by_role("alertdialog").get_by_role("button", name="Keep it").click()

    for tab in ("Schedule", "In progress", "History", "Settings", "Team"):
        open_tab(page, tab)
        page.locator(".loading").first.wait_for(state="detached")
        problems += audit(page, tab)
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator(".team-invite .error-summary")).to_be_visible()
    problems += audit(page, "team invitation with errors")
    open_tab(page, "Settings")
    expect(page.locator(".provider-checked")).to_be_visible()  # the provider card, checked
    problems += audit(page, "Settings with the provider card")
    page.get_by_role("spinbutton", name="Link expires after").fill("0")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".error-summary")).to_be_visible()
    problems += audit(page, "settings with errors")

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, stack_url)
    phone.get_by_role("searchbox", name="Search customers by name or phone").fill(customer["name"])
    expect(phone.locator(".customer").first).to_be_visible()
    problems += audit(phone, "reschedule on a phone")
    screenshot(phone, "console-mobile-search", full_page=True)
    open_tab(phone, "Suggested")
    expect(
        phone.locator(f'tr[data-appointment-id="{suggested_appointment["id"]}"]')
    ).to_be_visible()
    problems += audit(phone, "Suggested on a phone")
    screenshot(phone, "console-mobile-suggested")
    open_tab(phone, "History")
    expect(phone.locator("tbody tr").first).to_be_visible()
    problems += audit(phone, "history on a phone")
    screenshot(phone, "console-mobile-history")

    assert not problems, "\n".join(problems)


def _focused(page: Page) -> dict[str, Any]:
    """The focused element's name and whether its focus ring shows."""
    return dict(
        page.evaluate(
            """() => {
                const e = document.activeElement;
                // A ring on the element, or on its box (the SMS composer rings the whole box)
                const shows = (el) => {
                    const style = getComputedStyle(el);
                    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
                };
                const ring = shows(e) || (e.parentElement !== null && shows(e.parentElement));
                const name = e.getAttribute("aria-label") || e.labels?.[0]?.textContent
                    || e.textContent || e.placeholder || "";
                return { name: name.replace(/\\s+/g, " ").trim(), ring, tag: e.tagName };
            }"""
        )
    )


def test_keyboard_order_visible_focus_skip_link_and_drawer(dispatcher: Page, api: Console):
    page = dispatcher
    open_tab(page, "History")
    page.reload()
    expect(page.get_by_role("heading", level=1, name="History")).to_be_visible()

    # Tab goes through the page in reading order, and every stop shows its focus ring
    expected = ["Skip to content", "Reschedule Dispatch", "Sign out", "Reschedule", "Schedule"]
    expected += ["Suggested"]
    expected += ["In progress", "History", "Settings", "Team"]
    seen = []
    for _ in expected:
        page.keyboard.press("Tab")
        focused = _focused(page)
        assert focused["ring"], f"no visible focus on {focused}"
        seen.append(re.sub(r" \d+$", "", focused["name"]))  # "In progress 3": the count
    assert seen == expected

    # The skip link takes focus to the page's content
    for _ in range(len(expected) - 1):
        page.keyboard.press("Shift+Tab")
    assert _focused(page)["name"] == "Skip to content"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page.get_by_role("heading", level=1, name="History")).to_be_visible()

    # A drawer opens from the keyboard, keeps focus inside, and Esc hands it back
    open_tab(page, "Reschedule")
    customer, appointment = movable_appointment(api)
    search = page.get_by_role("searchbox", name="Search customers by name or phone")
    search.fill(customer["name"])
    button = page.locator(f'[data-appointment-id="{appointment["id"]}"]').get_by_role(
        "button", name="Review & send"
    )
    expect(button).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")
    drawer = page.get_by_role("dialog", name="Review & send")
    expect(drawer.get_by_role("textbox", name="Message")).to_be_focused()
    # (past the last control, focus may leave for the browser's own UI: never for the page)
    for _ in range(8):
        page.keyboard.press("Tab")
        where = page.evaluate(
            "document.activeElement === document.body ? 'browser'"
            " : document.activeElement.closest('dialog') ? 'dialog' : 'page'"
        )
        assert where != "page", _focused(page)
        if where == "dialog":
            assert _focused(page)["ring"], _focused(page)
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(button).to_be_focused()
