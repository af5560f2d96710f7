from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from reschedule_dispatch.adapters.eventbridge_scheduler import (
    MAX_EVENT_AGE_SECONDS,
    MAX_RETRY_ATTEMPTS,
    schedule_name,
)
from reschedule_dispatch.domain.errors import MessagingUnavailable, NotFound, Unprocessable
from reschedule_dispatch.domain.links import token_hash
from reschedule_dispatch.domain.session import SessionStatus
from tests.builders import NOW

BASE = "https://api.example/prod"


def test_sending_a_link_stores_the_session_texts_it_and_schedules_expiry(world):
    # When the dispatcher sends a link for Wednesday's appointment
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)

    # Then the session is open, expires 12 h after sending, and the SMS carries the link
    session = sent.session
    assert session.status is SessionStatus.LINK_SENT
    assert session.expires_at == NOW + timedelta(hours=12)
    assert sent.link.startswith(f"{BASE}/r/")
    [sms] = world.sms.sent
    assert sms["to"] == "+13125550142"
    assert sms["from"] == "+13125550100"
    assert sms["body"].endswith(sent.link)
    assert "Olivia" in sms["body"]
    assert sms["callback"] == f"{BASE}/webhooks/twilio/status"

    # And only the token's hash is stored, and it leads back to the session
    token = sent.link.rsplit("/", 1)[1]
    assert world.sessions.find_by_token_hash(token_hash(token)).id == session.id
    items = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]).scan()["Items"]
    assert not any(token in str(item) for item in items)

    # And a one-time schedule fires at expiry, without a flexible window, deleting itself
    schedule = boto3.client("scheduler").get_schedule(
        GroupName=world.env["SCHEDULE_GROUP_NAME"], Name=schedule_name(session.id)
    )
    assert schedule["ScheduleExpression"] == "at(2026-11-24T03:00:00)"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == world.env["EXPIRE_FUNCTION_ARN"]

    # And a failed delivery is retried, within bounds tighter than Scheduler's defaults (185
    # attempts, 24 h), then lands in the expiry dead-letter queue the stack provisions
    assert schedule["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
    }
    assert 0 < MAX_RETRY_ATTEMPTS < 185
    assert 60 <= MAX_EVENT_AGE_SECONDS < 24 * 3600
    dead_letter_arn = schedule["Target"]["DeadLetterConfig"]["Arn"]
    assert dead_letter_arn == world.env["EXPIRY_DEAD_LETTER_QUEUE_ARN"]
    queue_url = boto3.client("sqs").get_queue_url(QueueName=dead_letter_arn.rsplit(":", 1)[1])
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]
    assert attributes["QueueArn"] == dead_letter_arn

    # And the timeline says it was created and sent
    assert [e.type for e in world.sessions.timeline(session.id)] == ["created", "sent"]
    assert world.sessions.get("acme", session.id).message_sid == "SM" + "1".zfill(32)


def test_the_link_expires_before_the_notice_period_when_that_is_sooner(world):
    # Given an appointment 26 h away (sent at 8 AM) and 24 h notice: the link dies in 2 h
    appointment = world.provider.get_appointment("acme", "appt-1")
    world.clock.at = appointment.start - timedelta(hours=26)
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    assert sent.session.expires_at == appointment.start - timedelta(hours=24)


def test_an_appointment_too_soon_is_refused_and_nothing_is_written(world):
    # Given an appointment starting in 7 hours (inside the 24 h notice)
    with pytest.raises(Unprocessable, match="less than 24 hours"):
        world.send_link()("acme", "d@acme.example", "appt-soon", None, BASE)
    # Then no SMS went out and no session exists
    assert world.sms.sent == []
    items = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]).scan()["Items"]
    assert not [i for i in items if str(i["pk"]).startswith("SESSION#")]


def test_another_business_appointment_is_not_found(world):
    # Given an appointment only acme has
    acme_only = world.provider.get_appointment("acme", "appt-1").model_copy(
        update={"id": "acme-only"}
    )
    world.provider.put_appointment(acme_only)
    # Then the other business cannot send a link for it, and nothing is texted
    with pytest.raises(NotFound):
        world.send_link()("other", "d@other.example", "acme-only", None, BASE)
    assert world.sms.sent == []


def test_a_custom_message_keeps_the_link_appended(world):
    sent = world.send_link()(
        "acme", "d@acme.example", "appt-1", "Hi {customer_first_name}, pick a time", BASE
    )
    assert world.sms.sent[0]["body"] == f"Hi Olivia, pick a time {sent.link}"


def test_when_the_sms_fails_the_session_is_withdrawn_and_says_why(world):
    # Given Twilio cannot take the message
    world.sms.fail_with = MessagingUnavailable("The SMS service could not be reached.")
    with pytest.raises(MessagingUnavailable):
        world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    # Then the session is closed with the reason, and its expiry schedule is gone
    items = boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"]).scan()["Items"]
    [item] = [i for i in items if i["sk"] == "SESSION"]
    assert item["status"] == "canceled"
    assert "SMS not sent" in str(item["failure_reason"])
    schedules = boto3.client("scheduler").list_schedules()["Schedules"]
    assert schedules == []
