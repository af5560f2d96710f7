"""Benchmark of the openings engine: `python bench/bench_openings.py` (or `make bench`).

The case from the issue: one appointment to move, technician change allowed, 50 technicians
with 10 appointments a day for 14 days (7,000 busy items), default settings and the offline
travel model. Then the same shape at 1x, 10x and 100x of a smaller size (5, 50 and 500
technicians) to show that the time grows linearly with the number of appointments.

Data comes from random.Random(seed), so every run times the same schedules. Each size is
warmed up, then timed with time.perf_counter; the table gives the median and the 95th
percentile, and microseconds per busy appointment (flat when growth is linear).

Then what a page pays from stored bytes to ranked openings, on the full case filed as the
schedule mirror files it (one packed item per technician and week): read as models (what
pages did) and as the engine's columns (what they do), both in this run, and their ratio.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "shared" / "python"))

from bench.stats import percentile
from reschedule_dispatch.adapters.dynamodb_schedule_mirror import (
    _week_item,
    busy_by_technician,
    columns_by_technician,
)
from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.mirror import by_week
from reschedule_dispatch.domain.openings import find_openings, search_window
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    Busy,
    Location,
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.travel import travel_from_settings

ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 9:00 in Chicago
CENTER = (41.88, -87.63)
DAYS = 14
PER_DAY = 10
SETTINGS = BusinessSettings(allow_technician_change=True)


@dataclass(frozen=True)
class Case:
    appointment: Appointment
    technicians: list[Technician]
    busy: dict[str, list[Busy]]

    @property
    def appointments(self) -> int:
        return sum(len(items) for items in self.busy.values())


def _place(rng: random.Random, spread_km: float = 20.0) -> Location:
    # About 111 km per degree of latitude, 83 per degree of longitude at Chicago.
    return Location(
        lat=CENTER[0] + rng.uniform(-spread_km, spread_km) / 111,
        lon=CENTER[1] + rng.uniform(-spread_km, spread_km) / 83,
    )


def make_case(technicians: int, seed: int = 7) -> Case:
    """`technicians` technicians working 7:00-19:00 every day, 10 jobs a day for 14 days."""
    rng = random.Random(seed)  # noqa: S311 -- repeatable test data, not secrets
    hours = tuple(WorkingHours(weekday=d, start=clock(7), end=clock(19)) for d in range(7))
    techs = [
        Technician(
            id=f"tech-{n:03}",
            business_id="bench",
            name=f"Technician {n}",
            home_base=_place(rng),
            working_hours=hours,
        )
        for n in range(technicians)
    ]
    first_day = (NOW + timedelta(days=1)).astimezone(ZONE).date()
    busy: dict[str, list[Busy]] = {}
    for tech in techs:
        items: list[Busy] = []
        for d in range(DAYS):
            day = first_day + timedelta(days=d)
            durations = [rng.choice((30, 45, 60)) for _ in range(PER_DAY)]
            free = 12 * 60 - sum(durations)
            # Split the free time into PER_DAY + 1 gaps on a 15-minute grid.
            cuts = sorted(rng.randint(0, free // 15) * 15 for _ in range(PER_DAY))
            gaps = [b - a for a, b in zip([0, *cuts], [*cuts, free], strict=True)]
            at = datetime.combine(day, clock(7), tzinfo=ZONE)
            for i, minutes in enumerate(durations):
                at += timedelta(minutes=gaps[i])
                # Built as the provider adapters build them: validated from stored UTC
                # ISO 8601 strings (so each datetime carries pydantic's own tzinfo).
                items.append(
                    Appointment.model_validate(
                        {
                            "id": f"{tech.id}-{d}-{i}",
                            "business_id": "bench",
                            "customer_id": f"c-{tech.id}-{d}-{i}",
                            "technician_id": tech.id,
                            "service": "Maintenance",
                            "start": at.astimezone(UTC).isoformat(),
                            "end": (at + timedelta(minutes=minutes)).astimezone(UTC).isoformat(),
                            "location": _place(rng),
                        }
                    )
                )
                at += timedelta(minutes=minutes)
        busy[tech.id] = items
    # The one to move: an existing job of the first technician, on the third day.
    moving = busy[techs[0].id][2 * PER_DAY + 3]
    assert isinstance(moving, Appointment)
    return Case(appointment=moving, technicians=techs, busy=busy)


def run(case: Case) -> int:
    result = find_openings(
        case.appointment,
        case.technicians,
        case.busy,
        SETTINGS,
        ZONE,
        NOW,
        travel_from_settings(SETTINGS),
    )
    return len(result.openings)


def measure(case: Case, repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        run(case)
    timings: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        run(case)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def stored_weeks(case: Case) -> list[dict[str, object]]:
    """The case as the schedule mirror stores it: one packed item per technician-week."""
    return [
        _week_item("bench", week)
        for technician_id, busy in case.busy.items()
        for week in by_week(technician_id, busy).values()
    ]


def from_stored(case: Case, weeks: list[dict[str, object]], *, as_columns: bool) -> list[str]:
    """Stored weeks to ranked openings: unpacked as models or as columns, then the engine."""
    ids = [t.id for t in case.technicians]
    start, end = search_window(NOW, SETTINGS)
    busy = (
        columns_by_technician(weeks, ids)
        if as_columns
        else busy_by_technician(weeks, ids, start, end)
    )
    result = find_openings(
        case.appointment,
        case.technicians,
        busy,
        SETTINGS,
        ZONE,
        NOW,
        travel_from_settings(SETTINGS),
    )
    return [o.key for o in result.openings]


def time_median(action: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        action()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


BUDGET_MEDIAN_MS = 20.0  # the full case, on the 2-core development machine
# Stored weeks to ranked openings, columns / models (issue 14, item 7).
BUDGET_COLUMNS_RATIO = 0.15
# Per-appointment cost at 100x may exceed the 1x cost by this much and still be linear
# (caches and allocation grow a little with size); quadratic growth would be ~100x.
LINEAR_SLACK = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 100x size")
    args = parser.parse_args()
    repeats = 10 if args.quick else args.repeats

    print(f"Python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    full = make_case(50)
    timings = measure(full, repeats, warmup=5)
    print(
        f"\nFull case: 50 technicians x {DAYS} days x {PER_DAY} appointments/day "
        f"= {full.appointments} appointments, technician change allowed, "
        f"{run(full)} openings shown"
    )
    full_median = statistics.median(timings)
    print(f"  median {full_median:7.2f} ms   p95 {percentile(timings, 95):7.2f} ms")

    print("\nGrowth (the same shape with more technicians):")
    print(
        f"  {'size':>5} {'technicians':>11} {'appointments':>12} {'median ms':>10} {'p95 ms':>8} {'us/appt':>8}"
    )
    sizes = ((1, 5), (10, 50)) if args.quick else ((1, 5), (10, 50), (100, 500))
    per_appointment = []
    for factor, technicians in sizes:
        case = make_case(technicians)
        n = max(3, repeats // factor)
        timings = measure(case, n, warmup=2)
        median = statistics.median(timings)
        per_appointment.append(median * 1000 / case.appointments)
        print(
            f"  {factor:>4}x {technicians:>11} {case.appointments:>12} {median:>10.2f} "
            f"{percentile(timings, 95):>8.2f} {per_appointment[-1]:>8.2f}"
        )

    weeks = stored_weeks(full)
    shown = from_stored(full, weeks, as_columns=True)
    if not shown or shown != from_stored(full, weeks, as_columns=False):
        print("FAILED: the stored weeks give other openings than the case")
        return 1
    models_ms = time_median(
        lambda: from_stored(full, weeks, as_columns=False), max(5, repeats // 5)
    )
    columns_ms = time_median(lambda: from_stored(full, weeks, as_columns=True), repeats)
    columns_ratio = columns_ms / models_ms
    print(
        f"\nStored weeks to ranked openings, full case ({len(weeks)} packed weeks):\n"
        f"  as models  {models_ms:7.2f} ms (decompress, validate a model per item, engine)\n"
        f"  as columns {columns_ms:7.2f} ms (decompress, unpack the columns, engine)\n"
        f"  columns / models {columns_ratio:.3f} (budget {BUDGET_COLUMNS_RATIO})"
    )

    # The budgets: a benchmark that cannot fail is only a report
    failures = []
    if columns_ratio > BUDGET_COLUMNS_RATIO:
        failures.append(f"columns / models {columns_ratio:.3f} > {BUDGET_COLUMNS_RATIO}")
    if full_median > BUDGET_MEDIAN_MS:
        failures.append(f"median {full_median:.2f} ms > {BUDGET_MEDIAN_MS} ms")
    if per_appointment[-1] > LINEAR_SLACK * per_appointment[0]:
        failures.append("growth is not linear in the number of appointments")
    print("\n" + ("FAILED: " + "; ".join(failures) if failures else "Within budget."))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
