"""Dispatcher read use cases: find customers with their upcoming appointments, read a session."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reschedule_dispatch.domain.errors import Unprocessable
from reschedule_dispatch.domain.ports import Clock, SchedulingProvider, SessionRepository
from reschedule_dispatch.domain.scheduling import Appointment, Customer, Technician
from reschedule_dispatch.domain.session import RescheduleSession, TimelineEvent

MIN_QUERY_LETTERS = 2
MIN_QUERY_DIGITS = 3


@dataclass(frozen=True)
class CustomerWithAppointments:
    customer: Customer
    appointments: list[tuple[Appointment, Technician]]


class SearchCustomers:
    def __init__(self, provider: SchedulingProvider, clock: Clock) -> None:
        self._provider = provider
        self._clock = clock

    def __call__(self, business_id: str, query: str) -> list[CustomerWithAppointments]:
        query = query.strip()
        is_phone = not any(c.isalpha() for c in query)
        too_short = (
            len(re.sub(r"\D", "", query)) < MIN_QUERY_DIGITS
            if is_phone
            else len(query) < MIN_QUERY_LETTERS
        )
        if too_short:
            raise Unprocessable(
                f"Type at least {MIN_QUERY_LETTERS} letters of a name "
                f"or {MIN_QUERY_DIGITS} digits of a phone number."
            )
        now = self._clock.now()
        technicians: dict[str, Technician] = {}
        results = []
        for customer in self._provider.search_customers(business_id, query):
            appointments = []
            for appointment in self._provider.upcoming_appointments(business_id, customer.id, now):
                tech_id = appointment.technician_id
                if tech_id not in technicians:
                    technicians[tech_id] = self._provider.get_technician(business_id, tech_id)
                appointments.append((appointment, technicians[tech_id]))
            results.append(CustomerWithAppointments(customer, appointments))
        return results


class GetSession:
    def __init__(self, sessions: SessionRepository) -> None:
        self._sessions = sessions

    def __call__(
        self, business_id: str, session_id: str
    ) -> tuple[RescheduleSession, list[TimelineEvent]]:
        session = self._sessions.get(business_id, session_id)
        return session, self._sessions.timeline(session.id)
