"""The schedule mirror on moto: pages read it and make no provider call; pushes, the
reconcile and the confirm workflow's re-check keep it in step; a stale mirror never books
a taken time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from local.route_matrix import RouteMatrixService
from reschedule_dispatch.adapters.amazon_location import AmazonLocationTravelTime, RouteCache
from reschedule_dispatch.adapters.dynamodb_schedule_mirror import DynamoScheduleMirror
from reschedule_dispatch.domain.errors import OpeningTaken, ProviderUnavailable
from reschedule_dispatch.domain.mirror import mirror_window
from reschedule_dispatch.domain.openings import columns_of
from reschedule_dispatch.domain.ports import SchedulingProvider
from reschedule_dispatch.domain.scheduling import BlockedTime, Location
from reschedule_dispatch.domain.session import Opening, SessionStatus
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.lifecycle import CheckAppointment, HoldOpening, MoveAppointment
from reschedule_dispatch.services.openings import OpeningsForAppointment
from reschedule_dispatch.services.queries import SearchCustomers
from reschedule_dispatch.services.schedule_mirror import (
    MirroredSchedule,
    ReconcileMirrors,
    SyncSchedule,
)
from tests.builders import appointment as build_appointment
from tests.builders import technician as build_technician

BASE = "https://api.example"


class CountingProvider:
    """The provider, with every port call counted (and, when `down`, refused)."""

    def __init__(self, inner: SchedulingProvider) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()
        self.down = False

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if self.down:
                raise ProviderUnavailable("The provider answered 503 Service Unavailable.")
            return method(*args, **kwargs)

        return call


class Mirrored:
    """The world's demo provider behind a counter, with the mirror on the app table."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.live = CountingProvider(world.provider)
        self.store = DynamoScheduleMirror(
            boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"])
        )
        self.reads = MirroredSchedule(mirror=self.store, live=self.live)
        self.sync = SyncSchedule(mirror=self.store, live=self.live, clock=world.clock)

    def links(self) -> CustomerLinks:
        w = self.world
        return CustomerLinks(
            sessions=w.sessions,
            provider=self.reads,
            businesses=w.businesses,
            workflow=w.workflow,
            clock=w.clock,
            openings=OpeningsForAppointment(provider=self.reads, clock=w.clock),
        )

    def send(self, appointment_id: str = "appt-1") -> tuple[Any, str]:
        sent = self.world.send_link()("acme", "d@acme.example", appointment_id, None, BASE)
        return sent.session, sent.link.rsplit("/", 1)[1]


@pytest.fixture
def mirrored(world: Any) -> Mirrored:
    return Mirrored(world)


def _add_technician(world: Any, n: int) -> None:
    world.provider.put_technician(build_technician(id=f"tech-{n}", name=f"Tech {n}"))


def test_a_customer_page_reads_the_mirror_and_calls_no_provider(mirrored):
    world = mirrored.world
    for n in range(2, 6):  # the crew grows: the page's cost must not
        _add_technician(world, n)
    business = world.businesses.get("acme")
    world.businesses.put(
        business.model_copy(
            update={
                "settings": business.settings.model_copy(update={"allow_technician_change": True})
            }
        )
    )
    mirrored.sync.full("acme")
    _, token = mirrored.send()
    mirrored.live.calls.clear()

    page = mirrored.links().page(token)
    chosen = mirrored.links().page(token, slot=page.openings[0].key)

    assert mirrored.live.calls == Counter()
    # Every technician was a candidate (technician change on), still without a call
    assert set(page.technicians) == {f"tech-{n}" for n in range(1, 6)}
    assert chosen.chosen == page.openings[0]
    # The same openings the provider itself would give
    live_links = CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
    )
    assert live_links.page(token).openings == page.openings


def test_a_business_not_mirrored_yet_is_read_from_its_provider(mirrored):
    _, token = mirrored.send()
    mirrored.live.calls.clear()
    page = mirrored.links().page(token)
    assert page.openings
    assert mirrored.live.calls["get_appointment"] == 1
    assert mirrored.live.calls["technician_schedule"] >= 1


def test_a_provider_that_is_down_leaves_the_page_working_from_the_mirror(mirrored):
    mirrored.sync.full("acme")
    _, token = mirrored.send()
    mirrored.live.down = True
    assert mirrored.links().page(token).openings


def test_the_search_reads_customers_and_their_appointments_from_the_mirror(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    mirrored.live.calls.clear()
    found = SearchCustomers(provider=mirrored.reads, sessions=world.sessions, clock=world.clock)(
        "acme", "olivia"
    )
    assert mirrored.live.calls == Counter()
    assert [c.customer.id for c in found] == ["cust-1"]
    assert {a.id for a, _ in found[0].appointments} == {"appt-1", "appt-soon"}
    # Another business's mirror is its own
    mirrored.sync.full("other")
    mirrored.live.calls.clear()
    assert mirrored.reads.search_customers("other", "olivia")[0].business_id == "other"
    assert mirrored.live.calls == Counter()


def test_a_change_pushed_by_the_provider_reaches_the_mirror_in_two_calls(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    before = world.provider.get_appointment("acme", "appt-1")
    later = before.start + timedelta(hours=3)
    # Moved in the provider itself (a dispatcher in the provider's own app)
    world.provider.move_appointment(
        before, Opening(start=later, end=later + timedelta(hours=1), technician_id="tech-1"), "x"
    )
    assert mirrored.reads.get_appointment("acme", "appt-1").start == before.start  # stale
    mirrored.live.calls.clear()

    mirrored.sync.appointment("acme", "appt-1")

    assert mirrored.reads.get_appointment("acme", "appt-1").start == later
    assert sum(mirrored.live.calls.values()) <= 2
    window = mirror_window(world.clock.now())
    busy = mirrored.reads.technician_schedule("acme", "tech-1", *window)
    assert [b.start for b in busy if b.id == "appt-1"] == [later]


def test_an_appointment_reassigned_elsewhere_moves_in_the_mirror(mirrored):
    world = mirrored.world
    _add_technician(world, 2)
    mirrored.sync.full("acme")
    before = world.provider.get_appointment("acme", "appt-1")
    world.provider.move_appointment(
        before, Opening(start=before.start, end=before.end, technician_id="tech-2"), "x"
    )
    mirrored.sync.appointment("acme", "appt-1")
    window = mirror_window(world.clock.now())
    assert mirrored.reads.get_appointment("acme", "appt-1").technician_id == "tech-2"
    schedules = mirrored.reads.schedules("acme", ["tech-1", "tech-2"], *window)
    assert "appt-1" not in {b.id for b in schedules["tech-1"]}
    assert "appt-1" in {b.id for b in schedules["tech-2"]}


def test_the_reconcile_heals_a_missed_push_and_reports_the_lag(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    tomorrow = world.clock.now() + timedelta(days=1)
    world.provider.put_appointment(build_appointment(tomorrow, id="appt-new"))  # no push came
    world.clock.advance(minutes=20)
    reconcile = ReconcileMirrors(
        businesses=world.businesses, mirror=mirrored.store, sync=mirrored.sync, clock=world.clock
    )
    done = reconcile()
    assert done.failed == {}
    assert done.lag_seconds["acme"] == pytest.approx(20 * 60)
    assert done.lag_seconds["other"] is None  # never read before
    assert done.worst_lag_seconds == pytest.approx(20 * 60)
    assert mirrored.reads.get_appointment("acme", "appt-new").start == tomorrow
    # A second run with nothing changed writes only the state item
    again = reconcile()
    assert again.synced["acme"].items_written == 1


def test_a_stale_mirror_costs_a_re_pick_never_a_double_booking(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    session, token = mirrored.send()
    picked = mirrored.links().page(token).openings[0]
    # Someone books that very time in the provider, and no push arrives
    world.provider.put_appointment(
        build_appointment(picked.start, id="appt-rival", customer_id="cust-9")
    )
    mirrored.links().confirm(token, picked.key)

    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(session.id)
    check = CheckAppointment(
        sessions=world.sessions, provider=mirrored.live, resync=mirrored.sync.technicians
    )
    with pytest.raises(OpeningTaken):
        check(session.id)
    # The mirror now has the rival there, so the next page cannot offer that time again
    busy = mirrored.reads.technician_schedule(
        "acme", picked.technician_id, picked.start, picked.end
    )
    assert [b.id for b in busy] == ["appt-rival"]
    appointment = mirrored.reads.get_appointment("acme", "appt-1")
    found = OpeningsForAppointment(provider=mirrored.reads, clock=world.clock)(
        world.businesses.get("acme"), appointment
    )
    assert picked.key not in {o.key for o in found.result.openings}
    assert world.sessions.get("acme", session.id).status is SessionStatus.CONFIRMING


def test_a_move_is_in_the_mirror_before_any_sync(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    session, token = mirrored.send()
    picked = mirrored.links().page(token).openings[0]
    mirrored.links().confirm(token, picked.key)
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(session.id)
    CheckAppointment(sessions=world.sessions, provider=mirrored.live)(session.id)
    mirrored.live.calls.clear()
    MoveAppointment(sessions=world.sessions, provider=mirrored.live, mirror=mirrored.store)(
        session.id
    )
    assert sum(mirrored.live.calls.values()) == 2  # the re-read and the move

    moved = mirrored.reads.get_appointment("acme", "appt-1")
    assert (moved.start, moved.technician_id) == (picked.start, picked.technician_id)
    assert moved.version == world.provider.get_appointment("acme", "appt-1").version
    busy = mirrored.reads.technician_schedule(
        "acme", picked.technician_id, picked.start - timedelta(days=1), picked.end
    )
    assert [b.start for b in busy if b.id == "appt-1"] == [picked.start]


def test_time_blocked_across_weeks_is_busy_on_every_day_of_it(mirrored):
    world = mirrored.world
    start = world.clock.now() + timedelta(days=4)  # Friday
    world.provider.put_blocked_time(
        BlockedTime(
            id="vacation",
            business_id="acme",
            technician_id="tech-1",
            start=start,
            end=start + timedelta(days=12),  # into the week after next
            reason="Vacation",
        )
    )
    mirrored.sync.full("acme")
    for day in (1, 5, 11):
        at = start + timedelta(days=day)
        busy = mirrored.reads.technician_schedule("acme", "tech-1", at, at + timedelta(hours=1))
        assert [b.id for b in busy] == ["vacation"], day


def test_an_appointment_gone_from_the_provider_leaves_the_mirror_at_the_next_full_read(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    canceled = world.provider.get_appointment("acme", "appt-1").model_copy(
        update={"status": "canceled"}
    )
    world.provider.put_appointment(canceled)
    mirrored.sync.full("acme")
    mirrored.live.calls.clear()
    # Not in the mirror any more: asked of the provider, which says canceled
    assert mirrored.reads.get_appointment("acme", "appt-1").status == "canceled"
    assert mirrored.live.calls["get_appointment"] == 1


def test_time_blocked_in_the_provider_since_the_page_was_shown_is_refused(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    session, token = mirrored.send()
    picked = mirrored.links().page(token).openings[0]
    # The technician blocks that hour in the provider (training); the mirror has not seen it
    world.provider.put_blocked_time(
        BlockedTime(
            id="training",
            business_id="acme",
            technician_id=picked.technician_id,
            start=picked.start,
            end=picked.end,
            reason="Training",
        )
    )
    mirrored.links().confirm(token, picked.key)
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(session.id)
    with pytest.raises(OpeningTaken):
        CheckAppointment(
            sessions=world.sessions, provider=mirrored.live, resync=mirrored.sync.technicians
        )(session.id)
    busy = mirrored.reads.technician_schedule(
        "acme", picked.technician_id, picked.start, picked.end
    )
    assert [b.id for b in busy] == ["training"]


def test_a_technician_the_mirror_has_not_read_yet_is_read_from_the_provider(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    _add_technician(world, 7)  # hired after the last whole read, already booked
    tomorrow = world.clock.now() + timedelta(days=1)
    world.provider.put_appointment(
        build_appointment(tomorrow, id="appt-new-tech", technician_id="tech-7")
    )
    window = (tomorrow - timedelta(hours=1), tomorrow + timedelta(hours=2))
    mirrored.live.calls.clear()
    schedules = mirrored.reads.schedules("acme", ["tech-1", "tech-7"], *window)
    assert [b.id for b in schedules["tech-7"]] == ["appt-new-tech"]
    assert mirrored.live.calls["technician_schedule"] == 1  # tech-7 only


def test_the_openings_engine_reads_the_mirror_as_columns_of_the_same_items(mirrored):
    world = mirrored.world
    start = world.clock.now() + timedelta(days=4)
    world.provider.put_blocked_time(  # across two week boundaries, with no place
        BlockedTime(
            id="vacation",
            business_id="acme",
            technician_id="tech-1",
            start=start,
            end=start + timedelta(days=12),
            reason="Vacation",
        )
    )
    world.provider.put_appointment(  # a job with no address
        build_appointment(start - timedelta(days=1), id="appt-nowhere", location=None)
    )
    mirrored.sync.full("acme")
    window = (world.clock.now(), world.clock.now() + timedelta(days=21))

    columns = mirrored.reads.busy_columns("acme", ["tech-1"], *window)["tech-1"]
    items = mirrored.reads.schedules("acme", ["tech-1"], *window)["tech-1"]

    # Each item once, by start, every column exactly what its model says
    assert list(columns.ids) == sorted(set(columns.ids), key=list(columns.ids).index)
    assert list(columns.starts) == sorted(columns.starts)
    expected = columns_of(items)
    shown = {i: n for n, i in enumerate(columns.ids)}
    assert {b.id for b in items} <= set(shown)
    for n, item in enumerate(items):
        at = shown[item.id]
        assert columns.starts[at] == expected.starts[n] == item.start.timestamp()
        assert columns.ends[at] == expected.ends[n]
        assert columns.places[at] == expected.places[n]
        assert columns.label(at) == expected.label(n)
    assert columns.places[shown["vacation"]] is None
    assert columns.label(shown["vacation"]) == "blocked time vacation (Vacation)"
    assert columns.places[shown["appt-nowhere"]] is None


def test_weeks_written_before_they_carried_columns_are_read_from_their_items(mirrored):
    world = mirrored.world
    mirrored.sync.full("acme")
    window = (world.clock.now(), world.clock.now() + timedelta(days=14))
    packed = mirrored.reads.busy_columns("acme", ["tech-1"], *window)["tech-1"]
    table = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"])
    weeks = table.query(
        KeyConditionExpression=Key("pk").eq("MIRROR#acme") & Key("sk").begins_with("W#")
    )["Items"]
    assert weeks
    assert all("busy_columns" in week for week in weeks)
    for week in weeks:  # as the previous format wrote them: no columns, its own digest
        table.update_item(
            Key={"pk": week["pk"], "sk": week["sk"]},
            UpdateExpression="REMOVE busy_columns SET digest = :before",
            ExpressionAttributeValues={":before": "digest-of-format-1"},
        )

    assert mirrored.reads.busy_columns("acme", ["tech-1"], *window)["tech-1"] == packed
    # And the next full read writes them again, with columns
    mirrored.sync.full("acme")
    weeks = table.query(
        KeyConditionExpression=Key("pk").eq("MIRROR#acme") & Key("sk").begins_with("W#")
    )["Items"]
    assert all("busy_columns" in week for week in weeks)


# --- the drives between a technician's stops, kept with the weeks -----------------------

CALCULATOR = "routes"


def _book_a_week(world: Any) -> None:
    """Three technicians, each with a job at its own address on each of five days."""
    for n in (2, 3):
        _add_technician(world, n)
    first = world.clock.now() + timedelta(days=1)
    for n in (1, 2, 3):
        for day in range(5):
            world.provider.put_appointment(
                build_appointment(
                    first + timedelta(days=day, hours=n),
                    id=f"job-{n}-{day}",
                    technician_id=f"tech-{n}",
                    location=Location(lat=41.85 + 0.01 * n, lon=-87.70 + 0.01 * day),
                )
            )


def _with_routes(world: Any, routes: RouteMatrixService) -> Mirrored:
    mirrored = Mirrored(world)
    store = DynamoScheduleMirror(
        boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]),
        stop_drives=AmazonLocationTravelTime(routes.client, CALCULATOR),
    )
    mirrored.store = store
    mirrored.reads = MirroredSchedule(mirror=store, live=mirrored.live)
    mirrored.sync = SyncSchedule(mirror=store, live=mirrored.live, clock=world.clock)
    return mirrored


def _allow_technician_change(world: Any) -> None:
    business = world.businesses.get("acme")
    settings = business.settings.model_copy(update={"allow_technician_change": True})
    world.businesses.put(business.model_copy(update={"settings": settings}))


def test_a_page_pays_for_no_drive_between_stops_the_sync_knew(world):
    routes = RouteMatrixService()
    mirrored = _with_routes(world, routes)
    _book_a_week(world)
    _allow_technician_change(world)
    mirrored.sync.full("acme")
    assert routes.routes > 0  # the sync asked for the stops' drives
    session, _ = mirrored.send()
    site = world.provider.get_appointment("acme", session.appointment_id).location
    assert site is not None
    asked: list[tuple[tuple[float, float], tuple[float, float]]] = []
    page_routes = RouteMatrixService()
    page_routes.client.meta.events.register(
        "provide-client-params.location.CalculateRouteMatrix",
        lambda params, **_: asked.extend(
            ((a[1], a[0]), (b[1], b[0]))
            for a in params["DeparturePositions"]
            for b in params["DestinationPositions"]
        ),
    )
    # A container that starts cold: its own route cache, nothing known but the mirror
    page = OpeningsForAppointment(
        provider=mirrored.reads,
        clock=world.clock,
        travel_for=lambda settings: AmazonLocationTravelTime(
            page_routes.client, CALCULATOR, cache=RouteCache()
        ),
    )
    business = world.businesses.get("acme")
    appointment = mirrored.reads.get_appointment("acme", session.appointment_id)

    shown = page(business, appointment).result.openings

    customer = (round(site.lat, 4), round(site.lon, 4))
    assert asked  # the drives to and from the customer
    assert all(customer in pair for pair in asked), "a drive between two stops was billed"
    assert page_routes.routes == len(set(asked))  # each route billed once
    # And the same openings as the offline model gives (the service answers with it)
    offline = OpeningsForAppointment(provider=mirrored.reads, clock=world.clock)(
        business, appointment
    )
    assert shown == offline.result.openings


def test_a_rewritten_week_keeps_its_drives_and_asks_only_for_new_ones(world):
    routes = RouteMatrixService()
    mirrored = _with_routes(world, routes)
    _book_a_week(world)
    mirrored.sync.full("acme")
    full = routes.routes
    routes.reset()
    # One job moves to a new address in the provider; its technician is read again
    moved = world.provider.get_appointment("acme", "job-2-1")
    world.provider.put_appointment(
        moved.model_copy(update={"location": Location(lat=41.95, lon=-87.60)})
    )
    # (a new container: nothing cached but what the mirror holds)
    _with_routes(world, routes).sync.technicians("acme", ["tech-2"])

    # Only the drives that touch the new address: from and to the stops either side and home
    assert 0 < routes.routes <= 4 < full


def test_weeks_written_without_the_route_service_get_their_drives_at_the_next_sync(world):
    plain = Mirrored(world)
    _book_a_week(world)
    plain.sync.full("acme")
    table = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"])

    def weeks() -> list[dict[str, Any]]:
        return table.query(
            KeyConditionExpression=Key("pk").eq("MIRROR#acme") & Key("sk").begins_with("W#")
        )["Items"]

    assert not any("stop_drives" in week for week in weeks())
    routes = RouteMatrixService()
    _with_routes(world, routes).sync.full("acme")
    assert weeks()
    assert all("stop_drives" in week for week in weeks())
    assert routes.routes > 0
