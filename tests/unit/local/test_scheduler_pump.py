from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from local.clock import LocalClock
from local.scheduler_pump import MAX_ATTEMPTS, SchedulerPump, due_at

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_due_at_reads_one_time_expressions_only():
    assert due_at("at(2026-11-21T12:00:00)") == NOW
    assert due_at("rate(5 minutes)") is None
    assert due_at("cron(0 12 * * ? *)") is None


@pytest.fixture
def scheduler():
    with mock_aws():
        client = boto3.client("scheduler")
        client.create_schedule_group(Name="links")
        yield client


def _schedule(client, name: str, at: str, action: str = "DELETE") -> None:
    client.create_schedule(
        Name=name,
        GroupName="links",
        ScheduleExpression=f"at({at})",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion=action,
        Target={
            "Arn": "arn:aws:lambda:us-east-1:123456789012:function:Expire",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": json.dumps({"session_id": name}),
        },
    )


def test_due_schedules_fire_once_and_delete_themselves(scheduler):
    calls = []
    _schedule(scheduler, "due", "2026-11-21T11:59:00")
    _schedule(scheduler, "later", "2026-11-21T12:01:00")
    pump = SchedulerPump(lambda arn, event: calls.append((arn, event)), clock=lambda: NOW)

    assert pump.fire_due() == 1
    assert pump.fire_due() == 0
    assert calls == [
        ("arn:aws:lambda:us-east-1:123456789012:function:Expire", {"session_id": "due"})
    ]
    names = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
    assert names == ["later"]


def test_a_failing_target_is_retried_then_given_up(scheduler):
    attempts = []

    def failing(arn, event):
        attempts.append(event)
        raise RuntimeError("boom")

    _schedule(scheduler, "due", "2026-11-21T11:00:00")
    pump = SchedulerPump(failing, clock=lambda: NOW)
    for _ in range(MAX_ATTEMPTS):
        pump.fire_due()
    assert len(attempts) == MAX_ATTEMPTS
    assert scheduler.list_schedules()["Schedules"] == []


def test_a_schedule_is_read_again_only_when_it_changed(scheduler, monkeypatch):
    calls = []
    _schedule(scheduler, "later", "2026-11-21T12:30:00")
    pump = SchedulerPump(lambda arn, event: calls.append(event), clock=lambda: NOW)
    reads = []
    get_schedule = pump._client.get_schedule

    def counted(**key):
        reads.append(key["Name"])
        return get_schedule(**key)

    monkeypatch.setattr(pump._client, "get_schedule", counted)

    # Given two ticks before it is due: one read
    assert pump.fire_due() == pump.fire_due() == 0
    assert reads == ["later"]

    # When it is moved to a time already past, the next tick reads it again and fires it
    scheduler.update_schedule(
        Name="later",
        GroupName="links",
        ScheduleExpression="at(2026-11-21T11:30:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        Target={
            "Arn": "arn:aws:lambda:us-east-1:123456789012:function:Expire",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": json.dumps({"session_id": "later"}),
        },
    )
    assert pump.fire_due() == 1
    assert reads == ["later", "later"]
    assert calls == [{"session_id": "later"}]


def test_a_clock_moved_forward_fires_what_became_due_earliest_first(scheduler):
    # Given schedules created out of order, and a clock that a developer then advances
    fired = []
    for name, at in (
        ("third", "2026-11-21T15:00:00"),
        ("first", "2026-11-21T12:30:00"),
        ("second", "2026-11-21T13:00:00"),
        ("tomorrow", "2026-11-22T09:00:00"),
    ):
        _schedule(scheduler, name, at)  # fmt: skip
    clock = LocalClock(NOW)
    pump = SchedulerPump(lambda arn, event: fired.append(event["session_id"]), clock=clock.now)
    assert pump.fire_due() == 0

    # When the clock moves three hours on
    clock.advance(timedelta(hours=3))

    # Then what became due fires in the order it would have, and the rest waits
    assert pump.fire_due() == 3
    assert fired == ["first", "second", "third"]
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["tomorrow"]
