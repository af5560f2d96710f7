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

The rules live in opening_rules.py; the fast search that applies them in openings_search.py.
This module is the engine's entry points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from reschedule_dispatch.domain.business import BusinessSettings

# The rules and their types, re-exported: callers import the engine from here.
from reschedule_dispatch.domain.opening_rules import (
    EXPLAIN_STEPS,
    POINTS_FOR_ANOTHER_TECHNICIAN,
    POINTS_PER_ADDED_DRIVE_MINUTE,
    POINTS_PER_DAY_FROM_ORIGINAL,
    UNITS_PER_POINT,
    FeasibleOpening,
    OpeningsResult,
    RankedOpening,
    Rejection,
    Schedule,
    TravelLegs,
    broken_rules,
    penalty,
    penalty_units,
    score_of,
    search_window,
)
from reschedule_dispatch.domain.openings_search import (
    Recorder,
    Search,
    columns_of,
    place_key,
    ranked,
    select,
    warm_up,
)
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BusyColumns,
    Leg,
    Point,
    Technician,
)
from reschedule_dispatch.domain.travel import TravelTime

__all__ = [
    "EXPLAIN_STEPS",
    "POINTS_FOR_ANOTHER_TECHNICIAN",
    "POINTS_PER_ADDED_DRIVE_MINUTE",
    "POINTS_PER_DAY_FROM_ORIGINAL",
    "UNITS_PER_POINT",
    "FeasibleOpening",
    "OpeningsResult",
    "RankedOpening",
    "Rejection",
    "Schedule",
    "TravelLegs",
    "broken_rules",
    "columns_of",
    "feasible_openings",
    "find_openings",
    "penalty",
    "penalty_units",
    "rank_openings",
    "score_of",
    "search_window",
    "stop_legs",
    "travel_legs",
    "warm_up",
]


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
    search = Search(appointment, technicians, busy, settings, zone, now, travel)
    candidates, days = search.candidates(per_gap=settings.max_openings)
    chosen = select(candidates, days, settings.max_openings)
    duration = appointment.end - appointment.start
    openings = [ranked(c, duration) for c in chosen]
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
    search = Search(appointment, technicians, busy, settings, zone, now, travel)
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
    return [ranked(c, duration) for c in select(candidates, days, settings.max_openings)]


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
    recorder = Recorder()
    search = Search(appointment, technicians, busy, settings, zone, now, recorder)
    for _ in search.fits():
        pass
    site = search.site
    to_customer = {place_key(a): a for a, b in recorder.asked if place_key(b) == site}
    from_customer = {place_key(b): b for a, b in recorder.asked if place_key(a) == site}
    between = {
        (place_key(a), place_key(b)): (a, b)
        for a, b in recorder.asked
        if place_key(a) != site and place_key(b) != site
    }
    return TravelLegs(
        to_customer=tuple(to_customer.values()),
        from_customer=tuple(from_customer.values()),
        between=tuple(between.values()),
    )
