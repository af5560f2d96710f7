"""Business profiles and settings in the app table.

`BUSINESS#{id}`/`PROFILE` holds the business (with a `revision` that every `update` checks
and bumps); `PHONE#{e164}`/`BUSINESS` names the business a
number belongs to, because inbound texts arrive addressed to the business number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from reschedule_dispatch.adapters.dynamodb import (
    all_items,
    from_item,
    is_condition_failure,
    to_item,
)
from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, NotFound

CACHE_SECONDS = 30.0  # settings change rarely; a warm container rereads them twice a minute
UPDATE_ATTEMPTS = 5  # concurrent saves of one business: each rereads and reapplies its change


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
            # disconnected from Settings: nothing to read until connected again
            & (Attr("provider.disconnected").not_exists() | Attr("provider.disconnected").eq(False))
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

    def update(self, business_id: str, change: Callable[[Business], Business]) -> Business:
        """Applies `change` to the stored business and writes it only if nobody wrote it in
        between (the item's revision); otherwise reads it again and reapplies the change, so
        two saves of different settings at once both land."""
        key = {"pk": f"BUSINESS#{business_id}", "sk": "PROFILE"}
        for _ in range(UPDATE_ATTEMPTS):
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
            if not item:
                raise NotFound("Business not found.")
            revision = int(item.get("revision", 0))
            updated = change(Business.model_validate(from_item(item)))
            condition = (
                Attr("revision").not_exists() if revision == 0 else Attr("revision").eq(revision)
            )
            try:
                self._table.put_item(
                    Item=to_item(
                        {**key, **updated.model_dump(mode="json"), "revision": revision + 1}
                    ),
                    ConditionExpression=condition,
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                continue
            self._writes[business_id] = self._writes.get(business_id, 0) + 1
            self._cache.pop(business_id, None)
            return updated
        raise Conflict("The business was being changed by someone else. Try again.")

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
