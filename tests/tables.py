"""Tables on moto keyed as the app's are (strings `pk` and `sk`), for the unit tests that
need one without the synthesized template (the integration tests provision from it)."""

from __future__ import annotations

from typing import Any


def pk_sk_table(dynamodb: Any, name: str = "app") -> Any:
    """A table created through `dynamodb` (a boto3 DynamoDB resource), inside mock_aws."""
    return dynamodb.create_table(
        TableName=name,
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
