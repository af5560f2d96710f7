from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reschedule_dispatch.domain.session import (
    OPEN_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    RescheduleSession,
    SessionStatus,
    can_move,
)
from tests.builders import NOW, appointment, reschedule_session

FINAL = {
    SessionStatus.COMPLETED,
    SessionStatus.FAILED,
    SessionStatus.EXPIRED,
    SessionStatus.CANCELED,
}


def test_every_status_has_the_product_label():
    # Given the labels dispatchers see in the console
    # Then each status has the wording the product uses
    assert STATUS_LABELS[SessionStatus.LINK_SENT] == "Link sent"
    assert STATUS_LABELS[SessionStatus.VIEWED] == "Viewed by client"
    assert STATUS_LABELS[SessionStatus.COMPLETED] == "Reschedule completed"
    assert STATUS_LABELS[SessionStatus.EXPIRED] == "Link expired"
    assert STATUS_LABELS[SessionStatus.FAILED] == "Reschedule failed"
    assert STATUS_LABELS[SessionStatus.CANCELED] == "Canceled"
    assert set(STATUS_LABELS) == set(SessionStatus)


def test_final_statuses_never_move_again():
    for status in FINAL:
        assert TRANSITIONS[status] == frozenset()


def test_open_statuses_can_expire_or_be_canceled():
    for status in OPEN_STATUSES:
        assert can_move(status, SessionStatus.EXPIRED)
        assert can_move(status, SessionStatus.CANCELED)


def test_only_a_confirming_session_completes():
    for status in SessionStatus:
        assert can_move(status, SessionStatus.COMPLETED) is (status is SessionStatus.CONFIRMING)


def test_a_confirm_or_an_open_link_can_fail():
    # A confirm fails when the provider refuses the move; an open link fails when its
    # appointment changes elsewhere (services/provider_events.py).
    can_fail = {SessionStatus.CONFIRMING, SessionStatus.LINK_SENT, SessionStatus.VIEWED}
    for status in SessionStatus:
        assert can_move(status, SessionStatus.FAILED) is (status in can_fail), status


@given(st.lists(st.sampled_from(list(SessionStatus)), max_size=12))
def test_any_walk_of_legal_moves_ends_in_at_most_one_final_status(attempts):
    # Given a session that starts as link_sent and is asked to move many times
    status = SessionStatus.LINK_SENT
    reached_final = []
    for wanted in attempts:
        # When only legal moves are applied
        if can_move(status, wanted):
            status = wanted
            if status in FINAL:
                reached_final.append(status)
    # Then once final, it stayed put: at most one final status was ever reached
    assert len(reached_final) <= 1
    if reached_final:
        assert status == reached_final[0]


def test_overlap_uses_instants_across_the_fall_back_hour():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from reschedule_dispatch.domain.scheduling import BlockedTime

    # Given a blocked time over the repeated 1:00-2:00 hour of 2026-11-01 in Chicago
    zone = ZoneInfo("America/Chicago")
    first_one_thirty = datetime(2026, 11, 1, 1, 30, tzinfo=zone)  # CDT, fold=0
    second_one_ten = datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=zone)  # CST, 40 min later
    blocked = BlockedTime(
        id="b", business_id="x", technician_id="t", start=first_one_thirty, end=second_one_ten
    )
    # Then it is valid, and overlaps what is inside it in real time only
    assert blocked.overlaps(first_one_thirty + timedelta(minutes=5), second_one_ten)
    later = datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=zone)
    assert not blocked.overlaps(later, later + timedelta(minutes=5))


def test_a_session_stored_before_dispatcher_moves_loads_as_a_link():
    stored = reschedule_session(appointment(NOW)).model_dump(mode="json")
    for newer in ("kind", "rules_overridden", "accepted_overlaps", "invitation", "invited"):
        stored.pop(newer)
    session = RescheduleSession.model_validate(stored)
    assert session.kind == "link"
    assert not session.is_move
    assert session.invitation is None
