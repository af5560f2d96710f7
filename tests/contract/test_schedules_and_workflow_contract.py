"""One-time schedules (EventBridge Scheduler) and the confirm workflow (Step Functions):
each fake and its adapter, on moto, keep the same promises."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reschedule_dispatch.adapters.eventbridge_scheduler import (
    EventBridgeExpiryScheduler,
    EventBridgeScheduledSends,
    schedule_name,
    send_schedule_name,
)
from reschedule_dispatch.adapters.stepfunctions_workflow import (
    StepFunctionsConfirmWorkflow,
    execution_name,
)
from reschedule_dispatch.domain.errors import MessagingUnavailable
from reschedule_dispatch.domain.session import Opening, RescheduleSession
from tests.builders import NOW, appointment, reschedule_session
from tests.fakes import FakeConfirmWorkflow, FakeExpiryScheduler, FakeScheduledSends

GROUP = "sessions"
ROLE = "arn:aws:iam::123456789012:role/scheduler"
TARGET = "arn:aws:lambda:us-east-1:123456789012:function:Target"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:dead-letters"
AT = NOW + timedelta(hours=12)


@dataclass
class Schedules:
    """An implementation of both schedule ports, and how to see what it has scheduled."""

    expiry: Any
    sends: Any
    expires: Callable[[str], bool]
    sends_at: Callable[[str], bool]


def _exists(client: Any, name: str) -> bool:
    try:
        client.get_schedule(GroupName=GROUP, Name=name)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


@pytest.fixture(params=["fake", "aws"])
def schedules(request: pytest.FixtureRequest) -> Iterator[Schedules]:
    if request.param == "fake":
        expiry, sends = FakeExpiryScheduler(), FakeScheduledSends()
        yield Schedules(expiry, sends, expiry.scheduled.__contains__, sends.scheduled.__contains__)
        return
    with mock_aws():
        client = boto3.client("scheduler")
        client.create_schedule_group(Name=GROUP)
        yield Schedules(
            EventBridgeExpiryScheduler(client, GROUP, TARGET, ROLE, QUEUE),
            EventBridgeScheduledSends(client, GROUP, TARGET, ROLE, QUEUE),
            lambda session_id: _exists(client, schedule_name(session_id)),
            lambda session_id: _exists(client, send_schedule_name(session_id)),
        )


def test_an_expiry_is_scheduled_once_and_canceled_any_number_of_times(schedules):
    schedules.expiry.schedule_expiry("s1", AT)
    assert schedules.expires("s1")
    with pytest.raises(MessagingUnavailable):
        schedules.expiry.schedule_expiry("s1", AT)
    schedules.expiry.cancel_expiry("s1")
    schedules.expiry.cancel_expiry("s1")  # fired and gone already: nothing to do
    schedules.expiry.cancel_expiry("never")
    assert not schedules.expires("s1")


def test_a_send_is_its_own_schedule_beside_the_expiry(schedules):
    schedules.sends.schedule_send("s1", AT, "https://api.example")
    schedules.expiry.schedule_expiry("s1", AT)
    assert schedules.sends_at("s1")
    with pytest.raises(MessagingUnavailable):
        schedules.sends.schedule_send("s1", AT, "https://api.example")
    schedules.sends.cancel_send("s1")
    schedules.sends.cancel_send("s1")
    assert not schedules.sends_at("s1")
    assert schedules.expires("s1")


@dataclass
class Workflows:
    workflow: Any
    stop: Callable[[RescheduleSession], None]
    started: Callable[[], list[dict[str, Any]]]  # each execution's input, as started


PASS = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}})


@pytest.fixture(params=["fake", "aws"])
def workflows(request: pytest.FixtureRequest) -> Iterator[Workflows]:
    if request.param == "fake":
        fake = FakeConfirmWorkflow()
        yield Workflows(
            fake,
            fake.stop,
            lambda: [
                {"session_id": e.session_id, "opening": e.opening} for e in fake.executions.values()
            ],
        )
        return
    with mock_aws():
        client = boto3.client("stepfunctions")
        arn = client.create_state_machine(
            name="confirm", definition=PASS, roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        execution_arn = arn.replace(":stateMachine:", ":execution:")

        def stop(session: RescheduleSession) -> None:
            client.stop_execution(executionArn=f"{execution_arn}:{execution_name(session)}")

        def started() -> list[dict[str, Any]]:
            found = []
            for execution in client.list_executions(stateMachineArn=arn)["executions"]:
                given = client.describe_execution(executionArn=execution["executionArn"])
                data = json.loads(given["input"])
                found.append(
                    {
                        "session_id": data["session_id"],
                        "opening": Opening.model_validate(data["opening"]),
                    }
                )
            return found

        # A stopped execution has ended at once (no step of it is left running here)
        yield Workflows(
            StepFunctionsConfirmWorkflow(client, arn, settles=timedelta(0)), stop, started
        )


OPENING = Opening(start=AT, end=AT + timedelta(hours=1), technician_id="tech-1")


def _attempt(n: int) -> RescheduleSession:
    return reschedule_session(appointment(AT), confirm_attempt=n)


def test_an_attempt_runs_one_workflow_however_often_it_is_started(workflows):
    assert workflows.workflow.state(_attempt(1)) == "ended"  # never started
    workflows.workflow.start(_attempt(1), OPENING)
    workflows.workflow.start(_attempt(1), OPENING)  # a double submit
    assert workflows.started() == [{"session_id": "s1", "opening": OPENING}]
    assert workflows.workflow.state(_attempt(1)) == "running"


def test_a_stopped_workflow_has_ended_and_the_next_attempt_is_a_new_one(workflows):
    workflows.workflow.start(_attempt(1), OPENING)
    workflows.stop(_attempt(1))
    assert workflows.workflow.state(_attempt(1)) == "ended"
    workflows.workflow.start(_attempt(2), OPENING)
    assert workflows.workflow.state(_attempt(2)) == "running"
    assert len(workflows.started()) == 2
