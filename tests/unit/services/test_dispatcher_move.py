"""A dispatcher's direct move (services/dispatcher_move.py): judged by the business's rules,
refused before anything is written, or started as a confirming session that closes the
customer's open link in the same write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import (
    Conflict,
    MessagingUnavailable,
    RulesBroken,
    SessionAlreadyOpen,
    Unprocessable,
)
from reschedule_dispatch.domain.scheduling import BlockedTime
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.dispatcher_move import (
    MOVE_TIME_LIMIT,
    MOVED_BY_DISPATCHER,
    NO_EMAIL,
    NO_EMAIL_SENDER,
    NO_PHONE,
    CheckMove,
    MoveByDispatcher,
    MoveRequest,
)
from reschedule_dispatch.services.invitation import OPTED_OUT_TEXT
from tests.builders import NOW, appointment, technician
from tests.unit.services.conftest import BASE, DISPATCHER, OLIVIA, WEDNESDAY_10AM

WEDNESDAY_2PM = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
WEDNESDAY_9PM = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # after working hours


def _check(world) -> CheckMove:
    return CheckMove(provider=world.provider, businesses=world.businesses, clock=world.clock)


def _mover(world) -> MoveByDispatcher:
    return MoveByDispatcher(
        check=_check(world),
        sessions=world.sessions,
        provider=world.provider,
        workflow=world.workflow,
        expiry=world.expiry,
        sends=world.sends,
        contacts=world.contacts,
        clock=world.clock,
    )


def _move(world, start: datetime = WEDNESDAY_2PM, **changes: Any):
    request = MoveRequest(
        start=start, technician_id=changes.pop("technician_id", "tech-1"), **changes
    )
    return _mover(world)("acme", DISPATCHER, "appt-1", request, BASE)


def _nothing_moved(world) -> None:
    assert world.workflow.executions == {}
    assert world.sessions.for_appointment("acme", "appt-1") == []


# --- CheckMove --------------------------------------------------------------------------


def test_a_time_is_judged_by_the_rules_with_what_it_overlaps(world):
    world.provider.put_appointment(appointment(WEDNESDAY_9PM, id="late-job"))
    checked = _check(world)("acme", "appt-1", WEDNESDAY_9PM, "tech-1")
    assert checked.broken == ["outside working hours", "overlaps appointment late-job"]
    assert checked.overlapping == ["late-job"]
    assert (checked.opening.start, checked.opening.end) == (
        WEDNESDAY_9PM,
        WEDNESDAY_9PM + timedelta(hours=1),  # as long as the appointment
    )
    fine = _check(world)("acme", "appt-1", WEDNESDAY_2PM, "tech-1")
    assert (fine.broken, fine.overlapping) == ([], [])


def test_times_no_override_can_allow_are_refused(world):
    with pytest.raises(Unprocessable, match="passed"):
        _check(world)("acme", "appt-1", NOW, "tech-1")
    with pytest.raises(Unprocessable, match="year"):
        _check(world)("acme", "appt-1", NOW + timedelta(days=367), "tech-1")
    canceled = world.provider.get_appointment("acme", "appt-1").model_copy(
        update={"status": "canceled"}
    )
    world.provider.put_appointment(canceled)
    with pytest.raises(Conflict, match="canceled"):
        _check(world)("acme", "appt-1", WEDNESDAY_2PM, "tech-1")


# --- MoveByDispatcher -------------------------------------------------------------------


def test_a_move_is_a_confirming_session_running_the_confirm_workflow(world):
    started = _move(world)
    session = started.session
    assert session.kind == "dispatcher_move"
    assert session.status is SessionStatus.CONFIRMING
    assert session.expires_at == NOW + MOVE_TIME_LIMIT
    assert session.new_opening is not None
    assert (session.new_opening.start, session.new_opening.technician_id) == (
        WEDNESDAY_2PM,
        "tech-1",
    )
    assert (session.original_start, session.original_version) == (WEDNESDAY_10AM, 1)
    assert session.confirm_attempt == 1
    assert session.channels == ("sms",)
    assert session.invitation is not None
    assert (session.invitation.phone, session.invitation.base_url) == (OLIVIA, BASE)
    assert (started.rules_overridden, started.canceled_session_id, started.problems) == (
        [],
        None,
        [],
    )
    assert world.workflow.state(session) == "running"
    assert world.timeline(session.id) == ["move_requested"]
    # Its steps then run as a customer's pick does, and end with an invitation
    world.run_steps(session.id)
    assert world.finalize()(session.id) is SessionStatus.COMPLETED
    [invitation] = world.sms.sent
    assert "/r/invite/" in invitation.body


def test_a_time_that_breaks_a_rule_is_refused_and_nothing_is_written(world):
    with pytest.raises(RulesBroken) as refused:
        _move(world, start=WEDNESDAY_9PM)
    assert refused.value.rules == ["outside working hours"]
    _nothing_moved(world)


def test_an_override_moves_it_and_the_broken_rules_are_on_the_timeline(world):
    world.provider.put_blocked_time(
        BlockedTime(
            id="dinner",
            business_id="acme",
            technician_id="tech-1",
            start=WEDNESDAY_9PM,
            end=WEDNESDAY_9PM + timedelta(minutes=30),
        )
    )
    started = _move(world, start=WEDNESDAY_9PM, override=True)
    assert started.rules_overridden[0] == "outside working hours"
    assert started.session.rules_overridden == tuple(started.rules_overridden)
    assert started.session.accepted_overlaps == ("dinner",)  # the re-check lets it be
    [_, overridden] = world.sessions.timeline(started.session.id)
    assert (overridden.type, overridden.detail) == (
        "rules_overridden",
        "; ".join(started.rules_overridden),
    )


def test_the_time_it_already_has_is_refused(world):
    with pytest.raises(Unprocessable, match="already at that time"):
        _move(world, start=WEDNESDAY_10AM)
    _nothing_moved(world)


def test_another_technician_is_a_rule_unless_the_business_allows_changes(world):
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    with pytest.raises(RulesBroken, match="technician change"):
        _move(world, technician_id="tech-2")
    world.change_business(allow_technician_change=True)
    started = _move(world, technician_id="tech-2")
    assert started.session.new_opening is not None
    assert started.session.new_opening.technician_id == "tech-2"
    assert started.session.invitation is not None
    assert started.session.invitation.technician_name == "Sam Lee"


def test_the_customers_open_link_is_canceled_in_the_same_write(world):
    link, _ = world.sent()
    started = _move(world)
    canceled = world.sessions.get_by_id(link.id)
    assert canceled.status is SessionStatus.CANCELED
    assert canceled.failure_reason == MOVED_BY_DISPATCHER
    assert world.sessions.timeline(link.id)[-1].detail == f"{MOVED_BY_DISPATCHER} ({DISPATCHER})"
    assert started.canceled_session_id == link.id
    assert world.expiry.scheduled == {}  # the link's end is dropped with it
    assert [(s.kind, s.status) for s in world.sessions.for_appointment("acme", "appt-1")] == [
        ("link", SessionStatus.CANCELED),
        ("dispatcher_move", SessionStatus.CONFIRMING),
    ]


def test_a_link_waiting_for_quiet_hours_is_canceled_with_its_send(world):
    world.clock.at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    scheduled = world.send_link()(
        "acme", DISPATCHER, "appt-1", None, BASE, send_when_allowed=True
    ).session
    started = _move(world)
    assert started.canceled_session_id == scheduled.id
    assert world.sends.scheduled == {}
    assert world.status(scheduled.id) is SessionStatus.CANCELED


def test_an_overdue_link_is_expired_not_canceled_and_the_move_goes_on(world):
    link, _ = world.sent()
    world.clock.at = link.expires_at + timedelta(minutes=1)
    started = _move(world)
    assert started.canceled_session_id is None
    assert world.status(link.id) is SessionStatus.EXPIRED


def test_a_customer_confirming_or_a_move_in_progress_is_not_overtaken(world):
    world.confirming()
    with pytest.raises(Conflict, match="confirming"):
        _move(world)
    assert len(world.sessions.for_appointment("acme", "appt-1")) == 1


def test_a_second_move_while_one_runs_is_refused(world):
    first = _move(world)
    with pytest.raises(SessionAlreadyOpen) as refused:
        _move(world, start=WEDNESDAY_2PM + timedelta(hours=1))
    assert refused.value.session_id == first.session.id
    assert len(world.workflow.executions) == 1


def test_a_link_that_moves_on_while_the_move_is_made_is_left_and_nothing_is_written(world):
    link, token = world.sent()
    opening = world.links().page(token).openings[0]
    sessions = world.sessions

    class CustomerConfirmsMeanwhile:
        def __getattr__(self, name: str) -> Any:
            return getattr(sessions, name)

        def create(self, session, token_hash, first_event, *, replacing=None):
            world.links().confirm(token, opening.key)
            return sessions.create(session, token_hash, first_event, replacing=replacing)

    mover = _mover(world)
    mover._sessions = CustomerConfirmsMeanwhile()
    request = MoveRequest(start=WEDNESDAY_2PM, technician_id="tech-1")
    with pytest.raises(Conflict, match=SessionStatus.CONFIRMING.label):
        mover("acme", DISPATCHER, "appt-1", request, BASE)
    assert world.status(link.id) is SessionStatus.CONFIRMING
    assert [s.id for s in world.sessions.for_appointment("acme", "appt-1")] == [link.id]
    assert list(world.workflow.executions) == [f"session-{link.id}-1"]  # the customer's


def test_a_move_that_cannot_start_fails_and_says_so(world):
    world.workflow.fail_with = MessagingUnavailable("Step Functions is throttling.")
    with pytest.raises(MessagingUnavailable):
        _move(world)
    [session] = world.sessions.for_appointment("acme", "appt-1")
    assert session.status is SessionStatus.FAILED
    assert session.failure_reason
    assert world.sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}


# --- the invitation, decided up front -----------------------------------------------------


def test_what_the_invitation_will_not_do_is_said_up_front(world):
    world.contacts.opt_out("acme", OLIVIA, NOW, "STOP")
    started = _move(world)
    assert started.problems == [OPTED_OUT_TEXT]
    assert started.session.status is SessionStatus.CONFIRMING
    world.contacts.opt_in("acme", OLIVIA)
    world.clock.at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago
    world.compensate()(started.session.id, "AppointmentChanged")
    quiet = _move(world)
    [problem] = quiet.problems
    assert "quiet hours" in problem


def test_no_text_no_problem(world):
    world.contacts.opt_out("acme", OLIVIA, NOW, "STOP")
    assert _move(world, sms=False).problems == []


def test_a_number_typed_for_this_message_is_used_if_valid_and_at_home(world):
    started = _move(world, phone="(312) 555-0199")
    assert started.session.invitation is not None
    assert started.session.invitation.phone == "+13125550199"
    world.compensate()(started.session.id, "AppointmentChanged")
    with pytest.raises(Unprocessable, match="not valid"):
        _move(world, phone="12")
    with pytest.raises(Unprocessable, match=r"\+1"):
        _move(world, phone="+44 20 7946 0958")
    world.change_business(text_other_countries=True)
    abroad = _move(world, phone="+44 20 7946 0958").session.invitation
    assert abroad is not None
    assert abroad.phone == "+442079460958"


def test_a_channel_that_cannot_carry_the_invitation_is_refused_before_anything_is_written(
    world,
):
    olivia = world.provider.get_customer("acme", "cust-1")
    world.provider.put_customer(olivia.model_copy(update={"phone": ""}))
    with pytest.raises(Unprocessable) as no_phone:
        _move(world)
    assert str(no_phone.value) == NO_PHONE
    with pytest.raises(Unprocessable) as no_email:
        _move(world, sms=False, email=True)
    assert str(no_email.value) == NO_EMAIL
    with pytest.raises(Unprocessable) as no_sender:
        _move(world, sms=False, email=True, email_address="o@example.com")
    assert str(no_sender.value) == NO_EMAIL_SENDER
    _nothing_moved(world)
    world.change_business(business_email_from="hello@acme.example")
    started = _move(world, sms=False, email=True, email_address="o@example.com")
    assert started.session.channels == ("email",)
    assert started.session.customer_email == "o@example.com"
    assert started.session.invitation is not None
    assert started.session.invitation.phone is None


def test_a_link_sent_while_the_move_is_made_refuses_the_move(world):
    sessions = world.sessions

    class LinkSentMeanwhile:
        def __getattr__(self, name: str) -> Any:
            return getattr(sessions, name)

        def create(self, session, token_hash, first_event, *, replacing=None):
            world.sent()
            return sessions.create(session, token_hash, first_event, replacing=replacing)

    mover = _mover(world)
    mover._sessions = LinkSentMeanwhile()
    with pytest.raises(SessionAlreadyOpen):
        mover("acme", DISPATCHER, "appt-1", MoveRequest(WEDNESDAY_2PM, "tech-1"), BASE)
    assert [s.kind for s in world.sessions.for_appointment("acme", "appt-1")] == ["link"]
    assert world.workflow.executions == {}
