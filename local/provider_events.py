"""Provider events on demand for the local stack: what a verified provider webhook carries.

The demo provider has no webhooks of its own, so `POST /dev/provider-events` with
`{"business_id": "...", "appointment_id": "...", "change": "no_show"}` hands the event to
the same service a verified webhook reaches (ApplyProviderEvent): a trigger becomes a
Suggested entry in the console (or a link sent, when the business sends them itself); a
change elsewhere ends the appointment's open link.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from reschedule_dispatch.domain.provider_events import ProviderChange, ProviderEvent

ApplyEvent = Callable[[ProviderEvent], None]


class DevProviderEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_id: str = Field(min_length=1, max_length=64)
    appointment_id: str = Field(min_length=1, max_length=128)
    change: ProviderChange

    def event(self) -> ProviderEvent:
        return ProviderEvent(
            business_id=self.business_id,
            appointment_id=self.appointment_id,
            change=self.change,
            event_id=f"dev-{uuid.uuid4()}",
        )
