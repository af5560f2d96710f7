"""Browser tests: Playwright drives Debian's Chromium through the console and the customer page.

The local stack starts exactly as for the e2e tests (`python -m local`, demo data with quiet
hours off), as its own process with its own data. Every page keeps the console's real
Content-Security-Policy; a page error or a CSP violation fails the test that caused it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.e2e import conftest as e2e
from tests.e2e.client import NORTHSIDE, Console

# The e2e tests' local stack fixture, registered here too: the browser tests get their own.
stack_url = e2e.stack_url

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Sandboxing needs user namespaces that containers and CI runners often lack; background
# networking would let the browser itself call Google's servers.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
EXPECT_TIMEOUT_MS = 15_000

# `make screenshots` sets this (docs/screenshots); the test suite never writes there otherwise.
SCREENSHOTS_DIR = os.environ.get("SCREENSHOTS_DIR")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium), "
            "or set CHROMIUM to a Chromium binary."
        )
    # launch() gives the browser a fresh temporary profile; each test gets its own context.
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class PageProblems:
    """Uncaught errors and CSP violations seen on a context's pages."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"CSP violation: {message.text}")


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """Opens browser contexts (desktop unless told otherwise); checks their pages at the end."""
    contexts: list[BrowserContext] = []
    problems = PageProblems()

    def open_context(**options: Any) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        # No slide-in animations: screens are checked (and photographed) as they settle.
        options.setdefault("reduced_motion", "reduce")
        context = browser.new_context(**options)
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        context.on("page", problems.watch)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert not problems.problems, "\n".join(problems.problems)


@pytest.fixture
def api(stack_url: str) -> Console:
    """The dispatcher API over HTTP, to set up and check what the browser did."""
    return Console.sign_in(stack_url, NORTHSIDE)


def sign_in(page: Page, url: str, email: str = NORTHSIDE) -> None:
    """Signs in through the dev sign-in page and waits for the console."""
    page.goto(f"{url}/")
    page.get_by_label("Dispatcher email").fill(email)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("searchbox", name="Search customers by name or phone").wait_for()


@pytest.fixture
def dispatcher(new_context: NewContext, stack_url: str) -> Page:
    """A desktop console page, signed in as Northside Plumbing's dispatcher."""
    page = new_context().new_page()
    sign_in(page, stack_url)
    return page


def open_tab(page: Page, name: str) -> None:
    """Clicks one of the console's section tabs (Reschedule, Schedule, Suggested, In progress, History,
    Settings)."""
    # From the start of the name: "Schedule" is also in "Reschedule", and "In progress"
    # carries its count.
    tabs = page.get_by_role("navigation", name="Sections")
    tabs.get_by_role("link", name=re.compile(f"^{re.escape(name)}")).click()
    expect(page.get_by_role("heading", level=1, name=name, exact=True)).to_be_visible()


_reserved: set[str] = set()


def movable_appointment(api: Console) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer and an appointment that can get a link, not used by another browser test."""
    for customer, appointment in api.movable_appointments():
        if customer["id"] in _reserved or appointment.get("session"):
            continue
        _reserved.add(customer["id"])
        return customer, appointment
    raise AssertionError("no movable appointment left for the browser tests")


def suggest(stack_url: str, api: Console, appointment_id: str, change: str) -> None:
    """The scheduling provider reports a reason to reschedule this appointment (a Suggested
    entry): the event a verified provider webhook carries, through the local stack's
    /dev/provider-events, which applies it with the same service."""
    business_id = api.get("/api/me").json()["business"]["id"]
    response = requests.post(
        f"{stack_url}/dev/provider-events",
        json={"business_id": business_id, "appointment_id": appointment_id, "change": change},
        timeout=10,
    )
    assert response.status_code == 202, response.text


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Writes docs/screenshots/<name>.png when SCREENSHOTS_DIR is set (`make screenshots`)."""
    if not SCREENSHOTS_DIR:
        return
    directory = Path(SCREENSHOTS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(directory / f"{name}.png"),
        full_page=full_page,
        animations="disabled",
        caret="hide",
    )
