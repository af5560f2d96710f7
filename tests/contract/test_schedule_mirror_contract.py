"""The schedule mirror: FakeScheduleMirror and DynamoScheduleMirror keep the same promises
(without the packing, which only the adapter's own tests look at)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.adapters.dynamodb_schedule_mirror import DynamoScheduleMirror
from reschedule_dispatch.domain.mirror import ScheduleSnapshot, mirror_window
from reschedule_dispatch.domain.scheduling import BlockedTime
from tests.builders import NOW, appointment, customer, technician
from tests.fakes import FakeScheduleMirror

WEDNESDAY = NOW + timedelta(days=2)
WINDOW = mirror_window(NOW)


@pytest.fixture(params=["fake", "dynamodb"])
def mirror(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeScheduleMirror()
    return DynamoScheduleMirror(request.getfixturevalue("tables").app)


def _vacation() -> BlockedTime:
    return BlockedTime(
        id="vacation",
        business_id="acme",
        technician_id="tech-2",
        start=NOW + timedelta(days=4),
        end=NOW + timedelta(days=16),  # across two week boundaries
        reason="Vacation",
    )


def _snapshot(**busy: Any) -> ScheduleSnapshot:
    return ScheduleSnapshot(
        technicians=[technician(), technician(id="tech-2", name="Sam Lee")],
        busy=busy
        or {
            "tech-1": [appointment(WEDNESDAY), appointment(WEDNESDAY + timedelta(days=7), id="a2")],
            "tech-2": [_vacation()],
        },
        customers=[customer(), customer(id="cust-2", name="Zoe Ng")],
        window_start=WINDOW[0],
        window_end=WINDOW[1],
    )


def test_nothing_is_mirrored_until_the_first_whole_read(mirror):
    assert mirror.state("acme") is None
    assert mirror.appointment("acme", "appt-1") is None
    assert mirror.customers("acme") == []
    assert mirror.customer("acme", "cust-1") is None


def test_a_whole_read_is_what_the_mirror_answers(mirror):
    assert mirror.replace("acme", _snapshot(), NOW) >= 1
    state = mirror.state("acme")
    assert state is not None
    assert (state.synced_at, state.window_start, state.window_end) == (NOW, *WINDOW)
    assert [t.id for t in state.technicians] == ["tech-1", "tech-2"]
    assert mirror.appointment("acme", "a2") == appointment(WEDNESDAY + timedelta(days=7), id="a2")
    assert sorted(c.id for c in mirror.customers("acme")) == ["cust-1", "cust-2"]
    assert mirror.customer("acme", "cust-2") == customer(id="cust-2", name="Zoe Ng")
    assert mirror.customer("acme", "cust-9") is None
    assert mirror.state("other") is None
    week = (NOW, NOW + timedelta(days=7))
    assert {t: [b.id for b in busy] for t, busy in mirror.busy("acme", None, *week).items()} == {
        "tech-1": ["appt-1"],
        "tech-2": ["vacation"],
    }
    # An item across weeks is there on each of its days, once
    days = (NOW + timedelta(days=10), NOW + timedelta(days=20))
    assert [b.id for b in mirror.busy("acme", ["tech-2"], *days)["tech-2"]] == ["vacation"]
    assert mirror.busy("acme", ["tech-3"], *days) == {"tech-3": []}


def test_the_engines_columns_are_the_same_items(mirror):
    mirror.replace("acme", _snapshot(), NOW)
    span = (NOW, NOW + timedelta(days=21))
    columns = mirror.busy_columns("acme", ["tech-1", "tech-2"], *span)
    busy = mirror.busy("acme", ["tech-1", "tech-2"], *span)
    for technician_id in ("tech-1", "tech-2"):
        assert list(columns[technician_id].ids) == [b.id for b in busy[technician_id]]
        assert list(columns[technician_id].starts) == [
            b.start.timestamp() for b in busy[technician_id]
        ]


def test_a_new_whole_read_drops_what_the_provider_no_longer_has(mirror):
    mirror.replace("acme", _snapshot(), NOW)
    later = NOW + timedelta(minutes=20)
    mirror.replace("acme", _snapshot(**{"tech-1": [appointment(WEDNESDAY)]}), later)
    assert mirror.appointment("acme", "a2") is None
    state = mirror.state("acme")
    assert state is not None
    assert state.synced_at == later
    assert mirror.busy("acme", ["tech-2"], *WINDOW) == {"tech-2": []}


def test_one_technicians_read_replaces_their_items_in_the_span_only(mirror):
    mirror.replace("acme", _snapshot(), NOW)
    week = (NOW, NOW + timedelta(days=6))
    moved = appointment(WEDNESDAY + timedelta(hours=2), id="appt-new")
    mirror.replace_technician("acme", "tech-1", *week, [moved], [customer(id="cust-3", name="Al")])
    assert [b.id for b in mirror.busy("acme", ["tech-1"], *WINDOW)["tech-1"]] == [
        "appt-new",
        "a2",  # outside the span: kept
    ]
    assert mirror.appointment("acme", "appt-1") is None  # gone from the technician
    assert mirror.appointment("acme", "appt-new") == moved
    assert sorted(c.id for c in mirror.customers("acme")) == ["cust-1", "cust-2", "cust-3"]


def test_a_recorded_move_is_read_at_once_where_it_went(mirror):
    mirror.replace("acme", _snapshot(), NOW)
    before = appointment(WEDNESDAY)
    after = before.model_copy(
        update={
            "start": WEDNESDAY + timedelta(hours=3),
            "end": WEDNESDAY + timedelta(hours=4),
            "technician_id": "tech-2",
            "version": 2,
        }
    )
    mirror.record(after, before)
    assert mirror.appointment("acme", "appt-1") == after
    busy = mirror.busy("acme", ["tech-1", "tech-2"], NOW, NOW + timedelta(days=3))
    assert [b.id for b in busy["tech-1"]] == []
    assert [b.id for b in busy["tech-2"]] == ["appt-1"]
    # Canceled: not busy any more, and its lookup says so
    canceled = after.model_copy(update={"status": "canceled", "version": 3})
    mirror.record(canceled, after)
    assert mirror.busy("acme", ["tech-2"], NOW, NOW + timedelta(days=3)) == {"tech-2": []}
    assert mirror.appointment("acme", "appt-1") == canceled
