"""EventBridge Scheduler one-time schedules: a session's expiry, and a link's send when the
customer's quiet hours end. Each fires once and deletes itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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


class OneTimeSchedules:
    """One-time schedules in one group, each invoking a function once at a time, with
    bounded retries and a dead-letter queue, and deleted after it fires."""

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

    def _create(self, name: str, at: datetime, payload: dict[str, Any], failure: str) -> None:
        try:
            self._client.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=f"at({_whole_second_after(at):%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self._target_arn,
                    "RoleArn": self._role_arn,
                    "Input": json.dumps(payload),
                    "RetryPolicy": {
                        "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
                        "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                    },
                    "DeadLetterConfig": {"Arn": self._dead_letter_queue_arn},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise MessagingUnavailable(failure) from error

    def _delete(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise


class EventBridgeExpiryScheduler(OneTimeSchedules):
    """The expire function runs once when a session's link is due to expire."""

    def schedule_expiry(self, session_id: str, at: datetime) -> None:
        # Named for the dispatcher: the link was not sent because it could not be given an end.
        self._create(
            schedule_name(session_id),
            at,
            {"session_id": session_id},
            "The link could not be scheduled to expire, so it was not sent. Try again.",
        )

    def cancel_expiry(self, session_id: str) -> None:
        self._delete(schedule_name(session_id))


def send_schedule_name(session_id: str) -> str:
    return f"send-{session_id}"


class EventBridgeScheduledSends(OneTimeSchedules):
    """The send-link function sends a scheduled session's link when quiet hours end."""

    def schedule_send(self, session_id: str, at: datetime, public_base_url: str) -> None:
        self._create(
            send_schedule_name(session_id),
            at,
            {"scheduled_send": {"session_id": session_id, "public_base_url": public_base_url}},
            "The link could not be scheduled. Try again.",
        )

    def cancel_send(self, session_id: str) -> None:
        self._delete(send_schedule_name(session_id))


def _whole_second_after(at: datetime) -> datetime:
    """`at` in UTC, rounded up to the second: at() takes whole seconds, and a schedule that
    fires before its session's time finds nothing due (the expiry would be lost)."""
    at = at.astimezone(UTC)
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)
