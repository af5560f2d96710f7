"""Replay a dead-letter queue into a function, deleting each message once its replay succeeds.

A dead-letter queue here holds two kinds of message (docs/infra.md, "Operations"):
- an EventBridge Scheduler dead-letter event: the body is the schedule's input, which
  Scheduler could not deliver: ``{"session_id": "..."}`` (an expiry) or
  ``{"scheduled_send": {...}}`` (a link held back by quiet hours);
- a Lambda on-failure record: ``{"requestContext": {"functionArn": ...}, "requestPayload":
  {...}, "responsePayload": {...}}``, for a run that raised on every attempt.

Each payload is invoked synchronously, so the outcome is known before the message is deleted;
a message whose replay fails, or that cannot be read, stays in the queue. Both targets are
idempotent (the expire function, and send_link's scheduled send), so replaying a run that
did happen in the meantime changes nothing.

    python -m ops.replay_dlq --queue-url URL --function NAME [--match session_id] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

BATCH = 10  # SQS's most per receive
# Long enough that a message received in this run is not received again while it runs.
VISIBILITY_TIMEOUT_SECONDS = 300


class UnreadableMessage(ValueError):
    """A message that is neither a Scheduler dead-letter event nor a Lambda on-failure record."""


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receipt_handle: str
    payload: dict[str, Any]
    # The function a Lambda on-failure record names; None for a Scheduler event.
    failed_function: str | None


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (message id, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (message id, why)


def read(message: dict[str, Any]) -> DeadLetter:
    """The payload to replay from one received SQS message."""
    message_id = str(message["MessageId"])
    try:
        body = json.loads(message["Body"])
    except json.JSONDecodeError as error:
        raise UnreadableMessage(f"{message_id}: the body is not JSON") from error
    if not isinstance(body, dict):
        raise UnreadableMessage(f"{message_id}: the body is not a JSON object")
    failed_function = None
    payload = body
    if "requestPayload" in body:  # a Lambda on-failure record
        payload = body["requestPayload"]
        arn = str(body.get("requestContext", {}).get("functionArn", ""))
        # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
        failed_function = arn.split(":")[6] if arn.count(":") >= 6 else None
        if not isinstance(payload, dict):
            raise UnreadableMessage(f"{message_id}: requestPayload is not a JSON object")
    return DeadLetter(message_id, str(message["ReceiptHandle"]), payload, failed_function)


def replay(
    sqs: Any,
    lambda_client: Any,
    queue_url: str,
    function_name: str,
    *,
    match: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
) -> ReplayReport:
    """Replay the queue's messages (those whose payload has the key match, if given) into
    function_name. A message a Lambda record says failed in another function is skipped.

    Messages left in the queue stay hidden until the run ends, so each is tried once and the
    run ends when the queue has nothing new; then they are visible again.
    """
    report = ReplayReport()
    seen: set[str] = set()
    left: list[str] = []  # receipt handles of the messages that stay
    try:
        while limit is None or len(report.replayed) < limit:
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=BATCH,
                VisibilityTimeout=VISIBILITY_TIMEOUT_SECONDS,
                WaitTimeSeconds=1,
            ).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                over_limit = limit is not None and len(report.replayed) >= limit
                if over_limit or not _replay_one(
                    sqs, lambda_client, queue_url, function_name, message, match, dry_run, report
                ):
                    left.append(message["ReceiptHandle"])
    finally:
        for receipt_handle in left:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=0
            )
    return report


def _replay_one(
    sqs: Any,
    lambda_client: Any,
    queue_url: str,
    function_name: str,
    message: dict[str, Any],
    match: str | None,
    dry_run: bool,
    report: ReplayReport,
) -> bool:
    """Replay one message; True when it was replayed and deleted."""
    try:
        letter = read(message)
    except UnreadableMessage as problem:
        report.failed.append((str(message["MessageId"]), str(problem)))
        return False
    if letter.failed_function not in (None, function_name):
        report.skipped.append((letter.message_id, f"failed in {letter.failed_function}"))
        return False
    if match is not None and match not in letter.payload:
        report.skipped.append((letter.message_id, f"no {match!r} in its payload"))
        return False
    if dry_run:
        report.replayed.append(letter.message_id)
        return False
    error = _invoke(lambda_client, function_name, letter.payload)
    if error is not None:
        report.failed.append((letter.message_id, error))
        return False
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=letter.receipt_handle)
    report.replayed.append(letter.message_id)
    return True


def _invoke(lambda_client: Any, function_name: str, payload: dict[str, Any]) -> str | None:
    """Run the function once, synchronously; the error it answered with, or None."""
    response = lambda_client.invoke(
        FunctionName=function_name,
        InvocationType="RequestResponse",
        Payload=json.dumps(payload).encode(),
    )
    if "FunctionError" in response:
        answer = response["Payload"].read().decode(errors="replace")
        return f"{response['FunctionError']}: {answer[:500]}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="the dead-letter queue's URL")
    parser.add_argument("--function", required=True, help="the function to replay into")
    parser.add_argument("--match", help="replay only payloads with this top-level key")
    parser.add_argument("--limit", type=int, help="replay at most this many")
    parser.add_argument("--dry-run", action="store_true", help="list, invoke nothing")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")

    report = replay(
        boto3.client("sqs"),
        boto3.client("lambda"),
        args.queue_url,
        args.function,
        match=args.match,
        limit=args.limit,
        dry_run=args.dry_run,
    )
    verb = "would replay" if args.dry_run else "replayed"
    print(f"{verb} {len(report.replayed)}: {' '.join(report.replayed)}")
    for message_id, why in report.skipped:
        print(f"skipped {message_id}: {why}")
    for message_id, why in report.failed:
        print(f"failed {message_id} (left in the queue): {why}", file=sys.stderr)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
