"""The scheduling provider: FakeProvider answers as the built-in demo provider does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from reschedule_dispatch.adapters.demo_provider import DemoProvider
from reschedule_dispatch.domain.errors import AppointmentChanged, NotFound
from reschedule_dispatch.domain.scheduling import BlockedTime
from reschedule_dispatch.domain.session import Opening
from tests.builders import NOW, appointment, customer, technician
from tests.fakes import FakeProvider

WEDNESDAY = NOW + timedelta(days=2)


@pytest.fixture(params=["fake", "dynamodb"])
def provider(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeProvider()
    return DemoProvider(request.getfixturevalue("tables").provider)


def _blocked(start: datetime, hours: int = 1, **changes: Any) -> BlockedTime:
    return BlockedTime(
        id=changes.pop("id", "lunch"),
        business_id="acme",
        technician_id=changes.pop("technician_id", "tech-1"),
        start=start,
        end=start + timedelta(hours=hours),
        reason="Lunch",
    )


def test_what_is_missing_or_another_business_is_not_found(provider):
    provider.put_customer(customer())
    provider.put_technician(technician())
    provider.put_appointment(appointment(WEDNESDAY))
    assert provider.get_customer("acme", "cust-1") == customer()
    assert provider.get_technician("acme", "tech-1") == technician()
    assert provider.get_appointment("acme", "appt-1", "tech-9") == appointment(WEDNESDAY)
    for missing in (
        lambda: provider.get_customer("other", "cust-1"),
        lambda: provider.get_technician("acme", "tech-9"),
        lambda: provider.get_appointment("other", "appt-1"),
    ):
        with pytest.raises(NotFound):
            missing()


def test_technicians_by_id_and_customers_found_by_name_or_number_by_name(provider):
    for tech_id, name in (("tech-2", "Alex"), ("tech-1", "Sam"), ("tech-3", "Bo")):
        provider.put_technician(technician(id=tech_id, name=name))
    provider.put_technician(technician(id="tech-0", business_id="other"))
    provider.put_customer(customer(id="c1", name="Zoe Garcia", phone="+13125550111"))
    provider.put_customer(customer(id="c2", name="Olivia Garcia", phone="+13125550142"))
    provider.put_customer(customer(id="c3", name="Olivia Garcia", business_id="other"))
    assert [t.id for t in provider.technicians("acme")] == ["tech-1", "tech-2", "tech-3"]
    assert [c.id for c in provider.search_customers("acme", "garcia")] == ["c2", "c1"]
    assert [c.id for c in provider.search_customers("acme", "555 0142")] == ["c2"]
    assert provider.search_customers("acme", "nobody") == []


def test_a_customers_upcoming_appointments_are_scheduled_ones_after_the_moment(provider):
    provider.put_appointment(appointment(WEDNESDAY + timedelta(days=1), id="later"))
    provider.put_appointment(appointment(WEDNESDAY, id="sooner"))
    provider.put_appointment(appointment(NOW - timedelta(days=1), id="past"))
    provider.put_appointment(appointment(WEDNESDAY, id="canceled", status="canceled"))
    provider.put_appointment(appointment(WEDNESDAY, id="theirs", customer_id="cust-2"))
    found = provider.upcoming_appointments("acme", "cust-1", NOW)
    assert [a.id for a in found] == ["sooner", "later"]


def test_a_technicians_schedule_is_what_overlaps_the_span_by_start(provider):
    provider.put_appointment(appointment(WEDNESDAY + timedelta(hours=2), id="job-b"))
    provider.put_appointment(appointment(WEDNESDAY, id="job-a"))
    provider.put_blocked_time(_blocked(WEDNESDAY + timedelta(hours=1)))
    provider.put_appointment(appointment(WEDNESDAY, id="canceled", status="canceled"))
    provider.put_appointment(appointment(WEDNESDAY, id="theirs", technician_id="tech-2"))
    provider.put_appointment(appointment(WEDNESDAY + timedelta(hours=3), id="after"))
    span = (WEDNESDAY + timedelta(minutes=30), WEDNESDAY + timedelta(hours=3))
    busy = provider.technician_schedule("acme", "tech-1", *span)
    assert [b.id for b in busy] == ["job-a", "lunch", "job-b"]
    jobs = provider.technician_appointments("acme", "tech-1", *span)
    assert [a.id for a in jobs] == ["job-a", "job-b"]


def _opening(hours: int, technician_id: str = "tech-1") -> Opening:
    start = WEDNESDAY + timedelta(hours=hours)
    return Opening(start=start, end=start + timedelta(hours=1), technician_id=technician_id)


def test_a_move_goes_through_on_the_version_it_was_read_at_once(provider):
    provider.put_appointment(appointment(WEDNESDAY))
    read = provider.get_appointment("acme", "appt-1")
    moved = provider.move_appointment(read, _opening(4, "tech-2"), "session-1")
    assert (moved.start, moved.technician_id, moved.version) == (
        _opening(4).start,
        "tech-2",
        2,
    )
    assert provider.get_appointment("acme", "appt-1") == moved
    # Repeated with its key (a retried step): the first result, nothing moved again
    assert provider.move_appointment(read, _opening(4, "tech-2"), "session-1") == moved
    # Anyone else with the old version: changed elsewhere
    with pytest.raises(AppointmentChanged):
        provider.move_appointment(read, _opening(6), "session-2")
    assert provider.get_appointment("acme", "appt-1") == moved
    with pytest.raises(NotFound):
        provider.move_appointment(read.model_copy(update={"id": "gone"}), _opening(6), "k")
