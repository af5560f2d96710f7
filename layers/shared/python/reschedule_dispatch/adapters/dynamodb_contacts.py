"""Who may be texted, and who a text came from, in the app table.

- `OPTOUT#{business}#{phone}`/`OPTOUT`: the number opted out of this business's messages.
- `PHONE#{e164}`/`BUSINESS`: which business a number belongs to (inbound texts are
  addressed to the business number).
- `CUSTOMER_PHONE#{business}#{phone}`/`LATEST_SESSION`: the latest session texted to a
  number, so a reply lands on that session's timeline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reschedule_dispatch.domain.errors import NotFound


class DynamoContacts:
    def __init__(self, table: Any) -> None:
        self._table = table

    def is_opted_out(self, business_id: str, phone: str) -> bool:
        item = self._table.get_item(
            Key={"pk": f"OPTOUT#{business_id}#{phone}", "sk": "OPTOUT"}, ConsistentRead=True
        ).get("Item")
        return item is not None

    def opt_out(self, business_id: str, phone: str, at: datetime, reason: str) -> None:
        self._table.put_item(
            Item={
                "pk": f"OPTOUT#{business_id}#{phone}",
                "sk": "OPTOUT",
                "at": at.astimezone(UTC).isoformat(),
                "reason": reason,
            }
        )

    def opt_in(self, business_id: str, phone: str) -> None:
        self._table.delete_item(Key={"pk": f"OPTOUT#{business_id}#{phone}", "sk": "OPTOUT"})

    def register_business_phone(self, business_id: str, phone: str) -> None:
        self._table.put_item(
            Item={"pk": f"PHONE#{phone}", "sk": "BUSINESS", "business_id": business_id}
        )

    def business_for_phone(self, phone: str) -> str:
        item = self._table.get_item(Key={"pk": f"PHONE#{phone}", "sk": "BUSINESS"}).get("Item")
        if not item:
            raise NotFound("No business uses this number.")
        return str(item["business_id"])

    def remember_session(self, business_id: str, phone: str, session_id: str) -> None:
        self._table.put_item(
            Item={
                "pk": f"CUSTOMER_PHONE#{business_id}#{phone}",
                "sk": "LATEST_SESSION",
                "session_id": session_id,
            }
        )

    def latest_session(self, business_id: str, phone: str) -> str | None:
        item = self._table.get_item(
            Key={"pk": f"CUSTOMER_PHONE#{business_id}#{phone}", "sk": "LATEST_SESSION"},
            ConsistentRead=True,
        ).get("Item")
        return str(item["session_id"]) if item else None
