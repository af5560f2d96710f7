"""ops/replay_dlq.py against a moto SQS queue and a recording Lambda client."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ops.replay_dlq import main, read, replay

EXPIRE = "RescheduleDispatch-ExpireFunction"
EXPIRE_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{EXPIRE}:$LATEST"


@dataclass
class RecordingLambda:
    """Answers Invoke as Lambda does (StatusCode, Payload stream, FunctionError when the
    function raised); fails for the payloads the test names."""

    fails_for: Callable[[dict[str, Any]], bool] = lambda payload: False
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        payload = json.loads(Payload)
        self.calls.append((FunctionName, InvocationType, payload))
        if self.fails_for(payload):
            error = {"errorMessage": "table unavailable", "errorType": "ClientError"}
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(error).encode()),
            }
        return {"StatusCode": 200, "Payload": io.BytesIO(b'{"status": "expired"}')}


def scheduler_event(session_id: str) -> str:
    """What Scheduler dead-letters: the schedule's input."""
    return json.dumps({"session_id": session_id})


def lambda_record(session_id: str, function_arn: str = EXPIRE_ARN) -> str:
    """What the expire function's on-failure destination receives."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-24T03:00:09.000Z",
            "requestContext": {
                "requestId": "e6c0b1f2",
                "functionArn": function_arn,
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": {"session_id": session_id},
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "boom", "errorType": "RuntimeError"},
        }
    )


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="ExpiryDeadLetterQueue")["QueueUrl"])


def put(sqs: Any, queue_url: str, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)


def bodies_left(sqs: Any, queue_url: str) -> list[str]:
    """Every message visible in the queue now (each received once, then made visible again)."""
    found: dict[str, dict[str, Any]] = {}
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not batch:
            break
        found.update({m["MessageId"]: m for m in batch})
    for message in found.values():
        sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return sorted(m["Body"] for m in found.values())


def test_both_kinds_of_dead_letter_are_replayed_synchronously_then_deleted(sqs, queue_url):
    # Given an expiry Scheduler could not deliver, and one the function failed three times
    put(sqs, queue_url, scheduler_event("s-1"), lambda_record("s-2"))
    lambda_client = RecordingLambda()

    # When the queue is replayed into the expire function
    report = replay(sqs, lambda_client, queue_url, EXPIRE)

    # Then each payload ran once, synchronously, and the queue is empty
    assert sorted(lambda_client.calls, key=lambda c: c[2]["session_id"]) == [
        (EXPIRE, "RequestResponse", {"session_id": "s-1"}),
        (EXPIRE, "RequestResponse", {"session_id": "s-2"}),
    ]
    assert len(report.replayed) == 2
    assert report.failed == report.skipped == []
    assert bodies_left(sqs, queue_url) == []


def test_a_replay_that_fails_stays_in_the_queue_with_the_reason(sqs, queue_url):
    put(sqs, queue_url, scheduler_event("s-ok"), scheduler_event("s-broken"))
    lambda_client = RecordingLambda(fails_for=lambda p: p["session_id"] == "s-broken")

    report = replay(sqs, lambda_client, queue_url, EXPIRE)

    assert len(report.replayed) == 1
    [(_, why)] = report.failed
    assert why.startswith("Unhandled:")
    assert "table unavailable" in why
    # And it is visible again at once, for the next run
    assert bodies_left(sqs, queue_url) == [scheduler_event("s-broken")]


def test_unreadable_messages_and_other_functions_failures_are_left_alone(sqs, queue_url):
    other = "arn:aws:lambda:us-east-1:123456789012:function:RescheduleDispatch-SendLink"
    put(sqs, queue_url, "not json", '["a list"]', lambda_record("s-3", other))
    lambda_client = RecordingLambda()

    report = replay(sqs, lambda_client, queue_url, EXPIRE)

    assert lambda_client.calls == []
    assert sorted(why.split(": ", 1)[1] for _, why in report.failed) == [
        "the body is not JSON",
        "the body is not a JSON object",
    ]
    assert [why for _, why in report.skipped] == ["failed in RescheduleDispatch-SendLink"]
    assert len(bodies_left(sqs, queue_url)) == 3


def test_match_replays_only_payloads_with_that_key(sqs, queue_url):
    send = json.dumps({"scheduled_send": {"session_id": "s-5"}})
    put(sqs, queue_url, scheduler_event("s-4"), send)
    lambda_client = RecordingLambda()

    report = replay(sqs, lambda_client, queue_url, EXPIRE, match="session_id")

    assert [call[2] for call in lambda_client.calls] == [{"session_id": "s-4"}]
    assert [why for _, why in report.skipped] == ["no 'session_id' in its payload"]
    assert bodies_left(sqs, queue_url) == [send]


def test_a_dry_run_invokes_and_deletes_nothing(sqs, queue_url):
    put(sqs, queue_url, scheduler_event("s-6"), lambda_record("s-7"))
    lambda_client = RecordingLambda()

    report = replay(sqs, lambda_client, queue_url, EXPIRE, dry_run=True)

    assert lambda_client.calls == []
    assert len(report.replayed) == 2
    # And the messages are visible at once, not after the visibility timeout
    assert len(bodies_left(sqs, queue_url)) == 2


def test_limit_replays_at_most_that_many(sqs, queue_url):
    put(sqs, queue_url, *(scheduler_event(f"s-{n}") for n in range(5)))
    lambda_client = RecordingLambda()

    report = replay(sqs, lambda_client, queue_url, EXPIRE, limit=2)

    assert len(report.replayed) == len(lambda_client.calls) == 2
    assert len(bodies_left(sqs, queue_url)) == 3


def test_read_takes_the_function_name_from_the_record_arn():
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": lambda_record("s-8")}
    letter = read(message)
    assert letter.failed_function == EXPIRE
    assert letter.payload == {"session_id": "s-8"}


def test_the_command_line_lists_in_a_dry_run(sqs, queue_url, capsys):
    put(sqs, queue_url, scheduler_event("s-9"))

    code = main(["--queue-url", queue_url, "--function", EXPIRE, "--dry-run"])

    assert code == 0
    assert capsys.readouterr().out.startswith("would replay 1: ")
    assert bodies_left(sqs, queue_url) == [scheduler_event("s-9")]


def test_the_command_line_refuses_a_limit_below_one(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--queue-url", "q", "--function", EXPIRE, "--limit", "0"])
    assert exit_.value.code == 2
    assert "--limit must be at least 1" in capsys.readouterr().err
