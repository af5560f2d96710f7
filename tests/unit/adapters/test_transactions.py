"""A DynamoDB transaction cancelled for a concurrent one is tried again; a hold that stays
contended is "someone else is booking that time", never a raw error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import TRANSACTION_ATTEMPTS, transact_write
from reschedule_dispatch.adapters.dynamodb_holds import DynamoOpeningHolds
from reschedule_dispatch.domain.errors import OpeningTaken
from reschedule_dispatch.domain.session import Opening


def _cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


class Client:
    def __init__(self, failures: list[ClientError]) -> None:
        self.failures = failures
        self.calls = 0

    def transact_write_items(self, TransactItems: list[Any]) -> dict[str, Any]:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {}


def test_a_transaction_conflict_is_tried_again_until_it_goes_through():
    client = Client([_cancelled("None", "TransactionConflict")] * 2)
    transact_write(client, [{"Put": {}}], sleep=lambda _: None)
    assert client.calls == 3


def test_a_failed_condition_is_not_tried_again():
    client = Client([_cancelled("ConditionalCheckFailed", "None")])
    with pytest.raises(ClientError):
        transact_write(client, [{"Put": {}}], sleep=lambda _: None)
    assert client.calls == 1


def test_a_hold_still_contended_after_the_retries_is_an_opening_taken():
    client = Client([_cancelled("TransactionConflict")] * TRANSACTION_ATTEMPTS)
    table = type("Table", (), {"name": "app", "meta": type("M", (), {"client": client})()})()
    holds = DynamoOpeningHolds(table)
    start = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    opening = Opening(start=start, end=start + timedelta(hours=1), technician_id="tech-1")
    with pytest.raises(OpeningTaken):
        holds.hold("acme", opening, "s1", "appt-1", start, start + timedelta(minutes=10))
    assert client.calls == TRANSACTION_ATTEMPTS
