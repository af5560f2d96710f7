from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import TzInfo

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.openings import (
    FeasibleOpening,
    OpeningsResult,
    columns_of,
    feasible_openings,
    find_openings,
    penalty,
    penalty_units,
    rank_openings,
    score_of,
    search_window,
    stop_legs,
    travel_legs,
)
from reschedule_dispatch.domain.openings_search import (
    _bulk_epochs_agree,
    _whole_second_offsets,
    epoch_seconds,
)
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BlockedTime,
    Busy,
    Location,
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.travel import Coordinates, HaversineTravelTime
from tests.builders import NOW, appointment, technician
from tests.unit.domain.openings_reference import reference_openings

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")

HOME = Location(address="home", lat=41.88, lon=-87.63)
CUSTOMER = Location(address="customer", lat=41.90, lon=-87.65)
NEAR = Location(address="near", lat=41.91, lon=-87.66)
FAR = Location(address="far", lat=42.30, lon=-88.10)


# The engine hands the travel port coordinates, not the Location it was given: by name here.
NAMED = {(place.lat, place.lon): place.address for place in (HOME, CUSTOMER, NEAR, FAR)}


class TableTravel:
    """Drive minutes from a table keyed by place name (either direction), 0 if not listed."""

    def __init__(self, table: dict[tuple[str, str], int], places: Sequence[Location] = ()) -> None:
        self._table = {**table, **{(b, a): m for (a, b), m in table.items()}}
        self._named = {**NAMED, **{(p.lat, p.lon): p.address for p in places}}
        self.asked: list[tuple[str, str]] = []

    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        names = (_name(origin, self._named), _name(destination, self._named))
        self.asked.append(names)
        return self._table.get(names, 0)


def _name(place: Coordinates, named: dict[tuple[float, float], str] = NAMED) -> str:
    return named[(place.lat, place.lon)]


NO_DRIVES = TableTravel({})


def _local(day: int, hour: int, minute: int = 0, zone: ZoneInfo = CHICAGO) -> datetime:
    """A wall-clock time on 2026-11-<day> (Monday 23rd is NOW's day in Chicago)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


def _settings(**changes: object) -> BusinessSettings:
    values: dict[str, object] = {"min_notice_hours": 0, "horizon_days": 4, "max_openings": 50}
    values.update(changes)
    return BusinessSettings.model_validate(values)


def _tech(home_base: Location | None = None, **changes: object) -> Technician:
    """The builders' technician (8-17 on weekdays), with no home base unless given."""
    return technician(**changes).model_copy(update={"home_base": home_base})


def _blocked(
    start: datetime,
    minutes: int,
    id: str = "blocked-1",
    reason: str = "",
    location: Location | None = None,
) -> BlockedTime:
    return BlockedTime(
        id=id,
        business_id="acme",
        technician_id="tech-1",
        start=start,
        end=start + timedelta(minutes=minutes),
        reason=reason,
        location=location,
    )


def _run(
    moving: Appointment,
    busy: Sequence[Busy] | Mapping[str, Sequence[Busy]] | None = None,
    *,
    technicians: list[Technician] | None = None,
    settings_: BusinessSettings | None = None,
    travel: TableTravel | HaversineTravelTime = NO_DRIVES,
    zone: ZoneInfo = CHICAGO,
    now: datetime = NOW,
    explain: bool = False,
) -> OpeningsResult:
    techs = technicians if technicians is not None else [_tech()]
    by_tech = busy if isinstance(busy, Mapping) else {techs[0].id: list(busy or [])}
    return find_openings(
        moving, techs, by_tech, settings_ or _settings(), zone, now, travel, explain=explain
    )


def _starts(result: OpeningsResult, technician_id: str = "tech-1") -> set[datetime]:
    return {o.start for o in result.openings if o.technician_id == technician_id}


def _all(
    moving: Appointment,
    busy: Sequence[Busy] | None = None,
    *,
    technicians: list[Technician] | None = None,
    settings_: BusinessSettings | None = None,
    travel: TableTravel | HaversineTravelTime = NO_DRIVES,
    zone: ZoneInfo = CHICAGO,
    now: datetime = NOW,
) -> list[FeasibleOpening]:
    techs = technicians if technicians is not None else [_tech()]
    return feasible_openings(
        moving, techs, {techs[0].id: list(busy or [])}, settings_ or _settings(), zone, now, travel
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# --- the day, notice and horizon ---------------------------------------------------------


def test_openings_respect_notice_hours_and_the_technicians_day():
    # Given a one-hour job on Wednesday and a technician who works 8-17 on weekdays
    moving = appointment(_local(25, 10))
    settings_ = _settings(min_notice_hours=24, horizon_days=3)
    # When openings are computed on Monday 9:00
    result = _run(moving, settings_=settings_)
    # Then none is before Tuesday 9:00, each fits in 8-17 local, and the current time is absent
    assert result.openings
    for opening in result.openings:
        local_start = opening.start.astimezone(CHICAGO)
        local_end = opening.end.astimezone(CHICAGO)
        assert opening.start >= NOW + timedelta(hours=24)
        assert local_start.hour >= 8
        assert (local_end.hour, local_end.minute) <= (17, 0)
        assert local_start.weekday() < 5
        assert opening.end - opening.start == timedelta(hours=1)
        assert opening.start.tzinfo == UTC
    assert _utc(moving.start) not in _starts(result)
    every = _all(moving, settings_=settings_)
    assert every[0].start == _utc(_local(24, 9))


def test_nothing_starts_beyond_the_horizon():
    # Given a two-day horizon from Monday 9:00
    moving = appointment(_local(24, 10))
    # When every feasible opening is listed
    every = _all(moving, settings_=_settings(horizon_days=2))
    # Then the last one starts no later than Wednesday 9:00
    assert max(o.start for o in every) == _utc(_local(25, 9))
    # And drives do not move that bound: it is about the start, not the arrival home
    travel = TableTravel({("home", "customer"): 20})
    driving = _all(
        moving,
        technicians=[_tech(home_base=HOME)],
        travel=travel,
        settings_=_settings(horizon_days=2),
    )
    assert max(o.start for o in driving) == _utc(_local(25, 9))


def test_the_whole_service_fits_in_the_working_hours_and_split_shifts_are_not_bridged():
    # Given a technician working 8-12 and 13-17 on Tuesday, and 8-12 + 12-15 (touching) Wednesday
    hours = (
        WorkingHours(weekday=1, start=time(8), end=time(12)),
        WorkingHours(weekday=1, start=time(13), end=time(17)),
        WorkingHours(weekday=2, start=time(8), end=time(12)),
        WorkingHours(weekday=2, start=time(12), end=time(15)),
    )
    moving = appointment(_local(27, 10), minutes=120)
    # When openings for a two-hour job are listed
    starts = {o.start for o in _all(moving, technicians=[_tech(working_hours=hours)])}
    # Then it never spans Tuesday's lunch gap, but may span Wednesday's touching blocks
    assert _utc(_local(24, 10)) in starts
    assert _utc(_local(24, 11)) not in starts
    assert _utc(_local(24, 13)) in starts
    assert _utc(_local(24, 15, 30)) not in starts
    assert _utc(_local(25, 11)) in starts
    assert _utc(_local(25, 13)) in starts
    assert _utc(_local(25, 13, 30)) not in starts


def test_the_grid_starts_at_the_working_hours_and_steps_by_the_slot():
    # Given hours from 8:15 and a 45-minute slot
    hours = (WorkingHours(weekday=1, start=time(8, 15), end=time(11)),)
    moving = appointment(_local(27, 10), minutes=30)
    settings_ = _settings(slot_minutes=45)
    # When openings are listed
    starts = [
        o.start for o in _all(moving, technicians=[_tech(working_hours=hours)], settings_=settings_)
    ]
    # Then they are 8:15, 9:00, 9:45 and 10:30
    assert starts == [_utc(_local(24, h, m)) for h, m in ((8, 15), (9, 0), (9, 45), (10, 30))]


def test_no_more_than_the_maximum_is_offered():
    # Given a free week and a business that shows five openings
    moving = appointment(_local(25, 10))
    # Then five are shown
    assert len(_run(moving, settings_=_settings(max_openings=5)).openings) == 5


# --- busy time and the appointment's own slot --------------------------------------------


def test_other_appointments_block_but_the_one_moving_does_not():
    # Given the technician is busy Tuesday 10-12 and the job moves from Tuesday 13:00
    moving = appointment(_local(24, 13), id="moving")
    busy = appointment(_local(24, 10), minutes=120, id="busy", customer_id="other")
    # When every opening is listed (the moved appointment is in the busy list too)
    starts = {o.start for o in _all(moving, [busy, moving], settings_=_settings(horizon_days=2))}
    # Then nothing overlaps 10-12; 12:00, 12:30 and 13:30 (overlapping or next to its own
    # current slot) are offered, but never 13:00 itself
    assert _utc(_local(24, 9, 30)) not in starts
    assert _utc(_local(24, 10)) not in starts
    assert _utc(_local(24, 11, 30)) not in starts
    assert _utc(_local(24, 9)) in starts
    assert _utc(_local(24, 12)) in starts
    assert _utc(_local(24, 12, 30)) in starts
    assert _utc(_local(24, 13, 30)) in starts
    assert _utc(_local(24, 14)) in starts
    assert _utc(_local(24, 13)) not in starts


def test_blocked_time_blocks():
    # Given a lunch blocked 12-13 on Tuesday
    moving = appointment(_local(26, 10))
    lunch = _blocked(_local(24, 12), 60, reason="Lunch")
    # When openings are listed
    starts = {o.start for o in _all(moving, [lunch], settings_=_settings(horizon_days=2))}
    # Then the hour job can end at 12 or start at 13, but not overlap
    assert {_utc(_local(24, 11)), _utc(_local(24, 13))} <= starts
    assert _utc(_local(24, 11, 30)) not in starts
    assert _utc(_local(24, 12, 30)) not in starts


def test_the_current_time_with_another_technician_is_an_opening():
    # Given changes are allowed and a second technician is free at the current time
    moving = appointment(_local(24, 10))
    other = _tech(id="tech-2", name="Sam Lee")
    result = _all(
        moving,
        technicians=[_tech(), other],
        settings_=_settings(allow_technician_change=True),
    )
    # Then 10:00 Tuesday is offered with tech-2 but not with tech-1
    at_ten = {o.technician_id for o in result if o.start == _utc(moving.start)}
    assert at_ten == {"tech-2"}


# --- technicians ------------------------------------------------------------------------


def test_only_the_current_technician_unless_changes_are_allowed():
    moving = appointment(_local(25, 10))
    techs = [_tech(), _tech(id="tech-2"), _tech(id="tech-3", services=("Water heater",))]
    busy: dict[str, list[Busy]] = {}
    # Given changes are not allowed
    result = _run(moving, busy, technicians=techs, settings_=_settings(max_openings=50))
    # Then only tech-1 appears
    assert {o.technician_id for o in result.openings} == {"tech-1"}
    # Given changes are allowed
    allowed = _settings(max_openings=50, allow_technician_change=True)
    every = feasible_openings(moving, techs, busy, allowed, CHICAGO, NOW, NO_DRIVES)
    # Then tech-2 appears too, but not tech-3, who does not do drain cleaning
    assert {o.technician_id for o in every} == {"tech-1", "tech-2"}


def test_the_current_technician_is_kept_even_if_the_provider_lists_other_services():
    # Given the provider lists other services for the appointment's own technician
    moving = appointment(_local(25, 10))
    current = _tech(services=("Water heater",))
    # Then they still get openings: it is already their job
    assert _run(moving, technicians=[current]).openings


# --- drives -----------------------------------------------------------------------------


def test_the_technician_must_arrive_in_time_from_the_previous_job():
    # Given a job ending 10:00 at NEAR, 20 minutes from the customer
    moving = appointment(_local(26, 10), location=CUSTOMER)
    before = appointment(_local(24, 9), id="before", location=NEAR)
    travel = TableTravel({("near", "customer"): 20})
    # When openings are listed with no buffer, then with a 15-minute buffer
    plain = {o.start for o in _all(moving, [before], travel=travel)}
    buffered = {
        o.start
        for o in _all(moving, [before], travel=travel, settings_=_settings(buffer_minutes=15))
    }
    # Then 10:00 is too early, 10:30 fits; with the buffer 10:30 is too early, 11:00 fits
    assert _utc(_local(24, 10)) not in plain
    assert _utc(_local(24, 10, 30)) in plain
    assert _utc(_local(24, 10, 30)) not in buffered
    assert _utc(_local(24, 11)) in buffered


def test_the_technician_must_reach_the_next_job_in_time():
    # Given a job starting 12:00 at NEAR, 20 minutes from the customer, and a 10-minute buffer
    moving = appointment(_local(26, 10), location=CUSTOMER)
    after = appointment(_local(24, 12), id="after", location=NEAR)
    travel = TableTravel({("near", "customer"): 20})
    starts = {
        o.start
        for o in _all(moving, [after], travel=travel, settings_=_settings(buffer_minutes=10))
    }
    # Then the hour job may start at 10:30 (ends 11:30, +10 buffer +20 drive = 12:00), not 11:00
    assert _utc(_local(24, 10, 30)) in starts
    assert _utc(_local(24, 11)) not in starts


def test_a_drive_longer_than_the_maximum_is_rejected_on_either_side():
    # Given jobs at FAR (45 min from the customer) 9-10 and 15-16 Tuesday, a 30-minute limit
    moving = appointment(_local(26, 10), location=CUSTOMER)
    busy: list[Busy] = [
        appointment(_local(24, 9), id="far-before", location=FAR),
        appointment(_local(24, 15), id="far-after", location=FAR),
    ]
    travel = TableTravel({("far", "customer"): 45})
    # When every opening is listed
    every = _all(moving, busy, travel=travel)
    # Then Tuesday has none (every gap borders a far job), while Wednesday is open
    assert not [o for o in every if o.start.astimezone(CHICAGO).day == 24]
    assert _utc(_local(25, 12)) in {o.start for o in every}
    # And a limit of 45 minutes lets Tuesday in: 10:45 at the earliest, so 11:00 on the grid
    relaxed = _all(moving, busy, travel=travel, settings_=_settings(max_drive_minutes=45))
    tuesday = sorted(o.start for o in relaxed if o.start.astimezone(CHICAGO).day == 24)
    assert tuesday[0] == _utc(_local(24, 11))
    assert tuesday[-1] == _utc(_local(24, 13))


def test_a_job_ending_as_the_day_starts_is_the_previous_stop():
    # Given an early job at FAR (45 min away) from 7:00 to 8:00, before the 8-17 working hours
    moving = appointment(_local(26, 10), location=CUSTOMER)
    early = appointment(_local(24, 7), id="early", location=FAR)
    travel = TableTravel({("far", "customer"): 25})
    starts = {
        o.start for o in _all(moving, [early], technicians=[_tech(home_base=HOME)], travel=travel)
    }
    # Then the day continues from FAR, not from home (0 min away): 8:30 is the first start
    assert _utc(_local(24, 8)) not in starts
    assert _utc(_local(24, 8, 30)) in starts
    # While a job ending before the working hours begin is not a stop of that day: ending
    # at 7:50, 25 minutes away, it would otherwise push the first start past 8:00
    earlier = appointment(_local(24, 6, 50), id="earlier", location=FAR)
    assert _utc(_local(24, 8)) in {o.start for o in _all(moving, [earlier], travel=travel)}


def test_stops_ending_or_starting_at_the_same_moment_must_all_be_reachable():
    # Given a meeting at NEAR and a job at FAR (40 min away) both ending Tuesday 10:00,
    # and both a job at FAR and a meeting at NEAR starting Wednesday 15:00
    moving = appointment(_local(27, 10), location=CUSTOMER)
    busy: list[Busy] = [
        _blocked(_local(24, 9), 60, id="near-meeting", location=NEAR),
        appointment(_local(24, 9, 30), minutes=30, id="far-before", location=FAR),
        appointment(_local(25, 15), id="far-after", location=FAR),
        _blocked(_local(25, 15), 30, id="near-after", location=NEAR),
    ]
    travel = TableTravel({("far", "customer"): 40, ("near", "customer"): 5})
    # When openings are listed with a 45-minute limit
    every = _all(moving, busy, travel=travel, settings_=_settings(max_drive_minutes=45))
    at = {o.start: o for o in every}
    # Then Tuesday's first start after 10:00 allows for the longer drive: 11:00, not 10:30
    assert _utc(_local(24, 10, 30)) not in at
    assert at[_utc(_local(24, 11))].drive_minutes_before == 40
    # And Wednesday's last start before 15:00 too: 13:00 (ends 14:00 + 40 min), not 13:30
    assert _utc(_local(25, 13, 30)) not in at
    assert at[_utc(_local(25, 13))].drive_minutes_after == 40


def test_added_drive_is_the_detour_from_the_direct_drive_between_the_stops():
    # Given jobs at NEAR and FAR both ending Tuesday 10:00 and one at NEAR2 from 13:00
    near2 = Location(address="near2", lat=41.92, lon=-87.67)
    moving = appointment(_local(27, 10), location=CUSTOMER)
    busy: list[Busy] = [
        _blocked(_local(24, 9), 60, id="near-meeting", location=NEAR),
        appointment(_local(24, 9, 30), minutes=30, id="far-before", location=FAR),
        appointment(_local(24, 13), id="near2-after", location=near2),
    ]
    travel = TableTravel(
        {
            ("far", "customer"): 40,
            ("near", "customer"): 5,
            ("near2", "customer"): 5,
            ("far", "near2"): 35,
        },
        places=[near2],
    )
    every = _all(moving, busy, travel=travel, settings_=_settings(max_drive_minutes=45))
    opening = next(o for o in every if o.start == _utc(_local(24, 11)))
    # Then it adds 40 in + 5 out - 35 direct (the longest between the stops) = 10 minutes
    assert (opening.drive_minutes_before, opening.drive_minutes_after) == (40, 5)
    assert opening.added_drive_minutes == 10


def test_the_day_starts_and_ends_at_the_home_base():
    # Given a home base 20 minutes from the customer
    moving = appointment(_local(26, 10), location=CUSTOMER)
    travel = TableTravel({("home", "customer"): 20})
    starts = {o.start for o in _all(moving, technicians=[_tech(home_base=HOME)], travel=travel)}
    # Then the first start is 8:30 (leave at 8:00), and the last ends by 16:40 (home by 17:00)
    assert _utc(_local(24, 8)) not in starts
    assert _utc(_local(24, 8, 30)) in starts
    assert _utc(_local(24, 15, 30)) in starts
    assert _utc(_local(24, 16)) not in starts


def test_the_buffer_applies_between_jobs_not_at_the_home_base():
    # Given a 15-minute buffer and a home base 0 minutes away
    moving = appointment(_local(26, 10), location=CUSTOMER)
    starts = {
        o.start
        for o in _all(
            moving, technicians=[_tech(home_base=HOME)], settings_=_settings(buffer_minutes=15)
        )
    }
    # Then the day's first and last slots are still offered
    assert {_utc(_local(24, 8)), _utc(_local(24, 16))} <= starts


def test_a_missing_place_counts_as_no_drive():
    # Given stops FAR away in the table, but a home base, a blocked time and a customer
    # without locations in turn
    travel = TableTravel({("far", "customer"): 90, ("home", "customer"): 90})
    far_job = appointment(_local(24, 9), id="far", location=FAR)
    # When the customer has no address
    no_address = appointment(_local(26, 10))
    starts = {
        o.start
        for o in _all(no_address, [far_job], technicians=[_tech(home_base=HOME)], travel=travel)
    }
    # Then every drive is 0: right after the far job, and at 8:00 from home
    assert _utc(_local(24, 10)) in starts
    assert _utc(_local(25, 8)) in starts
    # When the technician has no home base, the day starts where the first job is
    moving = appointment(_local(26, 10), location=CUSTOMER)
    assert _utc(_local(25, 8)) in {o.start for o in _all(moving, travel=travel)}
    # When the previous stop is a blocked time without a place, that leg is 0 minutes too
    meeting = _blocked(_local(24, 9), 60)
    starts = {o.start for o in _all(moving, [meeting], travel=travel)}
    assert _utc(_local(24, 10)) in starts


def test_drive_minutes_are_reported_and_asked_once_per_pair():
    # Given a job at NEAR ending 10:00 and home 20 minutes away
    moving = appointment(_local(26, 10), location=CUSTOMER)
    travel = TableTravel({("near", "customer"): 12, ("home", "customer"): 20, ("near", "home"): 25})
    busy = [appointment(_local(24, 9), id="near", location=NEAR)]
    every = _all(moving, busy, technicians=[_tech(home_base=HOME)], travel=travel)
    after_near = next(o for o in every if o.start == _utc(_local(24, 10, 30)))
    # Then the opening after it drives 12 minutes in and 20 home, adding 12 + 20 - 25 = 7
    assert (after_near.drive_minutes_before, after_near.drive_minutes_after) == (12, 20)
    assert after_near.added_drive_minutes == 7
    # And the travel port was asked each pair at most once
    assert max(Counter(travel.asked).values()) == 1


# --- DST --------------------------------------------------------------------------------


def _night_shift(weekday: int, end: int) -> Technician:
    return _tech(working_hours=(WorkingHours(weekday=weekday, start=time(0), end=time(end)),))


def _walls(openings: list[FeasibleOpening], zone: ZoneInfo) -> list[str]:
    return [o.start.astimezone(zone).strftime("%H:%M%z") for o in openings]


@pytest.mark.parametrize(
    ("zone", "day", "missing"),
    [
        (NEW_YORK, datetime(2026, 3, 8), ("02:00", "02:30")),
        (BERLIN, datetime(2026, 3, 29), ("02:00", "02:30")),
    ],
)
def test_spring_forward_skips_the_missing_hour_and_nothing_else(zone, day, missing):
    # Given a Sunday 0:00-6:00 shift on the day clocks jump from 2:00 to 3:00
    moving = appointment(day.replace(tzinfo=zone) + timedelta(days=2, hours=10), minutes=30)
    now = day.replace(tzinfo=zone) - timedelta(hours=6)
    every = _all(
        moving,
        technicians=[_night_shift(6, 6)],
        zone=zone,
        now=now,
        settings_=_settings(horizon_days=1),
    )
    walls = [w[:5] for w in _walls(every, zone)]
    # Then every wall-clock slot but 2:00 and 2:30 is offered once, 30 real minutes apart
    assert walls == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "03:00",
        "03:30",
        "04:00",
        "04:30",
        "05:00",
        "05:30",
    ]
    assert not set(missing) & set(walls)
    gaps = {b.start - a.start for a, b in pairwise(every)}
    assert gaps == {timedelta(minutes=30)}


@pytest.mark.parametrize(
    ("zone", "day", "repeated", "summer"),
    [
        (NEW_YORK, datetime(2026, 11, 1), ("01:00", "01:30"), "-0400"),
        (BERLIN, datetime(2026, 10, 25), ("02:00", "02:30"), "+0200"),
    ],
)
def test_fall_back_offers_the_repeated_hour_once(zone, day, repeated, summer):
    # Given a Sunday 0:00-4:00 shift on the day clocks go back an hour
    moving = appointment(day.replace(tzinfo=zone) + timedelta(days=2, hours=10), minutes=30)
    now = day.replace(tzinfo=zone) - timedelta(hours=6)
    every = _all(
        moving,
        technicians=[_night_shift(6, 4)],
        zone=zone,
        now=now,
        settings_=_settings(horizon_days=1),
    )
    walls = _walls(every, zone)
    # Then the eight wall-clock slots appear once each; the repeated ones at their first pass
    assert [w[:5] for w in walls] == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "02:00",
        "02:30",
        "03:00",
        "03:30",
    ]
    for wall in repeated:
        assert [w for w in walls if w.startswith(wall)] == [wall + summer]
    assert len({o.start for o in every}) == 8


def test_a_job_across_spring_forward_takes_real_time():
    # Given a 0:00-4:00 shift on spring-forward Sunday in New York: three real hours
    day = datetime(2026, 3, 8)
    now = day.replace(tzinfo=NEW_YORK) - timedelta(hours=6)
    kwargs = {
        "technicians": [_night_shift(6, 4)],
        "zone": NEW_YORK,
        "now": now,
        "settings_": _settings(horizon_days=1),
    }
    three = appointment(day.replace(tzinfo=NEW_YORK) + timedelta(days=2, hours=10), minutes=180)
    longer = appointment(day.replace(tzinfo=NEW_YORK) + timedelta(days=2, hours=10), minutes=210)
    # Then a three-hour job fits only at midnight, and a 3.5-hour job does not fit at all
    assert _walls(_all(three, **kwargs), NEW_YORK) == ["00:00-0500"]  # type: ignore[arg-type]
    assert _all(longer, **kwargs) == []  # type: ignore[arg-type]


def test_a_dst_day_keeps_wall_clock_hours():
    # Given a business in Chicago on the day clocks go back (2026-11-01, a Sunday)
    sunday = _tech(working_hours=(WorkingHours(weekday=6, start=time(8), end=time(17)),))
    now = datetime(2026, 10, 31, 12, tzinfo=UTC)
    moving = appointment(datetime(2026, 11, 1, 15, tzinfo=CHICAGO))
    every = _all(moving, technicians=[sunday], now=now, settings_=_settings(horizon_days=2))
    # Then openings still start at 8:00 local, which is 14:00 UTC after the change
    assert every[0].start == datetime(2026, 11, 1, 14, tzinfo=UTC)
    assert every[-1].end.astimezone(CHICAGO).hour == 17


# --- ranking ----------------------------------------------------------------------------


def test_fewer_added_drive_minutes_rank_first():
    # Given a technician who works Tuesday and Wednesday, with a job at NEAR (5 min from the
    # customer) on Tuesday and one at FAR (25 min) on Wednesday, and the job now on Thursday
    hours = tuple(WorkingHours(weekday=d, start=time(8), end=time(17)) for d in (1, 2))
    moving = appointment(_local(26, 10), location=CUSTOMER)
    busy: list[Busy] = [
        appointment(_local(24, 9), id="near", location=NEAR),
        appointment(_local(25, 9), id="far", location=FAR),
    ]
    travel = TableTravel({("near", "customer"): 5, ("far", "customer"): 25})
    # When the two best are shown (one per day)
    result = _run(
        moving,
        busy,
        technicians=[_tech(working_hours=hours)],
        travel=travel,
        settings_=_settings(max_openings=2),
    )
    # Then Tuesday comes first though Wednesday is a day nearer the original
    assert [o.start.astimezone(CHICAGO).day for o in result.openings] == [24, 25]
    assert result.openings[0].score > result.openings[1].score


def test_the_same_technician_is_preferred():
    # Given two technicians free Wednesday 9-11 only, changes allowed, the job now at 10:00
    hours = (WorkingHours(weekday=2, start=time(9), end=time(11)),)
    techs = [_tech(id="tech-2", working_hours=hours), _tech(working_hours=hours)]
    moving = appointment(_local(25, 10))
    settings_ = _settings(allow_technician_change=True, max_openings=5)
    # When the openings are ranked
    result = _run(moving, {}, technicians=techs, settings_=settings_)
    # Then the current technician's two come first, and even tech-2 at the current time
    # scores as 30 points of penalty
    assert [
        (o.technician_id, o.start.astimezone(CHICAGO).strftime("%H:%M")) for o in result.openings
    ] == [
        ("tech-1", "09:30"),
        ("tech-1", "09:00"),
        ("tech-2", "10:00"),
        ("tech-2", "09:30"),
        ("tech-2", "09:00"),
    ]
    assert result.openings[0].score == score_of(5 * 0.5 / 24)
    assert result.openings[2].score == score_of(30)


def test_times_near_the_original_are_preferred():
    # Given a free technician and a job currently Wednesday 10:00
    moving = appointment(_local(25, 10))
    # When every feasible opening is ranked, and when three are shown
    every = feasible_openings(moving, [_tech()], {}, _settings(), CHICAGO, NOW, NO_DRIVES)
    ranked = rank_openings(every, moving, _settings(), CHICAGO)
    shown = _run(moving, settings_=_settings(max_openings=3)).openings
    # Then that day's times come nearest first (earlier first on a tie)
    wednesday = [o.start for o in ranked if o.start.astimezone(CHICAGO).day == 25]
    assert wednesday[:4] == [
        _utc(_local(25, h, m)) for h, m in ((9, 30), (10, 30), (9, 0), (11, 0))
    ]
    # And with one per day, the nearest days' nearest times: Wednesday, Tuesday 16:00, Thursday 8:00
    assert [o.start for o in shown] == [
        _utc(_local(25, 9, 30)),
        _utc(_local(24, 16)),
        _utc(_local(26, 8)),
    ]


def test_the_score_formula():
    # Given an opening one day after the original with 10 added drive minutes, same technician
    moving = appointment(_local(24, 10), location=CUSTOMER)
    travel = TableTravel({("home", "customer"): 5})
    settings_ = _settings(max_openings=50)
    result = _run(moving, technicians=[_tech(home_base=HOME)], travel=travel, settings_=settings_)
    opening = next(o for o in result.openings if o.start == _utc(_local(25, 10)))
    # Then penalty = 10 x 1 + 0 + 1 day x 5 = 15 and the score is 100 / 1.15
    assert opening.score == round(100 / 1.15, 2) == 86.96
    assert (opening.drive_minutes_before, opening.drive_minutes_after) == (5, 5)


def test_openings_are_spread_across_days():
    # Given a free week (Monday to Thursday in the horizon) and six openings to show
    moving = appointment(_local(25, 10))
    result = _run(moving, settings_=_settings(max_openings=6, horizon_days=3, min_notice_hours=0))
    days = Counter(o.start.astimezone(CHICAGO).day for o in result.openings)
    # Then 4 days have openings, so no day gets more than ceil(6 / 4) = 2
    assert max(days.values()) <= math.ceil(6 / 4)
    assert sum(days.values()) == 6


def test_a_day_with_few_openings_leaves_its_share_to_the_others():
    # Given Tuesday is free only 8-9 and Wednesday and Thursday are free all day
    moving = appointment(_local(25, 10))
    busy = [appointment(_local(24, 9), minutes=8 * 60, id="long")]
    now = _local(24, 7).astimezone(UTC)
    settings_ = _settings(max_openings=6, horizon_days=2)
    result = _run(moving, busy, settings_=settings_, now=now)
    days = Counter(o.start.astimezone(CHICAGO).day for o in result.openings)
    # Then Tuesday gives its one, and the other five come from the two full days
    assert days[24] == 1
    assert sum(days.values()) == 6
    assert days[25] + days[26] == 5


def test_a_day_whose_only_free_time_is_the_current_slot_has_no_share():
    # Given a technician working Tuesday to Thursday, whose Tuesday is full but for the
    # appointment's own current slot (10-11), and six openings to show
    hours = tuple(WorkingHours(weekday=d, start=time(8), end=time(17)) for d in (1, 2, 3))
    moving = appointment(_local(24, 10), id="moving")
    busy: list[Busy] = [
        appointment(_local(24, 8), minutes=120, id="morning"),
        appointment(_local(24, 11), minutes=360, id="afternoon"),
        moving,
    ]
    result = _run(
        moving, busy, technicians=[_tech(working_hours=hours)], settings_=_settings(max_openings=6)
    )
    days = Counter(o.start.astimezone(CHICAGO).day for o in result.openings)
    # Then two days have openings, so each gets ceil(6 / 2) = 3
    assert days == {25: 3, 26: 3}


def test_openings_are_best_first():
    # Given two technicians with different home bases and real (haversine) drives
    moving = appointment(_local(25, 10), location=CUSTOMER)
    techs = [_tech(home_base=HOME), _tech(id="tech-2", home_base=NEAR)]
    result = _run(
        moving,
        {},
        technicians=techs,
        travel=HaversineTravelTime(),
        settings_=_settings(allow_technician_change=True, max_openings=12),
    )
    # Then the scores never go up down the list
    scores = [o.score for o in result.openings]
    assert scores == sorted(scores, reverse=True)


# --- explain ----------------------------------------------------------------------------


def test_explain_names_the_rule_each_nearby_rejected_time_broke():
    # Given, on the job's day, a meeting 9:00-9:30 and a job at FAR (52 min away) from 11:30
    moving = appointment(_local(25, 10), location=CUSTOMER)
    busy: list[Busy] = [
        appointment(_local(25, 11, 30), id="far", location=FAR),
        _blocked(_local(25, 9), 30, id="meeting", reason="Team meeting"),
    ]
    travel = TableTravel({("far", "customer"): 52})
    result = _run(moving, busy, travel=travel, explain=True, settings_=_settings(max_openings=6))
    reasons = {r.start.astimezone(CHICAGO).strftime("%d %H:%M"): r.reason for r in result.rejected}
    # When the openings are found with explain
    # Then the current time, the overlaps and the long drive are each explained
    assert reasons["25 10:00"] == "the appointment's current time"
    assert reasons["25 09:00"] == "overlaps blocked time meeting (Team meeting)"
    assert reasons["25 11:00"] == "overlaps appointment far"
    assert reasons["25 09:30"] == "drive 52 min > 30 max (to appointment far)"
    assert reasons["25 10:30"] == "drive 52 min > 30 max (to appointment far)"
    # And no rejected time is among the openings
    shown = {(o.start, o.technician_id) for o in result.openings}
    assert not shown & {(r.start, r.technician_id) for r in result.rejected}


def test_explain_reports_too_little_time_and_notice():
    # Given a job at NEAR 12-13 Tuesday (20 min away), a 10-minute buffer, 24 h notice from
    # Monday 11:00, and the job now Tuesday 10:00
    moving = appointment(_local(24, 10), location=CUSTOMER)
    busy = [appointment(_local(24, 12), id="near", location=NEAR)]
    travel = TableTravel({("near", "customer"): 20})
    now = _local(23, 11).astimezone(UTC)
    settings_ = _settings(min_notice_hours=24, buffer_minutes=10, max_openings=4)
    # When the openings are found with explain
    result = _run(moving, busy, travel=travel, now=now, explain=True, settings_=settings_)
    reasons = {r.start.astimezone(CHICAGO).strftime("%d %H:%M"): r.reason for r in result.rejected}
    # Then Tuesday 13:30 is shown, and the times around it and the current one are explained
    assert _utc(_local(24, 13, 30)) in _starts(result)
    assert reasons["24 09:30"] == "less than 24 h notice"
    assert reasons["24 11:00"] == (
        "leaves late: drive 20 min to appointment near + 10 min buffer, only 0 min before it starts"
    )
    assert reasons["24 12:30"] == "overlaps appointment near"
    assert reasons["24 13:00"] == (
        "arrives late: drive 20 min from appointment near + 10 min buffer, only 0 min after it ends"
    )


def test_explain_reports_the_drives_from_and_to_the_home_base():
    # Given a home base 20 minutes from the customer, and the job now Tuesday 8:30
    travel = TableTravel({("home", "customer"): 20})
    techs = [_tech(home_base=HOME)]
    early = appointment(_local(24, 8, 30), location=CUSTOMER)
    late = appointment(_local(24, 15, 30), location=CUSTOMER)
    # When the openings are found with explain, for that job and for one at 15:30
    first = _run(early, technicians=techs, travel=travel, explain=True).rejected
    last = _run(late, technicians=techs, travel=travel, explain=True).rejected
    reasons = {r.start.astimezone(CHICAGO).strftime("%d %H:%M"): r.reason for r in first + last}
    # Then the day's first and last slots are explained by the drives from and to home
    assert reasons["24 08:00"] == (
        "arrives late: drive 20 min from home base, only 0 min after the day starts"
    )
    assert reasons["24 16:00"] == (
        "leaves late: drive 20 min to home base, only 0 min before the day ends"
    )
    assert reasons["24 16:30"] == "ends 17:30, after working hours end at 17:00"


def test_without_explain_nothing_is_listed():
    # Given explain is off (the default), then no rejected time is listed
    moving = appointment(_local(25, 10))
    assert _run(moving).rejected == []


# --- the window and travel legs ---------------------------------------------------------


def test_the_search_window_covers_every_possible_start_with_margin():
    settings_ = BusinessSettings()
    start, end = search_window(NOW, settings_)
    assert start <= NOW + timedelta(hours=24) - timedelta(days=1)
    assert end >= NOW + timedelta(days=15)


def test_travel_legs_list_every_drive_the_engine_asks_for():
    # Given a home base and jobs near and far, so that some gaps fail on a drive
    moving = appointment(_local(25, 10), location=CUSTOMER)
    busy: list[Busy] = [
        appointment(_local(24, 9), id="near", location=NEAR),
        appointment(_local(24, 14), id="far", location=FAR),
        appointment(_local(25, 13), id="far-2", location=FAR),
    ]
    techs = [_tech(home_base=HOME)]
    travel = TableTravel({("near", "customer"): 10, ("far", "customer"): 45, ("home", "near"): 15})
    # When the legs are listed, and the engine runs with real drive times
    legs = travel_legs(moving, techs, {"tech-1": busy}, _settings(), CHICAGO, NOW)
    find_openings(moving, techs, {"tech-1": busy}, _settings(), CHICAGO, NOW, travel)
    # Then every drive it asked for is among the legs
    to_customer = {_name(place) for place in legs.to_customer}
    from_customer = {_name(place) for place in legs.from_customer}
    between = {(_name(a), _name(b)) for a, b in legs.between}
    assert travel.asked
    for origin, destination in travel.asked:
        if destination == "customer":
            assert origin in to_customer
        elif origin == "customer":
            assert destination in from_customer
        else:
            assert (origin, destination) in between
    assert {"home", "near", "far"} <= to_customer


# --- properties against the brute-force reference ---------------------------------------

# Each clock change of 2026 in its zone (Lord Howe moves 30 minutes), and a summer day in UTC.
CHANGES = [
    ("America/New_York", datetime(2026, 3, 8, 7, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 25, 1, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
    ("America/St_Johns", datetime(2026, 3, 8, 5, 30, tzinfo=UTC)),
    ("America/St_Johns", datetime(2026, 11, 1, 4, 30, tzinfo=UTC)),
    ("UTC", datetime(2026, 6, 15, 12, tzinfo=UTC)),
]
# A few places a short drive apart (0-20 minutes with the default model).
PLACES = [
    Location(address=f"p{i}", lat=41.84 + 0.04 * (i % 3), lon=-87.68 + 0.05 * (i // 3))
    for i in range(6)
]


class ScrambledTravel:
    """Asymmetric minutes that break the triangle inequality: the engine must not rely on it."""

    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        if (origin.lat, origin.lon) == (destination.lat, destination.lon):
            return 0
        return (round(origin.lat * 1000) * 31 + round(destination.lon * 1000) * 17) % 41


TRAVELS = [HaversineTravelTime(), HaversineTravelTime(1.0, 90.0), ScrambledTravel()]
QUARTERS = st.integers(0, 23 * 4 + 3).map(lambda q: time(q // 4, 15 * (q % 4)))


@st.composite
def _hours(draw: st.DrawFn) -> tuple[WorkingHours, ...]:
    hours: list[WorkingHours] = []
    for weekday in range(7):
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
            # Often from the small hours, so the clock change falls inside working time.
            start = draw(st.one_of(st.integers(0, 4 * 4), st.integers(0, 22 * 4))) * 15
            end = min(start + draw(st.integers(2, 48)) * 15, 23 * 60 + 45)
            hours.append(
                WorkingHours(
                    weekday=weekday,
                    start=time(start // 60, start % 60),
                    end=time(end // 60, end % 60),
                )
            )
    return tuple(hours)


def _with_offset(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment as a provider sends it: local time with its UTC offset (ISO 8601 style).

    Not with the ZoneInfo itself: two datetimes sharing a tzinfo compare by wall clock, so
    a model validator would misjudge a span across the fall-back hour.
    """
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None
    return moment.astimezone(timezone(offset))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    name, change = draw(st.sampled_from(CHANGES))
    zone = ZoneInfo(name)
    settings_ = BusinessSettings(
        min_notice_hours=draw(st.sampled_from([0, 0, 3, 24])),
        horizon_days=draw(st.integers(1, 2)),
        slot_minutes=draw(st.sampled_from([15, 15, 20, 30, 45, 60])),
        max_openings=draw(st.integers(1, 50)),
        max_drive_minutes=draw(st.sampled_from([5, 15, 30])),
        allow_technician_change=draw(st.booleans()),
        buffer_minutes=draw(st.sampled_from([0, 10, 15])),
    )
    # The clock change falls within the first 30 hours of the search window.
    now = change - timedelta(
        hours=settings_.min_notice_hours, minutes=draw(st.integers(0, 30 * 60))
    )
    first_day = (now + timedelta(hours=settings_.min_notice_hours)).astimezone(zone).date()

    def wall(days: int, at: time) -> datetime:
        """A wall-clock time in the zone (fold=0, as a scheduler would store it), in UTC."""
        return datetime.combine(first_day + timedelta(days=days), at, tzinfo=zone).astimezone(UTC)

    places = st.sampled_from([None, *PLACES])
    techs = [
        Technician(
            id=f"t{i}",
            business_id="acme",
            name=f"Tech {i}",
            home_base=draw(places),
            working_hours=draw(_hours()),
            services=draw(st.sampled_from([None, None, ("Drain cleaning",), ("Water heater",)])),
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    start = wall(draw(st.integers(-1, 2)), draw(QUARTERS))
    moving = Appointment(
        id="moving",
        business_id="acme",
        customer_id="c",
        technician_id="t0",
        service="Drain cleaning",
        start=start,
        end=start + timedelta(minutes=15 * draw(st.integers(1, 16))),
        location=draw(places),
    )
    busy: dict[str, list[Busy]] = {t.id: [] for t in techs}
    for n in range(draw(st.integers(0, 14))):
        owner = draw(st.sampled_from(techs)).id
        begin = wall(draw(st.integers(-1, 2)), draw(QUARTERS))
        end = begin + timedelta(minutes=15 * draw(st.integers(1, 16)))
        if draw(st.booleans()):
            busy[owner].append(
                Appointment(
                    id=f"a{n}",
                    business_id="acme",
                    customer_id="c",
                    technician_id=owner,
                    service="Drain cleaning",
                    start=begin,
                    end=end,
                    location=draw(places),
                )
            )
        else:
            busy[owner].append(
                BlockedTime(
                    id=f"b{n}",
                    business_id="acme",
                    technician_id=owner,
                    start=_with_offset(begin, zone),
                    end=_with_offset(end, zone),
                    location=draw(places),
                )
            )
    if draw(st.booleans()):
        busy["t0"].append(moving)
    if draw(st.booleans()):
        # As the provider adapters build them: validated from ISO 8601 text, so each
        # datetime carries pydantic's own tzinfo (the engine converts those in bulk).
        busy = {
            owner: [type(item).model_validate_json(item.model_dump_json()) for item in items]
            for owner, items in busy.items()
        }
    return {
        "appointment": moving,
        "technicians": techs,
        "busy": busy,
        "settings": settings_,
        "zone": zone,
        "now": now,
        "travel": draw(st.sampled_from(TRAVELS)),
    }


def _args(scenario: dict[str, object]) -> tuple:
    keys = ("appointment", "technicians", "busy", "settings", "zone", "now", "travel")
    return tuple(scenario[k] for k in keys)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios())
def test_the_engine_finds_exactly_what_the_brute_force_reference_finds(scenario):
    # Given any schedule, around any clock change, with any travel model
    args = _args(scenario)
    # When the engine and the minute-by-minute reference list every feasible opening
    engine = feasible_openings(*args)
    reference = reference_openings(*args)
    # Then they agree on every start, technician and drive
    assert [
        (
            o.start,
            o.technician_id,
            o.drive_minutes_before,
            o.drive_minutes_after,
            o.added_drive_minutes,
        )
        for o in engine
    ] == [
        (
            r.start,
            r.technician_id,
            r.drive_minutes_before,
            r.drive_minutes_after,
            r.added_drive_minutes,
        )
        for r in reference
    ]


@PROPERTY
@given(scenarios())
def test_the_shown_openings_are_the_ranked_reference_and_explain_rejects_only_infeasible(scenario):
    args = _args(scenario)
    moving, _, _, settings_, zone, _, _ = args
    # Given the reference's feasible openings, ranked
    reference = reference_openings(*args)
    duration = moving.end - moving.start
    expected = rank_openings(
        [
            FeasibleOpening(
                start=r.start,
                end=r.start + duration,
                technician_id=r.technician_id,
                drive_minutes_before=r.drive_minutes_before,
                drive_minutes_after=r.drive_minutes_after,
                added_drive_minutes=r.added_drive_minutes,
            )
            for r in reference
        ],
        moving,
        settings_,
        zone,
    )
    # When the engine shows its openings, with explain
    result = find_openings(*args, explain=True)
    # Then they are exactly those, and every time it says it rejected is infeasible
    assert result.openings == expected
    feasible = {(r.start, r.technician_id) for r in reference}
    assert not feasible & {(r.start, r.technician_id) for r in result.rejected}
    assert all(r.reason for r in result.rejected)
    # And the spread rule holds: a day exceeds its share only when other days ran out
    days = Counter(o.start.astimezone(zone).date() for o in result.openings)
    all_days = Counter(r.start.astimezone(zone).date() for r in reference)
    cap = math.ceil(settings_.max_openings / len(all_days)) if all_days else 0
    if any(count > cap for count in days.values()):
        assert all(days[d] == n for d, n in all_days.items() if days[d] < cap)


# --- epoch seconds ------------------------------------------------------------------------

_MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))
_ZONES = st.one_of(
    st.sampled_from([ZoneInfo(name) for name, _ in CHANGES] + [UTC]),
    # pydantic's own, what a provider's ISO 8601 text becomes (converted in bulk)
    st.integers(-86399, 86399).map(TzInfo),
    st.integers(-86399, 86399).map(lambda s: timezone(timedelta(seconds=s))),
    # A tzinfo may (rarely) have a fraction of a second.
    st.integers(-86_399_999_999, 86_399_999_999).map(
        lambda us: timezone(timedelta(microseconds=us))
    ),
)


@st.composite
def _aware(draw: st.DrawFn) -> datetime:
    if draw(st.booleans()):
        moment = draw(_MOMENTS).replace(tzinfo=draw(_ZONES), fold=draw(st.integers(0, 1)))
    else:
        # A wall time within three hours of a clock change: missing, repeated, either fold.
        name, change = draw(st.sampled_from(CHANGES))
        zone = ZoneInfo(name)
        wall = change.astimezone(zone) + timedelta(seconds=draw(st.integers(-10800, 10800)))
        moment = wall.replace(fold=draw(st.integers(0, 1)))
    return moment.replace(microsecond=0) if draw(st.booleans()) else moment


@PROPERTY
@given(st.lists(_aware(), max_size=8), st.booleans())
def test_epoch_seconds_are_exactly_what_timestamp_gives(moments, whole_seconds):
    # Given aware datetimes with any tzinfo, at times all in whole seconds
    if whole_seconds:
        moments = [m.replace(microsecond=0) for m in moments]
    # When the engine turns them into epoch seconds
    seconds = epoch_seconds(moments)
    # Then each is exactly the float datetime.timestamp() gives, bit for bit
    assert seconds == [m.timestamp() for m in moments]
    assert all(type(s) is float for s in seconds)


def test_the_providers_times_are_converted_in_bulk():
    # Given this pydantic-core (it converts exactly like timestamp(), or the engine would
    # fall back to timestamp() for every list and lose its speed silently)
    assert _bulk_epochs_agree()
    # Then the times every adapter builds take the bulk path: a model's parsed ISO text,
    # fromisoformat's timezone, the tz database's zones; a fraction of a second does not
    fields = appointment(NOW).model_dump()
    parsed = Appointment.model_validate(
        {**fields, "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T16:00:00-06:00"}
    )
    assert all(
        _whole_second_offsets(m.tzinfo)
        for m in (
            parsed.start,
            parsed.end,
            datetime.fromisoformat("2026-12-01T15:00:00+00:00"),
            datetime.fromisoformat("2026-12-01T15:00:00-05:30"),
            datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("America/Chicago")),
        )
    )
    assert not _whole_second_offsets(timezone(timedelta(seconds=1, microseconds=5)))
    assert not _whole_second_offsets(None)


def test_equal_penalties_are_equal_exactly_so_they_order_by_start():
    # One added drive minute weighs as much as 4.8 hours (17,280 s) from the original time:
    # in floating point the two sums can differ in their last bit and rank by noise.
    float_ties_broken = 0
    for seconds in range(0, 14 * 86400, 3607):
        assert penalty_units(1, False, seconds) == penalty_units(0, False, seconds + 17280)
        assert penalty_units(0, True, seconds) == penalty_units(30, False, seconds)
        old = (1 + 5 * seconds / 86400, 0 + 5 * (seconds + 17280) / 86400)
        float_ties_broken += old[0] != old[1]
    assert float_ties_broken > 0  # what the float formula did, on this very grid
    assert penalty(10, False, 86400) == 15.0


def test_explain_lists_the_neighbours_of_a_current_time_before_the_first_bookable_day():
    # Given a job at 14:00 today (Monday; a no-show, say) and 24 h notice from 9:00
    moving = appointment(_local(23, 14), location=CUSTOMER)
    now = _local(23, 9).astimezone(UTC)
    result = _run(moving, [], now=now, explain=True, settings_=_settings(min_notice_hours=24))
    reasons = {r.start.astimezone(CHICAGO).strftime("%d %H:%M"): r.reason for r in result.rejected}
    # Then the current time and the grid starts around it say why they are not offered
    assert reasons["23 14:00"] == "less than 24 h notice"
    assert reasons["23 13:00"] == "less than 24 h notice"
    assert reasons["23 15:00"] == "less than 24 h notice"
    assert result.openings  # from tomorrow on
    assert all(o.start >= now + timedelta(hours=24) for o in result.openings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    jobs=st.lists(
        st.tuples(st.integers(0, 4 * 24 * 4), st.sampled_from((15, 30, 60, 90)), st.integers(0, 5)),
        max_size=25,
    ),
    split=st.booleans(),
    home=st.booleans(),
)
def test_the_stops_drives_hold_every_drive_between_stops_a_search_asks_for(jobs, split, home):
    # Given any jobs (overlapping, touching, ending together) over four days, at a few places
    # (unknown for some), working hours whole or split in two, with or without a home base
    start = _local(24, 0)
    busy: list[Busy] = [
        appointment(
            start + timedelta(minutes=15 * quarter),
            minutes,
            id=f"job-{n}",
            location=PLACES[place] if place < len(PLACES) - 1 else None,
        )
        for n, (quarter, minutes, place) in enumerate(jobs)
    ]
    hours = [(time(8), time(12)), (time(13), time(17))] if split else [(time(7), time(19))]
    techs = [
        _tech(
            home_base=HOME if home else None,
            working_hours=tuple(
                WorkingHours(weekday=d, start=a, end=b) for d in range(7) for a, b in hours
            ),
        )
    ]
    moving = appointment(_local(25, 10), id="moving", location=CUSTOMER)
    # When the legs a search may ask for between stops are listed, and the stops' drives
    legs = travel_legs(moving, techs, {"tech-1": busy}, _settings(), CHICAGO, NOW)
    home_point = (HOME.lat, HOME.lon) if home else None
    known = set(stop_legs(home_point, columns_of(busy)))
    # Then the stops' drives hold every one of them (but a place to itself: 0 minutes)
    for a, b in legs.between:
        if (a.lat, a.lon) != (b.lat, b.lon):
            assert (a.lat, a.lon, b.lat, b.lon) in known
