"""Small helpers shared by the DynamoDB adapters."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError


def all_items(request: Callable[..., Any], **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query or Scan (`request`, e.g. `table.query`) returns, page after page."""
    while True:
        page = request(**kwargs)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-shaped data as a DynamoDB item: floats become Decimals, None values are dropped."""
    cleaned = {k: v for k, v in data.items() if v is not None}
    return dict(json.loads(json.dumps(cleaned), parse_float=Decimal))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain JSON-shaped data (Decimals back to int or float)."""
    return dict(json.loads(json.dumps(item, default=_decimal)))


def _decimal(value: object) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def is_condition_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False
