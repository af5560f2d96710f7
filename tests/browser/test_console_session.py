"""A console session lasts a shift: the ID token is renewed with the rotating refresh token
before it expires, so a dispatcher working past its life is never sent to sign in; when the
sign-in itself ends (the refresh token refused), the console says so and, after signing in
again, comes back to the screen the dispatcher was on. Also through a Hosted UI: the
Cognito path of console/lib/auth.js (PKCE, state, nonce, the route kept across the redirect)
against a stand-in for Cognito's endpoints that hands out the local stack's tokens.

These tests run on a stack of their own whose ID tokens live a few seconds
(DEV_ID_TOKEN_SECONDS), so "past the token's life" is seconds of real time, not an hour.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Page, Request, Response, Route, expect

from tests.browser.conftest import NewContext, open_tab, sign_in
from tests.e2e import conftest as e2e
from tests.e2e.client import NORTHSIDE

# Seconds an ID token lives on this module's stack: renewed about every 3 s.
ID_TOKEN_SECONDS = 4
SESSION_ENDED = "Your session has ended. Sign in again to continue."
SEARCH = "Search customers by name or phone"


@pytest.fixture(scope="module")
def short_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("short-tokens")
    with e2e.running_stack(folder, e2e.PINNED, DEV_ID_TOKEN_SECONDS=str(ID_TOKEN_SECONDS)) as url:
        yield url


class Traffic:
    """What the page asked of the token endpoint, and every API answer 401."""

    def __init__(self, page: Page) -> None:
        self.renewals: list[str] = []
        self.unauthorized: list[str] = []
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request: Request) -> None:
        if urlsplit(request.url).path.endswith("/oauth2/token") and request.method == "POST":
            form = parse_qs(request.post_data or "")
            self.renewals.extend(form.get("grant_type", []))

    def _response(self, response: Response) -> None:
        if response.status == 401:
            self.unauthorized.append(f"{response.request.method} {response.url}")

    def refreshes(self) -> int:
        return self.renewals.count("refresh_token")


def session_in(page: Page) -> dict[str, Any]:
    """The console's stored session (sessionStorage), as the tab holds it."""
    return dict(page.evaluate("JSON.parse(sessionStorage.getItem('rd.session'))"))


def wait_until(page: Page, condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Polls while the page runs (Playwright delivers its events and routes only while the
    test is inside one of its calls: time.sleep would hold them)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        page.wait_for_timeout(200)


def test_a_dispatcher_working_past_the_id_tokens_life_is_not_sent_to_sign_in(
    new_context: NewContext, short_stack: str
):
    page = new_context().new_page()
    traffic = Traffic(page)
    sign_in(page, short_stack)
    first = session_in(page)

    # When the dispatcher works on, screen after screen, for three of the ID token's lives
    started = time.monotonic()
    screens = ["Schedule", "In progress", "History", "Settings", "Reschedule"]
    turn = 0
    while time.monotonic() - started < 3 * ID_TOKEN_SECONDS:
        open_tab(page, screens[turn % len(screens)])
        turn += 1
        page.wait_for_timeout(700)
    open_tab(page, "Reschedule")
    page.get_by_role("searchbox", name=SEARCH).fill("555")
    expect(page.locator("[data-appointment-id]").first).to_be_visible()

    # Then the console renewed its ID token on its own, with a new refresh token each time
    assert traffic.refreshes() >= 2, traffic.renewals
    renewed = session_in(page)
    assert renewed["idToken"] != first["idToken"]
    assert renewed["refreshToken"] != first["refreshToken"]
    # And no request was refused, nor was the dispatcher asked to sign in
    assert traffic.unauthorized == []
    expect(page.get_by_role("heading", name="Sign in to Reschedule Dispatch")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible()


def test_a_request_refused_401_is_repeated_once_after_a_renewal(
    new_context: NewContext, short_stack: str
):
    # Given a signed-in dispatcher whose ID token the API refuses, though the console holds it
    # for good (a token the authorizer no longer accepts: here, its signature broken before
    # the console loads again, with a minute to live as far as the console knows)
    page = new_context().new_page()
    traffic = Traffic(page)
    sign_in(page, short_stack)
    page.add_init_script(
        """if (!sessionStorage.getItem('forged') && sessionStorage.getItem('rd.session')) {
          const session = JSON.parse(sessionStorage.getItem('rd.session'));
          const signature = session.idToken.slice(-4);
          session.idToken = session.idToken.slice(0, -4) + (signature === 'AAAA' ? 'BBBB' : 'AAAA');
          session.expiresAt = Date.now() + 60000;
          session.lifetimeMs = 100000; // renewal due 20 s before the end: not yet
          sessionStorage.setItem('rd.session', JSON.stringify(session));
          sessionStorage.setItem('forged', 'yes');
        }"""
    )
    renewals_before = traffic.refreshes()
    page.reload()
    page.get_by_role("searchbox", name=SEARCH).wait_for()

    # When they search
    page.get_by_role("searchbox", name=SEARCH).fill("555")

    # Then the 401 was answered by a renewal and the request repeated: the results show
    expect(page.locator("[data-appointment-id]").first).to_be_visible()
    assert traffic.unauthorized, "the forged token was never refused"
    assert traffic.refreshes() > renewals_before
    expect(page.get_by_role("heading", name="Sign in to Reschedule Dispatch")).to_have_count(0)


def test_an_ended_session_says_so_and_comes_back_to_the_same_screen(
    new_context: NewContext, short_stack: str
):
    # Given a dispatcher on History
    page = new_context().new_page()
    sign_in(page, short_stack)
    open_tab(page, "History")
    assert page.url.endswith("#/history")

    # When their sign-in ends (its refresh token refused at the next renewal: here revoked,
    # as a sign-out elsewhere or the end of the shift would have it)
    refresh_token = session_in(page)["refreshToken"]
    revoked = requests.post(
        f"{short_stack}/oauth2/revoke",
        data={"token": refresh_token, "client_id": "dev-console"},
        timeout=10,
    )
    assert revoked.status_code == 200, revoked.text

    # Then the console says so, at the next renewal, without anything clicked
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(SESSION_ENDED, timeout=4 * ID_TOKEN_SECONDS * 1000)
    expect(page.get_by_role("navigation", name="Sections")).to_be_hidden()
    assert page.url.endswith("#/history")
    assert page.evaluate("sessionStorage.getItem('rd.session')") is None

    # And after signing in again, they are back on History
    page.get_by_label("Dispatcher email").fill(NORTHSIDE)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="History", exact=True)).to_be_visible()
    assert page.url.endswith("#/history")


# --- the Hosted UI path (AWS) against a stand-in for Cognito ----------------------------


class HostedUi:
    """Cognito's /oauth2/authorize and /oauth2/token for one browser context, answered by
    the test (Playwright routes): the authorization code flow with PKCE, whose tokens are the
    local stack's dev sign-in's (so the API accepts them) and whose renewals are its token
    endpoint's. `wrong_nonce` makes it answer an ID token for another request."""

    CLIENT_ID = "dev-console"  # the local stack's ID tokens carry it as `aud`

    def __init__(self, stack: str, *, wrong_nonce: bool = False) -> None:
        self.stack = stack
        self.domain = f"{stack}/hosted-ui"
        self.wrong_nonce = wrong_nonce
        self.authorize: dict[str, str] = {}
        self.exchanged: list[dict[str, str]] = []

    def install(self, page: Page) -> None:
        config = {
            "apiBaseUrl": "",
            "auth": "cognito",
            "clientId": self.CLIENT_ID,
            "domain": self.domain,
            "devClock": "/dev/clock",
        }
        page.route(
            "**/console/config.json",
            lambda route: route.fulfill(
                status=200, content_type="application/json", body=json.dumps(config)
            ),
        )
        page.route(re.compile(re.escape(f"{self.domain}/oauth2/authorize?")), self._authorize)
        page.route(re.compile(re.escape(f"{self.domain}/oauth2/token") + "$"), self._token)

    def _authorize(self, route: Route) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        self.authorize = query
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert query["client_id"] == self.CLIENT_ID
        assert query["nonce"]
        back = f"{query['redirect_uri']}?code=the-code&state={query['state']}"
        route.fulfill(status=302, headers={"Location": back})

    def _token(self, route: Route) -> None:
        form = {k: v[-1] for k, v in parse_qs(route.request.post_data or "").items()}
        self.exchanged.append(form)
        if form.get("grant_type") == "refresh_token":
            answer = requests.post(f"{self.stack}/oauth2/token", data=form, timeout=10)
            route.fulfill(status=answer.status_code, body=answer.text, headers=json_headers())
            return
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            form.get("code") != "the-code"
            or challenge.rstrip(b"=").decode() != self.authorize.get("code_challenge")
            or form.get("redirect_uri") != self.authorize.get("redirect_uri")
        ):
            route.fulfill(status=400, body='{"error": "invalid_grant"}', headers=json_headers())
            return
        nonce = "someone-elses" if self.wrong_nonce else self.authorize["nonce"]
        signed_in = requests.get(
            f"{self.stack}/dev/token", params={"dispatcher": NORTHSIDE, "nonce": nonce}, timeout=10
        ).json()
        signed_in.pop("token")
        route.fulfill(status=200, body=json.dumps(signed_in), headers=json_headers())


def json_headers() -> dict[str, str]:
    return {"Content-Type": "application/json", "Cache-Control": "no-store"}


def test_the_hosted_sign_in_checks_pkce_and_nonce_and_returns_to_the_screen(
    new_context: NewContext, short_stack: str
):
    # Given the console in its AWS configuration, opened on History without a session
    page = new_context().new_page()
    hosted = HostedUi(short_stack)
    hosted.install(page)
    traffic = Traffic(page)
    page.goto(f"{short_stack}/console/#/history")

    # When the dispatcher signs in through the Hosted UI
    page.get_by_role("button", name="Sign in with your dispatcher account").click()

    # Then they are back on History, the code gone from the address
    expect(page.get_by_role("heading", level=1, name="History", exact=True)).to_be_visible()
    assert page.url == f"{short_stack}/console/#/history"
    assert hosted.exchanged[0]["grant_type"] == "authorization_code"
    # And the session renews through the token endpoint on the Hosted UI's domain
    wait_until(page, lambda: traffic.refreshes() >= 1, 3 * ID_TOKEN_SECONDS, "a renewal")
    open_tab(page, "In progress")
    assert traffic.unauthorized == []


def test_a_hosted_sign_in_answering_another_requests_nonce_is_refused(
    new_context: NewContext, short_stack: str
):
    # Given a token endpoint that answers an ID token issued for another request
    page = new_context().new_page()
    HostedUi(short_stack, wrong_nonce=True).install(page)
    traffic = Traffic(page)
    page.goto(f"{short_stack}/console/#/settings")

    # When the dispatcher signs in
    page.get_by_role("button", name="Sign in with your dispatcher account").click()

    # Then the sign-in is refused, says why, and nothing was asked of the API
    expect(page.get_by_role("alert")).to_have_text(
        "The sign-in response did not match this browser tab. Sign in again."
    )
    assert page.evaluate("sessionStorage.getItem('rd.session')") is None
    assert traffic.unauthorized == []
    expect(page.get_by_role("navigation", name="Sections")).to_be_hidden()
