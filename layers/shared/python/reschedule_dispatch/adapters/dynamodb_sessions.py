"""Sessions, their links and timelines in the app table (single-table design).

Items:
- `SESSION#{id}`/`SESSION`: the session. gsi1 = `BUSINESS#{id}#IN_PROGRESS` or `#HISTORY`
  by creation time, so both console tabs are one Query each, newest first.
- `SESSION#{id}`/`EVENT#{at}#{n}`: the timeline.
- `APPOINTMENT#{business}#{appointment}`/`OPEN_SESSION`: the appointment's one session in
  progress, written with the session and deleted when it reaches a final status.
- `APPOINTMENT#{business}#{appointment}`/`SESSION#{created_at}#{n}#{id}`: every session of the
  appointment (links and dispatcher moves), so its timeline is one Query in time order.
- `LINK#{sha256}`/`LINK` and `MESSAGE#{sid}`/`MESSAGE`: lookups by token hash and SMS id.

Every status change is one transaction conditioned on the current status.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import (
    all_items,
    from_item,
    is_condition_failure,
    is_transaction_conflict,
    to_item,
    transact_write,
)
from reschedule_dispatch.domain.errors import Conflict, NotFound, SessionAlreadyOpen, Unprocessable
from reschedule_dispatch.domain.ports import Replacing, SessionPage
from reschedule_dispatch.domain.session import (
    FINAL_STATUSES,
    IN_PROGRESS_STATUSES,
    MAX_LINK_BROWSERS,
    SESSION_RETENTION,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
    can_move,
)

SESSION_SK = "SESSION"
LIST_INDEX = "gsi1"


def _status_change(
    current: RescheduleSession,
    expected: SessionStatus | frozenset[SessionStatus],
    new: SessionStatus,
    event: TimelineEvent,
    changes: dict[str, object],
) -> list[dict[str, Any]]:
    """The writes that move `current` to `new` if its status is still one of `expected`
    (checked against the transition table first), with the timeline event."""
    expected = frozenset({expected}) if isinstance(expected, SessionStatus) else expected
    allowed = frozenset(s for s in expected if can_move(s, new))
    if not allowed:
        froms = ", ".join(sorted(s.value for s in expected))
        raise Conflict(f"A session cannot become {new.value} from {froms}.")
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":new": new.value,
        ":list": _list_pk(current.business_id, new),
        ":etype": event.type,
        ":eat": _utc(event.at),
    }
    sets = [
        "#status = :new",
        "gsi1pk = :list",
        "last_event_type = :etype",
        "last_event_at = :eat",
    ]
    removes = []
    for i, (field, value) in enumerate(changes.items()):
        names[f"#c{i}"] = field
        if value is None:
            removes.append(f"#c{i}")
        else:
            values[f":c{i}"] = _value(value)
            sets.append(f"#c{i} = :c{i}")
    placeholders = []
    for i, status in enumerate(sorted(allowed)):
        values[f":e{i}"] = status.value
        placeholders.append(f":e{i}")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return [
        {
            "Update": {
                "Key": _session_key(current.id),
                "UpdateExpression": expression,
                "ConditionExpression": f"#status IN ({', '.join(placeholders)})",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        },
        {"Put": {"Item": _event_item(current.id, event)}},
    ]


def _session_key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}", "sk": SESSION_SK}


def _lock_key(business_id: str, appointment_id: str) -> dict[str, str]:
    return {"pk": _appointment_pk(business_id, appointment_id), "sk": "OPEN_SESSION"}


def _appointment_pk(business_id: str, appointment_id: str) -> str:
    return f"APPOINTMENT#{business_id}#{appointment_id}"


def _list_pk(business_id: str, status: SessionStatus) -> str:
    tab = "IN_PROGRESS" if status in IN_PROGRESS_STATUSES else "HISTORY"
    return f"BUSINESS#{business_id}#{tab}"


def _utc(moment: Any) -> str:
    return str(moment.astimezone(UTC).isoformat())


def _retained(written_at: datetime) -> int:
    """The app table's TTL for a session's item written then (SESSION_RETENTION)."""
    return int((written_at + SESSION_RETENTION).timestamp())


def _event_item(session_id: str, event: TimelineEvent) -> dict[str, Any]:
    at = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return to_item(
        {
            "pk": f"SESSION#{session_id}",
            # wall clock: a tiebreak, so events of one instant keep the order they were written in
            "sk": f"EVENT#{at}#{time.time_ns():020d}{uuid.uuid4().hex[:6]}",
            "expires_at_epoch": _retained(event.at),
            **event.model_dump(mode="json"),
        }
    )


def _value(value: object) -> Any:
    if hasattr(value, "model_dump"):
        return to_item(value.model_dump(mode="json"))
    if hasattr(value, "isoformat"):
        return _utc(value)
    return value


class DynamoSessionRepository:
    def __init__(self, table: Any) -> None:
        """`table` is a boto3 DynamoDB Table resource."""
        self._table = table
        self._client = table.meta.client

    # Writing -------------------------------------------------------------------------------

    def create(
        self,
        session: RescheduleSession,
        token_hash: str | None,
        first_event: TimelineEvent,
        *,
        replacing: Replacing | None = None,
    ) -> None:
        session = session.model_copy(
            update={"last_event_type": first_event.type, "last_event_at": first_event.at}
        )
        item = to_item(
            {
                **_session_key(session.id),
                "expires_at_epoch": _retained(session.created_at),
                "gsi1pk": _list_pk(session.business_id, session.status),
                "gsi1sk": f"{_utc(session.created_at)}#{session.id}",
                **session.model_dump(mode="json"),
            }
        )
        lock = {**_lock_key(session.business_id, session.appointment_id), "session_id": session.id}
        # The appointment's lock is free, or (replacing) still held by the session replaced.
        lock_put: dict[str, Any] = {"Item": lock, "ConditionExpression": "attribute_not_exists(pk)"}
        if replacing is not None:
            lock_put = {
                "Item": lock,
                "ConditionExpression": "session_id = :replaced",
                "ExpressionAttributeValues": {":replaced": replacing.session.id},
            }
        writes: list[dict[str, Any]] = [
            {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": lock_put},
            {"Put": {"Item": _event_item(session.id, first_event)}},
            {
                "Put": {
                    "Item": {
                        "pk": _appointment_pk(session.business_id, session.appointment_id),
                        "expires_at_epoch": _retained(session.created_at),
                        # Sessions of the same instant keep the order they were made in.
                        # wall clock: a tiebreak in the key, never a time anyone reads
                        "sk": f"SESSION#{_utc(session.created_at)}#{time.time_ns():020d}"
                        f"#{session.id}",
                        "session_id": session.id,
                    }
                }
            },
        ]
        if token_hash is not None:  # a scheduled session gets its link when it is sent
            writes.append(_link_put(session.id, token_hash, session.created_at))
        if replacing is not None:
            writes += _status_change(
                replacing.session,
                replacing.expected,
                replacing.status,
                replacing.event,
                {"failure_reason": replacing.failure_reason},
            )
        try:
            self._transact(*writes)
        except ClientError as error:
            if is_transaction_conflict(error):  # another send for it, at this very moment
                raise Conflict(
                    "Another link for this appointment is being sent right now. Try again."
                ) from None
            if not is_condition_failure(error):
                raise
            if replacing is not None:
                raise Conflict("The session it replaces changed meanwhile.") from None
            holder = self._table.get_item(
                Key=_lock_key(session.business_id, session.appointment_id), ConsistentRead=True
            ).get("Item")
            if holder:
                raise SessionAlreadyOpen(str(holder["session_id"])) from None
            raise Conflict("The session could not be created; try again.") from None

    def add_link(self, session_id: str, token_hash: str, *, at: datetime) -> None:
        self._table.put_item(**_link_put(session_id, token_hash, at)["Put"])

    def transition(
        self,
        session_id: str,
        expected: SessionStatus | frozenset[SessionStatus],
        new: SessionStatus,
        event: TimelineEvent,
        **changes: object,
    ) -> RescheduleSession:
        current = self.get_by_id(session_id)
        operations = _status_change(current, expected, new, event, changes)
        if new in FINAL_STATUSES:
            # The appointment is free for a new session once this one is over.
            operations.append(
                {
                    "Delete": {
                        "Key": _lock_key(current.business_id, current.appointment_id),
                        "ConditionExpression": "attribute_not_exists(pk) OR session_id = :sid",
                        "ExpressionAttributeValues": {":sid": session_id},
                    }
                }
            )
        try:
            self._transact(*operations)
        except ClientError as error:
            # A failed condition, or another write to it that kept winning: either way the
            # caller lost the race and reads what won.
            if is_condition_failure(error) or is_transaction_conflict(error):
                raise Conflict(
                    f"The session is no longer in a state that allows {new.value}."
                ) from None
            raise
        return self.get_by_id(session_id)

    def record_message(
        self, session_id: str, message_sid: str, delivery_status: str, *, at: datetime
    ) -> None:
        self._transact(
            {
                "Update": {
                    "Key": _session_key(session_id),
                    "UpdateExpression": "SET message_sid = :sid, delivery_status = :st",
                    "ExpressionAttributeValues": {":sid": message_sid, ":st": delivery_status},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Put": {
                    "Item": {
                        "pk": f"MESSAGE#{message_sid}",
                        "sk": "MESSAGE",
                        "session_id": session_id,
                        "expires_at_epoch": _retained(at),
                    }
                }
            },
        )

    def record_delivery(
        self,
        session_id: str,
        message_sid: str,
        expected_status: str | None,
        delivery_status: str,
        event: TimelineEvent | None,
    ) -> None:
        condition = "message_sid = :msg AND " + (
            "delivery_status = :old"
            if expected_status is not None
            else "attribute_not_exists(delivery_status)"
        )
        values: dict[str, Any] = {":st": delivery_status, ":msg": message_sid}
        if expected_status is not None:
            values[":old"] = expected_status
        expression = "SET delivery_status = :st"
        if event is not None:
            expression += ", last_event_type = :etype, last_event_at = :eat"
            values |= {":etype": event.type, ":eat": _utc(event.at)}
        operations: list[dict[str, Any]] = [
            {
                "Update": {
                    "Key": _session_key(session_id),
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        if event is not None:
            operations.append({"Put": {"Item": _event_item(session_id, event)}})
        try:
            self._transact(*operations)
        except ClientError as error:
            if is_condition_failure(error) or is_transaction_conflict(error):
                raise Conflict("The delivery status changed meanwhile.") from None
            raise

    def append_event(self, session_id: str, event: TimelineEvent, **changes: object) -> None:
        values: dict[str, Any] = {":etype": event.type, ":eat": _utc(event.at)}
        names: dict[str, str] = {}
        sets = ["last_event_type = :etype", "last_event_at = :eat"]
        for i, (field, value) in enumerate(changes.items()):
            names[f"#c{i}"] = field
            values[f":c{i}"] = _value(value)
            sets.append(f"#c{i} = :c{i}")
        update: dict[str, Any] = {
            "Key": _session_key(session_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": values,
        }
        if names:
            update["ExpressionAttributeNames"] = names
        try:
            self._transact({"Update": update}, {"Put": {"Item": _event_item(session_id, event)}})
        except ClientError as error:
            if is_condition_failure(error):  # the only condition: the session exists
                raise NotFound("Session not found.") from None
            raise

    def add_browser(
        self, session_id: str, browser_hash: str, event: TimelineEvent, *, first: bool
    ) -> bool:
        values: dict[str, Any] = {
            ":new": [browser_hash],
            ":none": [],
            ":etype": event.type,
            ":eat": _utc(event.at),
        }
        if first:
            limit, values[":limit"] = "size(browsers) = :limit", 0  # none yet
        else:
            limit, values[":limit"] = "size(browsers) < :limit", MAX_LINK_BROWSERS
        condition = f"attribute_exists(pk) AND (attribute_not_exists(browsers) OR {limit})"
        update = {
            "Key": _session_key(session_id),
            "UpdateExpression": "SET browsers = list_append(if_not_exists(browsers, :none), :new), "
            "last_event_type = :etype, last_event_at = :eat",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        try:
            self._transact(
                {"Update": update},
                {"Put": {"Item": _event_item(session_id, event)}},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def take_unlock_try(self, session_id: str, most: int) -> int | None:
        try:
            answer = self._table.update_item(
                Key=_session_key(session_id),
                UpdateExpression="ADD unlock_tries :one",
                ConditionExpression=(
                    "attribute_exists(pk) AND "
                    "(attribute_not_exists(unlock_tries) OR unlock_tries < :most)"
                ),
                ExpressionAttributeValues={":one": 1, ":most": most},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return int(answer["Attributes"]["unlock_tries"])

    # Reading -------------------------------------------------------------------------------

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

    def in_progress_by_appointment(
        self, business_id: str, appointment_ids: Sequence[str]
    ) -> dict[str, RescheduleSession]:
        locks = self._batch_get([_lock_key(business_id, a) for a in dict.fromkeys(appointment_ids)])
        sessions = self._batch_get([_session_key(str(lock["session_id"])) for lock in locks])
        found = {}
        for item in sessions:
            session = RescheduleSession.model_validate(from_item(item))
            if session.business_id == business_id and session.in_progress:
                found[session.appointment_id] = session
        return found

    def for_appointment(self, business_id: str, appointment_id: str) -> list[RescheduleSession]:
        condition = Key("pk").eq(_appointment_pk(business_id, appointment_id)) & Key(
            "sk"
        ).begins_with("SESSION#")
        ids = [
            str(item["session_id"])
            for item in all_items(self._table.query, KeyConditionExpression=condition)
        ]
        loaded = {
            str(item["id"]): RescheduleSession.model_validate(from_item(item))
            for item in self._batch_get([_session_key(i) for i in ids])
        }
        # In creation order (the sort key), whatever order the batch answered in.
        return [loaded[i] for i in ids if i in loaded and loaded[i].business_id == business_id]

    def add_invitation(self, session_id: str, token_hash: str, *, at: datetime) -> None:
        item = {
            "pk": f"INVITE#{token_hash}",
            "sk": "INVITE",
            "session_id": session_id,
            "expires_at_epoch": _retained(at),
        }
        self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def find_by_invitation_hash(self, token_hash: str) -> RescheduleSession:
        return self.get_by_id(self._lookup(f"INVITE#{token_hash}", "INVITE"))

    def find_by_token_hash(self, token_hash: str) -> RescheduleSession:
        return self.get_by_id(self._lookup(f"LINK#{token_hash}", "LINK"))

    def find_by_message_sid(self, message_sid: str) -> RescheduleSession:
        return self.get_by_id(self._lookup(f"MESSAGE#{message_sid}", "MESSAGE"))

    def timeline(self, session_id: str) -> list[TimelineEvent]:
        condition = Key("pk").eq(f"SESSION#{session_id}") & Key("sk").begins_with("EVENT#")
        return [
            TimelineEvent.model_validate(from_item(item))
            for item in all_items(
                self._table.query, KeyConditionExpression=condition, ConsistentRead=True
            )
        ]

    def list_sessions(
        self, business_id: str, in_progress: bool, limit: int, cursor: str | None
    ) -> SessionPage:
        status = SessionStatus.LINK_SENT if in_progress else SessionStatus.COMPLETED
        partition = _list_pk(business_id, status)
        kwargs: dict[str, Any] = {
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": Key("gsi1pk").eq(partition),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, partition)
        page = self._table.query(**kwargs)
        sessions = [RescheduleSession.model_validate(from_item(i)) for i in page["Items"]]
        last = page.get("LastEvaluatedKey")
        return SessionPage(sessions=sessions, cursor=_encode_cursor(last) if last else None)

    # Internals -----------------------------------------------------------------------------

    def _transact(self, *operations: dict[str, Any]) -> None:
        for operation in operations:
            next(iter(operation.values()))["TableName"] = self._table.name
        transact_write(self._client, list(operations))

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):  # BatchGetItem takes 100 keys at most
            request: dict[str, Any] = {
                self._table.name: {"Keys": keys[start : start + 100], "ConsistentRead": True}
            }
            while request:
                answer = self._table.meta.client.batch_get_item(RequestItems=request)
                items.extend(answer["Responses"].get(self._table.name, []))
                request = answer.get("UnprocessedKeys") or {}
        return items

    def _load(self, session_id: str) -> RescheduleSession | None:
        item = self._table.get_item(Key=_session_key(session_id), ConsistentRead=True).get("Item")
        return RescheduleSession.model_validate(from_item(item)) if item else None

    def _lookup(self, pk: str, sk: str) -> str:
        item = self._table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        if not item:
            raise NotFound("Session not found.")
        return str(item["session_id"])


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(from_item(key)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, partition: str) -> dict[str, Any]:
    """The page key a cursor stands for, refused if forged or from another list."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise Unprocessable("The cursor is not valid.") from None
    expected = {"pk", "sk", "gsi1pk", "gsi1sk"}
    if not isinstance(key, dict) or set(key) != expected or key.get("gsi1pk") != partition:
        raise Unprocessable("The cursor is not valid.")
    if not all(isinstance(v, str) for v in key.values()):
        raise Unprocessable("The cursor is not valid.")
    return key


def _link_put(session_id: str, token_hash: str, at: datetime) -> dict[str, Any]:
    link = {
        "pk": f"LINK#{token_hash}",
        "sk": "LINK",
        "session_id": session_id,
        "expires_at_epoch": _retained(at),
    }
    return {"Put": {"Item": link, "ConditionExpression": "attribute_not_exists(pk)"}}
