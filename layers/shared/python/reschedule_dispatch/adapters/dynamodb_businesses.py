"""Business profiles and settings in the app table.

`BUSINESS#{id}`/`PROFILE` holds the business; `PHONE#{e164}`/`BUSINESS` names the business a
number belongs to, because inbound texts arrive addressed to the business number.
"""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.conditions import Attr

from reschedule_dispatch.adapters.dynamodb import all_items, from_item, to_item
from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import NotFound

CACHE_SECONDS = 30.0  # settings change rarely; a warm container rereads them twice a minute


class DynamoBusinessDirectory:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._cache: dict[str, tuple[float, Business]] = {}
        # Bumped by every put: a read that began before a write must not cache what it read.
        self._writes: dict[str, int] = {}

    def get(self, business_id: str, *, fresh: bool = False) -> Business:
        cached = self._cache.get(business_id)
        if not fresh and cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        writes = self._writes.get(business_id, 0)
        item = self._table.get_item(
            Key={"pk": f"BUSINESS#{business_id}", "sk": "PROFILE"}, ConsistentRead=fresh
        ).get("Item")
        if not item:
            raise NotFound("Business not found.")
        business = Business.model_validate(from_item(item))
        if self._writes.get(business_id, 0) == writes:
            self._cache[business_id] = (time.monotonic(), business)
        return business

    def every(self) -> list[Business]:
        """Every business. A Scan: only the mirror's reconcile job asks, never a request
        path."""
        return [
            Business.model_validate(from_item(item))
            for item in all_items(self._table.scan, FilterExpression=Attr("sk").eq("PROFILE"))
        ]

    def connected(self) -> list[Business]:
        """Businesses connected to a provider other than the demo one. A Scan: only the
        twice-daily channel renewal asks, never a request path."""
        connected = (
            Attr("sk").eq("PROFILE")
            & Attr("provider.kind").ne("demo")
            & Attr("provider.kind").exists()
        )
        return [
            Business.model_validate(from_item(item))
            for item in all_items(self._table.scan, FilterExpression=connected)
        ]

    def by_phone(self, phone: str) -> Business:
        item = self._table.get_item(Key={"pk": f"PHONE#{phone}", "sk": "BUSINESS"}).get("Item")
        if not item:
            raise NotFound("No business uses this number.")
        return self.get(str(item["business_id"]))

    def put(self, business: Business) -> None:
        self._table.put_item(
            Item={"pk": f"PHONE#{business.phone}", "sk": "BUSINESS", "business_id": business.id}
        )
        self._table.put_item(
            Item=to_item(
                {
                    "pk": f"BUSINESS#{business.id}",
                    "sk": "PROFILE",
                    **business.model_dump(mode="json"),
                }
            )
        )
        self._writes[business.id] = self._writes.get(business.id, 0) + 1
        self._cache.pop(business.id, None)
