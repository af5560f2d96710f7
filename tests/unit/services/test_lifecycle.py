"""The session after its link is out (services/lifecycle.py): the confirm workflow's steps,
each safe to run again, its compensation, expiry and delivery reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    Conflict,
    MessagingUnavailable,
    NotFound,
    OpeningTaken,
    ProviderUnavailable,
)
from reschedule_dispatch.domain.mirror import ScheduleSnapshot, mirror_window
from reschedule_dispatch.domain.scheduling import BlockedTime
from reschedule_dispatch.domain.session import Actor, Opening, SessionStatus, TimelineEvent
from reschedule_dispatch.services.lifecycle import (
    DEFAULT_FAILURE_REASON,
    FAILURE_REASONS,
    HOLD_AFTER_MOVE,
    HOLD_LEASE,
    TAKEN_NOTICE,
    CheckAppointment,
    ExpireSession,
    HoldOpening,
    MoveAppointment,
    NotConfirming,
)
from reschedule_dispatch.services.messaging import DELIVERY_ERRORS, RecordDelivery
from reschedule_dispatch.services.staff_notifications import TellStaff
from tests.builders import NOW, appointment
from tests.fakes import FakeScheduleMirror, FakeStaffNotifier
from tests.unit.services.conftest import OLIVIA

# --- HoldOpening ------------------------------------------------------------------------


def _hold(world):
    return HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)


def test_the_hold_reserves_the_chosen_time_for_the_workflows_lease(world):
    session, opening, _ = world.confirming()
    _hold(world)(session.id)
    assert world.holds.holders("acme", opening) == {session.id}
    held = {h.lease_until for h in world.holds.cells.values()}
    assert held == {NOW + HOLD_LEASE}
    # Another appointment's session cannot take that time meanwhile
    with pytest.raises(OpeningTaken):
        world.holds.hold("acme", opening, "s2", "appt-2", NOW, NOW + HOLD_LEASE)


def test_a_step_for_a_session_not_confirming_does_nothing(world):
    session, _ = world.sent()
    with pytest.raises(NotConfirming):
        _hold(world)(session.id)
    with pytest.raises(NotConfirming):
        CheckAppointment(sessions=world.sessions, provider=world.provider)(session.id)
    with pytest.raises(NotConfirming):
        MoveAppointment(sessions=world.sessions, provider=world.provider)(session.id)
    assert world.holds.cells == {}
    assert world.provider.calls["move_appointment"] == 0


# --- CheckAppointment -------------------------------------------------------------------


class Resyncs:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.asked: list[tuple[str, set[str]]] = []
        self.fail_with = fail_with

    def __call__(self, business_id: str, technician_ids: Any) -> None:
        self.asked.append((business_id, set(technician_ids)))
        if self.fail_with:
            raise self.fail_with


def _check(world, resync=None):
    return CheckAppointment(sessions=world.sessions, provider=world.provider, resync=resync)


def test_the_check_passes_an_appointment_as_it_was_with_the_time_free(world):
    session, _, _ = world.confirming()
    resync = Resyncs()
    _check(world, resync)(session.id)
    assert resync.asked == []


@pytest.mark.parametrize(
    "change", [{"version": 2}, {"status": "canceled"}], ids=["new version", "canceled"]
)
def test_an_appointment_changed_elsewhere_is_refused_and_the_mirror_mended(world, change):
    session, opening, _ = world.confirming()
    current = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(current.model_copy(update=change))
    resync = Resyncs()
    with pytest.raises(AppointmentChanged):
        _check(world, resync)(session.id)
    assert resync.asked == [("acme", {"tech-1", opening.technician_id})]


def test_a_time_taken_since_the_page_was_shown_is_refused(world):
    session, opening, _ = world.confirming()
    world.provider.put_appointment(appointment(opening.start, id="rival", customer_id="c9"))
    resync = Resyncs(fail_with=ProviderUnavailable("503"))  # a mirror not mended is no error
    with pytest.raises(OpeningTaken):
        _check(world, resync)(session.id)
    assert resync.asked == [("acme", {"tech-1"})]


def test_time_blocked_since_the_page_was_shown_is_refused(world):
    session, opening, _ = world.confirming()
    world.provider.put_blocked_time(
        BlockedTime(
            id="training",
            business_id="acme",
            technician_id=opening.technician_id,
            start=opening.start,
            end=opening.end,
        )
    )
    with pytest.raises(OpeningTaken):
        _check(world)(session.id)


def test_what_a_dispatcher_accepted_to_overlap_is_let_be(world):
    session, opening, _ = world.confirming()
    world.provider.put_appointment(appointment(opening.start, id="known"))
    world.sessions.append_event(
        session.id, TimelineEvent(type="x", at=NOW, actor=Actor.SYSTEM), accepted_overlaps=["known"]
    )
    _check(world)(session.id)


# --- MoveAppointment ----------------------------------------------------------------------


def test_the_move_uses_the_version_the_link_was_sent_for_and_is_done_once(world):
    session, opening, _ = world.confirming()
    move = MoveAppointment(sessions=world.sessions, provider=world.provider)
    moved = move(session.id)
    assert (moved.start, moved.technician_id, moved.version) == (
        opening.start,
        opening.technician_id,
        2,
    )
    assert move(session.id) == moved  # a retried step: its idempotency key returns the move
    assert world.provider.get_appointment("acme", "appt-1") == moved


def test_a_move_over_a_change_made_elsewhere_is_refused(world):
    session, _, _ = world.confirming()
    current = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(current.model_copy(update={"version": 7}))
    with pytest.raises(AppointmentChanged):
        MoveAppointment(sessions=world.sessions, provider=world.provider)(session.id)
    assert world.provider.get_appointment("acme", "appt-1").start == current.start


def test_the_move_is_in_the_mirror_at_once(world):
    mirror = FakeScheduleMirror()
    start, end = mirror_window(NOW)
    busy = world.provider.technician_schedule("acme", "tech-1", start, end)
    mirror.replace(
        "acme",
        ScheduleSnapshot(
            [world.provider.get_technician("acme", "tech-1")], {"tech-1": busy}, [], start, end
        ),
        NOW,
    )
    session, opening, _ = world.confirming()
    MoveAppointment(sessions=world.sessions, provider=world.provider, mirror=mirror)(session.id)
    mirrored = mirror.appointment("acme", "appt-1")
    assert mirrored is not None
    assert mirrored.start == opening.start
    around = mirror.busy("acme", ["tech-1"], NOW, NOW + timedelta(days=30))["tech-1"]
    assert [b.start for b in around if b.id == "appt-1"] == [opening.start]


# --- FinalizeReschedule --------------------------------------------------------------------


def _completed(world, **finalize: Any):
    session, opening, _ = world.confirming()
    world.run_steps(session.id)
    status = world.finalize(**finalize)(session.id)
    return world.sessions.get_by_id(session.id), opening, status


def test_finalize_completes_tells_the_customer_once_and_winds_the_schedule_down(world):
    session, _, status = _completed(world)
    assert status is SessionStatus.COMPLETED
    assert session.status is SessionStatus.COMPLETED
    assert world.expiry.scheduled == {}
    [confirmation] = world.sms.sent[1:]
    assert confirmation.to == OLIVIA
    assert confirmation.status_callback is None
    assert session.confirmation_sid == "SM" + "2".zfill(32)
    assert world.timeline(session.id)[-2:] == ["completed", "confirmation_sent"]
    # A retried finalize: completed, and nobody is told twice
    assert world.finalize()(session.id) is SessionStatus.COMPLETED
    assert len(world.sms.sent) == 2
    assert world.timeline(session.id).count("completed") == 1


def test_after_the_move_the_hold_lingers_seconds_and_the_time_left_is_free_at_once(world):
    # Given appt-1 moved once: its first session's hold lingers on the time it moved to
    _, left, _ = _completed(world)
    assert {h.lease_until for h in world.holds.cells.values()} == {NOW + HOLD_AFTER_MOVE}
    # When it moves again, elsewhere
    second, token = world.sent()
    elsewhere = next(o for o in world.links().page(token).openings if o.start >= left.end)
    world.links().confirm(token, elsewhere.key)
    world.run_steps(second.id)
    world.finalize()(second.id)
    # Then the time it left is free at once, and the new one held for the index lag only
    assert world.holds.holders("acme", left) == set()
    assert world.holds.holders("acme", elsewhere) == {second.id}


def test_an_opted_out_customer_is_not_told_and_the_timeline_says_so(world):
    session, _, _ = world.confirming()
    world.run_steps(session.id)
    world.contacts.opt_out("acme", OLIVIA, NOW, "STOP")
    world.finalize()(session.id)
    world.finalize()(session.id)
    done = world.sessions.get_by_id(session.id)
    assert done.confirmation_sid == "opted-out"
    assert len(world.sms.sent) == 1  # only the link
    assert world.timeline(session.id).count("confirmation_not_sent") == 1


def test_a_confirmation_that_cannot_be_texted_leaves_the_booking(world):
    session, _, _ = world.confirming()
    world.run_steps(session.id)
    world.sms.fail_with = MessagingUnavailable("Twilio answered 503.")
    assert world.finalize()(session.id) is SessionStatus.COMPLETED
    [event] = [e for e in world.sessions.timeline(session.id) if e.type == "confirmation_not_sent"]
    assert event.detail == "Twilio answered 503."


def test_finalize_refuses_a_session_that_failed(world):
    session, _, _ = world.confirming()
    world.compensate()(session.id, "AppointmentChanged")
    with pytest.raises(NotConfirming):
        world.finalize()(session.id)
    assert len(world.sms.sent) == 1


def test_staff_are_told_of_the_completion(world):
    world.change_business(slack_channel="#dispatch")
    notifier = FakeStaffNotifier()
    tell = TellStaff(
        notifier=notifier,
        businesses=world.businesses,
        sessions=world.sessions,
        clock=world.clock,
        console_url="",
    )
    _completed(world, tell_staff=tell)
    [(channel, outcome)] = notifier.posts
    assert channel == "#dispatch"
    assert outcome.status_label == SessionStatus.COMPLETED.label


# --- Compensate -------------------------------------------------------------------------


def test_a_time_taken_gives_the_link_back_to_the_customer_with_a_notice(world):
    session, opening, _ = world.confirming()
    _hold(world)(session.id)
    assert world.compensate()(session.id, "OpeningTaken") is SessionStatus.VIEWED
    back = world.sessions.get_by_id(session.id)
    assert (back.notice, back.new_opening) == (TAKEN_NOTICE, None)
    assert world.holds.holders("acme", opening) == set()
    assert world.timeline(session.id)[-1] == "opening_taken"


def test_a_time_taken_after_the_link_expired_fails_it(world):
    session, _, _ = world.confirming()
    world.clock.at = session.expires_at
    assert world.compensate()(session.id, "OpeningTaken") is SessionStatus.FAILED
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == FAILURE_REASONS["OpeningTaken"]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("AppointmentChanged", FAILURE_REASONS["AppointmentChanged"]),
        ("States.Timeout", FAILURE_REASONS["States.Timeout"]),
        ("Lambda.Unknown", DEFAULT_FAILURE_REASON),
    ],
)
def test_any_other_error_fails_the_session_with_its_reason_once(world, error, reason):
    session, opening, _ = world.confirming()
    _hold(world)(session.id)
    assert world.compensate()(session.id, error) is SessionStatus.FAILED
    assert world.compensate()(session.id, error) is SessionStatus.FAILED  # retried
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == reason
    assert world.timeline(session.id).count("failed") == 1
    assert world.holds.holders("acme", opening) == set()
    # And the appointment is free for a new link
    assert world.sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}


def test_staff_are_told_of_the_failure(world):
    world.change_business(slack_channel="#dispatch")
    notifier = FakeStaffNotifier()
    tell = TellStaff(
        notifier=notifier,
        businesses=world.businesses,
        sessions=world.sessions,
        clock=world.clock,
        console_url="https://console.example",
    )
    session, _, _ = world.confirming()
    world.compensate(tell_staff=tell)(session.id, "ProviderUnavailable")
    [(_, outcome)] = notifier.posts
    assert outcome.reason == FAILURE_REASONS["ProviderUnavailable"]


# --- ExpireSession ----------------------------------------------------------------------


def test_expiry_is_for_open_due_sessions_once(world):
    session, _ = world.sent()
    expire = ExpireSession(sessions=world.sessions, clock=world.clock)
    assert expire(session.id) is SessionStatus.LINK_SENT  # fired early: nothing happens
    world.clock.at = session.expires_at
    assert expire(session.id) is SessionStatus.EXPIRED
    assert expire(session.id) is SessionStatus.EXPIRED
    assert world.timeline(session.id).count("expired") == 1
    assert world.sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}


def test_a_confirm_in_the_same_instant_wins_over_expiry(world):
    session, _, _ = world.confirming()
    world.clock.at = session.expires_at
    expire = ExpireSession(sessions=world.sessions, clock=world.clock)
    assert expire(session.id) is SessionStatus.CONFIRMING


class ConfirmedMeanwhile:
    """The repository where the customer confirms between expiry's read and its write."""

    def __init__(self, world: Any, opening: Opening) -> None:
        self._sessions = world.sessions
        self._opening = opening

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sessions, name)

    def transition(self, session_id: str, expected: Any, new: Any, event: Any, **changes: Any):
        if new is SessionStatus.EXPIRED:
            self._sessions.transition(
                session_id, expected, SessionStatus.CONFIRMING, event, new_opening=self._opening
            )
        return self._sessions.transition(session_id, expected, new, event, **changes)


def test_a_confirm_that_lands_while_expiring_stands(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]
    world.clock.at = session.expires_at
    expire = ExpireSession(sessions=ConfirmedMeanwhile(world, opening), clock=world.clock)
    assert expire(session.id) is SessionStatus.CONFIRMING


# --- RecordDelivery ----------------------------------------------------------------------


def _record(world):
    return RecordDelivery(sessions=world.sessions, clock=world.clock, contacts=world.contacts)


def test_delivery_statuses_only_move_forward(world):
    session, _ = world.sent()
    sid = world.sessions.get_by_id(session.id).message_sid
    record = _record(world)
    assert record(sid, "sent", None)
    assert record(sid, "delivered", None)
    assert not record(sid, "sent", None)  # late
    assert not record(sid, "delivered", None)  # duplicate
    assert not record(sid, "exploded", None)  # unknown
    assert record(sid, "read", None)
    assert world.sessions.get_by_id(session.id).delivery_status == "read"
    assert world.timeline(session.id).count("delivered") == 1  # "sent" and "read" are quiet
    with pytest.raises(NotFound):
        record("SMunknown", "delivered", None)


def test_a_report_on_an_earlier_text_of_a_resent_link_is_ignored(world):
    session, _ = world.sent()
    first = world.sessions.get_by_id(session.id).message_sid
    world.sessions.record_message(session.id, "SM-resent", "queued", at=NOW)
    assert not _record(world)(first, "delivered", None)
    assert world.sessions.get_by_id(session.id).delivery_status == "queued"


def test_delivery_errors_are_explained_on_the_timeline(world):
    session, _ = world.sent()
    sid = world.sessions.get_by_id(session.id).message_sid
    assert _record(world)(sid, "undelivered", "30003")
    [event] = [e for e in world.sessions.timeline(session.id) if e.type == "undelivered"]
    assert event.detail == f"{DELIVERY_ERRORS['30003']} (Twilio 30003)"
    assert not world.contacts.is_opted_out("acme", OLIVIA)


def test_an_unsubscribed_report_opts_the_number_out(world):
    session, _ = world.sent()
    sid = world.sessions.get_by_id(session.id).message_sid
    _record(world)(sid, "failed", "21610")
    assert world.contacts.is_opted_out("acme", OLIVIA)
    assert world.timeline(session.id)[-1] == "failed"
    assert world.status(session.id) is SessionStatus.LINK_SENT  # the link itself stays


class AnotherReportFirst:
    """The repository where another callback for the message lands between read and write."""

    def __init__(self, world: Any) -> None:
        self._sessions = world.sessions
        self.raced = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sessions, name)

    def record_delivery(self, session_id, message_sid, expected, status, event) -> None:
        if not self.raced:
            self.raced = True
            self._sessions.record_delivery(session_id, message_sid, expected, "sent", None)
        self._sessions.record_delivery(session_id, message_sid, expected, status, event)


def test_a_report_that_loses_a_race_is_decided_again_on_fresh_state(world):
    session, _ = world.sent()
    sid = world.sessions.get_by_id(session.id).message_sid
    record = RecordDelivery(
        sessions=AnotherReportFirst(world), clock=world.clock, contacts=world.contacts
    )
    assert record(sid, "delivered", None)
    assert world.sessions.get_by_id(session.id).delivery_status == "delivered"


def test_a_report_that_loses_twice_is_a_conflict(world):
    class AlwaysFirst(AnotherReportFirst):
        def record_delivery(self, *args: Any) -> None:
            raise Conflict("The delivery status changed meanwhile.")

    session, _ = world.sent()
    sid = world.sessions.get_by_id(session.id).message_sid
    record = RecordDelivery(sessions=AlwaysFirst(world), clock=world.clock, contacts=world.contacts)
    with pytest.raises(Conflict):
        record(sid, "delivered", None)
