"""Who may be texted, and who a text came from, in the app table.

- `OPTOUT#{business}#{phone}`/`OPTOUT`: the number opted out of this business's messages.
- `CUSTOMER_PHONE#{business}#{phone}`/`LATEST_SESSION`: the latest session texted to a
  number, so a reply lands on that session's timeline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


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
