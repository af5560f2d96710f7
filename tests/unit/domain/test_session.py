from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reschedule_dispatch.domain.session import (
    OPEN_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    SessionStatus,
    can_move,
)

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


def test_only_a_confirming_session_completes_or_fails():
    for status in SessionStatus:
        expected = status is SessionStatus.CONFIRMING
        assert can_move(status, SessionStatus.COMPLETED) is expected
        assert can_move(status, SessionStatus.FAILED) is expected


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
