"""Small helpers shared by the DynamoDB adapters."""

from __future__ import annotations

import json
import random
import time
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


# A transaction DynamoDB cancelled because another one touched the same item at the same
# moment is worth trying again at once: it says nothing about the items' state.
TRANSACTION_ATTEMPTS = 4


def is_transaction_conflict(error: ClientError) -> bool:
    """Cancelled for a concurrent transaction on an item (not for a failed condition)."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons", [])
    codes = {r.get("Code") for r in reasons}
    return "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes


def transact_write(
    client: Any,
    items: list[dict[str, Any]],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """TransactWriteItems, tried again (with a short jittered pause) while it is cancelled
    for a concurrent transaction; a failed condition, or conflicts that last, raise as
    DynamoDB answered."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            client.transact_write_items(TransactItems=items)
            return
        except ClientError as error:
            if not is_transaction_conflict(error) or attempt == TRANSACTION_ATTEMPTS - 1:
                raise
        sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not a secret
