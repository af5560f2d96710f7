"""The local stack's clock (local/clock.py) and its page, /dev/clock (local/dev_clock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import Client

from local.clock import ClockBackwards, LocalClock, next_business_hour
from local.dev_clock import DevClock
from tests.builders import business

REAL = datetime(2026, 12, 7, 12, 10, tzinfo=UTC)  # a Monday: 06:10 in Chicago


class Real:
    """The machine's clock, as the test moves it."""

    def __init__(self) -> None:
        self.now = REAL

    def __call__(self) -> datetime:
        return self.now


def test_the_clock_flows_from_where_it_was_set_and_only_forward():
    real = Real()
    clock = LocalClock(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), real=real)
    assert clock.now() == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert clock.simulated

    real.now += timedelta(seconds=90)  # time passes at the real rate
    assert clock.now() == datetime(2026, 12, 8, 9, 1, 30, tzinfo=UTC)

    assert clock.advance(timedelta(hours=13)) == datetime(2026, 12, 8, 22, 1, 30, tzinfo=UTC)
    assert clock.set(datetime(2026, 12, 9, 8, 0, tzinfo=UTC)) == datetime(
        2026, 12, 9, 8, tzinfo=UTC
    )
    with pytest.raises(ClockBackwards, match="only moves forward"):
        clock.set(datetime(2026, 12, 9, 7, 59, tzinfo=UTC))
    with pytest.raises(ClockBackwards, match="step back"):
        clock.advance(timedelta(minutes=-1))
    assert clock.now() == datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # refused: unchanged
    with pytest.raises(ValueError, match="UTC offset"):
        clock.set(datetime(2026, 12, 10, 8, 0))


def test_an_unset_clock_is_the_real_one():
    clock = LocalClock(real=Real())
    assert clock.now() == REAL
    assert not clock.simulated


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        # 06:10 in Chicago, 04:10 in Los Angeles: Los Angeles's 09:00, 11:00 in Chicago
        (REAL, datetime(2026, 12, 7, 17, 0, tzinfo=UTC)),
        # already a working hour for both: the real time itself
        (datetime(2026, 12, 7, 18, 5, tzinfo=UTC), datetime(2026, 12, 7, 18, 5, tzinfo=UTC)),
        # Friday evening in California: Monday 09:00 there
        (datetime(2026, 12, 12, 1, 0, tzinfo=UTC), datetime(2026, 12, 14, 17, 0, tzinfo=UTC)),
    ],
)
def test_the_demo_starts_at_the_next_hour_every_business_is_at_work(real, expected):
    businesses = [business(id="northside"), business(id="bayside", time_zone="America/Los_Angeles")]
    assert next_business_hour(real, businesses) == expected


def test_zones_too_far_apart_get_the_first_business_hour():
    businesses = [business(id="a"), business(id="b", time_zone="Asia/Tokyo")]
    found = next_business_hour(REAL, businesses)
    assert found.astimezone(businesses[0].zone).hour == 9  # Chicago's 09:00, Tokyo asleep


class Pump:
    """Schedules due at given moments; records the clock's time when each fires."""

    def __init__(self, clock: LocalClock, dues: list[datetime]) -> None:
        self._clock = clock
        self.pending = sorted(dues)
        self.fired: list[tuple[datetime, datetime]] = []  # (due, the clock when it fired)

    def next_due(self, until: datetime) -> datetime | None:
        now = self._clock.now()
        return next((d for d in self.pending if now < d <= until), None)

    def fire_due(self) -> int:
        now = self._clock.now()
        due = [d for d in self.pending if d <= now]
        self.pending = [d for d in self.pending if d > now]
        self.fired += [(d, now) for d in due]
        return len(due)


START = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)


@pytest.fixture
def page():
    clock = LocalClock(START)
    # a text held until 08:00 in Chicago (14:00 UTC), and a link's expiry at 04:30 UTC
    pump = Pump(
        clock, [datetime(2026, 12, 9, 14, 0, tzinfo=UTC), datetime(2026, 12, 9, 4, 30, tzinfo=UTC)]
    )
    return Client(DevClock(clock, pump)), clock, pump


def test_dev_clock_reads_sets_and_advances_firing_each_schedule_at_its_own_moment(page):
    client, clock, pump = page
    shown = client.get("/dev/clock").get_json()
    assert shown["simulated"] is True
    assert datetime.fromisoformat(shown["now"]) >= START

    # 13 hours on: the expiry on the way fires at 04:30, on 04:30's clock
    advanced = client.post("/dev/clock", json={"advance": "PT13H"})
    assert advanced.status_code == 200
    assert advanced.get_json()["fired"] == 1
    [(due, at)] = pump.fired
    assert timedelta(0) <= at - due < timedelta(seconds=5)
    assert clock.now() >= START + timedelta(hours=13)

    # then to 09:00 in Chicago: the text held until 08:00 goes out at 08:00, not at 09:00
    moved = client.post("/dev/clock", json={"now": "2026-12-09T09:00:00-06:00"})
    assert moved.status_code == 200
    assert moved.get_json()["fired"] == 1
    due, at = pump.fired[-1]
    assert due == datetime(2026, 12, 9, 14, 0, tzinfo=UTC)
    assert timedelta(0) <= at - due < timedelta(seconds=5)
    assert clock.now() >= datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"advance": "-PT1H"}, 409, "only moves forward"),
        ({"now": "2026-12-01T08:00:00-06:00"}, 409, "only moves forward"),
        ({"now": "2026-12-09T08:00:00"}, 422, "timezone"),
        ({"now": "tomorrow"}, 422, "datetime"),
        ({"advance": "3 hours"}, 422, "duration"),
        ({"now": "2026-12-09T08:00:00Z", "advance": "PT1H"}, 422, "either"),
        ({}, 422, "either"),
        ({"advance": "PT1H", "frozen": True}, 422, "Extra inputs"),
    ],
)
def test_dev_clock_refuses_bad_changes_and_changes_nothing(page, body, status, says):
    client, clock, pump = page
    before = clock.now()
    answer = client.post("/dev/clock", json=body)
    assert answer.status_code == status
    assert says in answer.get_data(as_text=True)
    assert clock.now() - before < timedelta(seconds=5)
    assert pump.fired == []


def test_dev_clock_answers_other_methods_and_paths_clearly(page):
    client, _, _ = page
    assert client.delete("/dev/clock").status_code == 405
    assert client.post("/dev/clock", data="not json").status_code == 422


def test_dev_clock_advancing_by_nothing_is_not_a_step_back(page):
    client, _, pump = page
    assert client.post("/dev/clock", json={"advance": "PT0S"}).status_code == 200
    assert pump.fired == []
