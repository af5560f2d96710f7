"""A dispatcher's direct move on moto: the same confirm workflow steps as a customer's pick."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from reschedule_dispatch.adapters.eventbridge_scheduler import EventBridgeScheduledSends
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    Conflict,
    NotFound,
    OpeningTaken,
    RulesBroken,
    SessionAlreadyOpen,
    Unprocessable,
)
from reschedule_dispatch.domain.ports import EmailAttachment
from reschedule_dispatch.domain.scheduling import BlockedTime
from reschedule_dispatch.domain.session import LINK_RETENTION, Opening, SessionStatus
from reschedule_dispatch.services.closed_sessions import LinkClosed
from reschedule_dispatch.services.dispatcher_move import (
    MOVED_BY_DISPATCHER,
    CheckMove,
    MoveByDispatcher,
    MoveRequest,
)
from reschedule_dispatch.services.invitation import OPTED_OUT_TEXT, InvitationCalendars
from reschedule_dispatch.services.lifecycle import (
    CheckAppointment,
    Compensate,
    HoldOpening,
)
from reschedule_dispatch.services.queries import AppointmentTimeline
from tests.builders import appointment as build_appointment
from tests.builders import technician as build_technician

BASE = "https://api.example"
DISPATCHER = "d@acme.example"
# appt-1 is Wednesday 10:00-11:00 in Chicago; NOW is Monday 9:00.
WEDNESDAY_2PM = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
WEDNESDAY_9PM = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def _mover(world) -> MoveByDispatcher:
    group = world.env["SCHEDULE_GROUP_NAME"]
    return MoveByDispatcher(
        check=CheckMove(provider=world.provider, businesses=world.businesses, clock=world.clock),
        sessions=world.sessions,
        provider=world.provider,
        workflow=world.workflow,
        expiry=world.expiry,
        sends=EventBridgeScheduledSends(boto3.client("scheduler"), group, "", "", ""),
        contacts=world.contacts,
        clock=world.clock,
    )


def _move(world, start=WEDNESDAY_2PM, **changes):
    request = MoveRequest(start=start, technician_id=changes.pop("technician_id", "tech-1"),
                          **changes)  # fmt: skip
    return _mover(world)("acme", DISPATCHER, "appt-1", request, BASE)


def _types(world, session_id: str) -> list[str]:
    return [e.type for e in world.sessions.timeline(session_id)]


def test_a_move_starts_the_confirm_workflow_and_completes_like_a_customers_pick(world):
    # When a dispatcher moves appt-1 to a time the rules allow
    started = _move(world)
    session = started.session
    assert session.kind == "dispatcher_move"
    assert session.status is SessionStatus.CONFIRMING
    assert started.rules_overridden == []
    # Then the same state machine runs for it, with the chosen time
    [execution] = world.executions()
    assert execution["name"] == f"session-{session.id}-1"
    given = boto3.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
    assert json.loads(given["input"])["opening"]["start"] == "2026-11-25T20:00:00Z"
    # And its steps move the appointment and complete the session
    world.run_steps(session.id)
    assert world.finalize()(session.id) is SessionStatus.COMPLETED
    moved = world.provider.get_appointment("acme", "appt-1")
    assert (moved.start, moved.version) == (WEDNESDAY_2PM, 2)
    assert _types(world, session.id) == ["move_requested", "completed", "invitation_sent"]
    # No customer confirmation text: a move ends with its invitation instead
    [invitation] = world.sms.sent
    assert "/r/invite/" in invitation["body"]


def test_a_time_that_breaks_a_rule_is_refused_and_nothing_is_written(world):
    with pytest.raises(RulesBroken) as refused:
        _move(world, start=WEDNESDAY_9PM)
    assert refused.value.rules == ["outside working hours"]
    assert world.executions() == []
    assert (
        AppointmentTimeline(sessions=world.sessions, provider=world.provider)("acme", "appt-1")
        == []
    )


def test_an_override_moves_it_and_the_broken_rules_are_on_the_timeline(world):
    started = _move(world, start=WEDNESDAY_9PM, override=True)
    assert started.rules_overridden == ["outside working hours"]
    timeline = world.sessions.timeline(started.session.id)
    assert [(e.type, e.detail) for e in timeline][1] == (
        "rules_overridden",
        "outside working hours",
    )
    world.run_steps(started.session.id)
    world.finalize()(started.session.id)
    assert world.provider.get_appointment("acme", "appt-1").start == WEDNESDAY_9PM


def test_an_overridden_overlap_is_let_be_but_a_new_one_is_a_clash(world):
    # Given another appointment at the chosen time, which the dispatcher overrides
    world.provider.put_appointment(build_appointment(WEDNESDAY_2PM, id="appt-known"))
    started = _move(world, override=True)
    assert started.rules_overridden == ["overlaps appointment appt-known"]
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(started.session.id)
    CheckAppointment(sessions=world.sessions, provider=world.provider)(
        started.session.id
    )  # known: let be
    # When one more lands there before the move
    world.provider.put_appointment(build_appointment(WEDNESDAY_2PM, id="appt-new"))
    # Then the re-check refuses it, and the move fails without touching the appointment
    with pytest.raises(OpeningTaken):
        CheckAppointment(sessions=world.sessions, provider=world.provider)(started.session.id)
    status = Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock)(
        started.session.id, "OpeningTaken"
    )
    assert status is SessionStatus.FAILED  # no link to pick again with
    failed = world.sessions.get("acme", started.session.id)
    assert failed.failure_reason == "The time is no longer available."
    assert world.provider.get_appointment("acme", "appt-1").version == 1


def test_an_overridden_blocked_time_is_let_be_by_the_re_check(world):
    # Given the technician's lunch at the chosen time, which the dispatcher overrides
    world.provider.put_blocked_time(
        BlockedTime(
            id="lunch",
            business_id="acme",
            technician_id="tech-1",
            start=WEDNESDAY_2PM,
            end=WEDNESDAY_2PM + timedelta(hours=1),
            reason="Lunch",
        )
    )
    started = _move(world, override=True)
    assert started.rules_overridden
    assert started.session.accepted_overlaps == ("lunch",)
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(started.session.id)
    CheckAppointment(sessions=world.sessions, provider=world.provider)(
        started.session.id
    )  # accepted: let be


def test_an_appointment_changed_meanwhile_fails_the_move(world):
    started = _move(world)
    current = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(current.model_copy(update={"version": 5}))
    with pytest.raises(AppointmentChanged):
        CheckAppointment(sessions=world.sessions, provider=world.provider)(started.session.id)
    compensate = Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock)
    assert compensate(started.session.id, "AppointmentChanged") is SessionStatus.FAILED
    assert world.sessions.get("acme", started.session.id).failure_reason == (
        "The appointment changed elsewhere."
    )


def test_the_provider_down_fails_the_move_with_its_reason_and_frees_the_appointment(world):
    started = _move(world)
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(started.session.id)
    compensate = Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock)
    assert compensate(started.session.id, "ProviderUnavailable") is SessionStatus.FAILED
    assert world.sessions.get("acme", started.session.id).failure_reason == (
        "The scheduling provider was unavailable."
    )
    # The appointment is free for another move at once
    assert _move(world).session.status is SessionStatus.CONFIRMING


def test_a_link_that_moves_on_while_the_move_is_made_is_not_canceled_and_nothing_is_written(
    world,
):
    # Given a link the customer has open
    link = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE).session
    mover = _mover(world)
    sessions = world.sessions

    class CustomerConfirmsMeanwhile:
        """The customer taps a time between the move's checks and its write."""

        def __getattr__(self, name):
            return getattr(sessions, name)

        def create(self, session, token_hash, first_event, *, replacing=None):
            if replacing is not None:
                picked = WEDNESDAY_2PM + timedelta(days=1)
                sessions.transition(
                    link.id,
                    SessionStatus.LINK_SENT,
                    SessionStatus.CONFIRMING,
                    sessions.timeline(link.id)[0],
                    new_opening=Opening(
                        start=picked, end=picked + timedelta(hours=1), technician_id="tech-1"
                    ),
                    confirm_attempt=1,
                )
            return sessions.create(session, token_hash, first_event, replacing=replacing)

    mover._sessions = CustomerConfirmsMeanwhile()
    request = MoveRequest(start=WEDNESDAY_2PM, technician_id="tech-1")
    # When the move is made, Then it is refused with what happened
    with pytest.raises(Conflict, match="changed meanwhile"):
        mover("acme", DISPATCHER, "appt-1", request, BASE)
    # And nothing was written: the link is as the customer left it, no move session exists
    assert world.sessions.get("acme", link.id).status is SessionStatus.CONFIRMING
    timeline = AppointmentTimeline(sessions=world.sessions, provider=world.provider)(
        "acme", "appt-1"
    )
    assert [session.id for session, _ in timeline] == [link.id]
    assert world.executions() == []


def test_a_move_cancels_the_customers_open_link(world):
    # Given a link the customer has not used yet
    link = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE).session
    assert boto3.client("scheduler").list_schedules()["Schedules"]
    # When the dispatcher moves the appointment directly
    started = _move(world)
    # Then the link is canceled, says why, and its expiry schedule is gone
    canceled = world.sessions.get("acme", link.id)
    assert canceled.status is SessionStatus.CANCELED
    assert canceled.failure_reason == MOVED_BY_DISPATCHER
    assert started.canceled_session_id == link.id
    assert boto3.client("scheduler").list_schedules()["Schedules"] == []
    # And the appointment's timeline holds both, oldest first
    found = AppointmentTimeline(sessions=world.sessions, provider=world.provider)("acme", "appt-1")
    assert [(s.kind, s.status) for s, _ in found] == [
        ("link", SessionStatus.CANCELED),
        ("dispatcher_move", SessionStatus.CONFIRMING),
    ]
    assert found[0][1][-1].detail == f"{MOVED_BY_DISPATCHER} ({DISPATCHER})"


def test_a_customer_confirming_or_a_move_in_progress_is_not_overtaken(world):
    link = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE).session
    opening = world.provider.get_appointment("acme", "appt-1")
    world.sessions.transition(
        link.id,
        SessionStatus.LINK_SENT,
        SessionStatus.CONFIRMING,
        world.sessions.timeline(link.id)[0],
        new_opening=Opening(start=WEDNESDAY_2PM, end=WEDNESDAY_2PM + timedelta(hours=1),
                            technician_id=opening.technician_id),
    )  # fmt: skip
    with pytest.raises(Conflict, match="confirming"):
        _move(world)
    assert (
        len(AppointmentTimeline(sessions=world.sessions, provider=world.provider)("acme", "appt-1"))
        == 1
    )


def test_a_second_move_while_one_runs_is_refused(world):
    first = _move(world)
    with pytest.raises(SessionAlreadyOpen) as refused:
        _move(world, start=WEDNESDAY_2PM + timedelta(hours=1))
    assert refused.value.session_id == first.session.id


def test_bad_choices_are_refused_before_anything_is_written(world):
    with pytest.raises(Unprocessable, match="already at that time"):
        _move(world, start=datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    with pytest.raises(Unprocessable, match="no email address"):
        _move(world, email=True)
    with pytest.raises(Unprocessable, match="phone number is not valid"):
        _move(world, phone="12")
    # a number abroad (the business is in the US, +1): not texted unless it allows it
    with pytest.raises(Unprocessable, match=r"business's own country \(\+1\) only"):
        _move(world, phone="+44 20 7946 0958")
    with pytest.raises(Unprocessable, match="has passed"):
        _move(world, start=world.clock.now() - timedelta(hours=1), override=True)
    with pytest.raises(Unprocessable, match="within a year"):
        _move(world, start=world.clock.now() + timedelta(days=400), override=True)
    assert world.executions() == []
    assert (
        AppointmentTimeline(sessions=world.sessions, provider=world.provider)("acme", "appt-1")
        == []
    )


def test_another_technician_is_a_rule_unless_the_business_allows_changes(world):
    world.provider.put_technician(build_technician(id="tech-2", name="Sam Lee"))
    with pytest.raises(RulesBroken, match="technician change not allowed"):
        _move(world, technician_id="tech-2")
    acme = world.businesses.get("acme")
    world.businesses.put(acme.model_copy(update={
        "settings": acme.settings.model_copy(update={"allow_technician_change": True})}))  # fmt: skip
    assert _move(world, technician_id="tech-2").session.new_opening.technician_id == "tech-2"


def test_an_opted_out_customer_is_said_up_front_and_the_move_goes_on(world):
    world.contacts.opt_out("acme", "+13125550142", world.clock.now(), "STOP")
    started = _move(world)
    assert started.problems == [OPTED_OUT_TEXT]
    assert started.session.status is SessionStatus.CONFIRMING


# --- The invitation ---------------------------------------------------------------------


@dataclass
class RecordingEmail:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, to: str, from_email: str, from_name: str, subject: str, text: str,
             html: str | None = None, *, categories: Sequence[str] = (),
             custom_args: Mapping[str, str] | None = None,
             attachments: Sequence[EmailAttachment] = ()) -> str:  # fmt: skip
        self.sent.append({"to": to, "subject": subject, "text": text, "attachments": attachments})
        return f"email-{len(self.sent)}"


def _with_email(world) -> None:
    acme = world.businesses.get("acme")
    world.businesses.put(acme.model_copy(update={"email_from": "hello@acme.example"}))


def _completed_move(world, outbox: RecordingEmail, **changes) -> str:
    started = _move(world, **changes)
    world.run_steps(started.session.id)
    finalize = world.finalize(outbox)
    finalize(started.session.id)
    finalize(started.session.id)  # a retried finalize invites no one twice
    return str(started.session.id)


def test_the_invitation_goes_by_text_and_email_in_spanish_with_the_ics(world):
    # Given a move with both switches on, in Spanish, to an address typed for this message
    _with_email(world)
    email = RecordingEmail()
    session_id = _completed_move(world, email, sms=True, email=True, language="es",
                                 email_address="olivia@example.com")  # fmt: skip
    # Then the text names the new time and the technician, and links to the .ics
    [text] = world.sms.sent
    assert text["to"] == "+13125550142"
    assert "mié 25 nov a las 14:00" in text["body"]
    assert "Alex Rivera" in text["body"]
    link = re.search(r"https://api\.example/r/invite/(\S+)\.ics", text["body"])
    assert link is not None
    # And the email, in Spanish, carries the same .ics
    [sent] = email.sent
    assert sent["to"] == "olivia@example.com"
    assert sent["subject"].startswith("Acme Plumbing: su Drain cleaning ahora es el mié 25 nov")
    [attachment] = sent["attachments"]
    assert attachment.filename == "invite.ics"
    calendar = attachment.content.decode()
    assert "DTSTART:20261125T200000Z\r\n" in calendar
    assert "DTEND:20261125T210000Z\r\n" in calendar
    assert "UID:appt-1@acme.reschedule-dispatch\r\n" in calendar
    # And the link serves that file, while the token itself is never stored
    assert InvitationCalendars(sessions=world.sessions, businesses=world.businesses)(
        link.group(1) + ".ics"
    ) == (calendar)
    types = _types(world, session_id)
    assert types == ["move_requested", "completed", "invitation_sent", "invitation_emailed"]
    assert link.group(1) not in world.sessions.timeline(session_id)[2].detail


def test_an_invitation_stops_showing_the_appointment_some_days_after_it(world):
    session_id = _completed_move(world, RecordingEmail(), sms=True)
    link = re.search(r"/r/invite/(\S+)\.ics", world.sms.sent[0]["body"])
    assert link is not None
    session = world.sessions.get("acme", session_id)
    assert session.new_opening is not None
    calendars = InvitationCalendars(
        sessions=world.sessions, businesses=world.businesses, clock=world.clock
    )
    world.clock.at = session.new_opening.end + LINK_RETENTION - timedelta(minutes=1)
    assert "BEGIN:VCALENDAR" in calendars(link.group(1) + ".ics")
    world.clock.at = session.new_opening.end + LINK_RETENTION
    with pytest.raises(LinkClosed, match="no longer available"):
        calendars(link.group(1) + ".ics")


def test_an_unknown_or_unfinished_invitation_is_not_found(world):
    calendars = InvitationCalendars(sessions=world.sessions, businesses=world.businesses)
    with pytest.raises(NotFound):
        calendars("A" * 43 + ".ics")
    with pytest.raises(NotFound):
        calendars("../../etc/passwd")


def test_an_opt_out_holds_back_the_text_and_says_why_while_the_email_goes(world):
    _with_email(world)
    world.contacts.opt_out("acme", "+13125550142", world.clock.now(), "STOP")
    email = RecordingEmail()
    session_id = _completed_move(world, email, email=True, email_address="o@example.com")
    assert world.sms.sent == []
    assert len(email.sent) == 1  # the email still goes
    events = {e.type: e.detail for e in world.sessions.timeline(session_id)}
    assert events["invitation_not_sent"] == OPTED_OUT_TEXT


def test_quiet_hours_hold_back_the_text(world):
    world.clock.at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 10 PM in Chicago
    session_id = _completed_move(world, RecordingEmail())
    assert world.sms.sent == []
    events = {e.type: e.detail for e in world.sessions.timeline(session_id)}
    assert events["invitation_not_sent"].startswith("Text not sent: it's quiet hours")
