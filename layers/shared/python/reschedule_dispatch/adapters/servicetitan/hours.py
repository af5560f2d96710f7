"""Working hours from ServiceTitan's technician shifts (which are optional there)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reschedule_dispatch.domain.scheduling import (
    WorkingHours,
)

# Used when a technician has no shifts in ServiceTitan (shifts are optional there).
DEFAULT_HOURS = tuple(WorkingHours(weekday=d, start=time(8), end=time(17)) for d in range(5))


@dataclass(frozen=True)
class Shift:
    id: int
    technician_id: str
    kind: str  # Normal, OnCall, TimeOff
    start: datetime
    end: datetime

    def within(self, start: datetime, end: datetime) -> bool:
        return start <= self.start and self.end <= end


def wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`; time.max means the following midnight."""
    if at == time.max:
        return datetime.combine(day + timedelta(days=1), time(), zone)
    return datetime.combine(day, at, zone)


def overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start.timestamp() < b_end.timestamp() and b_start.timestamp() < a_end.timestamp()


def subtract(
    start: datetime, end: datetime, cover: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) that no interval of `cover` covers."""
    pieces = [(start, end)]
    for c_start, c_end in cover:
        next_pieces = []
        for p_start, p_end in pieces:
            if not overlap(p_start, p_end, c_start, c_end):
                next_pieces.append((p_start, p_end))
                continue
            if p_start < c_start:
                next_pieces.append((p_start, c_start))
            if c_end < p_end:
                next_pieces.append((c_end, p_end))
        pieces = next_pieces
    return [(s, e) for s, e in pieces if e > s]


def weekly_hours(shifts: Iterable[Shift], zone: ZoneInfo) -> tuple[WorkingHours, ...]:
    """The weekdays and hours the shifts cover, as weekly working hours (merged per day)."""
    spans: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for shift in shifts:
        begins, ends = shift.start.astimezone(zone), shift.end.astimezone(zone)
        while begins < ends:  # a shift past midnight counts on both days
            midnight = datetime.combine(begins.date() + timedelta(days=1), time(), zone)
            piece_end = min(ends, midnight)
            spans[begins.weekday()].append(
                (begins.time(), time.max if piece_end >= midnight else piece_end.time())
            )
            begins = piece_end
    hours: list[WorkingHours] = []
    for weekday in sorted(spans):
        merged: list[list[time]] = []
        for s, e in sorted(spans[weekday]):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        hours.extend(WorkingHours(weekday=weekday, start=s, end=e) for s, e in merged if e > s)
    return tuple(hours)
