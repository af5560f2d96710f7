"""Each business's own scheduling provider, behind the one port the services use.

Every port call names its business, so the router looks the business up (the directory's
short cache), connects its provider once per container and connection, and hands the call
on. A connection edited in the business record is picked up like any other setting
(within the directory's cache time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from reschedule_dispatch.domain.business import Business, ProviderConnection
from reschedule_dispatch.domain.errors import NotFound
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    ProviderWebhooks,
    ScheduleWithCustomers,
    SchedulingProvider,
)
from reschedule_dispatch.domain.scheduling import Appointment, Busy, Customer, Technician
from reschedule_dispatch.domain.session import Opening

Connect = Callable[[Business], SchedulingProvider]


class BusinessProviders:
    """The connected provider of each business, built by `connect` and kept while its
    connection is unchanged and younger than `max_age_seconds`.

    The age limit picks up credentials rotated under the same secret ARN (the secret is
    cached for as long); `connect` gives back the adapter it built before when neither the
    connection nor the credentials changed, so a recheck keeps the adapter's token.
    """

    def __init__(
        self,
        businesses: BusinessDirectory,
        connect: Connect,
        *,
        max_age_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._businesses = businesses
        self._connect = connect
        self._max_age = max_age_seconds
        self._clock = clock
        self._connected: dict[str, _Connected] = {}
        self._lock = threading.Lock()

    def of(self, business_id: str) -> SchedulingProvider:
        return self._of(self._businesses.get(business_id))

    def webhooks(self, business_id: str, kind: str) -> ProviderWebhooks:
        """The business's provider, if it is `kind` and takes webhooks; else NotFound (a
        caller must not learn which provider another business uses, or whether it is
        connected: the kind is checked before anything is connected)."""
        try:
            business = self._businesses.get(business_id)
        except NotFound:
            raise NotFound("No such webhook.") from None
        if business.provider.kind != kind:
            raise NotFound("No such webhook.")
        provider = self._of(business)
        if not isinstance(provider, ProviderWebhooks):
            raise NotFound("No such webhook.")
        return provider

    def _of(self, business: Business) -> SchedulingProvider:
        now = self._clock()
        with self._lock:
            known = self._connected.get(business.id)
        if known and known.connection == business.provider and now - known.at < self._max_age:
            return known.provider
        # Outside the lock: connecting reads a secret, and other businesses must not wait.
        connected = _Connected(business.provider, self._connect(business), now)
        with self._lock:
            self._connected[business.id] = connected
        return connected.provider


@dataclass(frozen=True)
class _Connected:
    connection: ProviderConnection
    provider: SchedulingProvider
    at: float


class RoutedProvider:
    """The scheduling-provider port, answered by each business's own provider."""

    def __init__(self, providers: BusinessProviders) -> None:
        self._providers = providers

    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]:
        return self._providers.of(business_id).search_customers(business_id, query)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        return self._providers.of(business_id).get_customer(business_id, customer_id)

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]:
        return self._providers.of(business_id).upcoming_appointments(
            business_id, customer_id, after
        )

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        provider = self._providers.of(business_id)
        return provider.get_appointment(business_id, appointment_id, expected_on)

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        return self._providers.of(business_id).get_technician(business_id, technician_id)

    def technicians(self, business_id: str) -> Sequence[Technician]:
        return self._providers.of(business_id).technicians(business_id)

    def technician_appointments(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Appointment]:
        provider = self._providers.of(business_id)
        return provider.technician_appointments(business_id, technician_id, start, end)

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        provider = self._providers.of(business_id)
        return provider.technician_schedule(business_id, technician_id, start, end)

    def schedule_with_customers(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> tuple[Sequence[Busy], Sequence[Customer]] | None:
        provider = self._providers.of(business_id)
        if not isinstance(provider, ScheduleWithCustomers):
            return None
        return provider.schedule_with_customers(business_id, technician_id, start, end)

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        provider = self._providers.of(appointment.business_id)
        return provider.move_appointment(appointment, opening, idempotency_key)
