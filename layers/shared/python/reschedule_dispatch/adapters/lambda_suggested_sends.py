"""Hands a provider-triggered reschedule to the send-link function, asynchronously.

The webhook answers the provider at once; Lambda retries the send on failure and keeps what
still fails in the function's dead-letter queue (docs/infra.md, "Operations").
"""

from __future__ import annotations

import json
from typing import Any

from reschedule_dispatch.domain.provider_events import Suggestion


def suggested_send_event(suggestion: Suggestion, public_base_url: str) -> dict[str, Any]:
    """What the send-link function receives (its handler's `suggested_send`)."""
    return {
        "suggested_send": {
            "business_id": suggestion.business_id,
            "appointment_id": suggestion.appointment_id,
            "customer_id": suggestion.customer_id,
            "customer_name": suggestion.customer_name,
            "change": suggestion.change.value,
            "at": suggestion.at.isoformat(),
            "public_base_url": public_base_url,
        }
    }


class LambdaSuggestedSends:
    def __init__(self, client: Any, function_name: str, public_base_url: str) -> None:
        self._client = client
        self._function_name = function_name
        self._public_base_url = public_base_url

    def __call__(self, suggestion: Suggestion) -> None:
        self._client.invoke(
            FunctionName=self._function_name,
            InvocationType="Event",
            Payload=json.dumps(suggested_send_event(suggestion, self._public_base_url)).encode(),
        )
