"""The local stack's clock: real time, shifted to whatever moment a developer or a test set.

Stripe's test clocks are the model. Every function (through `composition.start`), the
scheduler pump, the sandboxes' timestamps and the provider fakes read this one clock, so
"13 hours later" is later everywhere at once: a link expires, a held opening lapses, a text
sent with "send when allowed" goes out at 08:00 (`/dev/clock`: local/dev_clock.py).
What is waited out in real seconds keeps the real time: access tokens' and rate limits'
lifetimes, the browser's sign-in token.

Time keeps flowing at the real rate from the moment set (pages poll, workflows run and holds
lapse as they would), and it only moves forward: what was written "later" (a session, a
schedule, a fake's `updated`) must never lie in the future of what reads it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.messages import next_allowed_time

# Below this the clock is the real one, give or take how long setting it took.
SIMULATED_AFTER = timedelta(seconds=1)
# A sensible hour to show the product at: every business's dispatchers at work, its
# technicians on the road, and texts allowed (not quiet hours).
WORKING_DAY = (time(9), time(16))


class ClockBackwards(ValueError):
    """Moving the clock before its current time: refused, nothing changes."""


def real_now() -> datetime:
    return datetime.now(UTC)  # wall clock: the real time the local clock is offset from


class LocalClock:
    """The `Clock` port (`now()`) for the whole local stack, settable and advanceable."""

    def __init__(
        self, start: datetime | None = None, *, real: Callable[[], datetime] = real_now
    ) -> None:
        self._real = real
        self._offset = timedelta(0) if start is None else _aware(start) - real()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._real() + self._offset

    @property
    def simulated(self) -> bool:
        return abs(self._offset) >= SIMULATED_AFTER

    def set(self, moment: datetime) -> datetime:
        """Moves the clock to `moment` (timezone-aware); earlier than now is refused."""
        moment = _aware(moment)
        with self._lock:
            current = self.now()
            if moment < current:
                raise backwards(moment, current)
            self._offset += moment - current
        return self.now()

    def forward_to(self, moment: datetime) -> datetime:
        """Moves the clock to `moment` if that is later than its time; never back."""
        moment = _aware(moment)
        with self._lock:
            self._offset += max(moment - self.now(), timedelta(0))
        return self.now()

    def advance(self, by: timedelta) -> datetime:
        """Moves the clock forward by `by`; a negative duration is refused."""
        if by < timedelta(0):
            raise ClockBackwards(f"The clock only moves forward: a step back of {-by} is refused.")
        with self._lock:
            self._offset += by
        return self.now()


def backwards(moment: datetime, current: datetime) -> ClockBackwards:
    """The refusal of a move to `moment`, before the clock's `current` time."""
    return ClockBackwards(
        f"The clock only moves forward: {moment.isoformat()} is before its current time, "
        f"{current.isoformat(timespec='seconds')}."
    )


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a clock time needs its UTC offset, e.g. 2026-12-08T09:00:00-06:00")
    return moment.astimezone(UTC)


def next_business_hour(now: datetime, businesses: Sequence[Business]) -> datetime:
    """`now` when it is a sensible hour for every business (a weekday, 09:00-16:00 in its
    zone, outside its quiet hours); else the first half hour after it that is, for all of
    them if the zones allow, or for the first business alone."""
    if _sensible(now, businesses):
        return now
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    candidates = [start + timedelta(minutes=30 * n) for n in range(1, 8 * 48)]
    for group in (businesses, businesses[:1]):
        found = next((moment for moment in candidates if _sensible(moment, group)), None)
        if found is not None:
            return found
    return now


def _sensible(moment: datetime, businesses: Sequence[Business]) -> bool:
    for business in businesses:
        local = moment.astimezone(business.zone)
        opens, closes = WORKING_DAY
        if local.weekday() >= 5 or not opens <= local.time() < closes:
            return False
        if next_allowed_time(business, moment) is not None:
            return False
    return True
