"""ScheduleQuery (services/schedule.py): the console's schedule view, in the business's own
calendar days, from the provider or, one read for the crew, from the mirror."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from reschedule_dispatch.domain.errors import NotFound, Unprocessable
from reschedule_dispatch.domain.mirror import ScheduleSnapshot, mirror_window
from reschedule_dispatch.domain.scheduling import BlockedTime
from reschedule_dispatch.services.schedule import MAX_DAYS, ScheduleQuery
from reschedule_dispatch.services.schedule_mirror import MirroredSchedule
from tests.builders import NOW, appointment, technician
from tests.fakes import FakeScheduleMirror
from tests.unit.services.conftest import WEDNESDAY_10AM

MONDAY = date(2026, 11, 23)
WEDNESDAY = date(2026, 11, 25)


def _schedule(world, provider=None) -> ScheduleQuery:
    return ScheduleQuery(
        provider=provider or world.provider,
        businesses=world.businesses,
        sessions=world.sessions,
        clock=world.clock,
    )


def _crew(world) -> None:
    world.provider.put_technician(technician(id="tech-2", name="Aaron Bell"))
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM, id="same-time", technician_id="tech-2", customer_id="gone")
    )
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM - timedelta(hours=2), id="earlier", technician_id="tech-2")
    )
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM + timedelta(hours=3), id="canceled", status="canceled")
    )
    # Tuesday 22:00 in Chicago (Wednesday in UTC): not on Wednesday's page
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM - timedelta(hours=12), id="tuesday-night")
    )
    world.provider.put_blocked_time(
        BlockedTime(
            id="lunch",
            business_id="acme",
            technician_id="tech-1",
            start=WEDNESDAY_10AM + timedelta(hours=2),
            end=WEDNESDAY_10AM + timedelta(hours=3),
        )
    )


def test_a_day_is_the_crews_appointments_by_start_then_technician(world):
    _crew(world)
    session, _ = world.sent()
    schedule = _schedule(world)("acme", WEDNESDAY, 1)
    assert [t.name for t in schedule.technicians] == ["Aaron Bell", "Alex Rivera"]
    assert [a.appointment.id for a in schedule.appointments] == ["earlier", "appt-1", "same-time"]
    found = {a.appointment.id: a for a in schedule.appointments}
    assert found["appt-1"].customer is not None
    assert found["appt-1"].customer.name == "Olivia Garcia"
    assert found["same-time"].customer is None  # the provider no longer knows them
    assert found["appt-1"].session is not None
    assert found["appt-1"].session.id == session.id
    assert found["earlier"].session is None
    assert (schedule.first_day, schedule.days, schedule.updated_at) == (WEDNESDAY, 1, None)


def test_one_technicians_schedule_and_a_technician_that_is_not_there(world):
    _crew(world)
    mine = _schedule(world)("acme", WEDNESDAY, 1, technician_id="tech-1")
    assert [t.id for t in mine.technicians] == ["tech-1"]
    assert [a.appointment.id for a in mine.appointments] == ["appt-1"]
    with pytest.raises(NotFound):
        _schedule(world)("acme", WEDNESDAY, 1, technician_id="tech-9")


def test_the_days_asked_are_kept_within_a_week_and_a_year_of_today(world):
    _crew(world)
    week = _schedule(world)("acme", MONDAY, 30)
    assert week.days == MAX_DAYS
    assert "tuesday-night" in {a.appointment.id for a in week.appointments}
    assert _schedule(world)("acme", MONDAY, 0).days == 1
    assert _schedule(world)("acme", MONDAY + timedelta(days=366), 1).appointments == []
    for far in (MONDAY + timedelta(days=367), MONDAY - timedelta(days=367)):
        with pytest.raises(Unprocessable):
            _schedule(world)("acme", far, 1)


def test_from_the_mirror_one_read_serves_the_crew_and_says_how_fresh_it_is(world):
    _crew(world)
    mirror = FakeScheduleMirror()
    start, end = mirror_window(NOW)
    technicians = list(world.provider.technicians("acme"))
    mirror.replace(
        "acme",
        ScheduleSnapshot(
            technicians,
            {
                t.id: world.provider.technician_schedule("acme", t.id, start, end)
                for t in technicians
            },
            [],
            start,
            end,
        ),
        NOW - timedelta(minutes=5),
    )
    reads = MirroredSchedule(mirror=mirror, live=world.provider)
    world.provider.calls.clear()
    schedule = _schedule(world, reads)("acme", WEDNESDAY, 1)
    assert [a.appointment.id for a in schedule.appointments] == ["earlier", "appt-1", "same-time"]
    assert schedule.updated_at == NOW - timedelta(minutes=5)
    assert world.provider.calls["technician_schedule"] == 0
    assert world.provider.calls["technician_appointments"] == 0
