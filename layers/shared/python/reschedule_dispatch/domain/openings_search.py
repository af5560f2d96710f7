"""The openings engine's fast path: the same rules as opening_rules.py, applied so that work
grows linearly with the number of busy items.

A technician's busy items arrive as columns (`BusyColumns`: epoch seconds and places, no
model per item; the schedule mirror stores them so), or as models whose times become epoch
seconds in one call into pydantic-core per list (exactly `timestamp()`; see
`epoch_seconds`). Per technician and working block, the day's busy items are walked once
into gaps; each gap gets its drives once (cached per location pair for the call) and then
its feasible starts are one contiguous run of the precomputed grid (two bisections). Only
the few starts of a gap that can still be shown are ranked, and pydantic models are built
only for the openings returned.
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
from reschedule_dispatch.domain.opening_rules import (
    DAY_SECONDS,
    EXPLAIN_STEPS,
    POINTS_PER_DAY_FROM_ORIGINAL,
    UNITS_PER_POINT,
    RankedOpening,
    Rejection,
    Schedule,
    WorkingBlock,
    base_units,
    eligible,
    minutes_label,
    plus_label,
    score_of,
    working_block,
    working_blocks,
)
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
)
from reschedule_dispatch.domain.travel import Coordinates, TravelTime

_ID = attrgetter("id")

_START, _END = attrgetter("start"), attrgetter("end")
_TZINFO, _MICROSECOND = attrgetter("tzinfo"), attrgetter("microsecond")


# (penalty units, start epoch seconds, technician id, drive before, drive after, day
# ordinal): tuples sort best first and cost far less than models in the hot loop.
_Candidate = tuple[int, float, str, int, int, int]


def ranked(candidate: _Candidate, duration: timedelta) -> RankedOpening:
    start = datetime.fromtimestamp(candidate[1], UTC)
    return RankedOpening(
        start=start,
        end=start + duration,
        technician_id=candidate[2],
        drive_minutes_before=candidate[3],
        drive_minutes_after=candidate[4],
        score=score_of(candidate[0] / UNITS_PER_POINT),
    )


def select(candidates: list[_Candidate], days: int, limit: int) -> list[_Candidate]:
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
    blocks: list[WorkingBlock]


@dataclass(frozen=True, slots=True)
class _Fit:
    drive_before: int
    drive_after: int
    added: int
    first: int  # grid[first:stop] are the feasible starts (the current time aside)
    stop: int


class Recorder:
    """A travel port that takes no time and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[Coordinates, Coordinates]] = []

    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        self.asked.append((origin, destination))
        return 0


def place_key(place: Coordinates) -> Point:
    return (place.lat, place.lon)


def _point(place: Coordinates | None) -> Point | None:
    return None if place is None else (place.lat, place.lon)


class Search:
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
        self.latest = now.timestamp() + settings.horizon_days * DAY_SECONDS
        self.buffer = settings.buffer_minutes * 60
        self.max_drive = settings.max_drive_minutes
        first = datetime.fromtimestamp(self.earliest, zone).date()
        last = datetime.fromtimestamp(self.latest, zone).date()
        self.dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        self._grids: dict[tuple[date, time, time], WorkingBlock] = {}
        self._blocks_by_hours: dict[tuple[tuple[int, time, time], ...], list[WorkingBlock]] = {}
        # Drives asked for in this call, by coordinates: to the customer, from the
        # customer, and between two stops.
        self._drives: dict[Leg, int] = {}
        self.schedules = [
            self._schedule(t, busy.get(t.id, ()))
            for t in eligible(appointment, technicians, settings)
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

    def _blocks(self, technician: Technician) -> list[WorkingBlock]:
        """The technician's working blocks in the window, shared by every technician with
        the same working hours (most of a business): built once per call for each."""
        key = tuple([(h.weekday, h.start, h.end) for h in technician.working_hours])
        blocks = self._blocks_by_hours.get(key)
        if blocks is None:
            weekly = working_blocks(technician)
            blocks = self._blocks_by_hours[key] = [
                self._block(day, start, end)
                for day in self.dates
                for start, end in weekly.get(day.weekday(), ())
            ]
        return blocks

    def _blocks_on(self, technician: Technician, moment: float) -> list[WorkingBlock]:
        """The technician's working blocks on the local day of `moment`."""
        day = datetime.fromtimestamp(moment, self.zone).date()
        hours = working_blocks(technician).get(day.weekday(), ())
        return [self._block(day, start, end) for start, end in hours]

    def _block(self, day: date, start: time, end: time) -> WorkingBlock:
        key = (day, start, end)
        block = self._grids.get(key)
        if block is None:
            block = self._grids[key] = working_block(
                day, start, end, self.zone, self.settings.slot_minutes
            )
        return block

    # -- walking -----------------------------------------------------------------------

    def fits(self) -> Iterator[tuple[_Schedule, WorkingBlock, _Fit]]:
        for schedule in self.schedules:
            for block, fit in self._schedule_fits(schedule):
                yield schedule, block, fit

    def _schedule_fits(self, schedule: _Schedule) -> list[tuple[WorkingBlock, _Fit]]:
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
        found: list[tuple[WorkingBlock, _Fit]] = []
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
            base = base_units(fit.added, schedule.changes)
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

    def why_not(self, schedule: _Schedule, block: WorkingBlock, s: float) -> str | None:
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
                f"arrives late: drive {before} min {source}{plus_label(buffer_before)}, "
                f"only {minutes_label(s - g0)} min {since}"
            )
        if e + buffer_after + after * 60 > g1:
            return (
                f"leaves late: drive {after} min {goal}{plus_label(buffer_after)}, "
                f"only {minutes_label(g1 - e)} min {until}"
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


def epoch_seconds(moments: list[datetime]) -> list[float]:
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


def columns_of(busy: Sequence[Busy]) -> BusyColumns:
    """Models as the engine's columns (the times exactly `timestamp()`)."""
    return BusyColumns(
        ids=list(map(_ID, busy)),
        blocked=[isinstance(b, BlockedTime) for b in busy],
        # Epoch seconds once per item: float comparisons are far cheaper than datetime
        # ones, and these conversions are the biggest single cost of a search on models.
        starts=epoch_seconds(list(map(_START, busy))),
        ends=epoch_seconds(list(map(_END, busy))),
        places=[_point(b.location) for b in busy],
        reasons=[b.reason if isinstance(b, BlockedTime) else "" for b in busy],
    )
