"""The watchdog (services/watchdog.py): no session stays confirming once its workflow has
stopped; each is settled as the workflow would have, by where the provider has the
appointment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import AppointmentChanged, NotFound, ProviderUnavailable
from reschedule_dispatch.domain.mirror import ScheduleSnapshot, mirror_window
from reschedule_dispatch.domain.session import Opening, SessionStatus, opening_key
from reschedule_dispatch.services.lifecycle import FAILURE_REASONS, HoldOpening, MoveAppointment
from reschedule_dispatch.services.watchdog import (
    GIVE_UP_AFTER,
    STARTING_GRACE,
    ProviderNotAsked,
    ResolveSession,
    WatchStuckSessions,
)
from tests.builders import NOW, technician
from tests.fakes import FakeScheduleMirror
from tests.unit.services.conftest import BASE, DISPATCHER, OLIVIA

DOWN = ProviderUnavailable("The scheduling provider was unavailable.")


def _resolve(world, mirror: FakeScheduleMirror | None = None) -> ResolveSession:
    return ResolveSession(
        sessions=world.sessions,
        provider=world.provider,
        finalize=world.finalize(),
        compensate=world.compensate(),
        mirror=mirror,
    )


def _watchdog(world, workflows: Any = None) -> WatchStuckSessions:
    return WatchStuckSessions(
        businesses=world.businesses,
        sessions=world.sessions,
        workflows=workflows or world.workflow,
        resolve=_resolve(world),
        clock=world.clock,
    )


def _stopped(world):
    """A confirming session whose workflow has stopped (timed out, or its last steps kept
    failing)."""
    session, opening, _ = world.confirming()
    world.workflow.stop(session)
    return session, opening


def _confirmations(world) -> list[str]:
    return [m.to for m in world.sms.sent[1:]]


def test_a_session_whose_workflow_never_started_fails_past_the_grace(world):
    session, _, _ = world.confirming()
    world.workflow.executions.clear()  # the portal died before starting it
    watchdog = _watchdog(world)

    world.clock.advance(seconds=STARTING_GRACE.total_seconds() - 1)
    assert watchdog().checked == 0  # a start may be in flight
    assert world.status(session.id) is SessionStatus.CONFIRMING

    world.clock.advance(seconds=1)
    report = watchdog()
    assert (report.checked, report.settled) == (1, {session.id: "failed"})
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == FAILURE_REASONS["WorkflowStopped"]
    assert world.provider.get_appointment("acme", "appt-1").start == session.original_start
    assert world.sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}
    assert _watchdog(world)().settled == {}  # the next round finds nothing


def test_a_running_workflow_is_left_to_finish(world):
    session, _, _ = world.confirming()
    world.clock.advance(minutes=3)
    report = _watchdog(world)()
    assert (report.checked, report.running, report.settled) == (1, 1, {})
    assert world.status(session.id) is SessionStatus.CONFIRMING


def test_a_workflow_that_stopped_after_the_move_is_finalized_and_the_customer_told(world):
    session, opening = _stopped(world)
    world.run_steps(session.id)
    world.clock.advance(minutes=3)
    assert _watchdog(world)().settled == {session.id: "completed"}
    assert world.status(session.id) is SessionStatus.COMPLETED
    assert _confirmations(world) == [OLIVIA]
    moved = world.provider.get_appointment("acme", "appt-1")
    assert (moved.start, moved.technician_id) == (opening.start, opening.technician_id)


def test_a_session_finalize_left_half_done_is_finished_once(world):
    session, _, _ = world.confirming()
    world.run_steps(session.id)
    world.close(session.id, SessionStatus.COMPLETED)  # Finalize wrote it, then failed
    assert _resolve(world)(session.id) is SessionStatus.COMPLETED
    assert _resolve(world)(session.id) is SessionStatus.COMPLETED
    assert _confirmations(world) == [OLIVIA]


@pytest.mark.parametrize("status", [SessionStatus.FAILED, SessionStatus.VIEWED])
def test_resolving_a_session_not_confirming_changes_nothing(world, status):
    session, _, _ = world.confirming()
    world.compensate()(
        session.id, "AppointmentChanged" if status is SessionStatus.FAILED else "OpeningTaken"
    )
    before = world.sessions.timeline(session.id)
    assert _resolve(world)(session.id) is status
    assert world.sessions.timeline(session.id) == before


def test_a_provider_that_cannot_be_asked_leaves_the_session_then_after_hours_fails_it(world):
    session, _ = _stopped(world)
    world.provider.failures["get_appointment"] = DOWN
    watchdog = _watchdog(world)
    world.clock.advance(minutes=3)
    assert watchdog().unresolved == [session.id]
    assert world.status(session.id) is SessionStatus.CONFIRMING
    with pytest.raises(ProviderNotAsked):
        _resolve(world)(session.id)

    world.clock.advance(seconds=GIVE_UP_AFTER.total_seconds())
    assert watchdog().settled == {session.id: "failed"}
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == FAILURE_REASONS["Unconfirmed"]


def test_an_appointment_gone_from_the_provider_fails_the_session(world):
    session, _ = _stopped(world)
    world.provider.failures["get_appointment"] = NotFound("Appointment not found.")
    assert _resolve(world)(session.id, "States.Timeout") is SessionStatus.FAILED
    reason = world.sessions.get_by_id(session.id).failure_reason
    assert reason == FAILURE_REASONS["States.Timeout"]


class ThrottledOnce:
    """Step Functions throttling the round's first look at a workflow, then answering."""

    def __init__(self, workflow: Any) -> None:
        self._workflow = workflow
        self.calls = 0

    def state(self, session: Any) -> str:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("ThrottlingException")
        return str(self._workflow.state(session))


def test_one_sessions_failure_is_reported_and_the_next_round_settles_it(world):
    session, _ = _stopped(world)
    world.clock.advance(minutes=3)
    watchdog = _watchdog(world, ThrottledOnce(world.workflow))
    assert watchdog().unresolved == [session.id]
    assert watchdog().settled == {session.id: "failed"}


def _another_appointment(world, appointment_id: str) -> None:
    appointment = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(appointment.model_copy(update={"id": appointment_id}))


def test_the_round_reads_every_page_of_sessions_in_progress(world):
    for n in range(101):  # more than a page of links in progress, none of them confirming
        _another_appointment(world, f"appt-open{n}")
        world.sent(f"appt-open{n}")
    stuck = []
    for n in range(2):
        _another_appointment(world, f"appt-stuck{n}")
        session, token = world.sent(f"appt-stuck{n}")
        world.links().confirm(token, world.links().page(token).openings[n].key)
        stuck.append(session.id)
    world.workflow.executions.clear()  # none of them started
    world.clock.advance(minutes=3)
    report = _watchdog(world)()
    assert report.checked == 2
    assert report.settled == dict.fromkeys(stuck, "failed")


def test_a_round_checks_only_confirming_sessions(world):
    world.sent()
    world.send_link()("other", DISPATCHER, "appt-1", None, BASE)
    world.clock.advance(minutes=3)
    assert _watchdog(world)().checked == 0


# --- a Move that failed: moved after all, half moved, or not at all -------------------------


def _with_another_technician(world):
    """A confirm for a time with tech-2 (technician change on), held."""
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    world.change_business(allow_technician_change=True)
    session, token = world.sent()
    shown = world.links().page(token).openings[0]
    opening = world.links().page(token, slot=opening_key(shown.start, "tech-2")).chosen
    assert opening is not None
    world.links().confirm(token, opening.key)
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(session.id)
    return session, opening


def _half_move(world, opening: Opening) -> None:
    """The first of a move's two calls went through: the new time, the old technician."""
    before = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(
        before.model_copy(update={"start": opening.start, "end": opening.end, "version": 2})
    )


def test_a_half_done_move_is_put_back_once_and_the_session_fails_with_moves_error(world):
    session, opening = _with_another_technician(world)
    _half_move(world, opening)
    assert _resolve(world)(session.id, "ProviderUnavailable") is SessionStatus.FAILED
    back = world.provider.get_appointment("acme", "appt-1")
    assert (back.start, back.end, back.technician_id) == (
        session.original_start,
        session.original_end,
        "tech-1",
    )
    assert (
        world.sessions.get_by_id(session.id).failure_reason
        == (FAILURE_REASONS["ProviderUnavailable"])
    )
    assert world.holds.holders("acme", opening) == set()
    assert _resolve(world)(session.id, "ProviderUnavailable") is SessionStatus.FAILED
    assert world.provider.calls["move_appointment"] == 1


def test_the_round_says_a_half_done_move_was_undone(world):
    session, opening = _with_another_technician(world)
    _half_move(world, opening)
    world.workflow.stop(world.sessions.get_by_id(session.id))
    world.clock.advance(minutes=3)
    assert _watchdog(world)().settled == {session.id: "failed"}
    assert world.sessions.get_by_id(session.id).failure_reason == FAILURE_REASONS["MoveUndone"]


def test_what_someone_else_changed_is_never_put_back(world):
    session, opening = _with_another_technician(world)
    _half_move(world, opening)
    # Move was refused as changed elsewhere: what the provider shows is not ours
    assert _resolve(world)(session.id, "AppointmentChanged") is SessionStatus.FAILED
    assert world.provider.get_appointment("acme", "appt-1").start == opening.start
    assert world.provider.calls["move_appointment"] == 0


def test_a_half_done_move_changed_meanwhile_is_left_to_whoever_changed_it(world):
    session, opening = _with_another_technician(world)
    _half_move(world, opening)
    world.provider.failures["move_appointment"] = AppointmentChanged("412")
    assert _resolve(world)(session.id, "ProviderUnavailable") is SessionStatus.FAILED
    reason = world.sessions.get_by_id(session.id).failure_reason
    assert reason == FAILURE_REASONS["AppointmentChanged"]


def test_a_put_back_the_provider_refuses_waits_for_the_next_round(world):
    session, opening = _with_another_technician(world)
    _half_move(world, opening)
    world.provider.failures["move_appointment"] = DOWN
    with pytest.raises(ProviderNotAsked):
        _resolve(world)(session.id, "ProviderUnavailable")
    assert world.status(session.id) is SessionStatus.CONFIRMING
    del world.provider.failures["move_appointment"]
    assert _resolve(world)(session.id, "ProviderUnavailable") is SessionStatus.FAILED


def test_a_move_on_one_technician_is_never_half_done(world):
    session, opening, _ = world.confirming()
    # Someone moved it by hand to a time near the chosen one: not ours, not put back
    world.provider.put_appointment(
        world.provider.get_appointment("acme", "appt-1").model_copy(
            update={
                "start": opening.start + timedelta(hours=1),
                "end": opening.end + timedelta(hours=1),
                "version": 2,
            }
        )
    )
    assert _resolve(world)(session.id, "ProviderUnavailable") is SessionStatus.FAILED
    assert world.provider.calls["move_appointment"] == 0


def test_a_move_whose_answer_was_lost_is_finalized_and_reaches_the_mirror(world):
    mirror = FakeScheduleMirror()
    start, end = mirror_window(NOW)
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    mirror.replace(
        "acme",
        ScheduleSnapshot(
            list(world.provider.technicians("acme")),
            {
                "tech-1": world.provider.technician_schedule("acme", "tech-1", start, end),
                "tech-2": [],
            },
            [],
            start,
            end,
        ),
        NOW,
    )
    session, opening = _with_another_technician(world)
    MoveAppointment(sessions=world.sessions, provider=world.provider)(session.id)  # not told

    resolved = _resolve(world, mirror)(session.id, "States.Timeout")

    assert resolved is SessionStatus.COMPLETED
    assert _confirmations(world) == [OLIVIA]
    mirrored = mirror.appointment("acme", "appt-1")
    assert mirrored is not None
    assert (mirrored.start, mirrored.technician_id) == (opening.start, "tech-2")
    schedules = mirror.busy("acme", ["tech-1", "tech-2"], start, end)
    assert "appt-1" not in {b.id for b in schedules["tech-1"]}


def test_a_put_back_reaches_the_mirror(world):
    mirror = FakeScheduleMirror()
    start, end = mirror_window(NOW)
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    mirror.replace(
        "acme",
        ScheduleSnapshot(list(world.provider.technicians("acme")), {}, [], start, end),
        NOW,
    )
    session, opening = _with_another_technician(world)
    _half_move(world, opening)
    _resolve(world, mirror)(session.id, "ProviderUnavailable")
    mirrored = mirror.appointment("acme", "appt-1")
    assert mirrored is not None
    assert mirrored.start == session.original_start


def test_a_move_to_another_technician_that_never_happened_is_not_put_back(world):
    session, _ = _with_another_technician(world)
    world.workflow.stop(world.sessions.get_by_id(session.id))
    world.clock.advance(minutes=3)
    assert _watchdog(world)().settled == {session.id: "failed"}
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == FAILURE_REASONS["WorkflowStopped"]
    assert world.provider.calls["move_appointment"] == 0
