"""Link guessing is throttled per client: the service with in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import NotFound, TooManyGuesses
from reschedule_dispatch.domain.guessing import GuessLimit, client_key
from reschedule_dispatch.domain.links import new_token, token_hash
from reschedule_dispatch.domain.session import RescheduleSession, SessionStatus
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.invitation import InvitationCalendars
from reschedule_dispatch.services.link_guessing import LinkGuessing
from tests.builders import NOW, appointment, business, reschedule_session

GUESSER, CUSTOMER = "203.0.113.7", "198.51.100.20"
LIMIT = GuessLimit(unknown_links=3, window_seconds=300)


@dataclass
class Clock:
    at: Any = NOW

    def now(self) -> Any:
        return self.at


@dataclass
class FakeGuesses:
    """The GuessThrottle port in memory: counts by (client, window)."""

    counts: dict[tuple[str, int], int] = field(default_factory=dict)
    expiries: dict[tuple[str, int], int] = field(default_factory=dict)

    def unknown_links(self, client: str, window: int) -> int:
        return self.counts.get((client, window), 0)

    def add_unknown_link(self, client: str, window: int, expires_at: int) -> int:
        self.counts[(client, window)] = self.counts.get((client, window), 0) + 1
        self.expiries[(client, window)] = expires_at
        return self.counts[(client, window)]


@dataclass
class FakeSessions:
    """Just enough of the session repository for opening a link and marking it viewed."""

    by_hash: dict[str, RescheduleSession] = field(default_factory=dict)
    lookups: int = 0

    def find_by_token_hash(self, hashed: str) -> RescheduleSession:
        self.lookups += 1
        if hashed not in self.by_hash:
            raise NotFound("no such link")
        return self.by_hash[hashed]

    def transition(self, session_id: str, expected: Any, new: SessionStatus, event: Any) -> Any:
        return next(s for s in self.by_hash.values() if s.id == session_id)


class Businesses:
    def get(self, business_id: str, *, fresh: bool = False) -> Any:
        return business(id=business_id)


@pytest.fixture
def world() -> tuple[CustomerLinks, FakeSessions, FakeGuesses, Clock, str]:
    token = new_token()
    sessions = FakeSessions({token_hash(token): reschedule_session(appointment(NOW))})
    guesses, clock = FakeGuesses(), Clock()
    links = CustomerLinks(
        sessions=sessions,  # type: ignore[arg-type]
        provider=None,  # type: ignore[arg-type]
        businesses=Businesses(),  # type: ignore[arg-type]
        workflow=None,  # type: ignore[arg-type]
        clock=clock,
        guessing=LinkGuessing(counts=guesses, clock=clock, limit=LIMIT),
    )
    return links, sessions, guesses, clock, token


def _guess(links: CustomerLinks, client: str = GUESSER) -> None:
    with pytest.raises(NotFound):
        links.mark_viewed(new_token(), client=client)


def test_unknown_tokens_up_to_the_limit_are_404_then_the_client_gets_429(world):
    links, sessions, guesses, _, token = world
    # Given a client that tried as many unknown links as the limit allows
    for _ in range(LIMIT.unknown_links):
        _guess(links)
    lookups = sessions.lookups
    # When it asks again, even with a real token
    with pytest.raises(TooManyGuesses) as refused:
        links.mark_viewed(token, client=GUESSER)
    # Then it is refused until the window ends, without a lookup, and nothing more is counted
    assert refused.value.retry_after_seconds == 300  # NOW is on a 5-minute boundary
    assert sessions.lookups == lookups
    assert sum(guesses.counts.values()) == LIMIT.unknown_links


def test_known_tokens_are_never_counted(world):
    links, _, guesses, _, token = world
    for _ in range(LIMIT.unknown_links * 3):
        links.mark_viewed(token, client=CUSTOMER)
    assert guesses.counts == {}


def test_a_malformed_token_counts_as_an_unknown_one_without_a_lookup(world):
    links, sessions, guesses, _, _ = world
    with pytest.raises(NotFound):
        links.mark_viewed("not-a-token", client=GUESSER)
    assert sessions.lookups == 0
    assert sum(guesses.counts.values()) == 1


def test_a_blocked_client_does_not_block_another(world):
    links, _, _, _, token = world
    for _ in range(LIMIT.unknown_links):
        _guess(links)
    assert links.mark_viewed(token, client=CUSTOMER) is True


def test_counters_are_keyed_by_a_hash_of_the_address_and_expire(world):
    links, _, guesses, _, _ = world
    _guess(links)
    [(client, window)] = guesses.counts
    assert client == client_key(GUESSER)
    assert GUESSER not in client
    window_start = int(NOW.timestamp())
    assert window == window_start
    assert guesses.expiries[(client, window)] > window_start + LIMIT.window_seconds


def test_the_next_window_starts_afresh_and_retry_after_counts_down(world):
    links, _, _, clock, token = world
    clock.at = NOW + timedelta(seconds=100)
    for _ in range(LIMIT.unknown_links):
        _guess(links)
    clock.at = NOW + timedelta(seconds=250.5)
    with pytest.raises(TooManyGuesses) as refused:
        links.mark_viewed(token, client=GUESSER)
    assert refused.value.retry_after_seconds == 50  # rounded up: never "0"
    clock.at = NOW + timedelta(seconds=300)
    assert links.mark_viewed(token, client=GUESSER) is True


def test_without_a_client_nothing_is_counted(world):
    links, _, guesses, _, _ = world
    with pytest.raises(NotFound):
        links.mark_viewed(new_token())
    assert guesses.counts == {}


class FakeInvitations:
    """The session repository's invitation lookup: no invitation exists."""

    lookups = 0

    def find_by_invitation_hash(self, hashed: str) -> RescheduleSession:
        self.lookups += 1
        raise NotFound("no such invitation")


def test_invitation_tokens_count_against_the_same_limit_as_links(world):
    links, _, guesses, _, token = world
    invitations = FakeInvitations()
    calendars = InvitationCalendars(
        sessions=invitations,  # type: ignore[arg-type]
        businesses=Businesses(),  # type: ignore[arg-type]
        guessing=LinkGuessing(counts=guesses, clock=Clock(), limit=LIMIT),
    )
    # Given a client that guessed invitation files and links, up to the limit between them
    for _ in range(LIMIT.unknown_links - 1):
        with pytest.raises(NotFound, match="This invitation does not exist"):
            calendars(f"{new_token()}.ics", client=GUESSER)
    _guess(links)
    # Then it is refused both, before any lookup
    with pytest.raises(TooManyGuesses):
        calendars(f"{new_token()}.ics", client=GUESSER)
    with pytest.raises(TooManyGuesses):
        links.mark_viewed(token, client=GUESSER)
    assert invitations.lookups == LIMIT.unknown_links - 1
    # While another client still gets its answer
    with pytest.raises(NotFound):
        calendars(f"{new_token()}.ics", client=CUSTOMER)


@pytest.mark.parametrize(("limit", "window"), [(0, 300), (10, 0)])
def test_a_limit_or_window_below_one_is_refused(limit, window):
    with pytest.raises(ValueError):
        GuessLimit(limit, window)
