"""Provider events already applied, by the provider's event id, in the app table.

`PROVIDER_EVENTS#{business}`/`{event id}`, kept for a week (a provider redelivers for hours
or days at most; DynamoDB TTL sweeps the rest). A conditional put answers whether this is
the first time, atomically, so two deliveries of one event racing each other apply it once.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import is_condition_failure


class DynamoSeenEvents:
    def __init__(self, table: Any) -> None:
        self._table = table

    def first_time(self, business_id: str, event_id: str, forget_after: int) -> bool:
        try:
            self._table.put_item(
                Item={
                    "pk": f"PROVIDER_EVENTS#{business_id}",
                    "sk": event_id,
                    "expires_at_epoch": forget_after,
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def forget(self, business_id: str, event_id: str) -> None:
        self._table.delete_item(Key={"pk": f"PROVIDER_EVENTS#{business_id}", "sk": event_id})
