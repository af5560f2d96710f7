"""Where `make dev`'s clock starts (LOCAL_CLOCK=business-hours, the default), whatever hour
the machine says: the README's walkthrough must work as written at any hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from local.stack import LocalStack, StackConfig

CHICAGO = ZoneInfo("America/Chicago")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CHICAGO)  # 8 Dec 2026 is a Tuesday


@pytest.mark.parametrize(
    ("machine", "starts"),
    [
        # San Francisco (a seeded business) opens at 09:00, 11:00 in Chicago
        (at(8, 9), at(8, 11)),
        (at(8, 22, 30), at(9, 11)),  # at night: the next morning
        (at(8, 6), at(8, 11)),
        (at(8, 12, 15), at(8, 12, 15)),  # already a working hour everywhere: the real time
        (at(11, 19), at(14, 11)),  # Friday evening: Monday
    ],
    ids=["09:00", "22:30", "06:00", "12:15", "friday-19:00"],
)
def test_make_dev_starts_at_a_working_hour_whatever_hour_the_machine_says(machine, starts):
    stack = LocalStack(StackConfig(clock="business-hours", real=lambda: machine))
    seed = stack.seed_and_clock()

    assert stack.clock.now() == starts
    assert stack.clock.simulated == (starts != machine)
    # the demo data is made for the clock's day: appointments from then on, none before
    first = min(
        datetime.fromisoformat(a.start.isoformat()) for b in seed.businesses for a in b.appointments
    )
    assert first.date() >= starts.astimezone(ZoneInfo("UTC")).date()
    assert first - starts < timedelta(days=4)


def test_local_clock_real_and_a_moment_are_taken_as_given():
    machine = at(8, 22, 30)
    real = LocalStack(StackConfig(clock="real", real=lambda: machine))
    real.seed_and_clock()
    assert (real.clock.now(), real.clock.simulated) == (machine, False)
    set_to = LocalStack(StackConfig(clock="2026-12-24T10:00:00-06:00", real=lambda: machine))
    set_to.seed_and_clock()
    assert set_to.clock.now() == at(24, 10)
