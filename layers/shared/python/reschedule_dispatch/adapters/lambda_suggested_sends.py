"""Hands a provider-triggered reschedule to the send-link function, asynchronously.

The webhook answers the provider at once; Lambda retries the send on failure and keeps what
still fails in the function's dead-letter queue (docs/infra.md, "Operations"). `SuggestedSend`
is the event both sides share: this adapter writes it, the send-link handler reads it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from reschedule_dispatch.domain.provider_events import ProviderChange, Suggestion


class SuggestedSend(BaseModel):
    """`{"suggested_send": ...}`: a reschedule the provider triggered, and where links point."""

    business_id: str = Field(min_length=1)
    appointment_id: str = Field(min_length=1)
    customer_id: str
    customer_name: str
    change: ProviderChange
    at: AwareDatetime
    public_base_url: str

    @classmethod
    def of(cls, suggestion: Suggestion, public_base_url: str) -> SuggestedSend:
        return cls(
            business_id=suggestion.business_id,
            appointment_id=suggestion.appointment_id,
            customer_id=suggestion.customer_id,
            customer_name=suggestion.customer_name,
            change=suggestion.change,
            at=suggestion.at,
            public_base_url=public_base_url,
        )

    def suggestion(self) -> Suggestion:
        return Suggestion(**self.model_dump(exclude={"public_base_url"}))


class LambdaSuggestedSends:
    def __init__(self, client: Any, function_name: str, public_base_url: str) -> None:
        self._client = client
        self._function_name = function_name
        self._public_base_url = public_base_url

    def __call__(self, suggestion: Suggestion) -> None:
        event = SuggestedSend.of(suggestion, self._public_base_url)
        self._client.invoke(
            FunctionName=self._function_name,
            InvocationType="Event",
            Payload=json.dumps({"suggested_send": event.model_dump(mode="json")}).encode(),
        )
