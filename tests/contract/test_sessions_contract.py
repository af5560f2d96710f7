"""The session repository: FakeSessions and DynamoSessionRepository keep the same promises."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.adapters.dynamodb_sessions import DynamoSessionRepository
from reschedule_dispatch.domain.errors import Conflict, NotFound, SessionAlreadyOpen, Unprocessable
from reschedule_dispatch.domain.ports import Replacing, SessionRepository
from reschedule_dispatch.domain.session import (
    CANCELABLE_STATUSES,
    MAX_LINK_BROWSERS,
    Actor,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from tests.builders import NOW, appointment, reschedule_session
from tests.fakes import FakeSessions

WEDNESDAY = NOW + timedelta(days=2)
OPENING = Opening(
    start=WEDNESDAY + timedelta(hours=3), end=WEDNESDAY + timedelta(hours=4), technician_id="t"
)


@pytest.fixture(params=["fake", "dynamodb"])
def sessions(request: pytest.FixtureRequest) -> SessionRepository:
    if request.param == "fake":
        return FakeSessions()
    return DynamoSessionRepository(request.getfixturevalue("tables").app)


def _event(kind: str, minutes: float = 0, detail: str = "") -> TimelineEvent:
    return TimelineEvent(
        type=kind, at=NOW + timedelta(minutes=minutes), actor=Actor.SYSTEM, detail=detail
    )


def _session(session_id: str = "s1", **changes: Any) -> RescheduleSession:
    moving = appointment(
        WEDNESDAY,
        id=changes.pop("appointment_id", "appt-1"),
        business_id=changes.pop("business_id", "acme"),
    )
    return reschedule_session(moving, id=session_id, **changes)


def _created(sessions: SessionRepository, session_id: str = "s1", **changes: Any):
    session = _session(session_id, **changes)
    sessions.create(session, f"hash-{session_id}", _event("created"))
    return session


def _types(sessions: SessionRepository, session_id: str) -> list[str]:
    return [e.type for e in sessions.timeline(session_id)]


def test_a_created_session_is_found_by_id_link_and_business_only(sessions):
    created = _created(sessions)
    stored = sessions.get("acme", "s1")
    assert stored.model_dump(exclude={"last_event_type", "last_event_at"}) == created.model_dump(
        exclude={"last_event_type", "last_event_at"}
    )
    assert (stored.last_event_type, stored.last_event_at) == ("created", NOW)
    assert sessions.get_by_id("s1").id == sessions.find_by_token_hash("hash-s1").id == "s1"
    assert _types(sessions, "s1") == ["created"]
    for missing in (
        lambda: sessions.get("other", "s1"),  # another business's: as if missing
        lambda: sessions.get("acme", "nope"),
        lambda: sessions.get_by_id("nope"),
        lambda: sessions.find_by_token_hash("hash-nope"),
        lambda: sessions.find_by_message_sid("SMnope"),
        lambda: sessions.find_by_invitation_hash("nope"),
    ):
        with pytest.raises(NotFound):
            missing()
    assert sessions.timeline("nope") == []


def test_an_appointment_has_one_session_in_progress_until_it_ends(sessions):
    _created(sessions)
    with pytest.raises(SessionAlreadyOpen) as held:
        _created(sessions, "s2")
    assert held.value.session_id == "s1"
    with pytest.raises(NotFound):
        sessions.get_by_id("s2")  # nothing of it was written
    with pytest.raises(NotFound):
        sessions.find_by_token_hash("hash-s2")
    # Another business's appointment of the same id is another appointment
    _created(sessions, "s3", business_id="other")

    sessions.transition("s1", SessionStatus.LINK_SENT, SessionStatus.EXPIRED, _event("expired"))

    _created(sessions, "s2")
    assert [s.id for s in sessions.in_progress_by_appointment("acme", ["appt-1"]).values()] == [
        "s2"
    ]


def test_a_scheduled_session_gets_its_link_later(sessions):
    sessions.create(_session(status=SessionStatus.SCHEDULED), None, _event("created"))
    with pytest.raises(NotFound):
        sessions.find_by_token_hash("hash-s1")
    sessions.add_link("s1", "hash-later", at=NOW)
    assert sessions.find_by_token_hash("hash-later").id == "s1"


def test_a_transition_writes_only_from_an_expected_status_the_table_allows(sessions):
    _created(sessions)
    with pytest.raises(Conflict):  # it is link_sent, not viewed
        sessions.transition("s1", SessionStatus.VIEWED, SessionStatus.CONFIRMING, _event("x"))
    with pytest.raises(Conflict):  # link_sent never becomes completed
        sessions.transition("s1", SessionStatus.LINK_SENT, SessionStatus.COMPLETED, _event("x"))
    with pytest.raises(NotFound):
        sessions.transition("nope", SessionStatus.LINK_SENT, SessionStatus.VIEWED, _event("x"))
    assert sessions.get_by_id("s1").status is SessionStatus.LINK_SENT
    assert _types(sessions, "s1") == ["created"]

    moved = sessions.transition(
        "s1",
        frozenset({SessionStatus.LINK_SENT, SessionStatus.VIEWED}),
        SessionStatus.CONFIRMING,
        _event("confirming", 1),
        new_opening=OPENING,
        confirm_attempt=1,
        notice=None,
    )
    assert (moved.status, moved.new_opening, moved.confirm_attempt) == (
        SessionStatus.CONFIRMING,
        OPENING,
        1,
    )
    assert moved.last_event_type == "confirming"
    assert sessions.get_by_id("s1") == moved
    assert _types(sessions, "s1") == ["created", "confirming"]


def test_changes_of_none_remove_a_field(sessions):
    _created(sessions, notice="That time was just taken.")
    sessions.transition(
        "s1", SessionStatus.LINK_SENT, SessionStatus.VIEWED, _event("viewed"), notice=None
    )
    assert sessions.get_by_id("s1").notice is None


def test_a_final_status_frees_the_appointment(sessions):
    _created(sessions)
    assert set(sessions.in_progress_by_appointment("acme", ["appt-1", "appt-1", "x"])) == {"appt-1"}
    sessions.transition("s1", SessionStatus.LINK_SENT, SessionStatus.CANCELED, _event("canceled"))
    assert sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}
    assert sessions.in_progress_by_appointment("other", ["appt-1"]) == {}


def _replacing(session: RescheduleSession) -> Replacing:
    return Replacing(
        session=session,
        expected=CANCELABLE_STATUSES,
        status=SessionStatus.CANCELED,
        event=_event("canceled", 1, "Moved by dispatcher."),
        failure_reason="Moved by dispatcher.",
    )


def test_a_new_session_replaces_the_open_one_in_the_same_write(sessions):
    link = _created(sessions)
    move = _session("move", kind="dispatcher_move", status=SessionStatus.CONFIRMING)
    sessions.create(move, None, _event("move_requested", 1), replacing=_replacing(link))
    replaced = sessions.get_by_id("s1")
    assert (replaced.status, replaced.failure_reason) == (
        SessionStatus.CANCELED,
        "Moved by dispatcher.",
    )
    assert _types(sessions, "s1") == ["created", "canceled"]
    [current] = sessions.in_progress_by_appointment("acme", ["appt-1"]).values()
    assert current.id == "move"
    assert [s.id for s in sessions.for_appointment("acme", "appt-1")] == ["s1", "move"]


def test_a_replaced_session_that_moved_on_refuses_the_new_one_and_nothing_is_written(sessions):
    link = _created(sessions)
    sessions.transition(
        "s1",
        SessionStatus.LINK_SENT,
        SessionStatus.CONFIRMING,
        _event("confirming", 1),
        new_opening=OPENING,
    )
    move = _session("move", kind="dispatcher_move", status=SessionStatus.CONFIRMING)
    with pytest.raises(Conflict) as refused:
        sessions.create(move, None, _event("move_requested", 2), replacing=_replacing(link))
    assert not isinstance(refused.value, SessionAlreadyOpen)
    with pytest.raises(NotFound):
        sessions.get_by_id("move")
    assert sessions.get_by_id("s1").status is SessionStatus.CONFIRMING
    assert [s.id for s in sessions.for_appointment("acme", "appt-1")] == ["s1"]


def test_delivery_is_recorded_only_on_the_current_message_from_the_expected_status(sessions):
    _created(sessions)
    sessions.record_message("s1", "SM1", "queued", at=NOW)
    assert sessions.find_by_message_sid("SM1").id == "s1"
    with pytest.raises(Conflict):
        sessions.record_delivery("s1", "SM1", "sent", "delivered", None)  # it is queued
    with pytest.raises(Conflict):
        sessions.record_delivery("s1", "SM-other", "queued", "sent", None)
    sessions.record_delivery("s1", "SM1", "queued", "sent", None)
    sessions.record_delivery("s1", "SM1", "sent", "delivered", _event("delivered", 2))
    stored = sessions.get_by_id("s1")
    assert (stored.delivery_status, stored.last_event_type) == ("delivered", "delivered")
    assert _types(sessions, "s1") == ["created", "delivered"]
    # A resend: the new message is the current one, both lead to the session
    sessions.record_message("s1", "SM2", "queued", at=NOW)
    with pytest.raises(Conflict):
        sessions.record_delivery("s1", "SM1", "delivered", "read", None)
    assert sessions.find_by_message_sid("SM1").id == sessions.find_by_message_sid("SM2").id


def test_an_event_may_set_fields_and_the_timeline_is_in_event_time(sessions):
    _created(sessions)
    sessions.append_event("s1", _event("sent", 5), confirmation_sid="SM9", invited=["sms"])
    sessions.append_event("s1", _event("late_report", 2))  # happened earlier, written later
    sessions.append_event("s1", _event("same_instant_a", 5))
    sessions.append_event("s1", _event("same_instant_b", 5))
    stored = sessions.get_by_id("s1")
    assert (stored.confirmation_sid, stored.invited) == ("SM9", ("sms",))
    assert stored.last_event_type == "same_instant_b"
    assert _types(sessions, "s1") == [
        "created",
        "late_report",
        "sent",
        "same_instant_a",
        "same_instant_b",
    ]


def test_a_link_binds_a_first_browser_then_a_few_more(sessions):
    _created(sessions, "s2")
    assert sessions.add_browser("s2", "b1", _event("opened", 1), first=True)
    assert not sessions.add_browser("s2", "b-late", _event("opened", 1), first=True)
    for n in range(2, MAX_LINK_BROWSERS + 1):
        assert sessions.add_browser("s2", f"b{n}", _event("opened_elsewhere", n), first=False)
    assert not sessions.add_browser("s2", "b-full", _event("opened_elsewhere", 9), first=False)
    assert sessions.get_by_id("s2").browsers == tuple(
        f"b{n}" for n in range(1, MAX_LINK_BROWSERS + 1)
    )
    assert _types(sessions, "s2").count("opened") == 1
    assert not sessions.add_browser("nope", "b", _event("opened"), first=True)


def test_unlock_tries_are_counted_up_to_the_most(sessions):
    _created(sessions)
    assert [sessions.take_unlock_try("s1", 2) for _ in range(3)] == [1, 2, None]
    assert sessions.get_by_id("s1").unlock_tries == 2
    assert sessions.take_unlock_try("nope", 2) is None


def test_an_invitation_leads_to_its_session(sessions):
    _created(sessions)
    sessions.add_invitation("s1", "invite-hash", at=NOW)
    assert sessions.find_by_invitation_hash("invite-hash").id == "s1"
    with pytest.raises(NotFound):
        sessions.find_by_token_hash("invite-hash")  # an invitation is not a link


def test_an_appointments_sessions_are_listed_oldest_first(sessions):
    _created(sessions, "a")
    sessions.transition("a", SessionStatus.LINK_SENT, SessionStatus.CANCELED, _event("canceled"))
    _created(sessions, "b")  # made in the same instant: still after
    _created(sessions, "c", appointment_id="appt-2")
    assert [s.id for s in sessions.for_appointment("acme", "appt-1")] == ["a", "b"]
    assert sessions.for_appointment("other", "appt-1") == []


def test_the_lists_are_newest_first_by_tab_and_page_by_cursor(sessions):
    for n in range(5):
        _created(sessions, f"s{n}", appointment_id=f"appt-{n}", created_at=NOW + timedelta(n))
    _created(sessions, "elsewhere", business_id="other")
    sessions.transition("s1", SessionStatus.LINK_SENT, SessionStatus.EXPIRED, _event("expired"))

    history = sessions.list_sessions("acme", False, 10, None)
    assert [s.id for s in history.sessions] == ["s1"]
    found, cursor, pages = [], None, 0
    while True:
        page = sessions.list_sessions("acme", True, 2, cursor)
        found += [s.id for s in page.sessions]
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    assert found == ["s4", "s3", "s2", "s0"]
    assert pages in (2, 3)  # DynamoDB may end on an empty page
    first = sessions.list_sessions("acme", True, 1, None)
    assert first.cursor is not None
    for forged in ("not-a-cursor!", first.cursor[:-4]):
        with pytest.raises(Unprocessable):
            sessions.list_sessions("acme", True, 2, forged)
    with pytest.raises(Unprocessable):  # another list's
        sessions.list_sessions("acme", False, 2, first.cursor)


def test_an_event_for_a_session_that_is_gone_is_not_found_and_nothing_is_written(sessions):
    with pytest.raises(NotFound):
        sessions.append_event("gone-with-its-retention", _event("customer_replied"))
    assert sessions.timeline("gone-with-its-retention") == []
