"""Benchmark: what drive times from a billed route service cost a customer's page.

`python bench/bench_routes.py` (or `make bench`). The case of bench_openings.py (50
technicians, 10 jobs a day for 14 days, technician change on) with Amazon Location as the
business's travel model. The service is `local/route_matrix.py`: a real boto3 client whose
CalculateRouteMatrix calls are answered in the process, every route of every matrix counted
as billed. Each page view starts with an empty route cache (a container starting cold).

- before: the page asks the service for every drive the search may need (to and from the
  customer in two matrix requests, the drives between stops grouped 20 to a request), as
  pages did before the mirror kept the drives between stops;
- after: the schedule mirror's weeks carry the drives between each technician's stops (the
  sync paid for them once, each route once), and the page asks only for the drives to and
  from the customer.

The budget: routes billed per page view / legs the page needs <= 1.2.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "shared" / "python"))

from bench.bench_openings import NOW, SETTINGS, ZONE, Case, make_case
from local.route_matrix import RouteMatrixService
from reschedule_dispatch.adapters.amazon_location import AmazonLocationTravelTime, RouteCache
from reschedule_dispatch.adapters.dynamodb_schedule_mirror import _around, legs_between
from reschedule_dispatch.domain.business import Business, BusinessSettings
from reschedule_dispatch.domain.mirror import by_week
from reschedule_dispatch.domain.openings import columns_of, travel_legs
from reschedule_dispatch.domain.scheduling import Busy, BusyColumns, Leg, Technician
from reschedule_dispatch.services.openings import OpeningsForAppointment

CALCULATOR = "bench-routes"
BUDGET_ROUTES_PER_LEG = 1.2


class PinnedClock:
    def now(self) -> datetime:
        return NOW


class CaseSchedule:
    """The case behind the scheduling-provider port, read technician by technician."""

    def __init__(self, case: Case) -> None:
        self._case = case
        self._by_id = {t.id: t for t in case.technicians}

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        return self._by_id[technician_id]

    def technicians(self, business_id: str) -> Sequence[Technician]:
        return self._case.technicians

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        return self._case.busy[technician_id]


class CaseMirror(CaseSchedule):
    """The same as the schedule mirror answers it: columns, with the stops' drives."""

    def __init__(self, case: Case, columns: Mapping[str, BusyColumns]) -> None:
        super().__init__(case)
        self._columns = columns

    def schedules(
        self, business_id: str, technician_ids: Collection[str], start: datetime, end: datetime
    ) -> dict[str, Sequence[Busy]]:
        return {t: self.technician_schedule(business_id, t, start, end) for t in technician_ids}

    def busy_columns(
        self, business_id: str, technician_ids: Collection[str], start: datetime, end: datetime
    ) -> dict[str, BusyColumns]:
        return {t: self._columns[t] for t in technician_ids}


def sync_stop_drives(case: Case, routes: RouteMatrixService) -> dict[str, BusyColumns]:
    """What the mirror's sync does: each technician-week's stop drives (with the stops a day
    either side of the week), each route asked for once."""
    travel = AmazonLocationTravelTime(routes.client, CALCULATOR, cache=RouteCache())
    columns = {}
    for technician in case.technicians:
        home = technician.home_base
        point = None if home is None else (home.lat, home.lon)
        weeks = by_week(technician.id, case.busy[technician.id])
        filed = {(technician.id, week): filed for week, filed in weeks.items()}
        drives: dict[Leg, int] = {}
        for week in weeks.values():
            drives.update(travel.drives(legs_between(_around(week, filed), point)))
        theirs = columns_of(case.busy[technician.id])
        columns[technician.id] = BusyColumns(
            ids=theirs.ids,
            blocked=theirs.blocked,
            starts=theirs.starts,
            ends=theirs.ends,
            places=theirs.places,
            reasons=theirs.reasons,
            drives=drives,
        )
    return columns


def page_view(provider: object, case: Case, routes: RouteMatrixService) -> list[str]:
    """One page's openings, its route cache empty; the routes it bills are counted."""
    find = OpeningsForAppointment(
        provider=provider,  # type: ignore[arg-type]
        clock=PinnedClock(),
        travel_for=lambda _: AmazonLocationTravelTime(
            routes.client, CALCULATOR, cache=RouteCache()
        ),
    )
    business = Business(
        id="bench",
        name="Bench",
        phone="+13125550100",
        time_zone=ZONE.key,
        settings=BusinessSettings(allow_technician_change=True),
    )
    return [o.key for o in find(business, case.appointment).result.openings]


def main() -> int:
    case = make_case(50)
    legs = travel_legs(case.appointment, case.technicians, case.busy, SETTINGS, ZONE, NOW)
    needed = len(legs.to_customer) + len(legs.from_customer) + len(legs.between)

    before = RouteMatrixService()
    shown_before = page_view(CaseSchedule(case), case, before)

    sync = RouteMatrixService()
    columns = sync_stop_drives(case, sync)
    after = RouteMatrixService()
    shown_after = page_view(CaseMirror(case, columns), case, after)
    if not shown_after or shown_after != shown_before:
        print("FAILED: the page shows other openings with the stops' drives known")
        return 1
    stop_drives = sum(len(c.drives) for c in columns.values())

    print(
        f"Drive times from a billed route service, {case.appointments} jobs, "
        f"{len(case.technicians)} technicians, technician change on\n"
        f"  legs a page needs: {needed:,} ({len(legs.to_customer)} to the customer, "
        f"{len(legs.from_customer)} from, {len(legs.between):,} between stops)\n"
        f"  {'':<40} {'requests':>9} {'routes billed':>14} {'per leg':>8}"
    )
    rows = [
        ("page view, before (every drive asked)", before),
        ("page view, after (stops' drives kept)", after),
    ]
    for label, counted in rows:
        print(
            f"  {label:<40} {counted.requests:>9,} {counted.routes:>14,} "
            f"{counted.routes / needed:>8.3f}"
        )
    print(
        f"  {'the sync, once (' + format(stop_drives, ',') + ' stop drives)':<40} "
        f"{sync.requests:>9,} {sync.routes:>14,} {sync.routes / stop_drives:>8.3f}"
    )
    ratio = after.routes / needed
    print(
        f"\nRoutes billed per page view / legs needed: {ratio:.3f} (budget {BUDGET_ROUTES_PER_LEG})"
    )
    failures = []
    if ratio > BUDGET_ROUTES_PER_LEG:
        failures.append(f"routes per leg {ratio:.3f} > {BUDGET_ROUTES_PER_LEG}")
    if sync.routes != stop_drives:
        failures.append(f"the sync billed {sync.routes} routes for {stop_drives} drives")
    if after.routes > RouteCache().maxsize:
        failures.append("a page's routes do not fit in the route cache")
    print("FAILED: " + "; ".join(failures) if failures else "Within budget.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
