"""Each business's own scheduling provider, behind the one port the services use.

Every port call names its business, so the router looks the business up (the directory's
short cache), connects its provider once per container and connection, and hands the call
on. A connection edited in the business record is picked up like any other setting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from reschedule_dispatch.domain.business import Business, ProviderConnection
from reschedule_dispatch.domain.errors import NotFound
from reschedule_dispatch.domain.ports import BusinessDirectory, ProviderWebhooks, SchedulingProvider
from reschedule_dispatch.domain.scheduling import Appointment, Busy, Customer, Technician
from reschedule_dispatch.domain.session import Opening

Connect = Callable[[Business], SchedulingProvider]


class BusinessProviders:
    """The connected provider of each business, built by `connect` and kept while its
    connection is unchanged."""

    def __init__(self, businesses: BusinessDirectory, connect: Connect) -> None:
        self._businesses = businesses
        self._connect = connect
        self._connected: dict[str, tuple[ProviderConnection, SchedulingProvider]] = {}
        self._lock = threading.Lock()

    def of(self, business_id: str) -> SchedulingProvider:
        business = self._businesses.get(business_id)
        with self._lock:
            known = self._connected.get(business_id)
            if known is None or known[0] != business.provider:
                known = (business.provider, self._connect(business))
                self._connected[business_id] = known
            return known[1]

    def webhooks(self, business_id: str, kind: str) -> ProviderWebhooks:
        """The business's provider, if it is `kind` and takes webhooks; else NotFound (a
        caller must not learn which provider another business uses)."""
        provider = self.of(business_id)
        if self._businesses.get(business_id).provider.kind != kind or not isinstance(
            provider, ProviderWebhooks
        ):
            raise NotFound("No such webhook.")
        return provider


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

    def get_appointment(self, business_id: str, appointment_id: str) -> Appointment:
        return self._providers.of(business_id).get_appointment(business_id, appointment_id)

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

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        provider = self._providers.of(appointment.business_id)
        return provider.move_appointment(appointment, opening, idempotency_key)
