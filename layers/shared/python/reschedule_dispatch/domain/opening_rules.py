"""The openings rules, as docs/openings.md states them: the result types, the search window,
working hours as blocks (DST included), the rules a chosen time may break and the ranking
penalty. Readable first; the fast search (openings_search.py) applies the same rules, and the
property tests (tests/unit/domain/test_openings.py) bind the two against a brute-force
reference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BlockedTime,
    Busy,
    BusyColumns,
    Technician,
    busy_label,
)
from reschedule_dispatch.domain.session import Opening
from reschedule_dispatch.domain.travel import Coordinates, TravelTime

# A technician's busy items, as models or as columns: the engine reads either.
Schedule = Sequence[Busy] | BusyColumns


# The ranking penalty, in points (lower is better); docs/openings.md gives the formula.
POINTS_PER_ADDED_DRIVE_MINUTE = 1


POINTS_FOR_ANOTHER_TECHNICIAN = 30


POINTS_PER_DAY_FROM_ORIGINAL = 5


# Openings are ranked on the penalty in exact units of 1/86,400 point (a whole number for
# whole-second starts), so that equal penalties tie exactly and order by start as
# documented, not by floating-point noise.
UNITS_PER_POINT = 86400


# `explain` looks at this many grid steps either side of each shown opening.
EXPLAIN_STEPS = 2


DAY_SECONDS = 86400.0


class RankedOpening(Opening):
    """An opening as shown: with its drives and its score (higher is better, 100 at most)."""

    drive_minutes_before: int
    drive_minutes_after: int
    score: float


@dataclass(frozen=True)
class Rejection:
    """A time near a shown opening that was not offered, and the first rule it broke."""

    start: datetime
    end: datetime
    technician_id: str
    reason: str


@dataclass(frozen=True)
class OpeningsResult:
    openings: list[RankedOpening]
    rejected: list[Rejection]


@dataclass(frozen=True)
class FeasibleOpening:
    """One feasible (start, technician) before ranking; what the rules alone allow."""

    start: datetime
    end: datetime
    technician_id: str
    drive_minutes_before: int
    drive_minutes_after: int
    added_drive_minutes: int


@dataclass(frozen=True)
class TravelLegs:
    """Every drive `find_openings` may ask the travel port for, so an adapter can batch them.

    `to_customer` are the places a technician may drive from to the customer,
    `from_customer` those they may drive on to, and `between` the existing drives from one
    stop to the next, which the score needs to tell how many minutes an opening adds.
    """

    to_customer: tuple[Coordinates, ...]
    from_customer: tuple[Coordinates, ...]
    between: tuple[tuple[Coordinates, Coordinates], ...]


def search_window(now: datetime, settings: BusinessSettings) -> tuple[datetime, datetime]:
    """The span [start, end) to fetch busy time for: give the engine every appointment and
    blocked time that overlaps it.

    Openings start in [now + min notice, now + horizon]; a working day around them is at
    most 25 hours long (a fall-back day), so a margin of two days on each side holds every
    item that can touch those working days, in any time zone.
    """
    now = now.astimezone(UTC)
    return (
        now + timedelta(hours=settings.min_notice_hours) - timedelta(days=2),
        now + timedelta(days=settings.horizon_days) + timedelta(days=2),
    )


def broken_rules(
    appointment: Appointment,
    technician: Technician,
    start: datetime,
    busy: Sequence[Busy],
    settings: BusinessSettings,
    zone: ZoneInfo,
    now: datetime,
    travel: TravelTime,
) -> list[str]:
    """Every rule that moving `appointment` to `start` with `technician` breaks, in words a
    dispatcher reads ("drive 52 min > 30 max (from home base)"); [] when the engine's rules
    allow it. A grid start breaks none exactly when `feasible_openings` offers it; any other
    start is judged by the same rules (a dispatcher may choose a time off the grid).

    `busy` holds the technician's appointments and blocked times on and around that day (the
    moved appointment may be among them). The wording is `Search.why_not`'s, but every rule
    broken is listed, not only the first.
    """
    broken: list[str] = []
    s = start.timestamp()
    e = s + (appointment.end.timestamp() - appointment.start.timestamp())
    another = technician.id != appointment.technician_id
    if another and not settings.allow_technician_change:
        broken.append("technician change not allowed")
    if another and not technician.can_do(appointment.service):  # the current one is kept
        broken.append(f"{technician.name} does not do {appointment.service}")
    if s < now.timestamp():
        broken.append("in the past")
    elif s < now.timestamp() + settings.min_notice_hours * 3600:
        broken.append(f"less than {settings.min_notice_hours} h notice")
    if s > now.timestamp() + settings.horizon_days * DAY_SECONDS:
        broken.append(f"more than {settings.horizon_days} days ahead")

    day = start.astimezone(zone).date()
    blocks = [
        working_block(day, first, last, zone, settings.slot_minutes)
        for first, last in working_blocks(technician).get(day.weekday(), ())
    ]
    block = next((b for b in blocks if b.start <= s and e <= b.end), None)
    if block is None:
        broken.append("outside working hours")
    items = [b for b in busy if not (isinstance(b, Appointment) and b.id == appointment.id)]
    broken.extend(
        f"overlaps {_label(item)}"
        for item in items
        if item.start.timestamp() < e and s < item.end.timestamp()
    )

    # The stops either side: of the working block, or (outside hours) of the calendar day.
    if block is not None:
        low, high = block.start, block.end
    else:
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        low, high = midnight.timestamp(), (midnight + timedelta(days=1)).timestamp()
    touching = [b for b in items if b.start.timestamp() <= high and b.end.timestamp() >= low]
    site, limit, buffer = appointment.location, settings.max_drive_minutes, settings.buffer_minutes
    earlier = [b for b in touching if b.end.timestamp() <= s]
    later = [b for b in touching if b.start.timestamp() >= e]
    g0: float | None
    g1: float | None
    if earlier:
        g0 = max(b.end.timestamp() for b in earlier)
        origin = max(
            (b for b in earlier if b.end.timestamp() == g0),
            key=lambda b: _minutes_between(travel, b.location, site),
        )
        before, buffer_before = _minutes_between(travel, origin.location, site), buffer * 60
        source, since = f"from {_label(origin)}", "after it ends"
    else:
        g0 = block.start if block is not None else None
        before, buffer_before = _minutes_between(travel, technician.home_base, site), 0
        source, since = "from home base", "after the day starts"
    if later:
        g1 = min(b.start.timestamp() for b in later)
        target = max(
            (b for b in later if b.start.timestamp() == g1),
            key=lambda b: _minutes_between(travel, site, b.location),
        )
        after, buffer_after = _minutes_between(travel, site, target.location), buffer * 60
        goal, until = f"to {_label(target)}", "before it starts"
    else:
        g1 = block.end if block is not None else None
        after, buffer_after = _minutes_between(travel, site, technician.home_base), 0
        goal, until = "to home base", "before the day ends"
    if before > limit:
        broken.append(f"drive {before} min > {limit} max ({source})")
    elif g0 is not None and g0 + buffer_before + before * 60 > s:
        broken.append(
            f"arrives late: drive {before} min {source}{plus_label(buffer_before)}, "
            f"only {minutes_label(s - g0)} min {since}"
        )
    if after > limit:
        broken.append(f"drive {after} min > {limit} max ({goal})")
    elif g1 is not None and e + buffer_after + after * 60 > g1:
        broken.append(
            f"leaves late: drive {after} min {goal}{plus_label(buffer_after)}, "
            f"only {minutes_label(g1 - e)} min {until}"
        )
    return broken


def _minutes_between(
    travel: TravelTime, origin: Coordinates | None, destination: Coordinates | None
) -> int:
    # As the engine: an unknown place makes the leg 0 minutes (docs/openings.md).
    if origin is None or destination is None:
        return 0
    return travel.minutes(origin, destination)


def penalty_units(
    added_drive_minutes: int, another_technician: bool, seconds_from_original: float
) -> int:
    """Penalty of an opening in exact units (UNITS_PER_POINT to a point): lower ranks
    first (docs/openings.md)."""
    return base_units(added_drive_minutes, another_technician) + _day_units(seconds_from_original)


def penalty(
    added_drive_minutes: int, another_technician: bool, seconds_from_original: float
) -> float:
    """Penalty points of an opening: lower ranks first (docs/openings.md)."""
    units = penalty_units(added_drive_minutes, another_technician, seconds_from_original)
    return units / UNITS_PER_POINT


def base_units(added_drive_minutes: int, another_technician: bool) -> int:
    points = POINTS_PER_ADDED_DRIVE_MINUTE * added_drive_minutes
    if another_technician:
        points += POINTS_FOR_ANOTHER_TECHNICIAN
    return points * UNITS_PER_POINT


def _day_units(seconds_from_original: float) -> int:
    # 5 points a day is 5 units a second: whole seconds make whole units
    return POINTS_PER_DAY_FROM_ORIGINAL * round(abs(seconds_from_original))


def score_of(points: float) -> float:
    """The shown score: 100 for a perfect opening, 50 at 100 penalty points."""
    return round(100.0 / (1.0 + points / 100.0), 2)


@dataclass(frozen=True, slots=True)
class WorkingBlock:
    """One stretch of working hours on one date: real bounds and grid starts (epoch s)."""

    day: date
    start: float
    end: float
    grid: tuple[float, ...]


def eligible(
    appointment: Appointment, technicians: Sequence[Technician], settings: BusinessSettings
) -> list[Technician]:
    """The current technician always; others only when changes are allowed and they can do
    the service. The first of a repeated id wins."""
    seen: set[str] = set()
    eligible: list[Technician] = []
    for technician in technicians:
        if technician.id in seen:
            continue
        seen.add(technician.id)
        if technician.id == appointment.technician_id or (
            settings.allow_technician_change and technician.can_do(appointment.service)
        ):
            eligible.append(technician)
    return eligible


def working_blocks(technician: Technician) -> dict[int, list[tuple[time, time]]]:
    """Working hours per weekday, overlapping or touching stretches merged into one."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for hours in sorted(technician.working_hours, key=lambda h: (h.weekday, h.start)):
        spans = by_day.setdefault(hours.weekday, [])
        if spans and hours.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hours.end))
        else:
            spans.append((hours.start, hours.end))
    return by_day


def working_block(
    day: date, start: time, end: time, zone: ZoneInfo, slot_minutes: int
) -> WorkingBlock:
    """A working block's real bounds and its wall-clock grid.

    Bounds and grid times are local wall times resolved PEP 495 style (fold=0): an
    ambiguous time (fall back) is its first occurrence, so it is offered once. A grid time
    that does not exist (spring forward) does not survive the round trip and is skipped.
    """
    first = datetime.combine(day, start, tzinfo=zone)
    last = datetime.combine(day, end, tzinfo=zone)
    bs, be = first.timestamp(), last.timestamp()
    step = slot_minutes * 60
    wall_seconds = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds()
    if be - bs == wall_seconds and _exists(first) and _exists(last):
        # No clock change inside the block: the grid is plain arithmetic.
        grid = tuple(bs + k * step for k in range(math.ceil(wall_seconds / step)))
    else:
        starts: list[float] = []
        wall = datetime.combine(day, start)
        stop = datetime.combine(day, end)
        while wall < stop:
            local = wall.replace(tzinfo=zone)
            if _exists(local):
                starts.append(local.timestamp())
            wall += timedelta(seconds=step)
        grid = tuple(starts)
    return WorkingBlock(day=day, start=bs, end=be, grid=grid)


def _exists(local: datetime) -> bool:
    """Whether a wall time (fold=0) exists: it comes back unchanged from UTC."""
    back = datetime.fromtimestamp(local.timestamp(), local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _label(item: Busy) -> str:
    if isinstance(item, BlockedTime):
        return busy_label(item.id, True, item.reason)
    return busy_label(item.id, False, "")


def plus_label(buffer_seconds: int) -> str:
    return f" + {buffer_seconds // 60} min buffer" if buffer_seconds else ""


def minutes_label(seconds: float) -> str:
    return f"{seconds / 60:g}"
