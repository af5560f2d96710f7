"""A brute-force reference for the openings rules (docs/openings.md), for property tests.

It shares no code with the engine: every minute of the search window is a candidate start,
and every rule is checked on it directly, with datetimes in UTC (aware datetimes that share
a tzinfo compare by wall clock, which would blur the DST cases this is meant to check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.scheduling import Appointment, Busy, Location, Technician
from reschedule_dispatch.domain.travel import TravelTime

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, order=True)
class ReferenceOpening:
    start: datetime
    technician_id: str
    drive_minutes_before: int
    drive_minutes_after: int
    added_drive_minutes: int


def reference_openings(
    appointment: Appointment,
    technicians: Sequence[Technician],
    busy: Mapping[str, Sequence[Busy]],
    settings: BusinessSettings,
    zone: ZoneInfo,
    now: datetime,
    travel: TravelTime,
) -> list[ReferenceOpening]:
    earliest = now.astimezone(UTC) + timedelta(hours=settings.min_notice_hours)
    latest = now.astimezone(UTC) + timedelta(days=settings.horizon_days)
    first = earliest.replace(second=0, microsecond=0)
    if first < earliest:
        first += MINUTE
    found: list[ReferenceOpening] = []
    seen: set[str] = set()
    for technician in technicians:
        if technician.id in seen:
            continue
        seen.add(technician.id)
        current = technician.id == appointment.technician_id
        if not current and not (
            settings.allow_technician_change and technician.can_do(appointment.service)
        ):
            continue
        items = [
            b
            for b in busy.get(technician.id, ())
            if not (isinstance(b, Appointment) and b.id == appointment.id)
        ]
        start = first
        while start <= latest:
            opening = _check(appointment, technician, items, settings, zone, start, travel)
            if opening is not None:
                found.append(opening)
            start += MINUTE
    return sorted(found)


def _check(
    appointment: Appointment,
    technician: Technician,
    items: list[Busy],
    settings: BusinessSettings,
    zone: ZoneInfo,
    start: datetime,
    travel: TravelTime,
) -> ReferenceOpening | None:
    local = start.astimezone(zone)
    if local.fold:  # the second pass through an ambiguous hour: offered once, the first time
        return None
    wall = local.replace(tzinfo=None)
    block = None
    for opens, closes in _merged_hours(technician, wall.weekday()):
        wall_open = datetime.combine(wall.date(), opens)
        wall_close = datetime.combine(wall.date(), closes)
        on_grid = (wall - wall_open) % timedelta(minutes=settings.slot_minutes) == timedelta(0)
        if wall_open <= wall < wall_close and on_grid:
            block = (
                wall_open.replace(tzinfo=zone).astimezone(UTC),
                wall_close.replace(tzinfo=zone).astimezone(UTC),
            )
    if block is None:
        return None
    block_start, block_end = block
    end = start + (appointment.end - appointment.start)
    if end > block_end:
        return None
    if technician.id == appointment.technician_id and start == appointment.start.astimezone(UTC):
        return None
    spans = [(b.start.astimezone(UTC), b.end.astimezone(UTC), b) for b in items]
    if any(a < end and start < b for a, b, _ in spans):
        return None
    max_drive = settings.max_drive_minutes
    buffer = timedelta(minutes=settings.buffer_minutes)
    site = appointment.location
    touching = [(a, b, item) for a, b, item in spans if a <= block_end and b >= block_start]

    earlier = [(a, b, item) for a, b, item in touching if b <= start]
    if earlier:
        last_end = max(b for _, b, _ in earlier)
        origins = [item.location for _, b, item in earlier if b == last_end]
        drives_before = [_drive(travel, place, site) for place in origins]
        if any(last_end + buffer + MINUTE * d > start for d in drives_before):
            return None
    else:
        origins = [technician.home_base]
        drives_before = [_drive(travel, technician.home_base, site)]
        if block_start + MINUTE * drives_before[0] > start:
            return None
    if max(drives_before) > max_drive:
        return None

    later = [(a, b, item) for a, b, item in touching if a >= end]
    if later:
        next_start = min(a for a, _, _ in later)
        targets = [item.location for a, _, item in later if a == next_start]
        drives_after = [_drive(travel, site, place) for place in targets]
        if any(end + buffer + MINUTE * d > next_start for d in drives_after):
            return None
    else:
        targets = [technician.home_base]
        drives_after = [_drive(travel, site, technician.home_base)]
        if end + MINUTE * drives_after[0] > block_end:
            return None
    if max(drives_after) > max_drive:
        return None

    direct = max(_drive(travel, a, b) for a in origins for b in targets)
    before, after = max(drives_before), max(drives_after)
    return ReferenceOpening(
        start=start,
        technician_id=technician.id,
        drive_minutes_before=before,
        drive_minutes_after=after,
        added_drive_minutes=max(0, before + after - direct),
    )


def _merged_hours(technician: Technician, weekday: int) -> list[tuple[time, time]]:
    spans = sorted((h.start, h.end) for h in technician.working_hours if h.weekday == weekday)
    merged: list[tuple[time, time]] = []
    for opens, closes in spans:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _drive(travel: TravelTime, origin: Location | None, destination: Location | None) -> int:
    if origin is None or destination is None:
        return 0
    return travel.minutes(origin, destination)
