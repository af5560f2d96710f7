"""moto's transactions backed up by item (local/cloud.py): a cancelled one still writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from local.cloud import back_up_transactions_by_item

TABLE = "app"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # moto's own method comes back after the test, whatever this one patched
    monkeypatch.setattr(
        DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items
    )
    back_up_transactions_by_item()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(
            TableName=TABLE,
            Item={"pk": {"S": "SESSION#1"}, "sk": {"S": "META"}, "status": {"S": "viewed"}},
        )
        client.put_item(TableName=TABLE, Item={"pk": {"S": "HOLD#9"}, "sk": {"S": "META"}})
        yield client


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "META"}}


def _item(client: Any, pk: str) -> dict[str, Any] | None:
    return client.get_item(TableName=TABLE, Key=_key(pk)).get("Item")  # type: ignore[no-any-return]


def _confirming_and_hold(client: Any, new_event: str) -> None:
    """The shape of a confirm: move the session, add an event, take a hold if it is free."""
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("SESSION#1"),
                    "UpdateExpression": "SET #s = :new",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":new": {"S": "confirming"}},
                }
            },
            {"Put": {"TableName": TABLE, "Item": {**_key(new_event), "type": {"S": "confirming"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("HOLD#7"),
                    "UpdateExpression": "SET holder = :me",
                    "ExpressionAttributeValues": {":me": {"S": "SESSION#1"}},
                }
            },
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": _key("HOLD#9"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    # Given HOLD#9 is taken, the transaction's last condition fails
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        _confirming_and_hold(dynamodb, "EVENT#1")

    # Then the update is undone, and neither the put nor the upsert left an item
    assert _item(dynamodb, "SESSION#1")["status"] == {"S": "viewed"}  # type: ignore[index]
    assert _item(dynamodb, "EVENT#1") is None
    assert _item(dynamodb, "HOLD#7") is None
    assert _item(dynamodb, "HOLD#9") == _key("HOLD#9")
    assert not hasattr(Table, "__deepcopy__")  # moto's copies are themselves again


def test_a_transaction_whose_conditions_hold_writes_everything(dynamodb: Any) -> None:
    dynamodb.delete_item(TableName=TABLE, Key=_key("HOLD#9"))

    _confirming_and_hold(dynamodb, "EVENT#1")

    assert _item(dynamodb, "SESSION#1")["status"] == {"S": "confirming"}  # type: ignore[index]
    assert _item(dynamodb, "EVENT#1") is not None
    assert _item(dynamodb, "HOLD#7") == {**_key("HOLD#7"), "holder": {"S": "SESSION#1"}}
    assert _item(dynamodb, "HOLD#9") is not None
    assert not hasattr(Table, "__deepcopy__")
