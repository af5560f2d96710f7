"""Demo data: five businesses in four time zones, with two weeks of appointments from today.

Two keep their schedule in the built-in demo provider; one each in the local fakes of
Google Calendar, Microsoft Outlook and ServiceTitan (`provider`, see local/provider_fakes).

Deterministic for a given day, so a screenshot or a bug report can be reproduced.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Benjamin", "Harper", "Henry", "Evelyn", "Theo", "Camila", "Jack",
]  # fmt: skip
LAST_NAMES = [
    "Garcia", "Johnson", "Nguyen", "Patel", "Kim", "Brown", "Martinez", "Lopez", "Wilson",
    "Anderson", "Thomas", "Hernandez", "Moore", "Jackson", "Lee", "Clark", "Lewis", "Walker",
]  # fmt: skip
STREETS = ["Oak St", "Maple Ave", "Cedar Ln", "Pine St", "Elm St", "Lake Dr", "Hill Rd", "Park Ave"]

BUSINESSES: list[dict[str, Any]] = [
    {
        "id": "northside-plumbing",
        "name": "Northside Plumbing",
        "phone": "+13125550100",
        "time_zone": "America/Chicago",
        "center": (41.8781, -87.6298),
        "area_code": "312",
        "dispatcher": ("dana@northside.example", "Dana Brooks"),
        "technicians": ["Alex Rivera", "Sam Carter", "Jordan Lee", "Casey Morgan", "Riley Chen",
                        "Taylor Brooks"],
        "services": [("Drain cleaning", 60), ("Water heater repair", 120), ("Leak repair", 90),
                     ("Faucet installation", 60), ("Sewer line inspection", 90)],
    },
    {
        "id": "bayside-hvac",
        "name": "Bayside Heating & Air",
        "phone": "+14155550100",
        "time_zone": "America/Los_Angeles",
        "center": (37.7749, -122.4194),
        "area_code": "415",
        "dispatcher": ("maria@bayside.example", "Maria Santos"),
        "technicians": ["Chris Park", "Devon Ellis", "Jamie Ortiz", "Morgan Shaw", "Quinn Foster",
                        "Avery Kim"],
        "services": [("AC tune-up", 90), ("Furnace repair", 120), ("Thermostat installation", 60),
                     ("Duct cleaning", 120), ("Heat pump service", 90)],
    },
    {
        "id": "lakeside-electric",
        "name": "Lakeside Electric",
        "provider": "google_calendar",
        "phone": "+14145550100",
        "time_zone": "America/Chicago",
        "center": (43.0389, -87.9065),
        "area_code": "414",
        "dispatcher": ("lena@lakeside.example", "Lena Fischer"),
        "technicians": ["Owen Becker", "Nina Kowalski", "Marcus Hill", "Priya Shah"],
        "services": [("Outlet repair", 60), ("Panel upgrade", 180), ("Lighting installation", 90),
                     ("EV charger installation", 120)],
    },
    {
        "id": "harbor-appliance",
        "name": "Harbor Appliance Repair",
        "provider": "microsoft_graph",
        "phone": "+16175550100",
        "time_zone": "America/New_York",
        "center": (42.3601, -71.0589),
        "area_code": "617",
        "dispatcher": ("hugo@harbor.example", "Hugo Almeida"),
        "technicians": ["Grace Liu", "Tomas Reyes", "Ella Novak", "Sean Murphy"],
        "services": [("Washer repair", 90), ("Refrigerator repair", 120), ("Dryer vent cleaning", 60),
                     ("Dishwasher installation", 90)],
    },
    {
        "id": "summit-home",
        "name": "Summit Home Services",
        "provider": "servicetitan",
        "phone": "+13035550100",
        "time_zone": "America/Denver",
        "center": (39.7392, -104.9903),
        "area_code": "303",
        "dispatcher": ("sofia@summit.example", "Sofia Ramirez"),
        "technicians": ["Wes Turner", "Kira Olsen", "Luis Romero", "Hannah Price"],
        "services": [("Furnace tune-up", 90), ("Water softener service", 60),
                     ("Garage door repair", 90), ("Gutter cleaning", 120)],
    },
]  # fmt: skip

CUSTOMERS_PER_BUSINESS = 40
DAYS = 14


def near(rng: random.Random, center: tuple[float, float], km: float) -> dict[str, float]:
    """A random point up to km north-south and east-west of center (at Chicago's latitude)."""
    # ~111 km per degree of latitude; longitude degrees shrink with latitude (~0.75 here).
    return {
        "lat": round(center[0] + rng.uniform(-km, km) / 111.0, 5),
        "lon": round(center[1] + rng.uniform(-km, km) / 83.0, 5),
    }


def _business(spec: dict[str, Any], today: date, rng: random.Random) -> dict[str, Any]:
    zone = ZoneInfo(spec["time_zone"])
    business_id = spec["id"]
    hours = [{"weekday": d, "start": "08:00:00", "end": "17:00:00"} for d in range(5)]
    technicians = [
        {
            "id": f"{business_id[:2]}-tech-{i + 1}",
            "name": name,
            "home_base": {"address": f"{rng.randint(100, 999)} {rng.choice(STREETS)}",
                          **near(rng, spec["center"], 4)},
            "working_hours": hours + ([{"weekday": 5, "start": "09:00:00", "end": "13:00:00"}]
                                      if i % 2 == 0 else []),
        }
        for i, name in enumerate(spec["technicians"])
    ]  # fmt: skip
    customers = []
    for i in range(CUSTOMERS_PER_BUSINESS):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
        customers.append(
            {
                "id": f"{business_id[:2]}-cust-{i + 1:02d}",
                "name": f"{first} {last}",
                # 555-01xx numbers are reserved for fiction: never a real person's phone.
                "phone": f"+1{spec['area_code']}55501{i + 1:02d}",
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "location": {
                    "address": f"{rng.randint(100, 9999)} {rng.choice(STREETS)}",
                    **near(rng, spec["center"], 5),
                },
            }
        )
    appointments = []
    number = 0
    for day_offset in range(DAYS):
        day = today + timedelta(days=day_offset)
        if day.weekday() >= 5:
            continue
        for index, technician in enumerate(technicians):
            # Two to three jobs a day, with gaps between them for the customer to move into;
            # none on the first technician's Friday afternoon (vehicle service, below).
            day_end = time(13) if index == 0 and day.weekday() == 4 else time(17)
            cursor = datetime.combine(day, time(8), tzinfo=zone)
            for _ in range(rng.randint(2, 3)):
                service, minutes = rng.choice(spec["services"])
                cursor += timedelta(minutes=rng.choice([0, 30, 60, 90]))
                end = cursor + timedelta(minutes=minutes)
                if end.time() > day_end:
                    break
                customer = customers[number % CUSTOMERS_PER_BUSINESS]
                number += 1
                appointments.append(
                    {
                        "id": f"{business_id[:2]}-appt-{number:03d}",
                        "customer_id": customer["id"],
                        "technician_id": technician["id"],
                        "service": service,
                        "start": cursor.isoformat(),
                        "end": end.isoformat(),
                    }
                )
                cursor = end + timedelta(minutes=30)
    # Every Friday afternoon the first technician's van is serviced: time nobody can book.
    blocked_times = [
        {
            "id": f"{business_id[:2]}-block-{i + 1}",
            "technician_id": technicians[0]["id"],
            "start": datetime.combine(day, time(13), tzinfo=zone).isoformat(),
            "end": datetime.combine(day, time(17), tzinfo=zone).isoformat(),
            "reason": "Vehicle service",
        }
        for i, day in enumerate(
            today + timedelta(days=d)
            for d in range(DAYS)
            if (today + timedelta(days=d)).weekday() == 4
        )
    ]
    email, name = spec["dispatcher"]
    return {
        "id": business_id,
        "name": spec["name"],
        "provider": spec.get("provider", "demo"),
        "phone": spec["phone"],
        "time_zone": spec["time_zone"],
        # Links can go by email too, and staff hear of outcomes in the Slack sandbox.
        "email_from": f"schedule@{business_id}.example",
        "settings": {"slack_channel": f"#{business_id}-dispatch"},
        "dispatchers": [{"email": email, "name": name}],
        "technicians": technicians,
        "customers": customers,
        "appointments": appointments,
        "blocked_times": blocked_times,
    }


def demo_seed(today: date) -> dict[str, Any]:
    rng = random.Random(today.toordinal())  # noqa: S311 - demo data, not a secret
    return {"businesses": [_business(spec, today, rng) for spec in BUSINESSES]}


def write_demo_seed_without_quiet_hours(folder: Path, today: date) -> Path:
    """The demo data from `today` with quiet hours off, as `folder/seed.json`: for the
    benchmarks, which send links on the real clock at whatever hour they run (the e2e tests
    pin the stack's clock instead)."""
    seed = demo_seed(today)
    for business in seed["businesses"]:
        business["settings"] = {
            **business.get("settings", {}),
            "quiet_hours_start": None,
            "quiet_hours_end": None,
        }
    path = folder / "seed.json"
    path.write_text(json.dumps(seed))
    return path
