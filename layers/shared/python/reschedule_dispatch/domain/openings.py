"""The openings engine: which times a customer may move an appointment to, best first.

Pure: no I/O; drive times come through the `TravelTime` port. docs/openings.md states the
rules, the score, the DST behaviour and how `explain` works; this module follows it.

An opening is a start on the technician's wall-clock grid (every `slot_minutes` from the
start of their working hours) and a technician such that the whole service lies in their
working hours, it overlaps nothing of theirs (the appointment being moved blocks nothing),
the drive from the previous stop and on to the next one (the home base at the ends of the
day) each take at most `max_drive_minutes` and fit, with `buffer_minutes` next to other
jobs, it starts at least `min_notice_hours` from now and at most `horizon_days` ahead, the
technician may take it, and it is not the current time with the current technician.

How it stays fast: a technician's busy items arrive as columns (`BusyColumns`: epoch
seconds and places, no model per item; the schedule mirror stores them so), or as models
whose times become epoch seconds in one call into pydantic-core per list (exactly
`timestamp()`; see `_epoch_seconds`). Per technician and working block, the
day's busy items are walked once into gaps; each gap gets its drives once (cached per
location pair for the call) and then its feasible starts are one contiguous run of the
precomputed grid (two bisections). Only the few starts of a gap that can still be shown
are ranked, and pydantic models are built only for the openings returned. Work grows
linearly with the number of busy items.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from itertools import islice
from operator import attrgetter, gt, sub
from typing import cast
from zoneinfo import ZoneInfo

from pydantic_core import SchemaSerializer, TzInfo, core_schema

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.scheduling import (
    NO_BUSY,
    Appointment,
    BlockedTime,
    Busy,
    BusyColumns,
    Leg,
    Place,
    Point,
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

_DAY_SECONDS = 86400.0
_ID = attrgetter("id")
_START, _END = attrgetter("start"), attrgetter("end")
_TZINFO, _MICROSECOND = attrgetter("tzinfo"), attrgetter("microsecond")


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


def find_openings(
    appointment: Appointment,
    technicians: Sequence[Technician],
    busy: Mapping[str, Schedule],
    settings: BusinessSettings,
    zone: ZoneInfo,
    now: datetime,
    travel: TravelTime,
    *,
    explain: bool = False,
) -> OpeningsResult:
    """The best openings, best first, at most `settings.max_openings`, spread across days.

    `technicians` are the candidates, the current one included; the engine applies
    `allow_technician_change` and `can_do`. `busy` maps a technician id to their
    appointments and blocked times in `search_window`, as models or columns (the moved
    appointment may be among them). Times come back as aware UTC datetimes.
    """
    search = _Search(appointment, technicians, busy, settings, zone, now, travel)
    candidates, days = search.candidates(per_gap=settings.max_openings)
    chosen = _select(candidates, days, settings.max_openings)
    duration = appointment.end - appointment.start
    openings = [_ranked(c, duration) for c in chosen]
    rejected = search.explain(chosen) if explain else []
    return OpeningsResult(openings=openings, rejected=rejected)


def feasible_openings(
    appointment: Appointment,
    technicians: Sequence[Technician],
    busy: Mapping[str, Schedule],
    settings: BusinessSettings,
    zone: ZoneInfo,
    now: datetime,
    travel: TravelTime,
) -> list[FeasibleOpening]:
    """Every feasible opening, unranked and uncapped, by start then technician id."""
    search = _Search(appointment, technicians, busy, settings, zone, now, travel)
    duration = appointment.end - appointment.start
    found: list[FeasibleOpening] = []
    for schedule, block, fit in search.fits():
        current = not schedule.changes
        for s in block.grid[fit.first : fit.stop]:
            if current and s == search.original:
                continue
            start = datetime.fromtimestamp(s, UTC)
            found.append(
                FeasibleOpening(
                    start=start,
                    end=start + duration,
                    technician_id=schedule.technician.id,
                    drive_minutes_before=fit.drive_before,
                    drive_minutes_after=fit.drive_after,
                    added_drive_minutes=fit.added,
                )
            )
    found.sort(key=lambda f: (f.start, f.technician_id))
    return found


def rank_openings(
    feasible: Sequence[FeasibleOpening],
    appointment: Appointment,
    settings: BusinessSettings,
    zone: ZoneInfo,
) -> list[RankedOpening]:
    """Ranks and caps a full list of feasible openings exactly as `find_openings` does."""
    original = appointment.start.timestamp()
    candidates = [
        (
            penalty_units(
                f.added_drive_minutes,
                f.technician_id != appointment.technician_id,
                f.start.timestamp() - original,
            ),
            f.start.timestamp(),
            f.technician_id,
            f.drive_minutes_before,
            f.drive_minutes_after,
            f.start.astimezone(zone).date().toordinal(),
        )
        for f in feasible
    ]
    days = len({c[5] for c in candidates})
    duration = appointment.end - appointment.start
    return [_ranked(c, duration) for c in _select(candidates, days, settings.max_openings)]


def stop_legs(home: Point | None, busy: BusyColumns) -> list[Leg]:
    """The drives between a technician's own stops that a search may ask for, whoever the
    customer: from the stops ending last so far to the next stops (those starting
    together), and between the home base and every stop. They do not depend on the
    customer, so they can be known before any page asks (the schedule mirror keeps them
    with each week).

    A superset of the engine's `between` drives for any working hours: in a working block
    the previous stop is the latest-ending one so far, or the home base at its start.
    """
    places, starts, ends = busy.places, busy.starts, busy.ends
    order = sorted(range(len(starts)), key=starts.__getitem__)
    legs: dict[Leg, None] = {}  # in order, once each
    frontier = -math.inf
    last: list[int] = []  # the stops ending at the frontier
    k = 0
    while k < len(order):
        group = [order[k]]  # the stops starting at this moment
        while k + len(group) < len(order) and starts[order[k + len(group)]] == starts[group[0]]:
            group.append(order[k + len(group)])
        for a in last:
            for b in group:
                origin, target = places[a], places[b]
                if origin is not None and target is not None and origin != target:
                    legs[origin + target] = None
        for i in group:
            if ends[i] > frontier:
                frontier, last = ends[i], [i]
            elif ends[i] == frontier:
                last.append(i)
        k += len(group)
    if home is not None:
        for place in places:
            if place is not None and place != home:
                legs[home + place] = None
                legs[place + home] = None
    return list(legs)


def travel_legs(
    appointment: Appointment,
    technicians: Sequence[Technician],
    busy: Mapping[str, Schedule],
    settings: BusinessSettings,
    zone: ZoneInfo,
    now: datetime,
) -> TravelLegs:
    """The drives `find_openings` may ask for with these inputs: a superset, to prefetch.

    The search is run with every drive taking 0 minutes: no gap is then ruled out by a
    drive, so it asks for every drive a search with real drive times can ask for.
    """
    recorder = _Recorder()
    search = _Search(appointment, technicians, busy, settings, zone, now, recorder)
    for _ in search.fits():
        pass
    site = search.site
    to_customer = {_key(a): a for a, b in recorder.asked if _key(b) == site}
    from_customer = {_key(b): b for a, b in recorder.asked if _key(a) == site}
    between = {
        (_key(a), _key(b)): (a, b) for a, b in recorder.asked if _key(a) != site and _key(b) != site
    }
    return TravelLegs(
        to_customer=tuple(to_customer.values()),
        from_customer=tuple(from_customer.values()),
        between=tuple(between.values()),
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
    moved appointment may be among them). The wording is `_Search.why_not`'s, but every rule
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
    if s > now.timestamp() + settings.horizon_days * _DAY_SECONDS:
        broken.append(f"more than {settings.horizon_days} days ahead")

    day = start.astimezone(zone).date()
    blocks = [
        _make_block(day, first, last, zone, settings.slot_minutes)
        for first, last in _working_blocks(technician).get(day.weekday(), ())
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
            f"arrives late: drive {before} min {source}{_plus(buffer_before)}, "
            f"only {_minutes(s - g0)} min {since}"
        )
    if after > limit:
        broken.append(f"drive {after} min > {limit} max ({goal})")
    elif g1 is not None and e + buffer_after + after * 60 > g1:
        broken.append(
            f"leaves late: drive {after} min {goal}{_plus(buffer_after)}, "
            f"only {_minutes(g1 - e)} min {until}"
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
    return _base_units(added_drive_minutes, another_technician) + _day_units(seconds_from_original)


def penalty(
    added_drive_minutes: int, another_technician: bool, seconds_from_original: float
) -> float:
    """Penalty points of an opening: lower ranks first (docs/openings.md)."""
    units = penalty_units(added_drive_minutes, another_technician, seconds_from_original)
    return units / UNITS_PER_POINT


def _base_units(added_drive_minutes: int, another_technician: bool) -> int:
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


# --- internals -------------------------------------------------------------------------

# (penalty units, start epoch seconds, technician id, drive before, drive after, day
# ordinal): tuples sort best first and cost far less than models in the hot loop.
_Candidate = tuple[int, float, str, int, int, int]


def _ranked(candidate: _Candidate, duration: timedelta) -> RankedOpening:
    start = datetime.fromtimestamp(candidate[1], UTC)
    return RankedOpening(
        start=start,
        end=start + duration,
        technician_id=candidate[2],
        drive_minutes_before=candidate[3],
        drive_minutes_after=candidate[4],
        score=score_of(candidate[0] / UNITS_PER_POINT),
    )


def _select(candidates: list[_Candidate], days: int, limit: int) -> list[_Candidate]:
    """At most `limit`, best first, spread across days.

    With `days` days having openings, no day gets more than ceil(limit / days) while the
    other days still have openings to give: the first pass keeps to that cap, best first;
    if that leaves places, the second fills them with the best of the rest.
    """
    candidates.sort()
    cap = math.ceil(limit / days) if days else limit
    per_day: Counter[int] = Counter()
    chosen: list[_Candidate] = []
    skipped: list[_Candidate] = []
    for candidate in candidates:
        if len(chosen) == limit:
            break
        if per_day[candidate[5]] < cap:
            per_day[candidate[5]] += 1
            chosen.append(candidate)
        else:
            skipped.append(candidate)
    chosen.extend(skipped[: limit - len(chosen)])
    chosen.sort()
    return chosen


@dataclass(frozen=True, slots=True)
class _Block:
    """One stretch of working hours on one date: real bounds and grid starts (epoch s)."""

    day: date
    start: float
    end: float
    grid: tuple[float, ...]


@dataclass(slots=True)
class _Schedule:
    technician: Technician
    changes: bool  # True when this is not the appointment's current technician
    home: Point | None
    busy: BusyColumns  # sorted by start, the moved appointment left out
    places: Sequence[Point | None]
    starts: Sequence[float]
    ends: Sequence[float]
    longest: float  # the longest item, so a bisection can find items reaching into a block
    blocks: list[_Block]


@dataclass(frozen=True, slots=True)
class _Fit:
    drive_before: int
    drive_after: int
    added: int
    first: int  # grid[first:stop] are the feasible starts (the current time aside)
    stop: int


class _Recorder:
    """A travel port that takes no time and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[Coordinates, Coordinates]] = []

    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        self.asked.append((origin, destination))
        return 0


def _key(place: Coordinates) -> Point:
    return (place.lat, place.lon)


def _point(place: Coordinates | None) -> Point | None:
    return None if place is None else (place.lat, place.lon)


class _Search:
    def __init__(
        self,
        appointment: Appointment,
        technicians: Sequence[Technician],
        busy: Mapping[str, Schedule],
        settings: BusinessSettings,
        zone: ZoneInfo,
        now: datetime,
        travel: TravelTime,
    ) -> None:
        self.appointment = appointment
        self.settings = settings
        self.zone = zone
        self.travel = travel
        self._minutes = travel.minutes
        self.site = _point(appointment.location)
        self.original = appointment.start.timestamp()
        self.duration = appointment.end.timestamp() - self.original
        self.earliest = now.timestamp() + settings.min_notice_hours * 3600
        self.latest = now.timestamp() + settings.horizon_days * _DAY_SECONDS
        self.buffer = settings.buffer_minutes * 60
        self.max_drive = settings.max_drive_minutes
        first = datetime.fromtimestamp(self.earliest, zone).date()
        last = datetime.fromtimestamp(self.latest, zone).date()
        self.dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        self._grids: dict[tuple[date, time, time], _Block] = {}
        self._blocks_by_hours: dict[tuple[tuple[int, time, time], ...], list[_Block]] = {}
        # Drives asked for in this call, by coordinates: to the customer, from the
        # customer, and between two stops.
        self._drives: dict[Leg, int] = {}
        self.schedules = [
            self._schedule(t, busy.get(t.id, ()))
            for t in _eligible(appointment, technicians, settings)
        ]

    # -- building ----------------------------------------------------------------------

    def _schedule(self, technician: Technician, schedule: Schedule) -> _Schedule:
        blocks = self._blocks(technician)
        busy = schedule if isinstance(schedule, BusyColumns) else columns_of(schedule)
        self._drives.update(busy.drives)  # between the technician's stops, known already
        if not blocks:
            busy = NO_BUSY  # not working in the window: nothing of theirs to read
        moved = self.appointment.id
        if moved in busy.ids:
            busy = busy.select(
                [i for i, id_ in enumerate(busy.ids) if id_ != moved or busy.blocked[i]]
            )
        starts = busy.starts
        if any(map(gt, starts, islice(starts, 1, None))):  # providers usually list by start
            busy = busy.select(sorted(range(len(starts)), key=starts.__getitem__))  # stable
        return _Schedule(
            technician=technician,
            changes=technician.id != self.appointment.technician_id,
            home=_point(technician.home_base),
            busy=busy,
            places=busy.places,
            starts=busy.starts,
            ends=busy.ends,
            longest=max(map(sub, busy.ends, busy.starts), default=0.0),
            blocks=blocks,
        )

    def _blocks(self, technician: Technician) -> list[_Block]:
        """The technician's working blocks in the window, shared by every technician with
        the same working hours (most of a business): built once per call for each."""
        key = tuple([(h.weekday, h.start, h.end) for h in technician.working_hours])
        blocks = self._blocks_by_hours.get(key)
        if blocks is None:
            weekly = _working_blocks(technician)
            blocks = self._blocks_by_hours[key] = [
                self._block(day, start, end)
                for day in self.dates
                for start, end in weekly.get(day.weekday(), ())
            ]
        return blocks

    def _blocks_on(self, technician: Technician, moment: float) -> list[_Block]:
        """The technician's working blocks on the local day of `moment`."""
        day = datetime.fromtimestamp(moment, self.zone).date()
        hours = _working_blocks(technician).get(day.weekday(), ())
        return [self._block(day, start, end) for start, end in hours]

    def _block(self, day: date, start: time, end: time) -> _Block:
        key = (day, start, end)
        block = self._grids.get(key)
        if block is None:
            block = self._grids[key] = _make_block(
                day, start, end, self.zone, self.settings.slot_minutes
            )
        return block

    # -- walking -----------------------------------------------------------------------

    def fits(self) -> Iterator[tuple[_Schedule, _Block, _Fit]]:
        for schedule in self.schedules:
            for block, fit in self._schedule_fits(schedule):
                yield schedule, block, fit

    def _schedule_fits(self, schedule: _Schedule) -> list[tuple[_Block, _Fit]]:
        """The free stretches of each working block that hold an opening, with their drives.

        Items are sorted by start. In a block, `frontier` is the latest end seen so far (at
        first the block's start), and the items ending exactly there are the previous stop
        (none: the home base). A gap runs from the frontier to the next item's start, the
        last one to the block's end. Items ending before the block starts are no stop of
        its day. This loop runs for every busy item, and its first two tests (a grid start
        with no drive, then with the drive in) for nearly every gap, so it keeps to locals
        and plain lists; the other tests run only for the few gaps left (`_gap_fit`).
        """
        starts, ends, places, home = schedule.starts, schedule.ends, schedule.places, schedule.home
        longest = schedule.longest
        duration, buffer, max_drive = self.duration, self.buffer, self.max_drive
        earliest, latest = self.earliest, self.latest
        site, drives, minutes = self.site, self._drives, self._minutes
        site_place = Place(*site) if site is not None else Place(0.0, 0.0)  # (unused if None)
        found: list[tuple[_Block, _Fit]] = []
        for block in schedule.blocks:
            grid = block.grid
            slots = len(grid)
            block_start, block_end = block.start, block.end
            hi = bisect_right(starts, block_end)
            frontier = block_start
            reach = frontier + duration  # a gap needs the next item to start here or later
            arrive = frontier  # the earliest start before the drive in: frontier (+ buffer)
            before = -1  # the item ending at the frontier, -1 for none (the home base) ...
            tied: list[int] | None = None  # ... or all of them, when several end there
            k = bisect_left(starts, block_start - longest)
            while True:
                if k < hi:
                    end = ends[k]
                    if end < block_start:
                        k += 1
                        continue
                    next_start = starts[k]
                    last_start = next_start - buffer - duration
                else:
                    next_start, last_start = block_end, block_end - duration  # no buffer
                if next_start >= reach:
                    # A grid start with no drive at all? (Conditional expressions, not min
                    # or max: this runs for thousands of gaps.)
                    latest_start = last_start if last_start < latest else latest
                    first = bisect_left(grid, arrive if arrive > earliest else earliest)
                    if first < slots and grid[first] <= latest_start:
                        # Then with the drive in (an unknown place is 0 minutes, as `_drive`).
                        if tied is None:
                            place = places[before] if before >= 0 else home
                            if place is None or site is None:
                                drive_in = 0
                            else:
                                key = place + site
                                known = drives.get(key)
                                if known is None:
                                    known = drives[key] = minutes(Place(*place), site_place)
                                drive_in = known
                        else:
                            # Stops ending at the same moment must all be reachable.
                            drive_in = max([self._to_site(places[i]) for i in tied])
                        if drive_in <= max_drive:
                            if drive_in:
                                at = arrive + drive_in * 60
                                first = bisect_left(grid, at if at > earliest else earliest, first)
                            if first < slots and grid[first] <= latest_start:
                                fit = self._gap_fit(
                                    schedule, grid, first, last_start, before, tied, k, hi, drive_in
                                )
                                if fit is not None:
                                    found.append((block, fit))
                if k == hi:
                    break
                if end > frontier:
                    frontier, reach, arrive = end, end + duration, end + buffer
                    before, tied = k, None
                elif end == frontier:
                    if before < 0:
                        before, arrive = k, end + buffer
                    else:
                        tied = [before, k] if tied is None else [*tied, k]
                k += 1
        return found

    def _gap_fit(
        self,
        schedule: _Schedule,
        grid: tuple[float, ...],
        first: int,
        last_start: float,
        before: int,
        tied: list[int] | None,
        k: int,
        hi: int,
        drive_in: int,
    ) -> _Fit | None:
        """The rest of a gap's tests, once a grid start (`grid[first]`) fits with the drive
        in: the drive out, then the run of feasible starts; None if there is none.

        `last_start` is the latest start before the drive out; `before` and `tied` the items
        ending as the gap starts (none: the home base), `k` the next item (hi: none, the
        home base).
        """
        places = schedule.places
        targets: list[Point | None]
        if k < hi:
            # Stops starting at the same moment: all must be reachable too.
            starts = schedule.starts
            j = k + 1
            while j < hi and starts[j] == starts[k]:
                j += 1
            targets = [places[i] for i in range(k, j)]
            drive_out = max([self._from_site(place) for place in targets])
        else:
            targets = [schedule.home]
            drive_out = self._from_site(schedule.home)
        if drive_out > self.max_drive:
            return None
        stop = bisect_right(grid, min(last_start - drive_out * 60, self.latest), first)
        if first >= stop:
            return None
        # The minutes the opening adds to the route: the detour from the direct drive
        # between the two stops (never below zero, whatever the travel model says).
        origins: list[Point | None]
        if tied is not None:
            origins = [places[i] for i in tied]
        else:
            origins = [places[before] if before >= 0 else schedule.home]
        direct = max([self._drive(a, b) for a in origins for b in targets])
        return _Fit(drive_in, drive_out, max(0, drive_in + drive_out - direct), first, stop)

    def _to_site(self, place: Point | None) -> int:
        return self._drive(place, self.site)

    def _from_site(self, place: Point | None) -> int:
        return self._drive(self.site, place)

    def _drive(self, origin: Point | None, destination: Point | None) -> int:
        # An unknown place (no home base, no address) makes that leg 0 minutes: nothing to
        # check, rather than a guess. docs/openings.md says so.
        if origin is None or destination is None:
            return 0
        key = origin + destination
        minutes = self._drives.get(key)
        if minutes is None:
            minutes = self._drives[key] = self._minutes(Place(*origin), Place(*destination))
        return minutes

    # -- ranking -----------------------------------------------------------------------

    def candidates(self, per_gap: int) -> tuple[list[_Candidate], int]:
        """The rankable candidates, and the number of days with at least one opening.

        Within a gap every start shares the drives, so its starts rank by nearness to the
        original alone: only the `per_gap` nearest can ever be shown (a start is chosen only
        after every better one of its day), so only those are ranked.
        """
        original = self.original
        found: list[_Candidate] = []
        days: set[int] = set()
        for schedule, block, fit in self.fits():
            grid = block.grid
            first, stop = fit.first, fit.stop
            current = not schedule.changes
            mid = bisect_left(grid, original, first, stop)
            own = current and mid < stop and grid[mid] == original
            if stop - first - own <= 0:
                continue
            day = block.day.toordinal()
            days.add(day)
            reach = per_gap + 1  # one more on each side in case the current time is skipped
            base = _base_units(fit.added, schedule.changes)
            tech = schedule.technician.id
            for i in range(max(first, mid - reach), min(stop, mid + reach)):
                s = grid[i]
                if current and s == original:
                    continue
                units = base + POINTS_PER_DAY_FROM_ORIGINAL * round(abs(s - original))
                found.append((units, s, tech, fit.drive_before, fit.drive_after, day))
        return found, len(days)

    # -- explaining --------------------------------------------------------------------

    def explain(self, chosen: Sequence[_Candidate]) -> list[Rejection]:
        """Rejected grid starts within EXPLAIN_STEPS of each shown opening (same technician
        and working block), and around the current time with the current technician."""
        by_id = {s.technician.id: s for s in self.schedules}
        wanted: list[tuple[_Schedule, float]] = [(by_id[c[2]], c[1]) for c in chosen]
        current = by_id.get(self.appointment.technician_id)
        if current is not None:
            wanted.append((current, self.original))
        seen: set[tuple[str, float]] = set()
        rejected: list[Rejection] = []
        for schedule, anchor in wanted:
            blocks = schedule.blocks
            if not any(b.start <= anchor < b.end for b in blocks):
                # The current time before the first day an opening can be (a job later
                # today): its day's blocks, so its neighbours are explained too.
                blocks = self._blocks_on(schedule.technician, anchor)
            for block in blocks:
                if not block.start <= anchor < block.end:
                    continue
                mid = bisect_left(block.grid, anchor)
                for i in range(
                    max(0, mid - EXPLAIN_STEPS), min(len(block.grid), mid + EXPLAIN_STEPS + 1)
                ):
                    s = block.grid[i]
                    key = (schedule.technician.id, s)
                    if key in seen:
                        continue
                    seen.add(key)
                    reason = self.why_not(schedule, block, s)
                    if reason is not None:
                        start = datetime.fromtimestamp(s, UTC)
                        rejected.append(
                            Rejection(
                                start=start,
                                end=start + (self.appointment.end - self.appointment.start),
                                technician_id=schedule.technician.id,
                                reason=reason,
                            )
                        )
        rejected.sort(key=lambda r: (r.start, r.technician_id))
        return rejected

    def why_not(self, schedule: _Schedule, block: _Block, s: float) -> str | None:
        """The first rule a grid start breaks, checked one by one; None if it is feasible."""
        e = s + self.duration
        settings = self.settings
        if e > block.end:
            return f"ends {self._clock(e)}, after working hours end at {self._clock(block.end)}"
        if s < self.earliest:
            return f"less than {settings.min_notice_hours} h notice"
        if s > self.latest:
            return f"more than {settings.horizon_days} days ahead"
        if not schedule.changes and s == self.original:
            return "the appointment's current time"
        busy, places, starts, ends = schedule.busy, schedule.places, schedule.starts, schedule.ends
        for i in range(len(starts)):
            if starts[i] < e and s < ends[i]:
                return f"overlaps {busy.label(i)}"
        touching = [
            i for i in range(len(starts)) if starts[i] <= block.end and ends[i] >= block.start
        ]
        earlier = [i for i in touching if ends[i] <= s]
        later = [i for i in touching if starts[i] >= e]
        if earlier:
            g0 = max(ends[i] for i in earlier)
            origin = max(
                (i for i in earlier if ends[i] == g0), key=lambda i: self._to_site(places[i])
            )
            before, buffer_before = self._to_site(places[origin]), self.buffer
            source, since = f"from {busy.label(origin)}", "after it ends"
        else:
            g0, before, buffer_before = block.start, self._to_site(schedule.home), 0
            source, since = "from home base", "after the day starts"
        if before > self.max_drive:
            return f"drive {before} min > {self.max_drive} max ({source})"
        if later:
            g1 = min(starts[i] for i in later)
            target = max(
                (i for i in later if starts[i] == g1), key=lambda i: self._from_site(places[i])
            )
            after, buffer_after = self._from_site(places[target]), self.buffer
            goal, until = f"to {busy.label(target)}", "before it starts"
        else:
            g1, after, buffer_after = block.end, self._from_site(schedule.home), 0
            goal, until = "to home base", "before the day ends"
        if after > self.max_drive:
            return f"drive {after} min > {self.max_drive} max ({goal})"
        if g0 + buffer_before + before * 60 > s:
            return (
                f"arrives late: drive {before} min {source}{_plus(buffer_before)}, "
                f"only {_minutes(s - g0)} min {since}"
            )
        if e + buffer_after + after * 60 > g1:
            return (
                f"leaves late: drive {after} min {goal}{_plus(buffer_after)}, "
                f"only {_minutes(g1 - e)} min {until}"
            )
        return None

    def _clock(self, epoch: float) -> str:
        return datetime.fromtimestamp(epoch, self.zone).strftime("%H:%M")


# Epoch seconds for many datetimes in one call into pydantic-core: about 3 times faster
# than datetime.timestamp() on each (no Python loop and method call per datetime).
_TO_EPOCH = SchemaSerializer(
    core_schema.list_schema(core_schema.datetime_schema()), {"ser_json_temporal": "seconds"}
)
# Time zones whose offsets are always whole seconds: pydantic's own (a model's parsed ISO
# 8601 text) and the tz database's. A datetime.timezone (what the provider adapters'
# fromisoformat gives) may have a fraction of a second, which pydantic-core would round:
# each one is checked.
_WHOLE_SECOND_ZONES = frozenset({TzInfo, ZoneInfo})


def _epoch_seconds(moments: list[datetime]) -> list[float]:
    """`[m.timestamp() for m in moments]` for aware datetimes, exactly.

    pydantic-core gives the same floats when every offset is a whole number of seconds and
    no datetime has microseconds (each is then a whole number of seconds, exact however it
    is computed); otherwise, or if this pydantic-core converts differently, each datetime
    converts itself.
    """
    if (
        all(map(_whole_second_offsets, set(map(_TZINFO, moments))))
        and not any(map(_MICROSECOND, moments))
        and _bulk_epochs_agree()
    ):
        return cast(list[float], _TO_EPOCH.to_python(moments, mode="json"))
    return [m.timestamp() for m in moments]


def _whole_second_offsets(zone: object) -> bool:
    if type(zone) in _WHOLE_SECOND_ZONES:
        return True
    if type(zone) is timezone:
        offset = zone.utcoffset(None)
        return not offset.microseconds
    return False  # naive, or a tzinfo of another kind: each datetime converts itself


def warm_up() -> None:
    """Runs the engine's first-use checks now (a SnapStart init snapshots them)."""
    _bulk_epochs_agree()


@cache
def _bulk_epochs_agree() -> bool:
    """Whether pydantic-core converts as datetime.timestamp() does (checked on first use, not
    on import: it loads a time zone): a repeated and a missing wall time, either fold, and
    each kind of whole-second zone."""
    try:
        new_york = ZoneInfo("America/New_York")
        probes = [
            datetime(2026, month, day, hour, 30, fold=fold, tzinfo=new_york)
            for month, day, hour in ((11, 1, 1), (3, 8, 2))  # repeated, then missing
            for fold in (0, 1)
        ]
        probes.append(datetime(1969, 12, 31, 23, 59, tzinfo=TzInfo(19800)))
        probes.append(datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5))))
        return bool(_TO_EPOCH.to_python(probes, mode="json") == [p.timestamp() for p in probes])
    except Exception:  # an older pydantic-core, no tz database: keep to datetime.timestamp()
        return False


def _eligible(
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


def _working_blocks(technician: Technician) -> dict[int, list[tuple[time, time]]]:
    """Working hours per weekday, overlapping or touching stretches merged into one."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for hours in sorted(technician.working_hours, key=lambda h: (h.weekday, h.start)):
        spans = by_day.setdefault(hours.weekday, [])
        if spans and hours.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hours.end))
        else:
            spans.append((hours.start, hours.end))
    return by_day


def _make_block(day: date, start: time, end: time, zone: ZoneInfo, slot_minutes: int) -> _Block:
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
    return _Block(day=day, start=bs, end=be, grid=grid)


def _exists(local: datetime) -> bool:
    """Whether a wall time (fold=0) exists: it comes back unchanged from UTC."""
    back = datetime.fromtimestamp(local.timestamp(), local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _label(item: Busy) -> str:
    if isinstance(item, BlockedTime):
        return busy_label(item.id, True, item.reason)
    return busy_label(item.id, False, "")


def columns_of(busy: Sequence[Busy]) -> BusyColumns:
    """Models as the engine's columns (the times exactly `timestamp()`)."""
    return BusyColumns(
        ids=list(map(_ID, busy)),
        blocked=[isinstance(b, BlockedTime) for b in busy],
        # Epoch seconds once per item: float comparisons are far cheaper than datetime
        # ones, and these conversions are the biggest single cost of a search on models.
        starts=_epoch_seconds(list(map(_START, busy))),
        ends=_epoch_seconds(list(map(_END, busy))),
        places=[_point(b.location) for b in busy],
        reasons=[b.reason if isinstance(b, BlockedTime) else "" for b in busy],
    )


def _plus(buffer_seconds: int) -> str:
    return f" + {buffer_seconds // 60} min buffer" if buffer_seconds else ""


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}"
