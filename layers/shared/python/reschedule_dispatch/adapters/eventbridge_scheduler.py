"""Expiry by EventBridge Scheduler: one one-time schedule per session, deleted after it fires."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reschedule_dispatch.domain.errors import MessagingUnavailable

# Scheduler invokes the expire function asynchronously; these bound its retries of a failed
# delivery (throttling, a missing permission). Expiry is enforced in code when a link is
# used, so a late run only updates the session's status: two hours is enough to ride out an
# outage, and the dead-letter queue keeps the rest for replay (docs/infra.md, "Operations").
MAX_RETRY_ATTEMPTS = 10
MAX_EVENT_AGE_SECONDS = 2 * 60 * 60


def schedule_name(session_id: str) -> str:
    return f"session-{session_id}"


class EventBridgeExpiryScheduler:
    def __init__(
        self,
        client: Any,
        group_name: str,
        target_arn: str,
        role_arn: str,
        dead_letter_queue_arn: str,
    ) -> None:
        self._client = client
        self._group = group_name
        self._target_arn = target_arn
        self._role_arn = role_arn
        self._dead_letter_queue_arn = dead_letter_queue_arn

    def schedule_expiry(self, session_id: str, at: datetime) -> None:
        try:
            self._client.create_schedule(
                Name=schedule_name(session_id),
                GroupName=self._group,
                ScheduleExpression=f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self._target_arn,
                    "RoleArn": self._role_arn,
                    "Input": json.dumps({"session_id": session_id}),
                    "RetryPolicy": {
                        "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
                        "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                    },
                    "DeadLetterConfig": {"Arn": self._dead_letter_queue_arn},
                },
            )
        except (ClientError, BotoCoreError) as error:
            # Named for the dispatcher: the link was not sent because it could not be given an end.
            raise MessagingUnavailable(
                "The link could not be scheduled to expire, so it was not sent. Try again."
            ) from error

    def cancel_expiry(self, session_id: str) -> None:
        try:
            self._client.delete_schedule(Name=schedule_name(session_id), GroupName=self._group)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
