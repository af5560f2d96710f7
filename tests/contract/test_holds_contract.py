"""Opening holds: FakeOpeningHolds and DynamoOpeningHolds keep the same promises."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from reschedule_dispatch.adapters.dynamodb_holds import DynamoOpeningHolds
from reschedule_dispatch.domain.errors import OpeningTaken
from reschedule_dispatch.domain.session import Opening
from tests.builders import NOW
from tests.fakes import FakeOpeningHolds

TEN = NOW + timedelta(days=2, hours=1)  # a Wednesday, 10:00 in Chicago
LEASE = timedelta(minutes=10)


@pytest.fixture(params=["fake", "dynamodb"])
def holds(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeOpeningHolds()
    return DynamoOpeningHolds(request.getfixturevalue("tables").app)


def _opening(start: datetime = TEN, minutes: int = 60, technician: str = "tech-1") -> Opening:
    return Opening(start=start, end=start + timedelta(minutes=minutes), technician_id=technician)


def _hold(holds: Any, opening: Opening, session: str, appointment: str, now=NOW) -> None:
    holds.hold("acme", opening, session, appointment, now, now + LEASE)


def _free_for(holds: Any, opening: Opening, now=NOW) -> bool:
    """Whether another appointment's session could hold it now (its hold is then undone)."""
    try:
        _hold(holds, opening, "probe", "appt-probe", now)
    except OpeningTaken:
        return False
    holds.release("acme", opening, "probe")
    return True


def test_held_time_refuses_another_appointments_session(holds):
    _hold(holds, _opening(), "s1", "appt-1")
    with pytest.raises(OpeningTaken):
        _hold(holds, _opening(TEN + timedelta(minutes=30)), "s2", "appt-2")
    # Another technician, another business, or the time next to it: free
    _hold(holds, _opening(technician="tech-2"), "s2", "appt-2")
    holds.hold("other", _opening(), "s3", "appt-3", NOW, NOW + LEASE)
    _hold(holds, _opening(TEN + timedelta(hours=1)), "s4", "appt-4")


def test_the_same_session_or_appointment_may_hold_it_again(holds):
    _hold(holds, _opening(), "s1", "appt-1")
    _hold(holds, _opening(), "s1", "appt-1")  # a retried step
    _hold(holds, _opening(TEN + timedelta(minutes=30)), "s2", "appt-1")  # its next session


def test_times_that_share_a_quarter_hour_clash(holds):
    _hold(holds, _opening(minutes=20), "s1", "appt-1")
    assert not _free_for(holds, _opening(TEN + timedelta(minutes=20), 20))


def test_a_refused_hold_takes_none_of_the_time(holds):
    _hold(holds, _opening(TEN + timedelta(hours=1)), "s1", "appt-1")
    with pytest.raises(OpeningTaken):  # its first hour is free, its second is not
        _hold(holds, _opening(minutes=120), "s2", "appt-2")
    assert _free_for(holds, _opening())


def test_a_lease_that_ran_out_frees_the_time(holds):
    _hold(holds, _opening(), "s1", "appt-1")
    assert not _free_for(holds, _opening(), NOW + LEASE)
    assert _free_for(holds, _opening(), NOW + LEASE + timedelta(seconds=1))


def test_only_its_session_releases_a_hold(holds):
    _hold(holds, _opening(), "s1", "appt-1")
    holds.release("acme", _opening(), "s2")
    assert not _free_for(holds, _opening())
    holds.release("acme", _opening(), "s1")
    holds.release("acme", _opening(), "s1")  # again: nothing to release
    assert _free_for(holds, _opening())


def test_a_hold_can_be_shortened_never_lengthened(holds):
    _hold(holds, _opening(), "s1", "appt-1")
    holds.release_at("acme", _opening(), "s2", NOW)  # not its hold: unchanged
    holds.release_at("acme", _opening(), "s1", NOW + timedelta(seconds=30))
    holds.release_at("acme", _opening(), "s1", NOW + timedelta(hours=1))
    assert not _free_for(holds, _opening(), NOW + timedelta(seconds=30))
    assert _free_for(holds, _opening(), NOW + timedelta(seconds=31))


def test_what_earlier_sessions_of_the_appointment_left_behind_is_dropped(holds):
    _hold(holds, _opening(), "s1", "appt-1")
    _hold(holds, _opening(TEN + timedelta(hours=2)), "s9", "appt-9")
    holds.release_left_behind("acme", _opening(), "appt-1", "s1")  # its own: kept
    assert not _free_for(holds, _opening())
    holds.release_left_behind("acme", _opening(TEN + timedelta(hours=2)), "appt-1", "s2")
    assert not _free_for(holds, _opening(TEN + timedelta(hours=2)))  # another's: kept
    holds.release_left_behind("acme", _opening(), "appt-1", "s2")
    assert _free_for(holds, _opening())
