"""The link-guessing counters in the app table: one item per client and fixed window.

`GUESSES#{sha256 of the address}`/`WINDOW#{start epoch}` with `unknown_links`, counted by
an atomic ADD, and `expires_at_epoch` (the table's TTL attribute) so DynamoDB sweeps old
windows; the window itself is in the key, so an unswept item is never read as current.
"""

from __future__ import annotations

from typing import Any


class DynamoGuessThrottle:
    def __init__(self, table: Any) -> None:
        self._table = table

    def _key(self, client: str, window: int) -> dict[str, str]:
        return {"pk": f"GUESSES#{client}", "sk": f"WINDOW#{window}"}

    def unknown_links(self, client: str, window: int) -> int:
        # Eventually consistent: a count a moment behind only lets one more guess through.
        item = self._table.get_item(
            Key=self._key(client, window), ProjectionExpression="unknown_links"
        ).get("Item")
        return int(item["unknown_links"]) if item else 0

    def add_unknown_link(self, client: str, window: int, expires_at: int) -> int:
        answer = self._table.update_item(
            Key=self._key(client, window),
            UpdateExpression="ADD unknown_links :one SET expires_at_epoch = :expires",
            ExpressionAttributeValues={":one": 1, ":expires": expires_at},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["unknown_links"])
