"""The daily and weekly recurrences both calendar fakes expand (Google's RRULE, Graph's
patternedRecurrence): the same walk over periods, on dates or on wall-clock datetimes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

When = TypeVar("When", bound=date)  # a date, or a datetime (a date subclass)


def occurrences(
    first: When,
    *,
    weekly: bool,
    interval: int,
    weekdays: Sequence[int],
    until: When,
    count: int | None,
) -> list[When]:
    """Every `interval` days (or weeks, on `weekdays`: Monday 0; the first's own when none)
    from `first`, up to `until` or `count` occurrences. Aware datetimes in one zone add and
    compare by wall clock: 9:00 stays 9:00 across a change of offset, as instances do."""
    found: list[When] = []
    period = 0
    while count is None or len(found) < count:
        if weekly:
            week = first + timedelta(weeks=period * interval)
            monday = week - timedelta(days=week.weekday())
            candidates = [monday + timedelta(days=d) for d in sorted(weekdays or [first.weekday()])]
        else:
            candidates = [first + timedelta(days=period * interval)]
        for candidate in candidates:
            if candidate < first:
                continue
            if candidate > until or (count is not None and len(found) >= count):
                return found
            found.append(candidate)
        period += 1
    return found
