"""Holds on a technician's time while a confirm runs, so two customers cannot take it.

DynamoDB cannot check overlapping ranges, so time is cut into 15-minute UTC cells and a
hold writes one item per cell it touches, all in one transaction. Two overlapping bookings
always share a cell; every UTC offset in use is a multiple of 15 minutes, so openings on a
business's grid line up with the cells (a grid finer than 15 minutes can only make holds
stricter, never let an overlap through). Each cell carries a lease: a crashed workflow
cannot block the time for longer than that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import (
    is_condition_failure,
    is_transaction_conflict,
    transact_write,
)
from reschedule_dispatch.domain.errors import OpeningTaken
from reschedule_dispatch.domain.session import Opening

CELL = timedelta(minutes=15)
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _stamp(moment: datetime) -> str:
    # One fixed UTC format, so leases compare correctly as strings in conditions.
    return moment.astimezone(UTC).strftime(_FORMAT)


def cells(start: datetime, end: datetime) -> list[datetime]:
    """The 15-minute UTC cells that [start, end) touches."""
    start = start.astimezone(UTC)
    first = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    found = []
    cell = first
    while cell < end:
        found.append(cell)
        cell += CELL
    return found


class DynamoOpeningHolds:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._client = table.meta.client

    def _key(self, business_id: str, technician_id: str, cell: datetime) -> dict[str, str]:
        return {"pk": f"HOLD#{business_id}#{technician_id}#{_stamp(cell)}", "sk": "HOLD"}

    def hold(
        self,
        business_id: str,
        opening: Opening,
        session_id: str,
        appointment_id: str,
        now: datetime,
        lease_until: datetime,
    ) -> None:
        operations = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {
                        **self._key(business_id, opening.technician_id, cell),
                        "session_id": session_id,
                        "appointment_id": appointment_id,
                        "lease_until": _stamp(lease_until),
                        # DynamoDB TTL sweeps old holds; the lease itself is checked in code.
                        "expires_at_epoch": int(lease_until.timestamp()) + 86_400,
                    },
                    # Free, expired, ours, or held for this same appointment (by an earlier
                    # session of it): moving within or next to its own slot is allowed.
                    "ConditionExpression": (
                        "attribute_not_exists(pk) OR lease_until < :now OR session_id = :sid "
                        "OR appointment_id = :appointment"
                    ),
                    "ExpressionAttributeValues": {
                        ":now": _stamp(now),
                        ":sid": session_id,
                        ":appointment": appointment_id,
                    },
                }
            }
            for cell in cells(opening.start, opening.end)
        ]
        try:
            transact_write(self._client, operations)
        except ClientError as error:
            # Held by another, or still contended after the retries: someone else is
            # booking it, and the customer is sent back to pick (not failed).
            if is_condition_failure(error) or is_transaction_conflict(error):
                raise OpeningTaken("Someone else is booking that time.") from None
            raise

    def release_at(
        self, business_id: str, opening: Opening, session_id: str, until: datetime
    ) -> None:
        for cell in cells(opening.start, opening.end):
            try:
                self._table.update_item(
                    Key=self._key(business_id, opening.technician_id, cell),
                    UpdateExpression="SET lease_until = :until",
                    ConditionExpression="session_id = :sid AND lease_until > :until",
                    ExpressionAttributeValues={":sid": session_id, ":until": _stamp(until)},
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise  # gone, someone else's, or already shorter: nothing to do

    def release(self, business_id: str, opening: Opening, session_id: str) -> None:
        self._delete_cells(business_id, opening, "session_id = :sid", {":sid": session_id})

    def release_left_behind(
        self, business_id: str, opening: Opening, appointment_id: str, session_id: str
    ) -> None:
        self._delete_cells(
            business_id,
            opening,
            "appointment_id = :appointment AND session_id <> :sid",
            {":appointment": appointment_id, ":sid": session_id},
        )

    def _delete_cells(
        self, business_id: str, opening: Opening, condition: str, values: dict[str, str]
    ) -> None:
        for cell in cells(opening.start, opening.end):
            try:
                self._table.delete_item(
                    Key=self._key(business_id, opening.technician_id, cell),
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise  # a cell held by someone else stays theirs
