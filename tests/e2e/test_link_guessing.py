"""Link guessing on the local stack: a client trying unknown links is stopped, others are not.

Each client connects from its own loopback address, which the local gateway gives the
portal function as `requestContext.identity.sourceIp`, as API Gateway does.
"""

from __future__ import annotations

import re

import pytest
import requests

from local.template import Template
from reschedule_dispatch.domain.links import new_token
from tests.e2e.client import NORTHSIDE, TIMEOUT, Console, Phone
from tests.e2e.conftest import ROOT, wait_for

pytestmark = pytest.mark.e2e

GUESSER, CUSTOMER = "127.0.0.23", "127.0.0.42"  # not 127.0.0.1: the other tests' address


def _client(address: str) -> requests.Session:
    return Phone(address)  # a browser: it opens a link no browser has opened yet


def _portal_setting(name: str) -> int:
    """The portal function's setting, as the synthesized template gives it."""
    [portal] = [
        spec
        for spec in Template.load(ROOT / "cdk.out").functions().values()
        if spec.module == "functions.portal.handler"
    ]
    return int(portal.environment[name])


def test_a_client_guessing_links_gets_429_and_a_customer_elsewhere_does_not(stack_url: str):
    limit = _portal_setting("UNKNOWN_LINK_LIMIT")
    window = _portal_setting("UNKNOWN_LINK_WINDOW_SECONDS")
    # Given a link sent to a customer
    console = Console.sign_in(stack_url, NORTHSIDE)
    _, _, sent = console.send_any()
    link = sent["link"].replace(sent["link"].split("/r/")[0], stack_url)
    # (once its text is delivered: nothing else may change the session meanwhile)
    before = wait_for(
        lambda: (found := console.session(sent["id"]))["delivery_status"] == "delivered" and found
    )
    guesser, customer = _client(GUESSER), _client(CUSTOMER)

    # When one client tries as many unknown links (and a move's invitation files, which count
    # the same) as the limit allows, each is not found
    for n in range(limit):
        guess = f"/r/invite/{new_token()}.ics" if n % 2 else f"/r/{new_token()}"
        assert guesser.get(f"{stack_url}{guess}", timeout=TIMEOUT).status_code == 404

    # Then its next request is refused, a real link too, with when to come back
    for refused in (
        guesser.get(f"{stack_url}/r/{new_token()}", timeout=TIMEOUT),
        guesser.get(f"{stack_url}/r/invite/{new_token()}.ics", timeout=TIMEOUT),
        guesser.post(f"{link}/viewed", timeout=TIMEOUT),
    ):
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= window
        assert refused.headers["Content-Type"].startswith("text/html")
        assert "Too many tries" in refused.text
        assert not re.search(r"Traceback|\.py\b", refused.text)
    # And the refused view of the real link was not recorded
    assert console.session(sent["id"]) == before

    # While the customer, from another address, opens and views their link
    assert customer.get(link, timeout=TIMEOUT).status_code == 200
    assert customer.post(f"{link}/viewed", timeout=TIMEOUT).status_code == 204
    assert console.session(sent["id"])["status"] == "viewed"
    console.post(f"/api/sessions/{sent['id']}/cancel").raise_for_status()
