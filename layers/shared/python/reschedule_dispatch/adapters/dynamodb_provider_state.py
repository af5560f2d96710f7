"""What provider adapters remember between calls, per business, in the app table.

`PROVIDER#{business}`/`STATE#{key}`: sync tokens, push-channel ids, move idempotency records.
"""

from __future__ import annotations

from typing import Any


class DynamoProviderState:
    def __init__(self, table: Any, business_id: str) -> None:
        self._table = table
        self._pk = f"PROVIDER#{business_id}"

    def get(self, key: str) -> str | None:
        item = self._table.get_item(
            Key={"pk": self._pk, "sk": f"STATE#{key}"}, ConsistentRead=True
        ).get("Item")
        return None if item is None else str(item["value"])

    def put(self, key: str, value: str) -> None:
        self._table.put_item(Item={"pk": self._pk, "sk": f"STATE#{key}", "value": value})
