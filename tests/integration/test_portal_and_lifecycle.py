from __future__ import annotations

import json
import re
from datetime import timedelta

import boto3
import pytest

from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    Conflict,
    NotFound,
    OpeningTaken,
    Unprocessable,
)
from reschedule_dispatch.domain.session import LINK_RETENTION, SESSION_RETENTION, SessionStatus
from reschedule_dispatch.services.closed_sessions import LinkClosed
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.lifecycle import (
    TAKEN_NOTICE,
    CheckAppointment,
    Compensate,
    ExpireSession,
    HoldOpening,
    MoveAppointment,
)
from reschedule_dispatch.services.messaging import RecordDelivery
from tests.builders import appointment as build_appointment

BASE = "https://api.example"


def _links(world) -> CustomerLinks:
    return CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
    )


def _sent(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    return sent.session, sent.link.rsplit("/", 1)[1]


def test_the_page_shows_openings_and_viewing_changes_nothing(world):
    session, token = _sent(world)
    page = _links(world).page(token)
    assert page.appointment.id == "appt-1"
    assert page.openings
    assert all(o.start >= world.clock.now() + timedelta(hours=24) for o in page.openings)
    # A GET (or a link-preview bot) never changes state
    assert world.sessions.get("acme", session.id).status is SessionStatus.LINK_SENT
    assert [e.type for e in world.sessions.timeline(session.id)] == ["created", "sent"]


def test_unknown_and_malformed_tokens_are_not_found(world):
    with pytest.raises(NotFound):
        _links(world).page("A" * 43)
    with pytest.raises(NotFound):
        _links(world).page("../../etc/passwd")


def test_an_expired_link_is_gone_even_before_its_schedule_fires(world):
    session, token = _sent(world)
    world.clock.advance(hours=12)
    with pytest.raises(LinkClosed, match="expired") as gone:
        _links(world).page(token)
    assert gone.value.business.phone == "+13125550100"
    with pytest.raises(LinkClosed):
        _links(world).confirm(token, "anything")
    assert world.sessions.get("acme", session.id).status is SessionStatus.LINK_SENT
    assert world.executions() == []


def test_confirming_starts_one_workflow_even_when_submitted_twice(world):
    session, token = _sent(world)
    opening = _links(world).page(token).openings[0]
    confirming = _links(world).confirm(token, opening.key)
    assert confirming.status is SessionStatus.CONFIRMING
    assert confirming.new_opening is not None
    assert confirming.new_opening.key == opening.key
    # A double submit of the same choice is accepted and starts nothing new
    _links(world).confirm(token, opening.key)
    [execution] = world.executions()
    assert execution["name"] == f"session-{session.id}-1"
    started = boto3.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    assert json.loads(started["input"])["opening"]["technician_id"] == opening.technician_id
    # A different choice after that is refused, and starts nothing
    later = _links(world).page(token)
    assert later.openings == []  # no openings once a time is being confirmed
    another = opening.model_copy(
        update={"start": opening.start + timedelta(days=1), "end": opening.end + timedelta(days=1)}
    )
    with pytest.raises(Conflict, match="already chosen"):
        _links(world).confirm(token, another.key)
    assert len(world.executions()) == 1


def test_a_slot_not_offered_is_refused_and_nothing_is_written(world):
    session, token = _sent(world)
    with pytest.raises(Unprocessable):
        _links(world).confirm(token, "20261125T160000Z.tech-1")  # the current time itself
    assert world.sessions.get("acme", session.id).status is SessionStatus.LINK_SENT
    assert world.executions() == []


def _confirming(world):
    session, token = _sent(world)
    opening = _links(world).page(token).openings[0]
    _links(world).confirm(token, opening.key)
    return session, opening


def test_the_workflow_steps_move_the_appointment_and_complete_the_session(world):
    session, opening = _confirming(world)
    world.run_steps(session.id)
    moved = world.provider.get_appointment("acme", "appt-1")
    assert (moved.start, moved.technician_id, moved.version) == (
        opening.start,
        opening.technician_id,
        2,
    )
    # A retried move step is harmless: the idempotency key returns the same move
    assert (
        MoveAppointment(sessions=world.sessions, provider=world.provider)(session.id).version == 2
    )
    assert world.finalize()(session.id) is SessionStatus.COMPLETED
    assert world.finalize()(session.id) is SessionStatus.COMPLETED  # idempotent
    assert boto3.client("scheduler").list_schedules()["Schedules"] == []
    types = [e.type for e in world.sessions.timeline(session.id)]
    assert types == ["created", "sent", "confirming", "completed", "confirmation_sent"]
    # One confirmation SMS, even though finalize ran twice
    confirmations = [m for m in world.sms.sent if "is now" in m["body"]]
    assert len(confirmations) == 1
    assert confirmations[0]["to"] == "+13125550142"
    # And the appointment is free for a new session
    again = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    assert again.session.status is SessionStatus.LINK_SENT


def test_an_appointment_changed_elsewhere_fails_the_session_with_the_reason(world):
    session, _ = _confirming(world)
    current = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(current.model_copy(update={"version": int(current.version) + 1}))
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(session.id)
    with pytest.raises(AppointmentChanged):
        CheckAppointment(sessions=world.sessions, provider=world.provider)(session.id)
    compensate = Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock)
    assert compensate(session.id, "AppointmentChanged") is SessionStatus.FAILED
    failed = world.sessions.get("acme", session.id)
    assert failed.failure_reason == "The appointment changed elsewhere."
    # Retried compensation changes nothing more
    compensate(session.id, "AppointmentChanged")
    assert [e.type for e in world.sessions.timeline(session.id)].count("failed") == 1
    # The hold was released, and the original appointment is untouched
    assert not [i for i in _items(world) if str(i["pk"]).startswith("HOLD#")]
    assert world.provider.get_appointment("acme", "appt-1").start == current.start


def _items(world) -> list[dict]:
    return boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]).scan()["Items"]


def test_a_taken_opening_is_not_double_booked_and_the_customer_picks_again(world):
    session, opening = _confirming(world)
    world.provider.put_appointment(
        build_appointment(opening.start, id="intruder", customer_id="cust-1")
    )
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(session.id)
    with pytest.raises(OpeningTaken):
        CheckAppointment(sessions=world.sessions, provider=world.provider)(session.id)
    status = Compensate(sessions=world.sessions, holds=world.holds, clock=world.clock)(
        session.id, "OpeningTaken"
    )
    # The session is open again, its page tells the customer why, and nothing moved
    assert status is SessionStatus.VIEWED
    reopened = world.sessions.get("acme", session.id)
    assert reopened.notice == TAKEN_NOTICE
    assert reopened.new_opening is None
    assert world.provider.get_appointment("acme", "appt-1").version == 1


def test_two_sessions_holding_the_same_technician_time_one_wins(world):
    # Given two sessions whose customers chose the same technician time
    first, opening = _confirming(world)
    other = world.provider.get_appointment("acme", "appt-1").model_copy(
        update={"id": "appt-2", "start": opening.start + timedelta(days=1),
                "end": opening.end + timedelta(days=1)}
    )  # fmt: skip
    world.provider.put_appointment(other)
    second = world.send_link()("acme", "d@acme.example", "appt-2", None, BASE).session
    world.sessions.transition(
        second.id,
        SessionStatus.LINK_SENT,
        SessionStatus.CONFIRMING,
        world.sessions.timeline(second.id)[0],
        new_opening=opening.model_copy(update={"start": opening.start + timedelta(minutes=30),
                                               "end": opening.end + timedelta(minutes=30)}),
    )  # fmt: skip
    # When both hold: the first wins; the overlapping second is refused
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(first.id)
    with pytest.raises(OpeningTaken):
        HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(second.id)
    # And once the first's lease runs out, the time can be held again
    world.clock.advance(minutes=11)
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(second.id)


def test_a_stale_version_never_overwrites_a_newer_appointment(world):
    current = world.provider.get_appointment("acme", "appt-1")
    _, opening = _confirming(world)
    world.provider.move_appointment(current, opening, idempotency_key="someone-else")
    with pytest.raises(AppointmentChanged):
        world.provider.move_appointment(current, opening, idempotency_key="late")


def test_expiry_is_idempotent_and_only_for_open_due_sessions(world):
    session, _ = _sent(world)
    expire = ExpireSession(sessions=world.sessions, clock=world.clock)
    assert expire(session.id) is SessionStatus.LINK_SENT  # fired early: nothing happens
    world.clock.advance(hours=12)
    assert expire(session.id) is SessionStatus.EXPIRED
    assert expire(session.id) is SessionStatus.EXPIRED
    assert [e.type for e in world.sessions.timeline(session.id)].count("expired") == 1


def test_illegal_transitions_change_nothing(world):
    session, _ = _sent(world)
    with pytest.raises(Conflict):
        world.sessions.transition(
            session.id,
            SessionStatus.VIEWED,  # it is link_sent, not viewed
            SessionStatus.CONFIRMING,
            world.sessions.timeline(session.id)[0],
        )
    with pytest.raises(Conflict):
        world.sessions.transition(
            session.id,
            SessionStatus.LINK_SENT,
            SessionStatus.COMPLETED,  # not a legal move from link_sent
            world.sessions.timeline(session.id)[0],
        )
    assert world.sessions.get("acme", session.id).status is SessionStatus.LINK_SENT
    assert len(world.sessions.timeline(session.id)) == 2


def test_delivery_statuses_only_move_forward(world):
    session, _ = _sent(world)
    record = RecordDelivery(sessions=world.sessions, clock=world.clock, contacts=world.contacts)
    sid = world.sessions.get("acme", session.id).message_sid
    assert record(sid, "sent", None)
    assert record(sid, "delivered", None)
    assert not record(sid, "sent", None)  # late
    assert not record(sid, "delivered", None)  # duplicate
    assert world.sessions.get("acme", session.id).delivery_status == "delivered"
    assert [e.type for e in world.sessions.timeline(session.id)].count("delivered") == 1
    with pytest.raises(NotFound):
        record("SMunknown", "delivered", None)


def test_another_business_cannot_read_a_session(world):
    session, _ = _sent(world)
    with pytest.raises(NotFound):
        world.sessions.get("other", session.id)


def test_a_finished_sessions_hold_never_blocks_its_own_appointment(world):
    # Given a completed reschedule whose hold is still within its lease
    session, opening = _confirming(world)
    world.run_steps(session.id)
    world.finalize()(session.id)
    # When the same appointment gets a new session choosing a time overlapping its new slot
    again = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE).session
    overlapping = opening.model_copy(
        update={"start": opening.start + timedelta(minutes=30),
                "end": opening.end + timedelta(minutes=30)}
    )  # fmt: skip
    world.sessions.transition(
        again.id,
        SessionStatus.LINK_SENT,
        SessionStatus.CONFIRMING,
        world.sessions.timeline(again.id)[0],
        new_opening=overlapping,
    )
    # Then its hold goes through: moving within its own slot is allowed
    HoldOpening(sessions=world.sessions, holds=world.holds, clock=world.clock)(again.id)
    # But the time still holds against any other appointment's session
    with pytest.raises(OpeningTaken):
        world.holds.hold("acme", overlapping, "someone", "appt-other", world.clock.now(),
                         world.clock.now() + timedelta(minutes=10))  # fmt: skip


def test_settings_the_domain_refuses_are_unprocessable_and_not_saved(world):
    from reschedule_dispatch.services.business_settings import UpdateSettings

    with pytest.raises(Unprocessable, match="English template"):
        UpdateSettings(businesses=world.businesses)("acme", {"templates": {"es": "hola"}})
    assert "en" in world.businesses.get("acme").settings.templates


def test_a_time_still_allowed_can_be_booked_even_when_no_longer_shown_first(world):
    # Given a business that shows a single opening
    acme = world.businesses.get("acme")
    world.businesses.put(
        acme.model_copy(update={"settings": acme.settings.model_copy(update={"max_openings": 1})})
    )
    _, token = _sent(world)
    [shown] = _links(world).page(token).openings
    # When the customer picks another time the rules allow (say, one shown a moment ago)
    other = shown.model_copy(
        update={"start": shown.start + timedelta(days=1), "end": shown.end + timedelta(days=1)}
    )
    page = _links(world).page(token, other.key)
    # Then its confirm step is offered, and the confirm goes through
    assert page.chosen is not None
    assert page.chosen.key == other.key
    assert _links(world).confirm(token, other.key).status is SessionStatus.CONFIRMING


def test_after_the_move_the_hold_lingers_seconds_not_minutes(world):
    # Given a completed reschedule
    session, opening = _confirming(world)
    world.run_steps(session.id)
    world.finalize()(session.id)
    # Then its time still holds against other appointments for a few seconds
    with pytest.raises(OpeningTaken):
        world.holds.hold("acme", opening, "s2", "appt-other", world.clock.now(),
                         world.clock.now() + timedelta(minutes=10))  # fmt: skip
    # But not for the rest of the 10-minute lease: if the appointment moves again, its
    # earlier time is free for others soon after
    world.clock.advance(seconds=31)
    world.holds.hold("acme", opening, "s2", "appt-other", world.clock.now(),
                     world.clock.now() + timedelta(minutes=10))  # fmt: skip


def test_a_time_an_appointment_moves_off_again_is_free_at_once_not_after_the_hold(world):
    # Given appt-1 moved to a first time, whose hold lingers for the index lag
    first, left = _confirming(world)
    world.run_steps(first.id)
    world.finalize()(first.id)

    # When it is moved again, to a time apart from the first
    second, token = _sent(world)
    elsewhere = next(o for o in _links(world).page(token).openings if o.start >= left.end)
    _links(world).confirm(token, elsewhere.key)
    world.run_steps(second.id)
    world.finalize()(second.id)

    # Then another appointment can book the time it left straight away
    now = world.clock.now()
    world.holds.hold("acme", left, "s-other", "appt-other", now, now + timedelta(minutes=10))
    # While the new time stays held against others for the index lag
    with pytest.raises(OpeningTaken):
        world.holds.hold(
            "acme", elsewhere, "s-other", "appt-other", now, now + timedelta(minutes=10)
        )


def test_a_finished_link_stops_showing_the_appointment_some_days_after_it(world):
    session, opening = _confirming(world)
    token = _token_of(world, session.id)
    world.run_steps(session.id)
    assert world.finalize()(session.id) is SessionStatus.COMPLETED
    # On the day, and for the retention after it, the page shows the new time
    world.clock.at = opening.end + LINK_RETENTION - timedelta(minutes=1)
    assert _links(world).page(token).session.status is SessionStatus.COMPLETED
    # Then it says only that the link is no longer available (410), no time or address
    world.clock.at = opening.end + LINK_RETENTION
    with pytest.raises(LinkClosed, match="no longer available") as gone:
        _links(world).page(token)
    assert gone.value.business.phone == "+13125550100"


def _token_of(world, session_id: str) -> str:
    # _confirming's token, kept by _sent: the first text carries the link
    link = re.search(r"/r/(\S+)", world.sms.sent[0]["body"])
    assert link is not None
    return link.group(1)


def test_everything_a_session_wrote_is_swept_after_its_retention(world):
    # Given a link sent, opened, confirmed and the appointment moved
    session, token = _sent(world)
    links = _links(world)
    opening = links.page(token).openings[0]
    links.confirm(token, opening.key)
    world.run_steps(session.id)
    world.finalize()(session.id)
    assert world.sessions.get_by_id(session.id).status is SessionStatus.COMPLETED
    # Then every item it wrote (the session, its timeline, its link, its message, its place
    # in the appointment's history) carries the table's TTL, SESSION_RETENTION after it was
    # written. Not counted: holds (their own TTL) and the customer's phone's pointer to
    # their latest session (one per phone, overwritten by the next; where their replies go)
    table = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"])
    mine = [
        item
        for item in table.scan()["Items"]
        if (item["pk"] == f"SESSION#{session.id}" or item.get("session_id") == session.id)
        and item["sk"] != "LATEST_SESSION"
    ]
    kinds = {str(item["pk"]).split("#", 1)[0] for item in mine if item["sk"] != "HOLD"}
    assert kinds == {"SESSION", "LINK", "MESSAGE", "APPOINTMENT"}
    now = world.clock.now().timestamp()
    retention = SESSION_RETENTION.total_seconds()
    for item in mine:
        if item["sk"] == "HOLD":
            continue
        assert "expires_at_epoch" in item, item["pk"]
        assert now - 60 <= int(str(item["expires_at_epoch"])) - retention <= now + 60, item["pk"]
