"""The schedule mirror: the product's own copy of a business's schedule.

Every read on a person's path (the customer's page, openings, search, the schedule view)
reads the mirror, so its cost does not depend on the crew's size or the provider's quota.
The provider stays authoritative where it matters: the confirm workflow re-reads the one
appointment and the one technician's window before it moves (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from reschedule_dispatch.domain.scheduling import Appointment, Busy, Customer, Technician

# How far ahead the mirror holds busy time: past the longest horizon a business can set
# (60 days) and the openings' two-day margin (domain/openings.search_window).
MIRROR_DAYS_AHEAD = 63
# ...and behind: what started before now can still overlap the first searched day.
MIRROR_DAYS_BEHIND = 2


def mirror_window(now: datetime) -> tuple[datetime, datetime]:
    """The span [start, end) a full read of the provider covers."""
    now = now.astimezone(UTC)
    return now - timedelta(days=MIRROR_DAYS_BEHIND), now + timedelta(days=MIRROR_DAYS_AHEAD)


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the week `moment` falls in."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weeks_between(start: datetime, end: datetime) -> list[date]:
    """The weeks [start, end) touches. An item is filed under every week it touches (a
    week's vacation spans two), so these are all the weeks a reader needs."""
    first, last = week_of(start), week_of(max(start, end - timedelta(microseconds=1)))
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


@dataclass(frozen=True)
class MirrorState:
    """What the mirror holds of one business, and how fresh it is."""

    business_id: str
    technicians: tuple[Technician, ...]
    window_start: datetime
    window_end: datetime
    # When the mirror was last in step with the provider (a full read finished).
    synced_at: datetime

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.window_start <= start and end <= self.window_end

    def technician(self, technician_id: str) -> Technician | None:
        return next((t for t in self.technicians if t.id == technician_id), None)

    def lag(self, now: datetime) -> timedelta:
        return max(now - self.synced_at, timedelta(0))


@dataclass(frozen=True)
class ScheduleSnapshot:
    """A whole read of the provider over a window: what the mirror is replaced with."""

    technicians: Sequence[Technician]
    busy: Mapping[str, Sequence[Busy]]  # by technician id
    customers: Sequence[Customer]
    window_start: datetime
    window_end: datetime


@dataclass
class TechnicianWeek:
    """One technician's busy items that start in one week: one mirror item."""

    technician_id: str
    week: date
    busy: list[Busy] = field(default_factory=list)


def by_week(technician_id: str, busy: Iterable[Busy]) -> dict[date, TechnicianWeek]:
    """The items filed under each week they touch, once each."""
    weeks: dict[date, TechnicianWeek] = {}
    for item in unique(busy):
        for week in weeks_between(item.start, item.end):
            weeks.setdefault(week, TechnicianWeek(technician_id, week)).busy.append(item)
    for filed in weeks.values():
        filed.busy.sort(key=lambda b: b.start.timestamp())
    return weeks


def appointments_of(busy: Iterable[Busy]) -> list[Appointment]:
    return [item for item in busy if isinstance(item, Appointment)]


def unique(busy: Iterable[Busy]) -> list[Busy]:
    """Each item once (one spanning weeks is read from each of them)."""
    seen: dict[tuple[str, str], Busy] = {}
    for item in busy:
        seen.setdefault((type(item).__name__, item.id), item)
    return list(seen.values())
