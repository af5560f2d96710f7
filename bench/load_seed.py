"""The load test's data (bench/load_test.py): a seed file in the format of docs/seed-data.md.

One business in Chicago with quiet hours off (links go out at any hour) and one customer
per appointment:
- 200 customers who each pick their own new time: 20 technicians working 8:00-18:00 every
  day with 10 appointments each, one a day on 10 of the 12 days from the day after
  tomorrow, so every technician has plenty of free time to move into;
- 20 racers who all try to take the same time: the race technician's appointments, two a
  day from the day after tomorrow. The race technician works four two-hour stretches a day,
  half an hour apart, each with room for one job (drives in and out included), so it has
  about 32 free times in the 14-day horizon whatever the hour: fewer than `max_openings`,
  so every racer's page shows all of them and the race has a common time at any hour, and
  more than enough for the 19 losers. A claim in the harness's book (30 minutes either
  side of a job) covers one stretch and never reaches the next, so each free stretch is a
  time a loser can take.

Every appointment is at least two days ahead (past the 24-hour notice, with the link's
whole lifetime to spare), inside its technician's hours, and no two appointments of a
technician overlap. tests/unit/bench/test_load_seed.py checks the race with the openings
engine for moments across a week.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from local.demo_data import near

BUSINESS_ID = "load-test-plumbing"
TIME_ZONE = "America/Chicago"
DISPATCHER = "lee@load-test.example"
CENTER = (41.8781, -87.6298)
RACE_TECHNICIAN = "lt-race"
# (name, minutes); every appointment of a racer is the same service, so one time fits all.
SERVICES = [("Drain cleaning", 60), ("Leak repair", 90), ("Faucet installation", 60)]
RACE_SERVICE = ("Drain cleaning", 60)
# 555-0101 to 555-0199 of Chicago's area codes: numbers reserved for fiction.
AREA_CODES = ("312", "773", "872")
NAME_MARK = "Loadtest"  # in every customer's name, so one search finds them all
DAY_START, DAY_END = time(8), time(18)
# The race technician's stretches: two hours hold one 60-minute job with the drives (it
# starts half an hour in); the half hour between stretches keeps them apart (touching
# stretches would merge) and puts 90 minutes between the starts of neighbouring stretches,
# so one claim never blocks two.
RACE_STRETCHES = (
    (time(8), time(10)),
    (time(10, 30), time(12, 30)),
    (time(13), time(15)),
    (time(15, 30), time(17, 30)),
)
RACE_STARTS = (time(8, 30), time(13, 30))  # the racers' two a day, in the 1st and 3rd stretch
# More than the race technician's free times in the horizon (13 days of four stretches,
# the racers' 20 aside: 32, 31 to 33 across a clock change), so a racer's page shows them
# all. The choosers' pages show this many too.
MAX_OPENINGS = 40


@dataclass(frozen=True)
class LoadPlan:
    seed: dict[str, Any]
    choosers: list[str]  # appointment ids of the customers who each pick their own time
    racers: list[str]  # appointment ids of the customers who race for one time
    dispatcher: str
    minutes: dict[str, int]  # appointment id -> its length, which a move keeps


def customer_phone(index: int) -> str:
    """The index-th fictional number: +1 312 555-0101 onwards, then 773, then 872."""
    area, number = divmod(index, 99)
    if area >= len(AREA_CODES):
        raise ValueError(f"only {99 * len(AREA_CODES)} fictional numbers, not {index + 1}")
    return f"+1{AREA_CODES[area]}5550{101 + number}"


def load_plan(
    today: date, choosers: int = 200, racers: int = 20, technicians: int = 20, seed: int = 8
) -> LoadPlan:
    if choosers % technicians:
        raise ValueError("choosers must be a multiple of technicians")
    per_technician = choosers // technicians
    days = [today + timedelta(days=d) for d in range(2, 14)]  # 12 days
    if per_technician > len(days):
        raise ValueError(f"at most {len(days)} appointments per technician")
    if racers > 2 * len(days):
        raise ValueError(f"at most {2 * len(days)} racers")
    rng = random.Random(seed)  # noqa: S311 -- repeatable test data, not a secret
    zone = ZoneInfo(TIME_ZONE)
    hours = _every_day([(DAY_START, DAY_END)])
    race_hours = _every_day(RACE_STRETCHES)
    staff = [f"lt-tech-{n + 1:02d}" for n in range(technicians)] + [RACE_TECHNICIAN]
    bases = {tech: near(rng, CENTER, 6) for tech in staff}
    seed_technicians: list[dict[str, Any]] = [
        {
            "id": tech,
            "name": f"Technician {tech.removeprefix('lt-')}",
            "home_base": {
                "address": f"{100 + n} Depot St",
                "lat": bases[tech]["lat"],
                "lon": bases[tech]["lon"],
            },
            "working_hours": race_hours if tech == RACE_TECHNICIAN else hours,
        }
        for n, tech in enumerate(staff)
    ]
    customers: list[dict[str, Any]] = []
    appointments: list[dict[str, Any]] = []
    minutes: dict[str, int] = {}

    def book(tech: str, start: datetime, service: tuple[str, int]) -> str:
        n = len(appointments) + 1
        customer_id, appointment_id = f"lt-cust-{n:03d}", f"lt-appt-{n:03d}"
        customers.append(
            {
                "id": customer_id,
                "name": f"Customer{n:03d} {NAME_MARK}",
                "phone": customer_phone(n - 1),
                "location": {"address": f"{n} Lake St", **_near_base(rng, bases[tech])},
            }
        )
        name, length = service
        appointments.append(
            {
                "id": appointment_id,
                "customer_id": customer_id,
                "technician_id": tech,
                "service": name,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=length)).isoformat(),
            }
        )
        minutes[appointment_id] = length
        return appointment_id

    chooser_ids = []
    for tech in staff[:-1]:
        for day in sorted(rng.sample(days, per_technician)):
            service = rng.choice(SERVICES)
            # A start on the half hour that ends by 18:00.
            latest = (DAY_END.hour * 60 - service[1] - DAY_START.hour * 60) // 30
            start = datetime.combine(day, DAY_START, tzinfo=zone) + timedelta(
                minutes=30 * rng.randint(0, latest)
            )
            chooser_ids.append(book(tech, start, service))
    racer_ids = []
    for n in range(racers):
        day = days[n // 2]  # two a day from the day after tomorrow
        start = datetime.combine(day, RACE_STARTS[n % 2], tzinfo=zone)
        racer_ids.append(book(RACE_TECHNICIAN, start, RACE_SERVICE))

    business = {
        "id": BUSINESS_ID,
        "name": "Load Test Plumbing",
        "phone": "+13125550100",
        "time_zone": TIME_ZONE,
        "settings": {
            "quiet_hours_start": None,
            "quiet_hours_end": None,
            "max_openings": MAX_OPENINGS,
        },
        "dispatchers": [{"email": DISPATCHER, "name": "Lee Load"}],
        "technicians": seed_technicians,
        "customers": customers,
        "appointments": appointments,
    }
    return LoadPlan(
        seed={"businesses": [business]},
        choosers=chooser_ids,
        racers=racer_ids,
        dispatcher=DISPATCHER,
        minutes=minutes,
    )


def _near_base(rng: random.Random, base: dict[str, float]) -> dict[str, float]:
    """A customer a few kilometres from their technician's depot: drives well under 30 min."""
    return near(rng, (base["lat"], base["lon"]), 4)


def _every_day(stretches: Sequence[tuple[time, time]]) -> list[dict[str, Any]]:
    return [
        {"weekday": d, "start": start.isoformat(), "end": end.isoformat()}
        for d in range(7)
        for start, end in stretches
    ]
