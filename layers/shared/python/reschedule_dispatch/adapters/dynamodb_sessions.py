"""Sessions, their links and timelines in the app table (single-table design).

Items: `SESSION#{id}`/`SESSION` (the session, with gsi1 = the business's sessions by time),
`SESSION#{id}`/`EVENT#{at}#{n}` (timeline), `LINK#{sha256}`/`LINK` and `MESSAGE#{sid}`/`MESSAGE`
(lookups by token hash and by SMS id). Every status change is a conditional write.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import from_item, is_condition_failure, to_item
from reschedule_dispatch.domain.errors import Conflict, NotFound
from reschedule_dispatch.domain.session import (
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
    can_move,
)

SESSION_SK = "SESSION"


def _session_key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}", "sk": SESSION_SK}


def _event_item(session_id: str, event: TimelineEvent) -> dict[str, Any]:
    at = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return to_item(
        {
            "pk": f"SESSION#{session_id}",
            # Events of the same instant keep the order they were written in.
            "sk": f"EVENT#{at}#{time.time_ns():020d}{uuid.uuid4().hex[:6]}",
            **event.model_dump(mode="json"),
        }
    )


class DynamoSessionRepository:
    def __init__(self, table: Any) -> None:
        """`table` is a boto3 DynamoDB Table resource."""
        self._table = table
        self._client = table.meta.client

    def create(
        self, session: RescheduleSession, token_hash: str, first_event: TimelineEvent
    ) -> None:
        item = to_item(
            {
                **_session_key(session.id),
                "gsi1pk": f"BUSINESS#{session.business_id}#SESSIONS",
                "gsi1sk": f"{session.created_at.astimezone(UTC).isoformat()}#{session.id}",
                **session.model_dump(mode="json"),
            }
        )
        name = self._table.name
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": name,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": name,
                        "Item": {
                            "pk": f"LINK#{token_hash}",
                            "sk": "LINK",
                            "session_id": session.id,
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": name, "Item": _event_item(session.id, first_event)}},
            ]
        )

    def get(self, business_id: str, session_id: str) -> RescheduleSession:
        session = self._load(session_id)
        # Another business's session is answered exactly like a missing one.
        if session is None or session.business_id != business_id:
            raise NotFound("Session not found.")
        return session

    def get_by_id(self, session_id: str) -> RescheduleSession:
        session = self._load(session_id)
        if session is None:
            raise NotFound("Session not found.")
        return session

    def find_by_token_hash(self, token_hash: str) -> RescheduleSession:
        return self.get_by_id(self._lookup(f"LINK#{token_hash}", "LINK"))

    def find_by_message_sid(self, message_sid: str) -> RescheduleSession:
        return self.get_by_id(self._lookup(f"MESSAGE#{message_sid}", "MESSAGE"))

    def timeline(self, session_id: str) -> list[TimelineEvent]:
        events: list[TimelineEvent] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"SESSION#{session_id}")
            & Key("sk").begins_with("EVENT#"),
            "ConsistentRead": True,
        }
        while True:
            page = self._table.query(**kwargs)
            events.extend(TimelineEvent.model_validate(from_item(i)) for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return events
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def transition(
        self,
        session_id: str,
        expected: SessionStatus | frozenset[SessionStatus],
        new: SessionStatus,
        event: TimelineEvent,
        **changes: object,
    ) -> RescheduleSession:
        allowed = frozenset({expected}) if isinstance(expected, SessionStatus) else expected
        allowed = frozenset(s for s in allowed if can_move(s, new))
        if not allowed:
            raise Conflict(f"A session cannot become {new.value} from {sorted(expected)}.")
        values: dict[str, Any] = {":new": new.value}
        names = {"#status": "status"}
        sets = ["#status = :new"]
        for i, (field, value) in enumerate(changes.items()):
            names[f"#c{i}"] = field
            values[f":c{i}"] = _attribute_value(value)
            sets.append(f"#c{i} = :c{i}")
        placeholders = []
        for i, status in enumerate(sorted(allowed)):
            values[f":e{i}"] = status.value
            placeholders.append(f":e{i}")
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table.name,
                            "Key": _session_key(session_id),
                            "UpdateExpression": "SET " + ", ".join(sets),
                            "ConditionExpression": f"#status IN ({', '.join(placeholders)})",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table.name,
                            "Item": _event_item(session_id, event),
                        }
                    },
                ]
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(
                    f"The session is no longer in a state that allows {new.value}."
                ) from None
            raise
        return self.get_by_id(session_id)

    def record_message(self, session_id: str, message_sid: str, delivery_status: str) -> None:
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": _session_key(session_id),
                        "UpdateExpression": "SET message_sid = :sid, delivery_status = :st",
                        "ExpressionAttributeValues": {":sid": message_sid, ":st": delivery_status},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": {
                            "pk": f"MESSAGE#{message_sid}",
                            "sk": "MESSAGE",
                            "session_id": session_id,
                        },
                    }
                },
            ]
        )

    def record_delivery(
        self,
        session_id: str,
        expected_status: str | None,
        delivery_status: str,
        event: TimelineEvent | None,
    ) -> None:
        condition = (
            "delivery_status = :old"
            if expected_status is not None
            else "attribute_not_exists(delivery_status)"
        )
        values: dict[str, Any] = {":st": delivery_status}
        if expected_status is not None:
            values[":old"] = expected_status
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": _session_key(session_id),
                    "UpdateExpression": "SET delivery_status = :st",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        if event is not None:
            items.append(
                {"Put": {"TableName": self._table.name, "Item": _event_item(session_id, event)}}
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict("The delivery status changed meanwhile.") from None
            raise

    def append_event(self, session_id: str, event: TimelineEvent) -> None:
        self._table.put_item(Item=_event_item(session_id, event))

    def _load(self, session_id: str) -> RescheduleSession | None:
        item = self._table.get_item(Key=_session_key(session_id), ConsistentRead=True).get("Item")
        return RescheduleSession.model_validate(from_item(item)) if item else None

    def _lookup(self, pk: str, sk: str) -> str:
        item = self._table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        if not item:
            raise NotFound("Session not found.")
        return str(item["session_id"])


def _attribute_value(value: object) -> Any:
    if hasattr(value, "model_dump"):
        return to_item(value.model_dump(mode="json"))
    return value
