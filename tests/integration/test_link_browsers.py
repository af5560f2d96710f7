"""A link is private to its customer's browser (services/customer_links.py), on moto."""

from __future__ import annotations

import boto3
import pytest

from reschedule_dispatch.adapters.dynamodb_guesses import DynamoGuessThrottle
from reschedule_dispatch.domain.errors import TooManyGuesses
from reschedule_dispatch.domain.guessing import GuessLimit
from reschedule_dispatch.domain.session import MAX_LINK_BROWSERS, MAX_UNLOCK_TRIES
from reschedule_dispatch.services.customer_links import (
    ANOTHER_BROWSER,
    LOCKED,
    OPEN_IT,
    CustomerLinks,
    NotThisBrowser,
    WrongDigits,
)
from reschedule_dispatch.services.link_guessing import LinkGuessing

BASE = "https://api.example"
CUSTOMER, FRIEND = "198.51.100.20", "203.0.113.7"
RIGHT = "0142"  # the seeded customer's phone: +13125550142


def _links(world, limit: int = 50) -> CustomerLinks:
    table = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"])
    return CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
        guessing=LinkGuessing(
            counts=DynamoGuessThrottle(table),
            clock=world.clock,
            limit=GuessLimit(unknown_links=limit),
        ),
        private_to_browser=True,
    )


def _sent(world) -> tuple[str, str]:
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    return sent.session.id, sent.link.rsplit("/", 1)[1]


def test_a_link_no_browser_opened_shows_nothing_until_one_opens_it(world):
    links = _links(world)
    session_id, token = _sent(world)
    # A preview, or any first fetch: only the business, nothing written
    with pytest.raises(NotThisBrowser) as refused:
        links.page(token, client=CUSTOMER)
    assert (refused.value.first, str(refused.value)) == (True, OPEN_IT)
    assert refused.value.business.name
    for action in (
        lambda: links.mark_viewed(token, client=CUSTOMER),
        lambda: links.confirm(token, "x", client=CUSTOMER),
    ):
        with pytest.raises(NotThisBrowser):
            action()
    assert world.sessions.get_by_id(session_id).browsers == ()

    # The customer's browser opens it: bound, and it sees the page
    secret = links.open(token, client=CUSTOMER)
    assert links.page(token, client=CUSTOMER, browser=secret).openings
    assert links.open(token, client=CUSTOMER, browser=secret) == secret  # again: the same
    stored = world.sessions.get_by_id(session_id)
    assert len(stored.browsers) == 1
    assert secret not in stored.browsers[0]  # only its hash is kept
    assert [e.type for e in world.sessions.timeline(session_id)][-1] == "opened"


def test_another_browser_needs_the_phones_last_four_digits(world):
    links = _links(world)
    session_id, token = _sent(world)
    links.open(token, client=CUSTOMER)
    with pytest.raises(NotThisBrowser) as refused:
        links.open(token, client=FRIEND)  # a forwarded link: opened elsewhere already
    assert (refused.value.first, str(refused.value)) == (False, ANOTHER_BROWSER)
    with pytest.raises(NotThisBrowser):
        links.page(token, client=FRIEND, browser="a-secret-it-made-up")

    with pytest.raises(WrongDigits, match=f"{MAX_UNLOCK_TRIES - 1} tries left"):
        links.unlock(token, "9999", client=FRIEND)
    secret = links.unlock(token, f"({RIGHT[:2]}) {RIGHT[2:]}", client=FRIEND)  # as typed
    assert links.page(token, client=FRIEND, browser=secret).openings
    events = [e.type for e in world.sessions.timeline(session_id)]
    assert events[-1] == "opened_elsewhere"


def test_wrong_digits_lock_the_link_to_its_browsers_after_a_few_tries(world):
    links = _links(world)
    session_id, token = _sent(world)
    mine = links.open(token, client=CUSTOMER)
    for left in range(MAX_UNLOCK_TRIES - 1, 0, -1):
        with pytest.raises(WrongDigits, match=f"{left} tr"):
            links.unlock(token, "9999", client=FRIEND)
    with pytest.raises(NotThisBrowser) as locked:
        links.unlock(token, "9999", client=FRIEND)
    assert locked.value.locked
    assert str(locked.value) == LOCKED
    # Even the right digits now: locked; the customer's own browser still works
    with pytest.raises(NotThisBrowser, match="can't be opened on another device"):
        links.unlock(token, RIGHT, client="192.0.2.99")
    assert links.page(token, client=CUSTOMER, browser=mine).openings
    assert world.sessions.get_by_id(session_id).unlock_tries == MAX_UNLOCK_TRIES


def test_wrong_digits_count_toward_the_clients_guessing_limit(world):
    links = _links(world, limit=2)
    _, token = _sent(world)
    links.open(token, client=CUSTOMER)
    for _ in range(2):
        with pytest.raises(WrongDigits):
            links.unlock(token, "9999", client=FRIEND)
    with pytest.raises(TooManyGuesses):
        links.unlock(token, RIGHT, client=FRIEND)


def test_a_link_opens_in_a_few_browsers_at_most(world):
    links = _links(world)
    _, token = _sent(world)
    links.open(token, client=CUSTOMER)
    for n in range(MAX_LINK_BROWSERS - 1):
        links.unlock(token, RIGHT, client=f"192.0.2.{n}")
    with pytest.raises(NotThisBrowser) as full:
        links.unlock(token, RIGHT, client="192.0.2.200")
    assert full.value.locked


def test_digits_of_another_script_are_a_wrong_try_not_an_error(world):
    links = _links(world)
    _, token = _sent(world)
    links.open(token, client=CUSTOMER)
    with pytest.raises(WrongDigits):
        links.unlock(token, "٠١٤٢", client=FRIEND)  # Arabic-Indic digits
