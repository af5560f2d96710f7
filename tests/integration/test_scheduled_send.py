"""A link held back by the customer's quiet hours goes out when they end (EventBridge
Scheduler invokes the send-link function with the session's id)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from reschedule_dispatch.adapters.eventbridge_scheduler import (
    EventBridgeScheduledSends,
    send_schedule_name,
)
from reschedule_dispatch.domain.errors import Conflict, QuietHours, Unprocessable
from reschedule_dispatch.domain.links import token_hash
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.session_actions import CancelSession, ResendLink
from tests.integration.conftest import World

BASE = "https://api.example"
SEND_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:SendLink"
# Monday 22:00 in Chicago: quiet hours (21:00-08:00) until Tuesday 08:00 (14:00 UTC).
LATE_EVENING = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
QUIET_HOURS_END = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def _sends(world: World) -> EventBridgeScheduledSends:
    return EventBridgeScheduledSends(
        boto3.client("scheduler"),
        world.env["SCHEDULE_GROUP_NAME"],
        SEND_FUNCTION_ARN,
        world.env["SCHEDULER_ROLE_ARN"],
        world.env["EXPIRY_DEAD_LETTER_QUEUE_ARN"],
    )


def _schedule(world: World, session_id: str) -> Any:
    return boto3.client("scheduler").get_schedule(
        GroupName=world.env["SCHEDULE_GROUP_NAME"], Name=send_schedule_name(session_id)
    )


def _scheduled(world: World):
    world.clock.at = LATE_EVENING
    return world.send_link(sends=_sends(world))(
        "acme", "d@acme.example", "appt-1", None, BASE, send_when_allowed=True
    )


def test_during_quiet_hours_the_link_is_scheduled_for_when_they_end(world):
    sent = _scheduled(world)

    # Nothing went out, no link exists yet, and the session says when it will
    assert sent.link is None
    assert world.sms.sent == []
    session = world.sessions.get("acme", sent.session.id)
    assert session.status is SessionStatus.SCHEDULED
    assert session.scheduled_for == QUIET_HOURS_END
    assert session.in_progress
    assert [e.type for e in world.sessions.timeline(session.id)] == ["created", "scheduled"]

    # And Scheduler will invoke the send-link function once at that time
    schedule = _schedule(world, session.id)
    assert schedule["ScheduleExpression"] == "at(2026-11-24T14:00:00)"
    assert schedule["Target"]["Arn"] == SEND_FUNCTION_ARN
    assert json.loads(schedule["Target"]["Input"]) == {
        "scheduled_send": {"session_id": session.id, "public_base_url": BASE}
    }


def test_when_quiet_hours_end_the_link_goes_out_once_and_works(world):
    sent = _scheduled(world)
    world.clock.at = QUIET_HOURS_END

    assert (
        world.send_link(sends=_sends(world)).send_scheduled(sent.session.id, BASE)
        is SessionStatus.LINK_SENT
    )
    assert (
        world.send_link(sends=_sends(world)).send_scheduled(sent.session.id, BASE)
        is SessionStatus.LINK_SENT
    )

    [sms] = world.sms.sent
    token = sms["body"].rsplit("/", 1)[1]
    session = world.sessions.find_by_token_hash(token_hash(token))
    assert session.id == sent.session.id
    assert session.status is SessionStatus.LINK_SENT
    # The link's life starts when it is sent; it still closes before the notice period
    assert session.expires_at == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Wed 10:00 - 24 h
    assert token not in session.message
    types = [e.type for e in world.sessions.timeline(session.id)]
    assert types == ["created", "scheduled", "sending", "sent"]


def test_without_asking_for_it_quiet_hours_refuse_and_nothing_is_written(world):
    world.clock.at = LATE_EVENING
    items = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]).scan()["Items"]

    with pytest.raises(QuietHours) as refused:
        world.send_link(sends=_sends(world))("acme", "d@acme.example", "appt-1", None, BASE)

    assert refused.value.next_allowed_at == QUIET_HOURS_END
    after = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]).scan()["Items"]
    assert after == items


def test_a_scheduled_link_can_be_canceled_and_then_never_goes_out(world):
    sent = _scheduled(world)
    cancel = CancelSession(
        sessions=world.sessions,
        expiry=world.expiry,
        clock=world.clock,
        businesses=world.businesses,
        sms=world.sms,
        contacts=world.contacts,
        sends=_sends(world),
    )

    canceled, _ = cancel("acme", "d@acme.example", sent.session.id, notify_customer=True)

    assert canceled.status is SessionStatus.CANCELED
    with pytest.raises(boto3.client("scheduler").exceptions.ResourceNotFoundException):
        _schedule(world, sent.session.id)
    world.clock.at = QUIET_HOURS_END
    assert (
        world.send_link(sends=_sends(world)).send_scheduled(sent.session.id, BASE)
        is SessionStatus.CANCELED
    )
    assert world.sms.sent == []  # no link, and no notice about a link never sent


def test_a_scheduled_link_is_not_resent(world):
    sent = _scheduled(world)
    resend = ResendLink(
        sessions=world.sessions,
        businesses=world.businesses,
        sms=world.sms,
        clock=world.clock,
        contacts=world.contacts,
    )
    with pytest.raises(Conflict, match="hasn't been sent"):
        resend("acme", "d@acme.example", sent.session.id, BASE)


def test_a_customer_who_opted_out_meanwhile_gets_nothing_and_the_timeline_says_why(world):
    sent = _scheduled(world)
    world.contacts.opt_out("acme", "+13125550142", world.clock.now(), "STOP")
    world.clock.at = QUIET_HOURS_END

    assert (
        world.send_link(sends=_sends(world)).send_scheduled(sent.session.id, BASE)
        is SessionStatus.CANCELED
    )

    assert world.sms.sent == []
    session = world.sessions.get("acme", sent.session.id)
    assert "opted out" in (session.failure_reason or "")


def test_what_quiet_hours_cannot_fix_is_refused_up_front_not_at_send_time(world):
    world.clock.at = LATE_EVENING
    # Olivia has no email address: scheduling would only postpone the refusal
    business = world.businesses.get("acme")
    world.businesses.put(business.model_copy(update={"email_from": "schedule@acme.example"}))

    with pytest.raises(Unprocessable, match="no email address"):
        world.send_link(sends=_sends(world))(
            "acme",
            "d@acme.example",
            "appt-1",
            None,
            BASE,
            channels=["sms", "email"],
            send_when_allowed=True,
        )
    assert boto3.client("scheduler").list_schedules()["Schedules"] == []
