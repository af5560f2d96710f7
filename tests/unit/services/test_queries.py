"""The dispatcher's reads (services/queries.py): customers with their upcoming appointments,
a message's preview, a session and an appointment's history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reschedule_dispatch.domain.errors import NotFound, Unprocessable
from reschedule_dispatch.domain.links import TOKEN_LENGTH
from reschedule_dispatch.domain.messages import count_segments
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.queries import (
    AppointmentTimeline,
    GetSession,
    PreviewMessage,
    SearchCustomers,
)
from tests.builders import appointment, customer, technician
from tests.unit.services.conftest import BASE, WEDNESDAY_10AM


def _search(world) -> SearchCustomers:
    return SearchCustomers(provider=world.provider, sessions=world.sessions, clock=world.clock)


@pytest.mark.parametrize("query", ["O", " 5 ", "(3)1", "  "])
def test_a_search_too_short_to_mean_anything_is_refused(world, query):
    with pytest.raises(Unprocessable):
        _search(world)("acme", query)


def test_a_search_finds_customers_with_their_upcoming_appointments_and_links(world):
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    world.provider.put_appointment(
        appointment(WEDNESDAY_10AM + timedelta(days=1), id="appt-2", technician_id="tech-2")
    )
    world.provider.put_customer(customer(id="cust-2", name="Olivia Ng", phone="+13125550177"))
    session, _ = world.sent()
    world.provider.calls.clear()

    found = _search(world)("acme", " olivia ")

    assert [f.customer.id for f in found] == ["cust-1", "cust-2"]  # by name
    garcia, ng = found
    assert [(a.id, t.name) for a, t in garcia.appointments] == [
        ("appt-soon", "Alex Rivera"),
        ("appt-1", "Alex Rivera"),
        ("appt-2", "Sam Lee"),
    ]
    assert {a: s.id for a, s in garcia.sessions.items()} == {"appt-1": session.id}
    assert (ng.appointments, ng.sessions) == ([], {})
    assert world.provider.calls["get_technician"] == 2  # each technician read once
    assert [f.customer.id for f in _search(world)("acme", "555-0142")] == ["cust-1"]


def _preview(world) -> PreviewMessage:
    return PreviewMessage(provider=world.provider, businesses=world.businesses)


def test_a_preview_is_the_text_as_sent_with_a_link_as_long_as_the_real_one(world):
    preview = _preview(world)("acme", "appt-1", "Hi {customer_first_name}, pick a time", "en", BASE)
    assert preview.text == "Hi Olivia, pick a time"
    assert preview.link_placeholder == f"{BASE}/r/" + "x" * TOKEN_LENGTH
    assert preview.full_text == f"{preview.text} {preview.link_placeholder}"
    assert preview.characters == len(preview.full_text)
    assert (preview.segments, preview.encoding) == (count_segments(preview.full_text), "GSM-7")
    sent = world.send_link()("acme", "d", "appt-1", "Hi {customer_first_name}, pick a time", BASE)
    assert sent.link is not None
    assert len(world.sms.sent[0].body) == preview.characters


def test_a_preview_in_spanish_counts_what_spanish_costs(world):
    world.change_business(templates={"en": "Hi", "es": "¿Le viene bien? Elija un horario:"})
    preview = _preview(world)("acme", "appt-1", None, "es", BASE)
    assert preview.text == "¿Le viene bien? Elija un horario:"
    assert preview.encoding == "GSM-7"  # ¿ and é are in GSM-7's own set
    emoji = _preview(world)("acme", "appt-1", "Hola 👋", "es", BASE)
    assert emoji.encoding == "UCS-2"


def test_a_session_is_read_with_its_timeline_by_its_business_only(world):
    session, _ = world.sent()
    read, timeline = GetSession(sessions=world.sessions)("acme", session.id)
    assert read.id == session.id
    assert [e.type for e in timeline] == ["created", "sent"]
    with pytest.raises(NotFound):
        GetSession(sessions=world.sessions)("other", session.id)


def test_an_appointments_history_is_its_sessions_oldest_first(world):
    first, _ = world.sent()
    world.close(first.id, SessionStatus.CANCELED)
    second, _ = world.sent()
    history = AppointmentTimeline(sessions=world.sessions, provider=world.provider)(
        "acme", "appt-1"
    )
    assert [(s.id, [e.type for e in t]) for s, t in history] == [
        (first.id, ["created", "sent", "canceled"]),
        (second.id, ["created", "sent"]),
    ]
    with pytest.raises(NotFound):  # an appointment the business does not have
        AppointmentTimeline(sessions=world.sessions, provider=world.provider)("acme", "gone")
