"""Throttling link guessing: the customer's page and a move's invitation share one limit.

Kept apart from services/customer_links.py so the invitation's route (services/invitation.py, which
finalize also loads) does not load the portal's openings engine with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reschedule_dispatch.domain.errors import NotFound, TooManyGuesses
from reschedule_dispatch.domain.guessing import GuessLimit, client_key
from reschedule_dispatch.domain.links import is_well_formed, token_hash
from reschedule_dispatch.domain.ports import Clock, GuessThrottle

Found = TypeVar("Found")


def find_by_token(
    token: str,
    find_by_hash: Callable[[str], Found],
    guessing: LinkGuessing | None,
    client: str | None,
) -> Found:
    """What the token's hash finds (NotFound if nothing), the client throttled by `guessing`.
    A malformed token is NotFound without a lookup: junk never reaches the database."""

    def find() -> Found:
        if not is_well_formed(token):
            raise NotFound("malformed")
        return find_by_hash(token_hash(token))

    return guessing.look_up(client, find) if guessing else find()


class LinkGuessing:
    """Throttles link guessing per client (its source address).

    Past the limit of unknown tokens in a window, every link request from the client is
    refused until the window ends, before any token is looked up. Known tokens, even of
    closed links, are never counted.
    """

    def __init__(self, *, counts: GuessThrottle, clock: Clock, limit: GuessLimit | None = None):
        self._counts = counts
        self._clock = clock
        self._limit = limit or GuessLimit()

    def look_up(self, client: str | None, find: Callable[[], Found]) -> Found:
        """find()'s answer, once the client is under the limit; its NotFound counts as a guess.

        `client` None: no customer is calling (nothing to throttle)."""
        if client is None:
            return find()
        self.check(client)
        try:
            return find()
        except NotFound:
            self.unknown(client)
            raise

    def check(self, source_ip: str) -> None:
        """TooManyGuesses (with the seconds until the window ends) once over the limit."""
        now = self._clock.now()
        window = self._limit.window(now)
        tried = self._counts.unknown_links(client_key(source_ip), window.start)
        if tried >= self._limit.unknown_links:
            raise TooManyGuesses(window.seconds_left(now))

    def unknown(self, source_ip: str) -> None:
        window = self._limit.window(self._clock.now())
        # Kept one window longer than needed; the key changes with the window anyway.
        expires_at = window.end + self._limit.window_seconds
        self._counts.add_unknown_link(client_key(source_ip), window.start, expires_at)
