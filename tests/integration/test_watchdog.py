"""The watchdog settles every confirming session whose workflow stopped (services/watchdog.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb_schedule_mirror import DynamoScheduleMirror
from reschedule_dispatch.adapters.stepfunctions_workflow import (
    StepFunctionsConfirmWorkflow,
    execution_name,
)
from reschedule_dispatch.domain.errors import AppointmentChanged, ProviderUnavailable
from reschedule_dispatch.domain.session import (
    Actor,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
    opening_key,
)
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.lifecycle import (
    FAILURE_REASONS,
    Compensate,
    HoldOpening,
    MoveAppointment,
)
from reschedule_dispatch.services.schedule_mirror import SyncSchedule
from reschedule_dispatch.services.watchdog import (
    GIVE_UP_AFTER,
    ProviderNotAsked,
    ResolveSession,
    WatchStuckSessions,
)
from tests.builders import technician

BASE = "https://api.example"


class Crashed:
    """A portal that died after writing `confirming`, before the workflow started."""

    def start(self, session: RescheduleSession, opening: Opening) -> None:
        pass

    def state(self, session: RescheduleSession) -> str:
        return "ended"  # never started


class Unreachable:
    """The provider, down: every read fails as a 503 would."""

    def __init__(self, provider: Any) -> None:
        self._provider = provider

    def get_appointment(self, *args: Any, **kwargs: Any) -> Any:
        raise ProviderUnavailable("The scheduling provider was unavailable.")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)


def _confirming(world, workflow=None) -> tuple[RescheduleSession, Opening]:
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    token = sent.link.rsplit("/", 1)[1]
    links = CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=workflow or world.workflow,
        clock=world.clock,
    )
    opening = links.page(token).openings[0]
    links.confirm(token, opening.key)
    return sent.session, opening


def _ended_at_once(world) -> StepFunctionsConfirmWorkflow:
    """The workflow adapter, taking a stopped execution's steps as settled at once."""
    return StepFunctionsConfirmWorkflow(
        boto3.client("stepfunctions"), world.env["CONFIRM_STATE_MACHINE_ARN"], settles=timedelta(0)
    )


def _watchdog(world, provider=None, workflows=None) -> WatchStuckSessions:
    resolve = ResolveSession(
        sessions=world.sessions,
        provider=provider or world.provider,
        finalize=world.finalize(),
        compensate=Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock),
    )
    return WatchStuckSessions(
        businesses=world.businesses,
        sessions=world.sessions,
        workflows=workflows or _ended_at_once(world),
        resolve=resolve,
        clock=world.clock,
    )


def _stop_execution(world, session_id: str) -> None:
    """The execution ends without settling the session (timed out, or a finishing step kept
    failing past its retries)."""
    session = world.sessions.get_by_id(session_id)
    arn = world.env["CONFIRM_STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:")
    boto3.client("stepfunctions").stop_execution(
        executionArn=f"{arn}:{execution_name(session)}", error="States.Timeout"
    )


def test_a_session_whose_workflow_never_started_fails_and_frees_the_appointment(world):
    # Given a portal that crashed between writing `confirming` and starting the workflow
    session, _ = _confirming(world, Crashed())
    watchdog = _watchdog(world, workflows=Crashed())

    # When the watchdog looks within the grace, nothing happens (a start may be in flight)
    world.clock.advance(minutes=1)
    assert watchdog().checked == 0
    assert world.sessions.get_by_id(session.id).status is SessionStatus.CONFIRMING

    # Then past it, the session fails with its reason, nothing having moved
    world.clock.advance(minutes=2)
    report = watchdog()
    assert report.settled == {session.id: "failed"}
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == FAILURE_REASONS["WorkflowStopped"]
    assert world.provider.get_appointment("acme", "appt-1").start == session.original_start
    # And the appointment is free: a new link can be sent
    again = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    assert again.session.status is SessionStatus.LINK_SENT


def test_a_workflow_that_stopped_after_the_move_is_finalized_and_the_customer_told(world):
    # Given the move went through in the provider, then the execution ended before Finalize
    session, opening = _confirming(world)
    world.run_steps(session.id)
    _stop_execution(world, session.id)

    # When the watchdog's round comes
    world.clock.advance(minutes=3)
    report = _watchdog(world)()

    # Then the session is completed, as Finalize would have done, and the customer told once
    assert report.settled == {session.id: "completed"}
    done = world.sessions.get_by_id(session.id)
    assert done.status is SessionStatus.COMPLETED
    assert [m["to"] for m in world.sms.sent if "is now" in m["body"]] == ["+13125550142"]
    moved = world.provider.get_appointment("acme", "appt-1")
    assert (moved.start, moved.technician_id) == (opening.start, opening.technician_id)
    assert _watchdog(world)().settled == {}  # settled once: the next round finds nothing


def test_an_execution_that_just_stopped_counts_as_running_until_its_steps_settle(world):
    # A step's Lambda may still finish its call after a timed-out execution stopped
    session, _ = _confirming(world)
    _stop_execution(world, session.id)
    confirming = world.sessions.get_by_id(session.id)
    assert world.workflow.state(confirming) == "running"  # stopped a moment ago
    assert _ended_at_once(world).state(confirming) == "ended"


def test_finalize_that_failed_after_completing_is_finished_by_the_watchdog(world):
    # Given Finalize wrote `completed`, then failed before the rest (its Catch: Settle)
    session, _ = _confirming(world)
    world.run_steps(session.id)
    world.sessions.transition(
        session.id,
        SessionStatus.CONFIRMING,
        SessionStatus.COMPLETED,
        TimelineEvent(type="completed", at=world.clock.now(), actor=Actor.SYSTEM, detail=""),
    )
    assert world.sms.sent[1:] == []  # only the link went out

    # When the watchdog settles it
    status = _watchdog(world)._resolve(session.id)  # as the Settle step calls it

    # Then the rest of Finalize runs: the customer is told, once
    assert status is SessionStatus.COMPLETED
    assert [m["to"] for m in world.sms.sent if "is now" in m["body"]] == ["+13125550142"]


def test_a_running_workflow_is_left_to_finish(world):
    session, _ = _confirming(world)  # moto's execution runs until stopped
    world.clock.advance(minutes=3)
    report = _watchdog(world)()
    assert (report.checked, report.running, report.settled) == (1, 1, {})
    assert world.sessions.get_by_id(session.id).status is SessionStatus.CONFIRMING


def test_a_provider_that_cannot_be_asked_leaves_the_session_then_after_hours_fails_it(world):
    # Given a stopped workflow and a provider that is down
    session, _ = _confirming(world)
    _stop_execution(world, session.id)
    watchdog = _watchdog(world, provider=Unreachable(world.provider))

    # When the watchdog cannot ask where the appointment is, it waits for the next round
    world.clock.advance(minutes=3)
    report = watchdog()
    assert report.unresolved == [session.id]
    assert world.sessions.get_by_id(session.id).status is SessionStatus.CONFIRMING

    # Then after hours of it, the session fails, sending the dispatcher to the provider
    world.clock.advance(seconds=GIVE_UP_AFTER.total_seconds())
    assert watchdog().settled == {session.id: "failed"}
    reason = world.sessions.get_by_id(session.id).failure_reason
    assert reason == FAILURE_REASONS["Unconfirmed"]


@pytest.mark.parametrize("status", [SessionStatus.COMPLETED, SessionStatus.FAILED])
def test_resolving_a_settled_session_changes_nothing(world, status):
    session, _ = _confirming(world)
    if status is SessionStatus.COMPLETED:
        world.run_steps(session.id)
        world.finalize()(session.id)
    else:
        Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock)(
            session.id, "AppointmentChanged"
        )
    before = world.sessions.timeline(session.id)
    resolve = ResolveSession(
        sessions=world.sessions,
        provider=world.provider,
        finalize=world.finalize(),
        compensate=Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock),
    )
    assert resolve(session.id) is status
    assert world.sessions.timeline(session.id) == before


class ThrottledOnce:
    """Step Functions throttling the watchdog's first DescribeExecution, then answering."""

    def __init__(self, world) -> None:
        self.calls = 0
        self._workflow = _ended_at_once(world)

    def state(self, session: RescheduleSession) -> str:
        self.calls += 1
        if self.calls == 1:
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "DescribeExecution")
        return self._workflow.state(session)


def test_a_failure_on_one_session_is_reported_and_the_next_round_settles_it(world):
    session, _ = _confirming(world)
    _stop_execution(world, session.id)
    world.clock.advance(minutes=3)
    watchdog = _watchdog(world, workflows=ThrottledOnce(world))

    # The round does not stop on the throttle: it reports the session unresolved
    assert watchdog().unresolved == [session.id]
    # and the next round settles it
    assert watchdog().settled == {session.id: "failed"}


# --- a Move that failed: moved after all, half moved, or not at all -----------------------


def _confirming_with_another_technician(world) -> tuple[RescheduleSession, Opening]:
    """A confirm for a time with tech-2 (technician change on), held and re-checked."""
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    business = world.businesses.get("acme")
    settings = business.settings.model_copy(update={"allow_technician_change": True})
    world.businesses.put(business.model_copy(update={"settings": settings}))
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    token = sent.link.rsplit("/", 1)[1]
    links = CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
    )
    # A time shown with tech-1 is free with tech-2 too (same hours, same base, no jobs)
    shown = links.page(token).openings[0]
    opening = links.page(token, slot=opening_key(shown.start, "tech-2")).chosen
    assert opening is not None
    links.confirm(token, opening.key)
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(sent.session.id)
    return sent.session, opening


def _resolve(world, provider=None) -> ResolveSession:
    return ResolveSession(
        sessions=world.sessions,
        provider=provider or world.provider,
        finalize=world.finalize(),
        compensate=Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock),
    )


def _half_move(world, session: RescheduleSession, opening: Opening) -> None:
    """The first of the move's two provider calls went through: the new time, the same
    technician (as Google's PATCH before its events.move, ServiceTitan's reschedule before
    its assignment)."""
    before = world.provider.get_appointment("acme", session.appointment_id)
    world.provider.put_appointment(
        before.model_copy(
            update={"start": opening.start, "end": opening.end, "version": int(before.version) + 1}
        )
    )


def test_a_half_done_move_is_put_back_and_the_session_fails_with_moves_error(world):
    session, opening = _confirming_with_another_technician(world)
    _half_move(world, session, opening)

    # When the state machine hands Move's failure to the watchdog
    status = _resolve(world)(session.id, "ProviderUnavailable")

    # Then the appointment is as it was (time and technician), and the session failed
    back = world.provider.get_appointment("acme", "appt-1")
    assert (back.start, back.end, back.technician_id) == (
        session.original_start,
        session.original_end,
        "tech-1",
    )
    assert status is SessionStatus.FAILED
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == FAILURE_REASONS["ProviderUnavailable"]
    # And nothing is held: a new link can be sent for it
    assert world.send_link()("acme", "d@acme.example", "appt-1", None, BASE).session
    # And settling again changes nothing (the put-back ran once)
    assert _resolve(world)(session.id, "ProviderUnavailable") is SessionStatus.FAILED
    assert world.provider.get_appointment("acme", "appt-1").version == back.version


def test_the_watchdogs_round_puts_a_half_done_move_back_and_says_so(world):
    session, opening = _confirming_with_another_technician(world)
    _half_move(world, session, opening)
    world.clock.advance(minutes=3)

    report = _watchdog(world, workflows=Crashed())()

    assert report.settled == {session.id: "failed"}
    assert world.sessions.get_by_id(session.id).failure_reason == FAILURE_REASONS["MoveUndone"]
    assert world.provider.get_appointment("acme", "appt-1").start == session.original_start


def test_a_move_whose_answer_was_lost_is_finalized(world):
    # Given Move went through in the provider, and its answer never came back
    session, opening = _confirming_with_another_technician(world)
    MoveAppointment(sessions=world.sessions, provider=world.provider)(session.id)

    status = _resolve(world)(session.id, "States.Timeout")

    assert status is SessionStatus.COMPLETED
    moved = world.provider.get_appointment("acme", "appt-1")
    assert (moved.start, moved.technician_id) == (opening.start, "tech-2")
    assert [m["to"] for m in world.sms.sent if "is now" in m["body"]] == ["+13125550142"]


def test_a_half_done_move_someone_changed_since_is_left_to_them(world):
    session, opening = _confirming_with_another_technician(world)
    _half_move(world, session, opening)

    class ChangedMeanwhile:
        """The provider, where someone edits the appointment before the put-back lands."""

        def __getattr__(self, name: str) -> Any:
            return getattr(world.provider, name)

        def move_appointment(self, *args: Any, **kwargs: Any) -> Any:
            raise AppointmentChanged("The provider answered 412 Precondition Failed.")

    status = _resolve(world, ChangedMeanwhile())(session.id, "ProviderUnavailable")

    assert status is SessionStatus.FAILED
    failed = world.sessions.get_by_id(session.id)
    assert failed.failure_reason == FAILURE_REASONS["AppointmentChanged"]


def test_a_put_back_the_provider_refuses_leaves_the_session_for_the_next_round(world):
    session, opening = _confirming_with_another_technician(world)
    _half_move(world, session, opening)

    class DownForWrites:
        def __getattr__(self, name: str) -> Any:
            return getattr(world.provider, name)

        def move_appointment(self, *args: Any, **kwargs: Any) -> Any:
            raise ProviderUnavailable("The scheduling provider was unavailable.")

    with pytest.raises(ProviderNotAsked):
        _resolve(world, DownForWrites())(session.id, "ProviderUnavailable")
    assert world.sessions.get_by_id(session.id).status is SessionStatus.CONFIRMING
    # The provider back, the next try puts it back
    assert _resolve(world)(session.id, "ProviderUnavailable") is SessionStatus.FAILED
    assert world.provider.get_appointment("acme", "appt-1").start == session.original_start


def test_a_lost_answer_finalized_by_the_watchdog_reaches_the_schedule_mirror(world):
    table = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"])
    mirror = DynamoScheduleMirror(table)
    SyncSchedule(mirror=mirror, live=world.provider, clock=world.clock).full("acme")
    session, opening = _confirming_with_another_technician(world)
    MoveAppointment(sessions=world.sessions, provider=world.provider)(
        session.id
    )  # moved; the mirror not told
    stale = mirror.appointment("acme", "appt-1")
    assert stale is not None
    assert stale.start == session.original_start

    resolve = ResolveSession(
        sessions=world.sessions,
        provider=world.provider,
        finalize=world.finalize(),
        compensate=Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock),
        mirror=mirror,
    )
    assert resolve(session.id, "States.Timeout") is SessionStatus.COMPLETED

    mirrored = mirror.appointment("acme", "appt-1")
    assert mirrored is not None
    assert (mirrored.start, mirrored.technician_id) == (opening.start, "tech-2")
    window = (opening.start - timedelta(hours=1), opening.end + timedelta(hours=1))
    busy = mirror.busy("acme", ["tech-1", "tech-2"], *window)
    assert [b.id for b in busy["tech-2"]] == ["appt-1"]
    assert "appt-1" not in [b.id for b in busy["tech-1"]]
