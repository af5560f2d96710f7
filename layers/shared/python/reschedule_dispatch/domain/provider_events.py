"""What scheduling providers tell us on their own: webhooks, normalized.

Each provider adapter verifies its webhooks (signature, token or client state) and turns
them into `ProviderEvent`s; the product decides what they mean for open sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote


class ProviderChange(StrEnum):
    # The appointment itself changed elsewhere: an open link for it must end.
    UPDATED = "updated"  # moved or reassigned (or only touched: the product compares)
    CANCELED = "canceled"
    # Trigger conditions: the appointment needs a new time.
    CUSTOMER_CANCELED = "customer_canceled"
    NO_SHOW = "no_show"
    NO_ACCESS = "no_access"
    MANUAL_OVERRIDE = "manual_override"


TRIGGERS = frozenset(
    {
        ProviderChange.CUSTOMER_CANCELED,
        ProviderChange.NO_SHOW,
        ProviderChange.NO_ACCESS,
        ProviderChange.MANUAL_OVERRIDE,
    }
)


@dataclass(frozen=True)
class ProviderEvent:
    business_id: str
    appointment_id: str
    change: ProviderChange
    # The provider's id for this notification (dedupes redeliveries); unique per provider.
    event_id: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class WebhookRequest:
    """An inbound HTTP request as the provider sent it (headers lower-cased)."""

    method: str
    url: str  # the public URL the provider called, query string included
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class WebhookReply:
    """What to answer the provider: a handshake's echo, or a plain acknowledgement."""

    status: int = 202
    content_type: str = "text/plain"
    body: str = ""


@dataclass(frozen=True)
class WebhookOutcome:
    reply: WebhookReply = field(default_factory=WebhookReply)
    events: tuple[ProviderEvent, ...] = ()


# What each change is called where people read it (the console, the timeline).
CHANGE_LABELS: dict[ProviderChange, str] = {
    ProviderChange.UPDATED: "Appointment changed elsewhere",
    ProviderChange.CANCELED: "Appointment canceled",
    ProviderChange.CUSTOMER_CANCELED: "Customer canceled",
    ProviderChange.NO_SHOW: "Technician reported a no-show",
    ProviderChange.NO_ACCESS: "Technician reported no access",
    ProviderChange.MANUAL_OVERRIDE: "Marked for rescheduling",
}


@dataclass(frozen=True)
class Suggestion:
    """An appointment the provider says needs a new time, for a dispatcher to review and
    send a link for (or dismiss). One per appointment: a later reason replaces it."""

    business_id: str
    appointment_id: str
    customer_id: str
    customer_name: str
    change: ProviderChange
    at: datetime
    # Why it was not sent automatically, when the business sends them automatically.
    detail: str = ""

    @property
    def reason(self) -> str:
        return CHANGE_LABELS[self.change]


def webhook_address(public_base_url: str, kind: str, business_id: str) -> str:
    """Where a provider sends a business's notifications (the provider-webhook route)."""
    base = public_base_url.rstrip("/")
    return f"{base}/webhooks/providers/{kind}?business={quote(business_id, safe='')}"
