"""The schedule mirror's services (services/schedule_mirror.py): reads answered from the
mirror (the provider only for what it lacks, each miss told), and the syncs that keep it in
step with the provider."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import NotFound, ProviderUnauthorized
from reschedule_dispatch.domain.mirror import ScheduleSnapshot, mirror_window
from reschedule_dispatch.domain.scheduling import BlockedTime, Busy, Customer
from reschedule_dispatch.domain.session import Opening
from reschedule_dispatch.services.schedule_mirror import (
    MirroredSchedule,
    ReconcileMirrors,
    SyncSchedule,
    note_in_mirror,
)
from tests.builders import NOW, appointment, business, customer, technician
from tests.fakes import FakeBusinesses, FakeScheduleMirror
from tests.unit.services.conftest import WEDNESDAY_10AM

WINDOW = mirror_window(NOW)


class Mirrored:
    """The world's provider behind the mirror, with the misses it was told."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.live = world.provider
        self.store = FakeScheduleMirror()
        self.misses: list[str] = []
        self.reads = MirroredSchedule(mirror=self.store, live=self.live, on_miss=self.misses.append)
        self.sync = SyncSchedule(mirror=self.store, live=self.live, clock=world.clock)

    def synced(self) -> Mirrored:
        self.sync.full("acme")
        self.live.calls.clear()
        self.misses.clear()
        return self


@pytest.fixture
def mirrored(world) -> Mirrored:
    return Mirrored(world)


# --- reads ------------------------------------------------------------------------------


def test_before_its_first_read_every_read_goes_to_the_provider_and_is_told(mirrored):
    reads = mirrored.reads
    assert reads.get_appointment("acme", "appt-1").id == "appt-1"
    assert reads.get_customer("acme", "cust-1").name == "Olivia Garcia"
    assert [c.id for c in reads.search_customers("acme", "olivia")] == ["cust-1"]
    assert [t.id for t in reads.technicians("acme")] == ["tech-1"]
    assert reads.get_technician("acme", "tech-1").id == "tech-1"
    assert [a.id for a in reads.upcoming_appointments("acme", "cust-1", NOW)] == [
        "appt-soon",
        "appt-1",
    ]
    assert [b.id for b in reads.technician_schedule("acme", "tech-1", *WINDOW)] == [
        "appt-soon",
        "appt-1",
    ]
    assert reads.in_step_at("acme") is None
    assert mirrored.misses == [
        "get_appointment",
        "get_customer",
        "search_customers",
        "technicians",
        "get_technician",
        "upcoming_appointments",
        "technician_schedule",
    ]


def test_once_read_whole_the_mirror_answers_without_the_provider(mirrored):
    reads = mirrored.synced().reads
    assert reads.get_appointment("acme", "appt-1").id == "appt-1"
    assert reads.get_customer("acme", "cust-1").name == "Olivia Garcia"
    assert [c.id for c in reads.search_customers("acme", "garcia")] == ["cust-1"]
    assert reads.search_customers("acme", "  ") == []
    assert [t.id for t in reads.technicians("acme")] == ["tech-1"]
    assert reads.get_technician("acme", "tech-1").name == "Alex Rivera"
    assert [a.id for a in reads.upcoming_appointments("acme", "cust-1", NOW)] == [
        "appt-soon",
        "appt-1",
    ]
    assert [a.id for a in reads.technician_appointments("acme", "tech-1", *WINDOW)] == [
        "appt-soon",
        "appt-1",
    ]
    columns = reads.busy_columns("acme", ["tech-1"], *WINDOW)["tech-1"]
    assert list(columns.ids) == ["appt-soon", "appt-1"]
    assert reads.in_step_at("acme") == NOW
    assert sum(mirrored.live.calls.values()) == 0
    assert mirrored.misses == []


def test_what_the_mirror_lacks_is_read_from_the_provider_and_told(mirrored):
    reads = mirrored.synced().reads
    world = mirrored.world
    # New since the last whole read: a technician, a customer, an appointment
    world.provider.put_technician(technician(id="tech-7", name="New Hire"))
    world.provider.put_customer(customer(id="cust-7", name="New Customer"))
    tomorrow = NOW + timedelta(days=1)
    world.provider.put_appointment(
        appointment(tomorrow, id="appt-7", technician_id="tech-7", customer_id="cust-7")
    )
    assert reads.get_technician("acme", "tech-7").name == "New Hire"
    assert reads.get_customer("acme", "cust-7").name == "New Customer"
    assert reads.get_appointment("acme", "appt-7").technician_id == "tech-7"
    span = (tomorrow - timedelta(hours=1), tomorrow + timedelta(hours=2))
    both = reads.schedules("acme", ["tech-1", "tech-7"], *span)
    assert ([b.id for b in both["tech-1"]], [b.id for b in both["tech-7"]]) == ([], ["appt-7"])
    assert mirrored.live.calls["technician_schedule"] == 1  # tech-7's only
    # Outside the mirror's window: the provider's answer
    past = NOW - timedelta(days=30)
    reads.technician_schedule("acme", "tech-1", past, past + timedelta(days=1))
    reads.upcoming_appointments("acme", "cust-1", past)
    assert mirrored.misses == [
        "get_technician",
        "get_customer",
        "get_appointment",
        "technician_schedule",
        "technician_schedule",
        "upcoming_appointments",
    ]
    with pytest.raises(NotFound):  # and what neither has is not found
        reads.get_appointment("acme", "nope")


def test_a_move_goes_to_the_provider_then_into_the_mirror(mirrored):
    reads = mirrored.synced().reads
    current = reads.get_appointment("acme", "appt-1")
    later = WEDNESDAY_10AM + timedelta(hours=3)
    moved = reads.move_appointment(
        current, Opening(start=later, end=later + timedelta(hours=1), technician_id="tech-1"), "k"
    )
    assert moved.version == 2
    assert mirrored.live.get_appointment("acme", "appt-1") == moved
    assert reads.get_appointment("acme", "appt-1") == moved
    busy = reads.technician_schedule("acme", "tech-1", WEDNESDAY_10AM, later + timedelta(hours=1))
    assert [b.start for b in busy] == [later]


class Broken(FakeScheduleMirror):
    def record(self, appointment: Any, before: Any) -> None:
        raise RuntimeError("DynamoDB is throttling")


def test_noting_a_move_is_best_effort_and_only_for_a_mirrored_business(world):
    moved = world.provider.get_appointment("acme", "appt-1")
    never_read = FakeScheduleMirror()
    note_in_mirror(never_read, moved, None)  # nothing to mend: recording would raise here
    assert never_read.appointment("acme", "appt-1") is None
    broken = Broken()
    start, end = WINDOW
    tech = world.provider.get_technician("acme", "tech-1")
    broken.replace("acme", ScheduleSnapshot([tech], {}, [], start, end), NOW)
    note_in_mirror(broken, moved, None)  # its error is logged: the move stands


# --- syncs ------------------------------------------------------------------------------


def test_a_whole_read_mirrors_every_technician_and_the_customers_their_jobs_name(mirrored):
    world = mirrored.world
    world.provider.put_customer(customer(id="cust-2", name="Zoe Ng"))
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM + timedelta(hours=2), id="appt-2", customer_id="cust-2")
    )
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM + timedelta(hours=4), id="orphan", customer_id="gone")
    )
    report = mirrored.sync.full("acme")
    assert (report.technicians, report.busy_items, report.customers_read) == (1, 4, 2)
    assert report.refreshed == ["tech-1"]
    assert report.items_written >= 1
    assert sorted(c.id for c in mirrored.store.customers("acme")) == ["cust-1", "cust-2"]
    # The next whole read keeps the customers it knows, unless told to read them again
    mirrored.live.calls.clear()
    assert mirrored.sync.full("acme").customers_read == 0
    assert mirrored.sync.full("acme", reread_customers=True).customers_read == 2


class WithCustomers:
    """A provider whose schedule read names its appointments' customers (a calendar)."""

    def __init__(self, live: Any, answer: bool = True) -> None:
        self._live = live
        self._answer = answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)

    def schedule_with_customers(
        self, business_id: str, technician_id: str, start: Any, end: Any
    ) -> tuple[list[Busy], list[Customer]] | None:
        if not self._answer:
            return None
        busy = list(self._live.technician_schedule(business_id, technician_id, start, end))
        return busy, [customer(name="Olivia From The Calendar")]


@pytest.mark.parametrize("answers", [True, False])
def test_a_provider_that_names_customers_with_the_schedule_is_read_once(world, answers):
    store = FakeScheduleMirror()
    live = WithCustomers(world.provider, answers)
    report = SyncSchedule(mirror=store, live=live, clock=world.clock).full("acme")
    olivia = store.customer("acme", "cust-1")
    assert olivia is not None
    assert olivia.name == ("Olivia From The Calendar" if answers else "Olivia Garcia")
    assert report.customers_read == (0 if answers else 1)


def test_one_technicians_read_mends_only_them_and_a_first_read_is_whole(mirrored):
    world = mirrored.world
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    first = mirrored.sync.technicians("acme", ["tech-1"])  # never read: a whole read
    assert first.refreshed == ["tech-1", "tech-2"]
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM + timedelta(hours=2), id="appt-2", technician_id="tech-2")
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
    report = mirrored.sync.technicians("acme", ["tech-1", "tech-1", "tech-9"])
    assert (report.refreshed, report.technicians) == (["tech-1"], 1)  # tech-9: not mirrored
    busy = mirrored.store.busy("acme", ["tech-1", "tech-2"], *WINDOW)
    assert [b.id for b in busy["tech-1"]] == ["appt-soon", "appt-1", "lunch"]
    assert busy["tech-2"] == []  # not asked for: still as it was
    assert mirrored.store.appointment("acme", "appt-2") is None


def test_an_appointment_the_provider_changed_is_mended_where_it_was_and_where_it_went(mirrored):
    world = mirrored.world
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    mirrored.synced()
    current = world.provider.get_appointment("acme", "appt-1")
    world.provider.move_appointment(
        current, Opening(start=current.start, end=current.end, technician_id="tech-2"), "x"
    )
    report = mirrored.sync.appointment("acme", "appt-1")
    assert report.refreshed == ["tech-1", "tech-2"]
    mirrored_now = mirrored.store.appointment("acme", "appt-1")
    assert mirrored_now is not None
    assert mirrored_now.technician_id == "tech-2"
    busy = mirrored.store.busy("acme", ["tech-1", "tech-2"], *WINDOW)
    assert "appt-1" not in {b.id for b in busy["tech-1"]}
    assert "appt-1" in {b.id for b in busy["tech-2"]}
    # Only moved in time: its technician's read is enough
    assert mirrored.sync.appointment("acme", "appt-1").refreshed == ["tech-2"]


def test_an_appointment_new_to_the_mirror_is_read_where_the_provider_has_it(mirrored):
    world = mirrored.world
    mirrored.synced()
    world.provider.put_appointment(appointment(WEDNESDAY_10AM + timedelta(hours=5), id="new"))
    assert mirrored.sync.appointment("acme", "new").refreshed == ["tech-1"]
    assert mirrored.store.appointment("acme", "new") is not None
    assert mirrored.sync.appointment("acme", "never-was").refreshed == []


def test_an_appointment_gone_from_the_provider_leaves_the_mirror(mirrored):
    world = mirrored.world
    mirrored.synced()
    canceled = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(canceled.model_copy(update={"status": "canceled"}))
    mirrored.sync.appointment("acme", "appt-1")
    assert mirrored.store.appointment("acme", "appt-1") is None
    assert mirrored.sync.appointment("other", "appt-1").refreshed == []  # never mirrored


# --- the reconcile job ----------------------------------------------------------------------


class FailsFor:
    """The provider, failing every read of one business."""

    def __init__(self, live: Any, business_id: str, error: Exception) -> None:
        self._live, self._business_id, self._error = live, business_id, error

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._live, name)

        def call(business_id: str, *args: Any) -> Any:
            if business_id == self._business_id:
                raise self._error
            return method(business_id, *args)

        return call


@pytest.mark.parametrize(
    ("error", "told"),
    [
        (ProviderUnauthorized("The credentials were refused."), "The credentials were refused."),
        (KeyError("surprise"), "unexpected error (see the logs)"),
    ],
)
def test_the_reconcile_reads_every_business_and_one_failure_stops_none(world, error, told):
    store = FakeScheduleMirror()
    SyncSchedule(mirror=store, live=world.provider, clock=world.clock).full("acme")
    world.clock.advance(minutes=20)
    businesses = FakeBusinesses(*world.businesses.every())
    businesses.put(business(id="broken", phone="+13125550999"))
    sync = SyncSchedule(
        mirror=store, live=FailsFor(world.provider, "broken", error), clock=world.clock
    )
    done = ReconcileMirrors(businesses=businesses, mirror=store, sync=sync, clock=world.clock)()
    assert sorted(done.synced) == ["acme", "other"]
    assert done.failed == {"broken": told}
    assert done.lag_seconds == {"acme": 20 * 60, "other": None, "broken": None}
    assert done.worst_lag_seconds == 20 * 60
    state = store.state("acme")
    assert state is not None
    assert state.synced_at == NOW + timedelta(minutes=20)
    assert store.state("broken") is None
