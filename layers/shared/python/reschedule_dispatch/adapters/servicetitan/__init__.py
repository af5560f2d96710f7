"""ServiceTitan as the scheduling provider of one business (one ServiceTitan tenant).

Built from ServiceTitan's API v2 documentation (developer.servicetitan.io); docs/providers.md
(ServiceTitan) maps the concepts and lists every endpoint called. In short:

* auth: OAuth2 client credentials at auth.servicetitan.io (900 s tokens), the app's
  `ST-App-Key` header on every call, the tenant id in every path;
* customers: CRM customers (searched by `name` or `phone`) and their contacts;
* appointments: JPM appointments with their job (job type → service, location → where);
  who does them: dispatch appointment assignments;
* technicians: settings technicians; working hours from dispatch technician shifts;
  blocked time: non-job appointments and time-off shifts;
* a move: `PATCH jpm/.../appointments/{id}/reschedule`, then assign/unassign technicians
  when the technician changes.

ServiceTitan has no If-Match, so the version of an appointment is its `modifiedOn` plus its
assigned technicians, and a move re-reads, compares, then writes (see `move_appointment` for
the window that leaves). Webhooks are verified with the app's HMAC key and normalized to
`ProviderEvent`s; the reason rules below turn hold and cancel reasons into trigger conditions.
"""

from reschedule_dispatch.adapters.servicetitan.hours import DEFAULT_HOURS
from reschedule_dispatch.adapters.servicetitan.provider import ServiceTitanProvider
from reschedule_dispatch.adapters.servicetitan.settings import (
    ENVIRONMENTS,
    PROVIDER,
    ServiceTitanConfig,
    ServiceTitanCredentials,
)
from reschedule_dispatch.adapters.servicetitan.webhooks import (
    DEFAULT_CANCEL_RULES,
    DEFAULT_HOLD_RULES,
    SIGNATURE_HEADER,
    webhook_tenant,
)

__all__ = [
    "DEFAULT_CANCEL_RULES",
    "DEFAULT_HOLD_RULES",
    "DEFAULT_HOURS",
    "ENVIRONMENTS",
    "PROVIDER",
    "SIGNATURE_HEADER",
    "ServiceTitanConfig",
    "ServiceTitanCredentials",
    "ServiceTitanProvider",
    "webhook_tenant",
]
