"""Reschedules the provider suggested, in the app table.

`SUGGESTIONS#{business}`/`{appointment_id}`: one per appointment (a later reason replaces an
earlier one); listed newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from reschedule_dispatch.adapters.dynamodb import all_items
from reschedule_dispatch.domain.provider_events import ProviderChange, Suggestion

# A console page's worth: the newest 200. The business's partition is read whole to find
# them (its items are small, and each is removed once answered or dismissed).
MAX_SUGGESTIONS = 200


class DynamoSuggestions:
    def __init__(self, table: Any) -> None:
        self._table = table

    def put(self, suggestion: Suggestion) -> None:
        self._table.put_item(
            Item={
                "pk": f"SUGGESTIONS#{suggestion.business_id}",
                "sk": suggestion.appointment_id,
                "customer_id": suggestion.customer_id,
                "customer_name": suggestion.customer_name,
                "change": suggestion.change.value,
                "at": suggestion.at.isoformat(),
                "detail": suggestion.detail,
            }
        )

    def list(self, business_id: str) -> list[Suggestion]:
        condition = Key("pk").eq(f"SUGGESTIONS#{business_id}")
        items = list(all_items(self._table.query, KeyConditionExpression=condition))
        found = [
            Suggestion(
                business_id=business_id,
                appointment_id=str(item["sk"]),
                customer_id=str(item["customer_id"]),
                customer_name=str(item["customer_name"]),
                change=ProviderChange(str(item["change"])),
                at=datetime.fromisoformat(str(item["at"])),
                detail=str(item.get("detail", "")),
            )
            for item in items
        ]
        return sorted(found, key=lambda s: s.at, reverse=True)[:MAX_SUGGESTIONS]

    def resolve(self, business_id: str, appointment_id: str) -> bool:
        removed = self._table.delete_item(
            Key={"pk": f"SUGGESTIONS#{business_id}", "sk": appointment_id},
            ReturnValues="ALL_OLD",
        )
        return "Attributes" in removed
