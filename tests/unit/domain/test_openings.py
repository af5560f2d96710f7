from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.openings import find_openings
from tests.builders import NOW, appointment, technician

CHICAGO = ZoneInfo("America/Chicago")


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Chicago on 2026-11-<day>."""
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


def test_openings_respect_notice_hours_and_the_technicians_day():
    # Given a one-hour job on Wednesday and a technician who works 8-17 on weekdays
    moving = appointment(_local(25, 10))
    settings = BusinessSettings(min_notice_hours=24, horizon_days=3, max_openings=50)
    # When openings are computed on Monday 9:00
    openings = find_openings(moving, technician(), [], settings, CHICAGO, NOW)
    # Then none is before Tuesday 9:00, each fits in 8-17 local, and the current time is absent
    assert openings
    for opening in openings:
        local_start = opening.start.astimezone(CHICAGO)
        local_end = opening.end.astimezone(CHICAGO)
        assert opening.start >= NOW + timedelta(hours=24)
        assert local_start.hour >= 8
        assert (local_end.hour, local_end.minute) <= (17, 0)
        assert local_start.weekday() < 5
        assert opening.end - opening.start == timedelta(hours=1)
    assert moving.start not in {o.start for o in openings}
    assert openings[0].start == _local(24, 9).astimezone(UTC)


def test_other_appointments_block_but_the_one_moving_does_not():
    # Given the technician is busy Tuesday 10-12 and the job moves from Tuesday 13:00
    moving = appointment(_local(24, 13), id="moving")
    busy = appointment(_local(24, 10), minutes=120, id="busy", customer_id="other")
    settings = BusinessSettings(min_notice_hours=0, horizon_days=2, max_openings=50)
    openings = find_openings(moving, technician(), [busy, moving], settings, CHICAGO, NOW)
    starts = {o.start.astimezone(CHICAGO) for o in openings}
    # Then nothing overlaps 10-12, and 12:30 (overlapping its own current slot) is offered
    assert _local(24, 9, 30) not in starts
    assert _local(24, 10) not in starts
    assert _local(24, 11, 30) not in starts
    assert _local(24, 9) in starts
    assert _local(24, 12) in starts
    assert _local(24, 12, 30) in starts
    assert _local(24, 13) not in starts


def test_no_more_than_the_maximum_is_offered():
    moving = appointment(_local(25, 10))
    settings = BusinessSettings(min_notice_hours=0, max_openings=5)
    assert len(find_openings(moving, technician(), [], settings, CHICAGO, NOW)) == 5


def test_a_dst_day_keeps_wall_clock_hours():
    # Given a business in Chicago on the day clocks go back (2026-11-01, a Sunday)
    sunday_hours = technician().model_copy(
        update={"working_hours": (technician().working_hours[0].model_copy(update={"weekday": 6}),)}
    )
    now = datetime(2026, 10, 31, 12, tzinfo=UTC)
    moving = appointment(datetime(2026, 11, 1, 15, tzinfo=CHICAGO))
    settings = BusinessSettings(min_notice_hours=0, horizon_days=2, max_openings=50)
    openings = find_openings(moving, sunday_hours, [], settings, CHICAGO, now)
    # Then openings still start at 8:00 local, which is 14:00 UTC after the change
    first = openings[0]
    assert first.start.astimezone(CHICAGO).hour == 8
    assert first.start == datetime(2026, 11, 1, 14, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(
    busy_starts=st.lists(st.integers(min_value=0, max_value=17), max_size=6),
    duration_slots=st.integers(min_value=1, max_value=6),
)
def test_no_opening_overlaps_a_busy_appointment(busy_starts, duration_slots):
    # Given random 30-minute-grid busy blocks on Tuesday
    busy = [
        appointment(_local(24, 8) + timedelta(minutes=30 * s), minutes=60, id=f"b{i}")
        for i, s in enumerate(busy_starts)
    ]
    moving = appointment(_local(26, 8), minutes=30 * duration_slots, id="moving")
    settings = BusinessSettings(min_notice_hours=0, horizon_days=2, max_openings=50)
    openings = find_openings(moving, technician(), busy, settings, CHICAGO, NOW)
    # Then no opening overlaps any of them
    for opening in openings:
        assert not any(b.overlaps(opening.start, opening.end) for b in busy)
