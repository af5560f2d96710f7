"""ServiceTitan webhooks: which events matter, the signature, and hold and cancel reasons read
as reasons to reschedule."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from reschedule_dispatch.domain.provider_events import (
    ProviderChange,
)

# The webhook signature header. ServiceTitan documents an HMAC of the payload "sent in the
# request header" without naming it in the public pages; this is the name integrations use.
SIGNATURE_HEADER = "X-ServiceTitan-Signature"


ReasonRules = Sequence[tuple[str, ProviderChange]]


# Hold and cancel reasons are each tenant's own list (Settings > Job hold/cancel reasons), so
# they are matched by reason_words: the first rule whose reason_words appear in the reason's name wins.
DEFAULT_HOLD_RULES: ReasonRules = (
    ("no show", ProviderChange.NO_SHOW),
    ("not home", ProviderChange.NO_SHOW),
    ("access", ProviderChange.NO_ACCESS),
    ("locked", ProviderChange.NO_ACCESS),
    ("reschedule", ProviderChange.MANUAL_OVERRIDE),
)


DEFAULT_CANCEL_RULES: ReasonRules = (
    *DEFAULT_HOLD_RULES,
    ("customer", ProviderChange.CUSTOMER_CANCELED),
)


UPDATED_EVENTS = frozenset(
    {
        "appointmentrescheduled",
        "appointmentupdated",
        "appointmenttechniciansassigned",
        "appointmenttechnicianassigned",
        "appointmenttechniciansunassigned",
        "appointmenttechnicianunassigned",
        "appointmentholdremoved",
    }
)


CANCELED_EVENTS = frozenset({"appointmentdeleted", "appointmentcanceled"})


APPOINTMENT_HOLD_EVENTS = frozenset({"appointmenthold", "appointmentonhold"})


JOB_CANCELED_EVENTS = frozenset({"jobcanceled"})


JOB_HOLD_EVENTS = frozenset({"jobhold", "jobonhold"})


def webhook_tenant(body: bytes) -> str | None:
    """The tenant a webhook says it is for, to pick the business's adapter (unverified)."""
    try:
        event = json.loads(body)
    except ValueError:
        return None
    tenant = event.get("tenantId") if isinstance(event, dict) else None
    return str(tenant) if isinstance(tenant, int | str) and str(tenant).isdigit() else None


def reason_words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def match_reason(rules: Sequence[tuple[str, ProviderChange]], reason: str) -> ProviderChange | None:
    said = f" {reason_words(reason)} "
    return next((change for key, change in rules if f" {key} " in said), None)
