"""How much link guessing one client gets: unknown tokens counted in fixed windows.

A token has 256 bits, so guessing cannot succeed anyway; the limit keeps a guesser from
costing lookups (and from probing at all), while a customer who mistypes a link a few times
never meets it. The client is the source address, kept only as a hash.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

UNKNOWN_LINKS_PER_WINDOW = 10
WINDOW_SECONDS = 300


def client_key(source_ip: str) -> str:
    """What the counters are keyed by: a SHA-256 of the address, never the address."""
    return hashlib.sha256(f"link-guessing:{source_ip}".encode()).hexdigest()


@dataclass(frozen=True)
class GuessWindow:
    start: int  # epoch seconds; the counter's key
    end: int

    def seconds_left(self, now: datetime) -> int:
        """Retry-After: whole seconds until the window ends, at least one."""
        return max(1, math.ceil(self.end - now.timestamp()))


@dataclass(frozen=True)
class GuessLimit:
    unknown_links: int = UNKNOWN_LINKS_PER_WINDOW
    window_seconds: int = WINDOW_SECONDS

    def __post_init__(self) -> None:
        if self.unknown_links < 1 or self.window_seconds < 1:
            raise ValueError("the link guessing limit and its window must be at least 1")

    def window(self, now: datetime) -> GuessWindow:
        start = int(now.timestamp()) // self.window_seconds * self.window_seconds
        return GuessWindow(start, start + self.window_seconds)
