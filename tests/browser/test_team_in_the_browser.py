"""A business starts in the browser: a person signs up from the sign-in page and lands on
Settings as its admin, invites a dispatcher, who signs in and sees the team and the settings
without being able to change them; the admin removes them. And a sign-up the browser or the
API refuses says why, on the field."""

from __future__ import annotations

import json
import re
import secrets

import requests
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import NewContext, open_tab, screenshot, sign_in
from tests.e2e.client import Console

_numbers: set[str] = set()


def _fresh_number() -> str:
    """A Chicago number no seeded business has, and none this run has used."""
    while True:
        number = "+1312555" + str(secrets.randbelow(9000) + 1000)
        if number not in _numbers:
            _numbers.add(number)
            return number


def _fresh_emails() -> tuple[str, str]:
    suffix = secrets.token_hex(3)
    return f"ana-{suffix}@start.example", f"dan-{suffix}@start.example"


def _open_sign_up(page: Page, stack_url: str) -> None:
    page.goto(f"{stack_url}/")
    page.get_by_role("button", name="Start a business").click()
    expect(page.get_by_role("heading", level=1, name="Start a business")).to_be_focused()


def _can_sign_in(stack_url: str, email: str) -> bool:
    answer = requests.get(f"{stack_url}/dev/token", params={"dispatcher": email}, timeout=5)
    return answer.status_code == 200


def _team_row(page: Page, email: str):
    return page.locator(f'.team-table tr[data-email="{email}"]')


def test_a_person_starts_a_business_invites_a_dispatcher_and_removes_them(
    new_context: NewContext, stack_url: str
):
    admin_email, dispatcher_email = _fresh_emails()
    phone = _fresh_number()

    # Given a person on the sign-in page, who starts a business
    page = new_context().new_page()
    _open_sign_up(page, stack_url)
    zone = page.get_by_label("Time zone")
    expect(zone.locator("option")).not_to_have_count(0)  # the browser's zones
    page.get_by_label("Business name").fill("Start Plumbing")
    page.get_by_label("Phone number").fill(phone)
    zone.select_option("America/Denver")
    expect(page.locator("#signup-time-zone-hint")).to_contain_text("Mountain")
    page.get_by_label("Admin email").fill(admin_email)
    screenshot(page, "console-signup", full_page=True)
    page.get_by_role("button", name="Start the business").click()

    # Then they are signed in as its admin, on Settings, welcomed, and may change them
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()
    welcome = page.locator(".welcome")
    expect(welcome).to_contain_text("Start Plumbing is ready")
    expect(welcome).to_be_focused()
    expect(page.locator("#account-email")).to_have_text(admin_email)
    expect(page.locator("#business")).to_contain_text("Start Plumbing")
    expect(page).to_have_url(re.compile(r"#/settings$"))
    expect(page.get_by_role("button", name="Save settings")).to_be_visible()
    expect(page.get_by_role("spinbutton", name="Link expires after")).to_be_enabled()
    expect(page.get_by_text("Only an admin can change settings")).to_have_count(0)
    admin = Console.sign_in(stack_url, admin_email)
    me = admin.get("/api/me").json()
    assert (me["role"], me["business"]["phone"]) == ("admin", phone)
    assert me["business"]["time_zone"] == "America/Denver"

    # When they invite a dispatcher on the Team tab
    open_tab(page, "Team")
    page.get_by_label("Email", exact=True).fill(dispatcher_email)
    page.get_by_label("Role").select_option("dispatcher")
    page.get_by_role("button", name="Invite", exact=True).click()

    # Then the team lists both, each with their role and who added them
    expect(page.locator(".team-invite .save-status")).to_contain_text(
        f"{dispatcher_email} was invited as a dispatcher"
    )
    expect(page.get_by_label("Email", exact=True)).to_have_value("")
    expect(page.locator(".team-table tbody tr")).to_have_count(2)
    me_row, dan_row = _team_row(page, admin_email), _team_row(page, dispatcher_email)
    expect(me_row).to_contain_text("Admin")
    expect(me_row).to_contain_text("You")
    expect(me_row).to_contain_text("Started the business")
    expect(me_row.get_by_role("button")).to_have_count(0)  # nobody removes themselves
    expect(dan_row).to_contain_text("Dispatcher")
    expect(dan_row).to_contain_text(admin_email)  # added by
    expect(dan_row.get_by_role("button", name=f"Remove {dispatcher_email}")).to_be_visible()
    screenshot(page, "console-team", full_page=True)
    assert sorted(m["email"] for m in admin.get("/api/team").json()) == sorted(
        [admin_email, dispatcher_email]
    )

    # When the dispatcher signs in, in their own browser
    theirs = new_context().new_page()
    sign_in(theirs, stack_url, dispatcher_email)

    # Then they see the team, but nothing to change it with
    open_tab(theirs, "Team")
    expect(theirs.get_by_text("Only an admin can change the team")).to_be_visible()
    expect(theirs.locator(".team-table tbody tr")).to_have_count(2)
    expect(_team_row(theirs, dispatcher_email)).to_contain_text("You")
    expect(theirs.get_by_role("button", name="Invite")).to_have_count(0)
    expect(theirs.get_by_role("textbox", name="Email")).to_have_count(0)
    expect(theirs.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)

    # And Settings read-only: a notice, disabled controls, no Save
    open_tab(theirs, "Settings")
    expect(theirs.get_by_text("Only an admin can change settings")).to_be_visible()
    link_ttl = theirs.get_by_role("spinbutton", name="Link expires after")
    expect(link_ttl).to_be_disabled()
    expect(theirs.get_by_role("textbox", name="English message")).to_be_disabled()
    expect(theirs.get_by_role("checkbox", name="Quiet hours")).to_be_disabled()
    expect(theirs.get_by_role("button", name="Save settings")).to_be_hidden()
    screenshot(theirs, "console-settings-read-only")

    # When the admin removes them, and first keeps them
    remove = _team_row(page, dispatcher_email).get_by_role(
        "button", name=f"Remove {dispatcher_email}"
    )
    remove.click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text(f"Remove {dispatcher_email} from the team?")
    expect(question.get_by_role("button", name="Keep them")).to_be_focused()
    question.get_by_role("button", name="Keep them").click()
    expect(question).to_be_hidden()
    expect(remove).to_be_focused()
    assert len(admin.get("/api/team").json()) == 2
    remove.click()
    question.get_by_role("button", name="Remove", exact=True).click()

    # Then they are off the team and can no longer sign in
    expect(_team_row(page, dispatcher_email)).to_have_count(0)
    expect(page.locator(".team-table tbody tr")).to_have_count(1)
    expect(page.locator("#toasts")).to_contain_text(f"{dispatcher_email} was removed")
    assert [m["email"] for m in admin.get("/api/team").json()] == [admin_email]
    assert not _can_sign_in(stack_url, dispatcher_email)


def test_a_sign_up_the_browser_or_the_api_refuses_says_why_on_the_field(
    new_context: NewContext, stack_url: str, api: Console
):
    taken = api.get("/api/me").json()["business"]["phone"]  # Northside Plumbing's number
    admin_email, _ = _fresh_emails()
    page = new_context().new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/signup" in r.url else None)
    _open_sign_up(page, stack_url)

    # When the phone is not in E.164 form
    page.get_by_label("Business name").fill("Copycat Plumbing")
    page.get_by_label("Phone number").fill("555-0100")
    page.get_by_label("Admin email").fill(admin_email)
    page.get_by_role("button", name="Start the business").click()

    # Then the browser says so on the field and in the summary, which has focus; nothing sent
    phone = page.get_by_label("Phone number")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The business wasn't started.")
    expect(phone).to_have_attribute("aria-invalid", "true")
    field_error = page.locator("#signup-phone ~ .field-error")
    expect(field_error).to_contain_text("E.164")
    expect(phone).to_have_accessible_description(re.compile("E.164 form: a plus"))
    assert asked == []

    # And the summary's link takes them to the field
    summary.get_by_role("button", name=re.compile("^Phone number:")).click()
    expect(phone).to_be_focused()

    # When the API refuses what the browser let through (the zone changed on its way)
    def elsewhere(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "time_zone": "Mars/Olympus"}))

    page.route("**/api/signup", elsewhere)
    phone.fill(_fresh_number())
    page.get_by_role("button", name="Start the business").click()

    # Then its 422 detail lands on the field, in words
    zone_error = page.locator("#signup-time-zone ~ .field-error")
    expect(zone_error).to_contain_text("'Mars/Olympus' is not a time zone")
    expect(zone_error).not_to_contain_text("Value error")
    expect(page.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
    expect(summary).to_contain_text("Time zone: 'Mars/Olympus' is not a time zone")
    expect(phone).not_to_have_attribute("aria-invalid", "true")
    page.unroute("**/api/signup")

    # When the number is another business's
    phone.fill(taken)
    with page.expect_response("**/api/signup") as answer:
        page.get_by_role("button", name="Start the business").click()

    # Then the API's 409 message is in the summary, on the phone field
    assert answer.value.status == 409
    message = answer.value.json()["message"]
    assert taken in message
    expect(summary).to_contain_text(message)
    expect(summary).to_be_focused()
    expect(field_error).to_contain_text(message)
    expect(page.get_by_label("Admin email")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("heading", level=1, name="Start a business")).to_be_visible()
    assert not _can_sign_in(stack_url, admin_email)  # nothing was made

    # And "Sign in" goes back to the sign-in page
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_label("Dispatcher email")).to_be_focused()
